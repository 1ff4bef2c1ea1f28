// For unit tests: a directory and a real SQLite database of the running test's own.
#pragma once

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <memory>
#include <string>

#include "db/database.hpp"

namespace dd::testdb {

// An empty directory named after `prefix`, the process and the running test
// (what an earlier run left there is removed).
inline std::filesystem::path FreshDir(const std::string& prefix) {
  auto dir = std::filesystem::temp_directory_path() /
             (prefix + std::to_string(::getpid()) + "_" +
              ::testing::UnitTest::GetInstance()->current_test_info()->name());
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  return dir;
}

// Opens `dir`/t.db, migrated unless `migrate` is false; nullptr (and a test
// failure) when it cannot.
inline std::unique_ptr<db::Database> OpenDb(const std::filesystem::path& dir, bool migrate = true) {
  auto db = db::Open((dir / "t.db").string());
  EXPECT_TRUE(db.ok());
  if (!db.ok()) return nullptr;
  auto out = std::move(db).value();
  if (migrate) {
    auto m = db::Migrate(*out);
    EXPECT_TRUE(m.ok());
    if (!m.ok()) return nullptr;
  }
  return out;
}

}  // namespace dd::testdb
