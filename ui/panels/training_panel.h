#pragma once
// Still-Moving training in the Studio: the models, the training data (frozen
// videos and prior videos, built and previewed as a contact sheet) and the
// Motion / Spatial Adapter runs with a live loss plot. Each long job runs on
// its own JobRunner (progress, ETA, cancel); a cancelled run leaves a
// checkpoint that Resume continues.
#include <QWidget>
#include <functional>

#include "core/datasets/dataset_jobs.h"
#include "core/pipelines/model_set.h"
#include "core/training/training_settings.h"

class QCheckBox;
class QComboBox;
class QDoubleSpinBox;
class QFormLayout;
class QLabel;
class QLineEdit;
class QPlainTextEdit;
class QProgressBar;
class QPushButton;
class QSpinBox;

namespace sm::ui {

class JobRunner;
class LossPlot;

class TrainingPanel : public QWidget {
  Q_OBJECT
 public:
  enum class Mode { MotionAdapter, SpatialAdapters };

  explicit TrainingPanel(QWidget* parent = nullptr);
  ~TrainingPanel() override;

  /// What to do when an earlier run left its checkpoint or output where a fresh run would write.
  enum class EarlierRun { Resume, Replace, Cancel };
  /// Asks the artist (a dialog by default; tests answer themselves). `files` names what was left.
  void setEarlierRunQuestion(std::function<EarlierRun(const QString& files)> question);

  void setBaseModel(const QString& path);
  void setMotionModule(const QString& path);
  void setCustomModel(const QString& path);
  void setLoRA(const QString& path);
  /// Fills the model fields that are still empty, e.g. from the Generate tab.
  void fillEmptyModels(const pipelines::ModelSet& sources);
  void setMode(Mode mode);
  Mode mode() const;

  /// The settings the forms describe now.
  datasets::FrozenDatasetSettings frozenDatasetSettings() const;
  datasets::PriorDatasetSettings priorDatasetSettings() const;
  training::MotionAdapterTrainingSettings motionAdapterSettings() const;
  training::SpatialAdaptersTrainingSettings spatialAdaptersSettings() const;
  /// The models and the adapter of the last finished run, for the Generate tab.
  const pipelines::ModelSet& trainedSources() const { return trained_; }

  LossPlot* lossPlot() const { return lossPlot_; }
  /// The dataset contact sheet shown (an empty string when none).
  QString previewPath() const { return previewPath_; }
  QString trainingStatus() const;

 public Q_SLOTS:
  void buildDataset();
  void cancelDataset();
  /// Shows an existing dataset folder's contact sheet and puts it into the Train form.
  void openDataset(const QString& folder);
  void train();
  void cancelTraining();

 Q_SIGNALS:
  void datasetBuilt(const QString& folder);
  void trained(const QString& output);
  /// A run was cancelled after `step` steps; its checkpoint is saved.
  void trainingCancelled(int step);
  /// The artist asked for the trained adapter in the Generate tab (see trainedSources()).
  void useInGenerateRequested();
  /// A job failed or a setting was refused: the window shows it in a dialog.
  void failed(const QString& title, const QString& message);

 private:
  enum class PathKind { Model, File, SaveFile, Folder, Dataset };
  EarlierRun askAboutEarlierRun(const QString& files);
  QLineEdit* pathField(const QString& placeholder, PathKind kind, QWidget* row);
  QWidget* buildModels();
  QWidget* buildDataForm();
  QWidget* buildTrainForm();
  QWidget* buildViews();
  void connectDatasetRunner();
  void connectTrainRunner();
  void updateDatasetRows();
  void updateModeRows();
  void setDatasetBusy(bool busy);
  void setTrainBusy(bool busy);
  void showPreview(const datasets::DatasetKind kind, const QString& folder, int samples);
  pipelines::ModelSet modelSources() const;
  void fillDatasetCommon(datasets::DatasetCommonSettings& s) const;
  void fillTrainingCommon(training::TrainingSettings& s) const;
  datasets::DatasetSource datasetSource() const;
  bool priorKind() const;

  JobRunner* datasetRunner_;
  JobRunner* trainRunner_;
  std::function<EarlierRun(const QString&)> earlierRunQuestion_;
  pipelines::ModelSet trained_;
  QString previewPath_;
  int lastStep_ = 0;
  bool trainingStarted_ = false;

  // Models
  QLineEdit* base_;
  QLineEdit* motion_;
  QLineEdit* custom_;
  QLineEdit* lora_;
  QComboBox* device_;
  // Training data
  QFormLayout* dataLayout_;
  QComboBox* datasetKind_;
  QComboBox* datasetSource_;
  QPlainTextEdit* prompts_;
  QLineEdit* inputFolder_;
  QLineEdit* datasetOut_;
  QSpinBox* datasetWidth_;
  QSpinBox* datasetHeight_;
  QSpinBox* datasetFrames_;
  QSpinBox* datasetCount_;
  QSpinBox* datasetSteps_;
  QPushButton* build_;
  QPushButton* cancelBuild_;
  QPushButton* openDataset_;
  QProgressBar* datasetProgress_;
  QLabel* datasetStatus_;
  // Train
  QFormLayout* trainLayout_;
  QComboBox* mode_;
  QLineEdit* frozenDataset_;
  QLineEdit* priorDataset_;
  QLineEdit* motionAdapter_;
  QLineEdit* output_;
  QSpinBox* steps_;
  QDoubleSpinBox* learningRate_;
  QSpinBox* rank_;
  QSpinBox* checkpointEvery_;
  QCheckBox* resume_;
  QPushButton* train_;
  QPushButton* cancelTrain_;
  QPushButton* useInGenerate_;
  QProgressBar* trainProgress_;
  QLabel* trainStatus_;
  // Views
  QLabel* previewCaption_;
  QLabel* preview_;
  LossPlot* lossPlot_;
};

}  // namespace sm::ui
