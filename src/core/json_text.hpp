// Writing JSON text by hand on hot paths (responses, stream events), where building a document
// and serializing it would cost more than the bytes themselves.
// Pure functions; thread-safe.
#pragma once

#include <string>
#include <string_view>

namespace baton {

// Appends s as a JSON string literal (with quotes) to out: quotes, backslashes and control
// characters escaped, everything else (UTF-8 included) copied in runs.
void AppendJsonString(std::string& out, std::string_view s);

}  // namespace baton
