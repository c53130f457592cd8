#include "cluster/redis_client.hpp"

#include <algorithm>
#include <array>
#include <cerrno>
#include <charconv>
#include <cstdlib>
#include <deque>
#include <mutex>
#include <ranges>
#include <unordered_map>
#include <utility>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/connect.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/execution_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <hiredis/hiredis.h>
#include <poll.h>

#include "asio/fast_io.hpp"

namespace baton {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;  // NOLINT(readability-identifier-naming): Asio's own spelling

namespace {

constexpr std::chrono::milliseconds kFirstBackoff{50};
constexpr std::chrono::milliseconds kMaxBackoff{2000};

RedisReply Convert(const redisReply* r) {
  RedisReply out;
  switch (r->type) {
    case REDIS_REPLY_STRING:
      out.type = RedisReply::Type::kString;
      out.str.assign(r->str, r->len);
      break;
    case REDIS_REPLY_STATUS:
      out.type = RedisReply::Type::kStatus;
      out.str.assign(r->str, r->len);
      break;
    case REDIS_REPLY_ERROR:
      out.type = RedisReply::Type::kError;
      out.str.assign(r->str, r->len);
      break;
    case REDIS_REPLY_INTEGER:
      out.type = RedisReply::Type::kInteger;
      out.integer = r->integer;
      break;
    case REDIS_REPLY_ARRAY:
      out.type = RedisReply::Type::kArray;
      out.elements.reserve(r->elements);
      for (size_t i = 0; i < r->elements; ++i) {
        out.elements.push_back(Convert(r->element[i]));
      }
      break;
    default:
      out.type = RedisReply::Type::kNil;
      break;
  }
  return out;
}

// RESP bytes of one command (hiredis formats; we only own the buffer).
void AppendFormatted(std::string& out, std::span<const std::string> args) {
  std::vector<const char*> argv;
  std::vector<size_t> lens;
  argv.reserve(args.size());
  lens.reserve(args.size());
  for (const std::string& a : args) {
    argv.push_back(a.data());
    lens.push_back(a.size());
  }
  char* cmd = nullptr;
  const int len =
      redisFormatCommandArgv(&cmd, static_cast<int>(args.size()), argv.data(), lens.data());
  if (len > 0 && cmd != nullptr) {
    out.append(cmd, static_cast<size_t>(len));
  }
  redisFreeCommand(cmd);
}

int PercentValue(char c) {
  if (c >= '0' && c <= '9') {
    return c - '0';
  }
  if (c >= 'a' && c <= 'f') {
    return c - 'a' + 10;
  }
  if (c >= 'A' && c <= 'F') {
    return c - 'A' + 10;
  }
  return -1;
}

std::string PercentDecode(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '%' && i + 2 < s.size()) {
      const int hi = PercentValue(s[i + 1]);
      const int lo = PercentValue(s[i + 2]);
      if (hi >= 0 && lo >= 0) {
        out.push_back(static_cast<char>((hi * 16) + lo));
        i += 2;
        continue;
      }
    }
    out.push_back(s[i]);
  }
  return out;
}

Error BadUrl(const std::string& why) {
  return {ErrorKind::kBadRequest,
          "redis url must look like redis://[:PASSWORD@]HOST[:PORT][/DB]: " + why, "bad_redis_url"};
}

}  // namespace

std::string RedisEndpoint::Printable() const {
  std::string out = host.find(':') != std::string::npos ? "[" + host + "]" : host;
  out += ":" + std::to_string(port);
  if (db != 0) {
    out += "/" + std::to_string(db);
  }
  return out;
}

Result<RedisEndpoint> ParseRedisUrl(std::string_view url) {
  constexpr std::string_view kScheme = "redis://";
  if (!url.starts_with(kScheme)) {
    return BadUrl("the scheme must be redis://");
  }
  std::string_view rest = url.substr(kScheme.size());
  RedisEndpoint ep;
  if (const size_t at = rest.rfind('@'); at != std::string_view::npos) {
    std::string_view userinfo = rest.substr(0, at);
    rest = rest.substr(at + 1);
    const size_t colon = userinfo.find(':');
    ep.password =
        PercentDecode(colon == std::string_view::npos ? userinfo : userinfo.substr(colon + 1));
  }
  std::string_view hostport = rest;
  if (const size_t slash = rest.find('/'); slash != std::string_view::npos) {
    hostport = rest.substr(0, slash);
    std::string_view db = rest.substr(slash + 1);
    if (!db.empty()) {
      int value = 0;
      auto [p, ec] = std::from_chars(db.data(), db.data() + db.size(), value);
      if (ec != std::errc() || p != db.data() + db.size() || value < 0) {
        return BadUrl("the database must be a number");
      }
      ep.db = value;
    }
  }
  std::string_view port_text;
  if (hostport.starts_with('[')) {
    const size_t close = hostport.find(']');
    if (close == std::string_view::npos) {
      return BadUrl("unclosed [ in the host");
    }
    ep.host = std::string(hostport.substr(1, close - 1));
    std::string_view after = hostport.substr(close + 1);
    if (after.starts_with(':')) {
      port_text = after.substr(1);
    } else if (!after.empty()) {
      return BadUrl("unexpected text after the host");
    }
  } else if (const size_t colon = hostport.rfind(':'); colon != std::string_view::npos) {
    ep.host = std::string(hostport.substr(0, colon));
    port_text = hostport.substr(colon + 1);
  } else {
    ep.host = std::string(hostport);
  }
  if (ep.host.empty()) {
    return BadUrl("the host is missing");
  }
  if (!port_text.empty()) {
    int value = 0;
    auto [p, ec] = std::from_chars(port_text.data(), port_text.data() + port_text.size(), value);
    if (ec != std::errc() || p != port_text.data() + port_text.size() || value <= 0 ||
        value > 65535) {
      return BadUrl("the port must be a number from 1 to 65535");
    }
    ep.port = static_cast<uint16_t>(value);
  }
  return ep;
}

// ---- The asynchronous client -------------------------------------------------------------------

namespace {

// One command waiting for its reply. The waiting coroutine sleeps on `timer`; Complete() wakes it.
struct Pending {
  explicit Pending(const asio::any_io_executor& ex) : timer(ex) {}
  asio::steady_timer timer;
  bool done = false;
  bool handshake = false;  // AUTH / SELECT: an error reply drops the connection
  bool sent = false;       // its bytes were handed to the socket (Redis may have run it)
  Result<RedisReply> result{RedisReply{}};

  void Complete(Result<RedisReply> r) {
    if (done) {
      return;
    }
    done = true;
    result = std::move(r);
    timer.cancel();
  }
};

// One connection to Redis, used only by the thread running its io_context (no locks). Coroutines
// hold shared_ptrs to it; a generation number tells a coroutine of a dropped connection to stop.
class Connection : public std::enable_shared_from_this<Connection> {
 public:
  Connection(asio::any_io_executor ex, std::shared_ptr<const RedisOptions> options)
      : ex_(std::move(ex)),
        options_(std::move(options)),
        socket_(ex_),
        resolver_(ex_),
        reader_(redisReaderCreate()) {}
  ~Connection() { redisReaderFree(reader_); }
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  static Awaitable<Result<RedisReply>> Run(std::shared_ptr<Connection> self,
                                           std::vector<std::string> args);
  void Shutdown() { Fail("shutting down"); }

 private:
  enum class State { kIdle, kConnecting, kReady, kBackoff };

  void StartConnect();
  void StartWrite();
  void Fail(const std::string& why);
  // Code "redis_not_sent" when the command certainly did not reach Redis (safe to retry),
  // "redis_unavailable" when it may have.
  Error Unavailable(const std::string& why, bool sent) const {
    return {ErrorKind::kUnavailable, "redis at " + options_->endpoint.Printable() + ": " + why,
            sent ? "redis_unavailable" : "redis_not_sent"};
  }
  static Awaitable<void> ConnectLoop(std::shared_ptr<Connection> self, uint64_t gen);
  static Awaitable<void> ConnectWatchdog(std::shared_ptr<Connection> self, uint64_t gen);
  static Awaitable<void> ReadLoop(std::shared_ptr<Connection> self, uint64_t gen);
  static Awaitable<void> WriteLoop(std::shared_ptr<Connection> self, uint64_t gen);

  asio::any_io_executor ex_;
  std::shared_ptr<const RedisOptions> options_;
  tcp::socket socket_;
  tcp::resolver resolver_;
  redisReader* reader_;
  State state_ = State::kIdle;
  uint64_t gen_ = 0;
  std::chrono::milliseconds backoff_ = kFirstBackoff;
  std::chrono::steady_clock::time_point backoff_until_;
  std::string out_;  // formatted commands not yet handed to the socket
  bool writing_ = false;
  std::deque<std::shared_ptr<Pending>> inflight_;  // in the order their bytes are in the stream
};

Awaitable<Result<RedisReply>> Connection::Run(std::shared_ptr<Connection> self,
                                              std::vector<std::string> args) {
  const auto now = std::chrono::steady_clock::now();
  if (self->state_ == State::kBackoff && now < self->backoff_until_) {
    co_return self->Unavailable("not connected (reconnecting)", false);
  }
  if (self->state_ == State::kIdle || self->state_ == State::kBackoff) {
    self->StartConnect();
  }
  auto pending = std::make_shared<Pending>(self->ex_);
  AppendFormatted(self->out_, args);
  self->inflight_.push_back(pending);
  if (self->state_ == State::kReady) {
    self->StartWrite();
  }
  if (!pending->done) {
    pending->timer.expires_at(now + self->options_->timeout);
    co_await pending->timer.async_wait(asio::as_tuple(asio::use_awaitable));
  }
  if (!pending->done) {
    // No answer in time: Redis is treated as down (this also fails every other pending command).
    self->Fail("no reply within " + std::to_string(self->options_->timeout.count()) + " ms");
  }
  co_return std::move(pending->result);
}

void Connection::StartConnect() {
  state_ = State::kConnecting;
  const uint64_t gen = ++gen_;
  asio::co_spawn(ex_, ConnectLoop(shared_from_this(), gen), asio::detached);
  asio::co_spawn(ex_, ConnectWatchdog(shared_from_this(), gen), asio::detached);
}

void Connection::StartWrite() {
  if (!writing_ && !out_.empty()) {
    writing_ = true;
    asio::co_spawn(ex_, WriteLoop(shared_from_this(), gen_), asio::detached);
  }
}

void Connection::Fail(const std::string& why) {
  if (state_ == State::kIdle || state_ == State::kBackoff) {
    return;
  }
  ++gen_;
  boost::system::error_code ignored;
  socket_.close(ignored);
  resolver_.cancel();
  state_ = State::kBackoff;
  backoff_until_ = std::chrono::steady_clock::now() + backoff_;
  backoff_ = std::min(backoff_ * 2, kMaxBackoff);
  out_.clear();
  writing_ = false;
  redisReaderFree(reader_);
  reader_ = redisReaderCreate();
  auto failed = std::move(inflight_);
  inflight_.clear();
  for (const auto& p : failed) {
    p->Complete(Unavailable(why, p->sent));
  }
}

Awaitable<void> Connection::ConnectWatchdog(std::shared_ptr<Connection> self, uint64_t gen) {
  asio::steady_timer timer(self->ex_, self->options_->connect_timeout);
  co_await timer.async_wait(asio::as_tuple(asio::use_awaitable));
  if (self->gen_ == gen && self->state_ == State::kConnecting) {
    self->Fail("connect timed out");
  }
}

Awaitable<void> Connection::ConnectLoop(std::shared_ptr<Connection> self, uint64_t gen) {
  const RedisEndpoint& ep = self->options_->endpoint;
  auto [rerr, endpoints] = co_await self->resolver_.async_resolve(
      ep.host, std::to_string(ep.port), asio::as_tuple(asio::use_awaitable));
  if (self->gen_ != gen) {
    co_return;
  }
  if (rerr) {
    self->Fail("cannot resolve the host");
    co_return;
  }
  auto [cerr, connected] =
      co_await asio::async_connect(self->socket_, endpoints, asio::as_tuple(asio::use_awaitable));
  if (self->gen_ != gen) {
    co_return;
  }
  if (cerr) {
    self->Fail("cannot connect (" + cerr.message() + ")");
    co_return;
  }
  boost::system::error_code ignored;
  self->socket_.set_option(tcp::no_delay(true), ignored);
  self->socket_.non_blocking(true, ignored);  // fastio reads and writes need it
  // AUTH and SELECT go first in the stream, ahead of the commands queued while connecting.
  std::string hello;
  std::vector<std::shared_ptr<Pending>> handshake;
  if (!ep.password.empty()) {
    const std::array<std::string, 2> auth = {"AUTH", ep.password};
    AppendFormatted(hello, auth);
    handshake.push_back(std::make_shared<Pending>(self->ex_));
  }
  if (ep.db != 0) {
    const std::array<std::string, 2> select = {"SELECT", std::to_string(ep.db)};
    AppendFormatted(hello, select);
    handshake.push_back(std::make_shared<Pending>(self->ex_));
  }
  for (const auto& p : std::views::reverse(handshake)) {
    p->handshake = true;
    self->inflight_.push_front(p);
  }
  self->out_.insert(0, hello);
  self->state_ = State::kReady;
  self->backoff_ = kFirstBackoff;
  asio::co_spawn(self->ex_, ReadLoop(self, gen), asio::detached);
  self->StartWrite();
}

Awaitable<void> Connection::WriteLoop(std::shared_ptr<Connection> self, uint64_t gen) {
  std::string buffer;
  while (self->gen_ == gen && !self->out_.empty()) {
    buffer.clear();
    buffer.swap(self->out_);
    // Every queued command's bytes are now in `buffer` (out_ holds exactly the unsent tail).
    for (auto it = self->inflight_.rbegin(); it != self->inflight_.rend() && !(*it)->sent; ++it) {
      (*it)->sent = true;
    }
    const std::array<asio::const_buffer, 1> bufs = {asio::buffer(buffer)};
    const boost::system::error_code ec = co_await fastio::WriteAll(self->socket_, bufs);
    if (self->gen_ != gen) {
      co_return;
    }
    if (ec) {
      self->Fail("write failed (" + ec.message() + ")");
      co_return;
    }
  }
  if (self->gen_ == gen) {
    self->writing_ = false;
  }
}

Awaitable<void> Connection::ReadLoop(std::shared_ptr<Connection> self, uint64_t gen) {
  boost::beast::flat_buffer buffer;
  for (;;) {
    const boost::system::error_code ec =
        co_await fastio::ReadSome(self->socket_, buffer, /*try_now=*/false, 16384);
    if (self->gen_ != gen) {
      co_return;
    }
    if (ec) {
      self->Fail(ec == asio::error::eof ? "connection closed by the server"
                                        : "read failed (" + ec.message() + ")");
      co_return;
    }
    const auto bytes = buffer.data();
    const int fed =
        redisReaderFeed(self->reader_, static_cast<const char*>(bytes.data()), bytes.size());
    buffer.consume(bytes.size());
    if (fed != REDIS_OK) {
      self->Fail("protocol error");
      co_return;
    }
    for (;;) {
      void* raw = nullptr;
      if (redisReaderGetReply(self->reader_, &raw) != REDIS_OK) {
        self->Fail("protocol error");
        co_return;
      }
      if (raw == nullptr) {
        break;
      }
      RedisReply reply = Convert(static_cast<redisReply*>(raw));
      freeReplyObject(raw);
      if (self->inflight_.empty()) {
        self->Fail("unexpected reply");
        co_return;
      }
      std::shared_ptr<Pending> p = std::move(self->inflight_.front());
      self->inflight_.pop_front();
      if (p->handshake && reply.is_error()) {
        // Never echo the server's text for AUTH: it is harmless, but keep messages uniform.
        self->Fail("AUTH or SELECT refused");
        co_return;
      }
      p->Complete(std::move(reply));
    }
  }
}

// The connections of one io_context, one per RedisClient. Shut down with the io_context.
class ConnectionRegistry : public asio::execution_context::service {
 public:
  using key_type = ConnectionRegistry;  // NOLINT(readability-identifier-naming): Asio's name
  static inline asio::execution_context::id id;  // NOLINT(readability-identifier-naming)

  explicit ConnectionRegistry(asio::execution_context& ctx) : service(ctx) {}

  std::shared_ptr<Connection> Get(uint64_t client_id, const asio::any_io_executor& ex,
                                  const std::shared_ptr<const RedisOptions>& options) {
    const std::scoped_lock lock(mu_);
    auto& conn = connections_[client_id];
    if (!conn) {
      conn = std::make_shared<Connection>(ex, options);
    }
    return conn;
  }

 private:
  void shutdown() override {
    std::unordered_map<uint64_t, std::shared_ptr<Connection>> connections;
    {
      const std::scoped_lock lock(mu_);
      connections.swap(connections_);
    }
    for (auto& [id, conn] : connections) {
      conn->Shutdown();
    }
  }

  std::mutex mu_;
  std::unordered_map<uint64_t, std::shared_ptr<Connection>> connections_;
};

struct CacheEntry {
  uint64_t client_id = 0;
  asio::execution_context* ctx = nullptr;
  std::weak_ptr<Connection> conn;
};
thread_local std::array<CacheEntry, 4> tls_cache;
thread_local size_t tls_next = 0;

std::shared_ptr<Connection> ConnectionFor(uint64_t client_id, const asio::any_io_executor& ex,
                                          const std::shared_ptr<const RedisOptions>& options) {
  asio::execution_context* ctx = &ex.context();
  for (CacheEntry& e : tls_cache) {
    if (e.client_id == client_id && e.ctx == ctx) {
      if (auto conn = e.conn.lock()) {
        return conn;
      }
    }
  }
  auto conn = asio::use_service<ConnectionRegistry>(*ctx).Get(client_id, ex, options);
  CacheEntry& slot = tls_cache[tls_next++ % tls_cache.size()];
  slot = CacheEntry{client_id, ctx, conn};
  return conn;
}

std::atomic<uint64_t> next_client_id{1};

}  // namespace

RedisClient::RedisClient(RedisOptions options)
    : shared_(std::make_shared<const RedisOptions>(std::move(options))), id_(next_client_id++) {}

RedisClient::~RedisClient() = default;

Awaitable<Result<RedisReply>> RedisClient::Command(std::vector<std::string> args) {
  const asio::any_io_executor ex = co_await asio::this_coro::executor;
  std::shared_ptr<Connection> conn = ConnectionFor(id_, ex, shared_);
  co_return co_await Connection::Run(std::move(conn), std::move(args));
}

// ---- The blocking client -----------------------------------------------------------------------

RedisBlocking::RedisBlocking(RedisOptions options) : options_(std::move(options)) {}

RedisBlocking::~RedisBlocking() {
  Close();
}

RedisBlocking::RedisBlocking(RedisBlocking&& other) noexcept
    : options_(std::move(other.options_)), ctx_(std::exchange(other.ctx_, nullptr)) {}

RedisBlocking& RedisBlocking::operator=(RedisBlocking&& other) noexcept {
  if (this != &other) {
    Close();
    options_ = std::move(other.options_);
    ctx_ = std::exchange(other.ctx_, nullptr);
  }
  return *this;
}

void RedisBlocking::Close() {
  if (ctx_ != nullptr) {
    redisFree(ctx_);
    ctx_ = nullptr;
  }
}

namespace {
timeval ToTimeval(std::chrono::milliseconds ms) {
  timeval tv{};
  tv.tv_sec = static_cast<time_t>(ms.count() / 1000);
  tv.tv_usec = static_cast<suseconds_t>((ms.count() % 1000) * 1000);
  return tv;
}
}  // namespace

Error RedisBlocking::Fail(const char* what) {
  std::string message = "redis at " + options_.endpoint.Printable() + ": " + what;
  if (ctx_ != nullptr && ctx_->err != 0) {
    message += " (" + std::string(ctx_->errstr) + ")";
  }
  Close();
  return {ErrorKind::kUnavailable, std::move(message), "redis_unavailable"};
}

Status RedisBlocking::Connect() {
  const RedisEndpoint& ep = options_.endpoint;
  ctx_ = redisConnectWithTimeout(ep.host.c_str(), ep.port, ToTimeval(options_.connect_timeout));
  if (ctx_ == nullptr || ctx_->err != 0) {
    return Fail("cannot connect");
  }
  redisSetTimeout(ctx_, ToTimeval(std::max(options_.timeout, options_.connect_timeout)));
  if (!ep.password.empty()) {
    auto* r = static_cast<redisReply*>(
        redisCommand(ctx_, "AUTH %b", ep.password.data(), ep.password.size()));
    const bool ok = r != nullptr && r->type != REDIS_REPLY_ERROR;
    if (r != nullptr) {
      freeReplyObject(r);
    }
    if (!ok) {
      return Fail("AUTH refused");
    }
  }
  if (ep.db != 0) {
    auto* r = static_cast<redisReply*>(redisCommand(ctx_, "SELECT %d", ep.db));
    const bool ok = r != nullptr && r->type != REDIS_REPLY_ERROR;
    if (r != nullptr) {
      freeReplyObject(r);
    }
    if (!ok) {
      return Fail("SELECT refused");
    }
  }
  return OkStatus();
}

Result<RedisReply> RedisBlocking::Command(std::initializer_list<std::string> args) {
  return Command(std::span<const std::string>(args.begin(), args.size()));
}

Result<RedisReply> RedisBlocking::Command(std::span<const std::string> args) {
  if (ctx_ == nullptr) {
    if (Status s = Connect(); !s) {
      return std::move(s).error();
    }
  }
  std::vector<const char*> argv;
  std::vector<size_t> lens;
  for (const std::string& a : args) {
    argv.push_back(a.data());
    lens.push_back(a.size());
  }
  void* raw = redisCommandArgv(ctx_, static_cast<int>(args.size()), argv.data(), lens.data());
  if (raw == nullptr) {
    return Fail("command failed");
  }
  RedisReply reply = Convert(static_cast<redisReply*>(raw));
  freeReplyObject(raw);
  return reply;
}

Status RedisBlocking::Send(std::span<const std::string> args) {
  if (ctx_ == nullptr) {
    if (Status s = Connect(); !s) {
      return s;
    }
  }
  std::vector<const char*> argv;
  std::vector<size_t> lens;
  for (const std::string& a : args) {
    argv.push_back(a.data());
    lens.push_back(a.size());
  }
  if (redisAppendCommandArgv(ctx_, static_cast<int>(args.size()), argv.data(), lens.data()) !=
      REDIS_OK) {
    return Fail("command failed");
  }
  int done = 0;
  while (done == 0) {
    if (redisBufferWrite(ctx_, &done) != REDIS_OK) {
      return Fail("write failed");
    }
  }
  return OkStatus();
}

Result<RedisBlocking::Received> RedisBlocking::Receive(std::chrono::milliseconds wait) {
  if (ctx_ == nullptr) {
    return Error(ErrorKind::kUnavailable, "redis: not connected", "redis_unavailable");
  }
  for (int round = 0; round < 2; ++round) {
    void* raw = nullptr;
    if (redisGetReplyFromReader(ctx_, &raw) != REDIS_OK) {
      return Fail("protocol error");
    }
    if (raw != nullptr) {
      Received got;
      got.reply = Convert(static_cast<redisReply*>(raw));
      freeReplyObject(raw);
      return got;
    }
    if (round == 1) {
      break;
    }
    pollfd pfd{};
    pfd.fd = ctx_->fd;
    pfd.events = POLLIN;
    const int n = ::poll(&pfd, 1, static_cast<int>(wait.count()));
    if (n == 0 || (n < 0 && errno == EINTR)) {
      return Received{.timed_out = true, .reply = {}};
    }
    if (n < 0 || redisBufferRead(ctx_) != REDIS_OK) {
      return Fail("connection lost");
    }
  }
  return Received{.timed_out = true, .reply = {}};
}

}  // namespace baton
