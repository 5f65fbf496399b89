#include "core/adapters/low_rank_adapter.h"

#include <cmath>
#include <cstdlib>
#include <sstream>

#include "core/engine/tensor_loader.h"
#include "core/io/safetensors.h"
#include "core/util/error.h"

namespace sm::adapters {
namespace {

constexpr const char* kDownSuffix = ".lora_A.weight";
constexpr const char* kUpSuffix = ".lora_B.weight";

bool endsWith(const std::string& s, const std::string& suffix) {
  return s.size() >= suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

std::string metadataValue(const io::StateDictIndex& index, const std::string& key) {
  const auto it = index.metadata.find(key);
  return it == index.metadata.end() ? "" : it->second;
}

/// The adapted layer found in the UNet, with the weight the map must fit.
struct Target {
  std::shared_ptr<torch::nn::Module> module;
  nn::AdapterSlot* slot = nullptr;
  torch::Tensor* weight = nullptr;
  torch::Tensor* bias = nullptr;
};

Target findTarget(torch::nn::Module& unet, const std::string& path, const std::string& who) {
  std::shared_ptr<torch::nn::Module> module;
  for (const auto& item : unet.named_modules("", false))
    if (item.key() == path) module = item.value();
  if (!module)
    throw CheckpointError(who, path + kDownSuffix,
                          "adapts a layer this UNet does not have: the adapter belongs to another architecture");
  if (auto linear = std::dynamic_pointer_cast<nn::AdaptableLinearImpl>(module))
    return {module, &linear->adapters, &linear->weight, &linear->bias};
  if (auto conv = std::dynamic_pointer_cast<nn::AdaptableConv2dImpl>(module))
    return {module, &conv->adapters, &conv->weight, &conv->bias};
  throw CheckpointError(who, path + kDownSuffix, "adapts a layer that is neither Linear nor Conv2d");
}

}  // namespace

std::string adapterKindName(AdapterKind kind) {
  return kind == AdapterKind::Motion ? "motion-adapter" : "spatial-adapters";
}

LowRankAdapter::LowRankAdapter(AdapterMetadata metadata, LowRankSide side)
    : metadata_(std::move(metadata)), side_(side) {}

void LowRankAdapter::addLayer(std::string layerPath, torch::Tensor down, torch::Tensor up) {
  layers_.push_back(
      {std::move(layerPath), std::make_shared<LowRankLayer>(std::move(down), std::move(up), side_, scale_)});
}

void LowRankAdapter::addFreshLayer(const std::string& layerPath, int64_t n, int64_t out, bool conv, int64_t rank,
                                   at::Generator& generator) {
  const int64_t r = std::min(rank, n);
  const double bound = 1.0 / std::sqrt(static_cast<double>(n));
  torch::Tensor down = torch::rand({r, n}, generator, torch::kFloat32) * (2 * bound) - bound;
  torch::Tensor up = torch::zeros({out, r}, torch::kFloat32);
  if (conv) {
    down = down.view({r, n, 1, 1});
    up = up.view({out, r, 1, 1});
  }
  addLayer(layerPath, down, up);
}

std::string LowRankAdapter::describe() const {
  std::ostringstream s;
  s << (metadata_.kind == AdapterKind::Motion ? "motion adapter" : "spatial adapters") << " r" << metadata_.rank
    << " on " << layers_.size() << " layers";
  if (!metadata_.path.empty()) s << " (" << metadata_.path << ")";
  return s.str();
}

void LowRankAdapter::setScale(double scale) {
  if (!std::isfinite(scale)) throw ConfigError("adapter scale must be finite, got " + std::to_string(scale));
  if (merged_ && scale != *scale_)
    throw ConfigError(describe() + " is merged into the weights at scale " + std::to_string(*scale_) +
                      ": load the model again to use another scale");
  *scale_ = scale;
}

void LowRankAdapter::attach(models::UNet3D& unet) {
  const std::string who = metadata_.path.empty() ? describe() : metadata_.path;
  if (merged_) throw ConfigError(who + " is merged into a model already: load it again to attach it elsewhere");
  if (attached()) throw ConfigError(who + " is attached already");
  if (metadata_.kind == AdapterKind::Motion && !unet->hasMotionModules())
    throw ConfigError(who + ": a Motion Adapter acts on the motion modules: load an AnimateDiff motion module");

  if (!metadata_.baseFingerprint.empty() || !metadata_.motionFingerprint.empty()) {
    const UNetFingerprint now = fingerprintUNet(*unet);
    // The Motion Adapter is trained once per base T2V and then used over
    // customized spatial weights, so only its motion modules must match.
    fingerprintWarnings_.clear();
    auto refuse = [&](const std::string& problem) {
      if (enforceFingerprints_) throw ConfigError(problem + " (--force uses it anyway)");
      fingerprintWarnings_.push_back(problem + "; used anyway (--force): expect a weaker or wrong effect");
    };
    if (metadata_.kind == AdapterKind::Spatial && !metadata_.baseFingerprint.empty() &&
        !metadata_.baseFingerprint.matches(now.spatial))
      refuse(who + " was trained on another text-to-image model (fingerprint " +
             metadata_.baseFingerprint.fp16.substr(0, 12) + ", loaded " + now.spatial.fp16.substr(0, 12) +
             "): load the base model, customized checkpoint and LoRAs it was trained with");
    if (metadata_.kind == AdapterKind::Motion && !metadata_.baseFingerprint.empty() && !expectedBase_.empty() &&
        !metadata_.baseFingerprint.matches(expectedBase_))
      refuse(who + " was trained for another base model (fingerprint " + metadata_.baseFingerprint.fp16.substr(0, 12) +
             ", this base " + expectedBase_.fp16.substr(0, 12) +
             "): load the base text-to-image model it was trained with (customizations on top of it are fine)");
    if (!metadata_.motionFingerprint.empty() && !now.motion.empty() && !metadata_.motionFingerprint.matches(now.motion))
      refuse(who + " was trained with another motion module (fingerprint " +
             metadata_.motionFingerprint.fp16.substr(0, 12) + ", loaded " + now.motion.fp16.substr(0, 12) +
             "): load the motion module it was trained with");
  }

  // Every layer is checked before any hook goes in: a refused adapter leaves the UNet untouched.
  std::vector<Target> targets;
  targets.reserve(layers_.size());
  for (const Layer& layer : layers_) {
    Target target = findTarget(*unet, layer.path, who);
    const torch::Tensor& w = *target.weight;
    if ((w.dim() == 4) != layer.map->isConv())
      throw CheckpointError(who, layer.path + kDownSuffix, "is for a layer of another kind (Linear vs Conv2d)");
    const int64_t n = side_ == LowRankSide::Input ? w.size(1) : w.size(0);
    const torch::Tensor& a = layer.map->down();
    const torch::Tensor& b = layer.map->up();
    if (a.size(1) != n || (a.dim() == 4 && (a.size(2) != 1 || a.size(3) != 1))) {
      std::vector<int64_t> expected = a.sizes().vec();
      expected[1] = n;
      throw ShapeError(who + ": " + layer.path + kDownSuffix, expected, a.sizes().vec());
    }
    if (b.size(0) != w.size(0)) {
      std::vector<int64_t> expected = b.sizes().vec();
      expected[0] = w.size(0);
      throw ShapeError(who + ": " + layer.path + kUpSuffix, expected, b.sizes().vec());
    }
    targets.push_back(std::move(target));
  }
  for (size_t i = 0; i < layers_.size(); ++i) {
    layers_[i].map->moveTo(*targets[i].weight);
    targets[i].slot->add(layers_[i].map);
    hooked_.push_back(targets[i].module);
  }
}

void LowRankAdapter::detach(models::UNet3D& /*unet*/) {
  for (size_t i = 0; i < hooked_.size(); ++i) {
    torch::nn::Module& module = *hooked_[i];
    if (auto* linear = dynamic_cast<nn::AdaptableLinearImpl*>(&module)) linear->adapters.remove(layers_[i].map.get());
    if (auto* conv = dynamic_cast<nn::AdaptableConv2dImpl*>(&module)) conv->adapters.remove(layers_[i].map.get());
  }
  hooked_.clear();
}

void LowRankAdapter::merge(models::UNet3D& unet) {
  if (!attached()) attach(unet);
  const double s = *scale_;
  for (size_t i = 0; i < hooked_.size(); ++i) {
    torch::nn::Module& module = *hooked_[i];
    if (auto* linear = dynamic_cast<nn::AdaptableLinearImpl*>(&module))
      layers_[i].map->foldInto(linear->weight, linear->bias, s);
    if (auto* conv = dynamic_cast<nn::AdaptableConv2dImpl*>(&module))
      layers_[i].map->foldInto(conv->weight, conv->bias, s);
  }
  detach(unet);
  merged_ = true;
}

engine::NamedTensors LowRankAdapter::parameters() const {
  engine::NamedTensors out;
  out.reserve(layers_.size() * 2);
  for (const Layer& layer : layers_) {
    out.emplace_back(layer.path + kDownSuffix, layer.map->down());
    out.emplace_back(layer.path + kUpSuffix, layer.map->up());
  }
  return out;
}

void LowRankAdapter::save(const std::string& path) const {
  engine::NamedTensors tensors;
  for (auto& [name, tensor] : parameters()) tensors.emplace_back(name, tensor.detach().to(torch::kFloat32));
  std::map<std::string, std::string> meta = {
      {"format", kAdapterFormat},
      {"format_version", std::to_string(kAdapterFormatVersion)},
      {"kind", adapterKindName(metadata_.kind)},
      {"rank", std::to_string(metadata_.rank)},
      {"targets", metadata_.targets},
      {"scale", std::to_string(*scale_)},
  };
  if (!metadata_.baseFingerprint.empty()) meta["base_fingerprint"] = metadata_.baseFingerprint.toString();
  if (!metadata_.motionFingerprint.empty()) meta["motion_module_fingerprint"] = metadata_.motionFingerprint.toString();
  if (!metadata_.training.empty()) meta["training"] = metadata_.training;
  engine::writeTensors(path, tensors, meta);
}

std::shared_ptr<LowRankAdapter> LowRankAdapter::load(const std::string& path) {
  const io::StateDictIndex index = io::readSafetensors(path);
  if (metadataValue(index, "format") != kAdapterFormat)
    throw CheckpointError(path, "is not a Still-Moving adapter (no format \"stillmoving-adapter\" in its metadata)");
  const std::string version = metadataValue(index, "format_version");
  if (version != std::to_string(kAdapterFormatVersion))
    throw CheckpointError(path, "has adapter format version \"" + version + "\"; this build reads version " +
                                    std::to_string(kAdapterFormatVersion) + ": update Still-Moving Studio");
  AdapterMetadata meta;
  const std::string kind = metadataValue(index, "kind");
  if (kind == "motion-adapter")
    meta.kind = AdapterKind::Motion;
  else if (kind == "spatial-adapters")
    meta.kind = AdapterKind::Spatial;
  else
    throw CheckpointError(path, "has adapter kind \"" + kind + "\"; expected motion-adapter or spatial-adapters");
  meta.targets = metadataValue(index, "targets");
  meta.baseFingerprint = Fingerprint::parse(metadataValue(index, "base_fingerprint"));
  meta.motionFingerprint = Fingerprint::parse(metadataValue(index, "motion_module_fingerprint"));
  meta.training = metadataValue(index, "training");
  meta.path = path;

  // Not make_shared: the constructor is protected.
  std::shared_ptr<LowRankAdapter> adapter(
      new LowRankAdapter(meta, meta.kind == AdapterKind::Motion ? LowRankSide::Input : LowRankSide::Output));
  const auto opts = torch::TensorOptions().dtype(torch::kFloat32);
  for (const io::TensorInfo& info : index.tensors()) {
    if (!endsWith(info.name, kDownSuffix)) {
      if (!endsWith(info.name, kUpSuffix)) throw CheckpointError(path, info.name, "is not a lora_A / lora_B tensor");
      continue;
    }
    const std::string layer = info.name.substr(0, info.name.size() - std::string(kDownSuffix).size());
    const io::TensorInfo* up = index.find(layer + kUpSuffix);
    if (!up) throw CheckpointError(path, info.name, "has no matching " + layer + kUpSuffix);
    torch::Tensor a = engine::loadTensor(info, index.owner, opts);
    torch::Tensor b = engine::loadTensor(*up, index.owner, opts);
    const bool shapesOk = (a.dim() == 2 || a.dim() == 4) && a.dim() == b.dim() && b.size(1) == a.size(0) &&
                          (a.dim() == 2 || (b.size(2) == 1 && b.size(3) == 1));
    if (!shapesOk)
      throw CheckpointError(path, info.name,
                            "has shape " + shapeToString(a.sizes().vec()) + " with B " +
                                shapeToString(b.sizes().vec()) + ": not a low-rank pair");
    if (meta.kind == AdapterKind::Motion && a.dim() != 2)
      throw CheckpointError(path, info.name, "is a convolution map, but a Motion Adapter adapts Linear layers only");
    adapter->metadata_.rank = std::max(adapter->metadata_.rank, a.size(0));
    adapter->addLayer(layer, a, b);
  }
  for (const io::TensorInfo& info : index.tensors())
    if (endsWith(info.name, kUpSuffix) &&
        !index.contains(info.name.substr(0, info.name.size() - std::string(kUpSuffix).size()) + kDownSuffix))
      throw CheckpointError(path, info.name, "has no matching lora_A tensor");
  if (adapter->layers_.empty()) throw CheckpointError(path, "holds no adapter layers");
  const std::string scale = metadataValue(index, "scale");
  if (!scale.empty()) {
    char* end = nullptr;
    const double value = std::strtod(scale.c_str(), &end);
    if (end == scale.c_str() || *end != '\0' || !std::isfinite(value))
      throw CheckpointError(path, "has scale \"" + scale + "\" in its metadata, which is not a number");
    *adapter->scale_ = value;
  }
  return adapter;
}

}  // namespace sm::adapters
