#include "modules/lifecycle/lifecycle_service.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>

#include "testing/test_db.hpp"

namespace dd::lifecycle {
namespace {

using nlohmann::json;

// ---------------------------------------------------------------- parsing

TEST(LifecycleParseTest, Days) {
  struct Case {
    const char* text;
    std::optional<int64_t> want;
  };
  const Case cases[] = {
      {"2026-11-23", 1795392000 - 8 * 3600},  // 2026-11-23T00:00+08:00
      {"1970-01-02", 86400 - 8 * 3600},
      {"2024-02-29", 1709164800 - 8 * 3600},  // a leap day
      {"2023-02-29", std::nullopt},           // not a leap year
      {"2100-02-29", std::nullopt},           // centuries are not, unless /400
      {"2000-02-29", 951782400 - 8 * 3600},
      {"2026-04-31", std::nullopt},
      {"2026-13-01", std::nullopt},
      {"2026-00-10", std::nullopt},
      {"2026-1-5", std::nullopt},
      {"2026/11/23", std::nullopt},
      {"2026-11-23T00:00", std::nullopt},
      {" 2026-11-23", std::nullopt},
      {"", std::nullopt},
      {"1969-12-31", std::nullopt},
      {"２０２６-11-23", std::nullopt},
  };
  for (const auto& c : cases) EXPECT_EQ(ParseDay(c.text), c.want) << c.text;
}

TEST(LifecycleParseTest, DeleteAllConfirmation) {
  EXPECT_TRUE(IsDeleteAllConfirmation("DELETE ALL"));
  EXPECT_TRUE(IsDeleteAllConfirmation("  DELETE ALL "));
  EXPECT_TRUE(IsDeleteAllConfirmation("删除全部线索"));
  EXPECT_FALSE(IsDeleteAllConfirmation("delete all"));
  EXPECT_FALSE(IsDeleteAllConfirmation("DELETE"));
  EXPECT_FALSE(IsDeleteAllConfirmation(""));
  EXPECT_FALSE(IsDeleteAllConfirmation("删除全部"));
}

std::string Reason(const json& body) {
  auto r = ParseDeleteRequest(body);
  return r.ok() ? "ok" : r.error().reason;
}

TEST(LifecycleParseTest, DeleteRequestNeedsExactlyOneSelector) {
  EXPECT_EQ(Reason(json::object()), "one_selector_required");
  EXPECT_EQ(Reason({{"all", false}}), "one_selector_required");
  EXPECT_EQ(Reason({{"lead_ids", {1}}, {"batch_id", 2}}), "one_selector_required");
  EXPECT_EQ(Reason({{"batch_id", 2}, {"created_from", "2026-01-01"}}), "one_selector_required");
  EXPECT_EQ(Reason({{"lead_ids", nullptr}, {"batch_id", 2}}), "ok");
  EXPECT_EQ(Reason({{"all", "yes"}}), "invalid_field");
}

TEST(LifecycleParseTest, DeleteRequestIds) {
  auto r = ParseDeleteRequest({{"lead_ids", {5, 3, 5, 9}}});
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->kind, Selection::Kind::kIds);
  EXPECT_EQ(r->ids, (std::vector<int64_t>{3, 5, 9}));
  EXPECT_EQ(Reason({{"lead_ids", json::array()}}), "invalid_field");
  EXPECT_EQ(Reason({{"lead_ids", {1, -2}}}), "invalid_field");
  EXPECT_EQ(Reason({{"lead_ids", {1, "2"}}}), "invalid_field");
  EXPECT_EQ(Reason({{"lead_ids", {1.5}}}), "invalid_field");
  EXPECT_EQ(Reason({{"lead_ids", 7}}), "invalid_field");
  EXPECT_EQ(Reason({{"lead_ids", std::vector<int64_t>(Selection::kMaxIds + 1, 1)}}),
            "invalid_field");
  EXPECT_EQ(Reason({{"batch_id", 0}}), "invalid_field");
  EXPECT_EQ(Reason({{"batch_id", "4"}}), "invalid_field");
  auto b = ParseDeleteRequest({{"batch_id", 4}});
  ASSERT_TRUE(b.ok());
  EXPECT_EQ(b->kind, Selection::Kind::kBatches);
  EXPECT_EQ(b->ids, (std::vector<int64_t>{4}));
}

TEST(LifecycleParseTest, DeleteRequestDates) {
  auto r = ParseDeleteRequest({{"created_from", "2026-11-01"}, {"created_to", "2026-11-30"}});
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->kind, Selection::Kind::kCreatedRange);
  EXPECT_EQ(r->from, *ParseDay("2026-11-01"));
  EXPECT_EQ(r->to, *ParseDay("2026-12-01"));  // the last day is included
  auto open_start = ParseDeleteRequest({{"created_to", "2026-11-30"}});
  ASSERT_TRUE(open_start.ok());
  EXPECT_EQ(open_start->from, Selection::kMinTime);
  auto one_day = ParseDeleteRequest({{"created_from", "2026-11-30"}, {"created_to", "2026-11-30"}});
  ASSERT_TRUE(one_day.ok());
  EXPECT_EQ(one_day->to - one_day->from, 86400);
  EXPECT_EQ(Reason({{"created_from", "2026-12-01"}, {"created_to", "2026-11-30"}}),
            "invalid_date_range");
  EXPECT_EQ(Reason({{"created_from", "yesterday"}}), "invalid_date");
  EXPECT_EQ(Reason({{"created_to", 20261130}}), "invalid_field");
}

TEST(LifecycleParseTest, DeleteEverythingNeedsTheTypedConfirmation) {
  EXPECT_EQ(Reason({{"all", true}}), "confirmation_required");
  EXPECT_EQ(Reason({{"all", true}, {"confirm", "yes"}}), "confirmation_required");
  EXPECT_EQ(Reason({{"all", true}, {"confirm", true}}), "invalid_field");
  EXPECT_EQ(Reason({{"all", true}, {"confirm", "DELETE ALL"}}), "ok");
  EXPECT_EQ(Reason({{"all", true}, {"confirm", "删除全部线索"}}), "ok");
}

TEST(LifecycleParseTest, BinRequest) {
  EXPECT_FALSE(ParseBinRequest(json::object()).ok());
  EXPECT_FALSE(ParseBinRequest({{"all", true}, {"lead_ids", {1}}}).ok());
  EXPECT_EQ(ParseBinRequest({{"all", false}}).error().reason, "bin_selector_required");
  EXPECT_EQ(ParseBinRequest({{"all", true}})->kind, Selection::Kind::kAll);
  EXPECT_EQ(ParseBinRequest({{"lead_ids", {2, 1}}})->ids, (std::vector<int64_t>{1, 2}));
}

// ---------------------------------------------------------------- the service

class LifecycleServiceTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { cleaner_ = new phone::PhoneCleaner("CN"); }
  static void TearDownTestSuite() {
    delete cleaner_;
    cleaner_ = nullptr;
  }

  void SetUp() override {
    dir_ = testdb::FreshDir("dd_life_");
    db_ = testdb::OpenDb(dir_);
    ASSERT_TRUE(db_);
    svc_ = std::make_unique<LifecycleService>(*db_, clock_, audit_, *cleaner_, vault_);
    // Two departments, an admin, a manager of SALES, an agent in SALES and one in OTHER.
    Exec(
        "INSERT INTO departments (id, code, name, created_at) VALUES (1, 'SALES', 'S', 0), "
        "(2, 'OTHER', 'O', 0)");
    Exec(
        "INSERT INTO users (id, username, display_name, role, department_id, password_hash, "
        "created_at, updated_at) VALUES (1, 'boss', 'Boss', 'admin', NULL, 'x', 0, 0), "
        "(2, 'mgr', 'Mgr', 'manager', 1, 'x', 0, 0), (3, 'a1', '张三', 'agent', 1, 'x', 0, 0), "
        "(4, 'a2', '李四', 'agent', 2, 'x', 0, 0)");
    admin_.user_id = 1;
    admin_.username = "boss";
    admin_.role = Role::kAdmin;
    manager_.user_id = 2;
    manager_.username = "mgr";
    manager_.role = Role::kManager;
    manager_.department_id = 1;
  }
  void TearDown() override {
    svc_.reset();
    db_.reset();
    std::filesystem::remove_all(dir_);
  }

  void Exec(const std::string& sql, const db::Params& p = {}) {
    auto conn = db_->Acquire();
    ASSERT_TRUE(conn.ok());
    auto r = (*conn)->Exec(sql, p);
    ASSERT_TRUE(r.ok()) << sql << ": " << r.error().internal;
  }
  int64_t Int(const std::string& sql, const db::Params& p = {}) {
    auto conn = db_->Acquire();
    auto row = (*conn)->QueryOne(sql, p);
    EXPECT_TRUE(row.ok() && *row) << sql;
    return row.ok() && *row ? (*row)->Int(0) : -1;
  }
  std::string Text(const std::string& sql, const db::Params& p = {}) {
    auto conn = db_->Acquire();
    auto row = (*conn)->QueryOne(sql, p);
    return row.ok() && *row ? (*row)->Text(0) : "";
  }

  // A batch imported at `at` with `n` leads (numbers 1380000xxxx); returns its id.
  int64_t AddBatch(int n, int64_t at, std::optional<int64_t> retention = std::nullopt) {
    auto conn = db_->Acquire();
    auto b = (*conn)->QueryOne(
        "INSERT INTO batches (name, created_at, retention_days, report) VALUES (?, ?, ?, ?) "
        "RETURNING id",
        {"batch", at, retention, R"({"samples":[{"row":3,"name":"王五","phone":"139****0000"}]})"});
    const int64_t id = (*b)->Int(0);
    for (int i = 0; i < n; ++i) {
      char phone[32];
      std::snprintf(phone, sizeof phone, "+86138%08lld", static_cast<long long>(next_phone_++));
      EXPECT_TRUE((*conn)
                      ->Exec("INSERT INTO leads (batch_id, phone, name, created_at) VALUES (?, "
                             "?, ?, ?)",
                             {id, phone, "客户" + std::to_string(i), at})
                      .ok());
    }
    EXPECT_TRUE((*conn)
                    ->Exec("INSERT INTO import_rejects (batch_id, source_row, bucket, "
                           "phone_masked, expires_at) VALUES (?, 3, 'invalid', '139****0000', ?)",
                           {id, clock_.Now() + 86400})
                    .ok());
    return id;
  }
  std::vector<int64_t> LeadIds(int64_t batch) {
    auto conn = db_->Acquire();
    auto rows = (*conn)->Query("SELECT id FROM leads WHERE batch_id = ? ORDER BY id", {batch});
    std::vector<int64_t> out;
    for (const auto& r : *rows) out.push_back(r.Int(0));
    return out;
  }
  json LastAudit() {
    auto conn = db_->Acquire();
    audit::ListFilter f;
    f.limit = 1;
    auto e = audit_.List(**conn, f);
    EXPECT_TRUE(e.ok() && !e->empty());
    json j = json::parse(e->front().detail);
    j["_action"] = e->front().action;
    j["_actor"] = e->front().actor;
    return j;
  }
  bool ChainIntact() {
    auto conn = db_->Acquire();
    auto r = audit_.Verify(**conn);
    return r.ok() && r->ok;
  }

  static Selection Batch(int64_t id) {
    Selection s;
    s.kind = Selection::Kind::kBatches;
    s.ids = {id};
    return s;
  }
  static Selection Ids(std::vector<int64_t> ids) {
    Selection s;
    s.kind = Selection::Kind::kIds;
    s.ids = std::move(ids);
    return s;
  }
  static Selection All() {
    Selection s;
    s.kind = Selection::Kind::kAll;
    return s;
  }

  static phone::PhoneCleaner* cleaner_;
  std::filesystem::path dir_;
  std::unique_ptr<db::Database> db_;
  ManualClock clock_{1'800'000'000};
  audit::AuditLog audit_{clock_};
  vault::Vault vault_ = vault::Vault::Plain(std::string(vault::kIndexKeyBytes, 'k'));
  std::unique_ptr<LifecycleService> svc_;
  Actor admin_, manager_;
  int64_t next_phone_ = 12345678;
};
phone::PhoneCleaner* LifecycleServiceTest::cleaner_ = nullptr;

TEST_F(LifecycleServiceTest, DeleteABatchToTheBinListRestoreAndClear) {
  const int64_t b = AddBatch(3, clock_.Now());
  const int64_t other = AddBatch(2, clock_.Now());
  const auto ids = LeadIds(b);
  // One lead is queued for an agent and on the desk, one is a prospect.
  Exec("UPDATE leads SET owner_id = 3, status = 'assigned', current_agent_id = 3 WHERE id = ?",
       {ids[0]});
  Exec("UPDATE leads SET owner_id = 3, status = 'prospect' WHERE id = ?", {ids[1]});
  Exec("INSERT INTO call_log (lead_id, agent_id, shown_at) VALUES (?, 3, 1)", {ids[0]});

  auto del = svc_->Delete(admin_, Batch(b));
  ASSERT_TRUE(del.ok()) << del.error().reason;
  EXPECT_EQ((*del)["deleted"], 3);
  EXPECT_EQ(Int("SELECT COUNT(*) FROM leads WHERE status = 'deleted'"), 3);
  EXPECT_EQ(Int("SELECT COUNT(*) FROM leads WHERE current_agent_id IS NOT NULL"), 0);
  EXPECT_EQ(Int("SELECT COUNT(*) FROM leads WHERE batch_id = ? AND status = 'new'", {other}), 2);
  json a = LastAudit();
  EXPECT_EQ(a["_action"], "leads.delete");
  EXPECT_EQ(a["deleted"], 3);
  EXPECT_EQ(a["batch_ids"], json({b}));

  // Deleting again finds nothing left to delete.
  EXPECT_EQ((*svc_->Delete(admin_, Batch(b)))["deleted"], 0);

  auto bin = svc_->ListBin(BinQuery{});
  ASSERT_TRUE(bin.ok());
  EXPECT_EQ((*bin)["total"], 3);
  ASSERT_EQ((*bin)["items"].size(), 3u);
  const json& first = (*bin)["items"][0];
  EXPECT_EQ(first["phone_masked"].get<std::string>().size(), 11u);
  EXPECT_NE(first["phone_masked"].get<std::string>().find("****"), std::string::npos);
  EXPECT_EQ(first.dump().find("+86"), std::string::npos) << "no full number in the bin list";
  EXPECT_EQ(first["deleted_by"], "boss");
  EXPECT_EQ(first["batch_id"], b);
  // Paging.
  BinQuery q;
  q.page = 2;
  q.page_size = 2;
  EXPECT_EQ((*svc_->ListBin(q))["items"].size(), 1u);

  // Restore one: it goes back as it was (queued for its agent).
  auto res = svc_->Restore(admin_, Ids({ids[0]}));
  ASSERT_TRUE(res.ok());
  EXPECT_EQ((*res)["restored"], 1);
  EXPECT_EQ(Text("SELECT status FROM leads WHERE id = ?", {ids[0]}), "assigned");
  EXPECT_EQ(Int("SELECT owner_id FROM leads WHERE id = ?", {ids[0]}), 3);
  EXPECT_EQ(Int("SELECT deleted_at IS NULL AND status_before_delete IS NULL FROM leads WHERE id "
                "= ?",
                {ids[0]}),
            1);
  // Restoring it again is refused and changes nothing.
  auto again = svc_->Restore(admin_, Ids({ids[0], ids[1]}));
  ASSERT_FALSE(again.ok());
  EXPECT_EQ(again.error().reason, "bin_leads_not_found");
  EXPECT_EQ(Text("SELECT status FROM leads WHERE id = ?", {ids[1]}), "deleted");

  // Clear the rest for good: the batch keeps the restored lead, so it stays.
  auto cleared = svc_->ClearBin(admin_, All());
  ASSERT_TRUE(cleared.ok());
  EXPECT_EQ(cleared->leads, 2);
  EXPECT_EQ(cleared->batches, 0);
  EXPECT_TRUE(cleared->vacuumed);
  EXPECT_EQ(Int("SELECT COUNT(*) FROM leads WHERE batch_id = ?", {b}), 1);
  EXPECT_EQ(Int("SELECT COUNT(*) FROM call_log"), 1);  // the restored lead's

  // Delete and clear the last one: now the batch and its rejected rows go too.
  ASSERT_TRUE(svc_->Delete(admin_, Ids({ids[0]})).ok());
  auto last = svc_->ClearBin(admin_, Ids({ids[0]}));
  ASSERT_TRUE(last.ok());
  EXPECT_EQ(last->leads, 1);
  EXPECT_EQ(last->call_log, 1);
  EXPECT_EQ(last->batches, 1);
  EXPECT_EQ(last->import_rejects, 1);
  EXPECT_EQ(Int("SELECT COUNT(*) FROM batches WHERE id = ?", {b}), 0);
  EXPECT_EQ(Int("SELECT COUNT(*) FROM batches WHERE id = ?", {other}), 1);
  EXPECT_EQ(LastAudit()["_action"], "recycle_bin.purge");
  EXPECT_TRUE(ChainIntact());
}

TEST_F(LifecycleServiceTest, UnknownIdsChangeNothing) {
  const int64_t b = AddBatch(2, clock_.Now());
  const auto ids = LeadIds(b);
  auto r = svc_->Delete(admin_, Ids({ids[0], 999999}));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().reason, "leads_not_found");
  EXPECT_EQ(r.error().args.at("count"), "1");
  EXPECT_EQ(Int("SELECT COUNT(*) FROM leads WHERE status = 'deleted'"), 0);
  auto nb = svc_->Delete(admin_, Batch(424242));
  ASSERT_FALSE(nb.ok());
  EXPECT_EQ(nb.error().code, ErrorCode::kNotFound);
  auto cb = svc_->ClearBin(admin_, Ids({ids[0]}));
  ASSERT_FALSE(cb.ok());
  EXPECT_EQ(cb.error().reason, "bin_leads_not_found");
  EXPECT_EQ(Int("SELECT COUNT(*) FROM leads"), 2);
}

TEST_F(LifecycleServiceTest, ManagersDeleteOnlyThePoolAndTheirTeamsLeads) {
  const int64_t b = AddBatch(3, clock_.Now());
  const auto ids = LeadIds(b);
  Exec("UPDATE leads SET owner_id = 3, status = 'assigned' WHERE id = ?", {ids[0]});  // SALES
  Exec("UPDATE leads SET owner_id = 4, status = 'assigned' WHERE id = ?", {ids[1]});  // OTHER
  auto one = svc_->Delete(manager_, Ids({ids[1]}));
  ASSERT_FALSE(one.ok());
  EXPECT_EQ(one.error().reason, "leads_not_found");
  auto r = svc_->Delete(manager_, Batch(b));
  ASSERT_TRUE(r.ok());
  EXPECT_EQ((*r)["deleted"], 2);
  EXPECT_EQ((*r)["out_of_scope"], 1);
  EXPECT_EQ(Text("SELECT status FROM leads WHERE id = ?", {ids[1]}), "assigned");
  auto all = svc_->Delete(manager_, All());
  ASSERT_FALSE(all.ok());
  EXPECT_EQ(all.error().code, ErrorCode::kPermissionDenied);
  EXPECT_EQ(all.error().reason, "delete_all_admin_only");
}

TEST_F(LifecycleServiceTest, DeleteByImportDate) {
  const int64_t day = *ParseDay("2026-11-20");
  const int64_t old_batch = AddBatch(2, day - 3600);  // the evening before
  const int64_t in_range = AddBatch(3, day + 3600);
  const int64_t later = AddBatch(1, day + 86400 + 10);
  Selection s;
  s.kind = Selection::Kind::kCreatedRange;
  s.from = day;
  s.to = day + 86400;
  auto r = svc_->Delete(admin_, s);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ((*r)["deleted"], 3);
  EXPECT_EQ(Int("SELECT COUNT(*) FROM leads WHERE status = 'deleted' AND batch_id = ?", {in_range}),
            3);
  EXPECT_EQ(Int("SELECT COUNT(*) FROM leads WHERE status = 'deleted' AND batch_id IN (?, ?)",
                {old_batch, later}),
            0);
}

TEST_F(LifecycleServiceTest, RestoreSendsLeadsOfAGoneAgentToThePool) {
  const int64_t b = AddBatch(2, clock_.Now());
  const auto ids = LeadIds(b);
  Exec("UPDATE leads SET owner_id = 3, status = 'retry', next_call_at = 5 WHERE batch_id = ?", {b});
  ASSERT_TRUE(svc_->Delete(admin_, Batch(b)).ok());
  Exec("UPDATE users SET active = 0 WHERE id = 3");
  auto r = svc_->Restore(admin_, All());
  ASSERT_TRUE(r.ok());
  EXPECT_EQ((*r)["restored"], 2);
  EXPECT_EQ((*r)["returned_to_pool"], 2);
  EXPECT_EQ(Int("SELECT COUNT(*) FROM leads WHERE status = 'new' AND owner_id IS NULL AND "
                "next_call_at IS NULL"),
            2);
}

TEST_F(LifecycleServiceTest, PurgeByBatchBeforeADayAndEverything) {
  const int64_t day = *ParseDay("2026-11-20");
  const int64_t a = AddBatch(2, day - 10);
  const int64_t b = AddBatch(3, day - 5);
  const int64_t c = AddBatch(4, day + 5);
  const int64_t empty = AddBatch(0, day - 100);  // every row was invalid
  Exec(
      "INSERT INTO call_log (lead_id, agent_id, shown_at) SELECT id, 3, 1 FROM leads WHERE "
      "batch_id = ?",
      {a});

  auto by_batch = svc_->Purge(admin_, Batch(a));
  ASSERT_TRUE(by_batch.ok());
  EXPECT_EQ(by_batch->ToJson(),
            json({{"leads", 2}, {"call_log", 2}, {"batches", 1}, {"import_rejects", 1}}));
  EXPECT_EQ(LastAudit()["_action"], "purge");
  EXPECT_FALSE(svc_->Purge(admin_, Batch(a)).ok()) << "the batch is gone";

  Selection before;
  before.kind = Selection::Kind::kCreatedRange;
  before.to = day;
  auto by_day = svc_->Purge(admin_, before);
  ASSERT_TRUE(by_day.ok());
  EXPECT_EQ(by_day->leads, 3);
  EXPECT_EQ(by_day->batches, 2);  // b, and the empty batch imported before the day
  EXPECT_EQ(Int("SELECT COUNT(*) FROM batches WHERE id IN (?, ?)", {b, empty}), 0);
  EXPECT_EQ(Int("SELECT COUNT(*) FROM leads WHERE batch_id = ?", {c}), 4);

  auto all = svc_->Purge(admin_, All());
  ASSERT_TRUE(all.ok());
  EXPECT_EQ(all->leads, 4);
  EXPECT_EQ(all->batches, 1);
  EXPECT_EQ(Int("SELECT COUNT(*) FROM leads"), 0);
  EXPECT_EQ(Int("SELECT COUNT(*) FROM batches"), 0);
  EXPECT_EQ(Int("SELECT COUNT(*) FROM import_rejects"), 0);
  EXPECT_TRUE(ChainIntact());
}

TEST_F(LifecycleServiceTest, RetentionPurgesExpiredBatchesButKeepsProspects) {
  const int64_t t0 = clock_.Now();
  const int64_t b = AddBatch(4, t0, 10);
  const int64_t keep = AddBatch(2, t0);  // no retention
  const int64_t gone = AddBatch(1, t0, 5);
  const auto ids = LeadIds(b);
  Exec("UPDATE leads SET owner_id = 3, status = 'prospect' WHERE id = ?", {ids[0]});
  Exec("UPDATE leads SET owner_id = 3, status = 'closed' WHERE id = ?", {ids[1]});
  Exec("INSERT INTO call_log (lead_id, agent_id, shown_at) VALUES (?, 3, 1), (?, 3, 1)",
       {ids[0], ids[1]});
  // A prospect waiting in the bin counts as a prospect too.
  Exec(
      "UPDATE leads SET owner_id = 3, status = 'deleted', status_before_delete = 'prospect', "
      "deleted_at = 1 WHERE id = ?",
      {ids[2]});

  clock_.Advance(5 * 86400 - 1);
  auto early = svc_->RunRetention();
  ASSERT_TRUE(early.ok());
  EXPECT_EQ((*early)["leads"], 0);
  const int64_t audits = Int("SELECT COUNT(*) FROM audit_log");

  clock_.Advance(1);  // batch `gone` ends
  auto first = svc_->RunRetention();
  ASSERT_TRUE(first.ok());
  EXPECT_EQ((*first)["leads"], 1);
  EXPECT_EQ((*first)["batches"], 1);
  EXPECT_EQ(Int("SELECT COUNT(*) FROM batches WHERE id = ?", {gone}), 0);

  clock_.Advance(5 * 86400);  // batch `b` ends
  auto second = svc_->RunRetention();
  ASSERT_TRUE(second.ok());
  EXPECT_EQ((*second)["leads"], 2);
  EXPECT_EQ((*second)["call_log"], 1);
  EXPECT_EQ((*second)["batches"], 0);
  EXPECT_EQ(Int("SELECT COUNT(*) FROM leads WHERE batch_id = ?", {b}), 2);  // the two prospects
  EXPECT_EQ(Int("SELECT COUNT(*) FROM leads WHERE batch_id = ?", {keep}), 2);
  EXPECT_EQ(Int("SELECT COUNT(*) FROM import_rejects WHERE batch_id = ?", {b}), 0);
  EXPECT_EQ(Text("SELECT report FROM batches WHERE id = ?", {b}), R"({"samples":[]})");
  json a = LastAudit();
  EXPECT_EQ(a["_action"], "retention.purge");
  EXPECT_EQ(a["_actor"], "system");
  ASSERT_EQ(a["expired_batches"].size(), 1u);
  EXPECT_EQ(a["expired_batches"][0]["batch_id"], b);
  EXPECT_EQ(a["expired_batches"][0]["kept_prospects"], 2);
  EXPECT_EQ(Int("SELECT COUNT(*) FROM audit_log"), audits + 2);

  // Nothing left to purge: no new audit entry.
  auto third = svc_->RunRetention();
  ASSERT_TRUE(third.ok());
  EXPECT_EQ((*third)["leads"], 0);
  EXPECT_EQ(Int("SELECT COUNT(*) FROM audit_log"), audits + 2);
  EXPECT_TRUE(ChainIntact());
}

TEST_F(LifecycleServiceTest, SetRetention) {
  const int64_t b = AddBatch(1, clock_.Now());
  auto r = svc_->SetRetention(admin_, b, 30);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ((*r)["retention_days"], 30);
  EXPECT_EQ((*r)["purge_at"], FormatIso8601(clock_.Now() + 30 * 86400));
  EXPECT_EQ(Int("SELECT retention_days FROM batches WHERE id = ?", {b}), 30);
  auto keep = svc_->SetRetention(admin_, b, 0);
  ASSERT_TRUE(keep.ok());
  EXPECT_TRUE((*keep)["retention_days"].is_null());
  EXPECT_EQ(Int("SELECT retention_days IS NULL FROM batches WHERE id = ?", {b}), 1);
  EXPECT_EQ(svc_->SetRetention(admin_, b, -1).error().reason, "invalid_field");
  EXPECT_EQ(svc_->SetRetention(admin_, 9999, 3).error().code, ErrorCode::kNotFound);
  EXPECT_EQ(LastAudit()["_action"], "batch.retention");
}

TEST_F(LifecycleServiceTest, BatchCounts) {
  const int64_t b = AddBatch(3, clock_.Now());
  AddBatch(2, clock_.Now());
  ASSERT_TRUE(svc_->Delete(admin_, Ids({LeadIds(b)[0]})).ok());
  auto r = svc_->BatchCounts();
  ASSERT_TRUE(r.ok());
  ASSERT_EQ((*r)["items"].size(), 2u);
  for (const auto& it : (*r)["items"]) {
    if (it["batch_id"] == b) {
      EXPECT_EQ(it["leads"], 3);
      EXPECT_EQ(it["deleted"], 1);
    } else {
      EXPECT_EQ(it["leads"], 2);
      EXPECT_EQ(it["deleted"], 0);
    }
  }
}

}  // namespace
}  // namespace dd::lifecycle
