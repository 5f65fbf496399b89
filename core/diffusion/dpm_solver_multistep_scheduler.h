#pragma once
// DPM-Solver++ 2M (Lu et al. 2022): diffusers' DPMSolverMultistepScheduler with
// algorithm_type "dpmsolver++", solver_order 2, solver_type "midpoint",
// lower_order_final and final_sigmas_type "zero". A second-order multistep
// method: each step reuses the previous step's x0 prediction, so the state
// must be reset (setTimesteps) between runs.
// ref: diffusers v0.35.2 src/diffusers/schedulers/scheduling_dpmsolver_multistep.py (DPMSolverMultistepScheduler)
#include <array>

#include "core/diffusion/scheduler.h"

namespace sm::diffusion {

class DPMSolverMultistepScheduler : public Scheduler {
 public:
  /// Throws ConfigError for an invalid config.
  explicit DPMSolverMultistepScheduler(const SchedulerConfig& config);

  SamplerKind kind() const override { return SamplerKind::DPMSolverPlusPlus2M; }
  /// Integer timesteps (its own spacing formulas, which differ from DDIM's),
  /// and forgets the previous run's model outputs.
  void setTimesteps(int numSteps) override;
  std::vector<double> sigmas() const override;
  /// Steps must follow each other after the first one, which may be any step
  /// (an img2img run starts part way down the schedule). The first step and
  /// the last one are first order. Computes in float32 and returns the model
  /// output's dtype, as diffusers does.
  torch::Tensor step(const torch::Tensor& modelOutput, int stepIndex, const torch::Tensor& sample,
                     std::optional<at::Generator> generator = std::nullopt) override;

 private:
  std::vector<double> spacedTimesteps(int numSteps) const;
  torch::Tensor convertModelOutput(const torch::Tensor& modelOutput, int stepIndex, const torch::Tensor& sample) const;
  torch::Tensor firstOrderUpdate(const torch::Tensor& x0, int stepIndex, const torch::Tensor& sample) const;
  torch::Tensor secondOrderUpdate(int stepIndex, const torch::Tensor& sample) const;

  std::vector<float> sigmaTable_;  ///< sigma(t) for t = 0 .. numTrainTimesteps-1
  torch::Tensor sigmas_;           ///< float32 [numSteps + 1] on the CPU, the last one 0
  /// x0 predictions of the previous and the current step (diffusers' model_outputs).
  std::array<torch::Tensor, 2> modelOutputs_;
  int lowerOrderNums_ = 0;
  int nextStep_ = -1;  ///< -1 until the first step after setTimesteps
};

}  // namespace sm::diffusion
