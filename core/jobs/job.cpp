#include "core/jobs/job.h"

#include "core/util/error.h"

namespace sm::jobs {

JobContext::JobContext(JobListener listener, std::shared_ptr<CancelToken> cancel)
    : listener_(std::move(listener)), cancel_(cancel ? std::move(cancel) : std::make_shared<CancelToken>()) {}

void JobContext::beginStage(const std::string& stage, int64_t total, int64_t alreadyDone) {
  {
    std::lock_guard lock(mutex_);
    stage_ = stage;
    total_ = total;
    alreadyDone_ = alreadyDone;
    stageStart_ = std::chrono::steady_clock::now();
  }
  progress(alreadyDone);
}

void JobContext::progress(int64_t done) {
  Progress p;
  int64_t doneHere = 0;
  {
    std::lock_guard lock(mutex_);
    p.stage = stage_;
    p.total = total_;
    p.done = done;
    p.elapsedSeconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - stageStart_).count();
    doneHere = done - alreadyDone_;
  }
  if (doneHere > 0) {
    p.secondsPerUnit = p.elapsedSeconds / static_cast<double>(doneHere);
    p.etaSeconds = p.secondsPerUnit * static_cast<double>(std::max<int64_t>(p.total - p.done, 0));
  }
  if (listener_.onProgress) listener_.onProgress(p);
}

void JobContext::log(LogLevel level, const std::string& message) {
  if (listener_.onLog) listener_.onLog(level, message);
}

void JobContext::metric(const std::string& series, int64_t step, double value) {
  if (listener_.onMetric) listener_.onMetric(series, step, value);
}

void JobContext::throwIfCancelled() const {
  if (cancel_->cancelled()) throw Cancelled();
}

namespace {
thread_local std::shared_ptr<CancelToken> currentToken;
}  // namespace

CancelScope::CancelScope(std::shared_ptr<CancelToken> token) : token_(std::move(token)), outer_(currentToken) {
  currentToken = token_;
}

CancelScope::~CancelScope() { currentToken = outer_; }

void throwIfCancelledHere() {
  if (currentToken && currentToken->cancelled()) throw Cancelled();
}

JobContext& silentJob() {
  // Shared and stateless apart from the stage bookkeeping, which nobody reads.
  static JobContext context;
  return context;
}

}  // namespace sm::jobs
