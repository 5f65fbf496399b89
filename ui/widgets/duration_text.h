#pragma once
// Durations as the Studio shows them: the CLI's wording (core/util/duration.h).
#include <QString>

#include "core/util/duration.h"

namespace sm::ui {

inline QString formatDurationText(double seconds) { return QString::fromStdString(formatDuration(seconds)); }

}  // namespace sm::ui
