#pragma once
// The toy world's model sizes: SD 1.5's architectures (AutoencoderKL, CLIP
// text encoder, UNet2DCondition, AnimateDiff v3-style motion modules) at widths
// that train on two CPU cores in minutes. The widths are multiples of 64 so the
// sizes an LDM single file implies (32 norm groups, 8 UNet heads, 64-wide CLIP
// heads) are exactly these: both layouts load the same model.
#include "core/models/clip/clip_text_config.h"
#include "core/models/motion/motion_module_config.h"
#include "core/models/unet/unet_config.h"
#include "core/models/vae/vae_config.h"

namespace sm::toyworld {

/// 64x64 pictures, 16-frame videos at 8 fps; latents 4 x 16 x 16. The VAE has
/// three blocks (4 pixels per latent, SD's has four and 8): the world's shapes are
/// 17-24 pixels across, which at 8 pixels per latent left 2-3 latents to tell a
/// star from a hexagon, and the first toy VAE could not.
inline constexpr int kImageSize = 64;
inline constexpr int kFrames = 16;
inline constexpr double kFps = 8.0;
/// Frames of the Motion and Spatial Adapters' training videos (fewer than
/// generated: the adapters learn per-frame appearance and stillness, not long motion).
inline constexpr int kFramesForAdapters = 8;
/// Rank of the Motion and Spatial Adapters (rank 8 did not fit the shipped world in its 30 MB).
inline constexpr int kAdapterRank = 4;
/// SD 1.5's factor: the toy VAE's latents are rescaled after training so it holds.
inline constexpr double kScalingFactor = 0.18215;
/// The loss weight at high noise (clamp(1/SNR, 1, this)) of what must learn how frames relate:
/// the motion modules and the Motion Adapter. Whether 16 frames show one scene, and whether
/// they move, is decided in the noisiest steps, where the plain loss hardly changes; trained
/// with it, the first motion modules left every frame its own background.
inline constexpr double kHighNoiseWeightCap = 50;

models::VAEConfig toyVaeConfig();
models::CLIPTextConfig toyTextConfig(int vocabSize);
models::UNetConfig toyUNetConfig();
models::MotionModuleConfig toyMotionConfig();

}  // namespace sm::toyworld
