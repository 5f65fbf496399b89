#pragma once
// A set of low-rank layer maps over a UNet3D, saved as one safetensors file:
// the common body of the Motion Adapter and the Spatial Adapters.
//
// File format (ARCHITECTURE_FACTS-style peft names): for every adapted layer
// `<layer path>.lora_A.weight` (A) and `<layer path>.lora_B.weight` (B), layer
// paths in diffusers UNetMotionModel naming; `__metadata__`: format
// "stillmoving-adapter", format_version "1", kind ("motion-adapter" or
// "spatial-adapters"), rank, targets, base_fingerprint and
// motion_module_fingerprint (see model_fingerprint.h), scale, training (the
// training settings as JSON). Tensors are float32.
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "core/adapters/low_rank_layer.h"
#include "core/adapters/model_fingerprint.h"
#include "core/adapters/unet_adapter.h"
#include "core/engine/tensor_writer.h"

namespace sm::adapters {

inline constexpr const char* kAdapterFormat = "stillmoving-adapter";
inline constexpr int kAdapterFormatVersion = 1;

struct AdapterMetadata {
  AdapterKind kind = AdapterKind::Motion;
  int64_t rank = 0;
  /// "temporal-attention" for the Motion Adapter; the layer groups for Spatial Adapters.
  std::string targets;
  /// The spatial weights (base or customized T2I) it was made on.
  Fingerprint baseFingerprint;
  /// The motion modules it was made on.
  Fingerprint motionFingerprint;
  /// The settings it was trained with, as JSON; "" for an untrained adapter.
  std::string training;
  /// The file it was loaded from; "" for one made in this process.
  std::string path;
};

std::string adapterKindName(AdapterKind kind);  ///< "motion-adapter" / "spatial-adapters"

class LowRankAdapter : public UNetAdapter {
 public:
  AdapterKind kind() const override { return metadata_.kind; }
  std::string describe() const override;
  /// Checks the fingerprints and every layer's shape before hooking anything.
  void attach(models::UNet3D& unet) override;
  /// Fingerprints that do not match the loaded models: refused (the default), or,
  /// when not enforced (the user's --force), attached and told in fingerprintWarnings().
  void enforceFingerprints(bool enforce) { enforceFingerprints_ = enforce; }
  const std::vector<std::string>& fingerprintWarnings() const { return fingerprintWarnings_; }
  /// A Motion Adapter's base: the spatial weights of the base model it is used with, before
  /// any customization (it may then go over any customized weights, as in the paper).
  void expectBase(Fingerprint baseSpatial) { expectedBase_ = std::move(baseSpatial); }
  void detach(models::UNet3D& unet) override;
  void merge(models::UNet3D& unet) override;
  void setScale(double scale) override;
  double scale() const override { return *scale_; }

  /// A and B of every layer, named as in the file. After attach() these are
  /// the tensors the hooks use (set requires_grad on them to train).
  engine::NamedTensors parameters() const;
  size_t layerCount() const { return layers_.size(); }
  bool attached() const { return !hooked_.empty(); }
  bool merged() const { return merged_; }
  const AdapterMetadata& metadata() const { return metadata_; }
  AdapterMetadata& metadata() { return metadata_; }

  /// Writes the adapter atomically (float32 on the CPU, whatever its device).
  void save(const std::string& path) const;
  /// Reads an adapter file of either kind. Throws CheckpointError naming the
  /// file when it is not a Still-Moving adapter or is malformed.
  static std::shared_ptr<LowRankAdapter> load(const std::string& path);

 protected:
  LowRankAdapter(AdapterMetadata metadata, LowRankSide side);
  void addLayer(std::string layerPath, torch::Tensor down, torch::Tensor up);
  /// A fresh map for `layer`: A uniform in +-1/sqrt(n) from `generator` (peft's
  /// default), B zero. Rank min(rank, n).
  void addFreshLayer(const std::string& layerPath, int64_t n, int64_t out, bool conv, int64_t rank,
                     at::Generator& generator);

 private:
  struct Layer {
    std::string path;
    std::shared_ptr<LowRankLayer> map;
  };
  AdapterMetadata metadata_;
  LowRankSide side_;
  std::shared_ptr<double> scale_ = std::make_shared<double>(1.0);
  std::vector<Layer> layers_;
  /// The modules the layers are hooked on, in layers_ order, while attached.
  std::vector<std::shared_ptr<torch::nn::Module>> hooked_;
  bool merged_ = false;
  bool enforceFingerprints_ = true;
  Fingerprint expectedBase_;
  std::vector<std::string> fingerprintWarnings_;
};

}  // namespace sm::adapters
