#pragma once
// Mixed precision for training on CUDA: inside the guard, matmuls and
// convolutions run in bf16 (autocast's op lists decide which ops), while the
// weights, the adapters and the optimizer stay float32. Like `with
// torch.autocast("cuda", dtype=torch.bfloat16):`, including its nesting count
// and weight-cast cache. On other devices the guard changes nothing: CPU
// training stays float32.
#include <ATen/autocast_mode.h>
#include <c10/core/Device.h>
#include <c10/core/ScalarType.h>

namespace sm::training {

class AutocastGuard {
 public:
  /// Enables CUDA autocast to `dtype` when `device` is a CUDA device and
  /// `enabled` is true; restores the previous state when destroyed.
  explicit AutocastGuard(c10::Device device, c10::ScalarType dtype = c10::kBFloat16, bool enabled = true)
      : active_(enabled && device.is_cuda()) {
    if (!active_) return;
    previousEnabled_ = at::autocast::is_autocast_enabled(c10::DeviceType::CUDA);
    previousDtype_ = at::autocast::get_autocast_dtype(c10::DeviceType::CUDA);
    at::autocast::set_autocast_enabled(c10::DeviceType::CUDA, true);
    at::autocast::set_autocast_dtype(c10::DeviceType::CUDA, dtype);
    at::autocast::increment_nesting();
  }
  ~AutocastGuard() {
    if (!active_) return;
    // The cache of casted weights lives as long as the outermost autocast region.
    if (at::autocast::decrement_nesting() == 0) at::autocast::clear_cache();
    at::autocast::set_autocast_enabled(c10::DeviceType::CUDA, previousEnabled_);
    at::autocast::set_autocast_dtype(c10::DeviceType::CUDA, previousDtype_);
  }
  AutocastGuard(const AutocastGuard&) = delete;
  AutocastGuard& operator=(const AutocastGuard&) = delete;

  /// Whether the guard turned autocast on (false on the CPU or when disabled).
  bool active() const { return active_; }

 private:
  bool active_;
  bool previousEnabled_ = false;
  c10::ScalarType previousDtype_ = c10::kHalf;
};

}  // namespace sm::training
