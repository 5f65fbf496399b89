#pragma once
// Process-wide LibTorch settings: threads and the CUDA backend. No LibTorch
// types here, so that the Studio's widgets can use it without its headers.
#include <cstdint>
#include <string>

namespace sm::engine {

/// Physical CPU cores (not hyper-threads); at least 1.
int physicalCoreCount();

/// LibTorch starts with one intra-op thread on some VMs; use `threads`, or all
/// physical cores when `threads` <= 0. Returns the count in use.
int configureThreads(int threads);
int threadCount();

/// Loads LibTorch's CUDA backend if this installation has it and it can run
/// (driver and CUDA runtime libraries present). Returns why not, or "".
std::string loadCudaBackend();

/// Whether a CUDA GPU is usable (loads the backend first).
bool cudaUsable();

/// Free memory of the current CUDA device in bytes, from the CUDA runtime that the
/// CUDA backend loaded (cudaMemGetInfo); 0 when there is none or it cannot tell.
uint64_t freeCudaMemory();

/// "2.15.0"
std::string libtorchVersion();

}  // namespace sm::engine
