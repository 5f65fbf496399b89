#pragma once
// Saving models in the layouts artists' tools read: a diffusers
// StableDiffusionPipeline folder, a single-file LDM checkpoint, and a diffusers
// MotionAdapter folder. What is written is exactly what the configs'
// expectedTensors() list (plus the motion modules' position tables), so the
// project's own readers (io::openModel, pipelines::loadBasePipeline) load it
// back equal. Every writer leaves either the complete result or nothing.
#include <torch/types.h>

#include <filesystem>

#include "core/models/clip/clip_text_model.h"
#include "core/models/unet/unet_3d.h"
#include "core/models/vae/autoencoder_kl.h"

namespace sm::models {

/// A diffusers pipeline folder: model_index.json (StableDiffusionPipeline),
/// scheduler/ (SD 1.5's PNDMScheduler), unet/, vae/, text_encoder/ (config.json
/// + weights) and tokenizer/ (a copy of the files of `tokenizerFolder`, a
/// diffusers tokenizer folder). unet/ holds the spatial UNet only, not the
/// motion modules (writeMotionAdapter). Weights are stored as `storeAs`
/// (kFloat32, kFloat16 or kBFloat16). Written into a hidden sibling folder that
/// replaces `folder` at the end. Throws ConfigError (a dtype, a tokenizer folder
/// without vocab.json / merges.txt), CheckpointError (a tensor missing from a
/// module), util::FileWriteError.
void writeDiffusersPipeline(const std::filesystem::path& folder, UNet3DImpl& unet, AutoencoderKLImpl& vae,
                            CLIPTextModelImpl& text, const std::filesystem::path& tokenizerFolder,
                            torch::Dtype storeAs);

/// One .safetensors in LDM naming (model.diffusion_model., first_stage_model.,
/// cond_stage_model.transformer.; io/key_maps/ldm_export.h), spatial UNet only.
/// Written atomically. An LDM file carries no config: readers infer it from the
/// shapes (CLIP heads 64 wide, 8 UNet heads, norm groups the largest divisor up
/// to 32), so a model outside those assumptions needs its configs at load time.
void writeLdmCheckpoint(const std::filesystem::path& file, UNet3DImpl& unet, AutoencoderKLImpl& vae,
                        CLIPTextModelImpl& text, torch::Dtype storeAs);
/// The same with the spatial UNet alone (model.diffusion_model.*), as a
/// fine-tune that changed only the UNet is often shared: the opener reads it
/// as an SD 1.5 checkpoint without VAE and text encoder, usable as --custom.
void writeLdmUNet(const std::filesystem::path& file, UNet3DImpl& unet, torch::Dtype storeAs);

/// A diffusers MotionAdapter folder: config.json (the UNet's MotionModuleConfig,
/// with the UNet's norm groups the modules use) and
/// diffusion_pytorch_model.safetensors with every `*.motion_modules.*` tensor,
/// position tables (`pos_embed.pe`) included, under its UNet3D name (which is
/// diffusers' MotionAdapter naming). Throws ConfigError when `unet` has no
/// motion modules.
void writeMotionAdapter(const std::filesystem::path& folder, UNet3DImpl& unet, torch::Dtype storeAs);

}  // namespace sm::models
