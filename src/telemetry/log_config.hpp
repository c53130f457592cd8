// [log] settings (config/config.hpp LogConfig) turned into the options of the request log and
// the spend writer, so that the App wires them in one call.
// Thread-safety: pure functions.
#pragma once

#include "config/config.hpp"
#include "core/error.hpp"
#include "telemetry/request_log.hpp"
#include "telemetry/spend_writer.hpp"

namespace baton {

// dir (DefaultLogDir() when empty), max_size, rotate_daily, content, queue, fsync and the
// encryption key. kBadRequest "bad_log_key" when encrypt_key is configured but its variable or
// file is unset (the message names the reference, never a value) or the key is malformed: the
// App refuses to start rather than log in clear.
Result<RequestLogOptions> RequestLogOptionsFromConfig(const LogConfig& config);
// The spend writer's view of the same log (folder and key).
SpendWriterOptions SpendWriterOptionsFor(const RequestLogOptions& log);

}  // namespace baton
