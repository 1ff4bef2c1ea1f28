// Local time in a named time zone (ICU), for calling hours and "today".
// Thread-safe; zones are loaded once and cached.
#pragma once

#include <cstdint>
#include <string_view>

namespace dd::tz {

// Offset from UTC in seconds of zone `id` ("Asia/Shanghai"; the first of a
// comma-separated list; unknown or empty -> Asia/Shanghai) at time `t`.
int32_t OffsetSeconds(std::string_view id, int64_t t);

// Minutes since local midnight (0..1439) in zone `id` at `t`.
int MinutesOfDay(std::string_view id, int64_t t);

// Unix time of the local midnight that starts the day containing `t`.
int64_t DayStart(std::string_view id, int64_t t);

// Parses "HH:MM-HH:MM" (24:00 allowed as an end) into minutes; false if bad.
bool ParseWindow(std::string_view s, int* from, int* to);

}  // namespace dd::tz
