#pragma once
// Opens any weights file we read (safetensors or PyTorch zip checkpoint),
// choosing the reader by the file's first bytes, not its extension.
#include <cstdint>
#include <string>

#include "core/io/state_dict_index.h"

namespace sm::io {

enum class WeightsFormat { Safetensors, TorchZip, Unknown };

/// Looks at the first bytes only.
WeightsFormat sniffWeightsFormat(const std::string& path);

/// Throws CheckpointError naming the file for anything unreadable.
StateDictIndex readStateDict(const std::string& path);

/// How many times readStateDict has opened a file in this process: lets tests
/// show that a load opens each file once (the opener's promise).
uint64_t stateDictOpenCount();

/// The weights file of a diffusers model folder (unet/, vae/, text_encoder/,
/// a MotionAdapter...): the first present of the safetensors, fp16 and .bin
/// names diffusers and transformers write. Throws CheckpointError naming the folder.
std::string diffusersWeightsFile(const std::string& folder);

}  // namespace sm::io
