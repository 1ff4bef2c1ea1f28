// A set of non-zero 64-bit integers (blind indexes of phone numbers) with
// open addressing: one flat array, no allocation per element. Not
// thread-safe.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

namespace dd {

class IntSet {
 public:
  explicit IntSet(size_t expected = 0) { Rehash(Capacity(expected)); }

  // Adds `k` (non-zero); false if it was there already.
  bool Insert(int64_t k) {
    if ((size_ + 1) * 4 > slots_.size() * 3) Rehash(slots_.size() * 2);
    return Place(k);
  }
  bool Contains(int64_t k) const {
    const size_t mask = slots_.size() - 1;
    for (size_t i = Hash(k) & mask;; i = (i + 1) & mask) {
      if (slots_[i] == k) return true;
      if (slots_[i] == 0) return false;
    }
  }
  size_t size() const { return size_; }

 private:
  static size_t Capacity(size_t expected) {
    size_t c = 16;
    while (c * 3 < expected * 4 + 4) c *= 2;
    return c;
  }
  static size_t Hash(int64_t k) {
    uint64_t x = static_cast<uint64_t>(k);
    x ^= x >> 33;
    x *= 0xff51afd7ed558ccdULL;
    x ^= x >> 33;
    return static_cast<size_t>(x);
  }
  bool Place(int64_t k) {
    const size_t mask = slots_.size() - 1;
    for (size_t i = Hash(k) & mask;; i = (i + 1) & mask) {
      if (slots_[i] == k) return false;
      if (slots_[i] == 0) {
        slots_[i] = k;
        ++size_;
        return true;
      }
    }
  }
  void Rehash(size_t capacity) {
    std::vector<int64_t> old;
    old.swap(slots_);
    slots_.assign(capacity, 0);
    size_ = 0;
    for (int64_t k : old)
      if (k != 0) Place(k);
  }

  std::vector<int64_t> slots_;
  size_t size_ = 0;
};

}  // namespace dd
