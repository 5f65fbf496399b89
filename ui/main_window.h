#pragma once
// The Studio's main window: models, generation and training (data preview,
// adapters, loss plot) tabs; errors are shown in a dialog and the window keeps running.
#include <QMainWindow>

namespace sm::ui {

class GeneratePanel;
class ModelPanel;
class QueuePanel;
class TrainingPanel;

class MainWindow : public QMainWindow {
  Q_OBJECT
 public:
  explicit MainWindow(QWidget* parent = nullptr);
  ModelPanel* modelPanel() const { return models_; }
  GeneratePanel* generatePanel() const { return generate_; }
  TrainingPanel* trainingPanel() const { return training_; }
  QueuePanel* queuePanel() const { return queue_; }

 public Q_SLOTS:
  void openModelFile();
  void openModelFolder();
  void showError(const QString& path, const QString& message);

 private:
  void buildMenus();
  void updateStatus();
  ModelPanel* models_;
  GeneratePanel* generate_;
  TrainingPanel* training_;
  QueuePanel* queue_;
};

}  // namespace sm::ui
