#include "core/control/control_unit.h"

#include "core/settings/setting_checks.h"
#include "core/settings/settings_table.h"
#include "core/util/error.h"

namespace sm::control {

std::string_view controlTypeName(ControlType type) {
  switch (type) {
    case ControlType::Canny: return "canny";
    case ControlType::SoftEdge: return "softedge";
    case ControlType::Gray: return "gray";
    case ControlType::Raw: return "raw";
  }
  return "?";
}

const std::vector<std::string>& controlTypeNames() {
  // The settings table is the one home of the names; a test pins that each names an enum value.
  return settings::setting(settings::Command::Generate, "control-type").choices;
}

ControlType parseControlType(std::string_view name) {
  for (ControlType t : {ControlType::Canny, ControlType::SoftEdge, ControlType::Gray, ControlType::Raw})
    if (controlTypeName(t) == name) return t;
  throw ConfigError("control type '" + std::string(name) + "' is unknown: use canny, softedge, gray or raw");
}

void ControlNetUnit::validate() const {
  using settings::requireInRange;
  constexpr auto kGenerate = settings::Command::Generate;
  if (controlNet.empty()) throw ConfigError("a ControlNet needs its file (--controlnet)");
  if (video.empty()) throw ConfigError("ControlNet " + controlNet + " needs a driving video (--control-video)");
  requireInRange(kGenerate, "control-scale", scale);
  requireInRange(kGenerate, "control-start", start);
  requireInRange(kGenerate, "control-end", end);
  requireInRange(kGenerate, "control-stride", stride);
  requireInRange(kGenerate, "control-low", preprocessor.low);
  requireInRange(kGenerate, "control-high", preprocessor.high);
  if (start >= end)
    throw ConfigError("control start (" + settings::formatNumber(start) + ") must be below control end (" +
                      settings::formatNumber(end) + ")");
  if (preprocessor.type == ControlType::Canny && preprocessor.low > preprocessor.high)
    throw ConfigError("canny's low threshold (" + settings::formatNumber(preprocessor.low) +
                      ") must not exceed its high threshold (" + settings::formatNumber(preprocessor.high) + ")");
}

bool actsAtStep(double start, double end, int step, int steps) {
  const double begin = static_cast<double>(step) / steps, finish = static_cast<double>(step + 1) / steps;
  return !(begin < start || finish > end);
}

}  // namespace sm::control
