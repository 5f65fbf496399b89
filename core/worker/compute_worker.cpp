#include "core/worker/compute_worker.h"

#include <algorithm>

#include "core/pipelines/model_cache.h"
#include "core/util/error.h"

namespace sm::worker {
namespace {

constexpr size_t kOutcomesKept = 256;  // for wait() after the fact; older ones are forgotten

}  // namespace

const char* jobStateName(JobState state) {
  switch (state) {
    case JobState::Queued: return "queued";
    case JobState::Running: return "running";
    case JobState::Succeeded: return "done";
    case JobState::Failed: return "failed";
    case JobState::Cancelled: return "cancelled";
  }
  return "?";
}

ComputeWorker::ComputeWorker(std::string device) : device_(std::move(device)), thread_([this] { run(); }) {}

ComputeWorker::~ComputeWorker() {
  std::deque<Entry> dropped;
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
    dropped.swap(queue_);
    if (running_) running_->spec.cancel->cancel();
  }
  changed_.notify_all();
  thread_.join();
  for (Entry& entry : dropped) finish(entry, {JobState::Cancelled, "", std::make_exception_ptr(Cancelled())});
}

uint64_t ComputeWorker::submit(JobSpec spec) {
  if (!spec.cancel) spec.cancel = std::make_shared<jobs::CancelToken>();
  uint64_t id = 0;
  {
    std::lock_guard lock(mutex_);
    id = nextId_++;
    queue_.push_back({id, std::move(spec)});
  }
  changed_.notify_all();
  notifyQueue();
  return id;
}

bool ComputeWorker::cancel(uint64_t id) {
  std::unique_lock lock(mutex_);
  if (running_ && running_->id == id) {
    running_->spec.cancel->cancel();  // the job stops at its next check
    return true;
  }
  const auto it = std::find_if(queue_.begin(), queue_.end(), [id](const Entry& e) { return e.id == id; });
  if (it == queue_.end()) return false;
  Entry entry = std::move(*it);
  queue_.erase(it);
  lock.unlock();
  finish(entry, {JobState::Cancelled, "", std::make_exception_ptr(Cancelled())});
  notifyQueue();
  return true;
}

JobOutcome ComputeWorker::wait(uint64_t id) {
  std::unique_lock lock(mutex_);
  const auto ended = [&]() -> const JobOutcome* {
    for (const auto& [endedId, outcome] : ended_)
      if (endedId == id) return &outcome;
    return nullptr;
  };
  // Every id handed out and not yet ended is pending (also while a cancelled one is being finished).
  const auto pending = [&] { return id >= forgottenBelow_ && id < nextId_; };
  changed_.wait(lock, [&] { return ended() != nullptr || !pending(); });
  if (const JobOutcome* outcome = ended()) return *outcome;
  return {JobState::Failed, "unknown job " + std::to_string(id), nullptr};
}

std::vector<JobInfo> ComputeWorker::jobs() const {
  std::lock_guard lock(mutex_);
  std::vector<JobInfo> out;
  if (running_) out.push_back({running_->id, running_->spec.title, JobState::Running});
  for (const Entry& e : queue_) out.push_back({e.id, e.spec.title, JobState::Queued});
  return out;
}

void ComputeWorker::setQueueListener(std::function<void()> listener) {
  std::lock_guard lock(mutex_);
  queueListener_ = std::move(listener);
}

void ComputeWorker::notifyQueue() {
  std::function<void()> listener;
  {
    std::lock_guard lock(mutex_);
    listener = queueListener_;
  }
  if (listener) listener();
}

void ComputeWorker::finish(Entry& entry, const JobOutcome& outcome) {
  // The owner hears first, then waiters wake: a CLI that waits sees the result already handled,
  // and jobs() no longer lists the job.
  if (entry.spec.finished) entry.spec.finished(outcome);
  {
    std::lock_guard lock(mutex_);
    const uint64_t id = entry.id;
    if (running_ && running_->id == id) running_.reset();  // destroys `entry` when it ran
    ended_.emplace_back(id, outcome);
    if (ended_.size() > kOutcomesKept) {
      forgottenBelow_ = std::max(forgottenBelow_, ended_.front().first + 1);
      ended_.erase(ended_.begin());
    }
  }
  changed_.notify_all();
}

void ComputeWorker::run() {
  for (;;) {
    {
      std::unique_lock lock(mutex_);
      changed_.wait(lock, [&] { return stopping_ || !queue_.empty(); });
      if (stopping_) return;
      running_ = std::make_unique<Entry>(std::move(queue_.front()));
      queue_.pop_front();
    }
    notifyQueue();
    Entry* running = nullptr;
    {
      std::lock_guard lock(mutex_);
      running = running_.get();  // only this thread resets it
    }
    Entry& entry = *running;
    JobOutcome outcome;
    try {
      jobs::JobContext job(entry.spec.listener, entry.spec.cancel);
      const jobs::CancelScope cancelScope(job.cancelToken());  // model calls check it between blocks
      job.throwIfCancelled();                                  // cancelled between being taken and starting
      if (!models_) models_ = std::make_unique<pipelines::ModelCache>(device_);
      entry.spec.work(*models_, job);
      outcome.state = JobState::Succeeded;
    } catch (const Cancelled&) {
      outcome = {JobState::Cancelled, "", std::current_exception()};
    } catch (const std::exception& e) {
      outcome = {JobState::Failed, e.what(), std::current_exception()};
    } catch (...) {
      outcome = {JobState::Failed, "unknown error", std::current_exception()};
    }
    finish(entry, outcome);  // `entry` is gone after this
    notifyQueue();
  }
}

}  // namespace sm::worker
