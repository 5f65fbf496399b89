#pragma once
// One layer's low-rank adapter: the piece both Still-Moving adapters are made of.
//   Input side  (LoRA, the Motion Adapter):  y' = y + s * B A x     (W' = W + s B A)
//   Output side (the Spatial Adapters):      y' = y + s * B A y     (W' = (I + s B A) W)
// A is [r, n] (n = the layer's input width for the input side, its output
// width for the output side; [r, c, 1, 1] for convolutions, a 1x1 map over
// channels), B is [out, r] ([out, r, 1, 1]). B starts at zero, so a fresh
// adapter changes nothing, and s = 0 skips the map altogether: no output bit changes.
#include <torch/nn/module.h>

#include <memory>

#include "core/nn/adaptable_layers.h"

namespace sm::adapters {

enum class LowRankSide { Input, Output };

class LowRankLayer : public nn::LayerAdapter {
 public:
  /// `scale` is shared by every layer of one adapter (the motion slider moves them all).
  LowRankLayer(torch::Tensor down, torch::Tensor up, LowRankSide side, std::shared_ptr<const double> scale);

  torch::Tensor adapt(const torch::Tensor& input, const torch::Tensor& output) override;

  /// A (trainable; replaced by a converted copy when attached to a layer of another dtype or device).
  torch::Tensor& down() { return down_; }
  /// B.
  torch::Tensor& up() { return up_; }
  LowRankSide side() const { return side_; }
  int64_t rank() const { return down_.size(0); }
  bool isConv() const { return down_.dim() == 4; }

  /// Moves A and B to `like`'s dtype and device (no copy when they match).
  void moveTo(const torch::Tensor& like);
  /// Folds the map at scale `s` into the layer's weight [out, ...] and bias
  /// (may be undefined), computed in fp32 and cast back.
  void foldInto(torch::Tensor& weight, torch::Tensor& bias, double s) const;

 private:
  torch::Tensor down_, up_;
  LowRankSide side_;
  std::shared_ptr<const double> scale_;
};

}  // namespace sm::adapters
