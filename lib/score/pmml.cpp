// PMML 4.x Scorecard import: the document becomes an xyd-scorecard/1 tree and
// goes through the same checks as a JSON model (pugixml parses the XML).
// SPDX-License-Identifier: Apache-2.0
#include <pugixml.hpp>

#include <cstring>

#include "internal.hpp"

namespace xyd::score {

namespace {

std::string_view local_name(const pugi::xml_node &n) {
  std::string_view name = n.name();
  const size_t colon = name.find(':');
  return colon == std::string_view::npos ? name : name.substr(colon + 1);
}

pugi::xml_node child(const pugi::xml_node &n, std::string_view name) {
  for (pugi::xml_node c = n.first_child(); c; c = c.next_sibling())
    if (c.type() == pugi::node_element && local_name(c) == name) return c;
  return {};
}

struct converter {
  std::string error;
  std::vector<std::pair<std::string, std::string>> field_types;  // name -> xyd type

  bool fail(const std::string &where, const std::string &why) {
    if (error.empty()) error = "pmml: " + where + ": " + why;
    return false;
  }

  const std::string *type_of(const std::string &name) const {
    for (const auto &[n, t] : field_types)
      if (n == name) return &t;
    return nullptr;
  }

  // A value in the field's terms: numbers as JSON numbers, text as strings.
  bool value(const std::string &fieldname, const std::string &text, json::value &out, const std::string &where) {
    const std::string *t = type_of(fieldname);
    if (!t) return fail(where, "field \"" + fieldname + "\" is not an active field of the model");
    if (*t == "number" || *t == "integer") {
      auto n = parse_fixed(text);
      if (!n) return fail(where, "value " + n.error().message());
      out = json::value::of_number(format_fixed(*n));
    } else {
      out = json::value::of_string(text);
    }
    return true;
  }

  // PMML Array content: whitespace-separated tokens, strings in double
  // quotes with \" inside.
  bool array_items(const pugi::xml_node &arr, std::vector<std::string> &out, const std::string &where) {
    const std::string text = arr.text().get();
    size_t i = 0;
    while (i < text.size()) {
      while (i < text.size() && std::isspace(static_cast<unsigned char>(text[i]))) ++i;
      if (i >= text.size()) break;
      std::string token;
      if (text[i] == '"') {
        ++i;
        bool closed = false;
        while (i < text.size()) {
          if (text[i] == '\\' && i + 1 < text.size() && text[i + 1] == '"') {
            token += '"';
            i += 2;
          } else if (text[i] == '"') {
            closed = true;
            ++i;
            break;
          } else {
            token += text[i++];
          }
        }
        if (!closed) return fail(where, "unterminated string in Array");
      } else {
        while (i < text.size() && !std::isspace(static_cast<unsigned char>(text[i]))) token += text[i++];
      }
      out.push_back(token);
    }
    if (const char *n = arr.attribute("n").as_string(nullptr); n && std::to_string(out.size()) != n)
      return fail(where, "Array says n=\"" + std::string(n) + "\" but holds " + std::to_string(out.size()) + " values");
    return true;
  }

  /// Nesting of CompoundPredicate allowed (docs/scoring.md): deeper is an
  /// error, never exhausted memory or stack.
  static constexpr int max_predicate_depth = 32;

  bool predicate(const pugi::xml_node &n, json::value &out, const std::string &where, int depth = 1) {
    if (depth > max_predicate_depth)
      return fail(where, "predicates nest deeper than " + std::to_string(max_predicate_depth) + " levels");
    const std::string_view name = local_name(n);
    if (name == "True") {
      out = json::value::of_bool(true);
      return true;
    }
    if (name == "False") {
      out = json::value::of_bool(false);
      return true;
    }
    if (name == "SimplePredicate") {
      const std::string fieldname = n.attribute("field").as_string();
      const std::string op = n.attribute("operator").as_string();
      out = json::value::object();
      out.add("field", json::value::of_string(fieldname));
      if (!type_of(fieldname)) return fail(where, "field \"" + fieldname + "\" is not an active field of the model");
      if (op == "isMissing" || op == "isNotMissing") {
        out.add("missing", json::value::of_bool(op == "isMissing"));
        return true;
      }
      static const std::pair<const char *, const char *> ops[] = {{"equal", "eq"},       {"notEqual", "ne"},
                                                                  {"lessThan", "lt"},    {"lessOrEqual", "le"},
                                                                  {"greaterThan", "gt"}, {"greaterOrEqual", "ge"}};
      const char *mapped = nullptr;
      for (const auto &[p, x] : ops)
        if (op == p) mapped = x;
      if (!mapped) return fail(where, "SimplePredicate operator \"" + op + "\" is not a PMML operator");
      if (!n.attribute("value")) return fail(where, "SimplePredicate needs a value");
      json::value v;
      if (!value(fieldname, n.attribute("value").as_string(), v, where)) return false;
      out.add("op", json::value::of_string(mapped));
      out.add("value", std::move(v));
      return true;
    }
    if (name == "SimpleSetPredicate") {
      const std::string fieldname = n.attribute("field").as_string();
      const std::string op = n.attribute("booleanOperator").as_string();
      if (op != "isIn" && op != "isNotIn") return fail(where, "SimpleSetPredicate booleanOperator must be isIn or isNotIn");
      const pugi::xml_node arr = child(n, "Array");
      if (!arr) return fail(where, "SimpleSetPredicate needs an Array");
      std::vector<std::string> items;
      if (!array_items(arr, items, where)) return false;
      if (items.empty()) return fail(where, "SimpleSetPredicate Array is empty");
      json::value list = json::value::array();
      for (const auto &t : items) {
        json::value v;
        if (!value(fieldname, t, v, where)) return false;
        list.push(std::move(v));
      }
      out = json::value::object();
      out.add("field", json::value::of_string(fieldname));
      out.add(op == "isIn" ? "in" : "not_in", std::move(list));
      return true;
    }
    if (name == "CompoundPredicate") {
      const std::string op = n.attribute("booleanOperator").as_string();
      if (op != "and" && op != "or" && op != "xor" && op != "surrogate")
        return fail(where, "CompoundPredicate booleanOperator must be and, or, xor or surrogate");
      json::value list = json::value::array();
      size_t i = 0;
      for (pugi::xml_node c = n.first_child(); c; c = c.next_sibling()) {
        if (c.type() != pugi::node_element || local_name(c) == "Extension") continue;
        json::value p;
        if (!predicate(c, p, where + "/" + std::string(local_name(c)) + "[" + std::to_string(++i) + "]", depth + 1))
          return false;
        list.push(std::move(p));
      }
      if (list.items.size() < 2) return fail(where, "CompoundPredicate needs at least two predicates");
      out = json::value::object();
      out.add(op, std::move(list));
      return true;
    }
    return fail(where, "<" + std::string(n.name()) + "> is not a predicate");
  }

  pugi::xml_node first_predicate(const pugi::xml_node &n) {
    for (pugi::xml_node c = n.first_child(); c; c = c.next_sibling()) {
      if (c.type() != pugi::node_element) continue;
      const std::string_view name = local_name(c);
      if (name == "SimplePredicate" || name == "CompoundPredicate" || name == "SimpleSetPredicate" || name == "True" ||
          name == "False")
        return c;
    }
    return {};
  }

  bool number_attr(const pugi::xml_node &n, const char *attr, json::value &obj, const char *key, const std::string &where) {
    const pugi::xml_attribute a = n.attribute(attr);
    if (!a) return true;
    auto v = parse_fixed(a.as_string());
    if (!v) return fail(where, std::string(attr) + " " + v.error().message());
    obj.add(key, json::value::of_number(format_fixed(*v)));
    return true;
  }

  bool convert(const pugi::xml_node &root, json::value &doc) {
    if (local_name(root) != "PMML") return fail("/", "the document is not PMML (no <PMML> root)");
    pugi::xml_node card;
    static const char *models[] = {"AssociationModel", "BayesianNetworkModel", "BaselineModel", "ClusteringModel",
                                   "GaussianProcessModel", "GeneralRegressionModel", "MiningModel", "NaiveBayesModel",
                                   "NearestNeighborModel", "NeuralNetwork", "RegressionModel", "RuleSetModel",
                                   "SequenceModel", "Scorecard", "SupportVectorMachineModel", "TextModel",
                                   "TimeSeriesModel", "TreeModel", "AnomalyDetectionModel"};
    for (pugi::xml_node c = root.first_child(); c && !card; c = c.next_sibling()) {
      if (c.type() != pugi::node_element) continue;
      for (const char *m : models)
        if (local_name(c) == m) {
          if (local_name(c) != "Scorecard") return fail("/PMML/" + std::string(m), "is not a Scorecard (only Scorecard models load)");
          card = c;
        }
    }
    if (!card) return fail("/PMML", "holds no Scorecard model");
    const std::string cw = "/PMML/Scorecard";
    if (card.attribute("isScorable") && std::strcmp(card.attribute("isScorable").as_string(), "false") == 0)
      return fail(cw, "isScorable=\"false\"");
    doc = json::value::object();
    doc.add("format", json::value::of_string("xyd-scorecard/1"));
    const pugi::xml_node header = child(root, "Header");
    std::string id = card.attribute("modelName").as_string();
    if (id.empty()) id = "pmml-scorecard";
    std::string version = header.attribute("modelVersion").as_string();
    if (version.empty()) version = "1";
    doc.add("id", json::value::of_string(id));
    doc.add("version", json::value::of_string(version));
    if (const char *d = header.attribute("description").as_string(nullptr); d && *d)
      doc.add("description", json::value::of_string(d));

    // Active fields: MiningSchema names them, DataDictionary types them.
    const pugi::xml_node dict = child(root, "DataDictionary");
    const pugi::xml_node schema = child(card, "MiningSchema");
    if (!dict) return fail("/PMML", "has no DataDictionary");
    if (!schema) return fail(cw, "has no MiningSchema");
    json::value fields = json::value::array();
    for (pugi::xml_node mf = schema.first_child(); mf; mf = mf.next_sibling()) {
      if (mf.type() != pugi::node_element || local_name(mf) != "MiningField") continue;
      const std::string usage = mf.attribute("usageType").as_string("active");
      if (usage != "active") continue;
      const std::string name = mf.attribute("name").as_string();
      const std::string where = cw + "/MiningSchema/MiningField[@name='" + name + "']";
      pugi::xml_node df;
      for (pugi::xml_node d = dict.first_child(); d; d = d.next_sibling())
        if (d.type() == pugi::node_element && local_name(d) == "DataField" && name == d.attribute("name").as_string()) df = d;
      if (!df) return fail(where, "names no DataField of the DataDictionary (derived fields are not supported)");
      const std::string dw = "/PMML/DataDictionary/DataField[@name='" + name + "']";
      const std::string data_type = df.attribute("dataType").as_string();
      const std::string optype = df.attribute("optype").as_string();
      std::string type;
      if (data_type == "integer") type = "integer";
      else if (data_type == "double" || data_type == "float") type = "number";
      else if (data_type == "boolean") type = "boolean";
      else if (data_type == "string") type = "category";
      else return fail(dw, "dataType \"" + data_type + "\" is not supported (integer, double, float, boolean, string)");
      if (type == "category" && optype == "continuous") return fail(dw, "a string field cannot be continuous");
      json::value f = json::value::object();
      f.add("name", json::value::of_string(name));
      f.add("type", json::value::of_string(type));
      json::value values = json::value::array(), missing = json::value::array(), intervals = json::value::array();
      for (pugi::xml_node v = df.first_child(); v; v = v.next_sibling()) {
        if (v.type() != pugi::node_element) continue;
        if (local_name(v) == "Value") {
          const std::string property = v.attribute("property").as_string("valid");
          const std::string text = v.attribute("value").as_string();
          if (property == "missing") missing.push(json::value::of_string(text));
          else if (property == "valid" && type == "category") values.push(json::value::of_string(text));
          // Numbers with listed valid values and invalid markers: the
          // intervals carry validity in xyd; listed values are informational.
        } else if (local_name(v) == "Interval") {
          const std::string closure = v.attribute("closure").as_string();
          std::string t;
          if (closure == "openClosed") t = "(";
          else if (closure == "openOpen") t = "(";
          else if (closure == "closedOpen" || closure == "closedClosed") t = "[";
          else return fail(dw, "Interval closure \"" + closure + "\" is not a PMML closure");
          const char *lo = v.attribute("leftMargin").as_string(nullptr);
          const char *hi = v.attribute("rightMargin").as_string(nullptr);
          if (!lo) t = "(-inf";
          else t += lo;
          t += ",";
          if (!hi) t += "inf)";
          else t += std::string(hi) + ((closure == "openClosed" || closure == "closedClosed") ? "]" : ")");
          intervals.push(json::value::of_string(t));
        }
      }
      if (!values.items.empty()) f.add("values", std::move(values));
      if (!missing.items.empty()) f.add("missing_values", std::move(missing));
      if (!intervals.items.empty() && type != "category" && type != "boolean") f.add("intervals", std::move(intervals));
      const std::string treatment = mf.attribute("invalidValueTreatment").as_string("returnInvalid");
      if (treatment == "returnInvalid") f.add("invalid", json::value::of_string("return_invalid"));
      else if (treatment == "asMissing") f.add("invalid", json::value::of_string("as_missing"));
      else if (treatment == "asIs") f.add("invalid", json::value::of_string("as_is"));
      else return fail(where, "invalidValueTreatment \"" + treatment + "\" is not supported (returnInvalid, asMissing, asIs)");
      if (const char *r = mf.attribute("missingValueReplacement").as_string(nullptr))
        f.add("missing_replacement", json::value::of_string(r));
      field_types.emplace_back(name, type);
      fields.push(std::move(f));
    }
    doc.add("fields", std::move(fields));
    // The document's other fields (a target, supplementary fields): names a
    // features object may carry without being refused as unknown.
    json::value others = json::value::array();
    for (pugi::xml_node d = dict.first_child(); d; d = d.next_sibling())
      if (d.type() == pugi::node_element && local_name(d) == "DataField" && !type_of(d.attribute("name").as_string()))
        others.push(json::value::of_string(d.attribute("name").as_string()));
    if (!others.items.empty()) doc.add("other_fields", std::move(others));

    if (!number_attr(card, "initialScore", doc, "initial_score", cw)) return false;
    const std::string use = card.attribute("useReasonCodes").as_string("true");
    doc.add("use_reason_codes", json::value::of_bool(use == "true" || use == "1"));
    const std::string algorithm = card.attribute("reasonCodeAlgorithm").as_string("pointsBelow");
    if (algorithm != "pointsBelow" && algorithm != "pointsAbove")
      return fail(cw, "reasonCodeAlgorithm must be pointsBelow or pointsAbove");
    doc.add("reason_code_algorithm", json::value::of_string(algorithm == "pointsBelow" ? "points_below" : "points_above"));
    if (!number_attr(card, "baselineScore", doc, "baseline_score", cw)) return false;
    doc.add("baseline_method", json::value::of_string(card.attribute("baselineMethod").as_string("other")));

    // As many reason codes as the Output asks for (its highest rank).
    int64_t ranks = 0;
    if (const pugi::xml_node output = child(card, "Output"))
      for (pugi::xml_node of = output.first_child(); of; of = of.next_sibling())
        if (of.type() == pugi::node_element && local_name(of) == "OutputField" &&
            std::strcmp(of.attribute("feature").as_string(), "reasonCode") == 0)
          ranks = std::max<int64_t>(ranks, of.attribute("rank").as_llong(1));
    doc.add("max_reason_codes", json::value::of_int(ranks));

    const pugi::xml_node chars = child(card, "Characteristics");
    if (!chars) return fail(cw, "has no Characteristics");
    json::value list = json::value::array();
    size_t ci = 0;
    for (pugi::xml_node c = chars.first_child(); c; c = c.next_sibling()) {
      if (c.type() != pugi::node_element || local_name(c) != "Characteristic") continue;
      ++ci;
      std::string name = c.attribute("name").as_string();
      if (name.empty()) name = "characteristic " + std::to_string(ci);
      const std::string where = cw + "/Characteristics/Characteristic[" + std::to_string(ci) + "]";
      json::value jc = json::value::object();
      jc.add("name", json::value::of_string(name));
      if (const char *rc = c.attribute("reasonCode").as_string(nullptr)) jc.add("reason_code", json::value::of_string(rc));
      if (!number_attr(c, "baselineScore", jc, "baseline_score", where)) return false;
      json::value attrs = json::value::array();
      size_t ai = 0;
      for (pugi::xml_node a = c.first_child(); a; a = a.next_sibling()) {
        if (a.type() != pugi::node_element || local_name(a) != "Attribute") continue;
        const std::string aw = where + "/Attribute[" + std::to_string(++ai) + "]";
        if (child(a, "ComplexPartialScore")) return fail(aw, "ComplexPartialScore is not supported (give partialScore)");
        json::value ja = json::value::object();
        const pugi::xml_node p = first_predicate(a);
        if (!p) return fail(aw, "has no predicate");
        json::value jp;
        if (!predicate(p, jp, aw + "/" + std::string(local_name(p)))) return false;
        ja.add("when", std::move(jp));
        if (!a.attribute("partialScore")) return fail(aw, "has no partialScore");
        if (!number_attr(a, "partialScore", ja, "partial_score", aw)) return false;
        if (const char *rc = a.attribute("reasonCode").as_string(nullptr)) ja.add("reason_code", json::value::of_string(rc));
        attrs.push(std::move(ja));
      }
      jc.add("attributes", std::move(attrs));
      list.push(std::move(jc));
    }
    doc.add("characteristics", std::move(list));
    return true;
  }
};

}  // namespace

result<std::shared_ptr<const model>> from_pmml(std::string_view text) {
  pugi::xml_document xml;
  const pugi::xml_parse_result parsed =
      xml.load_buffer(text.data(), text.size(), pugi::parse_default | pugi::parse_ws_pcdata_single, pugi::encoding_utf8);
  if (!parsed)
    return status(errc::parse, std::string("pmml: ") + parsed.description() + " at byte " + std::to_string(parsed.offset));
  converter c;
  json::value doc;
  if (!c.convert(xml.document_element(), doc)) return status(errc::validation, c.error);
  auto m = detail::build(doc, "pmml");
  if (!m) return status(m.error().code(), "pmml: " + m.error().message());
  return m;
}

}  // namespace xyd::score
