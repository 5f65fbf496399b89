#pragma once
// Reads PyTorch zip checkpoints (.ckpt / .pt / .pth / .bin written by
// torch.save since 1.6) into a StateDictIndex, without LibTorch and without
// running any code from the file: the pickle goes through a whitelist-only
// unpickler (pickle.h) and tensors point into the memory-mapped file.
#include <cstddef>
#include <string>

#include "core/io/state_dict_index.h"

namespace sm::io::ckpt {

/// Maps `path` and indexes its tensors; `format` is "torch-zip" and `owner`
/// keeps the mapping alive. Which values become tensors:
///  - a dict holding a dict under "state_dict" is unwrapped, repeatedly
///    (Lightning); the scalar siblings met on the way (epoch, global_step,
///    version strings) go into `metadata` as text, other siblings are ignored;
///  - inside the state dict, tensors keep their keys; nested dicts are
///    flattened with '.'-joined keys; any other value (e.g.
///    `animatediff_config` entries) is skipped and recorded in `metadata`
///    under its joined key;
///  - when every tensor key starts with "module." (DataParallel), that prefix is removed.
/// Throws CheckpointError naming the file for anything else: not a zip
/// (legacy pre-1.6 files included), TorchScript archives, big-endian files,
/// compressed entries, globals outside the whitelist, views outside their storage.
StateDictIndex readTorchCheckpoint(const std::string& path);

/// The same on bytes already in memory; tensors point into `data`, which
/// must outlive the index (`owner` is left empty). `path` names the file in errors.
StateDictIndex parseTorchCheckpoint(const std::byte* data, size_t size, const std::string& path);

}  // namespace sm::io::ckpt

namespace sm::io {
// The readers of the other formats live in sm::io; so do these, for callers.
using ckpt::parseTorchCheckpoint;
using ckpt::readTorchCheckpoint;
}  // namespace sm::io
