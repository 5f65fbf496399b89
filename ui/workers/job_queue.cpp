#include "ui/workers/job_queue.h"

#include <QCoreApplication>
#include <QPointer>

namespace sm::ui {

JobQueue& JobQueue::instance() {
  // Parented to the application: destroyed (running job cancelled, then joined) before LibTorch unloads.
  static QPointer<JobQueue> queue;
  if (!queue) queue = new JobQueue();
  return *queue;
}

JobQueue::JobQueue() : QObject(QCoreApplication::instance()), worker_(std::make_unique<worker::ComputeWorker>("auto")) {
  QPointer<JobQueue> self(this);
  worker_->setQueueListener([self] {
    QCoreApplication* app = QCoreApplication::instance();
    if (!app) return;  // shutting down
    QMetaObject::invokeMethod(
        app,
        [self] {
          if (self) Q_EMIT self->changed();
        },
        Qt::QueuedConnection);
  });
}

int JobQueue::ahead(uint64_t id) const {
  int count = 0;
  for (const worker::JobInfo& job : worker_->jobs()) {
    if (job.id == id) return job.state == worker::JobState::Queued ? count : -1;
    ++count;
  }
  return -1;
}

}  // namespace sm::ui
