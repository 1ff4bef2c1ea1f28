// The append-only, hash-chained audit trail.
//
// Each row's hash is SHA-256 over the previous row's hash and the row's own
// content (ComputeAuditHash), and ids are contiguous, so editing, deleting or
// inserting a row anywhere breaks Verify(). Append() must run inside the
// caller's write transaction, so the audited change and its entry commit or
// vanish together. Thread-safe: holds no state but the clock.
#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "core/auth.hpp"
#include "core/clock.hpp"
#include "core/result.hpp"
#include "db/database.hpp"

namespace dd::audit {

struct Entry {
  std::optional<int64_t> actor_id;
  std::string actor;   // username, or "cli:root", or "system"
  std::string action;  // "login", "user.create", ...
  std::string target;  // "user:12", "department:SALES", ...
  std::string ip;
  nlohmann::json detail = nlohmann::json::object();

  // An entry by `a` (user id, name and address taken from it).
  static Entry By(const Actor& a, std::string action, std::string target,
                  nlohmann::json detail = nlohmann::json::object());
};

struct StoredEntry {
  int64_t id = 0;
  int64_t at = 0;
  std::optional<int64_t> actor_id;
  std::string actor, action, target, ip, detail, prev_hash, hash;
};

// The chain hash of one row. Fields are length-prefixed, so no two different
// rows hash the same input.
std::string ComputeAuditHash(const StoredEntry& e);

struct VerifyReport {
  bool ok = true;
  int64_t checked = 0;
  std::optional<int64_t> first_broken_id;
  std::string problem;  // "hash_mismatch", "missing_row", "chain_break", "tail_deleted"
};

struct ListFilter {
  int limit = 50;
  std::optional<int64_t> before_id;
  std::string action;  // prefix match, "" for all
  std::string actor;   // exact, "" for all
  std::string target;  // exact ("lead:12"); ending in ':' or '*' a prefix ("lead:"); "" for all
  std::optional<int64_t> from;  // at >= from (Unix seconds)
  std::optional<int64_t> to;    // at < to
};

class AuditLog {
 public:
  // With `keep_head`, for an instance used by one thread for one write
  // transaction at a time (the desk's journal, thousands of entries at
  // once): Append reads the chain's head from the database once, then keeps
  // it; ForgetHead() when that transaction ends or is rolled back.
  explicit AuditLog(const Clock& clock, bool keep_head = false)
      : keep_head_(keep_head), clock_(clock) {}

  // Appends `e`; call inside a write transaction on `conn`.
  Status Append(db::Connection& conn, const Entry& e) const;
  void ForgetHead() const { head_.reset(); }

  // Walks the whole chain in id order.
  Result<VerifyReport> Verify(db::Connection& conn) const;

  // Newest first.
  Result<std::vector<StoredEntry>> List(db::Connection& conn, const ListFilter& f) const;

 private:
  struct Head {
    int64_t id;
    std::string hash;
  };
  const bool keep_head_;
  mutable std::optional<Head> head_;
  const Clock& clock_;
};

}  // namespace dd::audit
