#include "core/io/ckpt/torch_checkpoint.h"

#include <algorithm>
#include <cstring>
#include <span>
#include <unordered_map>
#include <utility>
#include <vector>

#include "core/io/ckpt/pickle.h"
#include "core/io/ckpt/zip_archive.h"
#include "core/io/mapped_file.h"
#include "core/util/error.h"

// ref: torch/serialization.py (_save, _load) and
// caffe2/serialize/inline_container.cc (the zip layout) in pytorch v2.x.

namespace sm::io::ckpt {
namespace {

using Kind = PickleValue::Kind;

// Real checkpoints nest a handful of levels; the bounds stop hostile files
// (deep nesting, or a dict shared under many keys, which multiplies walks).
constexpr size_t kMaxNesting = 32;
constexpr size_t kMaxVisited = size_t{1} << 20;
constexpr size_t kMaxNameLength = 4096;
constexpr std::string_view kModulePrefix = "module.";

const char* const kNotZip =
    "not a PyTorch zip checkpoint; legacy pre-1.6 .ckpt files are not supported: re-save it with a recent torch or "
    "convert to safetensors";

bool isScalar(const PickleValue& v) {
  return v.is(Kind::None) || v.is(Kind::Bool) || v.is(Kind::Int) || v.is(Kind::Float) || v.is(Kind::String);
}

// Every entry lives under one folder, named after the file or "archive".
std::string archiveRoot(const ZipArchive& zip) {
  if (zip.entries().empty()) throw CheckpointError(zip.path(), "the ZIP archive is empty, not a PyTorch checkpoint");
  const std::string& first = zip.entries().front().name;
  size_t slash = first.find('/');
  if (slash == std::string::npos || slash == 0)
    throw CheckpointError(zip.path(), "ZIP entries are not under one folder: not a PyTorch checkpoint");
  return first.substr(0, slash);
}

void refuseTorchScript(const ZipArchive& zip) {
  for (const auto& e : zip.entries()) {
    if (e.name == "constants.pkl" || (e.name.size() > 14 && e.name.ends_with("/constants.pkl")))
      throw CheckpointError(zip.path(),
                            "this is a TorchScript archive (torch.jit.save), not a checkpoint: load it in Python and "
                            "save model.state_dict() with torch.save, or convert it to safetensors");
  }
}

void checkByteOrder(const ZipArchive& zip, const std::string& root) {
  const ZipEntry* entry = zip.find(root + "/byteorder");
  if (!entry) return;  // older torch: always little-endian
  auto bytes = zip.read(*entry);
  std::string order(reinterpret_cast<const char*>(bytes.data()), std::min<size_t>(bytes.size(), 16));
  while (!order.empty() && (order.back() == '\n' || order.back() == '\r' || order.back() == ' ')) order.pop_back();
  if (order == "little") return;
  if (order == "big")
    throw CheckpointError(zip.path(),
                          "the checkpoint was saved on a big-endian machine, which is not supported: "
                          "re-save it on a little-endian one or convert to safetensors");
  throw CheckpointError(zip.path(), entry->name, "unknown byte order");
}

/// Finds each storage's data record once and checks that it is big enough.
class StorageTable {
 public:
  StorageTable(const ZipArchive& zip, std::string root) : zip_(zip), root_(std::move(root)) {}

  std::span<const std::byte> bytes(const StorageRef& storage, const std::string& tensorName) {
    auto it = cache_.find(storage.key);
    if (it == cache_.end()) {
      const ZipEntry* entry = zip_.find(root_ + "/data/" + storage.key);
      if (!entry)
        throw CheckpointError(zip_.path(), tensorName, "its storage record data/" + storage.key + " is missing");
      it = cache_.emplace(storage.key, zip_.read(*entry)).first;
    }
    size_t needed = 0;
    if (__builtin_mul_overflow(static_cast<size_t>(storage.numel), dtypeSize(storage.dtype), &needed) ||
        needed > it->second.size())
      throw CheckpointError(zip_.path(), tensorName,
                            "storage " + storage.key + " holds " + std::to_string(it->second.size()) +
                                " bytes, less than its " + std::to_string(storage.numel) + " elements need");
    return it->second.first(needed);
  }

 private:
  const ZipArchive& zip_;
  std::string root_;
  std::unordered_map<std::string, std::span<const std::byte>> cache_;
};

/// Unwraps nested "state_dict" entries; scalar siblings become metadata.
const PickleValue& selectStateDict(const PickleValue& root, StateDictIndex& index) {
  if (!root.is(Kind::Dict))
    throw CheckpointError(index.path, "the checkpoint holds a " + std::string(PickleValue::kindName(root.kind())) +
                                          ", not a dict of tensors");
  const PickleValue* current = &root;
  for (size_t depth = 0; depth < kMaxNesting; ++depth) {
    const PickleValue* inner = current->get("state_dict");
    if (!inner || !inner->is(Kind::Dict)) return *current;
    for (const auto& [key, value] : current->entries())
      if (key.is(Kind::String) && isScalar(value)) index.metadata.emplace(key.asString(), describe(value));
    current = inner;
  }
  throw CheckpointError(index.path, "state_dict entries nested too deep");
}

/// Walks the state dict, flattening nested dicts into '.'-joined names.
class Flattener {
 public:
  explicit Flattener(StateDictIndex& index) : index_(index) {}

  void walk(const PickleValue& dict, const std::string& prefix, size_t depth) {
    if (depth > kMaxNesting) throw CheckpointError(index_.path, prefix, "dicts nested too deep");
    for (const auto& [key, value] : dict.entries()) {
      if (++visited_ > kMaxVisited) throw CheckpointError(index_.path, "the state dict has too many entries");
      std::string name;
      if (key.is(Kind::String)) {
        name = prefix + key.asString();
      } else if (key.is(Kind::Int)) {
        name = prefix + std::to_string(key.asInt());
      } else {
        continue;  // torch state dicts only use str keys; nothing sensible to name it by
      }
      if (name.size() > kMaxNameLength) throw CheckpointError(index_.path, "a state dict key is too long");
      if (value.is(Kind::Tensor)) {
        tensors.emplace_back(std::move(name), value.asTensor());
      } else if (value.is(Kind::Dict)) {
        walk(value, name + ".", depth + 1);
      } else {
        index_.metadata.emplace(name, describe(value));
      }
    }
  }

  std::vector<std::pair<std::string, TensorRef>> tensors;

 private:
  StateDictIndex& index_;
  size_t visited_ = 0;
};

void stripModulePrefix(std::vector<std::pair<std::string, TensorRef>>& tensors) {
  if (tensors.empty()) return;
  for (const auto& [name, t] : tensors)
    if (!name.starts_with(kModulePrefix)) return;
  for (auto& [name, t] : tensors) name.erase(0, kModulePrefix.size());
}

TensorInfo makeTensorInfo(std::string name, const TensorRef& t, StorageTable& storages) {
  std::span<const std::byte> bytes = storages.bytes(t.storage, name);
  TensorInfo info;
  info.name = std::move(name);
  info.dtype = t.storage.dtype;
  info.shape = t.size;
  info.strides = t.stride;
  info.storageOffset = t.storageOffset;
  info.data = bytes.data();
  info.storageBytes = bytes.size();
  return info;
}

void refuseNonZip(const std::byte* data, size_t size, const std::string& path) {
  if (size == 0) throw CheckpointError(path, "the file is empty");
  if (!ZipArchive::hasZipSignature(data, size)) throw CheckpointError(path, kNotZip);
}

}  // namespace

StateDictIndex parseTorchCheckpoint(const std::byte* data, size_t size, const std::string& path) {
  refuseNonZip(data, size, path);
  ZipArchive zip(data, size, path);
  std::string root = archiveRoot(zip);
  refuseTorchScript(zip);
  checkByteOrder(zip, root);
  const ZipEntry* pickleEntry = zip.find(root + "/data.pkl");
  if (!pickleEntry) throw CheckpointError(path, "no " + root + "/data.pkl in the archive: not a PyTorch checkpoint");
  auto pickleBytes = zip.read(*pickleEntry);
  PickleValue value = unpickle(pickleBytes.data(), pickleBytes.size(), path);

  StateDictIndex index;
  index.path = path;
  index.format = "torch-zip";
  Flattener flattener(index);
  flattener.walk(selectStateDict(value, index), "", 0);
  stripModulePrefix(flattener.tensors);
  StorageTable storages(zip, root);
  for (auto& [name, t] : flattener.tensors) index.add(makeTensorInfo(std::move(name), t, storages));
  return index;
}

StateDictIndex readTorchCheckpoint(const std::string& path) {
  std::shared_ptr<const MappedFile> file = MappedFile::open(path);
  StateDictIndex index = parseTorchCheckpoint(file->data(), file->size(), path);
  index.owner = file;
  return index;
}

}  // namespace sm::io::ckpt
