// The allocator's settings, for the programs linked with mimalloc (the
// server and the desk's journal benchmark). Only those include this header.
#pragma once

#include <mimalloc.h>

namespace dd::app {

// Memory freed is kept committed for a second before it goes back to the
// OS. SQLite frees a connection's whole page cache whenever another
// connection wrote (the desk's read-ahead, several times a second, on every
// read transaction) and allocates it again page by page: returned at once
// (mimalloc's default delay is 25 ms), each page was faulted in afresh,
// which cost the desk's background threads ~15% of their CPU (the journal
// benchmark: ~104 -> ~86 µs per outcome). The cost: up to a second's worth
// of freed memory stays in the resident set.
inline void TuneAllocator() {
  mi_option_set(mi_option_decommit_delay, 1000);          // ms
  mi_option_set(mi_option_segment_decommit_delay, 1000);  // ms
}

}  // namespace dd::app
