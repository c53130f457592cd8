// Why it looks like this:
// - one atomic per account, updated with compare-and-swap, is the whole of the exactness: a
//   reservation only lands if committed + amount <= limit held at the instant it landed, so no
//   interleaving of concurrent requests can overshoot;
// - several accounts are reserved one after the other and rolled back on the first refusal. A
//   request may then briefly hold an amount on an early account and be refused on a later one,
//   which can make a concurrent request on that early account fail too: the error is always on
//   the side of refusing, never of overspending.
#include "money/ledger.hpp"

#include <algorithm>
#include <utility>

namespace baton {

namespace {

bool Unlimited(Money limit) {
  return limit <= 0 || limit == kMoneyMax;
}

// Adds `delta` to `value` (saturating, so a runaway sum clamps instead of wrapping).
void AtomicAdd(std::atomic<Money>& value, Money delta) {
  Money seen = value.load(std::memory_order_relaxed);
  while (!value.compare_exchange_weak(seen, SaturatingAdd(seen, delta), std::memory_order_acq_rel,
                                      std::memory_order_relaxed)) {
  }
}

}  // namespace

BudgetReservation::BudgetReservation(BudgetReservation&& other) noexcept
    : accounts_(std::exchange(other.accounts_, {})), amount_(other.amount_) {}

BudgetReservation& BudgetReservation::operator=(BudgetReservation&& other) noexcept {
  if (this != &other) {
    Release();
    accounts_ = std::exchange(other.accounts_, {});
    amount_ = other.amount_;
  }
  return *this;
}

BudgetReservation::~BudgetReservation() {
  Release();
}

void BudgetReservation::Settle(Money actual) {
  actual = std::max<Money>(actual, 0);
  for (BudgetAccount* account : accounts_) {
    AtomicAdd(account->committed_, actual - amount_);
    AtomicAdd(account->spent_, actual);
  }
  accounts_.clear();
}

void BudgetReservation::Release() {
  for (BudgetAccount* account : accounts_) {
    AtomicAdd(account->committed_, -amount_);
  }
  accounts_.clear();
}

BudgetAccount& BudgetLedger::Account(std::string_view scope, Money limit) {
  std::lock_guard lock(mu_);
  auto it = accounts_.find(scope);
  if (it == accounts_.end()) {
    it =
        accounts_
            .emplace(std::string(scope), std::make_unique<BudgetAccount>(std::string(scope), limit))
            .first;
  }
  return *it->second;
}

Result<BudgetReservation> BudgetLedger::Reserve(std::span<BudgetAccount* const> accounts,
                                                Money amount) {
  amount = std::max<Money>(amount, 0);
  BudgetReservation reservation;
  reservation.amount_ = amount;
  reservation.accounts_.reserve(accounts.size());
  for (BudgetAccount* account : accounts) {
    const Money limit = account->limit();
    Money seen = account->committed_.load(std::memory_order_relaxed);
    for (;;) {
      const Money next = SaturatingAdd(seen, amount);
      if (!Unlimited(limit) && next > limit) {
        std::string message = "budget exceeded for " + account->scope() + ": limit " +
                              ToUsdString(limit) + " USD, already committed " + ToUsdString(seen) +
                              " USD, this request may cost up to " + ToUsdString(amount) + " USD";
        reservation.Release();  // all or nothing
        return Error(ErrorKind::kRateLimited, std::move(message), "budget_exceeded");
      }
      if (account->committed_.compare_exchange_weak(seen, next, std::memory_order_acq_rel,
                                                    std::memory_order_relaxed)) {
        break;
      }
    }
    reservation.accounts_.push_back(account);
  }
  return reservation;
}

void BudgetLedger::ResetSpend(BudgetAccount& account) {
  const Money spent = account.spent_.exchange(0, std::memory_order_acq_rel);
  AtomicAdd(account.committed_, -spent);
}

}  // namespace baton
