#pragma once
// Gradient checkpointing for LibTorch C++, which has no torch.utils.checkpoint:
// a function of tensors runs without keeping its activations, and backward
// runs it again (with grad) to get them. Memory for the UNet's activations
// drops to the blocks' inputs and outputs, at the price of a second forward.
//
// This is PyTorch's *reentrant* checkpoint: backward re-runs the function on
// detached copies of the inputs and calls torch::autograd::backward on the
// recomputed outputs. So gradients reach every leaf the function uses, inputs
// or not: the adapters hooked into a block's layers (nn::AdapterSlot) get
// their .grad() accumulated like the block's own parameters. Limitations, as in
// PyTorch: no double backward (create_graph), and .grad() of leaves inside the
// function is only written by backward(), not returned by torch::autograd::grad.
// Autocast settings of the forward are restored for the recomputation. The
// random state is not: the function must be deterministic (our blocks are;
// their dropout is 0).
#include <torch/types.h>

#include <functional>
#include <vector>

namespace sm::nn {

using CheckpointedFunction = std::function<std::vector<torch::Tensor>(const std::vector<torch::Tensor>&)>;

/// Returns fn(inputs). When grad mode is on, fn runs under no-grad and is run
/// again during backward. `inputs` must be defined tensors; fn must return
/// defined tensors, compute the same thing each time, and must not modify its
/// inputs in place. Outputs may repeat a tensor or return an input.
/// When no input requires grad (a frozen UNet's first block), a dummy input
/// that does is added, so that parameters inside fn still get gradients.
std::vector<torch::Tensor> checkpoint(const CheckpointedFunction& fn, const std::vector<torch::Tensor>& inputs);

}  // namespace sm::nn
