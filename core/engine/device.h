#pragma once
// Choosing the compute device for a job.
#include <torch/types.h>

#include <string>

namespace sm::engine {

/// "auto" (CUDA when usable, else CPU), "cpu" or "cuda"; throws ConfigError
/// for anything else, or for "cuda" when no usable GPU is found.
torch::Device selectDevice(const std::string& name);

/// The dtype of the UNet and the ControlNets: "auto" (fp16 on CUDA; on the CPU bf16
/// where it has AMX or AVX512-BF16, see cpu_features.h, else fp32), "fp32", "fp16" or
/// "bf16". fp16 is refused on the CPU (few CPU kernels have it; bf16 or fp32 work
/// there). Throws ConfigError naming the value.
torch::ScalarType selectDtype(const std::string& name, torch::Device device);

/// The dtype of everything around the UNet when it runs in `unetDtype`: the text
/// encoder, the VAE and the sampler's latents (the scheduler's arithmetic). On the
/// CPU always fp32: they are a few percent of a generation's time, and the VAE's
/// output and the scheduler's sums are where low precision shows. On CUDA
/// `unetDtype` (as diffusers' torch_dtype: the VAE's activations are large in VRAM).
torch::ScalarType dtypeAroundUNet(torch::ScalarType unetDtype, torch::Device device);

/// "fp32", "fp16", "bf16" (or c10's name for others).
std::string dtypeName(torch::ScalarType dtype);

}  // namespace sm::engine
