#include "ui/workers/job_runner.h"

#include <QCoreApplication>
#include <QPointer>
#include <QtConcurrent/QtConcurrent>

#include "core/util/error.h"
#include "ui/workers/job_queue.h"

namespace sm::ui {
namespace {

// Queues `deliver` to the GUI thread; dropped when the runner is gone by then.
void post(const QPointer<JobRunner>& self, std::function<void(JobRunner*)> deliver) {
  QCoreApplication* app = QCoreApplication::instance();
  if (!app) return;
  QMetaObject::invokeMethod(
      app,
      [self, deliver = std::move(deliver)] {
        if (self) deliver(self.data());
      },
      Qt::QueuedConnection);
}

}  // namespace

JobRunner::JobRunner(QObject* parent) : QObject(parent) {
  connect(&JobQueue::instance(), &JobQueue::changed, this, &JobRunner::reportWaiting);
}

JobRunner::~JobRunner() {
  // A job outliving its window must stop soon (or never start); its events then go nowhere.
  if (jobId_ != 0) JobQueue::instance().cancel(jobId_);
  if (cancel_) cancel_->cancel();
}

void JobRunner::cancel() {
  if (cancel_) cancel_->cancel();  // at once, from this thread: a busy worker reads it at its next check
  if (jobId_ != 0) JobQueue::instance().cancel(jobId_);
}

QString JobRunner::queuedMessage(int ahead) {
  return tr("Queued: waiting for %n job(s) on the compute worker", nullptr, ahead);
}

void JobRunner::reportWaiting() {
  const int ahead = running_ && jobId_ != 0 ? JobQueue::instance().ahead(jobId_) : -1;
  if (ahead >= 0) Q_EMIT queued(ahead);
}

jobs::JobListener JobRunner::listener() {
  QPointer<JobRunner> self(this);
  jobs::JobListener listener;
  listener.onProgress = [self](const jobs::Progress& p) {
    post(self, [p](JobRunner* r) {
      Q_EMIT r->progress(QString::fromStdString(p.stage), p.done, p.total, p.secondsPerUnit, p.etaSeconds);
    });
  };
  listener.onLog = [self](jobs::LogLevel level, const std::string& message) {
    post(self, [level, message](JobRunner* r) {
      Q_EMIT r->logged(QString::fromStdString(message), level == jobs::LogLevel::Warning);
    });
  };
  listener.onMetric = [self](const std::string& series, int64_t step, double value) {
    post(self, [series, step, value](JobRunner* r) { Q_EMIT r->metric(QString::fromStdString(series), step, value); });
  };
  return listener;
}

void JobRunner::finish(worker::JobState state, const QString& error, const std::function<void()>& onSuccess) {
  running_ = false;
  jobId_ = 0;
  if (state == worker::JobState::Succeeded && onSuccess) onSuccess();
  if (state == worker::JobState::Succeeded) Q_EMIT succeeded();
  if (state == worker::JobState::Failed) Q_EMIT failed(error);
  if (state == worker::JobState::Cancelled) Q_EMIT cancelled();
}

bool JobRunner::start(const QString& title, worker::Work work, std::function<void()> onSuccess) {
  if (running_) return false;
  running_ = true;
  cancel_ = std::make_shared<jobs::CancelToken>();
  QPointer<JobRunner> self(this);
  worker::JobSpec spec;
  spec.title = title.toStdString();
  spec.work = std::move(work);
  spec.listener = listener();
  spec.cancel = cancel_;
  spec.finished = [self, onSuccess = std::move(onSuccess)](const worker::JobOutcome& outcome) {
    const QString error = QString::fromStdString(outcome.error);
    post(self, [state = outcome.state, error, onSuccess](JobRunner* r) { r->finish(state, error, onSuccess); });
  };
  jobId_ = JobQueue::instance().submit(std::move(spec));
  reportWaiting();
  return true;
}

bool JobRunner::startFileWork(std::function<void(jobs::JobContext&)> work, std::function<void()> onSuccess) {
  if (running_) return false;
  running_ = true;
  cancel_ = std::make_shared<jobs::CancelToken>();
  QPointer<JobRunner> self(this);
  auto events = listener();
  auto cancelToken = cancel_;
  (void)QtConcurrent::run([work = std::move(work), onSuccess = std::move(onSuccess), events, cancelToken, self] {
    worker::JobState state = worker::JobState::Succeeded;
    QString error;
    try {
      jobs::JobContext job(events, cancelToken);
      work(job);
    } catch (const Cancelled&) {
      state = worker::JobState::Cancelled;
    } catch (const std::exception& e) {
      state = worker::JobState::Failed;
      error = QString::fromStdString(e.what());
    }
    post(self, [state, error, onSuccess](JobRunner* r) { r->finish(state, error, onSuccess); });
  });
  return true;
}

}  // namespace sm::ui
