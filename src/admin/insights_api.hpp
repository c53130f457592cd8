// The insights endpoints (issue 6 item 5; docs/insights.md has the JSON shapes), master key only:
//
//   GET /insights/stats?hours=24      per model asked over the last N hours (1..2160): requests,
//                                     tokens, cost, errors and error rate, p50/p95 latency, and
//                                     hourly buckets; plus the totals.
//   GET /insights/trends?days=7       daily requests, tokens and cost for the last N UTC days
//                                     (1..366, today included; days without requests are zeros).
//   GET /insights/summary?days=30     totals grouped by model, provider, key (alias, else display
//                                     prefix, else a hash prefix: never a key nor a full hash) and
//                                     zone (what `baton stats summary` prints).
//   GET /insights/similar?query=..&limit=10
//                                     earlier requests whose (redacted) text is most similar
//                                     (SQLite FTS5 bm25 / PostgreSQL pg_trgm). 400
//                                     "content_logging_off" unless [log] content = true; 400
//                                     "bad_query" for an empty query.
//   GET /insights/judge?by=query_type|winner&days=30
//                                     judge verdict tallies (written by the fan-out judge later).
//
// Thread-safety: stateless. Blocking: store I/O; the admin API runs it on its blocking pool.
#pragma once

#include <cstdint>
#include <string_view>

#include "admin/api_fields.hpp"
#include "store/store.hpp"

namespace baton {

// True for every path under /insights/.
bool IsInsightsApiPath(std::string_view path);

// Serves one /insights/* request. `content_logging` is [log] content; `now_ms` the current time.
AdminResponse HandleInsightsApi(Store& store, std::string_view method, std::string_view path,
                                std::string_view query, bool content_logging, int64_t now_ms);

}  // namespace baton
