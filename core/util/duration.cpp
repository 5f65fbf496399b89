#include "core/util/duration.h"

#include <cmath>
#include <sstream>

namespace sm {

std::string formatDuration(double seconds) {
  std::ostringstream s;
  if (seconds < 60) {
    s.precision(seconds < 10 ? 2 : 3);
    s << seconds << " s";
    return s.str();
  }
  const long total = std::lround(seconds);
  if (total >= 3600) s << total / 3600 << ":" << (total / 60 % 60 < 10 ? "0" : "");
  s << total / 60 % 60 << ":" << (total % 60 < 10 ? "0" : "") << total % 60;
  return s.str();
}

}  // namespace sm
