#include "modules/accounts/accounts_service.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <thread>

#include "core/crypto.hpp"
#include "testing/test_db.hpp"

namespace dd::accounts {
namespace {

TEST(AccountsValidationTest, Usernames) {
  EXPECT_TRUE(ValidUsername("agent_1"));
  EXPECT_TRUE(ValidUsername("li.si@sales"));
  EXPECT_FALSE(ValidUsername(""));
  EXPECT_FALSE(ValidUsername("has space"));
  EXPECT_FALSE(ValidUsername("x'; DROP TABLE users;--"));
  EXPECT_FALSE(ValidUsername(std::string(65, 'a')));
}

TEST(AccountsValidationTest, DisplayText) {
  EXPECT_TRUE(ValidDisplayText("张三", 64));
  std::string wang64;
  for (int i = 0; i < 64; ++i) wang64 += "王";
  EXPECT_TRUE(ValidDisplayText(wang64, 64));
  EXPECT_FALSE(ValidDisplayText(wang64 + "王", 64));
  EXPECT_FALSE(ValidDisplayText("", 64));
  EXPECT_FALSE(ValidDisplayText("a\nb", 64));
  EXPECT_FALSE(ValidDisplayText("\xff\xfe", 64));  // not UTF-8
  EXPECT_FALSE(ValidDisplayText(std::string(65, 'a'), 64));
}

class AccountsServiceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(crypto::InitCrypto());
    dir_ = testdb::FreshDir("dd_acc_");
    db_ = testdb::OpenDb(dir_);
    ASSERT_TRUE(db_);
    Policy p;
    p.max_failures_per_user = 3;
    p.slow_down_after = 100;
    svc_ = std::make_unique<AccountsService>(*db_, clock_, audit_, p);
    auto u = svc_->CreateUser(
        Actor::Cli(), NewUser{"alice", "Alice", "agent", std::nullopt, "correct-horse", false});
    ASSERT_TRUE(u.ok());
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  std::filesystem::path dir_;
  std::unique_ptr<db::Database> db_;
  ManualClock clock_{1'800'000'000};
  audit::AuditLog audit_{clock_};
  std::unique_ptr<AccountsService> svc_;
};

TEST_F(AccountsServiceTest, LockAfterFailuresThenUnlockAfterThePeriod) {
  for (int i = 0; i < 3; ++i) {
    auto r = svc_->Login("alice", "wrong", "10.0.0.1", "test");
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().reason, "invalid_credentials");
  }
  auto locked = svc_->Login("alice", "correct-horse", "10.0.0.1", "test");
  ASSERT_FALSE(locked.ok());
  EXPECT_EQ(locked.error().code, ErrorCode::kLocked);
  EXPECT_GT(locked.error().retry_after_s, 0);
  clock_.Advance(svc_->policy().lock_s + 1);
  EXPECT_TRUE(svc_->Login("alice", "correct-horse", "10.0.0.1", "test").ok());
}

TEST_F(AccountsServiceTest, FailuresOutsideTheWindowDoNotCount) {
  for (int i = 0; i < 2; ++i) ASSERT_FALSE(svc_->Login("alice", "wrong", "ip", "t").ok());
  clock_.Advance(svc_->policy().failure_window_s + 1);
  ASSERT_FALSE(svc_->Login("alice", "wrong", "ip", "t").ok());
  EXPECT_TRUE(svc_->Login("alice", "correct-horse", "ip", "t").ok());
}

TEST_F(AccountsServiceTest, SessionExpiresWhenIdleAndAtTheAbsoluteLimit) {
  auto login = svc_->Login("alice", "correct-horse", "ip", "t");
  ASSERT_TRUE(login.ok());
  const std::string token = login->session_token;
  auto a = svc_->AuthenticateSession(token, "ip");
  ASSERT_TRUE(a.ok() && a->has_value());
  EXPECT_EQ((*a)->username, "alice");
  EXPECT_EQ((*a)->csrf_token, login->csrf_token);
  // Active use keeps it alive until the absolute limit.
  for (int64_t t = 0; t + 3600 < svc_->policy().session_absolute_s; t += 3600) {
    clock_.Advance(3600);
    auto again = svc_->AuthenticateSession(token, "ip");
    ASSERT_TRUE(again.ok() && again->has_value()) << t;
  }
  clock_.Advance(3600);
  auto expired = svc_->AuthenticateSession(token, "ip");
  ASSERT_TRUE(expired.ok());
  EXPECT_FALSE(expired->has_value());

  auto second = svc_->Login("alice", "correct-horse", "ip", "t");
  ASSERT_TRUE(second.ok());
  clock_.Advance(svc_->policy().session_idle_s + 1);
  EXPECT_FALSE(svc_->AuthenticateSession(second->session_token, "ip")->has_value());
}

// Sessions are authenticated from memory between checks (at most a second
// apart); a change made here to the user or the session counts at once.
TEST_F(AccountsServiceTest, CachedSessionsEndAtOnceOnLogoutDisableAndPasswordReset) {
  auto uid = [&](const std::string& name) { return svc_->FindUserByName(name)->id; };
  auto login = [&] { return svc_->Login("alice", "correct-horse", "ip", "t")->session_token; };
  auto valid = [&](const std::string& token) {
    auto a = svc_->AuthenticateSession(token, "ip");
    return a.ok() && a->has_value();
  };
  // Logout.
  std::string t = login();
  auto actor = svc_->AuthenticateSession(t, "ip");
  ASSERT_TRUE(actor.ok() && actor->has_value());
  EXPECT_TRUE(valid(t));  // now from the cache
  ASSERT_TRUE(svc_->Logout(**actor).ok());
  EXPECT_FALSE(valid(t));
  // Disabling the user.
  t = login();
  EXPECT_TRUE(valid(t));
  UserPatch off;
  off.active = false;
  ASSERT_TRUE(svc_->UpdateUser(Actor::Cli(), uid("alice"), off).ok());
  EXPECT_FALSE(valid(t));
  UserPatch on;
  on.active = true;
  ASSERT_TRUE(svc_->UpdateUser(Actor::Cli(), uid("alice"), on).ok());
  // A role change is seen on the next request.
  t = login();
  EXPECT_EQ((*svc_->AuthenticateSession(t, "ip"))->role, Role::kAgent);
  UserPatch promote;
  promote.role = "manager";
  ASSERT_TRUE(svc_->UpdateUser(Actor::Cli(), uid("alice"), promote).ok());
  EXPECT_EQ((*svc_->AuthenticateSession(t, "ip"))->role, Role::kManager);
  // A password reset by an admin.
  EXPECT_TRUE(valid(t));
  UserPatch reset;
  reset.password = "another-horse-9";
  ASSERT_TRUE(svc_->UpdateUser(Actor::Cli(), uid("alice"), reset).ok());
  EXPECT_FALSE(valid(t));
}

TEST_F(AccountsServiceTest, ARevocationByAnotherProcessCountsWithinASecond) {
  const std::string t = svc_->Login("alice", "correct-horse", "ip", "t")->session_token;
  ASSERT_TRUE(svc_->AuthenticateSession(t, "ip")->has_value());
  // As the CLI would, on its own connection.
  auto conn = db_->Acquire();
  ASSERT_TRUE((*conn)->Exec("UPDATE sessions SET revoked_at = 1").ok());
  std::this_thread::sleep_for(std::chrono::milliseconds(1100));
  EXPECT_FALSE(svc_->AuthenticateSession(t, "ip")->has_value());
}

// The I/O thread authenticates without writing: a session due its touch of
// last_seen_at is left to a worker, and nothing is written meanwhile.
TEST_F(AccountsServiceTest, WithoutWritingLeavesTheTouchToAWorker) {
  const std::string t = svc_->Login("alice", "correct-horse", "ip", "t")->session_token;
  auto last_seen = [&] {
    auto conn = db_->Acquire();
    return (*(*conn)->QueryOne("SELECT last_seen_at FROM sessions"))->Int(0);
  };
  const int64_t logged_in = last_seen();
  auto known = svc_->SessionWithoutWriting(t, "10.0.0.9");
  ASSERT_TRUE(known.has_value());
  EXPECT_EQ(known->username, "alice");
  EXPECT_EQ(known->ip, "10.0.0.9");
  clock_.Advance(120);
  EXPECT_FALSE(svc_->SessionWithoutWriting(t, "ip").has_value());
  EXPECT_EQ(last_seen(), logged_in);
  ASSERT_TRUE(svc_->AuthenticateSession(t, "ip")->has_value());
  EXPECT_EQ(last_seen(), logged_in + 120);
  EXPECT_TRUE(svc_->SessionWithoutWriting(t, "ip").has_value());
  EXPECT_FALSE(svc_->SessionWithoutWriting("not-a-session", "ip").has_value());
}

TEST_F(AccountsServiceTest, StoresOnlyHashes) {
  auto login = svc_->Login("alice", "correct-horse", "ip", "t");
  ASSERT_TRUE(login.ok());
  auto conn = db_->Acquire();
  auto rows = (*conn)->Query("SELECT token_hash FROM sessions");
  ASSERT_TRUE(rows.ok());
  ASSERT_EQ(rows->size(), 1u);
  EXPECT_NE(rows->at(0).Text(0), login->session_token);
  auto pw = (*conn)->QueryOne("SELECT password_hash FROM users WHERE username = 'alice'");
  EXPECT_EQ((*pw)->Text(0).rfind("$argon2id$", 0), 0u);
}

TEST_F(AccountsServiceTest, ManagerSeesOnlyTheirDepartmentSubtree) {
  const Actor cli = Actor::Cli();
  auto top = svc_->CreateDepartment(cli, "TOP", "总部", std::nullopt);
  auto a = svc_->CreateDepartment(cli, "A", "一部", top->id);
  auto a1 = svc_->CreateDepartment(cli, "A1", "一部一组", a->id);
  auto b = svc_->CreateDepartment(cli, "B", "二部", top->id);
  ASSERT_TRUE(a1.ok() && b.ok());
  Actor manager;
  manager.user_id = 999;
  manager.role = Role::kManager;
  manager.department_id = a->id;
  auto deps = svc_->ListDepartments(manager);
  ASSERT_TRUE(deps.ok());
  std::vector<std::string> codes;
  for (const auto& d : *deps) codes.push_back(d.code);
  EXPECT_EQ(codes, (std::vector<std::string>{"A", "A1"}));
  // And moving A under A1 would make a cycle.
  auto cyc = svc_->UpdateDepartment(cli, a->id, DepartmentPatch{std::nullopt, a1->id});
  ASSERT_FALSE(cyc.ok());
  EXPECT_EQ(cyc.error().reason, "department_cycle");
}

}  // namespace
}  // namespace dd::accounts
