#pragma once
// The hook through which adapters act on a video UNet during generation and
// training: the Motion Adapter (LoRA on the temporal attentions, whose scale
// is the motion slider) and the Spatial Adapters (low-rank maps after the
// customized spatial layers). A pipeline attaches an adapter when it is added
// and detaches it when it is removed; before each generation it sets the
// Motion Adapters' scale from the request. With no adapter attached nothing changes.
#include <string>

#include "core/models/unet/unet_3d.h"

namespace sm::adapters {

enum class AdapterKind {
  Motion,   ///< W' = W + a * B A on temporal attention q, k, v, out; a is the motion slider
  Spatial,  ///< y' = y + B A y after customized spatial layers
};

class UNetAdapter {
 public:
  virtual ~UNetAdapter() = default;
  virtual AdapterKind kind() const = 0;
  /// A short name for logs ("motion adapter r32 (file.safetensors)").
  virtual std::string describe() const = 0;
  /// Adds the adapter's layers to `unet`. Throws ConfigError when the UNet is
  /// not the one the adapter was made for (other base, other motion module).
  virtual void attach(models::UNet3D& unet) = 0;
  /// Removes what attach() added; the UNet is then as before, bit for bit.
  virtual void detach(models::UNet3D& unet) = 0;
  /// Folds the attached adapter, at its current scale, into the UNet's weights
  /// and removes its hooks: zero-overhead inference, the same output up to
  /// rounding. One way: reload the model to undo it. The scale is fixed afterwards.
  virtual void merge(models::UNet3D& unet) = 0;
  /// The scale `a` of the low-rank update; 0 disables it exactly.
  virtual void setScale(double scale) = 0;
  virtual double scale() const = 0;
};

}  // namespace sm::adapters
