#include "core/vault.hpp"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <set>

#include "core/crypto.hpp"
#include "core/int_set.hpp"

namespace dd::vault {
namespace {

class VaultTest : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_TRUE(crypto::InitCrypto()); }
};

TEST_F(VaultTest, SealedValuesOpenAndHideThePlainText) {
  const Vault v = Vault::Encrypted(NewMasterKey());
  const std::string phone = "+8613812345678";
  const std::string sealed = v.Seal(phone);
  EXPECT_TRUE(Vault::IsSealed(sealed));
  EXPECT_EQ(sealed.find("13812345678"), std::string::npos);
  EXPECT_NE(v.Seal(phone), sealed) << "a fresh nonce for every value";
  auto opened = v.Open(sealed);
  ASSERT_TRUE(opened.ok());
  EXPECT_EQ(*opened, phone);
  EXPECT_EQ(*v.Open(v.Seal("")), "");
}

TEST_F(VaultTest, AnotherKeyOrATamperedValueDoesNotOpen) {
  const Vault a = Vault::Encrypted(NewMasterKey());
  const Vault b = Vault::Encrypted(NewMasterKey());
  std::string sealed = a.Seal("+8613812345678");
  EXPECT_FALSE(b.Open(sealed).ok());
  EXPECT_EQ(b.OpenOr(sealed, "?"), "?");
  sealed[sealed.size() - 3] ^= 1;
  EXPECT_FALSE(a.Open(sealed).ok());
}

TEST_F(VaultTest, BlindIndexIsKeyedAndStable) {
  const std::string mk = NewMasterKey();
  const Vault a = Vault::Encrypted(mk);
  const Vault a2 = Vault::Encrypted(mk);
  const Vault b = Vault::Encrypted(NewMasterKey());
  EXPECT_EQ(a.PhoneKey("+8613812345678"), a2.PhoneKey("+8613812345678"));
  EXPECT_NE(a.PhoneKey("+8613812345678"), a.PhoneKey("+8613812345679"));
  EXPECT_NE(a.PhoneKey("+8613812345678"), b.PhoneKey("+8613812345678"));
  EXPECT_NE(a.PhoneKey(""), 0);
}

TEST_F(VaultTest, PlainModeStoresValuesAsGiven) {
  const Vault p = Vault::Plain(std::string(kIndexKeyBytes, 'k'));
  EXPECT_FALSE(p.encrypted());
  EXPECT_EQ(p.Seal("+8613812345678"), "+8613812345678");
  EXPECT_EQ(*p.Open("+8613812345678"), "+8613812345678");
  // A sealed value cannot be opened without the key.
  const Vault e = Vault::Encrypted(NewMasterKey());
  EXPECT_FALSE(p.Open(e.Seal("x")).ok());
}

TEST_F(VaultTest, ALeadsSecretsAreOneSealedValue) {
  const Vault v = Vault::Encrypted(NewMasterKey());
  // An attribute with the separator itself (JSON escapes control characters,
  // but the split must not depend on more than the first two).
  const std::string attrs = R"({"楼盘":"万科城","备注":"a\u0000b"})";
  std::string sealed;
  v.SealLeadInto("+8613812345678", R"(["+8613912345678"])", attrs, &sealed);
  EXPECT_TRUE(Vault::IsSealed(sealed));
  for (const char* secret : {"13812345678", "13912345678", "万科城"})
    EXPECT_EQ(sealed.find(secret), std::string::npos) << secret;
  auto s = v.OpenLead(sealed);
  ASSERT_TRUE(s.ok());
  EXPECT_EQ(s->phone, "+8613812345678");
  EXPECT_EQ(s->alternates, R"(["+8613912345678"])");
  EXPECT_EQ(s->attributes, attrs);
  // Empty lists and objects come back as they went in.
  v.SealLeadInto("+8613812345678", "[]", "{}", &sealed);
  EXPECT_EQ(v.OpenLead(sealed)->attributes, "{}");
  // Another key: an error, and nothing for display.
  const Vault other = Vault::Encrypted(NewMasterKey());
  EXPECT_FALSE(other.OpenLead(sealed).ok());
  EXPECT_EQ(other.OpenLeadOr(sealed).phone, "");
  EXPECT_EQ(other.OpenLeadOr(sealed).attributes, "{}");
}

TEST_F(VaultTest, LeadsStoredInThreeColumnsStillOpen) {
  const Vault v = Vault::Encrypted(NewMasterKey());
  auto s = v.OpenLead(v.Seal("+8613812345678"), "[]", v.Seal(R"({"来源":"展会"})"));
  ASSERT_TRUE(s.ok());
  EXPECT_EQ(s->phone, "+8613812345678");
  EXPECT_EQ(s->alternates, "[]");
  EXPECT_EQ(s->attributes, R"({"来源":"展会"})");
  // Columns not read stay at their empty values.
  EXPECT_EQ(v.OpenLead(v.Seal("+8613812345678"))->attributes, "{}");
  // With encryption off the one value is the plain text, read the same way.
  const Vault p = Vault::Plain(std::string(kIndexKeyBytes, 'k'));
  std::string stored;
  p.SealLeadInto("+8613812345678", "[]", R"({"a":"b"})", &stored);
  EXPECT_NE(stored.find("+8613812345678"), std::string::npos);
  EXPECT_EQ(p.OpenLead(stored)->attributes, R"({"a":"b"})");
  EXPECT_EQ(p.OpenLead("+8613812345678")->phone, "+8613812345678");
}

TEST_F(VaultTest, NoncesNeverRepeat) {
  const Vault v = Vault::Encrypted(NewMasterKey());
  std::set<std::string> nonces;
  for (int i = 0; i < 10000; ++i) nonces.insert(v.Seal("x").substr(1, 24));
  EXPECT_EQ(nonces.size(), 10000u);
}

TEST_F(VaultTest, KeyFileIsCreatedPrivateAndReadBack) {
  const std::string dir = testing::TempDir() + "/vault_key_" + std::to_string(::getpid());
  std::filesystem::create_directories(dir);
  const std::string path = dir + "/db.key";
  EXPECT_FALSE(LoadKeyFile(path, false).ok());
  auto created = LoadKeyFile(path, true);
  ASSERT_TRUE(created.ok());
  EXPECT_EQ(created->size(), kMasterKeyBytes);
  struct stat st {};
  ASSERT_EQ(::stat(path.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  auto again = LoadKeyFile(path, true);
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(*again, *created);
  ::chmod(path.c_str(), 0644);
  auto loose = LoadKeyFile(path, false);
  ASSERT_FALSE(loose.ok());
  EXPECT_EQ(loose.error().reason, "vault_key_mode");
  std::ofstream(path, std::ios::trunc) << "not a key\n";
  ::chmod(path.c_str(), 0600);
  EXPECT_EQ(LoadKeyFile(path, false).error().reason, "vault_bad_key");
  std::filesystem::remove_all(dir);
}

TEST_F(VaultTest, HexKeysParse) {
  EXPECT_TRUE(ParseHexKey(std::string(64, 'a')).ok());
  EXPECT_FALSE(ParseHexKey(std::string(63, 'a')).ok());
  EXPECT_FALSE(ParseHexKey(std::string(64, 'z')).ok());
}

TEST(IntSetTest, InsertAndContainsThroughGrowth) {
  IntSet s;
  for (int64_t k = 1; k <= 100000; ++k) EXPECT_TRUE(s.Insert(k * 7919));
  EXPECT_EQ(s.size(), 100000u);
  for (int64_t k = 1; k <= 100000; ++k) {
    ASSERT_TRUE(s.Contains(k * 7919));
    ASSERT_FALSE(s.Contains(k * 7919 + 1));
  }
  EXPECT_FALSE(s.Insert(7919));
  EXPECT_TRUE(s.Insert(-5));
  EXPECT_TRUE(s.Contains(-5));
}

}  // namespace
}  // namespace dd::vault
