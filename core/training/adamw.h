#pragma once
// AdamW (Loshchilov & Hutter, decoupled weight decay) over named parameters,
// step for step what torch.optim.AdamW / torch::optim::AdamW compute with
// amsgrad off, with state that can be saved by name into a training
// checkpoint and loaded back for an exact resume.
//
// Precision: the moments (and the update) are kept in float32 whatever the
// parameter's dtype (float64 parameters keep float64 state). For a parameter
// stored in a lower precision (bf16, fp16) the optimizer also keeps a float32
// master copy ("<param>.master"): the update is applied to the master and the
// parameter receives its rounded value, so small steps are not lost to bf16
// rounding. Float32 parameters are updated in place with torch's exact ops.
#include <torch/types.h>

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace sm::training {

using NamedTensors = std::vector<std::pair<std::string, torch::Tensor>>;

struct AdamWOptions {
  double lr = 1e-4;
  double beta1 = 0.9, beta2 = 0.999, eps = 1e-8, weightDecay = 1e-2;
};

class AdamW {
 public:
  /// `params` are leaves the caller trains; names must be unique and non-empty.
  /// Throws ConfigError for a duplicate name, an undefined or non-floating tensor,
  /// or options out of range (lr < 0, betas outside [0, 1), eps <= 0, weightDecay < 0).
  AdamW(NamedTensors params, AdamWOptions options = {});

  /// One update with the options' learning rate.
  void step() { step(options_.lr); }
  /// One update with learning rate `lr` (for a schedule). Parameters whose
  /// .grad() is undefined are skipped and their own step count stays put.
  void step(double lr);
  /// Drops every parameter's gradient (set to undefined, as set_to_none=True).
  void zeroGrad();
  /// How many times step() ran.
  int64_t steps() const { return steps_; }

  const AdamWOptions& options() const { return options_; }
  const NamedTensors& parameters() const { return params_; }

  /// The state, by name: "step" (int64 scalar: steps()), and per parameter
  /// "<param>.exp_avg", "<param>.exp_avg_sq" (float32, the parameter's shape),
  /// "<param>.step" (int64 scalar) and, for bf16/fp16 parameters, "<param>.master".
  /// The tensors are the optimizer's own: copy them before changing them.
  NamedTensors state() const;
  /// Replaces the state with `state` (as state() returned it, from any device).
  /// Throws ConfigError naming the tensor when one is missing or has another shape.
  void loadState(const NamedTensors& state);

 private:
  struct ParamState {
    torch::Tensor expAvg, expAvgSq;
    torch::Tensor master;  ///< float32 copy of a low-precision parameter; undefined otherwise
    int64_t step = 0;
  };

  NamedTensors params_;
  std::vector<ParamState> state_;
  AdamWOptions options_;
  int64_t steps_ = 0;
};

}  // namespace sm::training
