// Small helpers shared by the endpoint handlers: JSON answers and errors in a client's dialect.
#pragma once

#include <string>

#include "core/error.hpp"
#include "server/http.hpp"

namespace baton {

// Sends a JSON body with content-type application/json plus extra headers.
Awaitable<bool> SendJson(ResponseWriter& writer, int status, std::string body,
                         HttpHeaders extra = {});
// Sends an error in OpenAI's shape, with its status.
Awaitable<bool> SendOpenAiError(ResponseWriter& writer, const Error& error, HttpHeaders extra = {});

}  // namespace baton
