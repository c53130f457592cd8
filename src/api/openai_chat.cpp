// The OpenAI-dialect endpoints. The request is inspected with a SAX pass (model, stream, usage)
// and forwarded; it is parsed into the canonical form only if a deployment speaks another
// dialect (forward.cpp).
#include "api/openai_chat.hpp"

#include "api/forward.hpp"
#include "api/respond.hpp"
#include "dialects/embeddings/embeddings.hpp"
#include "dialects/json_scan.hpp"
#include "dialects/openai_chat/openai_chat.hpp"

namespace baton {

Awaitable<void> HandleOpenAiChat(const Snapshot& snapshot, HttpRequest& request,
                                 ResponseWriter& writer, const Caller* caller) {
  auto info = openai::InspectChatRequest(request.body);
  if (!info) {
    co_await SendOpenAiError(writer, info.error());
    co_return;
  }
  Exchange ex;
  ex.client = canon::Dialect::kOpenAiChat;
  ex.model = std::move(info->model);
  ex.stream = info->stream;
  ex.include_usage = info->include_usage;
  ex.body = request.body;
  ex.caller = caller;
  co_await ForwardChat(snapshot, request, writer, ex);
}

Awaitable<void> HandleOpenAiEmbeddings(const Snapshot& snapshot, HttpRequest& request,
                                       ResponseWriter& writer, const Caller* caller) {
  auto info = embeddings::InspectEmbeddingsRequest(request.body);
  if (!info) {
    co_await SendOpenAiError(writer, info.error());
    co_return;
  }
  Exchange ex;
  ex.client = canon::Dialect::kOpenAiChat;
  ex.operation = Operation::kEmbeddings;
  ex.model = std::move(info->model);
  ex.body = request.body;
  ex.caller = caller;
  co_await ForwardChat(snapshot, request, writer, ex);
}

Awaitable<void> HandleProxy(const Snapshot& snapshot, HttpRequest& request, ResponseWriter& writer,
                            std::string model, const Caller* caller) {
  // The model comes from the path; the body's own "model" (optional here) is replaced, so the
  // usual validation sees a complete request.
  if (model.empty()) {
    co_await SendOpenAiError(writer, Error(ErrorKind::kNotFound,
                                           "POST /proxy/{model}: the model is missing from the "
                                           "path.",
                                           "model_not_found", "model"));
    co_return;
  }
  std::string quoted;
  AppendJsonString(quoted, model);
  auto info = openai::InspectChatRequest(request.body);
  if (!info && info.error().param != "model") {
    co_await SendOpenAiError(writer, info.error());
    co_return;
  }
  if (auto span = FindTopLevelMember(request.body, "model")) {
    request.body = ReplaceValue(request.body, *span, quoted);
  } else {
    request.body = AppendMember(request.body, "model", quoted);
  }
  co_await HandleOpenAiChat(snapshot, request, writer, caller);
}

}  // namespace baton
