#include "dialects/embeddings/embeddings.hpp"

#include <algorithm>

#include <boost/json/parse.hpp>
#include <boost/json/value.hpp>

namespace baton::embeddings {

namespace json = boost::json;

namespace {

bool IsTokenArray(const json::array& a) {
  return std::ranges::all_of(a, [](const json::value& v) { return v.is_int64() || v.is_uint64(); });
}

bool IsValidInput(const json::value& input) {
  if (input.is_string()) {
    return true;
  }
  if (!input.is_array() || input.as_array().empty()) {
    return false;
  }
  const json::array& a = input.as_array();
  if (IsTokenArray(a)) {
    return true;
  }
  return std::ranges::all_of(a, [](const json::value& v) {
    return v.is_string() || (v.is_array() && !v.as_array().empty() && IsTokenArray(v.as_array()));
  });
}

}  // namespace

Result<EmbeddingsRequestInfo> InspectEmbeddingsRequest(std::string_view body) {
  boost::system::error_code ec;
  json::value doc = json::parse(body, ec);
  if (ec) {
    return Error(ErrorKind::kBadRequest,
                 "We could not parse the JSON body of your request. The OpenAI API expects a "
                 "JSON payload, but what was sent was not valid JSON.",
                 "invalid_json");
  }
  const json::object* obj = doc.if_object();
  if (obj == nullptr) {
    return Error(ErrorKind::kBadRequest, "The request body must be a JSON object.",
                 "invalid_request");
  }
  const json::value* model = obj->if_contains("model");
  if (model == nullptr || !model->is_string() || model->as_string().empty()) {
    return Error(ErrorKind::kBadRequest, "you must provide a model parameter", "missing_model",
                 "model");
  }
  const json::value* input = obj->if_contains("input");
  if (input == nullptr) {
    return Error(ErrorKind::kBadRequest, "Missing required parameter: 'input'.",
                 "missing_required_parameter", "input");
  }
  if (!IsValidInput(*input)) {
    return Error(ErrorKind::kBadRequest,
                 "'input' must be a string, an array of strings, an array of token ids, or an "
                 "array of token id arrays, and not empty.",
                 "invalid_type", "input");
  }
  return EmbeddingsRequestInfo{std::string(model->as_string())};
}

}  // namespace baton::embeddings
