#include "ui/panels/training_panel.h"

#include <QAbstractSpinBox>
#include <QCheckBox>
#include <QComboBox>
#include <QDir>
#include <QDoubleSpinBox>
#include <QFileDialog>
#include <QFileInfo>
#include <QFormLayout>
#include <QGroupBox>
#include <QHBoxLayout>
#include <QLabel>
#include <QLineEdit>
#include <QMessageBox>
#include <QPixmap>
#include <QPlainTextEdit>
#include <QProgressBar>
#include <QPushButton>
#include <QScrollArea>
#include <QSpinBox>
#include <QSplitter>
#include <QToolButton>
#include <QVBoxLayout>
#include <memory>

#include "core/datasets/dataset_manifest.h"
#include "core/training/training_requests.h"
#include "core/worker/jobs.h"
#include "ui/widgets/duration_text.h"
#include "ui/widgets/loss_plot.h"
#include "ui/widgets/setting_widgets.h"
#include "ui/workers/job_runner.h"

namespace sm::ui {
namespace {

std::string text(const QLineEdit* edit) { return edit->text().trimmed().toStdString(); }

QWidget* row(QWidget* parent, std::initializer_list<QWidget*> widgets) {
  auto* box = new QWidget(parent);
  auto* layout = new QHBoxLayout(box);
  layout->setContentsMargins(0, 0, 0, 0);
  bool stretches = false;
  for (QWidget* w : widgets) {
    const bool field = qobject_cast<QAbstractSpinBox*>(w) != nullptr;
    stretches = stretches || field;
    layout->addWidget(w, field ? 1 : 0);
  }
  if (!stretches) layout->addStretch(1);
  return box;
}

}  // namespace

TrainingPanel::TrainingPanel(QWidget* parent)
    : QWidget(parent),
      datasetRunner_(new JobRunner(this)),
      trainRunner_(new JobRunner(this)),
      earlierRunQuestion_([this](const QString& files) { return askAboutEarlierRun(files); }) {
  auto* forms = new QWidget(this);
  auto* formsLayout = new QVBoxLayout(forms);
  formsLayout->addWidget(buildModels());
  formsLayout->addWidget(buildDataForm());
  formsLayout->addWidget(buildTrainForm());
  formsLayout->addStretch(1);
  auto* scroll = new QScrollArea(this);
  scroll->setWidget(forms);
  scroll->setWidgetResizable(true);
  scroll->setHorizontalScrollBarPolicy(Qt::ScrollBarAlwaysOff);
  scroll->setMinimumWidth(forms->sizeHint().width() + 24);

  auto* splitter = new QSplitter(Qt::Horizontal, this);
  splitter->addWidget(scroll);
  splitter->addWidget(buildViews());
  splitter->setStretchFactor(1, 1);
  auto* layout = new QVBoxLayout(this);
  layout->addWidget(splitter);

  connectDatasetRunner();
  connectTrainRunner();
  updateDatasetRows();
  updateModeRows();
}

TrainingPanel::~TrainingPanel() = default;

QLineEdit* TrainingPanel::pathField(const QString& placeholder, PathKind kind, QWidget* row) {
  auto* edit = new QLineEdit(row);
  edit->setPlaceholderText(placeholder);
  auto* layout = new QHBoxLayout(row);
  layout->setContentsMargins(0, 0, 0, 0);
  layout->addWidget(edit, 1);
  auto button = [this, row, layout](const QString& label, auto onClick) {
    auto* b = new QToolButton(row);
    b->setText(label);
    layout->addWidget(b);
    connect(b, &QToolButton::clicked, this, onClick);
  };
  if (kind == PathKind::Model || kind == PathKind::File)
    button(tr("File..."), [this, edit] {
      const QString path = QFileDialog::getOpenFileName(this, tr("Choose a file"), edit->text(),
                                                        tr("Model weights (*.safetensors *.ckpt *.pt *.pth *.bin)"));
      if (!path.isEmpty()) edit->setText(path);
    });
  if (kind == PathKind::SaveFile)
    button(tr("Save as..."), [this, edit] {
      const QString path = QFileDialog::getSaveFileName(this, tr("Save the adapter as"), edit->text(),
                                                        tr("Adapter weights (*.safetensors)"));
      if (!path.isEmpty()) edit->setText(path);
    });
  if (kind == PathKind::Model || kind == PathKind::Folder || kind == PathKind::Dataset)
    button(tr("Folder..."), [this, edit, kind] {
      const QString path = QFileDialog::getExistingDirectory(this, tr("Choose a folder"), edit->text());
      if (path.isEmpty()) return;
      edit->setText(path);
      if (kind == PathKind::Dataset) openDataset(path);
    });
  return edit;
}

QWidget* TrainingPanel::buildModels() {
  auto* group = new QGroupBox(tr("Models"), this);
  auto* layout = new QFormLayout(group);
  auto field = [this, group, layout](QLineEdit*& edit, const QString& label, const QString& placeholder) {
    auto* r = new QWidget(group);
    edit = pathField(placeholder, PathKind::Model, r);
    layout->addRow(label, r);
  };
  field(base_, tr("Base model"), tr("SD 1.5 checkpoint or diffusers folder"));
  field(motion_, tr("Motion module"), tr("AnimateDiff motion module"));
  field(custom_, tr("Customized model"), tr("DreamBooth / fine-tuned SD 1.5 (for Spatial Adapters)"));
  field(lora_, tr("LoRA"), tr("optional: a style or subject LoRA instead of (or on top of) it"));
  base_->setObjectName("base");
  motion_->setObjectName("motionModule");
  custom_->setObjectName("custom");
  lora_->setObjectName("lora");
  device_ = new QComboBox(group);
  device_->setObjectName("device");
  device_->addItem(tr("Automatic (CUDA when usable)"), "auto");
  device_->addItem(tr("CPU"), "cpu");
  device_->addItem(tr("CUDA"), "cuda");
  layout->addRow(tr("Device"), device_);
  return group;
}

QWidget* TrainingPanel::buildDataForm() {
  auto* group = new QGroupBox(tr("Training data"), this);
  dataLayout_ = new QFormLayout(group);
  datasetKind_ = new QComboBox(group);
  datasetKind_->setObjectName("datasetKind");
  datasetKind_->addItem(tr("Frozen videos (still frames)"));
  datasetKind_->addItem(tr("Prior videos (natural motion)"));
  datasetKind_->setToolTip(
      tr("Frozen videos train the Motion Adapter and, of the customized model's images, the "
         "Spatial Adapters. About 40 natural videos keep the motion prior (Spatial Adapters)."));
  dataLayout_->addRow(tr("Dataset"), datasetKind_);
  datasetSource_ = new QComboBox(group);
  datasetSource_->setObjectName("datasetSource");
  dataLayout_->addRow(tr("Source"), datasetSource_);
  prompts_ = new QPlainTextEdit(group);
  prompts_->setObjectName("datasetPrompts");
  prompts_->setPlaceholderText(tr("one prompt per line, with the token, e.g.\na photo of sks dog on a sofa"));
  prompts_->setMaximumHeight(64);
  dataLayout_->addRow(tr("Prompts"), prompts_);
  auto* inputRow = new QWidget(group);
  inputFolder_ = pathField(tr("a folder of your images or videos"), PathKind::Folder, inputRow);
  inputFolder_->setObjectName("datasetInput");
  dataLayout_->addRow(tr("Input folder"), inputRow);
  auto* outRow = new QWidget(group);
  datasetOut_ = pathField(tr("new folder for the dataset"), PathKind::Folder, outRow);
  datasetOut_->setObjectName("datasetOut");
  dataLayout_->addRow(tr("Output folder"), outRow);

  // Ranges, defaults and tooltips from the settings table (the dataset commands' rows).
  using settings::Command;
  auto spin = [group](const char* name, Command command, std::string_view key) {
    auto* box = new QSpinBox(group);
    box->setObjectName(name);
    bindSetting(box, command, key);
    return box;
  };
  datasetWidth_ = spin("datasetWidth", Command::DatasetFrozen, "width");
  datasetHeight_ = spin("datasetHeight", Command::DatasetFrozen, "height");
  datasetFrames_ = spin("datasetFrames", Command::DatasetFrozen, "frames");
  dataLayout_->addRow(tr("Size · frames"),
                      row(group, {datasetWidth_, new QLabel(QStringLiteral("×"), group), datasetHeight_,
                                  new QLabel(QStringLiteral("·"), group), datasetFrames_}));
  datasetCount_ = spin("datasetCount", Command::DatasetFrozen, "samples");
  datasetSteps_ = spin("datasetSteps", Command::DatasetFrozen, "steps");
  dataLayout_->addRow(tr("Samples per prompt"), row(group, {datasetCount_, datasetSteps_}));

  build_ = new QPushButton(tr("Build"), group);
  cancelBuild_ = new QPushButton(tr("Cancel"), group);
  openDataset_ = new QPushButton(tr("Open Dataset..."), group);
  cancelBuild_->setEnabled(false);
  dataLayout_->addRow(row(group, {build_, cancelBuild_, openDataset_}));

  connect(datasetKind_, &QComboBox::currentIndexChanged, this, [this] {
    // Samples per prompt (frozen) and videos wanted (prior) are two settings with their own ranges.
    bindSetting(datasetCount_, priorKind() ? settings::Command::DatasetPrior : settings::Command::DatasetFrozen,
                priorKind() ? "count" : "samples");
    updateDatasetRows();
  });
  connect(datasetSource_, &QComboBox::currentIndexChanged, this, [this] { updateDatasetRows(); });
  connect(build_, &QPushButton::clicked, this, &TrainingPanel::buildDataset);
  connect(cancelBuild_, &QPushButton::clicked, this, &TrainingPanel::cancelDataset);
  connect(openDataset_, &QPushButton::clicked, this, [this] {
    const QString folder = QFileDialog::getExistingDirectory(this, tr("Open a dataset folder"), datasetOut_->text());
    if (!folder.isEmpty()) openDataset(folder);
  });
  return group;
}

QWidget* TrainingPanel::buildTrainForm() {
  auto* group = new QGroupBox(tr("Train"), this);
  trainLayout_ = new QFormLayout(group);
  mode_ = new QComboBox(group);
  mode_->setObjectName("trainMode");
  mode_->addItem(tr("Motion Adapter (once per base model)"));
  mode_->addItem(tr("Spatial Adapters (per customized model)"));
  trainLayout_->addRow(tr("Adapter"), mode_);
  auto field = [this, group](QLineEdit*& edit, const char* name, const QString& label, const QString& placeholder,
                             PathKind kind) {
    auto* r = new QWidget(group);
    edit = pathField(placeholder, kind, r);
    edit->setObjectName(name);
    trainLayout_->addRow(label, r);
  };
  field(frozenDataset_, "trainFrozen", tr("Frozen videos"), tr("frozen-video dataset folder"), PathKind::Dataset);
  field(priorDataset_, "trainPrior", tr("Prior videos"), tr("optional: prior-video dataset folder"), PathKind::Dataset);
  field(motionAdapter_, "trainMotionAdapter", tr("Motion Adapter"),
        tr("the trained Motion Adapter (empty: the no-Motion-Adapter ablation)"), PathKind::File);
  field(output_, "trainOutput", tr("Output file"), QStringLiteral("motion_adapter.safetensors"), PathKind::SaveFile);

  auto spin = [group](const char* name, std::string_view key) {
    auto* box = new QSpinBox(group);
    box->setObjectName(name);
    bindSetting(box, settings::Command::TrainMotionAdapter, key);
    return box;
  };
  steps_ = spin("trainSteps", "steps");
  learningRate_ = new QDoubleSpinBox(group);
  learningRate_->setObjectName("trainLearningRate");
  bindSetting(learningRate_, settings::Command::TrainMotionAdapter, "lr");
  trainLayout_->addRow(tr("Steps · learning rate"), row(group, {steps_, learningRate_}));
  rank_ = spin("trainRank", "rank");
  checkpointEvery_ = spin("trainCheckpointEvery", "checkpoint-every");
  trainLayout_->addRow(tr("Rank · checkpoint every"), row(group, {rank_, checkpointEvery_}));
  resume_ = new QCheckBox(tr("Resume from the last checkpoint"), group);
  resume_->setObjectName("trainResume");
  trainLayout_->addRow(resume_);

  train_ = new QPushButton(tr("Train"), group);
  cancelTrain_ = new QPushButton(tr("Cancel"), group);
  useInGenerate_ = new QPushButton(tr("Use in Generate"), group);
  useInGenerate_->setObjectName("useInGenerate");
  useInGenerate_->setToolTip(tr("Put the trained adapter and its models into the Generate tab."));
  cancelTrain_->setEnabled(false);
  useInGenerate_->setEnabled(false);
  trainLayout_->addRow(row(group, {train_, cancelTrain_, useInGenerate_}));

  connect(mode_, &QComboBox::currentIndexChanged, this, [this] { updateModeRows(); });
  connect(train_, &QPushButton::clicked, this, &TrainingPanel::train);
  connect(cancelTrain_, &QPushButton::clicked, this, &TrainingPanel::cancelTraining);
  connect(useInGenerate_, &QPushButton::clicked, this, &TrainingPanel::useInGenerateRequested);
  return group;
}

QWidget* TrainingPanel::buildViews() {
  auto* views = new QSplitter(Qt::Vertical, this);
  auto* previewBox = new QGroupBox(tr("Training data preview"), views);
  auto* previewLayout = new QVBoxLayout(previewBox);
  previewCaption_ = new QLabel(tr("No dataset yet."), previewBox);
  previewCaption_->setWordWrap(true);
  previewLayout->addWidget(previewCaption_);
  preview_ = new QLabel(previewBox);
  preview_->setObjectName("datasetPreview");
  preview_->setAlignment(Qt::AlignLeft | Qt::AlignTop);
  auto* scroll = new QScrollArea(previewBox);
  scroll->setWidget(preview_);
  scroll->setWidgetResizable(true);
  previewLayout->addWidget(scroll, 1);
  datasetProgress_ = new QProgressBar(previewBox);
  datasetProgress_->setValue(0);
  previewLayout->addWidget(datasetProgress_);
  datasetStatus_ = new QLabel(tr("Build a dataset, or open one you built before."), previewBox);
  datasetStatus_->setObjectName("datasetStatus");
  datasetStatus_->setWordWrap(true);
  previewLayout->addWidget(datasetStatus_);
  auto* lossBox = new QGroupBox(tr("Loss"), views);
  auto* lossLayout = new QVBoxLayout(lossBox);
  lossPlot_ = new LossPlot(lossBox);
  lossLayout->addWidget(lossPlot_, 1);
  trainProgress_ = new QProgressBar(lossBox);
  trainProgress_->setValue(0);
  lossLayout->addWidget(trainProgress_);
  trainStatus_ = new QLabel(tr("Choose the models and a frozen-video dataset, press Train."), lossBox);
  trainStatus_->setWordWrap(true);
  trainStatus_->setTextInteractionFlags(Qt::TextSelectableByMouse);
  lossLayout->addWidget(trainStatus_);
  views->addWidget(previewBox);
  views->addWidget(lossBox);
  views->setStretchFactor(0, 3);
  views->setStretchFactor(1, 2);
  return views;
}

void TrainingPanel::connectDatasetRunner() {
  connect(datasetRunner_, &JobRunner::progress, this,
          [this](const QString& stage, qint64 done, qint64 total, double, double eta) {
            datasetProgress_->setRange(0, static_cast<int>(total));
            datasetProgress_->setValue(static_cast<int>(done));
            QString line = tr("%1 %2/%3").arg(stage).arg(done).arg(total);
            if (done > 0 && done < total) line += tr(" · %1 left").arg(formatDurationText(eta));
            datasetStatus_->setText(line);
          });
  connect(datasetRunner_, &JobRunner::queued, this,
          [this](int ahead) { datasetStatus_->setText(JobRunner::queuedMessage(ahead)); });
  connect(datasetRunner_, &JobRunner::logged, this, [this](const QString& message, bool warning) {
    if (warning) datasetStatus_->setText(tr("Warning: %1").arg(message));
  });
  connect(datasetRunner_, &JobRunner::failed, this, [this](const QString& message) {
    setDatasetBusy(false);
    datasetStatus_->setText(tr("Failed."));
    Q_EMIT failed(tr("Building the dataset failed"), message);
  });
  connect(datasetRunner_, &JobRunner::cancelled, this, [this] {
    setDatasetBusy(false);
    datasetStatus_->setText(tr("Cancelled: no dataset was written."));
  });
}

void TrainingPanel::connectTrainRunner() {
  connect(trainRunner_, &JobRunner::progress, this,
          [this](const QString& stage, qint64 done, qint64 total, double perUnit, double eta) {
            if (stage == "training") trainingStarted_ = true;
            trainProgress_->setRange(0, static_cast<int>(total));
            trainProgress_->setValue(static_cast<int>(done));
            QString line = tr("%1 %2/%3").arg(stage).arg(done).arg(total);
            if (done > 0 && perUnit > 0) line += tr(" · %1 per step").arg(formatDurationText(perUnit));
            if (done > 0 && done < total && eta > 0) line += tr(" · %1 left").arg(formatDurationText(eta));
            trainStatus_->setText(line);
          });
  connect(trainRunner_, &JobRunner::metric, this, [this](const QString& series, qint64 step, double value) {
    if (series != "loss") return;  // "loss/custom" and "loss/prior" are parts of it
    lossPlot_->addPoint(static_cast<int>(step), value);
    lastStep_ = static_cast<int>(step);
  });
  connect(trainRunner_, &JobRunner::queued, this,
          [this](int ahead) { trainStatus_->setText(JobRunner::queuedMessage(ahead)); });
  connect(trainRunner_, &JobRunner::logged, this, [this](const QString& message, bool warning) {
    if (warning) trainStatus_->setText(tr("Warning: %1").arg(message));
  });
  connect(trainRunner_, &JobRunner::failed, this, [this](const QString& message) {
    setTrainBusy(false);
    trainStatus_->setText(tr("Failed."));
    Q_EMIT failed(tr("Training failed"), message);
  });
  connect(trainRunner_, &JobRunner::cancelled, this, [this] {
    setTrainBusy(false);
    if (trainingStarted_) {
      trainStatus_->setText(tr("Cancelled at step %1: checkpoint saved; tick Resume to continue.").arg(lastStep_));
      Q_EMIT trainingCancelled(lastStep_);
    } else {
      trainStatus_->setText(tr("Cancelled before the first step: nothing was saved."));
    }
  });
}

void TrainingPanel::setBaseModel(const QString& path) { base_->setText(path); }
void TrainingPanel::setMotionModule(const QString& path) { motion_->setText(path); }
void TrainingPanel::setCustomModel(const QString& path) { custom_->setText(path); }
void TrainingPanel::setLoRA(const QString& path) { lora_->setText(path); }

void TrainingPanel::fillEmptyModels(const pipelines::ModelSet& sources) {
  auto fill = [](QLineEdit* edit, const std::string& path) {
    if (edit->text().trimmed().isEmpty() && !path.empty()) edit->setText(QString::fromStdString(path));
  };
  fill(base_, sources.base);
  fill(motion_, sources.motionModule);
  fill(custom_, sources.custom);
}

void TrainingPanel::setMode(Mode mode) { mode_->setCurrentIndex(mode == Mode::MotionAdapter ? 0 : 1); }
TrainingPanel::Mode TrainingPanel::mode() const {
  return mode_->currentIndex() == 0 ? Mode::MotionAdapter : Mode::SpatialAdapters;
}

bool TrainingPanel::priorKind() const { return datasetKind_->currentIndex() == 1; }

datasets::DatasetSource TrainingPanel::datasetSource() const {
  return static_cast<datasets::DatasetSource>(datasetSource_->currentData().toInt());
}

void TrainingPanel::updateDatasetRows() {
  using datasets::DatasetSource;
  // The sources each kind of dataset can be built from.
  if (datasetSource_->property("prior").toBool() != priorKind() || datasetSource_->count() == 0) {
    const QSignalBlocker block(datasetSource_);
    datasetSource_->clear();
    if (!priorKind()) {
      datasetSource_->addItem(tr("Images from the customized model"), static_cast<int>(DatasetSource::Model));
      datasetSource_->addItem(tr("Your images (folder)"), static_cast<int>(DatasetSource::Images));
      datasetSource_->addItem(tr("Frames of your videos (folder)"), static_cast<int>(DatasetSource::Videos));
      datasetSource_->addItem(tr("Frames of base-model videos"), static_cast<int>(DatasetSource::Generated));
    } else {
      datasetSource_->addItem(tr("Natural videos (folder)"), static_cast<int>(DatasetSource::Videos));
      datasetSource_->addItem(tr("Videos the base model generates"), static_cast<int>(DatasetSource::Generated));
    }
    datasetSource_->setProperty("prior", priorKind());
  }
  const DatasetSource source = datasetSource();
  const bool sampled = source == DatasetSource::Model || source == DatasetSource::Generated;
  // A folder source takes one caption (the first line) for files without a NAME.txt beside them.
  if (auto* label = qobject_cast<QLabel*>(dataLayout_->labelForField(prompts_)))
    label->setText(sampled ? tr("Prompts") : tr("Caption"));
  prompts_->setToolTip(sampled ? tr("One prompt per line; put the customization token in it.")
                               : tr("The caption of images or videos without a NAME.txt beside them."));
  dataLayout_->setRowVisible(inputFolder_->parentWidget(), !sampled);
  // One row: how many samples (per prompt, or videos) and the sampling steps, each where it applies.
  const bool counted = sampled || priorKind();
  datasetSteps_->setVisible(sampled);
  datasetCount_->setVisible(counted);
  dataLayout_->setRowVisible(datasetCount_->parentWidget(), counted);
  QString countLabel = priorKind() ? tr("Videos") : tr("Samples per prompt");
  if (sampled) countLabel = tr("%1 · steps").arg(countLabel);
  if (auto* label = qobject_cast<QLabel*>(dataLayout_->labelForField(datasetCount_->parentWidget())))
    label->setText(countLabel);
}

void TrainingPanel::updateModeRows() {
  const bool spatial = mode() == Mode::SpatialAdapters;
  trainLayout_->setRowVisible(priorDataset_->parentWidget(), spatial);
  trainLayout_->setRowVisible(motionAdapter_->parentWidget(), spatial);
  output_->setPlaceholderText(spatial ? QStringLiteral("spatial_adapters.safetensors")
                                      : QStringLiteral("motion_adapter.safetensors"));
  if (auto* label = qobject_cast<QLabel*>(trainLayout_->labelForField(frozenDataset_->parentWidget())))
    label->setText(spatial ? tr("Frozen videos (customized)") : tr("Frozen videos"));
}

pipelines::ModelSet TrainingPanel::modelSources() const {
  pipelines::ModelSet s;
  s.base = text(base_);
  s.motionModule = text(motion_);
  s.custom = text(custom_);
  if (!text(lora_).empty()) s.loras.emplace_back(text(lora_), 1.0f);
  return s;
}

void TrainingPanel::fillDatasetCommon(datasets::DatasetCommonSettings& s) const {
  s.out = text(datasetOut_);
  s.models = modelSources();
  s.frames = datasetFrames_->value();
  s.width = datasetWidth_->value();
  s.height = datasetHeight_->value();
  s.steps = datasetSteps_->value();
  s.device = device_->currentData().toString().toStdString();
  s.inputFolder = text(inputFolder_);
  const QStringList lines = prompts_->toPlainText().split('\n', Qt::SkipEmptyParts);
  for (const QString& line : lines)
    if (!line.trimmed().isEmpty()) s.prompts.push_back(line.trimmed().toStdString());
  const datasets::DatasetSource source = datasetSource();
  if (source == datasets::DatasetSource::Images || source == datasets::DatasetSource::Videos) {
    s.caption = s.prompts.empty() ? std::string() : s.prompts.front();
    s.prompts.clear();
  }
  // The form's customized model and LoRA are the training's; videos the base model
  // generates take the base alone (core refuses a customization there).
  if (source == datasets::DatasetSource::Generated) {
    s.models.custom.clear();
    s.models.loras.clear();
  }
}

datasets::FrozenDatasetSettings TrainingPanel::frozenDatasetSettings() const {
  datasets::FrozenDatasetSettings s;
  fillDatasetCommon(s);
  s.source = priorKind() ? datasets::DatasetSource::Model : datasetSource();
  s.samplesPerPrompt = datasetCount_->value();
  return s;
}

datasets::PriorDatasetSettings TrainingPanel::priorDatasetSettings() const {
  datasets::PriorDatasetSettings s;
  fillDatasetCommon(s);
  s.source = priorKind() ? datasetSource() : datasets::DatasetSource::Videos;
  s.count = datasetCount_->value();
  return s;
}

void TrainingPanel::fillTrainingCommon(training::TrainingSettings& s) const {
  s.model = modelSources();
  s.device = device_->currentData().toString().toStdString();
  s.output = text(output_);
  s.steps = steps_->value();
  s.learningRate = learningRate_->value();
  s.rank = rank_->value();
  s.checkpointEvery = checkpointEvery_->value();
  s.resume = resume_->isChecked();
}

training::MotionAdapterTrainingSettings TrainingPanel::motionAdapterSettings() const {
  training::MotionAdapterTrainingSettings s;
  fillTrainingCommon(s);
  // The Motion Adapter belongs to the base text-to-video model: nothing customized goes in.
  s.model.custom.clear();
  s.model.loras.clear();
  s.dataset = text(frozenDataset_);
  return s;
}

training::SpatialAdaptersTrainingSettings TrainingPanel::spatialAdaptersSettings() const {
  training::SpatialAdaptersTrainingSettings s;
  fillTrainingCommon(s);
  s.customDataset = text(frozenDataset_);
  s.priorDataset = text(priorDataset_);
  s.motionAdapter = text(motionAdapter_);
  s.priorRatio = training::defaultPriorRatio(!s.priorDataset.empty());
  return s;
}

QString TrainingPanel::trainingStatus() const { return trainStatus_->text(); }

void TrainingPanel::setDatasetBusy(bool busy) {
  build_->setEnabled(!busy);
  openDataset_->setEnabled(!busy);
  cancelBuild_->setEnabled(busy);
}

void TrainingPanel::setTrainBusy(bool busy) {
  train_->setEnabled(!busy);
  cancelTrain_->setEnabled(busy);
  useInGenerate_->setEnabled(!busy && !trained_.base.empty());
}

void TrainingPanel::buildDataset() {
  if (datasetRunner_->running()) return;
  const bool prior = priorKind();
  const auto frozen = std::make_shared<const datasets::FrozenDatasetSettings>(frozenDatasetSettings());
  const auto priorSettings = std::make_shared<const datasets::PriorDatasetSettings>(priorDatasetSettings());
  try {  // refused at once, before any model loads
    if (prior)
      priorSettings->validate();
    else
      frozen->validate();
  } catch (const std::exception& e) {
    Q_EMIT failed(tr("Cannot build the dataset"), QString::fromStdString(e.what()));
    return;
  }
  auto summary = std::make_shared<datasets::DatasetSummary>();
  setDatasetBusy(true);
  datasetProgress_->setValue(0);
  datasetStatus_->setText(tr("Loading models..."));
  datasetRunner_->start(
      prior ? tr("Prior dataset: %1").arg(QString::fromStdString(priorSettings->out))
            : tr("Frozen dataset: %1").arg(QString::fromStdString(frozen->out)),
      [prior, frozen, priorSettings, summary](pipelines::ModelCache& models, jobs::JobContext& job) {
        *summary = prior ? worker::runPriorDataset(models, *priorSettings, job)
                         : worker::runFrozenDataset(models, *frozen, job);
      },
      [this, summary] {
        setDatasetBusy(false);
        const QString folder = QString::fromStdString(summary->folder);
        QString line = tr("Built %1: %n sample(s)", nullptr, summary->samples).arg(folder);
        if (summary->skipped > 0) line += tr(", %n input(s) skipped (see the warnings)", nullptr, summary->skipped);
        datasetStatus_->setText(line);
        openDataset(folder);
        Q_EMIT datasetBuilt(folder);
      });
}

void TrainingPanel::cancelDataset() { datasetRunner_->cancel(); }

void TrainingPanel::openDataset(const QString& folder) {
  datasets::DatasetManifest manifest;
  try {
    manifest = datasets::readManifest(folder.toStdString());
  } catch (const std::exception& e) {
    Q_EMIT failed(tr("Cannot open the dataset %1").arg(folder), QString::fromStdString(e.what()));
    return;
  }
  // The dataset goes where the Train form expects its kind.
  if (manifest.kind == datasets::DatasetKind::Prior)
    priorDataset_->setText(folder);
  else
    frozenDataset_->setText(folder);
  showPreview(manifest.kind, folder, static_cast<int>(manifest.samples.size()));
}

void TrainingPanel::showPreview(const datasets::DatasetKind kind, const QString& folder, int samples) {
  const QString path = QDir(folder).filePath(QString::fromUtf8(datasets::kPreviewFile));
  const QPixmap pixmap(path);
  const QString what = kind == datasets::DatasetKind::Prior ? tr("Prior videos") : tr("Frozen videos");
  previewCaption_->setText(tr("%1 · %n sample(s) · %2", nullptr, samples).arg(what, folder));
  if (pixmap.isNull()) {
    previewPath_.clear();
    preview_->setPixmap(QPixmap());
    preview_->setText(tr("This dataset has no contact sheet (%1).").arg(path));
    return;
  }
  previewPath_ = path;
  preview_->setPixmap(pixmap);
}

void TrainingPanel::train() {
  if (trainRunner_->running()) return;
  const bool spatial = mode() == Mode::SpatialAdapters;
  auto motionForm = motionAdapterSettings();
  auto spatialForm = spatialAdaptersSettings();
  // No earlier run is lost without asking: resume it, replace it, or leave it.
  if (training::TrainingSettings& common = spatial ? static_cast<training::TrainingSettings&>(spatialForm) : motionForm;
      !common.resume) {
    const std::string earlier = training::earlierRunFiles(common);
    if (!earlier.empty()) {
      const EarlierRun answer = earlierRunQuestion_(QString::fromStdString(earlier));
      if (answer == EarlierRun::Cancel) return;
      motionForm.resume = spatialForm.resume = answer == EarlierRun::Resume;
      motionForm.overwrite = spatialForm.overwrite = answer == EarlierRun::Replace;
    }
  }
  const auto motion = std::make_shared<const training::MotionAdapterTrainingSettings>(std::move(motionForm));
  const auto spatialSettings =
      std::make_shared<const training::SpatialAdaptersTrainingSettings>(std::move(spatialForm));
  try {  // refused at once, before any model loads (core's rules: the output's form included)
    if (spatial)
      training::validate(*spatialSettings);
    else
      training::validate(*motion);
  } catch (const std::exception& e) {
    Q_EMIT failed(tr("Cannot train"), QString::fromStdString(e.what()));
    return;
  }
  const pipelines::ModelSet result =
      spatial ? training::generationModelsOf(*spatialSettings) : training::generationModelsOf(*motion);
  lossPlot_->clear();  // a resumed run replays its history first
  lastStep_ = 0;
  trainingStarted_ = false;
  setTrainBusy(true);
  useInGenerate_->setEnabled(false);
  trainProgress_->setValue(0);
  trainStatus_->setText(tr("Loading models..."));
  auto summary = std::make_shared<training::TrainingSummary>();
  trainRunner_->start(
      spatial ? tr("Train Spatial Adapters: %1").arg(QString::fromStdString(spatialSettings->output))
              : tr("Train Motion Adapter: %1").arg(QString::fromStdString(motion->output)),
      [spatial, motion, spatialSettings, summary](pipelines::ModelCache& models, jobs::JobContext& job) {
        *summary = spatial ? worker::runSpatialAdaptersTraining(models, *spatialSettings, job)
                           : worker::runMotionAdapterTraining(models, *motion, job);
      },
      [this, summary, result] {
        trained_ = result;
        setTrainBusy(false);
        QString line = tr("Wrote %1 after %n step(s), last loss %2", nullptr, summary->steps)
                           .arg(QString::fromStdString(summary->output))
                           .arg(summary->lastLoss, 0, 'g', 4);
        if (summary->resumedFrom > 0) line += tr(" (resumed at step %1)").arg(summary->resumedFrom);
        if (summary->secondsPerStep > 0) line += tr(" · %1 per step").arg(formatDurationText(summary->secondsPerStep));
        line += tr(". Checkpoint: %1").arg(QString::fromStdString(summary->checkpoint));
        trainStatus_->setText(line);
        Q_EMIT trained(QString::fromStdString(summary->output));
      });
}

void TrainingPanel::cancelTraining() { trainRunner_->cancel(); }

void TrainingPanel::setEarlierRunQuestion(std::function<EarlierRun(const QString& files)> question) {
  earlierRunQuestion_ = std::move(question);
}

TrainingPanel::EarlierRun TrainingPanel::askAboutEarlierRun(const QString& files) {
  QMessageBox box(QMessageBox::Question, tr("An earlier run is here"),
                  tr("An earlier training run left %1.").arg(files), QMessageBox::NoButton, this);
  box.setInformativeText(tr("Resume it (same settings; more steps are fine), or start afresh and replace it?"));
  QPushButton* resume = box.addButton(tr("Resume"), QMessageBox::AcceptRole);
  QPushButton* replace = box.addButton(tr("Start afresh"), QMessageBox::DestructiveRole);
  box.addButton(QMessageBox::Cancel);
  box.setDefaultButton(resume);
  box.exec();
  if (box.clickedButton() == resume) return EarlierRun::Resume;
  if (box.clickedButton() == replace) return EarlierRun::Replace;
  return EarlierRun::Cancel;
}

}  // namespace sm::ui
