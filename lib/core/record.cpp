// Typed records: reading a record object once, writing stored records once.
// SPDX-License-Identifier: Apache-2.0
#include "xyd/record.hpp"

namespace xyd {

const char *record_state_id(record_state s) noexcept {
  switch (s) {
    case record_state::active: return "active";
    case record_state::withdrawn: return "withdrawn";
    case record_state::repaired: return "repaired";
  }
  return "active";
}

std::optional<record_state> parse_record_state(std::string_view id) noexcept {
  if (id == "active") return record_state::active;
  if (id == "withdrawn") return record_state::withdrawn;
  if (id == "repaired") return record_state::repaired;
  return std::nullopt;
}

result<record> record_from_value(json::value &&v) {
  if (!v.is(json::kind::object)) return status(errc::corrupt, "record: not a JSON object");
  record r;
  bool have_type = false, have_subject = false, have_as_of = false, have_data = false;
  for (auto &[key, member] : v.members) {
    const bool text = member.is(json::kind::string);
    if (key == "type" && text && !have_type) r.type = std::move(member.text), have_type = true;
    else if (key == "subject" && text && !have_subject) r.subject = std::move(member.text), have_subject = true;
    else if (key == "as_of" && text && !have_as_of) r.as_of = std::move(member.text), have_as_of = true;
    else if (key == "source" && text) r.source = std::move(member.text);
    else if (key == "data" && member.is(json::kind::object) && !have_data) r.data = std::move(member), have_data = true;
    else return status(errc::corrupt, "record: unexpected member " + json::path_member("$", key));
  }
  if (!have_type || !have_subject || !have_as_of || !have_data)
    return status(errc::corrupt, "record: type, subject, as_of and data are required");
  return r;
}

result<stored_record> record_set::to_record(const record_ref &r) const {
  // The row's facts are the record's (authenticated with the payload); of
  // the payload only the data is parsed.
  auto data = json::parse_view(r.data);
  if (!data || !data->is(json::kind::object))
    return status(errc::corrupt, "store: record " + std::to_string(r.id) + ": bad payload");
  stored_record out;
  out.type = r.type;
  out.subject = subject_;
  out.as_of = r.as_of;
  if (auto source = json::find_member(r.payload, "source"); source && source->type == json::kind::string)
    out.source = source->text;
  out.data = std::move(*data);
  out.id = r.id;
  out.state = r.state;
  out.current = r.current;
  return out;
}

void append_record_json(std::string &out, const stored_record &r, record_shape shape) {
  out += "{\"id\":";
  out += std::to_string(r.id);
  out += ",\"state\":\"";
  out += record_state_id(r.state);
  out += "\",\"current\":";
  out += r.current ? "true" : "false";
  if (shape == record_shape::own_view && r.repair) {
    out += ",\"repair\":{\"action\":";
    json::append_quoted(out, r.repair->action);
    out += ",\"reason\":";
    json::append_quoted(out, r.repair->reason);
    out += ",\"date\":";
    json::append_quoted(out, r.repair->date);
    out += ",\"operator\":";
    json::append_quoted(out, r.repair->operator_name);
    out += ",\"recorded_at\":";
    json::append_quoted(out, r.repair->recorded_at);
    out += '}';
  }
  out += ",\"type\":";
  json::append_quoted(out, r.type);
  out += ",\"subject\":";
  if (r.subject.empty()) out += "null";  // redacted by a masking policy
  else json::append_quoted(out, r.subject);
  out += ",\"as_of\":";
  json::append_quoted(out, r.as_of);
  if (!r.source.empty()) {
    out += ",\"source\":";
    json::append_quoted(out, r.source);
  }
  out += ",\"data\":";
  json::dump_to(out, r.data);
  if (shape == record_shape::released && !r.consent_jti.empty()) {
    out += ",\"consent_jti\":";
    json::append_quoted(out, r.consent_jti);
  }
  out += '}';
}

void append_records_json(std::string &out, const stored_record *records, size_t count, record_shape shape) {
  out += '[';
  for (size_t i = 0; i < count; ++i) {
    if (i) out += ',';
    append_record_json(out, records[i], shape);
  }
  out += ']';
}

}  // namespace xyd
