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
#include <QSlider>
#include <QSpinBox>
#include <QSplitter>
#include <QToolButton>
#include <QVBoxLayout>

#include "core/pipelines/text_to_video_session.h"
#include "core/util/duration.h"
#include "core/video/video_writer.h"
#include "ui/widgets/video_preview.h"
#include "ui/workers/job_runner.h"

namespace sm::ui {
namespace {

QString formatSeconds(double seconds) { return QString::fromStdString(formatDuration(seconds)); }

}  // namespace

GeneratePanel::GeneratePanel(QWidget* parent)
    : QWidget(parent),
      session_(std::make_shared<pipelines::TextToVideoSession>()),
      runner_(new JobRunner(this)),
      preview_(new VideoPreview(this)) {
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
            if (done > 0) text += tr(" · %1 per step").arg(formatSeconds(perUnit));
            if (done > 0 && done < total) text += tr(" · %1 left").arg(formatSeconds(eta));
            status_->setText(text);
          });
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

  auto spin = [form](int min, int max, int value, int step) {
    auto* box = new QSpinBox(form);
    box->setRange(min, max);
    box->setSingleStep(step);
    box->setValue(value);
    return box;
  };
  frames_ = spin(1, 1024, 16, 1);
  frames_->setObjectName("frames");
  frames_->setToolTip(tr("Beyond the motion module's 16-frame context, overlapping windows are blended."));
  layout->addRow(tr("Frames"), frames_);
  width_ = spin(64, 2048, 512, 8);
  width_->setObjectName("width");
  height_ = spin(64, 2048, 512, 8);
  height_->setObjectName("height");
  auto* size = new QWidget(form);
  auto* sizeLayout = new QHBoxLayout(size);
  sizeLayout->setContentsMargins(0, 0, 0, 0);
  sizeLayout->addWidget(width_, 1);
  sizeLayout->addWidget(new QLabel(QStringLiteral("×"), size));
  sizeLayout->addWidget(height_, 1);
  layout->addRow(tr("Size"), size);
  steps_ = spin(1, 1000, 25, 1);
  steps_->setObjectName("steps");
  layout->addRow(tr("Steps"), steps_);
  cfg_ = new QDoubleSpinBox(form);
  cfg_->setRange(0, 100);
  cfg_->setSingleStep(0.5);
  cfg_->setValue(7.5);
  layout->addRow(tr("Guidance (CFG)"), cfg_);
  sampler_ = new QComboBox(form);
  for (auto kind : {diffusion::SamplerKind::DDIM, diffusion::SamplerKind::Euler, diffusion::SamplerKind::EulerAncestral,
                    diffusion::SamplerKind::DPMSolverPlusPlus2M})
    sampler_->addItem(QString::fromStdString(diffusion::samplerName(kind)), static_cast<int>(kind));
  layout->addRow(tr("Sampler"), sampler_);
  seed_ = new QLineEdit(form);
  seed_->setPlaceholderText(tr("random"));
  seed_->setValidator(new QRegularExpressionValidator(QRegularExpression("[0-9]{0,19}"), seed_));
  layout->addRow(tr("Seed"), seed_);
  fps_ = new QDoubleSpinBox(form);
  fps_->setRange(1, 60);
  fps_->setValue(8);
  layout->addRow(tr("Frames per second"), fps_);

  motionScale_ = new QSlider(Qt::Horizontal, form);
  motionScale_->setRange(-200, 200);  // hundredths: -2.00 .. 2.00
  motionScale_->setValue(0);
  motionScale_->setToolTip(
      tr("The Motion Adapter's scale: 0 is the original motion, 1 static, below 0 more motion. "
         "It acts once a Motion Adapter is loaded."));
  motionScaleValue_ = new QLabel("0.00", form);
  auto* scaleRow = new QWidget(form);
  auto* scaleLayout = new QHBoxLayout(scaleRow);
  scaleLayout->setContentsMargins(0, 0, 0, 0);
  scaleLayout->addWidget(motionScale_, 1);
  scaleLayout->addWidget(motionScaleValue_);
  connect(motionScale_, &QSlider::valueChanged, this,
          [this](int v) { motionScaleValue_->setText(QString::number(v / 100.0, 'f', 2)); });
  layout->addRow(tr("Motion scale"), scaleRow);

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

pipelines::PipelineSources GeneratePanel::sources() const {
  pipelines::PipelineSources s;
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
  r.sampler = static_cast<diffusion::SamplerKind>(sampler_->currentData().toInt());
  r.motionScale = motionScale_->value() / 100.0;
  r.seed = seed_->text().isEmpty() ? QRandomGenerator::global()->generate64() : seed_->text().toULongLong();
  return r;
}

void GeneratePanel::setBusy(bool busy) {
  generate_->setEnabled(!busy);
  cancel_->setEnabled(busy);
  export_->setEnabled(!busy && !clip_.frames.empty());
}

void GeneratePanel::generate() {
  const pipelines::PipelineSources sources = this->sources();
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
  auto session = session_;
  auto result = std::make_shared<pipelines::GeneratedVideos>();
  setBusy(true);
  failTitle_ = tr("Generation failed");
  status_->setText(tr("Loading models..."));
  runner_->start(
      [session, result, sources, request](jobs::JobContext& job) {
        session->load(sources, "auto", "auto", job);
        *result = session->generate(request, job);
      },
      [this, result] {
        clip_ = result->clips.empty() ? video::VideoClip{} : result->clips.front();
        preview_->setClip(clip_);
        setBusy(false);
        status_->setText(tr("Done: seed %1 · denoising %2 · decoding %3")
                             .arg(result->seed)
                             .arg(formatSeconds(result->secondsDenoising))
                             .arg(formatSeconds(result->secondsDecoding)));
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
  runner_->start(
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
