// xyd C++ API: typed records.
//
// A record is what a feed line holds once validated and normalised: its item
// type, subject (USCC or resident id), as_of date, source and data. A stored
// record adds what the store knows of it: its id, state (active, withdrawn,
// repaired), whether it is the current version of its fact, the repair note,
// and — once released under a consent — the consent's jti.
//
// Store queries return stored records; release, masking, features, scoring,
// reports and verification take them (spans, no copies where a view
// serves). JSON is read once where a record enters the library (a feed line,
// a stored payload) and written once where it leaves (record_json).
// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "xyd/json.hpp"

namespace xyd {

/// The record's state in the store (docs/storage.md): credit repair
/// (信用修复) and withdrawal (撤销) keep the record, never delete it.
enum class record_state { active, withdrawn, repaired };
const char *record_state_id(record_state s) noexcept;
std::optional<record_state> parse_record_state(std::string_view id) noexcept;

/// A withdrawal or credit repair, sealed in the store beside the record.
struct repair_note {
  std::string action;  ///< "withdraw" or "repair"
  std::string reason, date, operator_name;
  std::string recorded_at;  ///< RFC 3339, when the store recorded it
};

/// A validated, normalised record.
struct record {
  std::string type, subject, as_of, source;
  json::value data;  ///< an object: the item type's fields
};

/// A record as the store keeps it.
struct stored_record : record {
  int64_t id = 0;
  record_state state = record_state::active;
  bool current = false;
  std::optional<repair_note> repair;
  std::string consent_jti;  ///< set when released as it is under a consent
};

/// A stored record as read for computing (features, series, freshness):
/// the row's facts and its payload, authenticated, not parsed. Its views
/// point into the record_set that holds it.
struct record_ref {
  int64_t id = 0;
  std::string_view type, as_of;
  record_state state = record_state::active;
  bool current = false;
  std::string_view payload;  ///< the record object as stored: {"type",…,"data":{…}}
  std::string_view data;     ///< its "data" member (look fields up with json::find_member)
};

/// The records of one query, kept as their authenticated payload text in
/// one buffer (padded for json::find_member) until a field is asked for.
/// Repair notes are not read: a record set is for computing, not for
/// showing (store::read gives the own view).
class record_set {
 public:
  std::span<const record_ref> records() const noexcept { return refs_; }
  size_t size() const noexcept { return refs_.size(); }
  bool empty() const noexcept { return refs_.empty(); }
  const record_ref &operator[](size_t i) const noexcept { return refs_[i]; }
  auto begin() const noexcept { return refs_.begin(); }
  auto end() const noexcept { return refs_.end(); }

  /// The record typed: its data parsed (the one parse of a stored
  /// payload's data), no repair note.
  result<stored_record> to_record(const record_ref &r) const;

 private:
  friend class store;
  std::string subject_;  ///< the query's subject: every record's
  std::string buf_;
  std::vector<record_ref> refs_;
};

/// Reads a record object {"type","subject","as_of","source"?,"data"} (the
/// store's payload, a normalised feed line), moving `v`'s members out.
/// Unknown members are errc::corrupt for a payload: payloads are written by
/// the store from validated records only.
result<record> record_from_value(json::value &&v);

/// How a stored record is written out.
enum class record_shape {
  own_view,  ///< the institution's own view: {"id","state","current","repair"?,"type","subject","as_of","source","data"}
  released,  ///< as released to a bank: no repair note; "consent_jti" when a consent covers it
};

/// Appends the record as one JSON object, in the member order above.
void append_record_json(std::string &out, const stored_record &r, record_shape shape);
/// Appends records as one JSON array.
void append_records_json(std::string &out, const stored_record *records, size_t count, record_shape shape);

}  // namespace xyd
