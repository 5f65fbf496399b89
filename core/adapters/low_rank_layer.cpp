#include "core/adapters/low_rank_layer.h"

#include <ATen/ops/conv2d.h>
#include <ATen/ops/linear.h>

namespace sm::adapters {

LowRankLayer::LowRankLayer(torch::Tensor down, torch::Tensor up, LowRankSide side, std::shared_ptr<const double> scale)
    : down_(std::move(down)), up_(std::move(up)), side_(side), scale_(std::move(scale)) {
  TORCH_CHECK(down_.dim() == up_.dim() && (down_.dim() == 2 || down_.dim() == 4), "low-rank layer: A ", down_.sizes(),
              " and B ", up_.sizes(), " must both be 2-D or both 4-D");
  TORCH_CHECK(up_.size(1) == down_.size(0), "low-rank layer: B ", up_.sizes(), " does not follow A ", down_.sizes());
  TORCH_CHECK(!(side_ == LowRankSide::Input && down_.dim() == 4), "low-rank layer: input-side maps are Linear only");
}

torch::Tensor LowRankLayer::adapt(const torch::Tensor& input, const torch::Tensor& output) {
  const double s = *scale_;
  if (s == 0.0) return output;
  const torch::Tensor& source = side_ == LowRankSide::Input ? input : output;
  torch::Tensor delta =
      isConv() ? at::conv2d(at::conv2d(source, down_), up_) : at::linear(at::linear(source, down_), up_);
  return output + delta * s;
}

void LowRankLayer::moveTo(const torch::Tensor& like) {
  // Keep leaf-ness: a converted copy is a new leaf carrying the old requires_grad.
  auto convert = [&](torch::Tensor& t) {
    if (t.dtype() == like.dtype() && t.device() == like.device()) return;
    const bool grad = t.requires_grad();
    t = t.detach().to(like.device(), like.scalar_type()).requires_grad_(grad);
  };
  convert(down_);
  convert(up_);
}

void LowRankLayer::foldInto(torch::Tensor& weight, torch::Tensor& bias, double s) const {
  torch::NoGradGuard noGrad;
  const torch::Tensor a = down_.detach().to(weight.device(), torch::kFloat32).flatten(1);  // [r, n]
  const torch::Tensor b = up_.detach().to(weight.device(), torch::kFloat32).flatten(1);    // [out, r]
  const torch::Tensor w = weight.to(torch::kFloat32).flatten(1);                           // [out, in*k*k]
  if (side_ == LowRankSide::Input) {
    weight.copy_((w + s * b.matmul(a)).view_as(weight));
    return;
  }
  // (I + s B A) applied to every column of W and to the bias.
  weight.copy_((w + s * b.matmul(a.matmul(w))).view_as(weight));
  if (bias.defined()) {
    const torch::Tensor c = bias.to(torch::kFloat32);
    bias.copy_(c + s * b.matmul(a.matmul(c)));
  }
}

}  // namespace sm::adapters
