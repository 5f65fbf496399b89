#include "ui/panels/generate_panel.h"

#include <QComboBox>
#include <QDoubleSpinBox>
#include <QFileDialog>
#include <QFormLayout>
#include <QHBoxLayout>
#include <QLabel>
#include <QLineEdit>
#include <QPlainTextEdit>
#include <QProgressBar>
#include <QPushButton>
#include <QRandomGenerator>
#include <QRegularExpressionValidator>
#include <QSignalBlocker>
#include <QSlider>
#include <QSpinBox>
#include <QSplitter>
#include <QToolButton>
#include <QVBoxLayout>
#include <algorithm>
#include <cmath>

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
  splitter->addWidget(buildForm());
  splitter->addWidget(preview_);
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

QLineEdit* GeneratePanel::pathField(const QString& placeholder, bool folderToo, QWidget* row) {
  auto* edit = new QLineEdit(row);
  edit->setPlaceholderText(placeholder);
  auto* layout = new QHBoxLayout(row);
  layout->setContentsMargins(0, 0, 0, 0);
  layout->addWidget(edit, 1);
  auto* file = new QToolButton(row);
  file->setText(tr("File..."));
  layout->addWidget(file);
  connect(file, &QToolButton::clicked, this, [this, edit] {
    const QString path = QFileDialog::getOpenFileName(this, tr("Choose a model file"), edit->text(),
                                                      tr("Model weights (*.safetensors *.ckpt *.pt *.pth *.bin)"));
    if (!path.isEmpty()) edit->setText(path);
  });
  if (folderToo) {
    auto* folder = new QToolButton(row);
    folder->setText(tr("Folder..."));
    layout->addWidget(folder);
    connect(folder, &QToolButton::clicked, this, [this, edit] {
      const QString path = QFileDialog::getExistingDirectory(this, tr("Choose a diffusers folder"), edit->text());
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

  generate_ = new QPushButton(tr("Generate"), form);
  cancel_ = new QPushButton(tr("Cancel"), form);
  export_ = new QPushButton(tr("Export..."), form);
  cancel_->setEnabled(false);
  export_->setEnabled(false);
  auto* buttons = new QWidget(form);
  auto* buttonLayout = new QHBoxLayout(buttons);
  buttonLayout->setContentsMargins(0, 0, 0, 0);
  buttonLayout->addWidget(generate_);
  buttonLayout->addWidget(cancel_);
  buttonLayout->addWidget(export_);
  layout->addRow(buttons);
  progress_ = new QProgressBar(form);
  progress_->setValue(0);
  layout->addRow(progress_);
  status_ = new QLabel(tr("Choose a base model and a motion module, write a prompt, press Generate."), form);
  status_->setWordWrap(true);
  layout->addRow(status_);

  connect(generate_, &QPushButton::clicked, this, &GeneratePanel::generate);
  connect(cancel_, &QPushButton::clicked, this, &GeneratePanel::cancel);
  connect(export_, &QPushButton::clicked, this, [this] {
    const QString path = QFileDialog::getSaveFileName(this, tr("Export video"), "video.mp4",
                                                      tr("MP4 video (*.mp4);;GIF animation (*.gif)"));
    if (!path.isEmpty()) exportTo(path);
  });
  return form;
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
  auto result = std::make_shared<worker::GeneratedVideos>();
  const worker::GenerateJob job{sources, "auto", request};
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
        preview_->setClip(clip_);
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
