#pragma once
// The one way a duration is written, in the CLI's progress and summaries, the
// Studio's status lines and the benchmarks.
#include <string>

namespace sm {

/// "0.52 s", "12.3 s", "1:05", "1:02:03": seconds with three significant digits
/// below a minute, then minutes:seconds, then hours:minutes:seconds.
std::string formatDuration(double seconds);

}  // namespace sm
