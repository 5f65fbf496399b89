#pragma once
// `stillmoving eval`: the comparison's measures of a set of videos, per video
// and aggregated (mean and standard error), as one job (progress, cancel).
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "core/evaluation/video_metrics.h"
#include "core/jobs/job.h"
#include "core/video/video_frames.h"

namespace sm::evaluation {

struct EvaluationRequest {
  std::vector<std::string> videos;
  /// Scored for CLIP-T when not empty.
  std::string prompt;
  /// Images (.png .jpg …) scored against for CLIP-I when not empty.
  std::string referenceFolder;
  /// "toy", a toy evaluator file or a CLIPModel folder (openEmbedder).
  std::string evaluator = "toy";
};

struct EvaluatedVideo {
  std::string path;
  VideoScores scores;
};

struct EvaluationReport {
  std::string evaluator;
  std::string prompt;
  int references = 0;
  std::vector<EvaluatedVideo> videos;
  /// Over the videos: "clip_t", "clip_i" (when measured), "motion", "dynamic_degree", "consistency".
  std::vector<std::pair<std::string, Aggregate>> aggregates;

  nlohmann::json toJson() const;
  /// A Markdown table, one row per video and a last row of means ± standard errors.
  std::string toMarkdown() const;
};

/// The pictures of a reference folder (.png .jpg ..., sorted by name), each read
/// as its first frame. Throws ConfigError naming a folder without pictures or
/// a picture that decodes to nothing; sm::Cancelled when cancelled.
std::vector<video::Frame> readReferencePictures(const std::string& folder, jobs::JobContext& job);

/// Throws ConfigError naming a missing or unreadable video / folder (before any
/// model loads), VideoIOError from decoding, sm::Cancelled when cancelled.
EvaluationReport evaluateVideos(const EvaluationRequest& request, jobs::JobContext& job);

}  // namespace sm::evaluation
