#pragma once
// One compute worker per device: a thread that owns the loaded models (a
// pipelines::ModelCache) and runs jobs one at a time, in the order they were
// queued. Generation, dataset builds and training are all jobs on it, so two
// jobs never load models onto the same device at once. The CLI queues one job
// and waits; the Studio queues many and shows the queue. LibTorch-free.
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <exception>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "core/jobs/job.h"

namespace sm::pipelines {
class ModelCache;
}

namespace sm::worker {

enum class JobState { Queued, Running, Succeeded, Failed, Cancelled };
const char* jobStateName(JobState state);  ///< "queued", "running", ...

/// How a job ended.
struct JobOutcome {
  JobState state = JobState::Succeeded;
  /// The error's message (Failed) or "" .
  std::string error;
  /// The exception itself (Failed, Cancelled), for callers that rethrow it (the CLI maps it to an exit status).
  std::exception_ptr exception;
};

/// The work of one job: runs on the worker thread with the worker's models.
using Work = std::function<void(pipelines::ModelCache& models, jobs::JobContext& job)>;

struct JobSpec {
  /// What the queue shows ("generate: a red star...").
  std::string title;
  Work work;
  /// Progress, log lines and metrics, called on the worker thread.
  jobs::JobListener listener;
  /// Called exactly once on the worker thread when the job ends (also when it is cancelled while queued).
  std::function<void(const JobOutcome&)> finished;
  /// Shared with whoever may cancel the job (the CLI's Ctrl-C handler); made when empty.
  std::shared_ptr<jobs::CancelToken> cancel;
};

/// A job as the queue shows it.
struct JobInfo {
  uint64_t id = 0;
  std::string title;
  JobState state = JobState::Queued;
};

class ComputeWorker {
 public:
  /// `device`: auto|cpu|cuda. The models are loaded lazily, by the first job.
  explicit ComputeWorker(std::string device = "auto");
  /// Cancels the queued and running jobs and waits for the running one to stop.
  ~ComputeWorker();
  ComputeWorker(const ComputeWorker&) = delete;
  ComputeWorker& operator=(const ComputeWorker&) = delete;

  /// Queues a job; returns its id (> 0).
  uint64_t submit(JobSpec spec);
  /// A queued job is dropped (finished with Cancelled); a running one is asked
  /// to stop at its next check. Returns false for an unknown or ended job.
  bool cancel(uint64_t id);
  /// Blocks until job `id` has ended; returns how (Failed with "unknown job" for an id never queued).
  JobOutcome wait(uint64_t id);
  /// The queued and running jobs, running first.
  std::vector<JobInfo> jobs() const;
  /// Called on the worker thread (or the submitter's) whenever jobs() changes.
  void setQueueListener(std::function<void()> listener);
  const std::string& device() const { return device_; }

 private:
  struct Entry {
    uint64_t id;
    JobSpec spec;
  };
  void run();
  void finish(Entry& entry, const JobOutcome& outcome);
  void notifyQueue();

  std::string device_;
  mutable std::mutex mutex_;
  std::condition_variable changed_;
  std::deque<Entry> queue_;
  std::unique_ptr<Entry> running_;
  std::vector<std::pair<uint64_t, JobOutcome>> ended_;
  uint64_t nextId_ = 1;
  /// Outcomes of ids below this were forgotten (only kOutcomesKept are kept).
  uint64_t forgottenBelow_ = 1;
  bool stopping_ = false;
  std::function<void()> queueListener_;
  std::unique_ptr<pipelines::ModelCache> models_;
  std::thread thread_;
};

}  // namespace sm::worker
