#include "app/cli/worker_job.h"

#include "core/worker/jobs.h"

namespace sm::cli {

void runOnWorker(const std::string& device, const std::string& title, jobs::JobListener listener,
                 std::shared_ptr<jobs::CancelToken> cancel, worker::Work work) {
  worker::ComputeWorker computeWorker(device);
  worker::JobSpec spec;
  spec.title = title;
  spec.listener = std::move(listener);
  spec.cancel = std::move(cancel);
  spec.work = std::move(work);
  worker::runAndWait(computeWorker, std::move(spec));
}

}  // namespace sm::cli
