#include "core/nn/positional_embedding.h"

#include <torch/torch.h>

#include <cmath>

namespace sm::nn {

torch::Tensor sinusoidalPositions(int64_t length, int64_t channels) {
  // The same float32 operations as diffusers' table, so the values match bit for bit.
  auto position = torch::arange(length, torch::kFloat32).unsqueeze(1);  // [length, 1]
  auto divTerm = torch::exp(torch::arange(0, channels, 2, torch::kFloat32) *
                            static_cast<float>(-std::log(10000.0) / static_cast<double>(channels)));  // [c/2]
  auto pe = torch::zeros({1, length, channels}, torch::kFloat32);
  auto args = position * divTerm;  // [length, c/2]
  pe.index_put_({0, torch::indexing::Slice(), torch::indexing::Slice(0, torch::indexing::None, 2)}, torch::sin(args));
  pe.index_put_({0, torch::indexing::Slice(), torch::indexing::Slice(1, torch::indexing::None, 2)}, torch::cos(args));
  return pe;
}

SinusoidalPositionalEmbeddingImpl::SinusoidalPositionalEmbeddingImpl(int64_t channels, int64_t maxSeqLength) {
  pe = register_buffer("pe", sinusoidalPositions(maxSeqLength, channels));
}

torch::Tensor SinusoidalPositionalEmbeddingImpl::forward(int64_t length, const torch::Tensor& like) {
  TORCH_CHECK(length <= pe.size(1), "position table of ", pe.size(1), " rows, ", length, " needed");
  return pe.slice(1, 0, length).to(like.options());  // [1, length, c]
}

}  // namespace sm::nn
