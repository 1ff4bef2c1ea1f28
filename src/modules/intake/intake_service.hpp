// Lead intake: reads an uploaded lead list from memory, maps its columns,
// cleans and validates every number, puts each data row in exactly one bucket
// (imported, invalid, duplicate_in_file, duplicate_existing, dnc) and stores
// the batch, its leads and its (masked) rejected rows in one transaction:
// after a crash the database holds the whole batch or none of it. The file
// itself is never written anywhere. Also the do-not-call list.
//
// Thread-safe: share one instance; each call uses its own connection.
#pragma once

#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <unordered_map>

#include "core/auth.hpp"
#include "core/clock.hpp"
#include "core/result.hpp"
#include "core/vault.hpp"
#include "db/database.hpp"
#include "import/table_reader.hpp"
#include "modules/audit/audit_log.hpp"
#include "modules/intake/column_mapping.hpp"
#include "modules/phone/phone_cleaner.hpp"
#include "modules/settings/settings.hpp"

namespace dd::intake {

struct ImportRequest {
  std::string filename;
  std::string_view bytes;  // the upload, in memory; the caller wipes it after
  std::string batch_name;  // default: the file name without extension
  std::string source;
  std::string consent_note;
  std::string quality = "B";
  std::optional<int64_t> retention_days;  // default: setting default_retention_days
  std::optional<nlohmann::json> mapping;  // {"header_row", "columns": [...]}
  std::string mapping_spec;               // CLI: "phone=电话,name=3"
  std::string sheet;
  bool dry_run = false;
  std::string progress_id;  // optional: lets a client poll Progress()
};

// "13812345678" -> "138****5678"; short or odd inputs keep only their ends.
std::string MaskDigits(std::string_view digits);

class IntakeService {
 public:
  IntakeService(db::Database& db, const Clock& clock, const audit::AuditLog& audit,
                const settings::Settings& settings, const phone::PhoneCleaner& cleaner,
                const vault::Vault& vault)
      : db_(db),
        clock_(clock),
        audit_(audit),
        settings_(settings),
        cleaner_(cleaner),
        vault_(vault) {}

  // The suggested mapping and the first data rows. Errors: the reader's
  // (file_not_spreadsheet, file_corrupt, zip_bomb, too_many_rows ...), no_phone_column.
  Result<nlohmann::json> Preview(std::string_view bytes, std::string_view filename,
                                 const std::string& sheet);

  // The import report: batch_id (null on a dry run), rows, the five bucket
  // counts, invalid_reasons, samples, rejects_url ...
  Result<nlohmann::json> Import(const Actor& actor, const ImportRequest& req);

  // {"phase", "rows"} of a running or recent import, by its progress id.
  std::optional<nlohmann::json> Progress(const std::string& id) const;

  Result<nlohmann::json> ListBatches(const Actor& actor);
  Result<nlohmann::json> GetBatch(const Actor& actor, int64_t id);
  // The batch's rejected rows (masked) as an xlsx file; gone after 24 hours
  // (error rejects_expired).
  Result<std::string> RejectsXlsx(const Actor& actor, int64_t batch_id, const std::string& lang);

  // Do-not-call list.
  Result<nlohmann::json> ListDnc(const std::string& query, int limit,
                                 std::optional<int64_t> before_id);
  Result<nlohmann::json> AddDnc(const Actor& actor, const std::string& phone,
                                const std::string& note);
  Status RemoveDnc(const Actor& actor, int64_t id);
  Result<nlohmann::json> ImportDnc(const Actor& actor, std::string_view bytes,
                                   std::string_view filename);

  static constexpr int64_t kRejectsTtl = 24 * 3600;

 private:
  void SetProgress(const std::string& id, const char* phase, int64_t rows);

  struct OpenedFile {
    const char* format;  // "xlsx", "xls", "csv"
    std::unique_ptr<import::TableReader> reader;
  };
  // Detects the format and opens the sheet, with the row limit from settings.
  Result<OpenedFile> OpenFile(std::string_view bytes, std::string_view filename,
                              const std::string& sheet) const;

  db::Database& db_;
  const Clock& clock_;
  const audit::AuditLog& audit_;
  const settings::Settings& settings_;
  const phone::PhoneCleaner& cleaner_;
  const vault::Vault& vault_;

  struct ProgressEntry {
    std::string phase;
    int64_t rows = 0;
    int64_t updated_at = 0;
  };
  mutable std::mutex progress_mu_;
  std::unordered_map<std::string, ProgressEntry> progress_;
};

}  // namespace dd::intake
