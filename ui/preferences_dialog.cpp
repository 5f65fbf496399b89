#include "ui/preferences_dialog.h"

#include <QDialogButtonBox>
#include <QFormLayout>
#include <QSettings>
#include <QSpinBox>

#include "core/engine/runtime.h"

namespace sm::ui {

PreferencesDialog::PreferencesDialog(QWidget* parent) : QDialog(parent), threads_(new QSpinBox(this)) {
  setWindowTitle(tr("Preferences"));
  auto* form = new QFormLayout(this);
  threads_->setRange(0, 256);
  threads_->setSpecialValueText(tr("All physical cores (%1)").arg(engine::physicalCoreCount()));
  threads_->setValue(savedThreads());
  form->addRow(tr("CPU threads:"), threads_);
  auto* buttons = new QDialogButtonBox(QDialogButtonBox::Ok | QDialogButtonBox::Cancel, this);
  connect(buttons, &QDialogButtonBox::accepted, this, &PreferencesDialog::accept);
  connect(buttons, &QDialogButtonBox::rejected, this, &PreferencesDialog::reject);
  form->addRow(buttons);
}

int PreferencesDialog::savedThreads() { return QSettings().value("compute/threads", 0).toInt(); }

void PreferencesDialog::accept() {
  QSettings().setValue("compute/threads", threads_->value());
  engine::configureThreads(threads_->value());
  QDialog::accept();
}

}  // namespace sm::ui
