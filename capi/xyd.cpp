// extern "C" shims: argument checks, catch-all, status mapping. Nothing else.
// SPDX-License-Identifier: Apache-2.0
#include "xyd.h"

#include <cstdlib>
#include <cstring>
#include <new>
#include <string>

#include "xyd/catalog.hpp"

namespace {

thread_local std::string last_error = "no error";

int fail(int code, std::string message) {
  last_error = std::move(message);
  return code;
}

int fail(const xyd::status &st) { return fail(static_cast<int>(st.code()), st.message()); }

// Copies into malloc'd memory so that xyd_free (free) releases it.
char *dup(const std::string &s) {
  char *p = static_cast<char *>(std::malloc(s.size() + 1));
  if (!p) throw std::bad_alloc();
  std::memcpy(p, s.data(), s.size() + 1);
  return p;
}

template <class F>
int guarded(F &&body) noexcept {
  try {
    return body();
  } catch (const std::bad_alloc &) {
    return fail(XYD_ENOMEM, "out of memory");
  } catch (const std::exception &e) {
    return fail(XYD_EINTERNAL, std::string("internal error: ") + e.what());
  } catch (...) {
    return fail(XYD_EINTERNAL, "internal error");
  }
}

}  // namespace

extern "C" {

unsigned xyd_version_number(void) { return XYD_VERSION_NUMBER; }
const char *xyd_version_string(void) { return XYD_VERSION_STRING; }

const char *xyd_strerror(int code) {
  if (code > 0 || code < XYD_EINTERNAL) return "unknown error code";
  return xyd::errc_name(static_cast<xyd::errc>(code));
}

const char *xyd_errmsg(void) { return last_error.c_str(); }

void xyd_free(void *p) { std::free(p); }

int xyd_catalog_json(char **out) {
  return guarded([&] {
    if (!out) return fail(XYD_EINVAL, "xyd_catalog_json: out is NULL");
    *out = nullptr;
    *out = dup(xyd::current_catalog()->to_json());
    return XYD_OK;
  });
}

int xyd_catalog_load_extension(const char *json) {
  return guarded([&] {
    if (!json) return fail(XYD_EINVAL, "xyd_catalog_load_extension: json is NULL");
    if (auto st = xyd::load_extension(json); !st) return fail(st);
    return XYD_OK;
  });
}

int xyd_validate_uscc(const char *code) {
  return guarded([&] {
    if (!code) return fail(XYD_EINVAL, "xyd_validate_uscc: code is NULL");
    if (auto st = xyd::check_uscc(code); !st) return fail(st);
    return XYD_OK;
  });
}

int xyd_validate_rid(const char *code) {
  return guarded([&] {
    if (!code) return fail(XYD_EINVAL, "xyd_validate_rid: code is NULL");
    if (auto st = xyd::check_rid(code); !st) return fail(st);
    return XYD_OK;
  });
}

int xyd_normalize_id(const char *text, char **out) {
  return guarded([&] {
    if (!out) return fail(XYD_EINVAL, "xyd_normalize_id: out is NULL");
    *out = nullptr;
    if (!text) return fail(XYD_EINVAL, "xyd_normalize_id: text is NULL");
    *out = dup(xyd::normalize_uscc(text));
    return XYD_OK;
  });
}

int xyd_validate_record(const char *json, char **out_problems_json) {
  return guarded([&] {
    if (!out_problems_json) return fail(XYD_EINVAL, "xyd_validate_record: out_problems_json is NULL");
    *out_problems_json = nullptr;
    if (!json) return fail(XYD_EINVAL, "xyd_validate_record: json is NULL");
    auto problems = xyd::validate_record_json(*xyd::current_catalog(), json);
    *out_problems_json = dup(xyd::problems_to_json(problems));
    if (problems.empty()) return XYD_OK;
    const auto &first = problems.front();
    const std::string summary = std::to_string(problems.size()) + " problem(s); first: " + first.path + ": " + first.message;
    return fail(first.code == "syntax" ? XYD_EPARSE : XYD_EVALIDATION, summary);
  });
}

int xyd_normalize_record(const char *json, char **out_json) {
  return guarded([&] {
    if (!out_json) return fail(XYD_EINVAL, "xyd_normalize_record: out_json is NULL");
    *out_json = nullptr;
    if (!json) return fail(XYD_EINVAL, "xyd_normalize_record: json is NULL");
    auto doc = xyd::json::parse(json);
    if (!doc) return fail(doc.error());
    *out_json = dup(xyd::json::dump(xyd::normalize_record(*xyd::current_catalog(), *doc)));
    return XYD_OK;
  });
}

}  // extern "C"
