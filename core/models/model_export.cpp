#include "core/models/model_export.h"

#include <unistd.h>

#include <map>
#include <random>
#include <unordered_map>

#include "core/engine/tensor_writer.h"
#include "core/io/key_maps/ldm_export.h"
#include "core/util/atomic_file.h"
#include "core/util/error.h"

namespace sm::models {
namespace fs = std::filesystem;
namespace {

const std::map<std::string, std::string> kSafetensorsMetadata{{"format", "pt"}};

void checkStoreAs(torch::Dtype storeAs) {
  if (storeAs != torch::kFloat32 && storeAs != torch::kFloat16 && storeAs != torch::kBFloat16)
    throw ConfigError(std::string("models can be saved as float32, float16 or bfloat16, not ") +
                      c10::toString(storeAs));
}

std::unordered_map<std::string, torch::Tensor> tensorsOf(torch::nn::Module& module) {
  std::unordered_map<std::string, torch::Tensor> all;
  for (const auto& p : module.named_parameters()) all.emplace(p.key(), p.value());
  for (const auto& b : module.named_buffers()) all.emplace(b.key(), b.value());
  return all;
}

// The module's tensors that `expected` lists, in its order, as CPU `storeAs` copies.
engine::NamedTensors stateDict(torch::nn::Module& module, const std::vector<ExpectedTensor>& expected,
                               torch::Dtype storeAs, const std::string& what) {
  const auto all = tensorsOf(module);
  engine::NamedTensors out;
  out.reserve(expected.size());
  for (const auto& e : expected) {
    const auto it = all.find(e.name);
    if (it == all.end()) throw CheckpointError(what, e.name, "the model has no such tensor");
    if (it->second.sizes().vec() != e.shape) throw ShapeError(e.name, e.shape, it->second.sizes().vec());
    out.emplace_back(e.name, it->second.detach().to(torch::kCPU).to(storeAs));
  }
  return out;
}

std::vector<io::NamedShape> shapesOf(const engine::NamedTensors& tensors) {
  std::vector<io::NamedShape> out;
  out.reserve(tensors.size());
  for (const auto& [name, t] : tensors) out.push_back({name, t.sizes().vec()});
  return out;
}

std::string dtypeName(torch::Dtype storeAs) {
  return storeAs == torch::kFloat16 ? "float16" : storeAs == torch::kBFloat16 ? "bfloat16" : "float32";
}

void writeJson(const fs::path& path, const nlohmann::json& json) {
  util::writeFileAtomically(path.string(), json.dump(2) + "\n");
}

// A hidden sibling of `target` that becomes `target` on commit(); removed with
// its contents when destroyed uncommitted (an exception unwinding).
class StagingFolder {
 public:
  explicit StagingFolder(const fs::path& target) : target_(fs::absolute(target)) {
    const std::string unique = std::to_string(::getpid()) + "-" + std::to_string(std::random_device{}());
    temp_ = target_.parent_path() / (util::tempFilePrefix(target_.string()) + unique);
    guard([&] {
      fs::create_directories(target_.parent_path());
      fs::create_directory(temp_);
    });
  }
  ~StagingFolder() {
    std::error_code ignored;
    if (!committed_) fs::remove_all(temp_, ignored);
  }
  StagingFolder(const StagingFolder&) = delete;
  StagingFolder& operator=(const StagingFolder&) = delete;

  const fs::path& path() const { return temp_; }

  /// Replaces `target` (an older folder moves aside first, then goes).
  void commit() {
    guard([&] {
      fs::path old;
      if (fs::exists(target_)) {
        old = temp_;
        old += ".old";
        fs::rename(target_, old);
      }
      fs::rename(temp_, target_);
      committed_ = true;
      std::error_code ignored;
      if (!old.empty()) fs::remove_all(old, ignored);
    });
  }

  template <typename F>
  void guard(F&& step) const {
    try {
      step();
    } catch (const fs::filesystem_error& e) {
      throw util::FileWriteError(target_.string(), e.code().value(), e.what());
    }
  }

 private:
  fs::path target_;
  fs::path temp_;
  bool committed_ = false;
};

nlohmann::json modelIndex() {
  const nlohmann::json none = {nullptr, nullptr};
  return {{"_class_name", "StableDiffusionPipeline"},
          {"_diffusers_version", "0.35.2"},
          {"feature_extractor", none},
          {"image_encoder", none},
          {"requires_safety_checker", false},
          {"safety_checker", none},
          {"scheduler", {"diffusers", "PNDMScheduler"}},
          {"text_encoder", {"transformers", "CLIPTextModel"}},
          {"tokenizer", {"transformers", "CLIPTokenizer"}},
          {"unet", {"diffusers", "UNet2DConditionModel"}},
          {"vae", {"diffusers", "AutoencoderKL"}}};
}

// SD 1.5's scheduler config (runwayml/stable-diffusion-v1-5 scheduler/scheduler_config.json).
nlohmann::json sd15SchedulerConfig() {
  return {{"_class_name", "PNDMScheduler"},
          {"_diffusers_version", "0.35.2"},
          {"beta_end", 0.012},
          {"beta_schedule", "scaled_linear"},
          {"beta_start", 0.00085},
          {"clip_sample", false},
          {"num_train_timesteps", 1000},
          {"prediction_type", "epsilon"},
          {"set_alpha_to_one", false},
          {"skip_prk_steps", true},
          {"steps_offset", 1},
          {"timestep_spacing", "leading"},
          {"trained_betas", nullptr}};
}

void copyTokenizer(const fs::path& from, const fs::path& to) {
  for (const char* required : {"vocab.json", "merges.txt"})
    if (!fs::is_regular_file(from / required))
      throw ConfigError("tokenizer folder " + from.string() + " has no " + required);
  fs::create_directory(to);
  for (const auto& entry : fs::directory_iterator(from))
    if (entry.is_regular_file()) fs::copy_file(entry.path(), to / entry.path().filename());
}

}  // namespace

void writeDiffusersPipeline(const fs::path& folder, UNet3DImpl& unet, AutoencoderKLImpl& vae, CLIPTextModelImpl& text,
                            const fs::path& tokenizerFolder, torch::Dtype storeAs) {
  checkStoreAs(storeAs);
  torch::NoGradGuard noGrad;
  StagingFolder staging(folder);
  const fs::path& root = staging.path();
  staging.guard([&] {
    for (const char* part : {"scheduler", "unet", "vae", "text_encoder"}) fs::create_directory(root / part);
    copyTokenizer(tokenizerFolder, root / "tokenizer");
  });
  writeJson(root / "model_index.json", modelIndex());
  writeJson(root / "scheduler" / "scheduler_config.json", sd15SchedulerConfig());

  writeJson(root / "unet" / "config.json", unet.config().toJson());
  engine::writeTensors((root / "unet" / "diffusion_pytorch_model.safetensors").string(),
                       stateDict(unet, unet.config().expectedTensors(), storeAs, "UNet"), kSafetensorsMetadata);
  writeJson(root / "vae" / "config.json", vae.config().toJson());
  engine::writeTensors((root / "vae" / "diffusion_pytorch_model.safetensors").string(),
                       stateDict(vae, vae.config().expectedTensors(), storeAs, "VAE"), kSafetensorsMetadata);
  nlohmann::json textConfig = text.config().toJson();
  textConfig["torch_dtype"] = dtypeName(storeAs);
  writeJson(root / "text_encoder" / "config.json", textConfig);
  engine::writeTensors((root / "text_encoder" / "model.safetensors").string(),
                       stateDict(text, text.config().expectedTensors(), storeAs, "text encoder"), kSafetensorsMetadata);
  staging.commit();
}

void writeLdmCheckpoint(const fs::path& file, UNet3DImpl& unet, AutoencoderKLImpl& vae, CLIPTextModelImpl& text,
                        torch::Dtype storeAs) {
  checkStoreAs(storeAs);
  torch::NoGradGuard noGrad;
  const engine::NamedTensors unetWeights = stateDict(unet, unet.config().expectedTensors(), storeAs, "UNet");
  const engine::NamedTensors vaeWeights = stateDict(vae, vae.config().expectedTensors(), storeAs, "VAE");
  const engine::NamedTensors textWeights = stateDict(text, text.config().expectedTensors(), storeAs, "text encoder");
  const auto entries = io::ldmCheckpointExport(unet.config().ldmLayout(), shapesOf(unetWeights),
                                               static_cast<int>(vae.config().block_out_channels.size()),
                                               shapesOf(vaeWeights), shapesOf(textWeights));
  // ldmCheckpointExport keeps the order: UNet, VAE, text encoder.
  engine::NamedTensors out;
  out.reserve(entries.size());
  size_t i = 0;
  for (const auto* part : {&unetWeights, &vaeWeights, &textWeights})
    for (const auto& [name, tensor] : *part) {
      const io::LdmExportEntry& e = entries.at(i++);
      TORCH_CHECK(e.diffusersKey == name, "LDM export order differs at ", name);
      out.emplace_back(e.ldmKey, tensor.reshape(e.ldmShape));
    }
  engine::writeTensors(file.string(), out);
}

void writeLdmUNet(const fs::path& file, UNet3DImpl& unet, torch::Dtype storeAs) {
  checkStoreAs(storeAs);
  torch::NoGradGuard noGrad;
  const engine::NamedTensors weights = stateDict(unet, unet.config().expectedTensors(), storeAs, "UNet");
  const auto entries = io::ldmUNetExport(unet.config().ldmLayout(), shapesOf(weights));
  engine::NamedTensors out;
  out.reserve(entries.size());
  for (size_t i = 0; i < weights.size(); ++i) {
    const io::LdmExportEntry& e = entries.at(i);
    TORCH_CHECK(e.diffusersKey == weights[i].first, "LDM export order differs at ", weights[i].first);
    out.emplace_back(e.ldmKey, weights[i].second.reshape(e.ldmShape));
  }
  engine::writeTensors(file.string(), out);
}

void writeMotionAdapter(const fs::path& folder, UNet3DImpl& unet, torch::Dtype storeAs) {
  checkStoreAs(storeAs);
  if (!unet.motionConfig()) throw ConfigError("the UNet has no motion modules to save as a Motion Adapter");
  torch::NoGradGuard noGrad;
  MotionModuleConfig config = *unet.motionConfig();
  config.motion_norm_num_groups = unet.config().norm_num_groups;  // what UNet3D's motion modules use
  std::vector<ExpectedTensor> expected = config.expectedTensors();
  for (const auto& b : unet.named_buffers())
    if (b.key().find(".motion_modules.") != std::string::npos && b.key().ends_with(".pos_embed.pe"))
      expected.push_back({b.key(), b.value().sizes().vec()});
  const engine::NamedTensors weights = stateDict(unet, expected, storeAs, "motion modules");

  StagingFolder staging(folder);
  writeJson(staging.path() / "config.json", config.toJson());
  engine::writeTensors((staging.path() / "diffusion_pytorch_model.safetensors").string(), weights,
                       kSafetensorsMetadata);
  staging.commit();
}

}  // namespace sm::models
