// The spend read endpoints (issue 5; LITELLM_COMPAT.md §2):
//
//   GET /spend/logs?api_key=|key=<sk-... or hash>&team_id=&start_date=&end_date=
//                   &page=&page_size=&cursor=
//       → a bare array of LiteLLM spend-log rows, newest first: request_id, api_key (the
//         hash), spend (USD), total/prompt/completion tokens, startTime/endTime (ISO-8601 UTC,
//         ms), model (the deployment's model), model_group (the model asked),
//         custom_llm_provider, team_id, metadata {zone, session, status, latency_ms,
//         deployment, cached_tokens}. At most page_size rows (default 100, max 1000); when more
//         match, the response header x-next-cursor holds the cursor for the next page (pass it
//         back as cursor=, without page=). Store::QuerySpend serves it from its indexes.
//   GET /spend/keys?start_date=&end_date=&team_id=&limit=
//       → [{"api_key","token","key_alias","key_name","spend","requests","prompt_tokens",
//           "completion_tokens","cached_tokens","total_tokens"}], most spend first
//   GET /spend/teams?start_date=&end_date=&limit=
//       → [{"team_id","team_alias","spend","requests",...tokens}], most spend first
//
// Dates: "YYYY-MM-DD" (start_date from that day's 00:00 UTC; end_date through that whole day)
// or an ISO-8601 datetime ("2025-06-02T10:00:00Z", "2025-06-02 10:00:00", "+02:00" offsets;
// end_date exclusive then).
//
// Thread-safety: stateless. Blocking: store I/O; the admin API runs it on its blocking pool.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

#include "admin/api_fields.hpp"
#include "store/store.hpp"

namespace baton {

// True for every path under /spend/.
bool IsSpendApiPath(std::string_view path);

// Unix milliseconds of a start_date / end_date value (see above); `end` selects the day-end
// meaning of a bare date. kBadRequest (param `name`) on anything else.
Result<int64_t> ParseSpendDate(std::string_view text, bool end, std::string_view name);

// Serves one /spend/* request.
AdminResponse HandleSpendApi(Store& store, std::string_view method, std::string_view path,
                             std::string_view query);

}  // namespace baton
