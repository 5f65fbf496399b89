#include "ui/main_window.h"

#include <QApplication>
#include <QDockWidget>
#include <QFileDialog>
#include <QMenuBar>
#include <QMessageBox>
#include <QStatusBar>
#include <QTabWidget>
#include <QToolButton>

#include "core/engine/runtime.h"
#include "core/engine/system_report.h"
#include "core/toyworld/toy_model_files.h"
#include "ui/panels/generate_panel.h"
#include "ui/panels/model_panel.h"
#include "ui/panels/queue_panel.h"
#include "ui/panels/training_panel.h"
#include "ui/preferences_dialog.h"
#include "ui/workers/job_queue.h"

namespace sm::ui {

MainWindow::MainWindow(QWidget* parent)
    : QMainWindow(parent),
      models_(new ModelPanel(this)),
      generate_(new GeneratePanel(this)),
      training_(new TrainingPanel(this)),
      queue_(new QueuePanel(this)) {
  setWindowTitle(tr("Still-Moving Studio"));
  auto* tabs = new QTabWidget(this);
  tabs->addTab(models_, tr("Models"));
  tabs->addTab(generate_, tr("Generate"));
  tabs->addTab(training_, tr("Training"));
  setCentralWidget(tabs);
  // The compute worker's queue, below every tab: what runs and what waits.
  auto* queueDock = new QDockWidget(tr("Queue"), this);
  queueDock->setObjectName("queue");
  queueDock->setWidget(queue_);
  addDockWidget(Qt::BottomDockWidgetArea, queueDock);
  // Hidden while nothing waits, so that the tabs keep their height at 1024x640; the
  // status bar always says what the worker does, and a click shows the queue.
  queueDock->hide();
  auto* queueButton = new QToolButton(this);
  queueButton->setObjectName("queueButton");
  queueButton->setAutoRaise(true);
  queueButton->setCheckable(true);
  queueButton->setToolTip(tr("Show the compute worker's queue"));
  statusBar()->addPermanentWidget(queueButton);
  connect(queueButton, &QToolButton::toggled, queueDock, &QDockWidget::setVisible);
  connect(queueDock, &QDockWidget::visibilityChanged, queueButton, &QToolButton::setChecked);
  auto showQueueState = [queueButton, queueDock] {
    int running = 0, waiting = 0;
    for (const worker::JobInfo& job : JobQueue::instance().jobs())
      (job.state == worker::JobState::Running ? running : waiting) += 1;
    queueButton->setText(running + waiting == 0 ? tr("Queue: idle")
                                                : tr("Queue: %1 running, %2 waiting").arg(running).arg(waiting));
    // A job waits behind another: say why it has not started. (A job alone is
    // "waiting" only for the instant before the worker takes it.)
    if (running > 0 && waiting > 0) queueDock->show();
  };
  connect(&JobQueue::instance(), &JobQueue::changed, this, showQueueState);
  showQueueState();
  buildMenus();
  connect(models_, &ModelPanel::modelFailed, this, &MainWindow::showError);
  // An opened base model or motion module is what the artist will generate and train with.
  connect(models_, &ModelPanel::modelRecognized, this, [this](const QString& path, const QString& kind) {
    if (kind == "sd15-checkpoint" || kind == "diffusers-pipeline") {
      generate_->setBaseModel(path);
      training_->setBaseModel(path);
    }
    if (kind == "motion-module") {
      generate_->setMotionModule(path);
      training_->setMotionModule(path);
    }
    if (kind == "lora") training_->setLoRA(path);
  });
  // Models typed into the Generate tab are the Training tab's defaults.
  connect(tabs, &QTabWidget::currentChanged, this, [this, tabs](int index) {
    if (tabs->widget(index) == training_) training_->fillEmptyModels(generate_->sources());
  });
  auto showFailure = [this](const QString& title, const QString& message) {
    QMessageBox::critical(this, title, message);
  };
  connect(generate_, &GeneratePanel::failed, this, showFailure);
  connect(training_, &TrainingPanel::failed, this, showFailure);
  // The trained adapter (and the models it belongs to) go to the Generate tab.
  connect(training_, &TrainingPanel::useInGenerateRequested, this, [this, tabs] {
    const pipelines::ModelSet& s = training_->trainedSources();
    auto set = [this](void (GeneratePanel::*setter)(const QString&), const std::string& path) {
      if (!path.empty()) (generate_->*setter)(QString::fromStdString(path));
    };
    set(&GeneratePanel::setBaseModel, s.base);
    set(&GeneratePanel::setMotionModule, s.motionModule);
    set(&GeneratePanel::setCustomModel, s.custom);
    set(&GeneratePanel::setMotionAdapter, s.motionAdapter);
    set(&GeneratePanel::setSpatialAdapters, s.spatialAdapters);
    tabs->setCurrentWidget(generate_);
  });
  // No models configured yet: the toy world, on the Generate tab, so the first click on
  // Generate makes a real video.
  if (const auto toy = toyworld::shippedToyWorld()) {
    generate_->useToyWorld(QString::fromStdString(toy->base().string()),
                           QString::fromStdString(toy->motionModule().string()));
    tabs->setCurrentWidget(generate_);
  }
  updateStatus();
  resize(1100, 720);
}

void MainWindow::buildMenus() {
  QMenu* file = menuBar()->addMenu(tr("&File"));
  file->addAction(tr("Open Model &File..."), QKeySequence::Open, this, &MainWindow::openModelFile);
  file->addAction(tr("Open Model F&older..."), this, &MainWindow::openModelFolder);
  file->addAction(tr("Use the &Toy World"), this, [this] {
    const auto toy = toyworld::shippedToyWorld();
    if (!toy) {
      showError(tr("No toy world"), tr("The toy world's models were not found (resources/toyworld, or $SM_TOYWORLD)."));
      return;
    }
    generate_->useToyWorld(QString::fromStdString(toy->base().string()),
                           QString::fromStdString(toy->motionModule().string()));
  });
  file->addSeparator();
  file->addAction(tr("&Quit"), QKeySequence::Quit, qApp, &QApplication::quit);
  QMenu* edit = menuBar()->addMenu(tr("&Edit"));
  edit->addAction(tr("&Preferences..."), this, [this] {
    PreferencesDialog dialog(this);
    if (dialog.exec() == QDialog::Accepted) updateStatus();
  });
  QMenu* help = menuBar()->addMenu(tr("&Help"));
  help->addAction(tr("&About"), this, [this] {
    QMessageBox::about(this, tr("About Still-Moving Studio"),
                       tr("Still-Moving Studio %1\nCustomize text-to-video models without customized video data "
                          "(Still-Moving, arXiv 2407.08674).\n\n%2")
                           .arg(QApplication::applicationVersion(), QString::fromStdString(engine::describeSystem())));
  });
}

void MainWindow::openModelFile() {
  const QString path =
      QFileDialog::getOpenFileName(this, tr("Open model file"), QString(),
                                   tr("Model weights (*.safetensors *.ckpt *.pt *.pth *.bin);;All files (*)"));
  if (!path.isEmpty()) models_->openModel(path);
}

void MainWindow::openModelFolder() {
  const QString path = QFileDialog::getExistingDirectory(this, tr("Open diffusers model folder"));
  if (!path.isEmpty()) models_->openModel(path);
}

void MainWindow::showError(const QString& path, const QString& message) {
  QMessageBox::critical(this, tr("Cannot open %1").arg(path), message);
}

void MainWindow::updateStatus() {
  const bool cuda = engine::cudaUsable();
  statusBar()->showMessage(tr("LibTorch %1 · %2 CPU threads · device: %3")
                               .arg(QString::fromStdString(engine::libtorchVersion()))
                               .arg(engine::threadCount())
                               .arg(cuda ? tr("CUDA") : tr("CPU")));
}

}  // namespace sm::ui
