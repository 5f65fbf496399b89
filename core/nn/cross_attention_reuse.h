#pragma once
// Reuse of cross-attention keys and values within one generation (see the class).
#include <torch/types.h>

#include <cstdint>
#include <unordered_map>
#include <utility>

namespace sm::nn {

/// While one is open on a thread, cross-attention layers without gradients compute their
/// keys and values once per context tensor and reuse them: they depend only on the
/// prompt's embeddings, which every frame of a video and every denoising step share.
/// A context is recognised by identity (the same tensor object, which the scope keeps
/// alive), so open it per generation, once the weights are final, and do not write to
/// the context in place while it is open. Scopes nest; the innermost is used.
class CrossAttentionReuse {
 public:
  CrossAttentionReuse();
  ~CrossAttentionReuse();
  CrossAttentionReuse(const CrossAttentionReuse&) = delete;
  CrossAttentionReuse& operator=(const CrossAttentionReuse&) = delete;

  /// The scope open on this thread, or null.
  static CrossAttentionReuse* current();
  /// The keys and values `layer` projected from this very `context`, or null.
  const std::pair<torch::Tensor, torch::Tensor>* find(const void* layer, const torch::Tensor& context);
  /// Keeps them (and the context) until the scope closes or the layer sees another context.
  void keep(const void* layer, const torch::Tensor& context, std::pair<torch::Tensor, torch::Tensor> keysAndValues);

  /// Projections kept and reused since the scope opened (for tests and profiling).
  int64_t computed() const { return computed_; }
  int64_t reused() const { return reused_; }

 private:
  struct Entry {
    torch::Tensor context;
    std::pair<torch::Tensor, torch::Tensor> keysAndValues;
  };
  std::unordered_map<const void*, Entry> entries_;
  CrossAttentionReuse* outer_ = nullptr;
  int64_t computed_ = 0, reused_ = 0;
};

}  // namespace sm::nn
