#pragma once
// The models the artist has opened: what each file is, inspected off the GUI
// thread by core's recognition, shown as a tree.
#include <QFutureWatcher>
#include <QWidget>

#include "core/io/model_recognition.h"

class QTreeWidget;
class QLabel;

namespace sm::ui {

class ModelPanel : public QWidget {
  Q_OBJECT
 public:
  explicit ModelPanel(QWidget* parent = nullptr);
  /// Inspects `path` in the background; the result or error arrives later.
  void openModel(const QString& path);
  int modelCount() const;

 Q_SIGNALS:
  void modelFailed(const QString& path, const QString& message);
  void modelInspected(const QString& path);
  /// The same, with core's kind name ("sd15-checkpoint", "motion-module", ...).
  void modelRecognized(const QString& path, const QString& kind);

 private:
  struct Outcome {
    QString path;
    bool ok = false;
    io::ModelInfo info;
    QString error;
  };
  void show(const Outcome& outcome);
  QTreeWidget* tree_;
  QLabel* hint_;
};

}  // namespace sm::ui
