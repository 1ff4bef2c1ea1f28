#include "modules/intake/batch_keys.hpp"

#include <cstring>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

namespace dd::intake {
namespace {

constexpr size_t kKeysPerChunk = 32768;  // 256 KB blobs

void AppendKeys(std::string_view blob, IntSet* out) {
  for (size_t i = 0; i + 8 <= blob.size(); i += 8) {
    uint64_t u = 0;
    for (int b = 7; b >= 0; --b) u = (u << 8) | static_cast<unsigned char>(blob[i + b]);
    out->Insert(static_cast<int64_t>(u));
  }
}

}  // namespace

Status StoreBatchKeys(db::Connection& conn, int64_t batch_id, const std::vector<int64_t>& keys) {
  DD_RETURN_IF_ERROR(conn.Exec("DELETE FROM batch_phone_keys WHERE batch_id = ?", {batch_id}));
  std::string blob;
  for (size_t i = 0; i < keys.size(); i += kKeysPerChunk) {
    const size_t n = std::min(kKeysPerChunk, keys.size() - i);
    blob.resize(n * 8);
    for (size_t k = 0; k < n; ++k) {
      uint64_t u = static_cast<uint64_t>(keys[i + k]);
      for (int b = 0; b < 8; ++b) blob[k * 8 + b] = static_cast<char>((u >> (8 * b)) & 0xff);
    }
    DD_RETURN_IF_ERROR(conn.Exec("INSERT INTO batch_phone_keys (batch_id, keys) VALUES (?, ?)",
                                 {batch_id, db::Value::Blob(blob)}));
  }
  DD_RETURN_IF_ERROR(conn.Exec("UPDATE batches SET phone_keys_built = 1 WHERE id = ?", {batch_id}));
  return {};
}

Status RebuildStaleBatchKeys(db::Connection& conn) {
  DD_ASSIGN_OR_RETURN(auto stale, conn.Query("SELECT id FROM batches WHERE phone_keys_built = 0"));
  for (const auto& b : stale) {
    DD_ASSIGN_OR_RETURN(auto rows, conn.Query("SELECT phone_key FROM leads WHERE batch_id = ? AND "
                                              "phone_key IS NOT NULL",
                                              {b.Int(0)}));
    std::vector<int64_t> keys;
    keys.reserve(rows.size());
    for (const auto& r : rows) keys.push_back(r.Int(0));
    DD_RETURN_IF_ERROR(StoreBatchKeys(conn, b.Int(0), keys));
  }
  return {};
}

Result<IntSet> LoadBatchKeys(db::Connection& conn, int64_t since) {
  DD_RETURN_IF_ERROR(RebuildStaleBatchKeys(conn));
  constexpr const char* kScope = "SELECT id FROM batches WHERE created_at >= ?";
  DD_ASSIGN_OR_RETURN(auto total,
                      conn.QueryOne(std::string("SELECT COALESCE(SUM(length(keys)), 0) / 8 FROM "
                                                "batch_phone_keys WHERE batch_id IN (") +
                                        kScope + ")",
                                    {since}));
  IntSet set(total ? static_cast<size_t>(total->Int(0)) : 0);
  DD_ASSIGN_OR_RETURN(auto chunks, conn.Query(std::string("SELECT keys FROM batch_phone_keys WHERE "
                                                          "batch_id IN (") +
                                                  kScope + ")",
                                              {since}));
  for (const auto& c : chunks) AppendKeys(c.Text(0), &set);
  return set;
}

Status MarkBatchKeysStale(db::Connection& conn, const std::vector<int64_t>& batch_ids) {
  if (batch_ids.empty()) return {};
  DD_RETURN_IF_ERROR(conn.Exec(
      "UPDATE batches SET phone_keys_built = 0 WHERE id IN (SELECT value FROM json_each(?))",
      {nlohmann::json(batch_ids).dump()}));
  return {};
}

Status MarkAllBatchKeysStale(db::Connection& conn) {
  DD_RETURN_IF_ERROR(conn.Exec("UPDATE batches SET phone_keys_built = 0"));
  return {};
}

}  // namespace dd::intake
