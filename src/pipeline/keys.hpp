// Virtual keys: how they are made and stored (a random secret shown once, kept only as its
// SHA-256), and the in-memory table the request path checks them against (issue 5; DESIGN.md
// §1.2: keys are served from a memory snapshot, never from the database on the hot path).
//
// A KeyTable is an immutable snapshot built from the store's key and team records; the app swaps
// in a new one when keys or teams change. Check() is the whole per-request key decision: unknown,
// expired or blocked key (own or team) → 401; a model outside the key's or its team's list → 403.
// Messages never contain the presented key (only its display prefix).
//
// Thread-safety: GenerateKey/HashKey are thread-safe; a built KeyTable is immutable and shared.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "core/error.hpp"
#include "store/store.hpp"

namespace baton {

struct GeneratedKey {
  std::string key;     // "sk-" + 43 base64url characters (256 random bits): shown once
  std::string hash;    // HashKey(key): what is stored
  std::string prefix;  // DisplayPrefix(key)
};

// A new key from the system's CSPRNG (OpenSSL RAND_bytes). Throws std::runtime_error only if the
// CSPRNG fails, which is not recoverable.
GeneratedKey GenerateKey();
// Lower-case hex SHA-256 of the key as presented.
std::string HashKey(std::string_view key);
// "sk-...ab12": enough to recognise a key in a list, useless to an attacker.
std::string DisplayPrefix(std::string_view key);

// What the request path knows of a key once it passed Check().
struct KeyContext {
  const KeyRecord* key = nullptr;
  const TeamRecord* team = nullptr;  // null when the key has no team
};

class KeyTable {
 public:
  // Teams a key names but that are missing are treated as blocking (a key must not outlive its
  // team's policy).
  static std::shared_ptr<const KeyTable> Build(std::vector<KeyRecord> keys,
                                               std::vector<TeamRecord> teams);

  std::size_t size() const { return keys_.size(); }
  const std::vector<KeyRecord>& keys() const { return keys_; }
  const std::vector<TeamRecord>& teams() const { return teams_; }
  const KeyRecord* FindByHash(std::string_view hash) const;

  // The decision for one request presenting `presented` for `model` at `now_unix` seconds.
  // kUnauthorized (invalid_api_key / key_expired / key_blocked / team_blocked) or kForbidden
  // (model_not_allowed, param "model"). An empty `model` skips the model check (model lists).
  Result<KeyContext> Check(std::string_view presented, std::string_view model,
                           int64_t now_unix) const;

 private:
  std::vector<KeyRecord> keys_;
  std::vector<TeamRecord> teams_;
  std::unordered_map<std::string, std::size_t> by_hash_;  // into keys_
  std::unordered_map<std::string, std::size_t> team_of_;  // team_id → teams_
};

// Whether a model list allows `model` (empty = all; an entry equals the model, or is "*", or
// "provider/*" matching "provider/anything").
bool ModelAllowed(const std::vector<std::string>& allowed, std::string_view model);

}  // namespace baton
