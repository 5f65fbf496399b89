#pragma once
// Which base model and motion module an adapter belongs to. An adapter trained
// on one UNet means nothing on another, and applying it there fails silently
// (the video just looks wrong), so adapter files record these fingerprints and
// attaching to another model is refused.
//
// A fingerprint hashes the parameter names, shapes and a fixed sample of
// values of one part of the UNet (spatial layers, or motion modules). The same
// model is often loaded in other precisions (fp32 on the CPU, fp16 or bf16 on a
// GPU, from fp32 or fp16 files), so the values are hashed twice, once rounded
// to fp16 and once to bf16: a model loaded in fp32, fp16 or bf16 matches at
// least one of the two whenever it is the same model.
#include <string>

#include "core/models/unet/unet_3d.h"

namespace sm::adapters {

struct Fingerprint {
  std::string fp16;  ///< 32 hex digits: names, shapes and values rounded to fp16
  std::string bf16;  ///< 32 hex digits: the same with values rounded to bf16

  bool empty() const { return fp16.empty() && bf16.empty(); }
  /// The same model (see the header comment): either hash agrees.
  bool matches(const Fingerprint& other) const;
  /// 64 hex digits, fp16 then bf16, as written in adapter files; "" when empty.
  std::string toString() const;
  /// Parses toString()'s form; an empty or malformed string gives an empty fingerprint.
  static Fingerprint parse(const std::string& text);
};

struct UNetFingerprint {
  Fingerprint spatial;  ///< every parameter outside the motion modules
  Fingerprint motion;   ///< the motion modules' parameters (empty without them)
};

/// Computed from the UNet's current weights, on whatever device they are.
UNetFingerprint fingerprintUNet(models::UNet3DImpl& unet);

}  // namespace sm::adapters
