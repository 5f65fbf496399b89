#include "core/evaluation/video_evaluation.h"

#include <torch/torch.h>

#include <cstdio>
#include <filesystem>

#include "core/datasets/dataset_folder.h"
#include "core/util/error.h"
#include "core/video/video_reader.h"

namespace sm::evaluation {
namespace {

namespace fs = std::filesystem;

std::string fixed(double v, int digits = 3) {
  char buffer[64];
  std::snprintf(buffer, sizeof buffer, "%.*f", digits, v);
  return buffer;
}

template <typename Get>
std::vector<double> column(const std::vector<EvaluatedVideo>& videos, Get get) {
  std::vector<double> out;
  for (const auto& v : videos)
    if (const std::optional<double> x = get(v.scores)) out.push_back(*x);
  return out;
}

}  // namespace

EvaluationReport evaluateVideos(const EvaluationRequest& request, jobs::JobContext& job) {
  if (request.videos.empty()) throw ConfigError("no video to evaluate: give one or more video files");
  for (const auto& v : request.videos)
    if (!fs::is_regular_file(v)) throw ConfigError("video '" + v + "' does not exist or is not a file");
  std::vector<std::string> referenceFiles;
  if (!request.referenceFolder.empty()) referenceFiles = datasets::listImages(request.referenceFolder);

  job.beginStage("loading the evaluator", 1);
  std::unique_ptr<Embedder> embedder = openEmbedder(request.evaluator);
  job.progress(1);
  EvaluationReport report;
  report.evaluator = embedder->name();
  report.prompt = request.prompt;

  torch::Tensor prompt, references;
  if (!request.prompt.empty()) prompt = embedder->texts({request.prompt});
  if (!referenceFiles.empty()) {
    std::vector<video::Frame> pictures;
    video::ReadOptions one;
    one.maxFrames = 1;
    for (const auto& file : referenceFiles) {
      job.throwIfCancelled();
      const video::VideoClip clip = video::readVideo(file, one);
      if (clip.frames.empty()) throw ConfigError("reference image '" + file + "' has no picture");
      pictures.push_back(clip.frames[0]);
    }
    references = embedder->images(pictures);
    report.references = static_cast<int>(pictures.size());
  }

  job.beginStage("scoring", static_cast<int64_t>(request.videos.size()));
  for (size_t i = 0; i < request.videos.size(); ++i) {
    job.throwIfCancelled();
    const video::VideoClip clip = video::readVideo(request.videos[i]);
    report.videos.push_back({request.videos[i], scoreVideo(clip, *embedder, prompt, references)});
    job.progress(static_cast<int64_t>(i) + 1);
  }
  const auto& v = report.videos;
  if (prompt.defined()) report.aggregates.emplace_back("clip_t", aggregate(column(v, [](auto& s) { return s.clipT; })));
  if (references.defined())
    report.aggregates.emplace_back("clip_i", aggregate(column(v, [](auto& s) { return s.clipI; })));
  report.aggregates.emplace_back("motion",
                                 aggregate(column(v, [](auto& s) { return std::optional<double>(s.motion); })));
  report.aggregates.emplace_back("dynamic_degree",
                                 aggregate(column(v, [](auto& s) { return std::optional<double>(s.dynamicDegree); })));
  report.aggregates.emplace_back("consistency",
                                 aggregate(column(v, [](auto& s) { return std::optional<double>(s.consistency); })));
  return report;
}

nlohmann::json EvaluationReport::toJson() const {
  nlohmann::json j;
  j["evaluator"] = evaluator;
  j["prompt"] = prompt;
  j["references"] = references;
  j["flow_size"] = kFlowSize;
  j["dynamic_threshold"] = kDynamicThreshold;
  j["videos"] = nlohmann::json::array();
  for (const auto& v : videos) {
    nlohmann::json row = {{"path", v.path},
                          {"frames", v.scores.frames},
                          {"motion", v.scores.motion},
                          {"dynamic_degree", v.scores.dynamicDegree},
                          {"consistency", v.scores.consistency}};
    if (v.scores.clipT) row["clip_t"] = *v.scores.clipT;
    if (v.scores.clipI) row["clip_i"] = *v.scores.clipI;
    j["videos"].push_back(row);
  }
  for (const auto& [name, a] : aggregates)
    j["aggregate"][name] = {{"mean", a.mean}, {"standard_error", a.standardError}, {"count", a.count}};
  return j;
}

std::string EvaluationReport::toMarkdown() const {
  std::string header = "| video |", rule = "|---|";
  for (const auto& a : aggregates) {
    header += " " + a.first + " |";
    rule += "---:|";
  }
  std::string out = header + "\n" + rule + "\n";
  for (const auto& v : videos) {
    out += "| " + fs::path(v.path).filename().string() + " |";
    for (const auto& a : aggregates) {
      const std::string& n = a.first;
      const std::optional<double> x = n == "clip_t"           ? v.scores.clipT
                                      : n == "clip_i"         ? v.scores.clipI
                                      : n == "motion"         ? std::optional<double>(v.scores.motion)
                                      : n == "dynamic_degree" ? std::optional<double>(v.scores.dynamicDegree)
                                                              : std::optional<double>(v.scores.consistency);
      out += " " + (x ? fixed(*x) : std::string("-")) + " |";
    }
    out += "\n";
  }
  out += "| **mean ± s.e.** |";
  for (const auto& a : aggregates) out += " " + fixed(a.second.mean) + " ± " + fixed(a.second.standardError) + " |";
  return out + "\n";
}

}  // namespace sm::evaluation
