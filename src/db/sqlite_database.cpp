// SQLite implementation of the Database interface.
#include <spdlog/spdlog.h>
#include <sqlite3.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <exception>
#include <mutex>
#include <shared_mutex>
#include <string_view>
#include <thread>
#include <unordered_map>

#include "core/background.hpp"
#include "db/database.hpp"

namespace dd::db {
namespace {

Error SqliteError(sqlite3* db, int rc, std::string_view what) {
  std::string msg = db ? sqlite3_errmsg(db) : sqlite3_errstr(rc);
  int primary = rc & 0xff;
  if (primary == SQLITE_CONSTRAINT) {
    Error e(ErrorCode::kConflict, "conflict");
    e.internal = std::string(what) + ": " + msg;
    return e;
  }
  if (primary == SQLITE_BUSY || primary == SQLITE_LOCKED) {
    Error e(ErrorCode::kUnavailable, "database_busy");
    e.internal = std::string(what) + ": " + msg;
    return e;
  }
  return InternalError(std::string(what) + ": " + msg);
}

// Runs statements without parameters (pragmas, migrations).
Status RunScript(sqlite3* db, std::string_view sql) {
  const std::string s(sql);
  char* err = nullptr;
  if (sqlite3_exec(db, s.c_str(), nullptr, nullptr, &err) != SQLITE_OK) {
    std::string msg = err ? err : "";
    sqlite3_free(err);
    return InternalError("exec script: " + msg);
  }
  return {};
}

class SqliteBulk final : public BulkStatement {
 public:
  SqliteBulk(sqlite3* db, sqlite3_stmt* stmt) : db_(db), stmt_(stmt) {}
  void BindText(int i, std::string_view v) override {
    sqlite3_bind_text(stmt_, i, v.data(), static_cast<int>(v.size()), SQLITE_STATIC);
  }
  void BindBlob(int i, std::string_view v) override {
    sqlite3_bind_blob(stmt_, i, v.data(), static_cast<int>(v.size()), SQLITE_STATIC);
  }
  void BindInt(int i, int64_t v) override { sqlite3_bind_int64(stmt_, i, v); }
  void BindNull(int i) override { sqlite3_bind_null(stmt_, i); }
  Status Execute() override {
    int rc = sqlite3_step(stmt_);
    sqlite3_reset(stmt_);
    sqlite3_clear_bindings(stmt_);
    if (rc != SQLITE_DONE && rc != SQLITE_ROW) return SqliteError(db_, rc, "bulk step");
    return {};
  }
  int64_t Changes() const override { return sqlite3_changes64(db_); }

 private:
  sqlite3* db_;
  sqlite3_stmt* stmt_;  // owned by the connection's cache
};

// One SQLite handle and the statements prepared on it (cached by their SQL
// text; bulk statements wrap cached ones).
struct WriteSide;
// The statement cache is looked up by the SQL's view, without copying the
// text into a std::string for every statement run.
struct SqlHash {
  using is_transparent = void;
  size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
};

struct Handle {
  explicit Handle(sqlite3* h) : db(h) {}
  ~Handle() {
    bulk.clear();
    for (auto& [sql, stmt] : cache) sqlite3_finalize(stmt);
    sqlite3_close_v2(db);
  }
  Handle(const Handle&) = delete;
  Handle& operator=(const Handle&) = delete;

  sqlite3* db;
  std::unordered_map<std::string, sqlite3_stmt*, SqlHash, std::equal_to<>> cache;
  std::unordered_map<sqlite3_stmt*, std::unique_ptr<SqliteBulk>> bulk;
  // Change tracking (Database::ChangeGeneration): set by the update hook when
  // the open transaction wrote to a table a cache may depend on.
  WriteSide* writes = nullptr;
  bool dirty = false;
};

// The thread holds the process's write mutex (inside a write transaction or
// running a group): Acquire() skips its hook there (it would wait for that
// mutex).
thread_local int t_write_depth = 0;

// What write transactions share: the process's write mutex (SQLite allows
// one writer, and waiting on a mutex is far cheaper than SQLite's busy
// handler, which sleeps in steps of up to 100 ms) and the one handle every
// write transaction runs on. SQLite drops a connection's page cache whenever
// another connection has written since its last transaction, so with writes
// spread over the pool each one began by re-reading its pages; on one handle
// the pages of the last transactions (the desk's leads, call log and audit
// chain) stay cached from one write to the next.
//
// Group commit (WithGroupedTransaction, for the desk's small transactions;
// WithTransaction is never grouped): such transactions that arrive while
// another is running wait in `queue`; the next caller to lead takes the write mutex and runs every
// waiting transaction in one SQLite transaction, each in its own savepoint
// (a failing one is rolled back alone), then commits once. Most of a small
// transaction's cost is its commit (a WAL frame write per page it touched,
// and the checkpoint copying them later), and transactions in the same group
// share the pages they touch in common (the tails of the call log, the audit
// chain and their indexes).
class SqliteConnection;
struct WriteJob {
  SqliteConnection* conn;
  const std::function<Status()>* fn;
  Status result;
  bool done = false;
};
struct WriteSide {
  std::mutex mu;
  std::unique_ptr<Handle> handle;
  std::mutex queue_mu;
  std::condition_variable queue_cv;
  std::deque<WriteJob*> queue;
  bool leading = false;  // a caller is running a group
  // Database::ChangeGeneration(); data_version of `handle` when last polled
  // (under `mu`): it changes only when another process commits, since every
  // write of this process runs on `handle`.
  std::atomic<uint64_t> generation{0};
  int64_t data_version = -1;
  std::shared_mutex gate;                               // Database::TryEnterFastPath
  const std::function<void()>* before_write = nullptr;  // the acquire hook, run under the gate

  // Takes `mu` for this thread (every write of the process) and looks for
  // another process's commits; Unlock() gives it back.
  //
  // Fairness to other processes: this process's writers follow one another
  // within microseconds under load (the desk's journal, grouped outcomes), so
  // SQLite's lock is never free long enough for a CLI command polling in
  // BusyWait. After kStreak of writes back to back, the next writer first
  // leaves the lock free for kGap.
  static constexpr auto kStreak = std::chrono::milliseconds(100);
  static constexpr auto kGap = std::chrono::milliseconds(1);
  void Lock() {
    mu.lock();
    const auto now = std::chrono::steady_clock::now();
    if (now - released >= kGap) {
      streak_since = now;
    } else if (now - streak_since >= kStreak) {
      std::this_thread::sleep_for(kGap);
      streak_since = std::chrono::steady_clock::now();
    }
    ++t_write_depth;
    PollExternal();
  }
  void Unlock() {
    --t_write_depth;
    released = std::chrono::steady_clock::now();
    mu.unlock();
  }
  // Under `mu`: when it was last given back, and since when writes have
  // followed one another with no gap of kGap.
  std::chrono::steady_clock::time_point released{}, streak_since{};

  // Call holding `mu`. The statement is prepared once, in the handle's cache.
  void PollExternal() {
    constexpr const char* kSql = "PRAGMA data_version";
    sqlite3_stmt*& stmt = handle->cache[kSql];
    if (!stmt && sqlite3_prepare_v3(handle->db, kSql, -1, SQLITE_PREPARE_PERSISTENT, &stmt,
                                    nullptr) != SQLITE_OK) {
      stmt = nullptr;
      handle->cache.erase(kSql);
      ++generation;
      return;
    }
    int64_t v = data_version;
    if (sqlite3_step(stmt) == SQLITE_ROW) v = sqlite3_column_int64(stmt, 0);
    sqlite3_reset(stmt);
    if (v != data_version) {
      if (data_version != -1) ++generation;
      data_version = v;
    }
  }

  static void UpdateHook(void* arg, int, const char* db, const char* table, sqlite3_int64) {
    auto* h = static_cast<Handle*>(arg);
    if (h->dirty || std::string_view(db) != "main" || CacheNeutralTable(table)) return;
    if (DeskWriterScope::Active() && std::string_view(table) != "dnc") return;
    h->dirty = true;
  }
  static int CommitHook(void* arg) {
    auto* h = static_cast<Handle*>(arg);
    if (h->dirty) {
      h->dirty = false;
      ++h->writes->generation;
    }
    return 0;
  }
  static void RollbackHook(void* arg) { static_cast<Handle*>(arg)->dirty = false; }
};
constexpr size_t kMaxGroup = 64;

class SqliteConnection final : public Connection {
 public:
  SqliteConnection(std::unique_ptr<Handle> own, WriteSide* writes)
      : own_(std::move(own)), h_(own_.get()), writes_(writes) {}
  ~SqliteConnection() override { ReleaseWrite(); }

  Dialect dialect() const override { return Dialect::kSqlite; }

  Result<std::vector<Row>> Query(std::string_view sql, const Params& params) override {
    DD_ASSIGN_OR_RETURN(sqlite3_stmt * stmt, Prepare(sql, params));
    std::vector<Row> rows;
    int rc;
    while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
      int n = sqlite3_column_count(stmt);
      std::vector<Value> cols;
      cols.reserve(n);
      for (int i = 0; i < n; ++i) {
        switch (sqlite3_column_type(stmt, i)) {
          case SQLITE_INTEGER:
            cols.emplace_back(static_cast<int64_t>(sqlite3_column_int64(stmt, i)));
            break;
          case SQLITE_FLOAT: cols.emplace_back(sqlite3_column_double(stmt, i)); break;
          case SQLITE_NULL: cols.emplace_back(); break;
          default: {
            const char* p = reinterpret_cast<const char*>(sqlite3_column_text(stmt, i));
            cols.emplace_back(std::string(p ? p : "", sqlite3_column_bytes(stmt, i)));
          }
        }
      }
      rows.emplace_back(std::move(cols));
    }
    sqlite3_reset(stmt);
    sqlite3_clear_bindings(stmt);
    if (rc != SQLITE_DONE) return SqliteError(h_->db, rc, "step");
    return rows;
  }

  Result<std::vector<int64_t>> QueryInts(std::string_view sql, const Params& params, int columns,
                                         size_t expect_rows) override {
    DD_ASSIGN_OR_RETURN(sqlite3_stmt * stmt, Prepare(sql, params));
    std::vector<int64_t> out;
    out.reserve(expect_rows * static_cast<size_t>(columns));
    // Mapped for this scan only (a million leads: 0.5 -> 0.35 s): left on,
    // the checkpointer's writes into mapped pages halve the desk's speed.
    DD_RETURN_IF_ERROR(ExecSimple("PRAGMA mmap_size=1073741824"));
    int rc;
    while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
      for (int i = 0; i < columns; ++i) out.push_back(sqlite3_column_int64(stmt, i));
    }
    sqlite3_reset(stmt);
    sqlite3_clear_bindings(stmt);
    DD_RETURN_IF_ERROR(ExecSimple("PRAGMA mmap_size=0"));
    if (rc != SQLITE_DONE) return SqliteError(h_->db, rc, "step");
    return out;
  }

  Result<ExecInfo> Exec(std::string_view sql, const Params& params) override {
    DD_ASSIGN_OR_RETURN(sqlite3_stmt * stmt, Prepare(sql, params));
    if (!holds_write_ && !sqlite3_stmt_readonly(stmt)) {
      // A write outside a transaction takes the process's write lock too (it
      // waits on the mutex rather than in SQLite's sleeping busy handler)
      // and runs on the write handle, as every write of this process does
      // (see WriteSide::data_version).
      sqlite3_reset(stmt);
      sqlite3_clear_bindings(stmt);
      GateGuard gate(*writes_);
      writes_->Lock();
      Handle* own = h_;
      h_ = writes_->handle.get();
      holds_write_ = true;
      auto r = Exec(sql, params);
      holds_write_ = false;
      h_ = own;
      writes_->Unlock();
      return r;
    }
    int rc;
    while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
    }
    sqlite3_reset(stmt);
    sqlite3_clear_bindings(stmt);
    if (rc != SQLITE_DONE) return SqliteError(h_->db, rc, "step");
    return ExecInfo{sqlite3_changes64(h_->db)};
  }

  Result<BulkStatement*> PrepareBulk(std::string_view sql) override {
    DD_ASSIGN_OR_RETURN(sqlite3_stmt * stmt, Prepare(sql, {}));
    auto& b = h_->bulk[stmt];
    if (!b) b = std::make_unique<SqliteBulk>(h_->db, stmt);
    return b.get();
  }

  Status ExecScript(std::string_view sql) override { return RunScript(h_->db, sql); }

  Status Begin(bool write) override {
    if (!write) return ExecSimple("BEGIN DEFERRED");
    holds_gate_ = EnterGate(*writes_);
    writes_->Lock();
    holds_write_ = true;
    h_ = writes_->handle.get();  // the shared write handle, until commit or rollback
    Status s = ExecSimple("BEGIN IMMEDIATE");
    if (!s.ok()) ReleaseWrite();
    return s;
  }

  // A write of this process outside the desk's own: takes the gate
  // exclusively and runs the acquire hook under it (see
  // Database::TryEnterFastPath). Returns whether the gate was taken.
  static bool EnterGate(WriteSide& w) {
    if (DeskWriterScope::Active() || t_write_depth > 0) return false;
    w.gate.lock();
    if (w.before_write && *w.before_write && !NoAcquireHookScope::Active()) (*w.before_write)();
    return true;
  }
  struct GateGuard {
    explicit GateGuard(WriteSide& w) : w_(w), held_(EnterGate(w)) {}
    ~GateGuard() {
      if (held_) w_.gate.unlock();
    }
    WriteSide& w_;
    bool held_;
  };
  Status Commit() override {
    Status s = ExecSimple("COMMIT");
    if (s.ok()) ReleaseWrite();
    return s;
  }

  Status GroupedWriteTransaction(const std::function<Status()>& fn) override {
    WriteJob job{this, &fn, {}, false};
    WriteSide& w = *writes_;
    std::unique_lock q(w.queue_mu);
    w.queue.push_back(&job);
    while (!job.done) {
      if (w.leading) {
        w.queue_cv.wait(q);
        continue;
      }
      w.leading = true;
      std::vector<WriteJob*> group;
      while (!w.queue.empty() && group.size() < kMaxGroup) {
        group.push_back(w.queue.front());
        w.queue.pop_front();
      }
      q.unlock();
      RunGroup(w, group);
      q.lock();
      for (WriteJob* j : group) j->done = true;
      w.leading = false;
      w.queue_cv.notify_all();  // the results, and the next leader
    }
    return std::move(job.result);
  }
  void Rollback() override {
    if (!sqlite3_get_autocommit(h_->db)) (void)ExecSimple("ROLLBACK");
    ReleaseWrite();
  }

 private:
  Status ExecSimple(const char* sql) { return ExecSimple(h_->db, sql); }
  static Status ExecSimple(sqlite3* db, const char* sql) {
    int rc = sqlite3_exec(db, sql, nullptr, nullptr, nullptr);
    if (rc != SQLITE_OK) return SqliteError(db, rc, sql);
    return {};
  }

  Result<sqlite3_stmt*> Prepare(std::string_view sql, const Params& params) {
    sqlite3_stmt* stmt = nullptr;
    auto it = h_->cache.find(sql);
    if (it != h_->cache.end()) {
      stmt = it->second;
    } else {
      int rc = sqlite3_prepare_v3(h_->db, sql.data(), static_cast<int>(sql.size()),
                                  SQLITE_PREPARE_PERSISTENT, &stmt, nullptr);
      if (rc != SQLITE_OK) return SqliteError(h_->db, rc, "prepare: " + std::string(sql));
      h_->cache.emplace(std::string(sql), stmt);
    }
    for (size_t i = 0; i < params.size(); ++i) {
      int idx = static_cast<int>(i) + 1;
      const Value& v = params[i];
      int rc = SQLITE_OK;
      switch (v.type()) {
        case Value::Type::kNull: rc = sqlite3_bind_null(stmt, idx); break;
        case Value::Type::kInt: rc = sqlite3_bind_int64(stmt, idx, v.AsInt()); break;
        case Value::Type::kReal: rc = sqlite3_bind_double(stmt, idx, v.AsReal()); break;
        case Value::Type::kText:
          rc = sqlite3_bind_text(stmt, idx, v.text_ref().data(),
                                 static_cast<int>(v.text_ref().size()), SQLITE_TRANSIENT);
          break;
        case Value::Type::kBlob:
          rc = sqlite3_bind_blob(stmt, idx, v.text_ref().data(),
                                 static_cast<int>(v.text_ref().size()), SQLITE_TRANSIENT);
          break;
      }
      if (rc != SQLITE_OK) return SqliteError(h_->db, rc, "bind");
    }
    return stmt;
  }

  // Runs one job's `fn` on the shared write handle; an exception becomes an
  // internal error for its caller.
  static Status RunJob(WriteJob& j, Handle* write_handle) {
    j.conn->EnterGroup(write_handle);
    Status s;
    try {
      s = (*j.fn)();
    } catch (const std::exception& e) {
      s = Error(ErrorCode::kInternal, "internal").WithInternal(e.what());
    }
    j.conn->LeaveGroup();
    return s;
  }

  // Runs `group` as one transaction on the shared write handle (the caller
  // leads; the others' connections are idle meanwhile, their threads waiting).
  static void RunGroup(WriteSide& w, const std::vector<WriteJob*>& group) {
    w.Lock();
    struct Unlock {
      WriteSide& w;
      ~Unlock() { w.Unlock(); }
    } unlock{w};
    sqlite3* db = w.handle->db;
    auto exec = [db](const char* sql) { return ExecSimple(db, sql); };
    if (Status b = exec("BEGIN IMMEDIATE"); !b.ok()) {
      for (WriteJob* j : group) j->result = b;
      return;
    }
    if (group.size() == 1) {  // alone: no savepoint needed
      WriteJob& j = *group.front();
      j.result = RunJob(j, w.handle.get());
      if (j.result.ok()) j.result = exec("COMMIT");
      if (!sqlite3_get_autocommit(db)) (void)exec("ROLLBACK");
      return;
    }
    std::vector<WriteJob*> kept;  // succeeded, to commit
    for (size_t i = 0; i < group.size(); ++i) {
      WriteJob& j = *group[i];
      if (j.result = exec("SAVEPOINT job"); !j.result.ok()) continue;
      j.result = RunJob(j, w.handle.get());
      if (sqlite3_get_autocommit(db)) {
        // SQLite rolled the whole transaction back (I/O error, out of
        // memory): what the group did so far is gone; start again.
        if (j.result.ok()) j.result = Error(ErrorCode::kInternal, "transaction_lost");
        for (WriteJob* k : kept) k->result = j.result;
        kept.clear();
        if (Status b = exec("BEGIN IMMEDIATE"); !b.ok()) {
          for (size_t n = i + 1; n < group.size(); ++n) group[n]->result = b;  // not run
          return;
        }
      } else if (j.result.ok()) {
        j.result = exec("RELEASE job");
        if (j.result.ok()) kept.push_back(&j);
      } else {
        (void)exec("ROLLBACK TO job");
        (void)exec("RELEASE job");
      }
    }
    Status c = exec("COMMIT");
    if (!c.ok()) {
      (void)exec("ROLLBACK");
      for (WriteJob* k : kept) k->result = c;
    }
  }

  void EnterGroup(Handle* write_handle) {
    holds_write_ = true;  // the leader holds the mutex
    h_ = write_handle;
  }
  void LeaveGroup() {
    holds_write_ = false;
    h_ = own_.get();
  }

  void ReleaseWrite() {
    if (holds_write_) {
      holds_write_ = false;
      h_ = own_.get();
      writes_->Unlock();
    }
    if (holds_gate_) {
      holds_gate_ = false;
      writes_->gate.unlock();
    }
  }

  std::unique_ptr<Handle> own_;
  Handle* h_;  // own_, or the shared write handle inside a write transaction
  WriteSide* writes_;
  bool holds_write_ = false;
  bool holds_gate_ = false;
};

// Waiting for another process's write lock (the CLI's while the server
// writes, or the server's while the CLI does): SQLite's own busy timeout
// sleeps 1, 2, 5 ... then 100 ms between tries, and a busy server takes the
// lock again within microseconds of giving it up, so a command polling that
// slowly almost never got it ("database is busy" after 5 s). Polling every
// half millisecond for up to 10 s catches the gap a busy writer leaves
// (WriteSide::Lock). The checkpointer polls the same way (Checkpointer).
template <int kPollUs, int kMaxUs>
int PollBusy(void*, int tries) {
  if (tries >= kMaxUs / kPollUs) return 0;
  std::this_thread::sleep_for(std::chrono::microseconds(kPollUs));
  return 1;
}
constexpr auto BusyWait = &PollBusy<500, 10'000'000>;
constexpr auto CheckpointBusyWait = &PollBusy<200, 1'000'000>;

// WAL checkpoints run on a background thread of their own, never inside the
// commit that filled the WAL: a million-row import or a desk outcome returns
// once committed, and copying the WAL into the database file (hundreds of MB
// after an import) happens beside the next requests. Every connection's WAL
// hook asks for a checkpoint when the WAL holds kCheckpointPages or more not
// yet copied into the database file (not when the WAL is that large: under
// steady load it starts over only at a RESTART, every kRestartPages, and a
// checkpoint after every commit copied and synced the same hot pages again
// and again), and a pause of kIdle in the writes gets one too; the
// thread runs PASSIVE checkpoints (never blocking readers or writers) on its
// own connection. The last connection to close checkpoints what is left, as
// SQLite always does.
class Checkpointer {
 public:
  // Small transactions (the desk's) rewrite the same pages again and again
  // (the tails of the call log, the audit chain, each agent's queue and
  // index entries): the fewer checkpoints, the fewer copies of them, and the
  // fewer syncs. 16,000 pages not yet copied (128 MB of 8 KB pages) instead
  // of a WAL of 4,000 pages, which under load meant a checkpoint after every
  // commit: at 4,000 desk outcomes/s offered the checkpointer's CPU 20-22%
  // -> 7.5-7.8%, iowait 18-20% -> 8-9% (2 A/B pairs).
  static constexpr int kCheckpointPages = 16000;
  // A RESTART (below) holds the writers off for 100-300 ms here (it syncs
  // the WAL and the file), however little is left to copy: under the
  // desk's sustained load (about 20,000 pages a second) one every 16,000
  // pages stopped the journal's writer 15% of the time; one every 48,000
  // (a WAL of up to ~400 MB of 8 KB pages, reused from its start after)
  // about 5%.
  static constexpr int kRestartPages = 48000;
  // Writes that pause this long with pages left to copy get a checkpoint.
  static constexpr auto kIdle = std::chrono::seconds(1);

  // The thread starts here, on the thread opening the database (a server's
  // main thread), so that it runs at the normal priority whichever thread
  // first asks for a checkpoint: started by the desk's journal (nice 10,
  // src/core/background.hpp) it inherited its priority, and a RESTART
  // starved of the CPU held every writer off for longer.
  Checkpointer(std::string path, std::mutex* write_mu)
      : path_(std::move(path)), write_mu_(write_mu), thread_([this] { Loop(); }) {}
  ~Checkpointer() {
    {
      std::lock_guard lock(mu_);
      stop_ = true;
    }
    cv_.notify_all();
    if (thread_.joinable()) thread_.join();
  }

  static int WalHook(void* self, sqlite3*, const char*, int pages) {
    auto* c = static_cast<Checkpointer*>(self);
    // Commits are serialised by the write mutex. A WAL smaller than what was
    // copied of it has started over.
    int copied = c->copied_.load();
    if (pages < copied) {
      c->copied_.compare_exchange_strong(copied, 0);
      copied = 0;
    }
    c->wal_pages_ = pages;
    c->commits_.fetch_add(1);
    if (pages - copied >= kCheckpointPages) c->Request();
    return SQLITE_OK;
  }

 private:
  void Request() {
    std::lock_guard lock(mu_);
    if (stop_) return;
    pending_ = true;
    cv_.notify_all();
  }

  // The connection, opened for the first checkpoint; nullptr if it cannot be.
  static sqlite3* Open(const std::string& path) {
    sqlite3* db = nullptr;
    if (sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX, nullptr) !=
        SQLITE_OK) {
      spdlog::warn("event=checkpointer_open_failed");
      sqlite3_close_v2(db);
      return nullptr;
    }
    // Polled finely, as the writers do: sqlite3_busy_timeout backs off to
    // sleeps of 100 ms, and a RESTART waiting for a reader to finish holds
    // the writers off for as long as it sleeps.
    sqlite3_busy_handler(db, CheckpointBusyWait, nullptr);
    // A connection is in WAL mode (and can checkpoint) once it has read the
    // database; before that sqlite3_wal_checkpoint_v2 does nothing.
    sqlite3_exec(db, "PRAGMA journal_mode", nullptr, nullptr, nullptr);
    return db;
  }

  void Loop() {
    NameThread("dd-checkpoint");
    sqlite3* db = nullptr;
    std::unique_lock lock(mu_);
    uint64_t seen = 0, idle_at = 0;
    for (;;) {
      // A request, or a pause in the writes (kIdle without a commit) with
      // pages left to copy: an import's pages reach the file soon after it,
      // the desk's wait in the WAL until there are enough of them.
      if (!cv_.wait_for(lock, kIdle, [&] { return stop_ || pending_; })) {
        const uint64_t now = commits_.load();
        const bool idle = now == seen && now != idle_at && wal_pages_.load() > copied_.load();
        seen = now;
        if (!idle) continue;
        idle_at = now;  // once per pause, even if a reader keeps pages uncopied
      }
      if (stop_) break;
      lock.unlock();
      if (!db && !(db = Open(path_))) return;
      int log = 0, done = 0;
      int rc = sqlite3_wal_checkpoint_v2(db, nullptr, SQLITE_CHECKPOINT_PASSIVE, &log, &done);
      if (rc == SQLITE_OK && log >= kRestartPages) {
        // Under steady load some reader always holds a snapshot in the WAL,
        // so PASSIVE checkpoints never let it start over and it grows
        // without bound (and every page lookup searches it). RESTART waits
        // for those readers (new ones read the file), then rewinds the WAL.
        // It holds the process's write mutex meanwhile, as a writer would:
        // writers polling SQLite's lock would otherwise starve it.
        const auto t0 = std::chrono::steady_clock::now();
        std::lock_guard writing(*write_mu_);
        const auto t1 = std::chrono::steady_clock::now();
        rc = sqlite3_wal_checkpoint_v2(db, nullptr, SQLITE_CHECKPOINT_RESTART, &log, &done);
        // How long the writers waited for it, and it for them.
        spdlog::debug("event=checkpoint_restart wal_pages={} wait_us={} held_us={}", log,
                      std::chrono::duration_cast<std::chrono::microseconds>(t1 - t0).count(),
                      std::chrono::duration_cast<std::chrono::microseconds>(
                          std::chrono::steady_clock::now() - t1)
                          .count());
      }
      if (rc != SQLITE_OK && rc != SQLITE_BUSY) spdlog::warn("event=checkpoint_failed rc={}", rc);
      if (rc == SQLITE_OK) copied_ = done;
      lock.lock();
      // Requests made meanwhile were judged against what was copied before
      // this checkpoint: stale (after a RESTART, one more found the WAL just
      // copied still as large, as no writer had rewound it yet, and ran a
      // second RESTART at once). A commit still leaving enough uncopied asks
      // again, and a pause gets what is left.
      pending_ = false;
    }
    lock.unlock();
    sqlite3_close_v2(db);
  }

  const std::string path_;
  std::mutex* const write_mu_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool stop_ = false;
  bool pending_ = false;
  std::atomic<int> copied_{0};     // the WAL's frames the last checkpoint copied
  std::atomic<int> wal_pages_{0};  // the WAL's size at the last commit
  std::atomic<uint64_t> commits_{0};
  std::thread thread_;  // last: it starts in the constructor
};

class SqliteDatabase final : public Database {
 public:
  explicit SqliteDatabase(std::string path)
      : path_(std::move(path)), checkpointer_(path_, &writes_.mu) {}
  ~SqliteDatabase() override {
    std::lock_guard lock(mu_);
    idle_.clear();  // before the checkpointer their hooks point to
    writes_.handle.reset();
  }

  Dialect dialect() const override { return Dialect::kSqlite; }
  std::string Describe() const override { return path_; }
  uint64_t ChangeGeneration() const override { return writes_.generation.load(); }
  bool TracksChanges() const override { return true; }
  bool TryEnterFastPath() override { return writes_.gate.try_lock_shared(); }
  void LeaveFastPath() override { writes_.gate.unlock_shared(); }
  void PollExternalChanges(bool try_only) override {
    std::unique_lock lock(writes_.mu, std::defer_lock);
    if (try_only) {
      if (!lock.try_lock()) return;
    } else {
      lock.lock();
    }
    writes_.PollExternal();  // no write runs: the handle is free
  }

  Result<Lease> Acquire() override {
    if (acquire_hook_ && t_write_depth == 0 && !NoAcquireHookScope::Active()) acquire_hook_();
    {
      std::lock_guard lock(mu_);
      if (!idle_.empty()) {
        auto c = std::move(idle_.back());
        idle_.pop_back();
        return Lease(this, std::move(c));
      }
    }
    DD_ASSIGN_OR_RETURN(auto conn, OpenConnection());
    return Lease(this, std::move(conn));
  }

  // Opens the shared write handle; once, before any connection.
  Status Init() {
    writes_.before_write = &acquire_hook_;
    DD_ASSIGN_OR_RETURN(writes_.handle, OpenHandle());
    return {};
  }

  Result<std::unique_ptr<Connection>> OpenConnection() {
    DD_ASSIGN_OR_RETURN(auto own, OpenHandle());
    return std::unique_ptr<Connection>(
        std::make_unique<SqliteConnection>(std::move(own), &writes_));
  }

  Result<std::unique_ptr<Handle>> OpenHandle() {
    // Once, before SQLite initialises itself: no memory statistics, which
    // would take a global mutex on every allocation of every connection.
    static const int kConfigured = sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
    (void)kConfigured;
    sqlite3* db = nullptr;
    int rc =
        sqlite3_open_v2(path_.c_str(), &db,
                        SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, nullptr);
    if (rc != SQLITE_OK) {
      Error e(ErrorCode::kUnavailable, "database_unavailable");
      e.internal = "open " + path_ + ": " + (db ? sqlite3_errmsg(db) : sqlite3_errstr(rc));
      sqlite3_close_v2(db);
      return e;
    }
    sqlite3_busy_handler(db, BusyWait, nullptr);
    auto h = std::make_unique<Handle>(db);
    h->writes = &writes_;
    sqlite3_update_hook(db, &WriteSide::UpdateHook, h.get());
    sqlite3_commit_hook(db, &WriteSide::CommitHook, h.get());
    sqlite3_rollback_hook(db, &WriteSide::RollbackHook, h.get());
    // A new database gets 8 KB pages (SQLite's default is 4 KB; an existing
    // one keeps its size). A desk outcome changes rows and index entries in
    // random places, each a page written to the WAL and later copied by the
    // checkpointer: with 8 KB pages the same rows and entries need fewer of
    // them. The desk's journal writer alone: about 10% less CPU per outcome
    // (bench/fold_bench.cpp).
    DD_RETURN_IF_ERROR(
        RunScript(db,
                  "PRAGMA page_size=8192; PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; "
                  "PRAGMA foreign_keys=ON; PRAGMA secure_delete=ON; PRAGMA temp_store=MEMORY; "
                  "PRAGMA cache_size=-32768;"));
    sqlite3_wal_hook(db, &Checkpointer::WalHook, &checkpointer_);  // replaces auto-checkpoints
    return h;
  }

 protected:
  void Release(std::unique_ptr<Connection> conn) override {
    conn->Rollback();  // never hand out a connection inside a transaction
    std::lock_guard lock(mu_);
    if (idle_.size() < 64) idle_.push_back(std::move(conn));  // reuse: warm caches
  }

 private:
  std::string path_;
  WriteSide writes_;  // its mutex outlives the checkpointer, which uses it until it stops
  Checkpointer checkpointer_;
  std::mutex mu_;
  std::vector<std::unique_ptr<Connection>> idle_;
};

}  // namespace

Result<std::unique_ptr<Database>> Open(const std::string& url) {
  if (url.starts_with("postgres://") || url.starts_with("postgresql://")) {
    return Error(ErrorCode::kInvalidArgument, "postgres_not_built");
  }
  auto db = std::make_unique<SqliteDatabase>(url);
  DD_RETURN_IF_ERROR(db->Init());
  DD_ASSIGN_OR_RETURN(auto probe, db->OpenConnection());
  DD_RETURN_IF_ERROR(probe->ExecScript("SELECT 1"));
  return std::unique_ptr<Database>(std::move(db));
}

}  // namespace dd::db
