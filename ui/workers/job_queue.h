#pragma once
// The Studio's one compute worker (per device) and its queue, as a QObject:
// every panel's model jobs go through it, so two jobs never load models onto
// the device at once, and the queue view lists what waits and what runs.
#include <QObject>
#include <QString>
#include <memory>
#include <vector>

#include "core/worker/compute_worker.h"

namespace sm::ui {

class JobQueue : public QObject {
  Q_OBJECT
 public:
  /// The application's queue (made on first use, on the GUI thread).
  static JobQueue& instance();

  uint64_t submit(worker::JobSpec spec) { return worker_->submit(std::move(spec)); }
  bool cancel(uint64_t id) { return worker_->cancel(id); }
  std::vector<worker::JobInfo> jobs() const { return worker_->jobs(); }
  /// While job `id` waits: how many jobs are before it (running one included);
  /// -1 once it runs or has ended.
  int ahead(uint64_t id) const;

 Q_SIGNALS:
  /// The list of queued and running jobs changed (delivered on the GUI thread).
  void changed();

 private:
  JobQueue();
  std::unique_ptr<worker::ComputeWorker> worker_;
};

}  // namespace sm::ui
