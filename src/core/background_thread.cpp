#include "core/background_thread.hpp"

#include <pthread.h>
#include <sched.h>

namespace baton {

void BecomeBackgroundThread(const char* name) {
  (void)pthread_setname_np(pthread_self(), name);
#ifdef SCHED_BATCH
  sched_param param{};
  param.sched_priority = 0;
  (void)pthread_setschedparam(pthread_self(), SCHED_BATCH, &param);
#endif
}

}  // namespace baton
