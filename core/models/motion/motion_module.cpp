#include "core/models/motion/motion_module.h"

#include <torch/torch.h>

#include "core/models/unet/transformer_2d.h"
#include "core/util/error.h"

namespace sm::models {

AnimateDiffTransformer3DImpl::AnimateDiffTransformer3DImpl(const MotionModuleOptions& o)
    : maxSeqLength_(o.maxSeqLength) {
  const int64_t c = o.channels;
  norm = register_module("norm", torch::nn::GroupNorm(torch::nn::GroupNormOptions(o.groups, c).eps(1e-6)));
  proj_in = register_module("proj_in", nn::AdaptableLinear(c, c));
  transformer_blocks = register_module("transformer_blocks", torch::nn::ModuleList());
  // Both attentions are temporal self-attentions (crossAttentionDim 0): no text context.
  for (int64_t i = 0; i < o.layers; ++i)
    transformer_blocks->push_back(BasicTransformerBlock(BasicTransformerBlockOptions{c, o.heads, 0, o.maxSeqLength}));
  proj_out = register_module("proj_out", nn::AdaptableLinear(c, c));
}

torch::Tensor AnimateDiffTransformer3DImpl::forward(const torch::Tensor& x, int64_t frames, bool normPerFrame) {
  if (frames > maxSeqLength_)
    throw ConfigError("motion module: " + std::to_string(frames) + " frames exceed its maximum of " +
                      std::to_string(maxSeqLength_) + " (max_seq_length)");
  TORCH_CHECK(frames > 0 && x.size(0) % frames == 0, "motion module: batch ", x.size(0), " is not a multiple of ",
              frames, " frames");
  const int64_t bf = x.size(0), c = x.size(1), height = x.size(2), width = x.size(3);
  const int64_t b = bf / frames;
  torch::Tensor h;
  if (normPerFrame) {
    h = norm(x).view({b, frames, c, height, width});  // [b, f, c, h, w]
  } else {
    // GroupNorm over (c/groups, f, h, w): statistics across all frames of a video.
    h = norm(x.view({b, frames, c, height, width}).permute({0, 2, 1, 3, 4}));  // [b, c, f, h, w]
    h = h.permute({0, 2, 1, 3, 4});                                            // [b, f, c, h, w]
  }
  h = h.permute({0, 3, 4, 1, 2}).reshape({b * height * width, frames, c});  // [b*h*w, f, c]
  h = proj_in(h);
  for (const auto& block : *transformer_blocks) h = block->as<BasicTransformerBlock>()->forward(h);
  h = proj_out(h);
  h = h.view({b, height, width, frames, c}).permute({0, 3, 4, 1, 2}).reshape({bf, c, height, width});  // [b*f, c, h, w]
  return h + x;
}

}  // namespace sm::models
