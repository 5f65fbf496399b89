#pragma once
// Job progress on stderr: a bar redrawn in place on a terminal, one line per
// event otherwise (logs, CI). Log messages go to stderr too.
#include <string>

#include "core/jobs/job.h"

namespace sm::cli {

/// A listener printing to stderr; `quiet` keeps only warnings.
jobs::JobListener stderrProgress(bool quiet);

}  // namespace sm::cli
