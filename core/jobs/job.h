#pragma once
// The job API: the one way long work in core reports to whoever runs it.
// A pipeline gets a JobContext and calls progress(), log(), metric() and
// throwIfCancelled(); the CLI turns the events into a progress bar on stderr,
// the Studio into signals on its worker thread. Nothing here knows either.
#include <atomic>
#include <chrono>
#include <functional>
#include <memory>
#include <mutex>
#include <string>

namespace sm::jobs {

/// One progress event. `stage` names the phase ("loading", "denoising",
/// "decoding", "training", ...); within a stage `done` goes 0..total.
struct Progress {
  std::string stage;
  int64_t done = 0;
  int64_t total = 0;
  /// Seconds per unit over the units done so far in this stage by this run (0 until one is done).
  double secondsPerUnit = 0.0;
  /// Seconds left in this stage at that rate (0 until one unit is done).
  double etaSeconds = 0.0;
  double elapsedSeconds = 0.0;
};

enum class LogLevel { Info, Warning };

/// What a job's owner wants to hear. Every member may be empty. They are
/// called on the job's thread: a GUI must hand them over to its own thread.
struct JobListener {
  std::function<void(const Progress&)> onProgress;
  std::function<void(LogLevel, const std::string&)> onLog;
  /// A named series value at a step, e.g. ("loss", 120, 0.083): the live plots.
  std::function<void(const std::string& series, int64_t step, double value)> onMetric;
};

/// A cancel request shared between the owner (who sets it) and the job (who polls it).
class CancelToken {
 public:
  void cancel() { flag_.store(true); }
  bool cancelled() const { return flag_.load(); }
  /// For APIs that poll a plain flag (video I/O).
  const std::atomic<bool>* flag() const { return &flag_; }

 private:
  std::atomic<bool> flag_{false};
};

/// Handed to the code doing the work. Cheap to pass by reference; thread-safe.
class JobContext {
 public:
  JobContext() : JobContext(JobListener{}) {}
  explicit JobContext(JobListener listener, std::shared_ptr<CancelToken> cancel = std::make_shared<CancelToken>());

  /// Starts a stage of `total` units: the rate and ETA restart from here. `alreadyDone`
  /// units were finished by an earlier run (a resume): they count as done but not
  /// towards the rate, which would otherwise promise the rest in no time.
  void beginStage(const std::string& stage, int64_t total, int64_t alreadyDone = 0);
  /// `done` units of the current stage are finished.
  void progress(int64_t done);
  void log(LogLevel level, const std::string& message);
  void info(const std::string& message) { log(LogLevel::Info, message); }
  void warn(const std::string& message) { log(LogLevel::Warning, message); }
  void metric(const std::string& series, int64_t step, double value);

  /// Throws sm::Cancelled when cancellation was requested. Call it between units of work.
  void throwIfCancelled() const;
  const std::shared_ptr<CancelToken>& cancelToken() const { return cancel_; }

 private:
  JobListener listener_;
  std::shared_ptr<CancelToken> cancel_;
  std::mutex mutex_;
  std::string stage_;
  int64_t total_ = 0;
  int64_t alreadyDone_ = 0;
  std::chrono::steady_clock::time_point stageStart_;
};

/// A context that reports nothing and is never cancelled, for callers that do not care.
JobContext& silentJob();

/// Cancellation inside one long model call (a full-size UNet or VAE pass takes
/// seconds to minutes on a CPU) without a JobContext in every model signature:
/// whoever runs a job registers its token for the running thread, and model
/// code calls throwIfCancelledHere() between its blocks. Scopes nest; the
/// outer one is restored when an inner one ends.
class CancelScope {
 public:
  explicit CancelScope(std::shared_ptr<CancelToken> token);
  ~CancelScope();
  CancelScope(const CancelScope&) = delete;
  CancelScope& operator=(const CancelScope&) = delete;

 private:
  std::shared_ptr<CancelToken> token_;
  std::shared_ptr<CancelToken> outer_;
};

/// Throws sm::Cancelled when the token registered for this thread (if any) is cancelled.
void throwIfCancelledHere();

}  // namespace sm::jobs
