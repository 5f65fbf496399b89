#pragma once
// Reads ARCHITECTURE_FACTS keylists (`name<TAB>[d0, d1, ...]` per line, '#'
// comments) into a StateDictIndex without data: enough to test key maps and
// configs at full SD 1.5 size without any weights.
#include <fstream>
#include <sstream>
#include <string>

#include "core/io/state_dict_index.h"

namespace sm::test {

inline std::string dataPath(const std::string& relative) { return std::string(SM_TEST_DATA_DIR) + "/" + relative; }

inline io::StateDictIndex readKeylist(const std::string& relative) {
  io::StateDictIndex index;
  index.path = dataPath(relative);
  std::ifstream in(index.path);
  if (!in) throw std::runtime_error("cannot open " + index.path);
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty() || line[0] == '#') continue;
    const auto tab = line.find('\t');
    io::TensorInfo t;
    t.name = line.substr(0, tab);
    std::string dims = line.substr(tab + 1);
    for (char& c : dims)
      if (c == '[' || c == ']' || c == ',') c = ' ';
    std::istringstream ss(dims);
    int64_t d;
    while (ss >> d) t.shape.push_back(d);
    index.add(std::move(t));
  }
  return index;
}

/// A copy of `source` (same bytes) without `drop` and with `reshape` given
/// `newShape`: a file with a missing or mis-shaped key, for loader tests.
inline io::StateDictIndex editedIndex(const io::StateDictIndex& source, const std::string& drop,
                                      const std::string& reshape, std::vector<int64_t> newShape) {
  io::StateDictIndex out = source.withoutTensors();
  for (io::TensorInfo t : source.tensors()) {
    if (t.name == drop) continue;
    if (t.name == reshape) t.shape = newShape;
    out.add(std::move(t));
  }
  return out;
}

}  // namespace sm::test
