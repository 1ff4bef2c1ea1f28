// Small wrappers over libsodium. Thread-safe; call InitCrypto() once first.
#pragma once

#include <string>
#include <string_view>

namespace dd::crypto {

// Initialises libsodium. Returns false if it cannot (then nothing is safe).
bool InitCrypto();

// `bytes` random bytes from the OS CSPRNG, encoded base64url without padding.
std::string RandomToken(size_t bytes);

// Lower-case hex SHA-256 of `data`.
std::string Sha256Hex(std::string_view data);

// Constant-time equality of two strings.
bool SafeEqual(std::string_view a, std::string_view b);

// argon2id (libsodium's interactive limits: about 64 MiB and 80 ms here).
// At most kMaxConcurrentHashes run at once process-wide; more callers wait.
// HashPassword returns "" only if memory could not be had.
inline constexpr int kMaxConcurrentHashes = 2;
std::string HashPassword(std::string_view password);
bool VerifyPassword(std::string_view hash, std::string_view password);

}  // namespace dd::crypto
