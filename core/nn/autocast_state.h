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

/// Applies an AutocastState for its lifetime, then restores what was there. Like
/// torch.autocast's context manager it counts as an autocast region: the bf16 copies
/// of trainable weights that autocast caches inside it are dropped when the
/// outermost region ends. Without that, a checkpoint's recompute in backward (outside
/// any other region) left them cached, and the next step, after the optimizer had
/// changed those weights in place, ran on the stale copies.
class AutocastStateGuard {
 public:
  explicit AutocastStateGuard(const AutocastState& state)
      : previous_(AutocastState::current()), region_(state.cudaEnabled || state.cpuEnabled) {
    apply(state);
    if (region_) at::autocast::increment_nesting();
  }
  ~AutocastStateGuard() {
    if (region_ && at::autocast::decrement_nesting() == 0) at::autocast::clear_cache();
    apply(previous_);
  }
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
  bool region_;
};

}  // namespace sm::nn
