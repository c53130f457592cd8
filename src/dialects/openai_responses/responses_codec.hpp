// OpenAI Responses API (POST /v1/responses, WIRE_FORMATS.md §2) ↔ canonical form: the entries of
// OpenAiResponsesCodec().
//
// The gateway is stateless: previous_response_id (and item references) are refused with a 400
// asking for the full input; built-in tools (web_search, file_search, ...) are refused too, only
// function tools translate to other providers. Reasoning is rendered as a reasoning item whose
// summary holds the thinking text.
//
// Thread-safety: pure functions; the decoder and encoder are per-stream objects.
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <boost/json/value.hpp>

#include "dialects/canonical.hpp"

namespace baton::canon {

Result<Request> ParseResponsesRequest(std::string_view body);
std::string RenderResponsesRequest(const Request& request, std::string_view model);
Result<Response> ParseResponsesResponse(std::string_view body);
std::string RenderResponsesResponse(const Response& response, const Request& request);
std::unique_ptr<StreamDecoder> MakeResponsesDecoder();
std::unique_ptr<StreamEncoder> MakeResponsesEncoder(const Request& request);

// A request's tools, tool_choice and text.format as the Responses API spells them (sent
// upstream and echoed in rendered responses).
boost::json::array ResponsesTools(const Request& request);
boost::json::value ResponsesToolChoice(const Request& request);
boost::json::object ResponsesTextFormat(const Request& request);

}  // namespace baton::canon
