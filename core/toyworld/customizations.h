#pragma once
// The toy world's two customizations and their reference pictures (what an
// artist's DreamBooth or style LoRA would be trained from).
#include <string>
#include <vector>

#include "core/models/unet/unet_3d.h"
#include "core/video/video_frames.h"
#include "core/world/world_scene.h"

namespace sm::toyworld {

enum class CustomizationKind { Object, Style };

inline constexpr int kReferenceCount = 5;
inline constexpr int64_t kStyleRank = 8;

/// The five reference scenes (the same on every run).
std::vector<world::Scene> referenceScenes(CustomizationKind kind);
std::vector<video::Frame> referencePictures(CustomizationKind kind);
/// The UNet layers the style LoRA adapts: every spatial attention projection.
std::vector<std::string> styleLayerPaths(models::UNet3DImpl& unet);

}  // namespace sm::toyworld
