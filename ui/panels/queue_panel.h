#pragma once
// The compute worker's queue: the running job and those waiting behind it,
// each cancellable. Docked at the bottom of the main window.
#include <QWidget>

class QListWidget;
class QPushButton;

namespace sm::ui {

class QueuePanel : public QWidget {
  Q_OBJECT
 public:
  explicit QueuePanel(QWidget* parent = nullptr);
  /// Rows shown now ("running: ...", "queued: ..."), for tests and accessibility.
  QStringList rows() const;

 public Q_SLOTS:
  void refresh();
  /// Cancels the selected job.
  void cancelSelected();

 private:
  QListWidget* list_;
  QPushButton* cancel_;
};

}  // namespace sm::ui
