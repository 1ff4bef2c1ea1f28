#include "modules/audit/audit_log.hpp"

#include <gtest/gtest.h>

#include <filesystem>

#include "testing/test_db.hpp"

namespace dd::audit {
namespace {

class AuditLogTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = testdb::FreshDir("dd_audit_");
    db_ = testdb::OpenDb(dir_);
    ASSERT_TRUE(db_);
    auto conn = db_->Acquire();
    ASSERT_TRUE(conn.ok());
    for (int i = 0; i < 5; ++i) {
      Entry e{i + 1,         "user" + std::to_string(i),
              "test.action", "thing:" + std::to_string(i),
              "127.0.0.1",   {{"n", i}}};
      ASSERT_TRUE(db::WithTransaction(**conn, true, [&] { return log_.Append(**conn, e); }).ok());
      clock_.Advance(7);
    }
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  VerifyReport Verify() {
    auto conn = db_->Acquire();
    auto r = log_.Verify(**conn);
    EXPECT_TRUE(r.ok());
    return *r;
  }
  void Sql(const std::string& sql) {
    auto conn = db_->Acquire();
    ASSERT_TRUE((*conn)->ExecScript(sql).ok()) << sql;
  }

  std::filesystem::path dir_;
  std::unique_ptr<db::Database> db_;
  ManualClock clock_{1'800'000'000};
  AuditLog log_{clock_};
};

TEST_F(AuditLogTest, IntactChainVerifies) {
  auto r = Verify();
  EXPECT_TRUE(r.ok);
  EXPECT_EQ(r.checked, 5);
  EXPECT_FALSE(r.first_broken_id.has_value());
}

TEST_F(AuditLogTest, EditedRowIsNamed) {
  Sql("UPDATE audit_log SET detail = '{\"n\":99}' WHERE id = 3");
  auto r = Verify();
  EXPECT_FALSE(r.ok);
  EXPECT_EQ(r.first_broken_id, 3);
  EXPECT_EQ(r.problem, "hash_mismatch");
}

TEST_F(AuditLogTest, EditedRowWithRecomputedHashBreaksTheNextLink) {
  // A forger who recomputes row 2's own hash still breaks row 3's prev_hash.
  auto conn = db_->Acquire();
  auto rows = log_.List(**conn, ListFilter{100, std::nullopt, "", ""});
  ASSERT_TRUE(rows.ok());
  StoredEntry e = rows->at(3);  // newest first: index 3 is id 2
  ASSERT_EQ(e.id, 2);
  e.actor = "someone-else";
  e.hash = ComputeAuditHash(e);
  ASSERT_TRUE((*conn)
                  ->Exec("UPDATE audit_log SET actor = ?, hash = ? WHERE id = 2", {e.actor, e.hash})
                  .ok());
  auto r = Verify();
  EXPECT_FALSE(r.ok);
  EXPECT_EQ(r.first_broken_id, 3);
  EXPECT_EQ(r.problem, "chain_break");
}

TEST_F(AuditLogTest, DeletedMiddleRowIsNamed) {
  Sql("DELETE FROM audit_log WHERE id = 2");
  auto r = Verify();
  EXPECT_FALSE(r.ok);
  EXPECT_EQ(r.first_broken_id, 2);
}

TEST_F(AuditLogTest, DeletedLastRowIsDetected) {
  Sql("DELETE FROM audit_log WHERE id = 5");
  auto r = Verify();
  EXPECT_FALSE(r.ok);
  EXPECT_EQ(r.first_broken_id, 5);
  EXPECT_EQ(r.problem, "tail_deleted");
}

TEST_F(AuditLogTest, AppendAfterTailDeletionLeavesAGap) {
  Sql("DELETE FROM audit_log WHERE id = 5");
  auto conn = db_->Acquire();
  Entry e{std::nullopt, "system", "after", "", "", nlohmann::json::object()};
  ASSERT_TRUE(db::WithTransaction(**conn, true, [&] { return log_.Append(**conn, e); }).ok());
  EXPECT_FALSE(Verify().ok);
}

TEST_F(AuditLogTest, ListFiltersByActionPrefixAndPages) {
  auto conn = db_->Acquire();
  auto all = log_.List(**conn, ListFilter{2, std::nullopt, "test.", ""});
  ASSERT_TRUE(all.ok());
  ASSERT_EQ(all->size(), 2u);
  EXPECT_EQ(all->at(0).id, 5);
  auto next = log_.List(**conn, ListFilter{10, all->back().id, "", ""});
  ASSERT_TRUE(next.ok());
  EXPECT_EQ(next->size(), 3u);
  EXPECT_EQ(next->front().id, 3);
  auto none = log_.List(**conn, ListFilter{10, std::nullopt, "login", ""});
  EXPECT_TRUE(none->empty());
}

TEST_F(AuditLogTest, ListFiltersByActorTargetAndTime) {
  auto conn = db_->Acquire();
  auto ids = [&](ListFilter f) {
    f.limit = 100;
    auto r = log_.List(**conn, f);
    EXPECT_TRUE(r.ok());
    std::vector<int64_t> out;
    for (const auto& e : *r) out.push_back(e.id);
    return out;
  };
  ListFilter f;
  f.actor = "user2";
  EXPECT_EQ(ids(f), std::vector<int64_t>({3}));
  f = {};
  f.target = "thing:4";
  EXPECT_EQ(ids(f), std::vector<int64_t>({5}));
  f.target = "thing:";  // a prefix
  EXPECT_EQ(ids(f), std::vector<int64_t>({5, 4, 3, 2, 1}));
  f.target = "thing*";
  EXPECT_EQ(ids(f).size(), 5u);
  f.target = "thing";  // exact: no such target
  EXPECT_TRUE(ids(f).empty());
  // Entries are 7 s apart from 1.8e9: [from, to) picks entries 2 and 3.
  f = {};
  f.from = 1'800'000'007;
  f.to = 1'800'000'021;
  EXPECT_EQ(ids(f), std::vector<int64_t>({3, 2}));
  f.actor = "user1";
  EXPECT_EQ(ids(f), std::vector<int64_t>({2}));
  f.action = "test.act";
  EXPECT_EQ(ids(f), std::vector<int64_t>({2}));
  f.action = "test.x";
  EXPECT_TRUE(ids(f).empty());
}

}  // namespace
}  // namespace dd::audit
