#include "api/respond.hpp"

#include "dialects/openai_chat/openai_chat.hpp"

namespace baton {

Awaitable<bool> SendJson(ResponseWriter& writer, int status, std::string body, HttpHeaders extra) {
  extra.push_back({"content-type", "application/json"});
  co_return co_await writer.Send(status, std::move(extra), std::move(body));
}

Awaitable<bool> SendOpenAiError(ResponseWriter& writer, const Error& error, HttpHeaders extra) {
  co_return co_await SendJson(writer, openai::ErrorStatus(error), openai::RenderError(error),
                              std::move(extra));
}

}  // namespace baton
