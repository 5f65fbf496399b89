#include "ui/workers/job_runner.h"

#include <QPointer>
#include <QtConcurrent/QtConcurrent>

#include "core/util/error.h"

namespace sm::ui {

JobRunner::JobRunner(QObject* parent) : QObject(parent) {}

JobRunner::~JobRunner() {
  // A job outliving its window must stop soon; its events then go nowhere (QPointer).
  if (cancel_) cancel_->cancel();
}

void JobRunner::cancel() {
  if (cancel_) cancel_->cancel();
}

bool JobRunner::start(std::function<void(jobs::JobContext&)> work, std::function<void()> onSuccess) {
  if (running_) return false;
  running_ = true;
  cancel_ = std::make_shared<jobs::CancelToken>();
  QPointer<JobRunner> self(this);
  // Each event is queued to this object's (the GUI) thread.
  auto post = [self](std::function<void(JobRunner*)> deliver) {
    QMetaObject::invokeMethod(
        qApp,
        [self, deliver = std::move(deliver)] {
          if (self) deliver(self.data());
        },
        Qt::QueuedConnection);
  };
  jobs::JobListener listener;
  listener.onProgress = [post](const jobs::Progress& p) {
    post([p](JobRunner* r) {
      Q_EMIT r->progress(QString::fromStdString(p.stage), p.done, p.total, p.secondsPerUnit, p.etaSeconds);
    });
  };
  listener.onLog = [post](jobs::LogLevel level, const std::string& message) {
    post([level, message](JobRunner* r) {
      Q_EMIT r->logged(QString::fromStdString(message), level == jobs::LogLevel::Warning);
    });
  };
  listener.onMetric = [post](const std::string& series, int64_t step, double value) {
    post([series, step, value](JobRunner* r) { Q_EMIT r->metric(QString::fromStdString(series), step, value); });
  };
  auto cancelToken = cancel_;
  (void)QtConcurrent::run([work = std::move(work), onSuccess = std::move(onSuccess), listener, cancelToken, post] {
    enum class End { Ok, Failed, Cancelled } end = End::Ok;
    QString error;
    try {
      jobs::JobContext job(listener, cancelToken);
      work(job);
    } catch (const Cancelled&) {
      end = End::Cancelled;
    } catch (const std::exception& e) {
      end = End::Failed;
      error = QString::fromStdString(e.what());
    }
    post([end, error, onSuccess](JobRunner* r) {
      r->running_ = false;
      if (end == End::Ok && onSuccess) onSuccess();
      if (end == End::Ok) Q_EMIT r->succeeded();
      if (end == End::Failed) Q_EMIT r->failed(error);
      if (end == End::Cancelled) Q_EMIT r->cancelled();
    });
  });
  return true;
}

}  // namespace sm::ui
