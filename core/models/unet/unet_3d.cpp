#include "core/models/unet/unet_3d.h"

#include <torch/nn/functional/activation.h>
#include <torch/torch.h>

#include "core/jobs/job.h"
#include "core/nn/checkpoint_function.h"
#include "core/util/error.h"

namespace sm::models {
namespace {

namespace F = torch::nn::functional;

void checkMotionMatchesUNet(const UNetConfig& unet, const MotionModuleConfig& motion) {
  motion.validate();
  if (motion.block_out_channels != unet.block_out_channels)
    throw ConfigError("motion modules do not fit this UNet: their block_out_channels differ from the UNet's");
  if (motion.motion_layers_per_block != unet.layers_per_block)
    throw ConfigError("motion modules do not fit this UNet: motion_layers_per_block " +
                      std::to_string(motion.motion_layers_per_block) + " but the UNet has " +
                      std::to_string(unet.layers_per_block) + " layers per block");
  for (int c : unet.block_out_channels)
    if (c % unet.norm_num_groups != 0)
      throw ConfigError("motion modules: channels not divisible by the UNet's norm_num_groups");
}

// Frames folded into the batch: [b, c, f, h, w] -> [b*f, c, h, w]; 4-D tensors pass through.
torch::Tensor foldFrames(const torch::Tensor& x) {
  if (x.dim() != 5) return x;
  return x.permute({0, 2, 1, 3, 4})
      .reshape({x.size(0) * x.size(2), x.size(1), x.size(3), x.size(4)});  // [b*f, c, h, w]
}

// Gradient checkpointing: each block runs as one checkpointed function whose
// inputs are x, temb, context (and, for an up block, the skips it pops) and
// whose outputs are x (and, for a down block, the skips it pushes), so that the
// skip tensors cross the checkpoint boundary like any other activation.
BlockInputs withTensors(const BlockInputs& in, const torch::Tensor& temb, const torch::Tensor& context) {
  BlockInputs out = in;
  out.temb = temb;
  out.context = context;
  return out;
}

torch::Tensor runDownBlock(const std::shared_ptr<DownBlockImpl>& block, const torch::Tensor& x, const BlockInputs& in,
                           std::vector<torch::Tensor>& skips, bool checkpointing) {
  if (!checkpointing) return block->forward(x, in, skips);
  const BlockInputs settings = withTensors(in, {}, {});
  auto run = [block, settings](const std::vector<torch::Tensor>& t) {
    std::vector<torch::Tensor> pushed;
    torch::Tensor y = block->forward(t[0], withTensors(settings, t[1], t[2]), pushed);
    pushed.insert(pushed.begin(), y);  // [x, pushed skips...]
    return pushed;
  };
  const auto out = nn::checkpoint(run, {x, in.temb, in.context});
  skips.insert(skips.end(), out.begin() + 1, out.end());
  return out[0];
}

torch::Tensor runMidBlock(const std::shared_ptr<MidBlockImpl>& block, const torch::Tensor& x, const BlockInputs& in,
                          bool checkpointing) {
  if (!checkpointing) return block->forward(x, in);
  const BlockInputs settings = withTensors(in, {}, {});
  auto run = [block, settings](const std::vector<torch::Tensor>& t) {
    return std::vector<torch::Tensor>{block->forward(t[0], withTensors(settings, t[1], t[2]))};
  };
  return nn::checkpoint(run, {x, in.temb, in.context})[0];
}

torch::Tensor runUpBlock(const std::shared_ptr<UpBlockImpl>& block, const torch::Tensor& x, const BlockInputs& in,
                         std::vector<torch::Tensor>& skips, const std::optional<std::vector<int64_t>>& size,
                         bool checkpointing) {
  if (!checkpointing) return block->forward(x, in, skips, size);
  const size_t popped = block->resnets->size();  // one skip per layer
  TORCH_CHECK(skips.size() >= popped, "UNet: ", skips.size(), " skip tensors left for an up block of ", popped);
  std::vector<torch::Tensor> inputs{x, in.temb, in.context};
  inputs.insert(inputs.end(), skips.end() - static_cast<ptrdiff_t>(popped), skips.end());
  const BlockInputs settings = withTensors(in, {}, {});
  auto run = [block, settings, size](const std::vector<torch::Tensor>& t) {
    std::vector<torch::Tensor> own(t.begin() + 3, t.end());
    return std::vector<torch::Tensor>{block->forward(t[0], withTensors(settings, t[1], t[2]), own, size)};
  };
  const auto out = nn::checkpoint(run, inputs);
  skips.resize(skips.size() - popped);
  return out[0];
}

}  // namespace

UNet3DImpl::UNet3DImpl(const UNetConfig& config, const std::optional<MotionModuleConfig>& motionConfig,
                       const UNet3DOptions& options)
    : config_(config), motionConfig_(motionConfig), options_(options) {
  config_.validate();
  if (config_.mid_block_type != "UNetMidBlock2DCrossAttn")
    throw ConfigError("UNet config: mid_block_type '" + config_.mid_block_type + "' is not supported");
  if (motionConfig_) checkMotionMatchesUNet(config_, *motionConfig_);
  const auto& ch = config_.block_out_channels;
  const size_t n = ch.size();
  const int64_t temb = config_.timeEmbeddingDim();

  auto blockOptions = [&](int64_t channels, bool crossAttention, int heads, int motionLayers) {
    BlockOptions o;
    o.outChannels = channels;
    o.tembChannels = temb;
    o.groups = config_.norm_num_groups;
    o.eps = config_.norm_eps;
    if (crossAttention)
      o.attention = Transformer2DOptions{channels,
                                         heads,
                                         config_.cross_attention_dim,
                                         config_.transformer_layers_per_block,
                                         config_.norm_num_groups,
                                         config_.use_linear_projection};
    if (motionConfig_)
      o.motion = MotionModuleOptions{channels, motionConfig_->motion_num_attention_heads, config_.norm_num_groups,
                                     motionLayers, motionConfig_->motion_max_seq_length};
    return o;
  };

  conv_in = register_module("conv_in",
                            nn::AdaptableConv2d(torch::nn::Conv2dOptions(config_.in_channels, ch[0], 3).padding(1)));
  time_embedding = register_module("time_embedding", nn::TimestepEmbedding(ch[0], temb));
  const int motionLayers = motionConfig_ ? motionConfig_->motion_transformer_layers_per_block : 0;
  down_blocks = register_module("down_blocks", torch::nn::ModuleList());
  for (size_t i = 0; i < n; ++i) {
    const int64_t in = i == 0 ? ch[0] : ch[i - 1];
    down_blocks->push_back(
        DownBlock(in, config_.layers_per_block, i + 1 < n,
                  blockOptions(ch[i], config_.hasCrossAttention(i), config_.attention_head_dim[i], motionLayers)));
  }
  BlockOptions mid = blockOptions(ch[n - 1], true, config_.attention_head_dim[n - 1],
                                  motionConfig_ ? motionConfig_->motion_transformer_layers_per_mid_block : 0);
  if (!motionConfig_ || !motionConfig_->use_motion_mid_block) mid.motion.reset();
  mid_block = register_module("mid_block", MidBlock(mid));
  up_blocks = register_module("up_blocks", torch::nn::ModuleList());
  // Skip channels in pop order: the down path pushed, per level, its layers then its downsampler.
  std::vector<int64_t> pushed{ch[0]};
  for (size_t i = 0; i < n; ++i) {
    for (int j = 0; j < config_.layers_per_block; ++j) pushed.push_back(ch[i]);
    if (i + 1 < n) pushed.push_back(ch[i]);
  }
  int64_t prev = ch[n - 1];
  for (size_t i = 0; i < n; ++i) {
    const int64_t out = ch[n - 1 - i];
    std::vector<int64_t> skips;
    for (int j = 0; j <= config_.layers_per_block; ++j) {
      skips.push_back(pushed.back());
      pushed.pop_back();
    }
    up_blocks->push_back(UpBlock(
        prev, skips, i + 1 < n,
        blockOptions(out, config_.upHasCrossAttention(i), config_.attention_head_dim[n - 1 - i], motionLayers)));
    prev = out;
  }
  conv_norm_out = register_module(
      "conv_norm_out",
      torch::nn::GroupNorm(torch::nn::GroupNormOptions(config_.norm_num_groups, ch[0]).eps(config_.norm_eps)));
  conv_out = register_module("conv_out",
                             nn::AdaptableConv2d(torch::nn::Conv2dOptions(ch[0], config_.out_channels, 3).padding(1)));
}

torch::Tensor UNet3DImpl::timeEmbedding(const torch::Tensor& timestep, int64_t batch, const torch::Tensor& like) {
  auto t = timestep.to(like.device()).reshape({-1});  // [1] or [b]
  TORCH_CHECK(t.numel() == 1 || t.numel() == batch, "UNet: ", t.numel(), " timesteps for a batch of ", batch);
  t = t.expand({batch});
  auto features = nn::timestepFeatures(t, config_.block_out_channels[0], config_.flip_sin_to_cos,
                                       static_cast<double>(config_.freq_shift));  // [b, c0] float32
  return time_embedding(features.to(like.scalar_type()));                         // [b, temb]
}

torch::Tensor UNet3DImpl::forward(const torch::Tensor& sample, const torch::Tensor& timestep,
                                  const torch::Tensor& encoderHiddenStates, const ControlNetResiduals* control) {
  TORCH_CHECK(sample.dim() == 4 || sample.dim() == 5, "UNet: sample must be [B, C, F, h, w] or [B, C, h, w]");
  const bool video = sample.dim() == 5;
  const int64_t b = sample.size(0), frames = video ? sample.size(2) : 1;
  if (video && motionConfig_ && frames > motionConfig_->motion_max_seq_length)
    throw ConfigError(std::to_string(frames) + " frames exceed the motion modules' maximum of " +
                      std::to_string(motionConfig_->motion_max_seq_length) + " (motion_max_seq_length, " +
                      std::string(motionModuleVersionName(motionConfig_->version)) + ")");
  BlockInputs in;
  in.frames = frames;
  in.runMotion = video;
  in.motionNormPerFrame = options_.motionNormPerFrame;
  in.spatialNormAcrossFrames = options_.spatialNormAcrossFrames && video;
  auto x = foldFrames(sample);                                           // [b*f, c, h, w]
  in.temb = timeEmbedding(timestep, b, x).repeat_interleave(frames, 0);  // [b*f, temb]
  // One row per video (the cross-attention layers project it once for all its frames) or one per frame.
  in.context = encoderHiddenStates;
  TORCH_CHECK(in.context.size(0) == b || in.context.size(0) == b * frames, "UNet: encoder hidden states batch ",
              encoderHiddenStates.size(0), " fits neither ", b, " nor ", b * frames);

  x = conv_in(x);
  std::vector<torch::Tensor> skips{x};
  const bool checkpointing = gradientCheckpointing_ && torch::GradMode::is_enabled();
  // Between blocks, a cancelled job stops within a fraction of one call (not inside
  // blocks: with gradient checkpointing those run again in the backward pass).
  for (const auto& block : *down_blocks) {
    jobs::throwIfCancelledHere();
    x = runDownBlock(std::dynamic_pointer_cast<DownBlockImpl>(block), x, in, skips, checkpointing);
  }
  if (control && !control->down.empty()) {
    TORCH_CHECK(control->down.size() == skips.size(), "UNet: ", control->down.size(), " ControlNet down residuals for ",
                skips.size(), " skip tensors");
    for (size_t k = 0; k < skips.size(); ++k) skips[k] = skips[k] + foldFrames(control->down[k]);
  }
  x = runMidBlock(mid_block.ptr(), x, in, checkpointing);
  if (control && control->mid.defined()) x = x + foldFrames(control->mid);

  // Inputs whose size is not a multiple of 2^(levels-1) upsample to the skip's size.
  const int64_t factor = int64_t{1} << (up_blocks->size() - 1);
  const bool forwardSize = sample.size(-1) % factor != 0 || sample.size(-2) % factor != 0;
  for (size_t i = 0; i < up_blocks->size(); ++i) {
    std::optional<std::vector<int64_t>> size;
    const size_t layers = static_cast<size_t>(config_.layers_per_block) + 1;
    if (forwardSize && i + 1 < up_blocks->size() && skips.size() > layers) {
      const auto& next = skips[skips.size() - layers - 1];
      size = std::vector<int64_t>{next.size(2), next.size(3)};
    }
    jobs::throwIfCancelledHere();
    x = runUpBlock(std::dynamic_pointer_cast<UpBlockImpl>(up_blocks[i]), x, in, skips, size, checkpointing);
  }

  x = in.spatialNormAcrossFrames ? groupNormAcrossFrames(*conv_norm_out, x, frames) : conv_norm_out(x);
  x = conv_out(F::silu(x));  // [b*f, out, h, w]
  if (!video) return x;
  return x.view({b, frames, x.size(1), x.size(2), x.size(3)}).permute({0, 2, 1, 3, 4});  // [b, out, f, h, w]
}

}  // namespace sm::models
