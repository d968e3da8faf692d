// Shared by the fuzz harnesses (fuzz/README.md): the input as text, and
// fixtures made once per process.
// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "xyd/catalog.hpp"
#include "xyd/json.hpp"

namespace xyd::fuzz {

inline std::string_view text(const uint8_t *data, size_t size) { return {reinterpret_cast<const char *>(data), size}; }

/// A record of every kind of field the masking and verification code reads.
inline const char *sample_record =
    R"({"type":"legal_rep","subject":"91350100M000100Y43","as_of":"2024-06-30","source":"fuzz",)"
    R"("data":{"enterprise_name":"福州示例有限公司","uscc":"91350100M000100Y43","rep_name":"张三",)"
    R"("rep_id_no":"350102199003071234","phone":"13800000000"}})";

}  // namespace xyd::fuzz

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
