#pragma once
// A panel's handle on its jobs: model work (generate, datasets, training) is
// queued on the Studio's one compute worker (JobQueue); file work (export)
// runs on the thread pool. Progress, log lines and metrics arrive as queued
// signals on the GUI thread, the result (or the error) once at the end.
// Cancel sets the job's CancelToken at once, whether it waits or runs.
#include <QObject>
#include <QString>
#include <functional>
#include <memory>

#include "core/jobs/job.h"
#include "core/worker/compute_worker.h"

namespace sm::ui {

class JobRunner : public QObject {
  Q_OBJECT
 public:
  explicit JobRunner(QObject* parent = nullptr);
  ~JobRunner() override;

  /// Queues `work` on the compute worker unless this runner has a job already
  /// (returns false then). `work` throws to fail; sm::Cancelled ends the job as
  /// cancelled. On success `onSuccess` runs on the GUI thread, then succeeded() is emitted.
  bool start(const QString& title, worker::Work work, std::function<void()> onSuccess = {});
  /// The same for work that touches no model (writing files): on the thread pool, at once.
  bool startFileWork(std::function<void(jobs::JobContext&)> work, std::function<void()> onSuccess = {});
  /// Whether a job of this runner waits or runs.
  bool running() const { return running_; }
  /// What a panel shows while its job waits: "Queued: waiting for N job(s)...".
  static QString queuedMessage(int ahead);

 public Q_SLOTS:
  void cancel();

 Q_SIGNALS:
  /// The job waits with `ahead` jobs before it (emitted when queued and when that changes).
  void queued(int ahead);
  void progress(const QString& stage, qint64 done, qint64 total, double secondsPerUnit, double etaSeconds);
  void logged(const QString& message, bool warning);
  void metric(const QString& series, qint64 step, double value);
  /// Exactly one of these ends every started job.
  void succeeded();
  void failed(const QString& message);
  void cancelled();

 private:
  jobs::JobListener listener();
  /// Emits queued() while the job waits.
  void reportWaiting();
  void finish(worker::JobState state, const QString& error, const std::function<void()>& onSuccess);

  std::shared_ptr<jobs::CancelToken> cancel_;
  uint64_t jobId_ = 0;
  bool running_ = false;
};

}  // namespace sm::ui
