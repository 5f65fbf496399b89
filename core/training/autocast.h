#pragma once
// Mixed precision for training: inside the guard, matmuls and convolutions run
// in bf16 (autocast's op lists decide which ops), while the weights, the
// adapters and the optimizer stay float32. Like `with torch.autocast(device,
// dtype=torch.bfloat16):`, including its nesting count and weight-cast cache,
// on CUDA or on the CPU (where `--precision auto` turns it on only for CPUs with
// AMX or AVX512-BF16: elsewhere bf16 is emulated and slower than fp32).
#include <ATen/autocast_mode.h>
#include <c10/core/Device.h>
#include <c10/core/ScalarType.h>

namespace sm::training {

class AutocastGuard {
 public:
  /// Enables autocast to `dtype` for `device`'s type (CUDA or CPU) when `enabled`
  /// is true; restores the previous state when destroyed.
  explicit AutocastGuard(c10::Device device, c10::ScalarType dtype = c10::kBFloat16, bool enabled = true)
      : active_(enabled && (device.is_cuda() || device.is_cpu())),
        type_(device.is_cuda() ? c10::DeviceType::CUDA : c10::DeviceType::CPU) {
    if (!active_) return;
    previousEnabled_ = at::autocast::is_autocast_enabled(type_);
    previousDtype_ = at::autocast::get_autocast_dtype(type_);
    at::autocast::set_autocast_enabled(type_, true);
    at::autocast::set_autocast_dtype(type_, dtype);
    at::autocast::increment_nesting();
  }
  ~AutocastGuard() {
    if (!active_) return;
    // The cache of casted weights lives as long as the outermost autocast region.
    if (at::autocast::decrement_nesting() == 0) at::autocast::clear_cache();
    at::autocast::set_autocast_enabled(type_, previousEnabled_);
    at::autocast::set_autocast_dtype(type_, previousDtype_);
  }
  AutocastGuard(const AutocastGuard&) = delete;
  AutocastGuard& operator=(const AutocastGuard&) = delete;

  /// Whether the guard turned autocast on (false when disabled).
  bool active() const { return active_; }

 private:
  bool active_;
  c10::DeviceType type_;
  bool previousEnabled_ = false;
  c10::ScalarType previousDtype_ = c10::kBFloat16;
};

}  // namespace sm::training
