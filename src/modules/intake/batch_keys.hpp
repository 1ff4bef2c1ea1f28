// The set of numbers each batch holds, as the vault's blind-index keys
// (migration 0008): what the import's duplicate check loads instead of
// reading an index on leads.phone_key. Each batch's keys are packed into
// BLOB chunks of little-endian int64, written once at the end of its
// import. A batch whose chunks are missing or stale (phone_keys_built = 0:
// older batches, after a purge, after a re-key) is rebuilt from its leads
// the next time the set is loaded. All calls run inside the caller's
// write transaction.
#pragma once

#include <cstdint>
#include <vector>

#include "core/int_set.hpp"
#include "core/result.hpp"
#include "db/database.hpp"

namespace dd::intake {

// Replaces the batch's chunks with `keys` and marks it built.
Status StoreBatchKeys(db::Connection& conn, int64_t batch_id, const std::vector<int64_t>& keys);

// Rebuilds the chunks of every batch not marked built, from its leads.
Status RebuildStaleBatchKeys(db::Connection& conn);

// The keys of the batches created at or after `since` (0: all of them),
// after rebuilding stale ones.
Result<IntSet> LoadBatchKeys(db::Connection& conn, int64_t since);

// Marks batches stale: the given ones (after some of their leads were
// purged), or all of them (after the blind-index key changed).
Status MarkBatchKeysStale(db::Connection& conn, const std::vector<int64_t>& batch_ids);
Status MarkAllBatchKeysStale(db::Connection& conn);

}  // namespace dd::intake
