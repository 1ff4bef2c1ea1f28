#include "import/csv_reader.hpp"

#include <array>
#include <cstring>
#include <map>
#include <optional>

#include "import/encoding.hpp"
#include "import/reader_internal.hpp"

namespace dd::import {

namespace {

constexpr std::array<char, 4> kDelimiters = {',', ';', '\t', '|'};
constexpr size_t kSniffLines = 20;
constexpr size_t kSniffBytes = 64 * 1024;

bool IsControlJunk(unsigned char c) {
  // C0 controls that never occur in a text table (tab, LF, VT, FF, CR, SUB and
  // ESC are tolerated).
  return c < 0x20 && c != '\t' && c != '\n' && c != '\v' && c != '\f' && c != '\r' && c != 0x1A &&
         c != 0x1B;
}

class CsvReader final : public TableReader {
 public:
  CsvReader(DecodedText decoded, std::string_view input, const ReadOptions& opts)
      : decoded_(std::move(decoded)), rows_(opts.max_rows) {
    text_ = decoded_.converted ? std::string_view(decoded_.utf8) : input.substr(decoded_.bom_size);
    size_t skip = 0;
    delim_ = SniffDelimiter(text_, &skip);
    pos_ = skip;
    if (skip > 0) line_ = 2;
  }

  std::string_view text() const { return text_; }

  Result<bool> Next(std::vector<std::string>& cells) override {
    return rows_.Next(cells, [this](std::vector<std::string>& c) -> Result<bool> {
      if (pos_ >= text_.size()) return false;
      DD_RETURN_IF_ERROR(ParseRecord(c));
      return true;
    });
  }

 private:
  // Parses one record at pos_ into `cells` (trailing empty cells removed).
  Status ParseRecord(std::vector<std::string>& cells) {
    const char* data = text_.data();
    const size_t n = text_.size();
    for (;;) {
      std::string& field = cells.emplace_back();
      if (pos_ < n && data[pos_] == '"') {
        uint64_t start_line = line_;
        ++pos_;
        for (;;) {
          const void* q = std::memchr(data + pos_, '"', n - pos_);
          if (q == nullptr) {
            return InvalidArgument("csv_unclosed_quote", {{"line", std::to_string(start_line)}});
          }
          size_t qpos = static_cast<size_t>(static_cast<const char*>(q) - data);
          for (size_t i = pos_; i < qpos; ++i) {
            if (data[i] == '\n' || (data[i] == '\r' && (i + 1 >= n || data[i + 1] != '\n'))) {
              ++line_;
            }
          }
          field.append(data + pos_, qpos - pos_);
          pos_ = qpos + 1;
          if (pos_ < n && data[pos_] == '"') {
            field.push_back('"');
            ++pos_;
            continue;
          }
          break;
        }
      }
      // Unquoted field, or text after a closing quote.
      size_t start = pos_;
      while (pos_ < n) {
        char c = data[pos_];
        if (c == delim_ || c == '\n' || c == '\r') break;
        ++pos_;
      }
      field.append(data + start, pos_ - start);
      if (pos_ >= n) break;
      char c = data[pos_++];
      if (c == delim_) continue;
      if (c == '\r' && pos_ < n && data[pos_] == '\n') ++pos_;
      ++line_;
      break;
    }
    while (!cells.empty() && cells.back().empty()) cells.pop_back();
    return {};
  }

  DecodedText decoded_;
  std::string_view text_;
  size_t pos_ = 0;
  char delim_ = ',';
  uint64_t line_ = 1;
  RowSequence rows_;
};

}  // namespace

char SniffDelimiter(std::string_view text, size_t* skip) {
  *skip = 0;
  // Excel's "sep=;" first line.
  if (text.size() >= 5 && (text.starts_with("sep=") || text.starts_with("SEP="))) {
    char d = text[4];
    size_t end = 5;
    if (end == text.size() || text[end] == '\n' || text[end] == '\r') {
      if (end < text.size() && text[end] == '\r') ++end;
      if (end < text.size() && text[end] == '\n') ++end;
      *skip = end;
      return d;
    }
  }
  // Per-line counts of each candidate outside quotes.
  std::array<std::vector<int>, kDelimiters.size()> counts;
  std::array<int, kDelimiters.size()> line_counts{};
  bool in_quotes = false;
  size_t lines = 0;
  size_t limit = std::min(text.size(), kSniffBytes);
  auto end_line = [&] {
    for (size_t k = 0; k < kDelimiters.size(); ++k) counts[k].push_back(line_counts[k]);
    line_counts.fill(0);
    ++lines;
  };
  for (size_t i = 0; i < limit && lines < kSniffLines; ++i) {
    char c = text[i];
    if (c == '"') {
      in_quotes = !in_quotes;
    } else if (!in_quotes && (c == '\n' || c == '\r')) {
      if (c == '\r' && i + 1 < limit && text[i + 1] == '\n') ++i;
      end_line();
    } else if (!in_quotes) {
      for (size_t k = 0; k < kDelimiters.size(); ++k) line_counts[k] += c == kDelimiters[k];
    }
  }
  if (lines < kSniffLines) end_line();  // the last (partial) line
  char best = ',';
  int best_freq = 0, best_mode = 0;
  for (size_t k = 0; k < kDelimiters.size(); ++k) {
    std::map<int, int> freq;  // count -> lines with that count
    for (int v : counts[k]) {
      if (v > 0) ++freq[v];
    }
    int mode = 0, mode_freq = 0;
    for (auto [v, f] : freq) {
      if (f > mode_freq || (f == mode_freq && v > mode)) mode = v, mode_freq = f;
    }
    if (mode_freq > best_freq || (mode_freq == best_freq && mode_freq > 0 && mode > best_mode)) {
      best = kDelimiters[k], best_freq = mode_freq, best_mode = mode;
    }
  }
  return best;
}

Result<std::unique_ptr<TableReader>> OpenCsv(std::string_view bytes, const ReadOptions& opts) {
  DD_ASSIGN_OR_RETURN(DecodedText decoded, DecodeText(bytes));
  auto reader = std::make_unique<CsvReader>(std::move(decoded), bytes, opts);
  std::string_view text = reader->text();
  if (text.find('\0') != std::string_view::npos) {
    return NotSpreadsheet("NUL character in decoded text");
  }
  // Binary junk that happens to decode: too many control characters.
  size_t sample = std::min<size_t>(text.size(), 64 * 1024), junk = 0;
  for (size_t i = 0; i < sample; ++i) junk += IsControlJunk(static_cast<unsigned char>(text[i]));
  if (junk > 8 && junk * 100 > sample) return NotSpreadsheet("control characters in text");
  return std::unique_ptr<TableReader>(std::move(reader));
}

}  // namespace dd::import
