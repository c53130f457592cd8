#include "providers/http_provider.hpp"

#include <algorithm>
#include <stdexcept>

namespace baton {

HttpProvider::HttpProvider(ProviderConfig config, std::string base_url)
    : Provider(std::move(config)) {
  if (base_url.empty()) {
    base_url = this->config().base_url;
  }
  auto origin = ParseOrigin(base_url);
  if (!origin) {
    throw std::runtime_error("provider \"" + name() +
                             "\": invalid base_url: " + origin.error().message);
  }
  origin_ = std::move(origin).value();
  origin_.ca_file = this->config().ca_file;
  headers_.push_back({"content-type", "application/json"});
  headers_.push_back({"user-agent", "baton/0.1"});
  for (const auto& [name, value] : this->config().headers) {
    headers_.push_back({name, value});
  }
  timeouts_.connect = this->config().timeouts.connect;
  timeouts_.first_byte = this->config().timeouts.first_byte;
  timeouts_.idle = this->config().timeouts.idle;
}

Awaitable<Result<std::unique_ptr<UpstreamBody>>> HttpProvider::Open(
    std::string method, std::string path, HttpHeaders extra, std::string body,
    std::chrono::steady_clock::time_point deadline) const {
  if (!config().available) {
    co_return Error(ErrorKind::kUnavailable,
                    "provider \"" + name() + "\" is not configured: " + config().unavailable_reason,
                    "provider_unavailable");
  }
  UpstreamClient* client = UpstreamClient::ForThisThread();
  if (client == nullptr) {
    co_return Error(ErrorKind::kInternal, "no upstream client on this thread");
  }
  UpstreamRequest request;
  request.origin = &origin_;
  request.method = std::move(method);
  request.path = std::move(path);
  request.headers.reserve(headers_.size() + extra.size());
  request.headers = headers_;
  for (auto& h : extra) {
    request.headers.push_back(std::move(h));
  }
  request.body = std::move(body);
  request.timeouts = timeouts_;
  if (deadline != std::chrono::steady_clock::time_point::max()) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) {
      co_return Error(ErrorKind::kUpstreamTimeout, "the request timed out before this attempt",
                      "request_timeout");
    }
    request.timeouts.connect = std::min(request.timeouts.connect, left);
    request.timeouts.first_byte = std::min(request.timeouts.first_byte, left);
    request.timeouts.idle = std::min(request.timeouts.idle, left);
  }
  co_return co_await client->Open(std::move(request));
}

void CopyHeadersWithPrefix(const HttpHeaders& from, std::string_view prefix, HttpHeaders& to) {
  for (const auto& h : from) {
    if (StartsWithIgnoreCase(h.name, prefix)) {
      to.push_back(h);
    }
  }
}

}  // namespace baton
