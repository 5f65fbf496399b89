#include "core/toyworld/stage_files.h"

#include <torch/torch.h>

#include "core/engine/tensor_writer.h"
#include "core/io/json_file.h"
#include "core/io/safetensors.h"
#include "core/models/load_weights.h"
#include "core/util/atomic_file.h"

namespace sm::toyworld {

WorldFolder::WorldFolder(std::filesystem::path root) : root_(std::move(root)) {}
std::filesystem::path WorldFolder::weights(const std::string& stage) const {
  return root_ / "stages" / (stage + ".safetensors");
}
std::filesystem::path WorldFolder::record(const std::string& stage) const {
  return root_ / "records" / (stage + ".json");
}
std::filesystem::path WorldFolder::checkpoint(const std::string& stage) const {
  return root_ / "checkpoints" / (stage + ".safetensors");
}
bool WorldFolder::done(const std::string& stage) const { return std::filesystem::exists(record(stage)); }

void writeStageRecord(const std::filesystem::path& path, const StageRecord& r) {
  std::filesystem::create_directories(path.parent_path());
  const nlohmann::json j{{"stage", r.stage}, {"steps", r.steps},   {"seconds", r.seconds},
                         {"seed", r.seed},   {"losses", r.losses}, {"figures", r.figures}};
  util::writeFileAtomically(path.string(), j.dump(1) + "\n");
}

StageRecord readStageRecord(const std::filesystem::path& path) {
  const nlohmann::json j = io::readJsonFile(path.string());
  StageRecord r;
  r.stage = j.value("stage", "");
  r.steps = j.value("steps", int64_t{0});
  r.seconds = j.value("seconds", 0.0);
  r.seed = j.value("seed", uint64_t{0});
  r.losses = j.value("losses", std::vector<double>{});
  r.figures = j.value("figures", nlohmann::json::object());
  return r;
}

engine::NamedTensors moduleTensors(torch::nn::Module& module) {
  engine::NamedTensors out;
  for (const auto& p : module.named_parameters()) out.emplace_back(p.key(), p.value().detach().to(torch::kCPU));
  for (const auto& b : module.named_buffers()) out.emplace_back(b.key(), b.value().detach().to(torch::kCPU));
  return out;
}

engine::NamedTensors moduleParameters(torch::nn::Module& module, const std::string& onlyContaining) {
  engine::NamedTensors out;
  for (const auto& p : module.named_parameters())
    if (onlyContaining.empty() || p.key().find(onlyContaining) != std::string::npos)
      out.emplace_back(p.key(), p.value());
  return out;
}

void saveModule(const std::filesystem::path& path, torch::nn::Module& module) {
  std::filesystem::create_directories(path.parent_path());
  engine::writeTensors(path.string(), moduleTensors(module));
}

void loadModule(const std::filesystem::path& path, torch::nn::Module& module) {
  models::loadWeights(module, io::readSafetensors(path.string()));
}

}  // namespace sm::toyworld
