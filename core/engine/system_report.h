#pragma once
// What this machine offers the engine, in words: `stillmoving version --verbose`
// and the Studio's About box print it, so a slow or odd run can be explained.
#include <string>

namespace sm::engine {

/// Lines: LibTorch's version, the CPU and the features found at run time, the
/// threads, the precision `--dtype auto` picks on the CPU and why, and CUDA.
std::string describeSystem();

}  // namespace sm::engine
