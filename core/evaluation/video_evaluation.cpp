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

}  // namespace

std::vector<video::Frame> readReferencePictures(const std::string& folder, jobs::JobContext& job) {
  const std::vector<std::string> files = datasets::listImages(folder);
  if (files.empty()) throw InputError("reference folder '" + folder + "' has no pictures (.png, .jpg, ...)");
  std::vector<video::Frame> pictures;
  video::ReadOptions one;
  one.maxFrames = 1;
  for (const auto& file : files) {
    job.throwIfCancelled();
    const video::VideoClip clip = video::readVideo(file, one);
    if (clip.frames.empty()) throw InputError("reference image '" + file + "' has no picture");
    pictures.push_back(clip.frames[0]);
  }
  return pictures;
}

EvaluationReport evaluateVideos(const EvaluationRequest& request, jobs::JobContext& job) {
  if (request.videos.empty()) throw ConfigError("no video to evaluate: give one or more video files");
  for (const auto& v : request.videos)
    if (!fs::is_regular_file(v)) throw InputError("video '" + v + "' does not exist or is not a file");
  std::vector<video::Frame> pictures;
  if (!request.referenceFolder.empty()) pictures = readReferencePictures(request.referenceFolder, job);

  job.beginStage("loading the evaluator", 1);
  std::unique_ptr<Embedder> embedder = openEmbedder(request.evaluator);
  job.progress(1);
  EvaluationReport report;
  report.evaluator = embedder->name();
  report.prompt = request.prompt;

  torch::Tensor prompt, references;
  if (!request.prompt.empty()) prompt = embedder->texts({request.prompt});
  if (!pictures.empty()) {
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
  for (const Measure& m : measureTable()) {
    // CLIP-T and CLIP-I are aggregated only when asked for (a prompt, reference images).
    if ((m.name == std::string("clip_t") && !prompt.defined()) ||
        (m.name == std::string("clip_i") && !references.defined()))
      continue;
    std::vector<double> column;
    for (const auto& v : report.videos)
      if (const std::optional<double> x = m.get(v.scores)) column.push_back(*x);
    report.aggregates.emplace_back(m.name, aggregate(column));
  }
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
    nlohmann::json row = {{"path", v.path}, {"frames", v.scores.frames}};
    for (const Measure& m : measureTable())
      if (const std::optional<double> x = m.get(v.scores)) row[m.name] = *x;
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
      const std::optional<double> x = measureNamed(a.first).get(v.scores);
      out += ' ';
      out += x ? fixed(*x) : std::string("-");
      out += " |";
    }
    out += "\n";
  }
  out += "| **mean ± s.e.** |";
  for (const auto& a : aggregates) out += " " + fixed(a.second.mean) + " ± " + fixed(a.second.standardError) + " |";
  return out + "\n";
}

}  // namespace sm::evaluation
