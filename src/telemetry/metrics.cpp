#include "telemetry/metrics.hpp"

#include <algorithm>
#include <charconv>
#include <functional>

#include "money/money.hpp"

namespace baton {

namespace {

constexpr std::string_view kOther = "_other_";
constexpr std::string_view kUnknownModel = "_unknown_";
constexpr std::string_view kNoProvider = "none";

// Cells of a histogram over integer milliseconds; buckets are kept per bucket (not cumulative)
// so an observation is one increment, and summed up when rendered.
template <std::size_t B>
struct Histogram {
  std::array<std::atomic<uint64_t>, B + 1> buckets{};  // the last one is +Inf
  std::atomic<uint64_t> sum_ms{0};

  void Add(int64_t ms, const std::array<int64_t, B>& bounds) {
    ms = std::max<int64_t>(ms, 0);
    const auto it = std::lower_bound(bounds.begin(), bounds.end(), ms);  // first bound >= ms
    buckets[static_cast<std::size_t>(it - bounds.begin())].fetch_add(1, std::memory_order_relaxed);
    sum_ms.fetch_add(static_cast<uint64_t>(ms), std::memory_order_relaxed);
  }
  uint64_t Count() const {
    uint64_t n = 0;
    for (const auto& b : buckets) {
      n += b.load(std::memory_order_relaxed);
    }
    return n;
  }
};

struct RequestCells {
  std::atomic<uint64_t> count{0};
};

struct ModelCells {
  Histogram<kDurationBucketsMs.size()> duration;
  Histogram<kTtftBucketsMs.size()> ttft;
  std::atomic<uint64_t> prompt_tokens{0};
  std::atomic<uint64_t> completion_tokens{0};
  std::atomic<uint64_t> cached_tokens{0};
  std::atomic<uint64_t> cost_pico{0};
};

struct ProviderCells {
  std::atomic<uint64_t> upstream_errors{0};
};

struct ScopeCells {
  std::atomic<uint64_t> refusals{0};
  std::atomic<uint64_t> warnings{0};
};

// Label sets → cells: a fixed-size open-addressing table of entry pointers. Lookups are lock-free
// (an acquire load per probed slot; a published entry is immutable apart from its atomics);
// inserts take the mutex, and stop at Metrics::kMaxSeries (then every new label set shares the
// "_other_" entry).
template <std::size_t N, typename Cells>
class SeriesTable {
 public:
  using Labels = std::array<std::string_view, N>;
  struct Entry {
    std::array<std::string, N> labels;
    Cells cells;
  };

  Cells& Get(const Labels& labels) {
    const std::size_t h = Hash(labels);
    if (Entry* e = Find(labels, h)) {
      return e->cells;
    }
    if (full_.load(std::memory_order_acquire)) {
      return other_->cells;
    }
    return Insert(labels, h);
  }

  // Every entry (including "_other_" once used), sorted by labels.
  std::vector<const Entry*> Sorted() const {
    std::vector<const Entry*> out;
    {
      const std::lock_guard lock(mu_);
      out.reserve(entries_.size());
      for (const auto& e : entries_) {
        out.push_back(e.get());
      }
    }
    std::sort(out.begin(), out.end(),
              [](const Entry* a, const Entry* b) { return a->labels < b->labels; });
    return out;
  }

 private:
  // A power of two, at least twice kMaxSeries + 1 so probes stay short.
  static constexpr std::size_t kSlots = 4096;
  static_assert(kSlots >= 2 * (Metrics::kMaxSeries + 1));

  static std::size_t Hash(const Labels& labels) {
    std::size_t h = 0x9e3779b97f4a7c15ULL;
    for (std::string_view l : labels) {
      h ^= std::hash<std::string_view>{}(l) + 0x9e3779b97f4a7c15ULL + (h << 6) + (h >> 2);
    }
    return h;
  }
  static bool Matches(const Entry& e, const Labels& labels) {
    for (std::size_t i = 0; i < N; ++i) {
      if (e.labels[i] != labels[i]) {
        return false;
      }
    }
    return true;
  }
  Entry* Find(const Labels& labels, std::size_t h) const {
    for (std::size_t i = 0; i < kSlots; ++i) {
      Entry* e = slots_[(h + i) & (kSlots - 1)].load(std::memory_order_acquire);
      if (e == nullptr) {
        return nullptr;
      }
      if (Matches(*e, labels)) {
        return e;
      }
    }
    return nullptr;
  }
  Cells& Insert(const Labels& labels, std::size_t h) {
    const std::lock_guard lock(mu_);
    if (Entry* e = Find(labels, h)) {  // inserted by another thread meanwhile
      return e->cells;
    }
    if (full_.load(std::memory_order_relaxed)) {
      return other_->cells;
    }
    auto entry = std::make_unique<Entry>();
    for (std::size_t i = 0; i < N; ++i) {
      entry->labels[i] = std::string(labels[i]);
    }
    Entry* raw = entry.get();
    entries_.push_back(std::move(entry));
    for (std::size_t i = 0; i < kSlots; ++i) {
      auto& slot = slots_[(h + i) & (kSlots - 1)];
      if (slot.load(std::memory_order_relaxed) == nullptr) {
        slot.store(raw, std::memory_order_release);
        break;
      }
    }
    if (entries_.size() >= Metrics::kMaxSeries) {
      auto other = std::make_unique<Entry>();
      other->labels.fill(std::string(kOther));
      other_ = other.get();
      entries_.push_back(std::move(other));
      full_.store(true, std::memory_order_release);  // publishes other_
    }
    return raw->cells;
  }

  std::array<std::atomic<Entry*>, kSlots> slots_{};
  std::atomic<bool> full_{false};
  Entry* other_ = nullptr;  // set (under mu_) before full_ turns true
  mutable std::mutex mu_;   // guards entries_ and inserts
  std::vector<std::unique_ptr<Entry>> entries_;
};

void AppendDouble(std::string& out, double v) {
  std::array<char, 32> buf{};
  auto [end, ec] = std::to_chars(buf.data(), buf.data() + buf.size(), v);
  if (ec != std::errc()) {
    out += "NaN";
    return;
  }
  out.append(buf.data(), end);
}

void AppendUint(std::string& out, uint64_t v) {
  std::array<char, 24> buf{};
  auto [end, ec] = std::to_chars(buf.data(), buf.data() + buf.size(), v);
  out.append(buf.data(), end);
}

void AppendHeader(std::string& out, std::string_view name, std::string_view type,
                  std::string_view help) {
  out += "# HELP ";
  out += name;
  out += ' ';
  out += help;
  out += "\n# TYPE ";
  out += name;
  out += ' ';
  out += type;
  out += '\n';
}

// name{k1="v1",k2="v2"} (no braces without labels), then a space.
void AppendSeries(std::string& out, std::string_view name,
                  std::initializer_list<std::pair<std::string_view, std::string_view>> labels) {
  out += name;
  if (labels.size() > 0) {
    out += '{';
    bool first = true;
    for (const auto& [k, v] : labels) {
      if (!first) {
        out += ',';
      }
      first = false;
      out += k;
      out += "=\"";
      out += EscapeLabelValue(v);
      out += '"';
    }
    out += '}';
  }
  out += ' ';
}

template <std::size_t B>
void AppendHistogram(std::string& out, std::string_view name, std::string_view model,
                     const Histogram<B>& h, const std::array<int64_t, B>& bounds) {
  const std::string bucket = std::string(name) + "_bucket";
  uint64_t cumulative = 0;
  for (std::size_t i = 0; i <= B; ++i) {
    cumulative += h.buckets[i].load(std::memory_order_relaxed);
    std::string le;
    if (i == B) {
      le = "+Inf";
    } else {
      AppendDouble(le, static_cast<double>(bounds[i]) / 1000.0);
    }
    AppendSeries(out, bucket, {{"model", model}, {"le", le}});
    AppendUint(out, cumulative);
    out += '\n';
  }
  AppendSeries(out, std::string(name) + "_sum", {{"model", model}});
  AppendDouble(out, static_cast<double>(h.sum_ms.load(std::memory_order_relaxed)) / 1000.0);
  out += '\n';
  AppendSeries(out, std::string(name) + "_count", {{"model", model}});
  AppendUint(out, cumulative);
  out += '\n';
}

uint64_t Positive(int64_t v) {
  return v > 0 ? static_cast<uint64_t>(v) : 0;
}

}  // namespace

struct Metrics::Families {
  SeriesTable<3, RequestCells> requests;  // model, provider, status
  SeriesTable<1, ModelCells> models;      // model
  SeriesTable<1, ProviderCells> providers;
  SeriesTable<1, ScopeCells> scopes;
  std::atomic<uint64_t> rate_limit_refusals{0};
  std::atomic<uint64_t> fallbacks{0};
};

Metrics::Metrics() : families_(std::make_unique<Families>()) {}
Metrics::~Metrics() = default;

void Metrics::Observe(const RequestRecord& r, std::string_view refused_scope) {
  Families& f = *families_;
  const std::string_view model = r.error == "model_not_found" ? kUnknownModel : r.model_asked;
  const std::string_view provider = r.provider.empty() ? kNoProvider : r.provider;
  std::array<char, 12> status_buf{};
  auto [status_end, ec] =
      std::to_chars(status_buf.data(), status_buf.data() + status_buf.size(), r.status);
  (void)ec;  // an int always fits
  const std::string_view status(status_buf.data(), status_end - status_buf.data());
  f.requests.Get({model, provider, status}).count.fetch_add(1, std::memory_order_relaxed);

  ModelCells& m = f.models.Get({model});
  m.duration.Add(r.latency_ms, kDurationBucketsMs);
  if (r.stream && r.ttft_ms >= 0) {
    m.ttft.Add(r.ttft_ms, kTtftBucketsMs);
  }
  if (r.prompt_tokens > 0) {
    m.prompt_tokens.fetch_add(Positive(r.prompt_tokens), std::memory_order_relaxed);
  }
  if (r.completion_tokens > 0) {
    m.completion_tokens.fetch_add(Positive(r.completion_tokens), std::memory_order_relaxed);
  }
  if (r.cached_tokens > 0) {
    m.cached_tokens.fetch_add(Positive(r.cached_tokens), std::memory_order_relaxed);
  }
  if (r.cost > 0) {
    m.cost_pico.fetch_add(Positive(r.cost), std::memory_order_relaxed);
  }
  if (!r.error.empty()) {
    if (r.error == "budget_exceeded") {
      f.scopes.Get({refused_scope.empty() ? std::string_view("unknown") : refused_scope})
          .refusals.fetch_add(1, std::memory_order_relaxed);
    } else if (r.error == "rate_limit_exceeded") {
      f.rate_limit_refusals.fetch_add(1, std::memory_order_relaxed);
    }
  }
  if (r.status >= 500 || r.error.starts_with("upstream")) {
    f.providers.Get({provider}).upstream_errors.fetch_add(1, std::memory_order_relaxed);
  }
  if (r.fallbacks > 0) {
    f.fallbacks.fetch_add(static_cast<uint64_t>(r.fallbacks), std::memory_order_relaxed);
  }
}

void Metrics::BudgetWarning(std::string_view scope) {
  families_->scopes.Get({scope}).warnings.fetch_add(1, std::memory_order_relaxed);
}

std::string Metrics::Render(const std::vector<DeploymentSample>& deployments,
                            const std::optional<PoolSample>& pool) const {
  const Families& f = *families_;
  std::string out;
  out.reserve(4096);

  AppendHeader(out, "baton_build_info", "gauge", "Baton build information (always 1).");
  AppendSeries(out, "baton_build_info", {{"version", kBatonVersion}});
  out += "1\n";

  AppendHeader(out, "baton_requests_in_flight", "gauge",
               "Model requests being served (received, not yet answered).");
  AppendSeries(out, "baton_requests_in_flight", {});
  out += std::to_string(in_flight());
  out += '\n';

  AppendHeader(out, "baton_requests_total", "counter",
               "Finished model requests by model asked, provider that answered and HTTP status.");
  for (const auto* e : f.requests.Sorted()) {
    AppendSeries(out, "baton_requests_total",
                 {{"model", e->labels[0]}, {"provider", e->labels[1]}, {"status", e->labels[2]}});
    AppendUint(out, e->cells.count.load(std::memory_order_relaxed));
    out += '\n';
  }

  const auto models = f.models.Sorted();
  AppendHeader(out, "baton_request_duration_seconds", "histogram",
               "Time from receiving a model request to its end, by model asked.");
  for (const auto* e : models) {
    AppendHistogram(out, "baton_request_duration_seconds", e->labels[0], e->cells.duration,
                    kDurationBucketsMs);
  }
  AppendHeader(out, "baton_time_to_first_token_seconds", "histogram",
               "Time from receiving a streamed request to its first content, by model asked.");
  for (const auto* e : models) {
    if (e->cells.ttft.Count() > 0) {
      AppendHistogram(out, "baton_time_to_first_token_seconds", e->labels[0], e->cells.ttft,
                      kTtftBucketsMs);
    }
  }
  AppendHeader(out, "baton_tokens_total", "counter",
               "Tokens billed by model asked and type (prompt, completion, cached prompt).");
  for (const auto* e : models) {
    const std::array<std::pair<std::string_view, const std::atomic<uint64_t>*>, 3> types = {{
        {"prompt", &e->cells.prompt_tokens},
        {"completion", &e->cells.completion_tokens},
        {"cached", &e->cells.cached_tokens},
    }};
    for (const auto& [type, value] : types) {
      AppendSeries(out, "baton_tokens_total", {{"model", e->labels[0]}, {"type", type}});
      AppendUint(out, value->load(std::memory_order_relaxed));
      out += '\n';
    }
  }
  AppendHeader(out, "baton_cost_usd_total", "counter",
               "Cost billed in US dollars, by model asked.");
  for (const auto* e : models) {
    AppendSeries(out, "baton_cost_usd_total", {{"model", e->labels[0]}});
    AppendDouble(out, static_cast<double>(e->cells.cost_pico.load(std::memory_order_relaxed)) /
                          static_cast<double>(kPicoPerUsd));
    out += '\n';
  }

  const auto scopes = f.scopes.Sorted();
  AppendHeader(out, "baton_budget_refusals_total", "counter",
               "Requests refused because a budget would be passed, by scope kind.");
  for (const auto* e : scopes) {
    if (const uint64_t n = e->cells.refusals.load(std::memory_order_relaxed); n > 0) {
      AppendSeries(out, "baton_budget_refusals_total", {{"scope", e->labels[0]}});
      AppendUint(out, n);
      out += '\n';
    }
  }
  AppendHeader(out, "baton_budget_warnings_total", "counter",
               "Budgets that crossed their warning threshold, by scope kind.");
  for (const auto* e : scopes) {
    if (const uint64_t n = e->cells.warnings.load(std::memory_order_relaxed); n > 0) {
      AppendSeries(out, "baton_budget_warnings_total", {{"scope", e->labels[0]}});
      AppendUint(out, n);
      out += '\n';
    }
  }
  AppendHeader(out, "baton_rate_limit_refusals_total", "counter",
               "Requests refused by a rate limit (rpm or tpm).");
  AppendSeries(out, "baton_rate_limit_refusals_total", {});
  AppendUint(out, f.rate_limit_refusals.load(std::memory_order_relaxed));
  out += '\n';

  AppendHeader(out, "baton_upstream_errors_total", "counter",
               "Requests answered with a 5xx or an upstream error, by provider (none: no "
               "provider answered).");
  for (const auto* e : f.providers.Sorted()) {
    AppendSeries(out, "baton_upstream_errors_total", {{"provider", e->labels[0]}});
    AppendUint(out, e->cells.upstream_errors.load(std::memory_order_relaxed));
    out += '\n';
  }
  AppendHeader(out, "baton_fallbacks_total", "counter",
               "Times a request moved on to another deployment.");
  AppendSeries(out, "baton_fallbacks_total", {});
  AppendUint(out, f.fallbacks.load(std::memory_order_relaxed));
  out += '\n';

  std::vector<const DeploymentSample*> sorted;
  sorted.reserve(deployments.size());
  for (const auto& d : deployments) {
    sorted.push_back(&d);
  }
  std::ranges::sort(sorted, {}, &DeploymentSample::id);
  AppendHeader(out, "baton_cooldowns_total", "counter",
               "Times a deployment's circuit breaker opened (cooldowns started).");
  for (const auto* d : sorted) {
    AppendSeries(out, "baton_cooldowns_total", {{"deployment", d->id}});
    AppendUint(out, d->cooldowns);
    out += '\n';
  }
  AppendHeader(out, "baton_deployment_up", "gauge",
               "1 when a deployment may be routed to, 0 while its breaker is open.");
  for (const auto* d : sorted) {
    AppendSeries(out, "baton_deployment_up", {{"deployment", d->id}});
    out += d->up ? "1\n" : "0\n";
  }
  if (pool) {
    AppendHeader(out, "baton_upstream_pool_connections", "gauge",
                 "Upstream connections in the pools: idle (kept alive) or busy (carrying a "
                 "request).");
    AppendSeries(out, "baton_upstream_pool_connections", {{"state", "idle"}});
    out += std::to_string(std::max<int64_t>(0, pool->idle));
    out += '\n';
    AppendSeries(out, "baton_upstream_pool_connections", {{"state", "busy"}});
    out += std::to_string(std::max<int64_t>(0, pool->busy));
    out += '\n';
  }
  return out;
}

std::string EscapeLabelValue(std::string_view v) {
  std::string out;
  out.reserve(v.size());
  std::size_t i = 0;
  while (i < v.size()) {
    const auto c = static_cast<unsigned char>(v[i]);
    if (c < 0x80) {
      if (c == '\\') {
        out += "\\\\";
      } else if (c == '"') {
        out += "\\\"";
      } else if (c == '\n') {
        out += "\\n";
      } else {
        out += static_cast<char>(c);
      }
      ++i;
      continue;
    }
    // A multi-byte UTF-8 sequence: copied when well formed (no overlongs, no surrogates, at
    // most U+10FFFF), else one byte becomes U+FFFD.
    std::size_t len = 0;
    uint32_t cp = 0;
    if (c >= 0xC2 && c <= 0xDF) {
      len = 2;
      cp = c & 0x1FU;
    } else if (c >= 0xE0 && c <= 0xEF) {
      len = 3;
      cp = c & 0x0FU;
    } else if (c >= 0xF0 && c <= 0xF4) {
      len = 4;
      cp = c & 0x07U;
    }
    bool ok = len > 0 && i + len <= v.size();
    for (std::size_t k = 1; ok && k < len; ++k) {
      const auto cc = static_cast<unsigned char>(v[i + k]);
      ok = (cc & 0xC0U) == 0x80U;
      cp = (cp << 6U) | (cc & 0x3FU);
    }
    if (ok && len == 3) {
      ok = cp >= 0x800 && (cp < 0xD800 || cp > 0xDFFF);  // no overlong form, no surrogate
    } else if (ok && len == 4) {
      ok = cp >= 0x10000 && cp <= 0x10FFFF;
    }
    if (ok) {
      out.append(v.substr(i, len));
      i += len;
    } else {
      out += "\xEF\xBF\xBD";
      ++i;
    }
  }
  return out;
}

}  // namespace baton
