// `xyd_score_cpp MODEL FEATURES`: one score through the C++ API, printed as
// JSON (the cross-interface test compares it with C, Python and the CLI).
// SPDX-License-Identifier: Apache-2.0
#include <fstream>
#include <iostream>
#include <sstream>

#include "xyd/score.hpp"

int main(int argc, char **argv) {
  if (argc != 3) {
    std::cerr << "usage: xyd_score_cpp MODEL FEATURES\n";
    return 2;
  }
  auto slurp = [](const char *path) {
    std::ifstream in(path, std::ios::binary);
    std::ostringstream s;
    s << in.rdbuf();
    return s.str();
  };
  auto model = xyd::score::load(slurp(argv[1]));
  if (!model) {
    std::cerr << "xyd_score_cpp: " << model.error().message() << "\n";
    return 1;
  }
  auto inputs = xyd::score::bind(**model, slurp(argv[2]));
  if (!inputs) {
    std::cerr << "xyd_score_cpp: " << inputs.error().message() << "\n";
    return 1;
  }
  xyd::score::outcome out;
  xyd::score::workspace ws;
  if (auto st = xyd::score::evaluate(**model, inputs->data(), inputs->size(), out, ws); !st) {
    std::cerr << "xyd_score_cpp: " << st.message() << "\n";
    return 1;
  }
  std::cout << xyd::score::to_json(**model, out) << "\n";
  return 0;
}
