#include "ui/panels/model_panel.h"

#include <QFileInfo>
#include <QHeaderView>
#include <QLabel>
#include <QLocale>
#include <QTreeWidget>
#include <QVBoxLayout>
#include <QtConcurrent/QtConcurrent>

#include "core/models/model_check.h"
#include "core/util/error.h"

namespace sm::ui {

ModelPanel::ModelPanel(QWidget* parent) : QWidget(parent), tree_(new QTreeWidget(this)), hint_(new QLabel(this)) {
  auto* layout = new QVBoxLayout(this);
  hint_->setText(
      tr("Open an SD 1.5 checkpoint, a diffusers folder, an AnimateDiff motion module, a ControlNet or a "
         "LoRA (File menu) to see what it holds."));
  hint_->setWordWrap(true);
  layout->addWidget(hint_);
  tree_->setColumnCount(2);
  tree_->setHeaderLabels({tr("Model"), tr("Value")});
  tree_->header()->setSectionResizeMode(0, QHeaderView::ResizeToContents);
  layout->addWidget(tree_);
}

int ModelPanel::modelCount() const { return tree_->topLevelItemCount(); }

void ModelPanel::openModel(const QString& path) {
  auto* watcher = new QFutureWatcher<Outcome>(this);
  connect(watcher, &QFutureWatcher<Outcome>::finished, this, [this, watcher] {
    show(watcher->result());
    watcher->deleteLater();
  });
  // Recognition reads headers only, but a slow disk must not freeze the window.
  watcher->setFuture(QtConcurrent::run([path] {
    Outcome outcome;
    outcome.path = path;
    try {
      outcome.info = models::inspectModel(path.toStdString());
      outcome.ok = true;
    } catch (const std::exception& e) {
      outcome.error = QString::fromStdString(e.what());
    }
    return outcome;
  }));
}

void ModelPanel::show(const Outcome& outcome) {
  if (!outcome.ok) {
    Q_EMIT modelFailed(outcome.path, outcome.error);
    return;
  }
  const io::ModelInfo& info = outcome.info;
  const QLocale locale;
  auto* top = new QTreeWidgetItem(tree_);
  top->setText(0, QFileInfo(outcome.path).fileName());
  top->setText(1, QString::fromStdString(std::string(io::modelKindName(info.kind)) + " (" + info.variant + ")"));
  top->setToolTip(0, outcome.path);
  auto row = [top](const QString& name, const QString& value) {
    auto* item = new QTreeWidgetItem(top);
    item->setText(0, name);
    item->setText(1, value);
    return item;
  };
  row(tr("naming"), QString::fromStdString(info.naming));
  row(tr("format"), QString::fromStdString(info.format));
  row(tr("tensors"), locale.toString(static_cast<qlonglong>(info.tensors)));
  row(tr("parameters"), locale.toString(static_cast<qlonglong>(info.parameters)));
  QStringList dtypes;
  for (const auto& d : info.dtypes) dtypes << QString::fromStdString(d);
  row(tr("dtypes"), dtypes.join(", "));
  for (const auto& c : info.components) {
    QString status;
    if (c.keyCheck) status = c.keyCheck->ok() ? tr(", keys match") : tr(", keys do not match");
    auto* item = row(tr("component"), QString::fromStdString(c.name) + ": " + tr("%1 tensors").arg(c.tensors) + status);
    if (c.keyCheck && !c.keyCheck->ok()) item->setToolTip(1, QString::fromStdString(c.keyCheck->describe()));
  }
  for (const auto& note : info.notes) row(tr("note"), QString::fromStdString(note));
  top->setExpanded(true);
  hint_->hide();
  Q_EMIT modelInspected(outcome.path);
  Q_EMIT modelRecognized(outcome.path, QString::fromUtf8(io::modelKindName(info.kind).data()));
}

}  // namespace sm::ui
