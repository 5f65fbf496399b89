#include "core/io/state_dict_reader.h"

#include <atomic>
#include <cstring>
#include <filesystem>
#include <fstream>

#include "core/io/ckpt/torch_checkpoint.h"
#include "core/io/safetensors.h"
#include "core/util/error.h"

namespace sm::io {
namespace {

std::atomic<uint64_t> openCount{0};

}  // namespace

WeightsFormat sniffWeightsFormat(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  char head[9] = {};
  in.read(head, 9);
  const auto got = in.gcount();
  if (got >= 4 && std::memcmp(head, "PK\x03\x04", 4) == 0) return WeightsFormat::TorchZip;
  // safetensors: an 8-byte little-endian header length, then a JSON object.
  if (got == 9 && head[8] == '{') return WeightsFormat::Safetensors;
  return WeightsFormat::Unknown;
}

uint64_t stateDictOpenCount() { return openCount.load(); }

StateDictIndex readStateDict(const std::string& path) {
  ++openCount;
  std::error_code ec;
  if (!std::filesystem::exists(path, ec)) throw CheckpointError(path, "no such file");
  if (std::filesystem::is_directory(path, ec)) throw CheckpointError(path, "is a folder, not a weights file");
  // Opening a pipe would wait for a writer forever, a device would stream endlessly.
  if (!std::filesystem::is_regular_file(path, ec))
    throw CheckpointError(path, "is not a regular file (a pipe, socket or device): name a weights file");
  switch (sniffWeightsFormat(path)) {
    case WeightsFormat::TorchZip: return ckpt::readTorchCheckpoint(path);
    case WeightsFormat::Safetensors: return readSafetensors(path);
    case WeightsFormat::Unknown: break;
  }
  const std::string ext = std::filesystem::path(path).extension().string();
  if (ext == ".ckpt" || ext == ".pt" || ext == ".pth" || ext == ".bin")
    throw CheckpointError(path,
                          "not a PyTorch zip checkpoint (legacy pre-1.6 pickles are not supported: re-save it with a "
                          "recent torch or convert it to .safetensors)");
  if (ext == ".safetensors") return readSafetensors(path);  // its validation says precisely what is wrong
  throw CheckpointError(path, "not a weights file: neither safetensors nor a PyTorch zip checkpoint");
}

std::string diffusersWeightsFile(const std::string& folder) {
  namespace fs = std::filesystem;
  for (const char* name :
       {"diffusion_pytorch_model.safetensors", "model.safetensors", "diffusion_pytorch_model.fp16.safetensors",
        "model.fp16.safetensors", "diffusion_pytorch_model.bin", "pytorch_model.bin"}) {
    const fs::path candidate = fs::path(folder) / name;
    if (fs::exists(candidate)) return candidate.string();
  }
  throw CheckpointError(folder,
                        "no weights file (diffusion_pytorch_model.safetensors, model.safetensors, their "
                        ".fp16 variants, or .bin)");
}

}  // namespace sm::io
