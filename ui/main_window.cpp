#include "ui/main_window.h"

#include <QApplication>
#include <QFileDialog>
#include <QLabel>
#include <QMenuBar>
#include <QMessageBox>
#include <QStatusBar>
#include <QTabWidget>
#include <QVBoxLayout>

#include "core/engine/runtime.h"
#include "ui/panels/generate_panel.h"
#include "ui/panels/model_panel.h"
#include "ui/preferences_dialog.h"
#include "ui/widgets/loss_plot.h"

namespace sm::ui {

MainWindow::MainWindow(QWidget* parent)
    : QMainWindow(parent),
      models_(new ModelPanel(this)),
      generate_(new GeneratePanel(this)),
      lossPlot_(new LossPlot(this)) {
  setWindowTitle(tr("Still-Moving Studio"));
  auto* tabs = new QTabWidget(this);
  tabs->addTab(models_, tr("Models"));
  tabs->addTab(generate_, tr("Generate"));
  auto* training = new QWidget(this);
  auto* trainingLayout = new QVBoxLayout(training);
  trainingLayout->addWidget(new QLabel(tr("Motion and Spatial Adapter training: loss per step."), training));
  trainingLayout->addWidget(lossPlot_);
  tabs->addTab(training, tr("Training"));
  setCentralWidget(tabs);
  buildMenus();
  connect(models_, &ModelPanel::modelFailed, this, &MainWindow::showError);
  // An opened base model or motion module is what the artist will generate with.
  connect(models_, &ModelPanel::modelRecognized, this, [this](const QString& path, const QString& kind) {
    if (kind == "sd15-checkpoint" || kind == "diffusers-pipeline") generate_->setBaseModel(path);
    if (kind == "motion-module") generate_->setMotionModule(path);
  });
  connect(generate_, &GeneratePanel::failed, this,
          [this](const QString& title, const QString& message) { QMessageBox::critical(this, title, message); });
  updateStatus();
  resize(1100, 720);
}

void MainWindow::buildMenus() {
  QMenu* file = menuBar()->addMenu(tr("&File"));
  file->addAction(tr("Open Model &File..."), QKeySequence::Open, this, &MainWindow::openModelFile);
  file->addAction(tr("Open Model F&older..."), this, &MainWindow::openModelFolder);
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
                          "(Still-Moving, arXiv 2407.08674).")
                           .arg(QApplication::applicationVersion()));
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
