#include "modules/dealing/lead_queue.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>

#include "testing/test_db.hpp"

namespace dd::dealing {
namespace {

// The agents' queues on a real (migrated) SQLite database.
class LeadQueueTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = testdb::FreshDir("dd_queue_");
    db_ = testdb::OpenDb(dir_);
    ASSERT_TRUE(db_);
    auto conn = db_->Acquire();
    ASSERT_TRUE(conn.ok());
    conn_.emplace(std::move(conn).value());
    Exec(
        "INSERT INTO users (id, username, display_name, role, password_hash, created_at, "
        "updated_at) VALUES (3, 'a1', 'A1', 'agent', 'x', 0, 0), (4, 'a2', 'A2', 'agent', 'x', "
        "0, 0)");
    Exec("INSERT INTO batches (id, name, created_at) VALUES (1, 'b', 0)");
    for (int i = 1; i <= 10; ++i) {
      Exec("INSERT INTO leads (id, batch_id, phone, name, created_at) VALUES (?, 1, ?, ?, 0)",
           {i, "+8613800000" + std::to_string(100 + i), "L" + std::to_string(i)});
    }
    Exec(
        "INSERT INTO deals (id, strategy, seed, created_at) VALUES (1, 'even', '1', 1000), "
        "(2, 'even', '2', 2000)");
  }
  void TearDown() override {
    conn_.reset();
    db_.reset();
    std::filesystem::remove_all(dir_);
  }

  db::Connection& C() { return **conn_; }
  void Exec(const std::string& sql, const db::Params& p = {}) {
    auto r = C().Exec(sql, p);
    ASSERT_TRUE(r.ok()) << sql << ": " << r.error().internal;
  }
  int64_t Int(const std::string& sql, const db::Params& p = {}) {
    auto row = C().QueryOne(sql, p);
    EXPECT_TRUE(row.ok() && *row) << sql;
    return row.ok() && *row ? (*row)->Int(0) : -1;
  }
  // The agent's queue, lead ids in desk order.
  std::vector<int64_t> Queue(int64_t agent) {
    auto rows = QueuePage(C(), agent, 0, 100);
    EXPECT_TRUE(rows.ok());
    std::vector<int64_t> out;
    for (const auto& r : *rows) out.push_back(r.Int(1));
    return out;
  }
  int64_t Queued(int64_t agent, int64_t limit = 100) {
    auto n = QueuedCount(C(), agent, limit);
    EXPECT_TRUE(n.ok());
    return n.ok() ? *n : -1;
  }
  void Deal(int64_t deal, int64_t at, const std::vector<Assignment>& plan) {
    ASSERT_TRUE(C().Begin(true).ok());
    ASSERT_TRUE(Enqueue(C(), deal, at, plan).ok());
    ASSERT_TRUE(C().Commit().ok());
  }
  int64_t InPool() {
    return Int("SELECT COUNT(*) FROM leads l WHERE l.status = 'new' AND l.owner_id IS NULL AND " +
               NotQueued("l"));
  }

  std::filesystem::path dir_;
  std::unique_ptr<db::Database> db_;
  std::optional<db::Lease> conn_;
};

TEST_F(LeadQueueTest, DealtLeadsWaitInQueueOrderWithoutTouchingTheirRows) {
  Deal(1, 1000, {{5, 3, 1}, {2, 3, 2}, {7, 3, 3}, {1, 4, 1}, {9, 4, 2}});
  EXPECT_EQ(Queue(3), (std::vector<int64_t>{5, 2, 7}));
  EXPECT_EQ(Queue(4), (std::vector<int64_t>{1, 9}));
  EXPECT_EQ(Queued(3), 3);
  EXPECT_EQ(Queued(3, 2), 2);  // counts up to the limit only
  EXPECT_EQ(Queued(4), 2);
  EXPECT_EQ(InPool(), 5);
  // The lead rows are as they were: no owner, still 'new'.
  EXPECT_EQ(Int("SELECT COUNT(*) FROM leads WHERE owner_id IS NULL AND status = 'new'"), 10);
  // A later deal goes after what the agent already holds, even when the plan
  // lists its agents out of id order.
  Deal(2, 2000, {{4, 4, 1}, {3, 3, 1}, {8, 3, 2}});
  EXPECT_EQ(Queue(3), (std::vector<int64_t>{5, 2, 7, 3, 8}));
  EXPECT_EQ(Queue(4), (std::vector<int64_t>{1, 9, 4}));
  EXPECT_EQ(InPool(), 2);
  EXPECT_EQ(Int("SELECT COUNT(*) FROM lead_queue"), 8);
  EXPECT_EQ(Int("SELECT COUNT(*) FROM agent_queue"), 8);
}

TEST_F(LeadQueueTest, MaterialisedLeadsBecomeTheAgentsOwnAndLeaveTheQueue) {
  Deal(1, 1000, {{5, 3, 1}, {2, 3, 2}, {7, 3, 3}});
  Deal(2, 2000, {{6, 3, 1}});
  auto found = QueuedWhere(C(), "id IN (2, 6)", {});
  ASSERT_TRUE(found.ok());
  ASSERT_EQ(found->size(), 2u);
  ASSERT_TRUE(Materialise(C(), *found).ok());
  EXPECT_EQ(Queue(3), (std::vector<int64_t>{5, 7}));
  EXPECT_EQ(Queued(3), 2);
  EXPECT_EQ(Int("SELECT owner_id FROM leads WHERE id = 2"), 3);
  EXPECT_EQ(Int("SELECT status = 'assigned' FROM leads WHERE id = 2"), 1);
  EXPECT_EQ(Int("SELECT deal_id FROM leads WHERE id = 2"), 1);
  EXPECT_EQ(Int("SELECT assigned_at FROM leads WHERE id = 2"), 1000);  // when it was dealt
  EXPECT_EQ(Int("SELECT deal_id FROM leads WHERE id = 6"), 2);
  EXPECT_EQ(Int("SELECT assigned_at FROM leads WHERE id = 6"), 2000);
  // Its queue place orders it among the agent's other owned leads.
  EXPECT_LT(Int("SELECT queue_pos FROM leads WHERE id = 2"),
            Int("SELECT queue_pos FROM leads WHERE id = 6"));
  EXPECT_EQ(Int("SELECT COUNT(*) FROM lead_queue WHERE lead_id IN (2, 6)"), 0);
}

TEST_F(LeadQueueTest, DroppedLeadsGoBackToThePool) {
  Deal(1, 1000, {{5, 3, 1}, {2, 3, 2}, {1, 4, 1}});
  EXPECT_EQ(InPool(), 7);
  auto mine = AgentQueue(C(), 3);
  ASSERT_TRUE(mine.ok());
  ASSERT_TRUE(Drop(C(), *mine).ok());
  EXPECT_EQ(Queued(3), 0);
  EXPECT_EQ(Queue(4), (std::vector<int64_t>{1}));
  EXPECT_EQ(InPool(), 9);
  EXPECT_EQ(Int("SELECT COUNT(*) FROM leads WHERE owner_id IS NOT NULL"), 0);
}

TEST_F(LeadQueueTest, ALeadNoLongerInThePoolIsNotTakenBackByMaterialising) {
  Deal(1, 1000, {{5, 3, 1}, {2, 3, 2}});
  Exec("UPDATE leads SET status = 'deleted' WHERE id = 5");
  EXPECT_EQ(Queue(3), (std::vector<int64_t>{2}));  // the desk skips it
  auto found = QueuedWhere(C(), "id = 5", {});
  ASSERT_TRUE(found.ok());
  ASSERT_EQ(found->size(), 1u);
  ASSERT_TRUE(Materialise(C(), *found).ok());
  EXPECT_EQ(Int("SELECT status = 'deleted' AND owner_id IS NULL FROM leads WHERE id = 5"), 1);
  EXPECT_EQ(Int("SELECT COUNT(*) FROM lead_queue WHERE lead_id = 5"), 0);
  EXPECT_EQ(Queued(3), 1);
}

TEST_F(LeadQueueTest, ShownLeadsLeaveStaleRowsThatNoQueryCountsUntilSwept) {
  Deal(1, 1000, {{5, 3, 1}, {2, 3, 2}, {7, 4, 1}});
  auto found = QueuedWhere(C(), "id IN (2, 5)", {});
  ASSERT_TRUE(found.ok());
  std::vector<int64_t> stale;
  ASSERT_TRUE(Materialise(C(), *found, 1500, &stale).ok());
  EXPECT_EQ(stale, (std::vector<int64_t>{5, 2}));
  // Their lead_queue rows stay, but they are queued no more.
  EXPECT_EQ(Int("SELECT COUNT(*) FROM lead_queue WHERE lead_id IN (2, 5)"), 2);
  EXPECT_EQ(Queued(3), 0);
  EXPECT_TRUE(QueuedWhere(C(), "id IN (2, 5)", {})->empty());
  // Lead 5 goes back to the pool: a stale row does not hide it there, nor
  // give it an owner.
  Exec("UPDATE leads SET owner_id = NULL, status = 'new', current_agent_id = NULL WHERE id = 5");
  EXPECT_EQ(InPool(), 8);
  EXPECT_EQ(Int("SELECT COUNT(*) FROM leads l " + QueueJoin("l", "q") + " WHERE l.id = 5 AND " +
                OwnerOf("l", "q") + " IS NULL"),
            1);
  // Dealt again, to agent 4: queued there (its stale row replaced).
  Deal(2, 2000, {{5, 4, 1}});
  EXPECT_EQ(Queue(4), (std::vector<int64_t>{7, 5}));
  EXPECT_EQ(InPool(), 7);
  // The sweep removes the stale row of lead 2 only, never a live one.
  ASSERT_TRUE(SweepStale(C(), stale).ok());
  EXPECT_EQ(Int("SELECT COUNT(*) FROM lead_queue WHERE lead_id = 2"), 0);
  EXPECT_EQ(Int("SELECT COUNT(*) FROM lead_queue WHERE lead_id = 5"), 1);
  EXPECT_EQ(Queue(4), (std::vector<int64_t>{7, 5}));
  // And the full sweep finds nothing more to remove.
  const int64_t rows = Int("SELECT COUNT(*) FROM lead_queue");
  ASSERT_TRUE(SweepAllStale(C()).ok());
  EXPECT_EQ(Int("SELECT COUNT(*) FROM lead_queue"), rows);
  EXPECT_EQ(rows, Int("SELECT COUNT(*) FROM agent_queue"));
}

}  // namespace
}  // namespace dd::dealing
