// Background threads (the request log writer, the spend writer, the events delivery): named for
// `top -H` and perf, and scheduled so that waking one never preempts an io thread.
//
// Why: each request hands its record to a writer thread. Under the default policy the woken
// writer preempts the io thread at once (it slept, so it is "owed" CPU), writes one record, and
// switches back: two context switches per request, the main cost of the request log. With
// SCHED_BATCH the kernel does not preempt on wake-up: the writer runs when the io thread waits
// for the network (or at the end of its time slice) and then finds many records to write in one
// go. Its share of the CPU is that of any nice-0 thread, so it cannot starve; only the wake-up
// latency changes, and it is bounded by the io thread's slice (a few ms) when the io thread is
// busy and ~0 when it is idle. Non-Linux or refused: ignored (the name and the policy are hints).
#pragma once

namespace baton {

// Call on the thread itself, first thing. `name`: at most 15 characters ("baton-log").
void BecomeBackgroundThread(const char* name);

}  // namespace baton
