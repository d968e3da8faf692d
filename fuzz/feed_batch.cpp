// A whole feed (JSON Lines): validated, then ingested into a fresh
// in-memory store, all or nothing and then skipping invalid lines; the
// store must stay readable.
// SPDX-License-Identifier: Apache-2.0
#include <cstdlib>
#include <sstream>

#include "common.hpp"
#include "xyd/ingest.hpp"
#include "xyd/store.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  using namespace xyd;
  if (size > 1 << 16) return -1;  // the per-line paths are what matter; keep runs fast
  static const master_key key = master_key::generate();
  const std::string_view feed = fuzz::text(data, size);
  {
    std::istringstream in{std::string(feed)};
    ingest::validation_report report;
    (void)ingest::validate_feed(national_catalog(), in, report);
  }
  for (bool skip : {false, true}) {
    auto s = store::open(":memory:", key);
    if (!s) std::abort();
    ingest::options o;
    o.skip_invalid = skip;
    ingest::summary sum;
    (void)ingest::ingest_buffer(**s, feed, o, sum);
    auto subjects = (*s)->subject_list(false);
    if (!subjects) std::abort();  // whatever the feed, what was stored reads back
    for (const auto &subject : *subjects) {
      record_query q;
      q.subject = subject;
      q.history = true;
      if (!(*s)->records(q)) std::abort();
    }
  }
  return 0;
}
