#include "modules/intake/intake_service.hpp"

#include <sodium.h>
#include <spdlog/spdlog.h>
#include <sys/stat.h>
#include <unistd.h>
#include <xlsxwriter.h>

#include <chrono>
#include <condition_variable>
#include <deque>
#include <filesystem>
#include <fstream>
#include <functional>
#include <thread>
#include <unordered_set>

#include "core/crypto.hpp"
#include "core/i18n.hpp"
#include "core/int_set.hpp"
#include "import/table_reader.hpp"
#include "modules/intake/batch_keys.hpp"

namespace dd::intake {
namespace {

using nlohmann::json;

// Rows per INSERT: 50 x 14 = 700 parameters.
constexpr size_t kRowsPerInsert = 50;
constexpr size_t kMaxSamples = 50;  // rejected rows shown in the report
constexpr size_t kSamplesPerReason = 5;

std::string Digits(std::string_view s) {
  std::string d;
  for (char c : s) {
    if (c >= '0' && c <= '9') d += c;
  }
  return d;
}

// Appends `s` as a JSON string literal (UTF-8 passes through; invalid bytes
// are replaced so the stored JSON always parses).
void AppendJsonString(std::string& out, std::string_view s) {
  out += '"';
  for (size_t i = 0; i < s.size(); ++i) {
    unsigned char c = static_cast<unsigned char>(s[i]);
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      default:
        if (c < 0x20) {
          char buf[8];
          std::snprintf(buf, sizeof buf, "\\u%04x", c);
          out += buf;
        } else {
          out += static_cast<char>(c);
        }
    }
  }
  out += '"';
}

std::string Trimmed(std::string_view s) {
  while (!s.empty() && IsBlankCell(s.substr(0, 1))) s.remove_prefix(1);
  while (!s.empty() && IsBlankCell(s.substr(s.size() - 1))) s.remove_suffix(1);
  return std::string(s);
}

std::string Stem(std::string_view filename) {
  auto slash = filename.find_last_of("/\\");
  if (slash != std::string_view::npos) filename.remove_prefix(slash + 1);
  auto dot = filename.rfind('.');
  if (dot != std::string_view::npos && dot > 0) filename = filename.substr(0, dot);
  return std::string(filename);
}

struct Reject {
  int64_t row;
  const char* bucket;
  std::string reason;
  std::string phone_masked;
  std::string name;
};

// One data row after the thread-safe part of the work (cleaning, JSON):
// what is left is counting, de-duplicating and storing.
struct Pending {
  int64_t row = 0;
  bool blank = false;
  std::string invalid_reason;    // set: the row is invalid
  const char* bucket = nullptr;  // "duplicate_in_file", "dnc" or "duplicate_existing"
  std::string masked;            // masked number for reports
  phone::PhoneInfo phone;
  int64_t phone_key = 0;  // the vault's blind index of phone.e164
  std::string name, area, alternates, attributes;
  // What is stored: the vault's one value for the lead's secrets (sealed
  // when encryption is on).
  std::string phone_stored;
};

void Prepare(const ColumnMapping& mapping, const phone::PhoneCleaner& cleaner, int64_t row_no,
             const std::vector<std::string>& row, Pending* l) {
  // Reset, keeping the strings' buffers (blocks of rows are reused).
  l->blank = false;
  l->invalid_reason.clear();
  l->bucket = nullptr;
  l->masked.clear();
  l->phone_key = 0;
  l->name.clear();
  l->area.clear();
  l->alternates.clear();
  l->attributes.clear();
  l->row = row_no;
  if (IsBlankRow(row)) {
    l->blank = true;
    return;
  }
  auto cell = [&](int col) -> std::string {
    return col >= 0 && static_cast<size_t>(col) < row.size() ? Trimmed(row[col]) : std::string();
  };
  const std::string raw_phone = cell(mapping.phone_col);
  l->name = cell(mapping.name_col);
  if (IsBlankCell(raw_phone)) {
    l->invalid_reason = "missing_phone";
    return;
  }
  phone::CleanResult c = cleaner.Clean(raw_phone);
  if (!c.phone) {
    l->invalid_reason = c.invalid_reason.empty() ? "invalid_number" : c.invalid_reason;
    l->masked = MaskDigits(Digits(raw_phone));
    return;
  }
  l->area = cell(mapping.area_col);
  l->alternates = "[";
  for (size_t i = 0; i < c.alternates.size(); ++i) {
    if (i) l->alternates += ',';
    AppendJsonString(l->alternates, c.alternates[i].e164);
  }
  l->alternates += ']';
  l->attributes = "{";
  bool first = true;
  for (size_t i = 0; i < mapping.roles.size() && i < row.size(); ++i) {
    if (mapping.roles[i] != ColumnRole::kAttribute || IsBlankCell(row[i])) continue;
    if (!first) l->attributes += ',';
    first = false;
    AppendJsonString(l->attributes, mapping.headers[i]);
    l->attributes += ':';
    AppendJsonString(l->attributes, Trimmed(row[i]));
  }
  l->attributes += '}';
  l->phone = std::move(*c.phone);
}

struct RowBlock {
  std::vector<std::vector<std::string>> rows;
  std::vector<Pending> prepared;  // filled on the pipeline's prepare thread
  size_t used = 0;
};

// Two threads of its own: one reads rows into blocks, the other prepares
// them (cleaning, JSON, sealing: `prepare` runs on that thread only, in file
// order); blocks reach the caller through small bounded queues. With the
// caller storing rows, three stages share the two cores as the kernel sees
// fit. Pop() returns nullptr at the end, or the reader's error.
class RowPipeline {
 public:
  static constexpr size_t kBlockRows = 2048;
  static constexpr size_t kMaxBlocks = 12;

  using PrepareFn = std::function<void(int64_t row_no, const std::vector<std::string>&, Pending*)>;

  RowPipeline(import::TableReader& reader, int64_t first_row_no, PrepareFn prepare)
      : reader_(reader), next_row_(first_row_no), prepare_(std::move(prepare)) {
    reader_thread_ = std::thread([this] { Read(); });
    prepare_thread_ = std::thread([this] { Prepare(); });
  }
  ~RowPipeline() {
    {
      std::lock_guard lock(mu_);
      stop_ = true;
    }
    cv_.notify_all();
    reader_thread_.join();
    prepare_thread_.join();
  }

  Result<RowBlock*> Pop() {
    std::unique_lock lock(mu_);
    cv_.wait(lock, [&] { return !full_.empty() || done_; });
    if (!full_.empty()) {
      RowBlock* b = full_.front();
      full_.pop_front();
      cv_.notify_all();
      return b;
    }
    if (!error_.reason.empty()) return error_;
    return static_cast<RowBlock*>(nullptr);
  }

  void Recycle(RowBlock* b) {
    std::lock_guard lock(mu_);
    free_.push_back(b);
    cv_.notify_all();
  }

 private:
  void Read() {
    for (;;) {
      RowBlock* b = nullptr;
      {
        std::unique_lock lock(mu_);
        cv_.wait(lock, [&] { return stop_ || !free_.empty() || blocks_.size() < kMaxBlocks; });
        if (stop_) return;
        if (!free_.empty()) {
          b = free_.back();
          free_.pop_back();
        } else {
          blocks_.push_back(std::make_unique<RowBlock>());
          b = blocks_.back().get();
          b->rows.resize(kBlockRows);
          b->prepared.resize(kBlockRows);
        }
      }
      b->used = 0;
      bool end = false;
      Error err;
      while (b->used < kBlockRows) {
        auto more = reader_.Next(b->rows[b->used]);
        if (!more.ok()) {
          err = std::move(more).error();
          end = true;
          break;
        }
        if (!*more) {
          end = true;
          break;
        }
        ++b->used;
      }
      std::lock_guard lock(mu_);
      if (b->used > 0) {
        read_.push_back(b);
      } else {
        free_.push_back(b);
      }
      if (end) {
        error_ = std::move(err);
        read_done_ = true;
        cv_.notify_all();
        return;
      }
      cv_.notify_all();
    }
  }

  void Prepare() {
    for (;;) {
      RowBlock* b = nullptr;
      {
        std::unique_lock lock(mu_);
        cv_.wait(lock, [&] { return stop_ || !read_.empty() || read_done_; });
        if (stop_) return;
        if (read_.empty()) {  // the reader has finished and everything is prepared
          done_ = true;
          cv_.notify_all();
          return;
        }
        b = read_.front();
        read_.pop_front();
      }
      for (size_t i = 0; i < b->used; ++i) prepare_(next_row_++, b->rows[i], &b->prepared[i]);
      std::lock_guard lock(mu_);
      full_.push_back(b);
      cv_.notify_all();
    }
  }

  import::TableReader& reader_;
  int64_t next_row_;
  PrepareFn prepare_;
  std::thread reader_thread_, prepare_thread_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::vector<std::unique_ptr<RowBlock>> blocks_;
  std::deque<RowBlock*> read_;  // read, waiting to be prepared
  std::deque<RowBlock*> full_;  // prepared, waiting for the caller
  std::vector<RowBlock*> free_;
  Error error_;
  bool read_done_ = false;
  bool done_ = false;
  bool stop_ = false;
};

}  // namespace

std::string MaskDigits(std::string_view digits) {
  const size_t n = digits.size();
  if (n == 0) return "";
  if (n >= 8) return std::string(digits.substr(0, 3)) + "****" + std::string(digits.substr(n - 4));
  if (n >= 4)
    return std::string(digits.substr(0, 1)) + std::string(n - 3, '*') +
           std::string(digits.substr(n - 2));
  return std::string(n, '*');
}

void IntakeService::SetProgress(const std::string& id, const char* phase, int64_t rows) {
  if (id.empty()) return;
  std::lock_guard lock(progress_mu_);
  const int64_t now = clock_.Now();
  if (progress_.size() > 1000) {
    std::erase_if(progress_, [now](const auto& kv) { return now - kv.second.updated_at > 3600; });
  }
  progress_[id] = ProgressEntry{phase, rows, now};
}

std::optional<json> IntakeService::Progress(const std::string& id) const {
  std::lock_guard lock(progress_mu_);
  auto it = progress_.find(id);
  if (it == progress_.end()) return std::nullopt;
  return json{{"phase", it->second.phase}, {"rows", it->second.rows}};
}

Result<IntakeService::OpenedFile> IntakeService::OpenFile(std::string_view bytes,
                                                          std::string_view filename,
                                                          const std::string& sheet) const {
  DD_ASSIGN_OR_RETURN(int64_t max_rows, settings_.GetInt("import_max_rows"));
  import::ReadOptions ro;
  ro.max_rows = static_cast<uint64_t>(max_rows);
  ro.sheet = sheet;
  DD_ASSIGN_OR_RETURN(import::Format fmt, import::DetectFormat(bytes, filename));
  DD_ASSIGN_OR_RETURN(auto reader, import::OpenTable(bytes, filename, ro));
  const char* format = fmt == import::Format::kXlsx  ? "xlsx"
                       : fmt == import::Format::kXls ? "xls"
                                                     : "csv";
  return OpenedFile{format, std::move(reader)};
}

Result<json> IntakeService::Preview(std::string_view bytes, std::string_view filename,
                                    const std::string& sheet) {
  DD_ASSIGN_OR_RETURN(OpenedFile file, OpenFile(bytes, filename, sheet));
  auto& reader = file.reader;
  std::vector<std::vector<std::string>> sample;
  std::vector<std::string> cells;
  while (sample.size() < kSampleRows + 20) {
    DD_ASSIGN_OR_RETURN(bool more, reader->Next(cells));
    if (!more) break;
    sample.push_back(cells);
  }
  std::vector<std::vector<std::string>> head(sample.begin(),
                                             sample.begin() + std::min(sample.size(), kSampleRows));
  DD_ASSIGN_OR_RETURN(ColumnMapping m, SuggestMapping(head, [this](std::string_view c) {
                        return cleaner_.Clean(c).phone.has_value();
                      }));
  json rows = json::array();
  for (size_t i = static_cast<size_t>(m.header_row + 1); i < sample.size() && rows.size() < 20;
       ++i) {
    if (IsBlankRow(sample[i])) continue;
    json r = json::array();
    for (size_t c = 0; c < std::max(sample[i].size(), m.roles.size()); ++c) {
      r.push_back(c < sample[i].size() ? sample[i][c] : "");
    }
    rows.push_back(std::move(r));
  }
  json mj = MappingJson(m);
  return json{{"format", file.format},
              {"sheet", sheet},
              {"header_row", mj["header_row"]},
              {"columns", mj["columns"]},
              {"rows", rows}};
}

Result<json> IntakeService::Import(const Actor& actor, const ImportRequest& req) {
  const auto started = std::chrono::steady_clock::now();
  if (req.quality != "A" && req.quality != "B" && req.quality != "C") {
    return InvalidArgument("invalid_quality");
  }
  std::string batch_name = Trimmed(req.batch_name.empty() ? Stem(req.filename) : req.batch_name);
  if (batch_name.empty()) batch_name = "import";
  if (batch_name.size() > 200 || req.source.size() > 500 || req.consent_note.size() > 2000) {
    return InvalidArgument("invalid_field", {{"field", "batch_name"}});
  }
  if (req.retention_days && (*req.retention_days < 0 || *req.retention_days > 36500)) {
    return InvalidArgument("invalid_field", {{"field", "retention_days"}});
  }
  DD_ASSIGN_OR_RETURN(int64_t scope_days, settings_.GetInt("duplicate_scope_days"));
  DD_ASSIGN_OR_RETURN(int64_t default_retention, settings_.GetInt("default_retention_days"));
  std::optional<int64_t> retention = req.retention_days;
  if (!retention && default_retention > 0) retention = default_retention;

  SetProgress(req.progress_id, "reading", 0);
  DD_ASSIGN_OR_RETURN(OpenedFile file, OpenFile(req.bytes, req.filename, req.sheet));
  auto& reader = file.reader;

  // The first rows decide the mapping.
  std::vector<std::vector<std::string>> sample;
  std::vector<std::string> cells;
  bool more = true;
  while (sample.size() < kSampleRows) {
    DD_ASSIGN_OR_RETURN(more, reader->Next(cells));
    if (!more) break;
    sample.push_back(cells);
  }
  auto looks_like_phone = [this](std::string_view c) {
    return cleaner_.Clean(c).phone.has_value();
  };
  auto suggested = SuggestMapping(sample, looks_like_phone);
  ColumnMapping mapping;
  if (suggested.ok()) {
    mapping = *suggested;
  } else {
    if (!req.mapping && req.mapping_spec.empty()) return std::move(suggested).error();
    size_t width = 0;
    for (const auto& r : sample) width = std::max(width, r.size());
    mapping.headers.resize(width);
    for (size_t i = 0; i < width; ++i) mapping.headers[i] = "列" + std::to_string(i + 1);
    mapping.roles.assign(width, ColumnRole::kAttribute);
  }
  if (req.mapping) {
    DD_ASSIGN_OR_RETURN(mapping, ApplyMappingJson(mapping, *req.mapping, sample));
  }
  if (!req.mapping_spec.empty()) {
    DD_ASSIGN_OR_RETURN(mapping, ApplyMappingSpec(mapping, req.mapping_spec));
  }

  DD_ASSIGN_OR_RETURN(auto conn, db_.Acquire());
  const int64_t now = clock_.Now();
  const int64_t dup_since = scope_days > 0 ? now - scope_days * 86400 : 0;
  // Numbers are compared through their blind index (the vault's PhoneKey):
  // the do-not-call list and the leads in the duplicate scope are loaded
  // into memory once, so each row is checked without a query.
  IntSet dnc, existing, seen;
  {
    DD_ASSIGN_OR_RETURN(auto rows, conn->Query("SELECT phone_key FROM dnc"));
    for (const auto& r : rows) dnc.Insert(r.Int(0));
  }

  const std::string insert_sql =
      "INSERT INTO leads (batch_id, phone_key, phone, name, area, phone_type, region, carrier, "
      "timezone, extension, alternates, attributes, quality, source_row, created_at) "
      "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)";
  std::string insert_many_sql = insert_sql;
  for (size_t k = 1; k < kRowsPerInsert; ++k)
    insert_many_sql += ", (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)";

  int64_t rows_total = 0, imported = 0, invalid = 0, dup_file = 0, dup_existing = 0, dnc_count = 0;
  std::map<std::string, int64_t> invalid_reasons;
  std::map<std::string, size_t> samples_per_reason;
  std::vector<Reject> rejects;  // not yet stored
  int64_t rejects_total = 0;
  json samples = json::array();
  int64_t batch_id = 0;
  std::vector<int64_t> stored_keys;  // the batch's numbers, for later duplicate checks

  auto reject = [&](int64_t row, const char* bucket, std::string reason, std::string masked,
                    std::string name) {
    const std::string key = std::string(bucket) + ":" + reason;
    if (samples.size() < kMaxSamples && samples_per_reason[key]++ < kSamplesPerReason) {
      samples.push_back({{"row", row},
                         {"bucket", bucket},
                         {"reason", reason},
                         {"phone", masked},
                         {"name", name}});
    }
    if (!req.dry_run) {
      rejects.push_back(Reject{row, bucket, std::move(reason), std::move(masked), std::move(name)});
      ++rejects_total;
    }
  };
  // Rejected rows go into the database block by block (inside the import's
  // transaction), so a file of a million duplicates does not hold them all
  // in memory.
  auto flush_rejects = [&]() -> Status {
    if (rejects.empty()) return {};
    DD_ASSIGN_OR_RETURN(
        db::BulkStatement * rej,
        conn->PrepareBulk("INSERT INTO import_rejects (batch_id, source_row, bucket, reason, "
                          "phone_masked, name, expires_at) VALUES (?, ?, ?, ?, ?, ?, ?)"));
    for (const auto& r : rejects) {
      rej->BindInt(1, batch_id);
      rej->BindInt(2, r.row);
      rej->BindText(3, r.bucket);
      rej->BindText(4, r.reason);
      rej->BindText(5, r.phone_masked);
      rej->BindText(6, r.name);
      rej->BindInt(7, now + kRejectsTtl);
      DD_RETURN_IF_ERROR(rej->Execute());
    }
    rejects.clear();
    return {};
  };

  // Stores rows in multi-row INSERTs of kRowsPerInsert (fewer statement
  // executions), the remainder one by one. The statements bind views of the
  // rows' strings, which live until the block they belong to is recycled.
  auto store = [&](const std::vector<const Pending*>& keep) -> Status {
    constexpr int kCols = 15;
    auto bind = [&](db::BulkStatement* ins, int base, const Pending& l) {
      ins->BindInt(base + 1, batch_id);
      ins->BindInt(base + 2, l.phone_key);
      ins->BindBlob(base + 3, l.phone_stored);  // sealed columns are BLOBs
      ins->BindText(base + 4, l.name);
      ins->BindText(base + 5, l.area);
      ins->BindText(base + 6, l.phone.type);
      ins->BindText(base + 7, l.phone.region);
      ins->BindText(base + 8, l.phone.carrier);
      ins->BindText(base + 9, l.phone.timezone);
      ins->BindText(base + 10, l.phone.extension);
      ins->BindBlob(base + 11, "");  // in the phone column's sealed value
      ins->BindBlob(base + 12, "");
      ins->BindText(base + 13, req.quality);
      ins->BindInt(base + 14, l.row);
      ins->BindInt(base + 15, now);
    };
    size_t i = 0;
    for (; i + kRowsPerInsert <= keep.size(); i += kRowsPerInsert) {
      DD_ASSIGN_OR_RETURN(db::BulkStatement * ins, conn->PrepareBulk(insert_many_sql));
      for (size_t k = 0; k < kRowsPerInsert; ++k)
        bind(ins, static_cast<int>(k) * kCols, *keep[i + k]);
      DD_RETURN_IF_ERROR(ins->Execute());
    }
    for (; i < keep.size(); ++i) {
      DD_ASSIGN_OR_RETURN(db::BulkStatement * ins, conn->PrepareBulk(insert_sql));
      bind(ins, 0, *keep[i]);
      DD_RETURN_IF_ERROR(ins->Execute());
    }
    return {};
  };

  // Counts a prepared row into its bucket; true if it is to be stored.
  auto consume = [&](Pending& l) -> bool {
    if (l.blank) return false;
    ++rows_total;
    if (!l.invalid_reason.empty()) {
      ++invalid;
      ++invalid_reasons[l.invalid_reason];
      reject(l.row, "invalid", l.invalid_reason, std::move(l.masked), std::move(l.name));
      return false;
    }
    if (l.bucket) {
      const std::string_view b(l.bucket);
      if (b == "dnc") {
        ++dnc_count;
      } else if (b == "duplicate_existing") {
        ++dup_existing;
      } else {
        ++dup_file;
      }
      reject(l.row, l.bucket, "", std::move(l.masked), std::move(l.name));
      return false;
    }
    ++imported;
    if (req.dry_run) return false;
    stored_keys.push_back(l.phone_key);
    return true;
  };
  // Runs on the pipeline's prepare thread (rows in file order, one at a time):
  // cleaning, JSON, sealing, and the in-file, do-not-call and existing checks.
  auto prepare = [this, &mapping, &seen, &dnc, &existing](
                     int64_t row_no, const std::vector<std::string>& row, Pending* out) {
    Prepare(mapping, cleaner_, row_no, row, out);
    if (out->blank || !out->invalid_reason.empty()) return;
    out->phone_key = vault_.PhoneKey(out->phone.e164);
    if (!seen.Insert(out->phone_key)) {
      out->bucket = "duplicate_in_file";
    } else if (dnc.Contains(out->phone_key)) {
      out->bucket = "dnc";
    } else if (existing.Contains(out->phone_key)) {
      out->bucket = "duplicate_existing";
    }
    if (out->bucket) {
      out->masked = MaskDigits(out->phone.national);  // for the report and rejects file
    } else {
      // One sealed value for the number, the other numbers and the extra
      // columns (leads.alternates and leads.attributes stay empty).
      vault_.SealLeadInto(out->phone.e164, out->alternates, out->attributes, &out->phone_stored);
    }
  };

  auto run = [&]() -> Status {
    // Inside the write transaction: no other import can add leads meanwhile.
    DD_ASSIGN_OR_RETURN(existing, LoadBatchKeys(*conn, dup_since));
    if (!req.dry_run) {
      DD_ASSIGN_OR_RETURN(
          auto ins,
          conn->QueryOne(
              "INSERT INTO batches (name, source, consent_note, quality, retention_days, "
              "imported_by, "
              "imported_by_name, created_at, file_format) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) "
              "RETURNING id",
              {batch_name, req.source, req.consent_note, req.quality, retention,
               actor.user_id > 0 ? db::Value(actor.user_id) : db::Value(), actor.username, now,
               file.format}));
      batch_id = ins->Int(0);
    }
    int64_t row_no = 0;
    std::vector<Pending> head;
    head.reserve(sample.size());
    std::vector<const Pending*> keep;
    for (const auto& r : sample) {
      ++row_no;
      if (row_no - 1 <= mapping.header_row) continue;
      head.emplace_back();
      prepare(row_no, r, &head.back());
    }
    for (auto& l : head)
      if (consume(l)) keep.push_back(&l);
    DD_RETURN_IF_ERROR(store(keep));
    DD_RETURN_IF_ERROR(flush_rejects());
    if (more) {
      // The rest of the file: a reader thread parses and prepares blocks of
      // rows while this thread stores them (the two halves of the work run
      // on both cores).
      RowPipeline pipe(*reader, row_no + 1, prepare);
      for (;;) {
        DD_ASSIGN_OR_RETURN(RowBlock * block, pipe.Pop());
        if (!block) break;
        keep.clear();
        for (size_t i = 0; i < block->used; ++i) {
          if (consume(block->prepared[i])) keep.push_back(&block->prepared[i]);
        }
        Status st = store(keep);
        if (st.ok()) st = flush_rejects();
        pipe.Recycle(block);
        DD_RETURN_IF_ERROR(st);
        SetProgress(req.progress_id, req.dry_run ? "checking" : "saving", rows_total);
      }
    }
    if (!req.dry_run) return StoreBatchKeys(*conn, batch_id, stored_keys);
    return {};
  };

  json report;
  auto finish_report = [&]() {
    json reasons = json::object();
    for (const auto& [k, v] : invalid_reasons) reasons[k] = v;
    const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                        std::chrono::steady_clock::now() - started)
                        .count();
    json mj = MappingJson(mapping);
    report = json{{"batch_id", req.dry_run ? json(nullptr) : json(batch_id)},
                  {"dry_run", req.dry_run},
                  {"batch_name", batch_name},
                  {"format", file.format},
                  {"rows", rows_total},
                  {"imported", imported},
                  {"invalid", invalid},
                  {"duplicate_in_file", dup_file},
                  {"duplicate_existing", dup_existing},
                  {"dnc", dnc_count},
                  {"invalid_reasons", reasons},
                  {"samples", samples},
                  {"header_row", mj["header_row"]},
                  {"mapping", mj},
                  {"rejects_url", nullptr},
                  {"rejects_expire_at", nullptr},
                  {"elapsed_ms", ms}};
    if (!req.dry_run && rejects_total > 0) {
      report["rejects_url"] = "/api/v1/batches/" + std::to_string(batch_id) + "/rejects.xlsx";
      report["rejects_expire_at"] = FormatIso8601(now + kRejectsTtl);
    }
  };

  if (req.dry_run) {
    DD_RETURN_IF_ERROR(run());
    finish_report();
  } else {
    DD_RETURN_IF_ERROR(db::WithTransaction(*conn, true, [&]() -> Status {
      DD_RETURN_IF_ERROR(run());
      DD_RETURN_IF_ERROR(flush_rejects());
      finish_report();
      DD_RETURN_IF_ERROR(conn->Exec(
          "UPDATE batches SET rows_total = ?, imported = ?, invalid = ?, duplicate_in_file = ?, "
          "duplicate_existing = ?, dnc = ?, report = ? WHERE id = ?",
          {rows_total, imported, invalid, dup_file, dup_existing, dnc_count, report.dump(),
           batch_id}));
      return audit_.Append(*conn,
                           audit::Entry::By(actor, "import", "batch:" + std::to_string(batch_id),
                                            {{"name", batch_name},
                                             {"format", report["format"]},
                                             {"rows", rows_total},
                                             {"imported", imported},
                                             {"invalid", invalid},
                                             {"duplicate_in_file", dup_file},
                                             {"duplicate_existing", dup_existing},
                                             {"dnc", dnc_count}}));
    }));
  }
  // The import's time runs until its rows are committed (the stored copy of
  // the report was written just before the commit).
  report["elapsed_ms"] = std::chrono::duration_cast<std::chrono::milliseconds>(
                             std::chrono::steady_clock::now() - started)
                             .count();
  SetProgress(req.progress_id, "done", rows_total);
  spdlog::info(
      "event=import batch={} rows={} imported={} invalid={} dup_file={} dup_existing={} dnc={} "
      "ms={} dry_run={}",
      batch_id, rows_total, imported, invalid, dup_file, dup_existing, dnc_count,
      report["elapsed_ms"].get<int64_t>(), req.dry_run);
  return report;
}

// ---------------------------------------------------------------- batches

namespace {
constexpr std::string_view kBatchColumns =
    "id, name, source, consent_note, quality, retention_days, imported_by_name, created_at, "
    "rows_total, imported, invalid, duplicate_in_file, duplicate_existing, dnc, report";

json BatchJson(const db::Row& r, bool with_report) {
  json j = {{"id", r.Int(0)},
            {"name", r.Text(1)},
            {"source", r.Text(2)},
            {"consent_note", r.Text(3)},
            {"quality", r.Text(4)},
            {"retention_days", r.IsNull(5) ? json(nullptr) : json(r.Int(5))},
            {"imported_by", r.Text(6)},
            {"created_at", FormatIso8601(r.Int(7))},
            {"rows", r.Int(8)},
            {"imported", r.Int(9)},
            {"invalid", r.Int(10)},
            {"duplicate_in_file", r.Int(11)},
            {"duplicate_existing", r.Int(12)},
            {"dnc", r.Int(13)}};
  if (with_report) {
    json rep = json::parse(r.Text(14), nullptr, false);
    j["report"] = rep.is_discarded() ? json::object() : rep;
  }
  return j;
}
}  // namespace

Result<json> IntakeService::ListBatches(const Actor& actor) {
  (void)actor;  // batches are company-wide for managers and admins
  DD_ASSIGN_OR_RETURN(auto conn, db_.Acquire());
  DD_ASSIGN_OR_RETURN(auto rows, conn->Query("SELECT " + std::string(kBatchColumns) +
                                             " FROM batches ORDER BY id DESC LIMIT 1000"));
  json items = json::array();
  for (const auto& r : rows) items.push_back(BatchJson(r, false));
  return json{{"items", items}};
}

Result<json> IntakeService::GetBatch(const Actor& actor, int64_t id) {
  (void)actor;
  DD_ASSIGN_OR_RETURN(auto conn, db_.Acquire());
  DD_ASSIGN_OR_RETURN(
      auto row,
      conn->QueryOne("SELECT " + std::string(kBatchColumns) + " FROM batches WHERE id = ?", {id}));
  if (!row) return NotFound("batch");
  return BatchJson(*row, true);
}

Result<std::string> IntakeService::RejectsXlsx(const Actor& actor, int64_t batch_id,
                                               const std::string& lang) {
  DD_ASSIGN_OR_RETURN(auto conn, db_.Acquire());
  DD_ASSIGN_OR_RETURN(auto batch,
                      conn->QueryOne("SELECT name FROM batches WHERE id = ?", {batch_id}));
  if (!batch) return NotFound("batch");
  const int64_t now = clock_.Now();
  // Expired rows are deleted whenever anyone asks.
  DD_RETURN_IF_ERROR(conn->Exec("DELETE FROM import_rejects WHERE expires_at <= ?", {now}));
  DD_ASSIGN_OR_RETURN(
      auto rows,
      conn->Query("SELECT source_row, bucket, reason, phone_masked, name FROM import_rejects "
                  "WHERE batch_id = ? ORDER BY source_row",
                  {batch_id}));
  if (rows.empty()) return Error(ErrorCode::kNotFound, "rejects_expired");

  // libxlsxwriter writes only to a path: a private folder in memory-backed
  // /dev/shm (or $TMPDIR), removed at once. The rows are masked already.
  const char* shm = std::filesystem::exists("/dev/shm") ? "/dev/shm" : nullptr;
  std::string base = shm ? shm : std::filesystem::temp_directory_path().string();
  std::string dir = base + "/dialdeck-" + crypto::RandomToken(12);
  if (::mkdir(dir.c_str(), 0700) != 0) return InternalError("mkdir " + dir);
  std::string path = dir + "/rejects.xlsx";
  std::string out;
  {
    lxw_workbook_options opts = {};
    opts.constant_memory = LXW_FALSE;
    opts.tmpdir = const_cast<char*>(dir.c_str());
    lxw_workbook* wb = workbook_new_opt(path.c_str(), &opts);
    if (!wb) {
      std::filesystem::remove_all(dir);
      return InternalError("xlsx writer");
    }
    lxw_worksheet* ws = workbook_add_worksheet(wb, nullptr);
    const char* headers[] = {"rejects.row", "rejects.bucket", "rejects.reason", "rejects.phone",
                             "rejects.name"};
    for (int c = 0; c < 5; ++c) {
      worksheet_write_string(ws, 0, c, i18n::Translate(lang, headers[c]).c_str(), nullptr);
    }
    lxw_row_t r = 1;
    for (const auto& row : rows) {
      worksheet_write_number(ws, r, 0, static_cast<double>(row.Int(0)), nullptr);
      worksheet_write_string(ws, r, 1, i18n::Translate(lang, "bucket." + row.Text(1)).c_str(),
                             nullptr);
      std::string reason = row.Text(2);
      worksheet_write_string(ws, r, 2,
                             reason.empty() ? "" : i18n::Translate(lang, "phone." + reason).c_str(),
                             nullptr);
      worksheet_write_string(ws, r, 3, row.Text(3).c_str(), nullptr);
      worksheet_write_string(ws, r, 4, row.Text(4).c_str(), nullptr);
      ++r;
    }
    std::string footer = i18n::Translate(lang, "rejects.watermark",
                                         {{"user", actor.username}, {"time", FormatIso8601(now)}});
    worksheet_write_string(ws, r + 1, 0, footer.c_str(), nullptr);
    lxw_error err = workbook_close(wb);
    if (err == LXW_NO_ERROR) {
      std::ifstream in(path, std::ios::binary);
      out.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
    }
    std::error_code ec;
    std::filesystem::remove_all(dir, ec);
    if (err != LXW_NO_ERROR) return InternalError(std::string("xlsx: ") + lxw_strerror(err));
  }
  DD_RETURN_IF_ERROR(db::WithTransaction(*conn, true, [&]() -> Status {
    return audit_.Append(
        *conn, audit::Entry::By(actor, "export.rejects", "batch:" + std::to_string(batch_id),
                                {{"rows", rows.size()}}));
  }));
  return out;
}

// ---------------------------------------------------------------- DNC

Result<json> IntakeService::ListDnc(const std::string& query, int limit,
                                    std::optional<int64_t> before_id) {
  limit = std::clamp(limit, 1, 500);
  // Numbers are sealed at rest: a search finds a whole number through its
  // blind index; anything else searches the notes.
  std::optional<int64_t> key;
  std::string note_query = Trimmed(query);
  if (auto c = cleaner_.Clean(query); c.phone) {
    key = vault_.PhoneKey(c.phone->e164);
    note_query.clear();
  }
  DD_ASSIGN_OR_RETURN(auto conn, db_.Acquire());
  DD_ASSIGN_OR_RETURN(
      auto rows, conn->Query("SELECT id, phone, note, added_by_name, created_at, source FROM dnc "
                             "WHERE (? IS NULL OR id < ?) AND (? IS NULL OR phone_key = ?) "
                             "AND (? = '' OR instr(note, ?) > 0) ORDER BY id DESC LIMIT ?",
                             {before_id, before_id, key, key, note_query, note_query, limit}));
  json items = json::array();
  for (const auto& r : rows) {
    const std::string phone = vault_.OpenOr(r.Text(1));
    auto c = cleaner_.Clean(phone);
    items.push_back({{"id", r.Int(0)},
                     {"phone", phone},
                     {"phone_display", c.phone ? c.phone->display : phone},
                     {"note", r.Text(2)},
                     {"added_by", r.Text(3)},
                     {"created_at", FormatIso8601(r.Int(4))},
                     {"source", r.Text(5)}});
  }
  return json{{"items", items}};
}

Result<json> IntakeService::AddDnc(const Actor& actor, const std::string& raw,
                                   const std::string& note) {
  auto c = cleaner_.Clean(raw);
  if (!c.phone) return InvalidArgument("invalid_phone");
  if (note.size() > 500) return InvalidArgument("invalid_field", {{"field", "note"}});
  DD_ASSIGN_OR_RETURN(auto conn, db_.Acquire());
  int64_t id = 0;
  DD_RETURN_IF_ERROR(db::WithTransaction(*conn, true, [&]() -> Status {
    const int64_t key = vault_.PhoneKey(c.phone->e164);
    DD_ASSIGN_OR_RETURN(auto exists,
                        conn->QueryOne("SELECT id FROM dnc WHERE phone_key = ?", {key}));
    if (exists) return Error(ErrorCode::kConflict, "dnc_exists");
    DD_ASSIGN_OR_RETURN(
        auto ins,
        conn->QueryOne(
            "INSERT INTO dnc (phone_key, phone, note, source, added_by, added_by_name, created_at) "
            "VALUES (?, ?, ?, 'manual', ?, ?, ?) RETURNING id",
            {key, db::Value::Blob(vault_.Seal(c.phone->e164)), note,
             actor.user_id > 0 ? db::Value(actor.user_id) : db::Value(), actor.username,
             clock_.Now()}));
    id = ins->Int(0);
    return audit_.Append(*conn, audit::Entry::By(actor, "dnc.add", "dnc:" + std::to_string(id),
                                                 {{"phone", MaskDigits(c.phone->national)}}));
  }));
  return json{{"id", id},
              {"phone", c.phone->e164},
              {"phone_display", c.phone->display},
              {"note", note},
              {"added_by", actor.username},
              {"created_at", FormatIso8601(clock_.Now())},
              {"source", "manual"}};
}

Status IntakeService::RemoveDnc(const Actor& actor, int64_t id) {
  DD_ASSIGN_OR_RETURN(auto conn, db_.Acquire());
  return db::WithTransaction(*conn, true, [&]() -> Status {
    DD_ASSIGN_OR_RETURN(auto row, conn->QueryOne("SELECT phone FROM dnc WHERE id = ?", {id}));
    if (!row) return NotFound("dnc");
    DD_RETURN_IF_ERROR(conn->Exec("DELETE FROM dnc WHERE id = ?", {id}));
    return audit_.Append(
        *conn, audit::Entry::By(actor, "dnc.remove", "dnc:" + std::to_string(id),
                                {{"phone", MaskDigits(Digits(vault_.OpenOr(row->Text(0))))}}));
  });
}

Result<json> IntakeService::ImportDnc(const Actor& actor, std::string_view bytes,
                                      std::string_view filename) {
  DD_ASSIGN_OR_RETURN(OpenedFile file, OpenFile(bytes, filename, ""));
  auto& reader = file.reader;
  // Every cell that holds a valid number counts: DNC files are often one
  // bare column without a header.
  int64_t rows = 0, added = 0, already = 0, invalid = 0;
  DD_ASSIGN_OR_RETURN(auto conn, db_.Acquire());
  const int64_t now = clock_.Now();
  std::vector<std::string> cells;
  DD_RETURN_IF_ERROR(db::WithTransaction(*conn, true, [&]() -> Status {
    for (;;) {
      DD_ASSIGN_OR_RETURN(bool more, reader->Next(cells));
      if (!more) break;
      if (IsBlankRow(cells)) continue;
      ++rows;
      std::optional<phone::PhoneInfo> found;
      for (const auto& c : cells) {
        if (IsBlankCell(c)) continue;
        auto r = cleaner_.Clean(c);
        if (r.phone) {
          found = r.phone;
          break;
        }
      }
      if (!found) {
        ++invalid;
        continue;
      }
      DD_ASSIGN_OR_RETURN(
          auto info,
          conn->Exec(
              "INSERT INTO dnc (phone_key, phone, note, source, added_by, added_by_name, "
              "created_at) VALUES (?, ?, '', 'import', ?, ?, ?) "
              "ON CONFLICT (phone_key) DO NOTHING",
              {vault_.PhoneKey(found->e164), db::Value::Blob(vault_.Seal(found->e164)),
               actor.user_id > 0 ? db::Value(actor.user_id) : db::Value(), actor.username, now}));
      if (info.changes > 0) {
        ++added;
      } else {
        ++already;
      }
    }
    return audit_.Append(
        *conn, audit::Entry::By(
                   actor, "dnc.import", "dnc",
                   {{"rows", rows}, {"added", added}, {"already", already}, {"invalid", invalid}}));
  }));
  return json{{"rows", rows}, {"added", added}, {"already", already}, {"invalid", invalid}};
}

}  // namespace dd::intake
