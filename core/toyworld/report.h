#pragma once
// The toy world's quality figures (the targets, measured with the
// evaluator and optical flow) and the model cards that report them.
#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "core/jobs/job.h"
#include "core/toyworld/stages.h"
#include "core/video/video_frames.h"

namespace sm::toyworld {

/// Measures every figure on the exported models, writes records/report.json,
/// one README.md model card per model (with its loss curve PNG) into models/.
void reportStage(const WorldFolder& folder, const StageOptions& options, jobs::JobContext& job);

/// One model card: folder/NAME.md (what it is, steps, time, seed, final loss, the
/// `figures` Markdown under "Measured") and folder/NAME_loss.png.
void writeCard(const std::filesystem::path& folder, const std::string& name, const std::string& what,
               const StageRecord& record, const std::string& figures);

/// A loss curve (raw, and smoothed) as a picture.
video::Frame lossCurve(const std::vector<double>& losses, const std::string& title);

}  // namespace sm::toyworld
