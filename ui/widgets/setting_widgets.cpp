#include "ui/widgets/setting_widgets.h"

#include <QCheckBox>
#include <QComboBox>
#include <QDoubleSpinBox>
#include <QSlider>
#include <QSpinBox>
#include <cmath>
#include <limits>

#include "core/settings/widget_spec.h"

namespace sm::ui {
namespace {

QString toQ(const std::string& text) { return QString::fromStdString(text); }

int clampToInt(double value) {
  return static_cast<int>(std::clamp(value, static_cast<double>(std::numeric_limits<int>::min()),
                                     static_cast<double>(std::numeric_limits<int>::max())));
}

void common(QWidget* widget, const settings::WidgetSpec& spec, std::string_view key) {
  if (widget->objectName().isEmpty()) widget->setObjectName(toQ(std::string(key)));
  widget->setToolTip(toQ(spec.tooltip));
}

}  // namespace

void bindSetting(QSpinBox* box, settings::Command command, std::string_view key) {
  const settings::WidgetSpec spec = settings::widgetSpec(command, key);
  common(box, spec, key);
  box->setRange(clampToInt(spec.min), clampToInt(spec.max));
  box->setSingleStep(std::max(1, clampToInt(spec.step)));
  box->setValue(clampToInt(spec.defaultValue));
  if (!spec.unit.empty()) box->setSuffix(" " + toQ(spec.unit));
}

void bindSetting(QDoubleSpinBox* box, settings::Command command, std::string_view key) {
  const settings::WidgetSpec spec = settings::widgetSpec(command, key);
  common(box, spec, key);
  box->setDecimals(spec.decimals);
  box->setRange(spec.min, spec.max);
  box->setSingleStep(spec.step);
  box->setValue(spec.defaultValue);
  if (!spec.unit.empty()) box->setSuffix(" " + toQ(spec.unit));
}

void bindSetting(QComboBox* box, settings::Command command, std::string_view key) {
  const settings::WidgetSpec spec = settings::widgetSpec(command, key);
  common(box, spec, key);
  box->clear();
  for (const std::string& choice : spec.choices) box->addItem(toQ(choice), toQ(choice));
  box->setCurrentIndex(0);  // the table lists the default first
}

void bindSetting(QCheckBox* box, settings::Command command, std::string_view key) {
  const settings::WidgetSpec spec = settings::widgetSpec(command, key);
  common(box, spec, key);
  box->setChecked(spec.defaultValue != 0);
}

void bindSetting(QSlider* slider, settings::Command command, std::string_view key, int resolution) {
  const settings::WidgetSpec spec = settings::widgetSpec(command, key);
  common(slider, spec, key);
  slider->setRange(clampToInt(std::lround(spec.min * resolution)), clampToInt(std::lround(spec.max * resolution)));
  slider->setValue(clampToInt(std::lround(spec.defaultValue * resolution)));
}

}  // namespace sm::ui
