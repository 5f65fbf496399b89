#pragma once
// Linear and Conv2d layers that adapters can hook into. The Motion Adapter's
// LoRA (y + a B A x) and the Spatial Adapters' low-rank maps (y + B A y) both
// act on a layer's input and output without touching its weights, so the
// network's parameter names, its loading and its merging stay as they are.
// An adaptable layer with no adapter runs exactly the plain layer.
#include <torch/nn/modules/conv.h>
#include <torch/nn/modules/linear.h>

#include <memory>
#include <vector>

namespace sm::nn {

/// What one adapter does to one layer.
class LayerAdapter {
 public:
  virtual ~LayerAdapter() = default;
  /// The layer's new output, given its input and its output so far.
  virtual torch::Tensor adapt(const torch::Tensor& input, const torch::Tensor& output) = 0;
};

/// The adapters hooked onto one layer, applied in the order they were added.
class AdapterSlot {
 public:
  void add(std::shared_ptr<LayerAdapter> adapter);
  /// Removes `adapter`; returns false when it was not there.
  bool remove(const LayerAdapter* adapter);
  bool empty() const { return adapters_.empty(); }
  const std::vector<std::shared_ptr<LayerAdapter>>& adapters() const { return adapters_; }
  torch::Tensor apply(const torch::Tensor& input, torch::Tensor output) const;

 private:
  std::vector<std::shared_ptr<LayerAdapter>> adapters_;
};

/// torch::nn::Linear with an AdapterSlot. Callers must call this class's
/// forward (as<AdaptableLinear>()), not LinearImpl's, which would bypass it.
class AdaptableLinearImpl : public torch::nn::LinearImpl {
 public:
  using torch::nn::LinearImpl::LinearImpl;
  torch::Tensor forward(const torch::Tensor& input);
  AdapterSlot adapters;
};
TORCH_MODULE(AdaptableLinear);

/// torch::nn::Conv2d with an AdapterSlot.
class AdaptableConv2dImpl : public torch::nn::Conv2dImpl {
 public:
  using torch::nn::Conv2dImpl::Conv2dImpl;
  torch::Tensor forward(const torch::Tensor& input);
  AdapterSlot adapters;
};
TORCH_MODULE(AdaptableConv2d);

}  // namespace sm::nn
