#pragma once
// Sinusoidal timestep features and the MLP on top (time_embedding.linear_1/2).
// ref: diffusers@58eb52c0 src/diffusers/models/embeddings.py (get_timestep_embedding, TimestepEmbedding)
#include <torch/nn/module.h>
#include <torch/nn/modules/linear.h>

#include "core/nn/adaptable_layers.h"

namespace sm::nn {

/// t: [b] (integer or fractional timesteps) -> [b, dim] float32, [cos, sin]
/// halves when flipSinToCos (SD), frequencies exp(-ln(10000) i / (half - freqShift)).
torch::Tensor timestepFeatures(const torch::Tensor& t, int64_t dim, bool flipSinToCos, double freqShift);

class TimestepEmbeddingImpl : public torch::nn::Module {
 public:
  TimestepEmbeddingImpl(int64_t inChannels, int64_t embedDim);
  torch::Tensor forward(const torch::Tensor& features);
  AdaptableLinear linear_1{nullptr}, linear_2{nullptr};
};
TORCH_MODULE(TimestepEmbedding);

}  // namespace sm::nn
