#pragma once
// AnimateDiff's temporal position table (diffusers SinusoidalPositionalEmbedding):
// a buffer `pe` [1, maxSeqLength, channels], added to a sequence's first n
// positions. The buffer is the checkpoint's `pos_embed.pe` when the file has one
// (diffusers loads its persistent buffer) and the computed table otherwise.
// ref: diffusers v0.35.2 src/diffusers/models/embeddings.py:1352-1376 (SinusoidalPositionalEmbedding)
#include <torch/nn/module.h>

namespace sm::nn {

/// pe[0, p, 2i] = sin(p w_i), pe[0, p, 2i+1] = cos(p w_i), w_i = exp(-2i ln(10000) / channels); float32.
torch::Tensor sinusoidalPositions(int64_t length, int64_t channels);

class SinusoidalPositionalEmbeddingImpl : public torch::nn::Module {
 public:
  SinusoidalPositionalEmbeddingImpl(int64_t channels, int64_t maxSeqLength);
  /// The table's first `length` rows, [1, length, channels], as `like`'s dtype and
  /// device: the caller adds it to the normalised input of each attention.
  torch::Tensor forward(int64_t length, const torch::Tensor& like);

  torch::Tensor pe;
};
TORCH_MODULE(SinusoidalPositionalEmbedding);

}  // namespace sm::nn
