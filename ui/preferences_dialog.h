#pragma once
// Preferences kept in QSettings: CPU threads for LibTorch.
#include <QDialog>

class QSpinBox;

namespace sm::ui {

class PreferencesDialog : public QDialog {
  Q_OBJECT
 public:
  explicit PreferencesDialog(QWidget* parent = nullptr);
  /// The saved thread count; 0 means all physical cores.
  static int savedThreads();
  void accept() override;

 private:
  QSpinBox* threads_;
};

}  // namespace sm::ui
