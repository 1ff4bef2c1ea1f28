// Group commit (WithGroupedTransaction on SQLite): small write transactions
// of many threads committed together must behave exactly as if each had run
// alone: a failing one leaves nothing behind and takes nobody else with it,
// each sees the writes of those before it, and ungrouped write transactions
// (WithTransaction) running beside them are serialised with them.
#include <gtest/gtest.h>
#include <sqlite3.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <stdexcept>
#include <thread>
#include <vector>

#include "db/database.hpp"
#include "testing/test_db.hpp"

namespace dd::db {
namespace {

class GroupCommitTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = testdb::FreshDir("dd_group_");
    db_ = testdb::OpenDb(dir_, false);
    ASSERT_TRUE(db_);
    auto conn = db_->Acquire();
    ASSERT_TRUE(conn.ok());
    ASSERT_TRUE(
        (*conn)
            ->ExecScript("CREATE TABLE t (id INTEGER PRIMARY KEY, who INTEGER, n INTEGER);"
                         "CREATE TABLE counter (v INTEGER); INSERT INTO counter VALUES (0);")
            .ok());
  }
  void TearDown() override {
    db_.reset();
    std::filesystem::remove_all(dir_);
  }

  int64_t Scalar(const std::string& sql) {
    auto conn = db_->Acquire();
    auto row = (*conn)->QueryOne(sql);
    EXPECT_TRUE(row.ok() && row->has_value()) << sql;
    return (*row)->Int(0);
  }

  std::filesystem::path dir_;
  std::unique_ptr<Database> db_;
};

// 16 threads write at once, each transaction holding the write side for a
// moment so that the others queue and are committed in groups. Every third
// transaction fails after writing, every seventh throws.
TEST_F(GroupCommitTest, FailuresRollBackAloneAndEachSeesThoseBefore) {
  constexpr int kThreads = 16, kEach = 30;
  std::atomic<int> ok{0}, failed{0}, thrown{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kEach; ++i) {
        auto conn = db_->Acquire();
        ASSERT_TRUE(conn.ok());
        const int n = t * kEach + i;
        auto body = [&]() -> Status {
          // Read, then write what was read plus one: a lost or interleaved
          // update would show in the final count.
          DD_ASSIGN_OR_RETURN(auto v, (*conn)->QueryOne("SELECT v FROM counter"));
          DD_RETURN_IF_ERROR((*conn)->Exec("UPDATE counter SET v = ?", {v->Int(0) + 1}));
          DD_RETURN_IF_ERROR((*conn)->Exec("INSERT INTO t (who, n) VALUES (?, ?)", {t, n}));
          std::this_thread::sleep_for(std::chrono::microseconds(300));
          if (n % 7 == 0) throw std::runtime_error("boom");
          if (n % 3 == 0) return Error(ErrorCode::kInvalidArgument, "refused");
          return {};
        };
        // Two threads of the 16 use ungrouped transactions (they cannot throw).
        Status s = Error(ErrorCode::kInternal, "not run");
        if (t < 2) {
          try {
            s = WithTransaction(**conn, true, body);
          } catch (const std::runtime_error&) {
            (*conn)->Rollback();
            s = Error(ErrorCode::kInternal, "thrown");
          }
        } else {
          s = WithGroupedTransaction(**conn, body);
        }
        if (s.ok()) {
          ++ok;
        } else if (s.error().code == ErrorCode::kInternal) {
          ++thrown;
        } else {
          EXPECT_EQ(s.error().reason, "refused");
          ++failed;
        }
      }
    });
  }
  for (auto& th : threads) th.join();
  int expect_ok = 0, expect_thrown = 0;
  for (int n = 0; n < kThreads * kEach; ++n) {
    if (n % 7 == 0) {
      ++expect_thrown;
    } else if (n % 3 != 0) {
      ++expect_ok;
    }
  }
  EXPECT_EQ(ok.load(), expect_ok);
  EXPECT_EQ(thrown.load(), expect_thrown);
  EXPECT_EQ(failed.load(), kThreads * kEach - expect_ok - expect_thrown);
  EXPECT_EQ(Scalar("SELECT COUNT(*) FROM t"), expect_ok);
  EXPECT_EQ(Scalar("SELECT COUNT(*) FROM t WHERE n % 7 = 0 OR n % 3 = 0"), 0);
  EXPECT_EQ(Scalar("SELECT v FROM counter"), expect_ok);
}

// A connection used for a write transaction goes back to reading its own
// snapshot afterwards, and sees what the group committed.
TEST_F(GroupCommitTest, ConnectionReadsAfterItsWrite) {
  auto conn = db_->Acquire();
  ASSERT_TRUE(conn.ok());
  ASSERT_TRUE(WithGroupedTransaction(**conn, [&]() -> Status {
                DD_RETURN_IF_ERROR((*conn)->Exec("INSERT INTO t (who, n) VALUES (1, 1)"));
                return {};
              }).ok());
  auto row = (*conn)->QueryOne("SELECT COUNT(*) FROM t");
  ASSERT_TRUE(row.ok());
  EXPECT_EQ((*row)->Int(0), 1);
  Status bad = WithGroupedTransaction(**conn, [&]() -> Status {
    DD_RETURN_IF_ERROR((*conn)->Exec("INSERT INTO t (who, n) VALUES (2, 2)"));
    DD_RETURN_IF_ERROR((*conn)->Exec("INSERT INTO nowhere VALUES (1)"));
    return {};
  });
  EXPECT_FALSE(bad.ok());
  EXPECT_EQ(Scalar("SELECT COUNT(*) FROM t"), 1);
}

}  // namespace
}  // namespace dd::db

namespace dd::db {
namespace {

// Database::ChangeGeneration, for the desk's in-memory state: it moves on a
// commit that wrote a table a cache may depend on, not on writes to neutral
// tables, not on the desk's own writes (but on its writes to `dnc`), and on
// another connection's commit (as the CLI's, another process) once polled.
TEST_F(GroupCommitTest, ChangeGenerationCountsWhatACacheMustSee) {
  auto conn = db_->Acquire();
  ASSERT_TRUE((*conn)
                  ->ExecScript("CREATE TABLE leads (id INTEGER PRIMARY KEY, status TEXT);"
                               "CREATE TABLE call_log (id INTEGER PRIMARY KEY, n INTEGER);"
                               "CREATE TABLE dnc (id INTEGER PRIMARY KEY);")
                  .ok());
  uint64_t g = db_->ChangeGeneration();
  auto write = [&](const char* sql) {
    ASSERT_TRUE(WithTransaction(**conn, true,
                                [&]() -> Status {
                                  DD_RETURN_IF_ERROR((*conn)->Exec(sql));
                                  return {};
                                })
                    .ok())
        << sql;
  };
  write("INSERT INTO leads (status) VALUES ('new')");
  EXPECT_EQ(db_->ChangeGeneration(), g + 1);
  write("INSERT INTO call_log (n) VALUES (1)");  // neutral
  EXPECT_EQ(db_->ChangeGeneration(), g + 1);
  {
    DeskWriterScope desk;
    write("UPDATE leads SET status = 'assigned'");
    EXPECT_EQ(db_->ChangeGeneration(), g + 1);
    write("INSERT INTO dnc DEFAULT VALUES");
    EXPECT_EQ(db_->ChangeGeneration(), g + 2);
  }
  // A write outside a transaction counts too.
  ASSERT_TRUE((*conn)->Exec("UPDATE leads SET status = 'closed'").ok());
  EXPECT_EQ(db_->ChangeGeneration(), g + 3);
  // A rolled-back write does not.
  EXPECT_FALSE(WithTransaction(**conn, true, [&]() -> Status {
                 DD_RETURN_IF_ERROR((*conn)->Exec("UPDATE leads SET status = 'x'"));
                 return InternalError("no");
               }).ok());
  EXPECT_EQ(db_->ChangeGeneration(), g + 3);
  // Another process: its own connection to the file.
  auto other = Open((dir_ / "t.db").string());
  ASSERT_TRUE(other.ok()) << other.error().internal;
  {
    auto oc = (*other)->Acquire();
    ASSERT_TRUE((*oc)->Exec("INSERT INTO leads (status) VALUES ('new')").ok());
  }
  EXPECT_EQ(db_->ChangeGeneration(), g + 3);  // not seen until polled
  db_->PollExternalChanges(false);
  EXPECT_EQ(db_->ChangeGeneration(), g + 4);
  db_->PollExternalChanges(false);
  EXPECT_EQ(db_->ChangeGeneration(), g + 4);
}

// The acquire hook runs before a connection is handed out, except inside a
// NoAcquireHookScope and inside a write transaction on the same thread; and
// at the start of every write transaction outside a DeskWriterScope, which
// holds the gate of the desk's fast path until it ends.
TEST_F(GroupCommitTest, AcquireHookRunsOutsideWritesOnly) {
  int calls = 0;
  db_->SetAcquireHook([&] { ++calls; });
  { auto c = db_->Acquire(); }
  EXPECT_EQ(calls, 1);
  {
    NoAcquireHookScope quiet;
    auto c = db_->Acquire();
  }
  EXPECT_EQ(calls, 1);
  auto conn = db_->Acquire();
  EXPECT_EQ(calls, 2);
  // A write transaction runs it once more at its start, under the gate
  // (TryEnterFastPath), and not for a connection taken inside it.
  ASSERT_TRUE(WithTransaction(**conn, true, [&]() -> Status {
                EXPECT_EQ(calls, 3);
                auto nested = db_->Acquire();
                EXPECT_FALSE(db_->TryEnterFastPath());  // held by this write
                return {};
              }).ok());
  EXPECT_EQ(calls, 3);
  ASSERT_TRUE(db_->TryEnterFastPath());  // free again
  db_->LeaveFastPath();
  {
    // The desk's own writes pass the gate without taking it.
    DeskWriterScope desk;
    ASSERT_TRUE(WithTransaction(**conn, true, [&]() -> Status {
                  EXPECT_TRUE(db_->TryEnterFastPath());
                  db_->LeaveFastPath();
                  return {};
                }).ok());
    EXPECT_EQ(calls, 3);
  }
  db_->SetAcquireHook(nullptr);
}

// The WAL checkpointer copies the WAL into the database file once enough of
// it is new, not after every commit: under steady load a reader always holds
// a snapshot in the WAL, so it starts over only at a RESTART, and a
// checkpoint per commit (as when the WAL's size alone decided) copied and
// synced the same hot pages again and again. The WAL-index (the -shm file)
// says how far the checkpoints got (nBackfill, after its two 48-byte headers).
// A database of 512-byte pages keeps the WAL of the test small.
class CheckpointTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = testdb::FreshDir("dd_ckpt_");
    path_ = (dir_ / "t.db").string();
    sqlite3* raw = nullptr;
    ASSERT_EQ(sqlite3_open(path_.c_str(), &raw), SQLITE_OK);
    ASSERT_EQ(sqlite3_exec(raw,
                           "PRAGMA page_size=512; PRAGMA journal_mode=WAL; "
                           "CREATE TABLE t (id INTEGER PRIMARY KEY, b BLOB);",
                           nullptr, nullptr, nullptr),
              SQLITE_OK);
    sqlite3_close(raw);
    db_ = testdb::OpenDb(dir_, false);
    ASSERT_TRUE(db_);
    ASSERT_EQ(sqlite3_open_v2(path_.c_str(), &reader_, SQLITE_OPEN_READONLY, nullptr), SQLITE_OK);
  }
  void TearDown() override {
    sqlite3_close(reader_);
    db_.reset();
    std::filesystem::remove_all(dir_);
  }

  void Write(const std::string& sql) {
    auto conn = db_->Acquire();
    ASSERT_TRUE(conn.ok());
    ASSERT_TRUE((*conn)->Exec(sql).ok()) << sql;
  }
  // The reader takes a snapshot of the database as it is now (and lets go
  // of the one before), as the desk's read-ahead does all the time.
  void ReadAgain() {
    sqlite3_exec(reader_, "COMMIT", nullptr, nullptr, nullptr);
    ASSERT_EQ(sqlite3_exec(reader_, "BEGIN; SELECT count(*) FROM t;", nullptr, nullptr, nullptr),
              SQLITE_OK);
  }
  uint32_t Shm(off_t offset) {
    std::ifstream f(path_ + "-shm", std::ios::binary);
    f.seekg(offset);
    uint32_t v = 0;
    f.read(reinterpret_cast<char*>(&v), sizeof v);
    return v;
  }
  uint32_t Frames() { return Shm(16); }  // mxFrame, in the WAL-index header
  uint32_t Copied() { return Shm(96); }  // nBackfill
  bool AllCopiedWithin(std::chrono::seconds limit) {
    const auto until = std::chrono::steady_clock::now() + limit;
    while (std::chrono::steady_clock::now() < until) {
      if (Copied() == Frames()) return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    return false;
  }

  std::filesystem::path dir_;
  std::string path_;
  std::unique_ptr<Database> db_;
  sqlite3* reader_ = nullptr;
};

TEST_F(CheckpointTest, CopiesOnceEnoughIsNewNotAfterEveryCommit) {
  // A reader's snapshot in the WAL keeps it from starting over, then an
  // import-sized commit (about 20,000 pages) is copied soon after.
  Write("INSERT INTO t (b) VALUES (x'00')");
  ReadAgain();
  Write("INSERT INTO t (b) VALUES (zeroblob(10000000))");
  const uint32_t big = Frames();
  ASSERT_GT(big, 16000u);
  ReadAgain();
  Write("INSERT INTO t (b) VALUES (x'00')");
  const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (Copied() < big && std::chrono::steady_clock::now() < until)
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  ASSERT_EQ(Copied(), big);
  // Small commits, each a page or two, with the reader moving on after each:
  // none is worth a checkpoint of its own.
  for (int i = 0; i < 30; ++i) {
    Write("INSERT INTO t (b) VALUES (x'00')");
    ReadAgain();
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    ASSERT_EQ(Copied(), big) << "checkpoint after small commit " << i;
  }
  EXPECT_GT(Frames(), big + 30);  // the WAL went on growing
  // Once enough is new again, it is copied.
  sqlite3_exec(reader_, "COMMIT", nullptr, nullptr, nullptr);
  Write("INSERT INTO t (b) VALUES (zeroblob(10000000))");
  EXPECT_TRUE(AllCopiedWithin(std::chrono::seconds(10)));
  EXPECT_GT(Copied(), big + 16000);
}

// What is left to copy when the writes pause (an import, then quiet) reaches
// the database file within about a second or two.
TEST_F(CheckpointTest, CopiesWhatIsLeftWhenWritesPause) {
  Write("INSERT INTO t (b) VALUES (zeroblob(100000))");
  ASSERT_GT(Frames(), 100u);
  ASSERT_LT(Copied(), Frames());
  EXPECT_TRUE(AllCopiedWithin(std::chrono::seconds(5)));
}

}  // namespace
}  // namespace dd::db
