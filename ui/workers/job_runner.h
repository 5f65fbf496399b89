#pragma once
// Runs one core job off the GUI thread and brings its events back to it:
// progress, log lines and metrics arrive as queued signals, the result (or
// the error) once at the end. Cancel sets the job's CancelToken.
#include <QObject>
#include <QString>
#include <functional>
#include <memory>

#include "core/jobs/job.h"

namespace sm::ui {

class JobRunner : public QObject {
  Q_OBJECT
 public:
  explicit JobRunner(QObject* parent = nullptr);
  ~JobRunner() override;

  /// Starts `work` on the thread pool unless a job is running (returns false then).
  /// `work` throws to fail; sm::Cancelled ends the job as cancelled. On success
  /// `onSuccess` runs on the GUI thread, then succeeded() is emitted.
  bool start(std::function<void(jobs::JobContext&)> work, std::function<void()> onSuccess = {});
  bool running() const { return running_; }

 public Q_SLOTS:
  void cancel();

 Q_SIGNALS:
  void progress(const QString& stage, qint64 done, qint64 total, double secondsPerUnit, double etaSeconds);
  void logged(const QString& message, bool warning);
  void metric(const QString& series, qint64 step, double value);
  /// Exactly one of these ends every started job.
  void succeeded();
  void failed(const QString& message);
  void cancelled();

 private:
  std::shared_ptr<jobs::CancelToken> cancel_;
  bool running_ = false;
};

}  // namespace sm::ui
