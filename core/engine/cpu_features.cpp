#include "core/engine/cpu_features.h"

#include <cstdint>
#include <cstring>

#if defined(__x86_64__) || defined(__i386__)
#include <cpuid.h>
#define SM_X86 1
#endif

namespace sm::engine {
namespace {

#ifdef SM_X86
struct Registers {
  unsigned eax = 0, ebx = 0, ecx = 0, edx = 0;
};

bool cpuid(unsigned leaf, unsigned subleaf, Registers& r) {
  return __get_cpuid_count(leaf, subleaf, &r.eax, &r.ebx, &r.ecx, &r.edx) != 0;
}

bool bit(unsigned value, int n) { return ((value >> n) & 1u) != 0; }

/// XCR0: which register states the OS saves on a context switch. An instruction
/// set the OS does not save cannot be used even where cpuid lists it.
uint64_t enabledStates() {
  uint32_t low = 0, high = 0;
  __asm__ volatile("xgetbv" : "=a"(low), "=d"(high) : "c"(0));
  return (static_cast<uint64_t>(high) << 32) | low;
}

std::string brandString() {
  Registers r;
  if (!cpuid(0x80000000u, 0, r) || r.eax < 0x80000004u) return "";
  char text[49] = {};
  for (unsigned i = 0; i < 3; ++i) {
    Registers part;
    cpuid(0x80000002u + i, 0, part);
    std::memcpy(text + 16 * i, &part, 16);
  }
  std::string brand(text);
  const size_t first = brand.find_first_not_of(' ');
  return first == std::string::npos ? "" : brand.substr(first);
}

CpuFeatures detect() {
  CpuFeatures f;
  f.brand = brandString();
  Registers basic;
  if (!cpuid(1, 0, basic)) return f;
  const bool osSaves = bit(basic.ecx, 27);  // OSXSAVE: xgetbv may be used
  if (!osSaves) return f;
  const uint64_t states = enabledStates();
  const bool ymm = (states & 0x6) == 0x6;            // SSE and AVX state
  const bool zmm = ymm && (states & 0xE0) == 0xE0;   // opmask, upper ZMM halves, ZMM16-31
  const bool tiles = (states & 0x60000) == 0x60000;  // AMX tile config and data
  Registers leaf7, leaf7sub1;
  Registers top;
  cpuid(0, 0, top);
  if (top.eax < 7 || !cpuid(7, 0, leaf7)) return f;
  f.avx2 = ymm && bit(leaf7.ebx, 5);
  f.avx512f = zmm && bit(leaf7.ebx, 16);
  if (leaf7.eax >= 1 && cpuid(7, 1, leaf7sub1)) f.avx512Bf16 = f.avx512f && bit(leaf7sub1.eax, 5);
  f.amxBf16 = tiles && bit(leaf7.edx, 22) && bit(leaf7.edx, 24);  // AMX-BF16 and AMX-TILE
  return f;
}
#else
CpuFeatures detect() { return {}; }
#endif

}  // namespace

std::string CpuFeatures::summary() const {
  std::string s;
  auto add = [&](bool present, const char* name) {
    if (!present) return;
    if (!s.empty()) s += ' ';
    s += name;
  };
  add(avx2, "avx2");
  add(avx512f, "avx512f");
  add(avx512Bf16, "avx512_bf16");
  add(amxBf16, "amx_bf16");
  return s.empty() ? "none of avx2, avx512f, avx512_bf16, amx_bf16" : s;
}

const CpuFeatures& cpuFeatures() {
  static const CpuFeatures features = detect();
  return features;
}

}  // namespace sm::engine
