// Files compiled into the binary (see cmake/embed.cmake).
#pragma once

#include <string_view>
#include <vector>

namespace dd::embed {

// One embedded file. `path` starts with '/', relative to the embedded folder;
// `data` is followed by a NUL byte that is not part of the view.
struct File {
  std::string_view path;
  std::string_view data;
};

const std::vector<File>& web_assets();  // web/dist
const std::vector<File>& migrations();  // migrations/*.sql, sorted by name
const std::vector<File>& i18n();        // i18n/<lang>.json

}  // namespace dd::embed
