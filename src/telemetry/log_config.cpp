#include "telemetry/log_config.hpp"

namespace baton {

Result<RequestLogOptions> RequestLogOptionsFromConfig(const LogConfig& config) {
  RequestLogOptions o;
  o.dir = config.dir.empty() ? DefaultLogDir() : config.dir;
  o.max_size = config.max_size;
  o.rotate_daily = config.rotate_daily;
  o.content = config.content;
  o.queue = config.queue;
  o.fsync = config.fsync;
  if (config.encrypt_key_configured) {
    if (config.encrypt_key.empty()) {
      return Error(ErrorKind::kBadRequest,
                   "log.encrypt_key (" + config.encrypt_key_ref +
                       "): " + config.encrypt_key_unset_reason +
                       "; refusing to write the request log in clear",
                   "bad_log_key");
    }
    auto key = ParseLogKey(config.encrypt_key);
    if (!key.ok()) {
      return Error(ErrorKind::kBadRequest, "log.encrypt_key: " + key.error().message,
                   "bad_log_key");
    }
    o.encrypt_key = *key;
  }
  return o;
}

SpendWriterOptions SpendWriterOptionsFor(const RequestLogOptions& log) {
  SpendWriterOptions o;
  o.log_dir = log.dir;
  o.key = log.encrypt_key;
  return o;
}

}  // namespace baton
