#include "core/pipelines/text_to_video_session.h"

#include <sstream>

#include "core/engine/device.h"
#include "core/pipelines/animatediff_pipeline.h"
#include "core/pipelines/video_tensor.h"
#include "core/util/error.h"

namespace sm::pipelines {
namespace {

std::string keyOf(const PipelineSources& s, const std::string& device, const std::string& dtype) {
  std::ostringstream key;
  key << s.base << '\n' << s.motionModule << '\n' << s.custom << '\n' << s.tokenizer << '\n' << device << '\n' << dtype;
  for (const auto& [path, strength] : s.loras) key << '\n' << path << ':' << strength;
  key << '\n'
      << (s.interpolation ? std::to_string(*s.interpolation) : "-") << '\n'
      << s.motionAdapter << '\n'
      << s.spatialAdapters << '\n'
      << s.mergeSpatialAdapters;
  return key.str();
}

}  // namespace

TextToVideoSession::TextToVideoSession() = default;
TextToVideoSession::~TextToVideoSession() = default;

void TextToVideoSession::load(const PipelineSources& sources, const std::string& device, const std::string& dtype,
                              jobs::JobContext& job) {
  const std::string key = keyOf(sources, device, dtype);
  if (pipeline_ && key == key_) return;
  pipeline_.reset();  // free the old models before the new ones arrive
  key_.clear();
  PipelineLoadOptions options;
  options.device = engine::selectDevice(device);
  options.dtype = engine::selectDtype(dtype, options.device);
  pipeline_ = AnimateDiffPipeline::load(sources, options, job);
  key_ = key;
}

std::string TextToVideoSession::describeEngine() const {
  if (!pipeline_) return "";
  return pipeline_->device().str() + ", " + engine::dtypeName(pipeline_->dtype());
}

GeneratedVideos TextToVideoSession::generate(const GenerationRequest& request, jobs::JobContext& job) {
  if (!pipeline_) throw ConfigError("no models are loaded: load a base model and a motion module first");
  const GenerationResult result = pipeline_->generate(request, job);
  GeneratedVideos out;
  out.seed = result.seed;
  out.secondsDenoising = result.secondsDenoising;
  out.secondsDecoding = result.secondsDecoding;
  for (int64_t v = 0; v < result.video.size(0); ++v) out.clips.push_back(toVideoClip(result.video[v], request.fps));
  return out;
}

}  // namespace sm::pipelines
