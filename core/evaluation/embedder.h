#pragma once
// What the evaluation embeds frames and prompts with: the toy world's
// evaluator, or a real CLIP (a transformers CLIPModel folder). Both give unit
// vectors in one image/text space, so CLIP-I and CLIP-T are cosines.
#include <torch/types.h>

#include <memory>
#include <string>
#include <vector>

#include "core/video/video_frames.h"

namespace sm::evaluation {

class Embedder {
 public:
  virtual ~Embedder() = default;
  /// "toy evaluator (PATH)" or "CLIP (PATH)", for reports.
  virtual std::string name() const = 0;
  /// [N, D] float32, unit rows, one per frame (any size: each embedder preprocesses as it was trained).
  virtual torch::Tensor images(const std::vector<video::Frame>& frames) = 0;
  /// [N, D] float32, unit rows.
  virtual torch::Tensor texts(const std::vector<std::string>& prompts) = 0;
};

/// `spec`: "toy" (the shipped toy world's evaluator), a toy evaluator's
/// .safetensors file, or a transformers CLIPModel folder (config.json,
/// model.safetensors, and the tokenizer's vocab.json + merges.txt). Throws
/// ConfigError / CheckpointError naming the path and what to give instead.
std::unique_ptr<Embedder> openEmbedder(const std::string& spec);

}  // namespace sm::evaluation
