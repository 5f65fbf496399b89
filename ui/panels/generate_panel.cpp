#include "ui/panels/generate_panel.h"

#include <QCheckBox>
#include <QComboBox>
#include <QDoubleSpinBox>
#include <QFileDialog>
#include <QFormLayout>
#include <QGroupBox>
#include <QHBoxLayout>
#include <QLabel>
#include <QLineEdit>
#include <QPlainTextEdit>
#include <QProgressBar>
#include <QPushButton>
#include <QRandomGenerator>
#include <QRegularExpressionValidator>
#include <QScrollArea>
#include <QSignalBlocker>
#include <QSlider>
#include <QSpinBox>
#include <QSplitter>
#include <QToolButton>
#include <QVBoxLayout>
#include <algorithm>
#include <cmath>

#include "core/figures/side_by_side.h"
#include "core/settings/settings_table.h"
#include "core/util/error.h"
#include "core/video/video_writer.h"
#include "core/worker/jobs.h"
#include "ui/widgets/duration_text.h"
#include "ui/widgets/setting_widgets.h"
#include "ui/widgets/video_preview.h"
#include "ui/workers/job_runner.h"

namespace sm::ui {

GeneratePanel::GeneratePanel(QWidget* parent)
    : QWidget(parent), runner_(new JobRunner(this)), preview_(new VideoPreview(this)) {
  auto* splitter = new QSplitter(Qt::Horizontal, this);
  // The form grows with the ControlNet section: it scrolls rather than push the buttons off screen.
  // The actions stay below it, always in view.
  auto* left = new QWidget(this);
  auto* leftLayout = new QVBoxLayout(left);
  leftLayout->setContentsMargins(0, 0, 0, 0);
  auto* scroll = new QScrollArea(left);
  scroll->setWidget(buildForm());
  scroll->setWidgetResizable(true);
  scroll->setFrameShape(QFrame::NoFrame);
  leftLayout->addWidget(scroll, 1);
  leftLayout->addWidget(buildActions(left));
  splitter->addWidget(left);
  splitter->addWidget(buildPlayer(this));
  splitter->setStretchFactor(1, 1);
  auto* layout = new QVBoxLayout(this);
  layout->addWidget(splitter);

  connect(runner_, &JobRunner::progress, this,
          [this](const QString& stage, qint64 done, qint64 total, double perUnit, double eta) {
            progress_->setRange(0, static_cast<int>(total));
            progress_->setValue(static_cast<int>(done));
            QString text = tr("%1 %2/%3").arg(stage).arg(done).arg(total);
            if (done > 0) text += tr(" · %1 per step").arg(formatDurationText(perUnit));
            if (done > 0 && done < total) text += tr(" · %1 left").arg(formatDurationText(eta));
            status_->setText(text);
          });
  connect(runner_, &JobRunner::queued, this, [this](int ahead) { status_->setText(JobRunner::queuedMessage(ahead)); });
  connect(runner_, &JobRunner::logged, this, [this](const QString& message, bool warning) {
    if (warning) status_->setText(tr("Warning: %1").arg(message));
  });
  connect(runner_, &JobRunner::failed, this, [this](const QString& message) {
    setBusy(false);
    status_->setText(tr("Failed."));
    Q_EMIT failed(failTitle_, message);
  });
  connect(runner_, &JobRunner::cancelled, this, [this] {
    setBusy(false);
    status_->setText(tr("Cancelled."));
  });
}

GeneratePanel::~GeneratePanel() = default;

QLineEdit* GeneratePanel::pathField(const QString& placeholder, bool folderToo, QWidget* row, const QString& filter) {
  auto* edit = new QLineEdit(row);
  edit->setPlaceholderText(placeholder);
  auto* layout = new QHBoxLayout(row);
  layout->setContentsMargins(0, 0, 0, 0);
  layout->addWidget(edit, 1);
  auto* file = new QToolButton(row);
  file->setText(tr("File..."));
  layout->addWidget(file);
  const QString nameFilter = filter.isEmpty() ? tr("Model weights (*.safetensors *.ckpt *.pt *.pth *.bin)") : filter;
  connect(file, &QToolButton::clicked, this, [this, edit, nameFilter] {
    const QString path = QFileDialog::getOpenFileName(this, tr("Choose a file"), edit->text(), nameFilter);
    if (!path.isEmpty()) edit->setText(path);
  });
  if (folderToo) {
    auto* folder = new QToolButton(row);
    folder->setText(tr("Folder..."));
    layout->addWidget(folder);
    connect(folder, &QToolButton::clicked, this, [this, edit] {
      const QString path = QFileDialog::getExistingDirectory(this, tr("Choose a folder"), edit->text());
      if (!path.isEmpty()) edit->setText(path);
    });
  }
  return edit;
}

QWidget* GeneratePanel::buildForm() {
  auto* form = new QWidget(this);
  auto* layout = new QFormLayout(form);
  auto* baseRow = new QWidget(form);
  base_ = pathField(tr("SD 1.5 checkpoint or diffusers folder"), true, baseRow);
  layout->addRow(tr("Base model"), baseRow);
  auto* motionRow = new QWidget(form);
  motion_ = pathField(tr("AnimateDiff motion module"), true, motionRow);
  layout->addRow(tr("Motion module"), motionRow);
  auto* customRow = new QWidget(form);
  custom_ = pathField(tr("optional: a DreamBooth / fine-tuned SD 1.5 injected into the base"), true, customRow);
  layout->addRow(tr("Customized model"), customRow);
  auto* motionAdapterRow = new QWidget(form);
  motionAdapter_ =
      pathField(tr("optional: a trained Motion Adapter (enables the motion slider)"), false, motionAdapterRow);
  layout->addRow(tr("Motion Adapter"), motionAdapterRow);
  auto* spatialRow = new QWidget(form);
  spatialAdapters_ = pathField(tr("optional: Spatial Adapters trained for the customized model"), false, spatialRow);
  layout->addRow(tr("Spatial Adapters"), spatialRow);

  prompt_ = new QPlainTextEdit(form);
  prompt_->setPlaceholderText(tr("a corgi running on the beach, best quality"));
  prompt_->setMaximumHeight(70);
  layout->addRow(tr("Prompt"), prompt_);
  negative_ = new QLineEdit(form);
  negative_->setPlaceholderText(tr("what to avoid (optional)"));
  layout->addRow(tr("Negative prompt"), negative_);

  // Ranges, steps, defaults and tooltips come from the settings table, as the CLI's do.
  using settings::Command;
  frames_ = new QSpinBox(form);
  bindSetting(frames_, Command::Generate, "frames");
  layout->addRow(tr("Frames"), frames_);
  width_ = new QSpinBox(form);
  bindSetting(width_, Command::Generate, "width");
  height_ = new QSpinBox(form);
  bindSetting(height_, Command::Generate, "height");
  auto* size = new QWidget(form);
  auto* sizeLayout = new QHBoxLayout(size);
  sizeLayout->setContentsMargins(0, 0, 0, 0);
  sizeLayout->addWidget(width_, 1);
  sizeLayout->addWidget(new QLabel(QStringLiteral("×"), size));
  sizeLayout->addWidget(height_, 1);
  layout->addRow(tr("Size"), size);
  steps_ = new QSpinBox(form);
  bindSetting(steps_, Command::Generate, "steps");
  layout->addRow(tr("Steps"), steps_);
  cfg_ = new QDoubleSpinBox(form);
  bindSetting(cfg_, Command::Generate, "cfg");
  layout->addRow(tr("Guidance (CFG)"), cfg_);
  sampler_ = new QComboBox(form);
  bindSetting(sampler_, Command::Generate, "scheduler");
  layout->addRow(tr("Sampler"), sampler_);
  seed_ = new QLineEdit(form);
  seed_->setObjectName("seed");
  seed_->setPlaceholderText(tr("random"));
  seed_->setValidator(new QRegularExpressionValidator(QRegularExpression("[0-9]{0,19}"), seed_));
  layout->addRow(tr("Seed"), seed_);
  fps_ = new QDoubleSpinBox(form);
  bindSetting(fps_, Command::Generate, "fps");
  layout->addRow(tr("Frames per second"), fps_);

  // The slider spans the useful -2..2 in hundredths; the box beside it takes the whole range.
  motionScale_ = new QSlider(Qt::Horizontal, form);
  motionScale_->setRange(-200, 200);
  motionScaleBox_ = new QDoubleSpinBox(form);
  bindSetting(motionScaleBox_, Command::Generate, "motion-scale");
  motionScale_->setToolTip(motionScaleBox_->toolTip());
  motionScale_->setValue(static_cast<int>(std::lround(motionScaleBox_->value() * 100)));
  auto* scaleRow = new QWidget(form);
  auto* scaleLayout = new QHBoxLayout(scaleRow);
  scaleLayout->setContentsMargins(0, 0, 0, 0);
  scaleLayout->addWidget(motionScale_, 1);
  scaleLayout->addWidget(motionScaleBox_);
  connect(motionScale_, &QSlider::valueChanged, this, [this](int v) {
    if (std::lround(motionScaleBox_->value() * 100) != v) motionScaleBox_->setValue(v / 100.0);
  });
  connect(motionScaleBox_, &QDoubleSpinBox::valueChanged, this, [this](double v) {
    const QSignalBlocker block(motionScale_);
    motionScale_->setValue(static_cast<int>(std::lround(std::clamp(v, -2.0, 2.0) * 100)));
  });
  layout->addRow(tr("Motion scale"), scaleRow);
  spatialStrength_ = new QDoubleSpinBox(form);
  bindSetting(spatialStrength_, Command::Generate, "spatial-strength");
  layout->addRow(tr("Spatial strength"), spatialStrength_);

  layout->addRow(buildControlSection(form));

  return form;
}

QWidget* GeneratePanel::buildActions(QWidget* parent) {
  auto* actions = new QWidget(parent);
  auto* layout = new QVBoxLayout(actions);
  generate_ = new QPushButton(tr("Generate"), actions);
  cancel_ = new QPushButton(tr("Cancel"), actions);
  export_ = new QPushButton(tr("Export..."), actions);
  cancel_->setEnabled(false);
  export_->setEnabled(false);
  auto* buttons = new QWidget(actions);
  auto* buttonLayout = new QHBoxLayout(buttons);
  buttonLayout->setContentsMargins(0, 0, 0, 0);
  buttonLayout->addWidget(generate_);
  buttonLayout->addWidget(cancel_);
  buttonLayout->addWidget(export_);
  layout->addWidget(buttons);
  progress_ = new QProgressBar(actions);
  progress_->setValue(0);
  layout->addWidget(progress_);
  status_ = new QLabel(tr("Choose a base model and a motion module, write a prompt, press Generate."), actions);
  status_->setWordWrap(true);
  layout->addWidget(status_);

  connect(generate_, &QPushButton::clicked, this, &GeneratePanel::generate);
  connect(cancel_, &QPushButton::clicked, this, &GeneratePanel::cancel);
  connect(export_, &QPushButton::clicked, this, [this] {
    const QString path = QFileDialog::getSaveFileName(this, tr("Export video"), "video.mp4",
                                                      tr("MP4 video (*.mp4);;GIF animation (*.gif)"));
    if (!path.isEmpty()) exportTo(path);
  });
  return actions;
}

QWidget* GeneratePanel::buildPlayer(QWidget* parent) {
  auto* player = new QWidget(parent);
  auto* layout = new QVBoxLayout(player);
  layout->setContentsMargins(0, 0, 0, 0);
  auto* viewRow = new QHBoxLayout();
  playerView_ = new QComboBox(player);
  playerView_->addItem(tr("Output"));
  playerView_->addItem(tr("Source | condition | output"));
  playerView_->setToolTip(tr("What the player shows when a ControlNet drives the video"));
  viewRow->addWidget(new QLabel(tr("Show"), player));
  viewRow->addWidget(playerView_);
  viewRow->addStretch(1);
  layout->addLayout(viewRow);
  layout->addWidget(preview_, 1);
  connect(playerView_, &QComboBox::currentIndexChanged, this, [this] { showResult(); });
  return player;
}

QWidget* GeneratePanel::buildControlSection(QWidget* parent) {
  using settings::Command;
  control_ = new QGroupBox(tr("ControlNet: a driving video steers each frame"), parent);
  control_->setObjectName("controlnet");
  control_->setCheckable(true);
  control_->setChecked(false);
  auto* layout = new QFormLayout(control_);
  auto* netRow = new QWidget(control_);
  controlNet_ = pathField(tr("a ControlNet: diffusers folder or control_*.safetensors/.pth"), true, netRow);
  layout->addRow(tr("ControlNet"), netRow);
  auto* videoRow = new QWidget(control_);
  controlVideo_ = pathField(tr("the driving video, or a folder of PNG frames"), true, videoRow,
                            tr("Videos (*.mp4 *.mkv *.webm *.gif *.mov);;All files (*)"));
  layout->addRow(tr("Driving video"), videoRow);
  // Ranges, defaults and tooltips from the settings table, as the CLI's --control-* options.
  controlType_ = new QComboBox(control_);
  bindSetting(controlType_, Command::Generate, "control-type");
  layout->addRow(tr("Type"), controlType_);
  controlLow_ = new QDoubleSpinBox(control_);
  bindSetting(controlLow_, Command::Generate, "control-low");
  controlHigh_ = new QDoubleSpinBox(control_);
  bindSetting(controlHigh_, Command::Generate, "control-high");
  auto* thresholds = new QWidget(control_);
  auto* thresholdLayout = new QHBoxLayout(thresholds);
  thresholdLayout->setContentsMargins(0, 0, 0, 0);
  thresholdLayout->addWidget(controlLow_, 1);
  thresholdLayout->addWidget(new QLabel(tr("to"), thresholds));
  thresholdLayout->addWidget(controlHigh_, 1);
  layout->addRow(tr("Canny thresholds"), thresholds);
  connect(controlType_, &QComboBox::currentTextChanged, this,
          [thresholds](const QString& type) { thresholds->setEnabled(type == QLatin1String("canny")); });
  controlScale_ = new QDoubleSpinBox(control_);
  bindSetting(controlScale_, Command::Generate, "control-scale");
  layout->addRow(tr("Strength"), controlScale_);
  controlStart_ = new QDoubleSpinBox(control_);
  bindSetting(controlStart_, Command::Generate, "control-start");
  controlEnd_ = new QDoubleSpinBox(control_);
  bindSetting(controlEnd_, Command::Generate, "control-end");
  auto* window = new QWidget(control_);
  auto* windowLayout = new QHBoxLayout(window);
  windowLayout->setContentsMargins(0, 0, 0, 0);
  windowLayout->addWidget(controlStart_, 1);
  windowLayout->addWidget(new QLabel(tr("to"), window));
  windowLayout->addWidget(controlEnd_, 1);
  layout->addRow(tr("Acts from/to (of the steps)"), window);
  controlStride_ = new QSpinBox(control_);
  bindSetting(controlStride_, Command::Generate, "control-stride");
  controlLoop_ = new QCheckBox(tr("loop a short video"), control_);
  controlLoop_->setToolTip(QString::fromStdString(settings::setting(Command::Generate, "control-loop").help));
  auto* strideRow = new QWidget(control_);
  auto* strideLayout = new QHBoxLayout(strideRow);
  strideLayout->setContentsMargins(0, 0, 0, 0);
  strideLayout->addWidget(controlStride_, 1);
  strideLayout->addWidget(controlLoop_);
  layout->addRow(tr("Every N-th frame"), strideRow);
  previewControl_ = new QPushButton(tr("Preview condition"), control_);
  previewControl_->setObjectName("previewControl");
  previewControl_->setToolTip(tr("Read the driving video and show the frames the ControlNet will see"));
  layout->addRow(previewControl_);
  connect(previewControl_, &QPushButton::clicked, this, &GeneratePanel::previewControl);
  connect(control_, &QGroupBox::toggled, this,
          [this](bool on) { previewControl_->setEnabled(on && generate_->isEnabled()); });
  return control_;
}

void GeneratePanel::setControlNet(const QString& controlNet, const QString& drivingVideo) {
  controlNet_->setText(controlNet);
  controlVideo_->setText(drivingVideo);
  control_->setChecked(true);
}

std::vector<control::ControlNetUnit> GeneratePanel::controlNets() const {
  if (!control_->isChecked()) return {};
  control::ControlNetUnit unit;
  unit.controlNet = controlNet_->text().trimmed().toStdString();
  unit.video = controlVideo_->text().trimmed().toStdString();
  unit.preprocessor.type = control::parseControlType(controlType_->currentText().toStdString());
  unit.preprocessor.low = controlLow_->value();
  unit.preprocessor.high = controlHigh_->value();
  unit.scale = controlScale_->value();
  unit.start = controlStart_->value();
  unit.end = controlEnd_->value();
  unit.stride = controlStride_->value();
  unit.loop = controlLoop_->isChecked();
  return {unit};
}

void GeneratePanel::setPlayerView(PlayerView view) {
  playerView_->setCurrentIndex(view == PlayerView::SideBySide ? 1 : 0);
}

void GeneratePanel::showResult() {
  const bool sideBySide = playerView_->currentIndex() == 1 && !controlSource_.frames.empty();
  if (!sideBySide) {
    preview_->setClip(clip_);
    return;
  }
  std::vector<video::VideoClip> clips{controlSource_, controlCondition_};
  if (!clip_.frames.empty()) clips.push_back(clip_);
  preview_->setClip(figures::sideBySide(clips));
}

void GeneratePanel::previewControl() {
  std::vector<control::ControlNetUnit> units = controlNets();
  const pipelines::GenerationRequest request = this->request();
  try {
    if (units.empty()) throw ConfigError("turn the ControlNet section on and choose its files first");
    units.front().validate();
  } catch (const std::exception& e) {
    Q_EMIT failed(tr("Cannot preview the condition"), QString::fromStdString(e.what()));
    return;
  }
  auto result = std::make_shared<control::ConditionVideo>();
  const control::ControlNetUnit unit = units.front();
  setBusy(true);
  failTitle_ = tr("Cannot preview the condition");
  status_->setText(tr("Reading the driving video..."));
  runner_->start(
      tr("ControlNet preview"),
      [result, unit, request](pipelines::ModelCache&, jobs::JobContext& context) {
        *result = worker::runControlPreview(unit, request.frames, request.width, request.height, context);
      },
      [this, result] {
        controlSource_ = result->source;
        controlCondition_ = result->condition;
        clip_ = {};
        setPlayerView(PlayerView::SideBySide);
        showResult();
        setBusy(false);
        status_->setText(tr("The ControlNet will see these %1 frames (right) of the driving video (left).")
                             .arg(controlCondition_.frames.size()));
      });
}

void GeneratePanel::setBaseModel(const QString& path) { base_->setText(path); }
void GeneratePanel::setMotionModule(const QString& path) { motion_->setText(path); }
void GeneratePanel::setCustomModel(const QString& path) { custom_->setText(path); }
void GeneratePanel::setMotionAdapter(const QString& path) { motionAdapter_->setText(path); }
void GeneratePanel::setSpatialAdapters(const QString& path) { spatialAdapters_->setText(path); }
void GeneratePanel::setPrompt(const QString& prompt) { prompt_->setPlainText(prompt); }

void GeneratePanel::useToyWorld(const QString& base, const QString& motionModule) {
  base_->setText(base);
  motion_->setText(motionModule);
  custom_->clear();
  motionAdapter_->clear();
  spatialAdapters_->clear();
  prompt_->setPlainText(QStringLiteral("a red star bouncing on a gray background"));
  width_->setValue(64);
  height_->setValue(64);
  frames_->setValue(16);
  steps_->setValue(20);
  cfg_->setValue(5.0);
  status_->setText(
      tr("The toy world is selected (64x64 shapes that move): press Generate, or open your own "
         "SD 1.5 and AnimateDiff files."));
}

pipelines::ModelSet GeneratePanel::sources() const {
  pipelines::ModelSet s;
  s.base = base_->text().trimmed().toStdString();
  s.motionModule = motion_->text().trimmed().toStdString();
  s.custom = custom_->text().trimmed().toStdString();
  s.motionAdapter = motionAdapter_->text().trimmed().toStdString();
  s.spatialAdapters = spatialAdapters_->text().trimmed().toStdString();
  return s;
}

pipelines::GenerationRequest GeneratePanel::request() const {
  pipelines::GenerationRequest r;
  r.prompt = prompt_->toPlainText().toStdString();
  r.negativePrompt = negative_->text().toStdString();
  r.frames = frames_->value();
  r.width = width_->value();
  r.height = height_->value();
  r.steps = steps_->value();
  r.guidance = cfg_->value();
  r.fps = fps_->value();
  r.sampler = diffusion::parseSamplerName(sampler_->currentText().toStdString());
  r.motionScale = motionScaleBox_->value();
  r.spatialStrength = spatialStrength_->value();
  r.seed = seed_->text().isEmpty() ? QRandomGenerator::global()->generate64() : seed_->text().toULongLong();
  return r;
}

void GeneratePanel::setBusy(bool busy) {
  generate_->setEnabled(!busy);
  cancel_->setEnabled(busy);
  // An unchecked group disables its children; a busy panel takes no second job.
  previewControl_->setEnabled(!busy && control_->isChecked());
  export_->setEnabled(!busy && !clip_.frames.empty());
}

void GeneratePanel::generate() {
  const pipelines::ModelSet sources = this->sources();
  const pipelines::GenerationRequest request = this->request();
  if (sources.base.empty() || sources.motionModule.empty()) {
    Q_EMIT failed(tr("Cannot generate"), tr("Choose a base model and a motion module first."));
    return;
  }
  try {
    request.validate();  // at once, not after a model load
  } catch (const std::exception& e) {
    Q_EMIT failed(tr("Cannot generate"), QString::fromStdString(e.what()));
    return;
  }
  std::vector<control::ControlNetUnit> controlNets;
  try {
    controlNets = this->controlNets();
    for (const auto& unit : controlNets) unit.validate();
  } catch (const std::exception& e) {
    Q_EMIT failed(tr("Cannot generate"), QString::fromStdString(e.what()));
    return;
  }
  auto result = std::make_shared<worker::GeneratedVideos>();
  const worker::GenerateJob job{sources, "auto", request, controlNets};
  setBusy(true);
  failTitle_ = tr("Generation failed");
  status_->setText(tr("Loading models..."));
  runner_->start(
      tr("Generate: %1").arg(QString::fromStdString(request.prompt).left(40)),
      [result, job](pipelines::ModelCache& models, jobs::JobContext& context) {
        *result = worker::runGenerate(models, job, context);
      },
      [this, result] {
        clip_ = result->clips.empty() ? video::VideoClip{} : result->clips.front();
        controlSource_ = result->control.empty() ? video::VideoClip{} : result->control.front().source;
        controlCondition_ = result->control.empty() ? video::VideoClip{} : result->control.front().condition;
        showResult();
        setBusy(false);
        status_->setText(tr("Done: seed %1 · denoising %2 · decoding %3")
                             .arg(result->seed)
                             .arg(formatDurationText(result->secondsDenoising))
                             .arg(formatDurationText(result->secondsDecoding)));
        Q_EMIT generated();
      });
}

void GeneratePanel::cancel() { runner_->cancel(); }

void GeneratePanel::exportTo(const QString& path) {
  if (clip_.frames.empty()) return;
  auto clip = std::make_shared<video::VideoClip>(clip_);
  const std::string target = path.toStdString();
  setBusy(true);
  failTitle_ = tr("Cannot export %1").arg(path);
  runner_->startFileWork(
      [clip, target](jobs::JobContext& job) {
        video::WriteOptions options;
        options.cancel = job.cancelToken()->flag();
        job.beginStage("writing", static_cast<int64_t>(clip->frames.size()));
        options.onProgress = [&job](int done, int) { job.progress(done); };
        video::writeVideo(target, *clip, options);
      },
      [this, path] {
        setBusy(false);
        status_->setText(tr("Exported %1").arg(path));
        Q_EMIT exported(path);
      });
}

}  // namespace sm::ui
