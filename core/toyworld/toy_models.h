#pragma once
// The toy world's trained parts as the later stages need them: the tokenizer
// (a reduced CLIP vocabulary of the world's words), frozen models read back
// from the stage files, captions to ids, pictures to latents.
#include <torch/types.h>

#include <string>
#include <vector>

#include "core/models/clip/clip_text_model.h"
#include "core/models/unet/unet_3d.h"
#include "core/models/vae/autoencoder_kl.h"
#include "core/text/clip_tokenizer.h"
#include "core/toyworld/stage_files.h"

namespace sm::toyworld {

/// Writes the tokenizer folder (root/tokenizer) on first use, then reads it.
text::CLIPTokenizer toyTokenizer(const WorldFolder& folder);
/// [B, 77] int64 ids, SD's padding.
torch::Tensor tokenize(const text::CLIPTokenizer& tokenizer, const std::vector<std::string>& captions);

/// Frozen (eval, no gradients) models from the finished stages.
models::AutoencoderKL loadToyVae(const WorldFolder& folder);
models::CLIPTextModel loadToyTextEncoder(const WorldFolder& folder, int vocabSize);
/// The T2I UNet from `stage`'s weights ("t2i" or a customization); with the
/// motion modules of the "motion" stage when `withMotion`.
models::UNet3D loadToyUNet(const WorldFolder& folder, const std::string& stage, bool withMotion);
void freeze(torch::nn::Module& module);

/// Pictures [B, 3, H, W] in [-1, 1] -> scaled latents [B, 4, h, w]; videos
/// [B, 3, F, H, W] -> [B, 4, F, h, w]. No gradients.
torch::Tensor encodeLatents(models::AutoencoderKLImpl& vae, const torch::Tensor& pixels);

}  // namespace sm::toyworld
