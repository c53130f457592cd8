#include "cluster/redis_counters.hpp"

#include <algorithm>
#include <array>
#include <atomic>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <mutex>
#include <optional>
#include <thread>
#include <utility>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <openssl/sha.h>

#include "asio/sleep.hpp"
#include "cluster/redis_client.hpp"

namespace baton {

namespace asio = boost::asio;

namespace {

constexpr int64_t kMinuteMs = 60'000;
constexpr int kAdmitArgsPerScope = 6;
constexpr int kAdmitKeysPerScope = 5;
constexpr int64_t kBudgetGraceSeconds = 86'400;
constexpr std::chrono::milliseconds kSettleRetryEvery{250};
constexpr std::chrono::minutes kSettleRetryFor{10};
constexpr int64_t kWarnEveryMs = 10'000;

// Money helpers shared by both scripts: an amount is a pair {hi, lo} = hi * 1e9 + lo with
// 0 <= lo < 1e9, parsed from and printed to decimal strings, so no int64 amount ever becomes one
// (inexact) Lua double.
constexpr std::string_view kLuaMoney = R"lua(
local B = 1000000000
local function mparse(s)
  local neg = false
  if string.sub(s, 1, 1) == '-' then neg = true; s = string.sub(s, 2) end
  local hi, lo = 0, 0
  if #s > 9 then
    hi = tonumber(string.sub(s, 1, #s - 9)); lo = tonumber(string.sub(s, #s - 8))
  else
    lo = tonumber(s)
  end
  if neg then
    if lo > 0 then return {-hi - 1, B - lo} end
    return {-hi, 0}
  end
  return {hi, lo}
end
local function madd(a, b)
  local hi, lo = a[1] + b[1], a[2] + b[2]
  if lo >= B then lo = lo - B; hi = hi + 1 end
  return {hi, lo}
end
local function mle(a, b) return a[1] < b[1] or (a[1] == b[1] and a[2] <= b[2]) end
local function mstr(a)
  local hi, lo = a[1], a[2]
  if hi < 0 then
    if lo > 0 then return '-' .. mstr({-hi - 1, B - lo}) end
    return '-' .. mstr({-hi, 0})
  end
  if hi == 0 then return string.format('%.0f', lo) end
  return string.format('%.0f', hi) .. string.format('%09.0f', lo)
end
)lua";

// Admit. KEYS per scope (5): requests this minute, requests last minute, tokens this minute,
// tokens last minute, budget account. ARGV: now_ms, tokens, worst_case, n, then per scope (6):
// rpm, tpm, budget ("0" = none), hard_stop (1/0), period_spend, expire_at (unix s, 0 = never).
// Returns {"ok", then per scope: rc, rp, tc, tp, committed-after ("" = no account)} or
// {"rpm"|"tpm", scope index, current, previous} or {"budget", scope index, committed}.
constexpr std::string_view kLuaAdmit = R"lua(
local now = tonumber(ARGV[1])
local tokens = tonumber(ARGV[2])
local wc = mparse(ARGV[3])
local n = tonumber(ARGV[4])
local f = (now % 60000) / 60000
local counts = {}
for i = 1, n do
  local a, k = 4 + (i - 1) * 6, (i - 1) * 5
  local rpm, tpm = tonumber(ARGV[a + 1]), tonumber(ARGV[a + 2])
  local rc, rp, tc, tp = 0, 0, 0, 0
  if rpm > 0 then
    rc = tonumber(redis.call('GET', KEYS[k + 1]) or '0')
    rp = tonumber(redis.call('GET', KEYS[k + 2]) or '0')
    if rp * (1 - f) + rc + 1 > rpm then return {'rpm', i, rc, rp} end
  end
  if tpm > 0 then
    tc = tonumber(redis.call('GET', KEYS[k + 3]) or '0')
    tp = tonumber(redis.call('GET', KEYS[k + 4]) or '0')
    if tp * (1 - f) + tc + tokens > tpm then return {'tpm', i, tc, tp} end
  end
  counts[i] = {rc, rp, tc, tp}
end
local after = {}
for i = 1, n do
  local a = 4 + (i - 1) * 6
  if ARGV[a + 3] ~= '0' then
    local c = mparse(redis.call('GET', KEYS[i * 5]) or ARGV[a + 5])
    local next = madd(c, wc)
    if ARGV[a + 4] == '1' and not mle(next, mparse(ARGV[a + 3])) then
      return {'budget', i, mstr(c)}
    end
    after[i] = next
  end
end
local out = {'ok'}
for i = 1, n do
  local a, k = 4 + (i - 1) * 6, (i - 1) * 5
  local c = counts[i]
  if tonumber(ARGV[a + 1]) > 0 then
    c[1] = redis.call('INCR', KEYS[k + 1])
    redis.call('PEXPIRE', KEYS[k + 1], 120000)
  end
  if tonumber(ARGV[a + 2]) > 0 then
    c[3] = redis.call('INCRBY', KEYS[k + 3], ARGV[2])
    redis.call('PEXPIRE', KEYS[k + 3], 120000)
  end
  local committed = ''
  if after[i] then
    local key = KEYS[k + 5]
    if redis.call('EXISTS', key) == 0 then
      if ARGV[a + 6] ~= '0' then
        redis.call('SET', key, ARGV[a + 5], 'EXAT', ARGV[a + 6])
      else
        redis.call('SET', key, ARGV[a + 5])
      end
    end
    redis.call('INCRBY', key, ARGV[3])
    committed = mstr(after[i])
  end
  out[#out + 1] = c[1]; out[#out + 1] = c[2]; out[#out + 1] = c[3]; out[#out + 1] = c[4]
  out[#out + 1] = committed
end
return out
)lua";

// Settle. KEYS per scope (2): tokens this minute, budget account. ARGV: now_ms, token delta,
// money delta, n, then per scope (2): has tpm (1/0), has budget (1/0). A budget account that no
// longer exists (expired, new period) is left alone; a token count never goes below 0.
constexpr std::string_view kLuaSettle = R"lua(
local td = tonumber(ARGV[2])
local n = tonumber(ARGV[4])
for i = 1, n do
  local a, k = 4 + (i - 1) * 2, (i - 1) * 2
  if ARGV[a + 1] == '1' and td ~= 0 then
    local cur = tonumber(redis.call('GET', KEYS[k + 1]) or '0')
    local v = cur + td
    if v < 0 then v = 0 end
    if v ~= cur then redis.call('SET', KEYS[k + 1], v, 'PX', 120000) end
  end
  if ARGV[a + 2] == '1' and ARGV[3] ~= '0' and redis.call('EXISTS', KEYS[k + 2]) == 1 then
    redis.call('INCRBY', KEYS[k + 2], ARGV[3])
  end
end
return 1
)lua";

std::string Sha1Hex(std::string_view text) {
  std::array<unsigned char, SHA_DIGEST_LENGTH> digest{};
  SHA1(reinterpret_cast<const unsigned char*>(text.data()), text.size(), digest.data());
  static constexpr std::string_view kHex = "0123456789abcdef";
  std::string out;
  for (unsigned char b : digest) {
    out.push_back(kHex[b >> 4]);
    out.push_back(kHex[b & 0xF]);
  }
  return out;
}

std::optional<int64_t> ParseInt(std::string_view s) {
  int64_t v = 0;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || p != s.data() + s.size()) {
    return std::nullopt;
  }
  return v;
}

int64_t ReplyInt(const RedisReply& r) {
  if (r.type == RedisReply::Type::kInteger) {
    return r.integer;
  }
  return ParseInt(r.str).value_or(0);
}

int64_t NowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// Milliseconds from now_ms until the estimate is at most `target`, with no new traffic; capped at
// the end of the next minute (a negative target is never reached).
int64_t MsUntilAtMost(int64_t current, int64_t previous, int64_t now_ms, double target) {
  const int64_t into = now_ms % kMinuteMs;
  const int64_t rest = kMinuteMs - into;
  if (target < 0) {
    return rest + kMinuteMs;
  }
  if (static_cast<double>(current) <= target) {
    if (previous <= 0 || WindowEstimate(current, previous, now_ms) <= target) {
      return 0;
    }
    // previous * (1 - x / 60000) + current <= target
    const double x =
        kMinuteMs *
        (1.0 - ((target - static_cast<double>(current)) / static_cast<double>(previous)));
    const auto at = static_cast<int64_t>(std::ceil(x));
    if (at < kMinuteMs) {
      return std::max<int64_t>(at - into, 0);
    }
  }
  // Next minute: current becomes the previous minute; current * (1 - y / 60000) <= target.
  const double y = kMinuteMs * (1.0 - (target / static_cast<double>(current)));
  return rest + std::clamp<int64_t>(static_cast<int64_t>(std::ceil(y)), 0, kMinuteMs);
}

}  // namespace

double WindowEstimate(int64_t current, int64_t previous, int64_t now_ms) {
  const double f = static_cast<double>(now_ms % kMinuteMs) / static_cast<double>(kMinuteMs);
  return (static_cast<double>(previous) * (1 - f)) + static_cast<double>(current);
}

int64_t WindowRetryAfterMs(int64_t current, int64_t previous, int64_t now_ms, int64_t amount,
                           int64_t limit) {
  return MsUntilAtMost(current, previous, now_ms, static_cast<double>(limit - amount));
}

struct RedisCounters::Impl {
  RedisCountersOptions options;
  RedisOptions redis;
  std::unique_ptr<RedisClient> client;
  std::string admit_script;
  std::string settle_script;
  std::string admit_sha;
  std::string settle_sha;
  std::atomic<int64_t> last_warning_ms{-kWarnEveryMs};
  std::atomic<int64_t> settles_pending{0};

  std::mutex admin_mu;
  std::unique_ptr<RedisBlocking> admin;

  asio::io_context settle_ctx{1};
  std::optional<asio::executor_work_guard<asio::io_context::executor_type>> settle_work;
  std::thread settle_thread;

  std::string WindowKey(const std::string& id, char kind, int64_t minute) const {
    return options.key_prefix + "w:" + id + ":" + kind + ":" + std::to_string(minute);
  }
  std::string BudgetKey(const std::string& id, int64_t period_end) const {
    return options.key_prefix + "b:" + id + ":" + std::to_string(period_end);
  }

  void Warn(const std::string& what) {
    const int64_t now = NowMs();
    int64_t last = last_warning_ms.load(std::memory_order_relaxed);
    if (now - last >= kWarnEveryMs &&
        last_warning_ms.compare_exchange_strong(last, now, std::memory_order_relaxed)) {
      std::fprintf(stderr, "baton: warning: %s\n", what.c_str());
    }
  }

  std::vector<std::string> AdmitArgs(const AdmitRequest& request) const {
    const int64_t minute = request.now_ms / kMinuteMs;
    // Expiries follow the wall clock, not the request's (tests use fixed times).
    const int64_t now_s = std::max(request.now_ms, NowMs()) / 1000;
    const size_t n = request.scopes.size();
    std::vector<std::string> args;
    args.reserve(3 + (n * (kAdmitKeysPerScope + kAdmitArgsPerScope)) + 4);
    args.emplace_back("EVALSHA");
    args.push_back(admit_sha);
    args.push_back(std::to_string(n * kAdmitKeysPerScope));
    for (const LimitScope& s : request.scopes) {
      args.push_back(WindowKey(s.id, 'r', minute));
      args.push_back(WindowKey(s.id, 'r', minute - 1));
      args.push_back(WindowKey(s.id, 't', minute));
      args.push_back(WindowKey(s.id, 't', minute - 1));
      args.push_back(BudgetKey(s.id, s.period_end));
    }
    args.push_back(std::to_string(request.now_ms));
    args.push_back(std::to_string(std::max<int64_t>(request.tokens, 0)));
    args.push_back(std::to_string(std::max<Money>(request.worst_case, 0)));
    args.push_back(std::to_string(n));
    for (const LimitScope& s : request.scopes) {
      args.push_back(std::to_string(std::max<int64_t>(s.rpm, 0)));
      args.push_back(std::to_string(std::max<int64_t>(s.tpm, 0)));
      args.push_back(s.budget > 0 ? std::to_string(s.budget) : "0");
      args.emplace_back(s.hard_stop ? "1" : "0");
      args.push_back(std::to_string(s.period_spend));
      args.push_back(s.period_end > 0
                         ? std::to_string(std::max(s.period_end, now_s) + kBudgetGraceSeconds)
                         : "0");
    }
    return args;
  }

  Admission Unreachable(const AdmitRequest& request, const std::string& why) {
    Admission a;
    if (options.fail_open) {
      Warn("shared counters unavailable (" + why + "); admitting requests without counting");
      a.open = true;
      a.admitted_ms = request.now_ms;
      return a;
    }
    Warn("shared counters unavailable (" + why + "); refusing requests");
    a.refused = Error(ErrorKind::kUnavailable,
                      "rate limits and budgets cannot be checked right now; try again shortly",
                      "counters_unavailable");
    return a;
  }

  Admission Decide(const AdmitRequest& request, const Result<RedisReply>& result) {
    if (!result.ok()) {
      return Unreachable(request, result.error().message);
    }
    const RedisReply& reply = result.value();
    if (reply.is_error() || reply.type != RedisReply::Type::kArray || reply.elements.empty()) {
      return Unreachable(request, reply.is_error() ? "redis error: " + reply.str
                                                   : std::string("unexpected redis reply"));
    }
    const std::vector<RedisReply>& e = reply.elements;
    const std::string& verdict = e[0].str;
    const size_t n = request.scopes.size();
    Admission a;
    if (verdict == "rpm" || verdict == "tpm") {
      if (e.size() < 4) {
        return Unreachable(request, "unexpected redis reply");
      }
      const auto i = static_cast<size_t>(ReplyInt(e[1]) - 1);
      const LimitScope& s = request.scopes[std::min(i, n - 1)];
      const bool requests = verdict == "rpm";
      const int64_t limit = requests ? s.rpm : s.tpm;
      a.retry_after_ms = WindowRetryAfterMs(ReplyInt(e[2]), ReplyInt(e[3]), request.now_ms,
                                            requests ? 1 : request.tokens, limit);
      a.refused = RateLimitRefusal(s, !requests);
      return a;
    }
    if (verdict == "budget") {
      if (e.size() < 3) {
        return Unreachable(request, "unexpected redis reply");
      }
      const auto i = static_cast<size_t>(ReplyInt(e[1]) - 1);
      const LimitScope& s = request.scopes[std::min(i, n - 1)];
      a.refused = BudgetRefusal(s, ReplyInt(e[2]), request.worst_case);
      a.refused_budget = BudgetLevel{s.id, ReplyInt(e[2]), s.budget};
      return a;
    }
    if (verdict != "ok" || e.size() != 1 + (n * 5)) {
      return Unreachable(request, "unexpected redis reply");
    }
    a.scopes.assign(request.scopes.begin(), request.scopes.end());
    a.reserved = std::max<Money>(request.worst_case, 0);
    a.reserved_tokens = std::max<int64_t>(request.tokens, 0);
    a.admitted_ms = request.now_ms;
    int64_t best_requests = INT64_MAX;
    int64_t best_tokens = INT64_MAX;
    for (size_t i = 0; i < n; ++i) {
      const LimitScope& s = request.scopes[i];
      const RedisReply* c = &e[1 + (i * 5)];
      if (s.rpm > 0) {
        const double est = WindowEstimate(ReplyInt(c[0]), ReplyInt(c[1]), request.now_ms);
        const int64_t remaining = std::max<int64_t>(
            0, static_cast<int64_t>(std::floor(static_cast<double>(s.rpm) - est)));
        if (remaining < best_requests) {
          best_requests = remaining;
          a.rate.limit_requests = s.rpm;
          a.rate.remaining_requests = remaining;
          a.rate.reset_requests_ms =
              MsUntilAtMost(ReplyInt(c[0]), ReplyInt(c[1]), request.now_ms, est - 1);
        }
      }
      if (s.tpm > 0) {
        const double est = WindowEstimate(ReplyInt(c[2]), ReplyInt(c[3]), request.now_ms);
        const int64_t remaining = std::max<int64_t>(
            0, static_cast<int64_t>(std::floor(static_cast<double>(s.tpm) - est)));
        if (remaining < best_tokens) {
          best_tokens = remaining;
          a.rate.limit_tokens = s.tpm;
          a.rate.remaining_tokens = remaining;
          a.rate.reset_tokens_ms =
              MsUntilAtMost(ReplyInt(c[2]), ReplyInt(c[3]), request.now_ms, est - 1);
        }
      }
      if (s.budget > 0) {
        a.budgets.push_back(BudgetLevel{s.id, ReplyInt(c[4]), s.budget});
      }
    }
    return a;
  }
};

namespace {

bool IsNoScript(const Result<RedisReply>& r) {
  return r.ok() && r->is_error() && r->str.starts_with("NOSCRIPT");
}

// One settle on the settle thread: EVALSHA (EVAL after NOSCRIPT), retried while the command could
// not even be sent (Redis down), for up to kSettleRetryFor.
Awaitable<void> SettleTask(RedisCounters::Impl* impl, std::vector<std::string> args) {
  const auto give_up = std::chrono::steady_clock::now() + kSettleRetryFor;
  for (;;) {
    Result<RedisReply> r = co_await impl->client->Command(args);
    if (IsNoScript(r)) {
      std::vector<std::string> eval = args;
      eval[0] = "EVAL";
      eval[1] = impl->settle_script;
      r = co_await impl->client->Command(std::move(eval));
    }
    if (r.ok()) {
      if (r->is_error()) {
        impl->Warn("a settle was refused by redis: " + r->str);
      }
      break;
    }
    if (r.error().code != "redis_not_sent" || std::chrono::steady_clock::now() >= give_up) {
      impl->Warn("a settle was lost: " + r.error().message);
      break;
    }
    co_await SleepUntil(std::chrono::steady_clock::now() + kSettleRetryEvery);
  }
  impl->settles_pending.fetch_sub(1, std::memory_order_acq_rel);
}

}  // namespace

Result<std::unique_ptr<RedisCounters>> RedisCounters::Create(RedisCountersOptions options) {
  auto endpoint = ParseRedisUrl(options.url);
  if (!endpoint.ok()) {
    return std::move(endpoint).error();
  }
  auto impl = std::make_unique<Impl>();
  impl->redis.endpoint = std::move(endpoint).value();
  impl->redis.timeout = options.timeout;
  impl->redis.connect_timeout = std::max(options.timeout, std::chrono::milliseconds(1000));
  impl->options = std::move(options);
  impl->client = std::make_unique<RedisClient>(impl->redis);
  impl->admit_script = std::string(kLuaMoney) + std::string(kLuaAdmit);
  impl->settle_script = std::string(kLuaMoney) + std::string(kLuaSettle);
  impl->admit_sha = Sha1Hex(impl->admit_script);
  impl->settle_sha = Sha1Hex(impl->settle_script);
  impl->admin = std::make_unique<RedisBlocking>(impl->redis);
  impl->settle_work.emplace(impl->settle_ctx.get_executor());
  impl->settle_thread = std::thread([ctx = &impl->settle_ctx] { ctx->run(); });
  return std::unique_ptr<RedisCounters>(new RedisCounters(std::move(impl)));
}

RedisCounters::RedisCounters(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

RedisCounters::~RedisCounters() {
  FlushSettles(impl_->options.timeout);
  impl_->settle_work.reset();
  impl_->settle_ctx.stop();
  if (impl_->settle_thread.joinable()) {
    impl_->settle_thread.join();
  }
}

std::string RedisCounters::WindowKey(const std::string& scope_id, char kind, int64_t minute) const {
  return impl_->WindowKey(scope_id, kind, minute);
}

std::string RedisCounters::BudgetKey(const std::string& scope_id, int64_t period_end) const {
  return impl_->BudgetKey(scope_id, period_end);
}

Awaitable<Admission> RedisCounters::Admit(const AdmitRequest& request) {
  Impl& impl = *impl_;
  std::vector<std::string> args = impl.AdmitArgs(request);
  Result<RedisReply> reply = co_await impl.client->Command(args);
  if (IsNoScript(reply)) {
    args[0] = "EVAL";
    args[1] = impl.admit_script;
    reply = co_await impl.client->Command(std::move(args));
  }
  co_return impl.Decide(request, reply);
}

void RedisCounters::Settle(const Admission& admission, Money cost, int64_t tokens, int64_t now_ms) {
  if (admission.refused || admission.open) {
    return;
  }
  const Money money_delta = SaturatingAdd(std::max<Money>(cost, 0), -admission.reserved);
  const int64_t token_delta = std::max<int64_t>(tokens, 0) - admission.reserved_tokens;
  if (money_delta == 0 && token_delta == 0) {
    return;
  }
  if (impl_->settles_pending.load(std::memory_order_relaxed) >=
      static_cast<int64_t>(kMaxQueuedSettles)) {
    impl_->Warn("too many settles queued while redis is unreachable; dropping one");
    return;
  }
  const int64_t minute = now_ms / kMinuteMs;
  std::vector<std::string> args;
  const size_t n = admission.scopes.size();
  args.reserve(3 + (n * 4) + 4);
  args.emplace_back("EVALSHA");
  args.push_back(impl_->settle_sha);
  args.push_back(std::to_string(n * 2));
  for (const LimitScope& s : admission.scopes) {
    args.push_back(impl_->WindowKey(s.id, 't', minute));
    args.push_back(impl_->BudgetKey(s.id, s.period_end));
  }
  args.push_back(std::to_string(now_ms));
  args.push_back(std::to_string(token_delta));
  args.push_back(std::to_string(money_delta));
  args.push_back(std::to_string(n));
  for (const LimitScope& s : admission.scopes) {
    args.emplace_back(s.tpm > 0 ? "1" : "0");
    args.emplace_back(s.budget > 0 ? "1" : "0");
  }
  impl_->settles_pending.fetch_add(1, std::memory_order_acq_rel);
  asio::co_spawn(impl_->settle_ctx, SettleTask(impl_.get(), std::move(args)), asio::detached);
}

bool RedisCounters::FlushSettles(std::chrono::milliseconds timeout) {
  const auto until = std::chrono::steady_clock::now() + timeout;
  while (impl_->settles_pending.load(std::memory_order_acquire) > 0) {
    if (std::chrono::steady_clock::now() >= until) {
      return false;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  return true;
}

Result<std::vector<BudgetUsage>> RedisCounters::Usage(std::span<const LimitScope> scopes) {
  const std::scoped_lock lock(impl_->admin_mu);
  std::vector<BudgetUsage> out;
  for (const LimitScope& s : scopes) {
    if (s.budget <= 0) {
      continue;
    }
    auto r = impl_->admin->Command({"GET", impl_->BudgetKey(s.id, s.period_end)});
    if (!r.ok()) {
      return Error(ErrorKind::kUnavailable, r.error().message, "counters_unavailable");
    }
    if (r->is_error()) {
      return Error(ErrorKind::kUnavailable, "redis error: " + r->str, "counters_unavailable");
    }
    BudgetUsage u;
    u.scope = s.id;
    u.budget = s.budget;
    u.period_end = s.period_end;
    u.committed = r->type == RedisReply::Type::kNil ? s.period_spend : ReplyInt(*r);
    out.push_back(std::move(u));
  }
  return out;
}

Status RedisCounters::ResetBudget(const LimitScope& scope) {
  const std::scoped_lock lock(impl_->admin_mu);
  std::vector<std::string> args = {"SET", impl_->BudgetKey(scope.id, scope.period_end), "0"};
  if (scope.period_end > 0) {
    args.emplace_back("EXAT");
    args.push_back(
        std::to_string(std::max(scope.period_end, NowMs() / 1000) + kBudgetGraceSeconds));
  }
  auto r = impl_->admin->Command(args);
  if (!r.ok()) {
    return Error(ErrorKind::kUnavailable, r.error().message, "counters_unavailable");
  }
  if (r->is_error()) {
    return Error(ErrorKind::kUnavailable, "redis error: " + r->str, "counters_unavailable");
  }
  return OkStatus();
}

}  // namespace baton
