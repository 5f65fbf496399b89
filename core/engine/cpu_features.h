#pragma once
// What this CPU can do fast, found at run time (the same binary runs on CPUs with
// AMX, with AVX512-BF16 only, and without AVX-512): the precision `auto` picks on
// the CPU depends on it.
#include <string>

namespace sm::engine {

struct CpuFeatures {
  std::string brand;  ///< e.g. "Intel(R) Xeon(R) Platinum 8488C"; empty where unknown
  bool avx2 = false;
  bool avx512f = false;     ///< with the OS saving the AVX-512 registers
  bool avx512Bf16 = false;  ///< bf16 dot products in AVX-512 (Cooper Lake, Zen 4, Sapphire Rapids)
  bool amxBf16 = false;     ///< bf16 tile matrix multiply (Sapphire Rapids and later)

  /// True where oneDNN has bf16 kernels faster than fp32: AMX or AVX512-BF16.
  /// Measured on an AVX512-BF16 CPU without AMX (2 threads): bf16 matmul 3.5x, 3x3
  /// convolution 2.8x the fp32 GFLOP/s; on an AMX Xeon (LibTorch 2.x): 7x and 4.5x.
  bool fastBf16() const { return amxBf16 || avx512Bf16; }
  /// "avx2 avx512f avx512_bf16 amx_bf16" (the ones present, /proc/cpuinfo's names).
  std::string summary() const;
};

/// Detected once (cpuid and xgetbv on x86; nothing elsewhere).
const CpuFeatures& cpuFeatures();

}  // namespace sm::engine
