#pragma once
#include <string>
#include <vector>

namespace sm::cli {

/// `stillmoving inspect PATH... [--json]`: what each path is. Returns the exit status.
int runInspect(const std::vector<std::string>& args);

}  // namespace sm::cli
