#pragma once
// Every CLI command runs its work the way the Studio does: as one job on a
// compute worker (the one owner of the loaded models for its device), waited
// for here. One home for that, so the commands differ only in their work.
#include <memory>
#include <string>

#include "core/jobs/job.h"
#include "core/worker/compute_worker.h"

namespace sm::cli {

/// Runs `work` on a compute worker for `device` ("cpu", "cuda", "auto"),
/// reporting to `listener` and cancelled through `cancel` (Ctrl-C); rethrows
/// what the work threw (sm::Cancelled when cancelled).
void runOnWorker(const std::string& device, const std::string& title, jobs::JobListener listener,
                 std::shared_ptr<jobs::CancelToken> cancel, worker::Work work);

}  // namespace sm::cli
