#pragma once
// Text-to-video in the Studio: models, prompt and settings on the left, the
// result playing on the right; generation runs on a JobRunner (progress, ETA,
// cancel), and the clip exports to MP4, GIF or PNG frames.
#include <QWidget>
#include <memory>
#include <vector>

#include "core/control/control_unit.h"
#include "core/pipelines/generation_request.h"
#include "core/pipelines/model_set.h"
#include "core/video/video_frames.h"

class QCheckBox;
class QComboBox;
class QGroupBox;
class QDoubleSpinBox;
class QLabel;
class QLineEdit;
class QPlainTextEdit;
class QProgressBar;
class QPushButton;
class QSlider;
class QSpinBox;

namespace sm::ui {

class JobRunner;
class VideoPreview;

class GeneratePanel : public QWidget {
  Q_OBJECT
 public:
  explicit GeneratePanel(QWidget* parent = nullptr);
  ~GeneratePanel() override;

  void setBaseModel(const QString& path);
  void setMotionModule(const QString& path);
  void setCustomModel(const QString& path);
  void setMotionAdapter(const QString& path);
  void setSpatialAdapters(const QString& path);
  void setPrompt(const QString& prompt);
  /// Selects the shipped toy world: its base and motion module, a prompt of its
  /// world and its picture size, so that Generate makes a real video at once.
  void useToyWorld(const QString& base, const QString& motionModule);
  /// A ControlNet and its driving video (turns the ControlNet section on).
  void setControlNet(const QString& controlNet, const QString& drivingVideo);
  /// The request and sources the form describes now.
  pipelines::GenerationRequest request() const;
  pipelines::ModelSet sources() const;
  /// The ControlNet section as the job takes it (empty when the section is off).
  std::vector<control::ControlNetUnit> controlNets() const;
  /// What the player shows: the output alone, or source | condition | output.
  enum class PlayerView { Output, SideBySide };
  void setPlayerView(PlayerView view);
  VideoPreview* preview() const { return preview_; }
  const video::VideoClip& lastClip() const { return clip_; }

 public Q_SLOTS:
  void generate();
  void cancel();
  /// Reads and preprocesses the driving video and shows source | condition,
  /// before anything is generated.
  void previewControl();
  /// Writes the last clip to `path` (.mp4, .gif or a folder) in the background.
  void exportTo(const QString& path);

 Q_SIGNALS:
  void generated();
  void exported(const QString& path);
  /// A job failed: the window shows it in a dialog.
  void failed(const QString& title, const QString& message);

 private:
  QWidget* buildForm();
  QWidget* buildControlSection(QWidget* parent);
  /// Generate, Cancel, Export, the progress bar and the status line.
  QWidget* buildActions(QWidget* parent);
  /// The player and what it shows.
  QWidget* buildPlayer(QWidget* parent);
  void setBusy(bool busy);
  /// Shows clip_ alone or beside the ControlNet's source and condition, per the view chosen.
  void showResult();
  /// `filter`: the file dialog's name filter ("" for model weights).
  QLineEdit* pathField(const QString& placeholder, bool folderToo, QWidget* row, const QString& filter = {});

  JobRunner* runner_;
  video::VideoClip clip_;
  /// The ControlNet's driving frames and condition frames of the last preview or generation.
  video::VideoClip controlSource_;
  video::VideoClip controlCondition_;
  QString failTitle_;

  QLineEdit* base_;
  QLineEdit* motion_;
  QLineEdit* custom_;
  QLineEdit* motionAdapter_;
  QLineEdit* spatialAdapters_;
  QPlainTextEdit* prompt_;
  QLineEdit* negative_;
  QSpinBox* frames_;
  QSpinBox* width_;
  QSpinBox* height_;
  QSpinBox* steps_;
  QDoubleSpinBox* cfg_;
  QLineEdit* seed_;
  QComboBox* sampler_;
  QSlider* motionScale_;
  QDoubleSpinBox* motionScaleBox_;
  QDoubleSpinBox* spatialStrength_;
  QDoubleSpinBox* fps_;
  QGroupBox* control_;
  QLineEdit* controlNet_;
  QLineEdit* controlVideo_;
  QComboBox* controlType_;
  QDoubleSpinBox* controlLow_;
  QDoubleSpinBox* controlHigh_;
  QDoubleSpinBox* controlScale_;
  QDoubleSpinBox* controlStart_;
  QDoubleSpinBox* controlEnd_;
  QSpinBox* controlStride_;
  QCheckBox* controlLoop_;
  QPushButton* previewControl_;
  QComboBox* playerView_;
  QPushButton* generate_;
  QPushButton* cancel_;
  QPushButton* export_;
  QProgressBar* progress_;
  QLabel* status_;
  VideoPreview* preview_;
};

}  // namespace sm::ui
