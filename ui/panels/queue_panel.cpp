#include "ui/panels/queue_panel.h"

#include <QHBoxLayout>
#include <QListWidget>
#include <QPushButton>
#include <QVBoxLayout>

#include "ui/workers/job_queue.h"

namespace sm::ui {

QueuePanel::QueuePanel(QWidget* parent)
    : QWidget(parent), list_(new QListWidget(this)), cancel_(new QPushButton(tr("Cancel job"), this)) {
  list_->setToolTip(tr("Jobs run one at a time on the compute worker, in this order"));
  // A few rows are enough: the dock must not push the tabs' buttons below the fold at 1024x640.
  list_->setMaximumHeight(list_->fontMetrics().height() * 4 + 8);
  cancel_->setToolTip(tr("Cancel the selected job: a waiting job is dropped, a running one stops at its next step"));
  auto* buttons = new QVBoxLayout;
  buttons->addWidget(cancel_);
  buttons->addStretch(1);
  auto* layout = new QHBoxLayout(this);
  layout->setContentsMargins(4, 4, 4, 4);
  layout->addWidget(list_, 1);
  layout->addLayout(buttons);
  connect(&JobQueue::instance(), &JobQueue::changed, this, &QueuePanel::refresh);
  connect(cancel_, &QPushButton::clicked, this, &QueuePanel::cancelSelected);
  connect(list_, &QListWidget::currentRowChanged, this, [this] { cancel_->setEnabled(list_->currentItem()); });
  refresh();
}

void QueuePanel::refresh() {
  const QVariant selected = list_->currentItem() ? list_->currentItem()->data(Qt::UserRole) : QVariant();
  list_->clear();
  for (const worker::JobInfo& job : JobQueue::instance().jobs()) {
    const QString state = job.state == worker::JobState::Running ? tr("running") : tr("queued");
    auto* item = new QListWidgetItem(tr("%1: %2").arg(state, QString::fromStdString(job.title)), list_);
    item->setData(Qt::UserRole, QVariant::fromValue<qulonglong>(job.id));
    if (selected.isValid() && selected.toULongLong() == job.id) list_->setCurrentItem(item);
  }
  if (list_->count() == 0) {
    auto* item = new QListWidgetItem(tr("No jobs: the compute worker is idle"), list_);
    item->setFlags(Qt::NoItemFlags);
  }
  cancel_->setEnabled(list_->currentItem() && list_->currentItem()->data(Qt::UserRole).isValid());
}

QStringList QueuePanel::rows() const {
  QStringList out;
  for (int i = 0; i < list_->count(); ++i) out << list_->item(i)->text();
  return out;
}

void QueuePanel::cancelSelected() {
  const QListWidgetItem* item = list_->currentItem();
  if (!item || !item->data(Qt::UserRole).isValid()) return;
  JobQueue::instance().cancel(item->data(Qt::UserRole).toULongLong());
}

}  // namespace sm::ui
