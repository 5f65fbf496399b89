#include "core/toyworld/world_samples.h"

#include <nlohmann/json.hpp>

#include "core/datasets/dataset_folder.h"
#include "core/io/json_file.h"
#include "core/toyworld/toy_configs.h"
#include "core/toyworld/world_batches.h"
#include "core/util/atomic_file.h"
#include "core/video/video_writer.h"
#include "core/world/world_scene.h"

namespace sm::toyworld {

void writeWorldSamples(const std::filesystem::path& folder, SampleKind kind, int64_t count, uint64_t seed,
                       jobs::JobContext& job) {
  std::filesystem::create_directories(folder);
  std::string lines;
  const bool pictures = kind == SampleKind::Pictures;
  job.beginStage(pictures ? "images" : "videos", count);
  for (int64_t i = 0; i < count; ++i) {
    job.throwIfCancelled();
    const world::Scene scene = world::sampleScene(seed, static_cast<uint64_t>(i));
    const std::string key = datasets::sampleKey(static_cast<size_t>(i));
    const std::string caption = world::caption(scene, !pictures);
    const std::string file = key + (pictures ? ".png" : ".mp4");
    if (pictures)
      datasets::writePng((folder / file).string(), world::drawImage(scene, pictureTime(i), kImageSize));
    else
      video::writeVideo((folder / file).string(), world::drawVideo(scene, kFrames, kImageSize, kFps));
    util::writeFileAtomically((folder / (key + ".txt")).string(), caption + "\n");
    const nlohmann::json line{{"file", file},
                              {"caption", caption},
                              {"shape", world::shapeNames()[static_cast<size_t>(scene.shape)]},
                              {"color", world::colorNames()[static_cast<size_t>(scene.color)]},
                              {"background", world::backgroundNames()[static_cast<size_t>(scene.background)]},
                              {"motion", world::motionNames()[static_cast<size_t>(scene.motion)]}};
    lines += io::dumpJson(line) + "\n";
    job.progress(i + 1);
  }
  util::writeFileAtomically((folder / "captions.jsonl").string(), lines);
}

}  // namespace sm::toyworld
