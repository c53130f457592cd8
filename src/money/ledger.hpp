// Budget accounts that requests reserve against before they leave and settle when they end
// (DESIGN.md §5): the in-process implementation of the budget half of the Counters seam. A Redis
// implementation (atomic scripts) takes its place when several instances share budgets.
//
// Each account (a key's, a team's, a zone's, the global daily budget) holds one number, the
// committed amount = settled spend + open reservations, and its limit. Reserve() adds the
// worst-case cost to every account a request is subject to, all or nothing, and refuses when any
// account would go past its limit: so committed never exceeds a limit through reservations, under
// any concurrency, and the sum of settled spend stays within the budget as long as no request
// costs more than it reserved. Settle() replaces a reservation by the real cost; Release() drops
// it (nothing was spent).
//
// Thread-safety: all members are safe to call from any thread; an account's committed amount is
// one atomic updated with compare-and-swap. Accounts are created under a mutex (first use only).
// Lifetime: the ledger owns its accounts; pointers from Account() stay valid for its lifetime.
// Reservations must not outlive the ledger.
#pragma once

#include <atomic>
#include <map>
#include <memory>
#include <mutex>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/error.hpp"
#include "money/money.hpp"

namespace baton {

class BudgetAccount {
 public:
  BudgetAccount(std::string scope, Money limit) : scope_(std::move(scope)), limit_(limit) {}
  const std::string& scope() const { return scope_; }  // e.g. "key:9f86d0…", "team:research"
  Money limit() const { return limit_.load(std::memory_order_relaxed); }
  // A new limit (key or team updated); takes effect for the next reservation.
  void set_limit(Money limit) { limit_.store(limit, std::memory_order_relaxed); }
  // Settled spend plus open reservations.
  Money committed() const { return committed_.load(std::memory_order_relaxed); }
  // Settled spend only.
  Money spent() const { return spent_.load(std::memory_order_relaxed); }

 private:
  friend class BudgetLedger;
  friend class BudgetReservation;
  std::string scope_;
  std::atomic<Money> limit_;
  std::atomic<Money> committed_{0};
  std::atomic<Money> spent_{0};
};

// One request's hold on its accounts. Move-only; a reservation dropped without Settle() is
// released (the request never reached an upstream).
class BudgetReservation {
 public:
  BudgetReservation() = default;
  BudgetReservation(BudgetReservation&& other) noexcept;
  BudgetReservation& operator=(BudgetReservation&& other) noexcept;
  BudgetReservation(const BudgetReservation&) = delete;
  BudgetReservation& operator=(const BudgetReservation&) = delete;
  ~BudgetReservation();

  Money amount() const { return amount_; }
  bool active() const { return !accounts_.empty(); }
  // Replaces the reservation by `actual` on every account (spend += actual). `actual` may exceed
  // the reserved amount (an estimate that was too low): spend is what it is.
  void Settle(Money actual);
  // Gives the reservation back (nothing spent).
  void Release();

 private:
  friend class BudgetLedger;
  std::vector<BudgetAccount*> accounts_;
  Money amount_ = 0;
};

class BudgetLedger {
 public:
  // The account for a scope, created with `limit` on first use (a limit <= 0 or kMoneyMax means
  // no limit: reservations always succeed, spend is still counted).
  BudgetAccount& Account(std::string_view scope, Money limit);
  // Reserves `amount` on every account, all or nothing. kRateLimited (code "budget_exceeded",
  // message naming the scope and its limit in USD) when one would go past its limit; then no
  // account keeps anything.
  static Result<BudgetReservation> Reserve(std::span<BudgetAccount* const> accounts, Money amount);
  // Sets an account's settled spend back to 0 (a budget period ended); open reservations stay.
  static void ResetSpend(BudgetAccount& account);

 private:
  std::mutex mu_;
  std::map<std::string, std::unique_ptr<BudgetAccount>, std::less<>> accounts_;
};

}  // namespace baton
