// The one interface through which all business code reaches the database.
//
// SQL uses `?` placeholders and portable SQL (INSERT ... RETURNING, recursive
// CTEs, integer epoch seconds for times). Where SQLite and PostgreSQL differ,
// business code asks Connection::dialect() instead of writing engine-only SQL.
//
// Threads: a Database is shared by all threads; a Connection belongs to one
// thread at a time (take it with Acquire(), it returns to the pool when the
// Lease is destroyed).
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.hpp"

namespace dd::db {

enum class Dialect { kSqlite, kPostgres };

// A bound parameter or a column value.
class Value {
 public:
  enum class Type { kNull, kInt, kReal, kText, kBlob };
  Value() = default;
  Value(std::nullptr_t) {}                                        // NOLINT
  Value(int v) : type_(Type::kInt), i_(v) {}                      // NOLINT
  Value(int64_t v) : type_(Type::kInt), i_(v) {}                  // NOLINT
  Value(bool v) : type_(Type::kInt), i_(v ? 1 : 0) {}             // NOLINT
  Value(double v) : type_(Type::kReal), d_(v) {}                  // NOLINT
  Value(std::string v) : type_(Type::kText), s_(std::move(v)) {}  // NOLINT
  Value(std::string_view v) : type_(Type::kText), s_(v) {}        // NOLINT
  Value(const char* v) : type_(Type::kText), s_(v) {}             // NOLINT
  // Bytes stored as a BLOB (read back with Row::Text like any text).
  static Value Blob(std::string v) {
    Value b(std::move(v));
    b.type_ = Type::kBlob;
    return b;
  }
  template <typename T>
  Value(const std::optional<T>& v) {  // NOLINT
    if (v) *this = Value(*v);
  }

  Type type() const { return type_; }
  bool is_null() const { return type_ == Type::kNull; }
  int64_t AsInt() const;
  double AsReal() const;
  std::string AsText() const;
  const std::string& text_ref() const { return s_; }

 private:
  Type type_ = Type::kNull;
  int64_t i_ = 0;
  double d_ = 0;
  std::string s_;
};

using Params = std::vector<Value>;

class Row {
 public:
  explicit Row(std::vector<Value> cols) : cols_(std::move(cols)) {}
  size_t size() const { return cols_.size(); }
  bool IsNull(size_t i) const { return cols_.at(i).is_null(); }
  int64_t Int(size_t i) const { return cols_.at(i).AsInt(); }
  bool Bool(size_t i) const { return cols_.at(i).AsInt() != 0; }
  std::string Text(size_t i) const { return cols_.at(i).AsText(); }
  std::optional<int64_t> OptInt(size_t i) const;
  std::optional<std::string> OptText(size_t i) const;

 private:
  std::vector<Value> cols_;
};

struct ExecInfo {
  int64_t changes = 0;
};

// A prepared statement for bulk writes: bind views (not copied; they must
// live until Execute returns), execute, repeat. Owned by its Connection.
class BulkStatement {
 public:
  virtual ~BulkStatement() = default;
  virtual void BindText(int index, std::string_view v) = 0;  // 1-based
  virtual void BindBlob(int index, std::string_view v) = 0;  // 1-based
  virtual void BindInt(int index, int64_t v) = 0;
  virtual void BindNull(int index) = 0;
  virtual Status Execute() = 0;  // runs once, then clears the bindings
  // Rows the last Execute inserted, updated or deleted.
  virtual int64_t Changes() const = 0;
};

class Connection {
 public:
  virtual ~Connection() = default;
  virtual Dialect dialect() const = 0;

  // Runs one statement (prepared and cached by its text) and returns all rows.
  virtual Result<std::vector<Row>> Query(std::string_view sql, const Params& params = {}) = 0;
  // Runs one statement whose columns are all integers (NULL reads as 0) and
  // returns them row by row in one flat vector: `columns` values per row.
  // For scans of many rows (a deal's leads), without a Row per row (SQLite
  // maps the file for it instead of copying each page out of the OS cache);
  // `expect_rows` reserves room (growing by copying costs page faults).
  virtual Result<std::vector<int64_t>> QueryInts(std::string_view sql, const Params& params,
                                                 int columns, size_t expect_rows = 0) = 0;
  // Runs one statement that returns no rows.
  virtual Result<ExecInfo> Exec(std::string_view sql, const Params& params = {}) = 0;
  // A statement for many executions with cheap binding (imports).
  virtual Result<BulkStatement*> PrepareBulk(std::string_view sql) = 0;
  // Runs several statements without parameters (migrations only).
  virtual Status ExecScript(std::string_view sql) = 0;

  // Transactions: Begin(true) takes the write lock at once, so read-then-write
  // sequences (the audit chain, counters) cannot interleave.
  virtual Status Begin(bool write) = 0;
  virtual Status Commit() = 0;
  virtual void Rollback() = 0;
  // Runs `fn` in a write transaction: committed when it succeeds, rolled back
  // when it fails. An engine may commit several callers' such transactions
  // at once (group commit: each in a savepoint of one transaction), so `fn`
  // must not begin, commit or roll back itself, and must stay small (a few
  // statements on a few rows: a savepoint makes every statement of a big
  // transaction slower). Use it through WithGroupedTransaction().
  virtual Status GroupedWriteTransaction(const std::function<Status()>& fn);

  // The first row, or std::nullopt when there is none.
  Result<std::optional<Row>> QueryOne(std::string_view sql, const Params& params = {});
};

class Database;

// A connection borrowed from the pool; returned when destroyed.
class Lease {
 public:
  Lease(Database* db, std::unique_ptr<Connection> conn) : db_(db), conn_(std::move(conn)) {}
  Lease(Lease&&) = default;
  Lease& operator=(Lease&&) = default;
  ~Lease();
  Connection& operator*() { return *conn_; }
  Connection* operator->() { return conn_.get(); }

 private:
  Database* db_;
  std::unique_ptr<Connection> conn_;
};

class Database {
 public:
  virtual ~Database() = default;
  virtual Dialect dialect() const = 0;
  // A connection. Runs the acquire hook first (see SetAcquireHook).
  virtual Result<Lease> Acquire() = 0;
  // Where the data lives, for messages ("data/dialdeck.db").
  virtual std::string Describe() const = 0;

  // --- For a cache of database state kept in memory (the desk's fast path,
  // src/modules/desk/desk_fast.cpp).
  //
  // Counts the commits that may have changed what such a cache holds: every
  // commit of this process that wrote to a table other than those in
  // CacheNeutralTable() (sessions, the audit trail, the call log …), except
  // writes made inside a DeskWriterScope (the desk's own, which keep its
  // cache right themselves; writes to `dnc` always count), and every commit
  // of another process (the CLI), seen through SQLite's data_version when
  // this process next takes its write lock or calls PollExternalChanges.
  // 0 for ever where not supported.
  virtual uint64_t ChangeGeneration() const { return 0; }
  // Looks for another process's commits now; with `try_only`, only if no
  // write of this process is running (never waits).
  virtual void PollExternalChanges(bool /*try_only*/) {}
  // `hook` runs at the start of every Acquire(), except inside a
  // NoAcquireHookScope or on a thread inside a write transaction: the desk
  // engine writes its pending outcomes there, so that every other reader and
  // writer sees them. Set once, before use.
  void SetAcquireHook(std::function<void()> hook) { acquire_hook_ = std::move(hook); }
  // Whether the database is usable with the hooks above (SQLite: yes).
  virtual bool TracksChanges() const { return false; }
  // The gate between answers from memory and the other writers: every write
  // transaction of this process outside a DeskWriterScope (and every write
  // outside a transaction) holds it exclusively from before it runs the
  // acquire hook until it commits or rolls back. The desk's fast path holds
  // it shared while it checks ChangeGeneration() and queues an outcome, so
  // an outcome answered from memory is either written before such a
  // transaction starts or not answered from memory at all. Never waits.
  virtual bool TryEnterFastPath() { return false; }
  virtual void LeaveFastPath() {}

 protected:
  friend class Lease;
  virtual void Release(std::unique_ptr<Connection> conn) = 0;
  std::function<void()> acquire_hook_;
};

// Tables whose rows no cache of desk state depends on.
bool CacheNeutralTable(std::string_view table);

// While alive on a thread, that thread's writes do not count in
// ChangeGeneration() (writes to `dnc` still do). For the desk's own writes.
class DeskWriterScope {
 public:
  DeskWriterScope();
  ~DeskWriterScope();
  DeskWriterScope(const DeskWriterScope&) = delete;
  DeskWriterScope& operator=(const DeskWriterScope&) = delete;
  static bool Active();
};

// While alive on a thread, Acquire() on that thread skips the acquire hook
// (reads that cannot depend on what the hook writes, e.g. sessions).
class NoAcquireHookScope {
 public:
  NoAcquireHookScope();
  ~NoAcquireHookScope();
  NoAcquireHookScope(const NoAcquireHookScope&) = delete;
  NoAcquireHookScope& operator=(const NoAcquireHookScope&) = delete;
  static bool Active();
};

// Opens the database named by `url`: a SQLite file path (created if missing)
// or, later, "postgres://...". WAL, foreign keys and a busy timeout are on.
Result<std::unique_ptr<Database>> Open(const std::string& url);

// Runs `fn` inside a transaction; commits if it returns ok, else rolls back.
Status WithTransaction(Connection& conn, bool write, const std::function<Status()>& fn);
// A small write transaction that may be committed together with others
// running at the same time (the desk's outcomes): see
// Connection::GroupedWriteTransaction.
Status WithGroupedTransaction(Connection& conn, const std::function<Status()>& fn);

// Applies the embedded migrations not yet applied; returns how many ran.
Result<int> Migrate(Database& db);

}  // namespace dd::db
