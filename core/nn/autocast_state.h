#pragma once
// Autocast's thread-local settings as a value, so that code which runs work on
// another thread can carry them there: autograd's backward threads do not
// inherit them, and the activation checkpoint (checkpoint_function.h) must
// recompute a block under the autocast of its forward.
#include <ATen/autocast_mode.h>
#include <c10/core/ScalarType.h>

namespace sm::nn {

/// Autocast's thread-local settings for CUDA and the CPU, to carry them onto
/// another thread (autograd's backward threads do not inherit them).
struct AutocastState {
  bool cudaEnabled = false, cpuEnabled = false;
  c10::ScalarType cudaDtype = c10::kHalf, cpuDtype = c10::kBFloat16;

  static AutocastState current() {
    AutocastState s;
    s.cudaEnabled = at::autocast::is_autocast_enabled(c10::DeviceType::CUDA);
    s.cudaDtype = at::autocast::get_autocast_dtype(c10::DeviceType::CUDA);
    s.cpuEnabled = at::autocast::is_autocast_enabled(c10::DeviceType::CPU);
    s.cpuDtype = at::autocast::get_autocast_dtype(c10::DeviceType::CPU);
    return s;
  }
};

/// Applies an AutocastState for its lifetime, then restores what was there.
class AutocastStateGuard {
 public:
  explicit AutocastStateGuard(const AutocastState& state) : previous_(AutocastState::current()) { apply(state); }
  ~AutocastStateGuard() { apply(previous_); }
  AutocastStateGuard(const AutocastStateGuard&) = delete;
  AutocastStateGuard& operator=(const AutocastStateGuard&) = delete;

 private:
  static void apply(const AutocastState& s) {
    at::autocast::set_autocast_enabled(c10::DeviceType::CUDA, s.cudaEnabled);
    at::autocast::set_autocast_dtype(c10::DeviceType::CUDA, s.cudaDtype);
    at::autocast::set_autocast_enabled(c10::DeviceType::CPU, s.cpuEnabled);
    at::autocast::set_autocast_dtype(c10::DeviceType::CPU, s.cpuDtype);
  }
  AutocastState previous_;
};

}  // namespace sm::nn
