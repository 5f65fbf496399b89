#include "core/nn/checkpoint_function.h"

#include <torch/torch.h>

#include "core/nn/autocast_state.h"

namespace sm::nn {
namespace {

using torch::autograd::AutogradContext;
using torch::autograd::variable_list;

// What backward needs besides the saved inputs; kept on the autograd node.
struct CheckpointState : torch::CustomClassHolder {
  CheckpointedFunction fn;
  size_t inputCount = 0;  ///< fn's own inputs; a dummy may follow them
  /// For each of fn's outputs, its position among the distinct outputs.
  std::vector<size_t> outputSlot;
  AutocastState autocast;
};

// The autograd Function cannot return one tensor twice (both copies would claim
// the same output slot of the node), so repeated outputs are merged.
variable_list distinctOutputs(const variable_list& outputs, std::vector<size_t>& slot) {
  variable_list distinct;
  slot.clear();
  for (const auto& out : outputs) {
    TORCH_CHECK(out.defined(), "checkpoint: the checkpointed function returned an undefined tensor");
    size_t k = 0;
    while (k < distinct.size() && !distinct[k].is_same(out)) ++k;
    if (k == distinct.size()) distinct.push_back(out);
    slot.push_back(k);
  }
  return distinct;
}

class CheckpointFunction : public torch::autograd::Function<CheckpointFunction> {
 public:
  static variable_list forward(AutogradContext* ctx, const c10::intrusive_ptr<CheckpointState>& state,
                               const at::TensorList& inputs) {
    // apply() already runs forward with grad off; the activations are not kept.
    ctx->save_for_backward(inputs.vec());
    ctx->saved_data["state"] = c10::IValue::make_capsule(state);
    const variable_list fnInputs(inputs.begin(), inputs.begin() + static_cast<ptrdiff_t>(state->inputCount));
    return distinctOutputs(state->fn(fnInputs), state->outputSlot);
  }

  static variable_list backward(AutogradContext* ctx, variable_list gradOutputs) {
    auto state = c10::static_intrusive_pointer_cast<CheckpointState>(ctx->saved_data["state"].toCapsule());
    const variable_list saved = ctx->get_saved_variables();
    variable_list detached;
    detached.reserve(saved.size());
    for (const auto& input : saved) detached.push_back(input.detach().requires_grad_(input.requires_grad()));

    variable_list outputs;
    {
      torch::AutoGradMode gradMode(true);
      AutocastStateGuard autocast(state->autocast);
      const variable_list fnInputs(detached.begin(), detached.begin() + static_cast<ptrdiff_t>(state->inputCount));
      std::vector<size_t> slot;
      outputs = distinctOutputs(state->fn(fnInputs), slot);
      TORCH_CHECK(slot == state->outputSlot,
                  "checkpoint: the recomputation returned other outputs than the forward; the checkpointed "
                  "function must compute the same thing each time");
    }
    TORCH_CHECK(outputs.size() == gradOutputs.size(), "checkpoint: ", outputs.size(), " outputs but ",
                gradOutputs.size(), " gradients");
    variable_list roots, rootGrads;
    for (size_t i = 0; i < outputs.size(); ++i) {
      if (!outputs[i].requires_grad() || !gradOutputs[i].defined()) continue;
      roots.push_back(outputs[i]);
      rootGrads.push_back(gradOutputs[i]);
    }
    // Reentrant: this accumulates into every leaf fn used, and into `detached`.
    if (!roots.empty()) torch::autograd::backward(roots, rootGrads);

    variable_list grads{torch::Tensor()};  // the state argument has no gradient
    for (const auto& input : detached) grads.push_back(input.requires_grad() ? input.grad() : torch::Tensor());
    return grads;
  }
};

}  // namespace

std::vector<torch::Tensor> checkpoint(const CheckpointedFunction& fn, const std::vector<torch::Tensor>& inputs) {
  if (!torch::GradMode::is_enabled()) return fn(inputs);
  for (const auto& input : inputs) TORCH_CHECK(input.defined(), "checkpoint: an input tensor is undefined");
  auto state = c10::make_intrusive<CheckpointState>();
  state->fn = fn;
  state->inputCount = inputs.size();
  state->autocast = AutocastState::current();
  std::vector<torch::Tensor> args = inputs;
  bool anyRequiresGrad = false;
  for (const auto& input : inputs) anyRequiresGrad = anyRequiresGrad || input.requires_grad();
  // Without an input that requires grad the node would not join the graph and
  // the leaves inside fn (e.g. adapters in a frozen UNet) would get nothing.
  if (!anyRequiresGrad) args.push_back(torch::empty({0}, torch::TensorOptions().requires_grad(true)));
  const variable_list distinct = CheckpointFunction::apply(state, at::TensorList(args));
  std::vector<torch::Tensor> outputs;
  outputs.reserve(state->outputSlot.size());
  for (size_t slot : state->outputSlot) outputs.push_back(distinct[slot]);
  return outputs;
}

}  // namespace sm::nn
