#pragma once
// Where the parts of an SD 1.5 model live, whatever its packaging: a diffusers
// pipeline folder (unet/, text_encoder/, vae/, tokenizer/), a diffusers unet
// folder or file, or a single-file LDM checkpoint. The weights come back in
// diffusers names, memory-mapped.
#include <string>

#include "core/io/state_dict_index.h"

namespace sm::pipelines {

struct SDCheckpointParts {
  std::string path;
  /// Diffusers-named weights; an index with no tensors when the source lacks the part.
  io::StateDictIndex unet;
  io::StateDictIndex textEncoder;
  io::StateDictIndex vae;
  bool isDiffusersFolder = false;
};

/// Reads the parts `path` has. Throws CheckpointError naming the file when it
/// is missing, unreadable, or not an SD 1.5 UNet/pipeline at all (e.g. a LoRA
/// or a motion module given as a customized model).
SDCheckpointParts readSDCheckpointParts(const std::string& path);

}  // namespace sm::pipelines
