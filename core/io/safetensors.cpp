#include "core/io/safetensors.h"

#include <algorithm>
#include <functional>
#include <limits>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>
#include <string_view>
#include <tuple>
#include <utility>

#include "core/io/mapped_file.h"
#include "core/util/atomic_file.h"
#include "core/util/error.h"

namespace sm::io {
namespace {

using Json = nlohmann::json;

constexpr uint64_t kMaxBytes = static_cast<uint64_t>(std::numeric_limits<int64_t>::max());
// Root object → entry or __metadata__ object → shape / data_offsets list. A
// container opened any deeper cannot be valid, and refusing it early keeps a
// hostile header ("[[[[...") from costing gigabytes before it is rejected.
constexpr int kMaxContainerDepth = 3;

// ---------------------------------------------------------------- reading --

// Raised inside the JSON parser's callback, which has no path to report.
struct HeaderRejected {
  std::string key;
  std::string problem;
};

// A tensor as the header describes it, before the index owns it.
struct Entry {
  TensorInfo info;
  uint64_t begin = 0;
  uint64_t end = 0;
};

uint64_t readLittleEndian64(const std::byte* p) {
  uint64_t value = 0;
  for (int i = 7; i >= 0; --i) value = (value << 8) | std::to_integer<uint64_t>(p[i]);
  return value;
}

std::string_view headerText(const std::byte* data, size_t size, const std::string& path) {
  if (size < 8)
    throw CheckpointError(path, "file is too short to be safetensors (" + std::to_string(size) +
                                    " bytes; the header length alone takes 8)");
  uint64_t headerBytes = readLittleEndian64(data);
  if (headerBytes > kMaxSafetensorsHeaderBytes)
    throw CheckpointError(path, "header length " + std::to_string(headerBytes) + " is over the limit of " +
                                    std::to_string(kMaxSafetensorsHeaderBytes) +
                                    " bytes; the file is corrupt or not safetensors");
  if (headerBytes > size - 8)
    throw CheckpointError(path, "header length " + std::to_string(headerBytes) + " runs past the end of the file (" +
                                    std::to_string(size) + " bytes); the file is truncated or not safetensors");
  std::string_view text(reinterpret_cast<const char*>(data + 8), static_cast<size_t>(headerBytes));
  if (text.empty() || text.front() != '{')
    throw CheckpointError(path, "header does not start with '{'; the file is not safetensors");
  return text;
}

// nlohmann prefixes its messages with "[json.exception.parse_error.101] ".
std::string withoutJsonPrefix(const std::string& message) {
  size_t cut = message.find("] ");
  return cut == std::string::npos ? message : message.substr(cut + 2);
}

// Parses with a callback that rejects duplicate keys (nlohmann would silently
// keep the last one, hiding a tensor) and over-deep nesting.
Json parseHeaderJson(std::string_view text, const std::string& path) {
  std::vector<std::set<std::string>> keysByDepth;
  auto check = [&keysByDepth](int depth, Json::parse_event_t event, Json& parsed) {
    using Event = Json::parse_event_t;
    if ((event == Event::object_start || event == Event::array_start) && depth >= kMaxContainerDepth)
      throw HeaderRejected{"", "header nests deeper than a safetensors header can"};
    if (event == Event::object_start) keysByDepth.emplace_back();
    if (event == Event::object_end) keysByDepth.pop_back();
    if (event == Event::key && !keysByDepth.back().insert(parsed.get<std::string>()).second)
      throw HeaderRejected{parsed.get<std::string>(), depth == 1 ? "tensor name appears twice in the header"
                                                                 : "key appears twice in the same header object"};
    return true;
  };
  try {
    return Json::parse(text.begin(), text.end(), check);
  } catch (const HeaderRejected& rejected) {
    throw CheckpointError(path, rejected.key, rejected.problem);
  } catch (const Json::exception& e) {
    throw CheckpointError(path, "header is not valid UTF-8 JSON (" + withoutJsonPrefix(e.what()) + ")");
  }
}

std::map<std::string, std::string> readMetadata(const Json& value, const std::string& path) {
  if (!value.is_object()) throw CheckpointError(path, "__metadata__", "is not an object of string values");
  std::map<std::string, std::string> metadata;
  for (const auto& [key, item] : value.items()) {
    if (!item.is_string()) throw CheckpointError(path, "__metadata__", "value of '" + key + "' is not a string");
    metadata.emplace(key, item.get<std::string>());
  }
  return metadata;
}

const Json& requireField(const Json& entry, const char* field, const std::string& path, const std::string& name) {
  auto it = entry.find(field);
  if (it == entry.end()) throw CheckpointError(path, name, std::string("entry has no '") + field + "'");
  return *it;
}

DType readDType(const Json& value, const std::string& path, const std::string& name) {
  if (!value.is_string()) throw CheckpointError(path, name, "dtype is not a string");
  const auto& text = value.get_ref<const std::string&>();
  if (auto dtype = dtypeFromName(text)) return *dtype;
  throw CheckpointError(path, name, "unknown dtype '" + text + "'");
}

// Accepts JSON integers >= 0 and <= limit; everything else is nullopt.
std::optional<uint64_t> nonNegativeInteger(const Json& value, uint64_t limit) {
  if (value.is_number_unsigned()) {
    uint64_t n = value.get<uint64_t>();
    return n <= limit ? std::optional<uint64_t>(n) : std::nullopt;
  }
  if (value.is_number_integer() && value.get<int64_t>() == 0) return 0;  // "-0"
  return std::nullopt;
}

std::vector<int64_t> readShape(const Json& value, const std::string& path, const std::string& name) {
  if (!value.is_array()) throw CheckpointError(path, name, "shape is not a list of non-negative integers");
  std::vector<int64_t> shape;
  shape.reserve(value.size());
  for (const Json& dim : value) {
    auto n = nonNegativeInteger(dim, kMaxBytes);
    if (!n) throw CheckpointError(path, name, "shape is not a list of non-negative integers");
    shape.push_back(static_cast<int64_t>(*n));
  }
  return shape;
}

// Byte size, checked so that neither it nor any partial product of the shape
// (as TensorInfo::numel() computes it) can overflow int64. A zero dimension
// makes the tensor empty whatever the other dimensions are.
std::optional<uint64_t> checkedByteSize(const std::vector<int64_t>& shape, DType dtype) {
  uint64_t product = dtypeSize(dtype);
  bool empty = false;
  for (int64_t dim : shape) {
    if (dim == 0)
      empty = true;
    else if (__builtin_mul_overflow(product, static_cast<uint64_t>(dim), &product) || product > kMaxBytes)
      return std::nullopt;
  }
  return empty ? 0 : product;
}

std::pair<uint64_t, uint64_t> readOffsets(const Json& value, const std::string& path, const std::string& name) {
  std::optional<uint64_t> begin, end;
  if (value.is_array() && value.size() == 2) {
    begin = nonNegativeInteger(value[0], std::numeric_limits<uint64_t>::max());
    end = nonNegativeInteger(value[1], std::numeric_limits<uint64_t>::max());
  }
  if (!begin || !end) throw CheckpointError(path, name, "data_offsets is not a list of two non-negative integers");
  if (*begin > *end)
    throw CheckpointError(
        path, name, "data_offsets [" + std::to_string(*begin) + ", " + std::to_string(*end) + "] begin after they end");
  return {*begin, *end};
}

Entry readEntry(const std::string& name, const Json& value, const std::string& path, uint64_t bufferBytes) {
  if (!value.is_object()) throw CheckpointError(path, name, "entry is not a JSON object");
  Entry entry;
  entry.info.name = name;
  entry.info.dtype = readDType(requireField(value, "dtype", path, name), path, name);
  entry.info.shape = readShape(requireField(value, "shape", path, name), path, name);
  std::tie(entry.begin, entry.end) = readOffsets(requireField(value, "data_offsets", path, name), path, name);
  auto bytes = checkedByteSize(entry.info.shape, entry.info.dtype);
  std::string described = std::string(dtypeName(entry.info.dtype)) + " " + shapeToString(entry.info.shape);
  if (!bytes) throw CheckpointError(path, name, "shape of " + described + " has too many elements (size overflows)");
  if (entry.end - entry.begin != *bytes)
    throw CheckpointError(path, name,
                          "data_offsets give " + std::to_string(entry.end - entry.begin) + " bytes, but " + described +
                              " needs " + std::to_string(*bytes));
  if (entry.end > bufferBytes)
    throw CheckpointError(path, name,
                          "data ends at byte " + std::to_string(entry.end) + ", outside the " +
                              std::to_string(bufferBytes) + "-byte data section; the file is truncated");
  entry.info.storageBytes = static_cast<size_t>(*bytes);
  return entry;
}

// Like the reference reader: in offset order, every tensor starts where the
// previous one ended and the last ends at the end of the file.
void checkCoverage(std::vector<Entry>& entries, uint64_t bufferBytes, const std::string& path) {
  std::sort(entries.begin(), entries.end(),
            [](const Entry& a, const Entry& b) { return std::tie(a.begin, a.end) < std::tie(b.begin, b.end); });
  uint64_t expected = 0;
  const std::string* previous = nullptr;
  for (const Entry& entry : entries) {
    if (entry.begin < expected)
      throw CheckpointError(path, entry.info.name, "data overlaps that of '" + *previous + "'");
    if (entry.begin > expected)
      throw CheckpointError(path, entry.info.name,
                            "data starts at byte " + std::to_string(entry.begin) + ", leaving " +
                                std::to_string(entry.begin - expected) +
                                " bytes before it that belong to no tensor (a hole)");
    expected = entry.end;
    previous = &entry.info.name;
  }
  if (expected != bufferBytes)
    throw CheckpointError(
        path, std::to_string(bufferBytes - expected) + " bytes at the end of the file belong to no tensor (a hole)");
}

// ---------------------------------------------------------------- writing --

// The reference writer sorts by its Dtype enum, descending; its declaration
// order (BOOL < U8 < I8 < F8_E5M2 < F8_E4M3 < I16 < U16 < F16 < BF16 < I32 <
// U32 < F32 < F64 < I64 < U64) groups dtypes by size, so tensors stay aligned.
int alignmentRank(DType dtype) {
  switch (dtype) {
    case DType::Bool: return 0;
    case DType::U8: return 1;
    case DType::I8: return 2;
    case DType::F8E5M2: return 3;
    case DType::F8E4M3: return 4;
    case DType::I16: return 5;
    case DType::U16: return 6;
    case DType::F16: return 7;
    case DType::BF16: return 8;
    case DType::I32: return 9;
    case DType::U32: return 10;
    case DType::F32: return 11;
    case DType::F64: return 12;
    case DType::I64: return 13;
    case DType::U64: return 14;
  }
  return 0;
}

// A tensor ready to be written: `emit` streams exactly `bytes` bytes.
struct PlannedTensor {
  std::string name;
  DType dtype;
  std::vector<int64_t> shape;
  uint64_t bytes = 0;
  std::function<void(util::AtomicFileWriter&)> emit;
};

uint64_t plannedByteSize(const std::string& path, const std::string& name, DType dtype,
                         const std::vector<int64_t>& shape) {
  if (std::any_of(shape.begin(), shape.end(), [](int64_t d) { return d < 0; }))
    throw CheckpointError(path, name, "cannot write a negative dimension " + shapeToString(shape));
  auto bytes = checkedByteSize(shape, dtype);
  if (!bytes) throw CheckpointError(path, name, "cannot write: shape " + shapeToString(shape) + " is too large");
  return *bytes;
}

void checkWritableNames(const std::string& path, const std::vector<PlannedTensor>& tensors) {
  std::set<std::string_view> seen;
  for (const auto& t : tensors) {
    if (t.name == "__metadata__") throw CheckpointError(path, t.name, "cannot write: the name is reserved");
    if (!seen.insert(t.name).second) throw CheckpointError(path, t.name, "cannot write: tensor name appears twice");
  }
}

std::string buildHeader(const std::string& path, const std::vector<PlannedTensor>& tensors,
                        const std::map<std::string, std::string>& metadata) {
  nlohmann::ordered_json root = nlohmann::ordered_json::object();
  if (!metadata.empty()) root["__metadata__"] = metadata;
  uint64_t offset = 0;
  for (const auto& t : tensors) {
    uint64_t end = 0;
    if (__builtin_add_overflow(offset, t.bytes, &end) || end > kMaxBytes)
      throw CheckpointError(path, t.name, "cannot write: the tensors add up to more bytes than a file can hold");
    root[t.name] = {{"dtype", std::string(dtypeName(t.dtype))}, {"shape", t.shape}, {"data_offsets", {offset, end}}};
    offset = end;
  }
  std::string header;
  try {
    header = root.dump();
  } catch (const nlohmann::json::exception&) {
    throw CheckpointError(path, "cannot write: a tensor name or metadata entry is not valid UTF-8");
  }
  // Readers (ours included) refuse larger headers, so such a file would be unreadable.
  if (header.size() > kMaxSafetensorsHeaderBytes)
    throw CheckpointError(path, "cannot write: the header would be over the " +
                                    std::to_string(kMaxSafetensorsHeaderBytes) + "-byte limit readers accept");
  // Padding to a multiple of 8 keeps the data section 8-byte aligned.
  header.append((8 - header.size() % 8) % 8, ' ');
  return header;
}

void writeLittleEndian64(util::AtomicFileWriter& writer, uint64_t value) {
  char bytes[8];
  for (char& b : bytes) {
    b = static_cast<char>(value & 0xff);
    value >>= 8;
  }
  writer.write(bytes, sizeof bytes);
}

void writePlanned(const std::string& path, std::vector<PlannedTensor> tensors,
                  const std::map<std::string, std::string>& metadata) {
  checkWritableNames(path, tensors);
  std::sort(tensors.begin(), tensors.end(), [](const PlannedTensor& a, const PlannedTensor& b) {
    int ra = alignmentRank(a.dtype), rb = alignmentRank(b.dtype);
    return ra != rb ? ra > rb : a.name < b.name;
  });
  std::string header = buildHeader(path, tensors, metadata);
  util::writeFileAtomically(path, [&](util::AtomicFileWriter& writer) {
    writeLittleEndian64(writer, header.size());
    writer.write(header);
    for (const auto& t : tensors) t.emit(writer);
  });
}

// One past the highest element the view touches; nullopt when the strides
// are malformed or the arithmetic overflows.
std::optional<uint64_t> viewExtentElements(const TensorInfo& info) {
  if (info.storageOffset < 0) return std::nullopt;
  uint64_t last = static_cast<uint64_t>(info.storageOffset);
  if (info.strides.empty()) return last + static_cast<uint64_t>(info.numel());
  if (info.strides.size() != info.shape.size()) return std::nullopt;
  for (size_t d = 0; d < info.shape.size(); ++d) {
    uint64_t step = 0;
    if (info.strides[d] < 0 ||
        __builtin_mul_overflow(static_cast<uint64_t>(info.shape[d] - 1), static_cast<uint64_t>(info.strides[d]),
                               &step) ||
        __builtin_add_overflow(last, step, &last))
      return std::nullopt;
  }
  return last + 1;
}

// A view leaving its storage would be a reader bug, not a user mistake, but
// must still never make the writer read wild memory.
void checkViewInsideStorage(const std::string& path, const TensorInfo& info) {
  if (info.numel() == 0) return;
  auto extent = viewExtentElements(info);
  uint64_t bytes = 0;
  if (!extent || info.data == nullptr || __builtin_mul_overflow(*extent, dtypeSize(info.dtype), &bytes) ||
      bytes > info.storageBytes)
    throw CheckpointError(path, info.name, "cannot write: the tensor's view reaches outside its storage");
}

// Gathers a strided view element by element into chunks, walking the indices
// like an odometer so the storage offset is updated, not recomputed.
void writeStrided(util::AtomicFileWriter& writer, const TensorInfo& info) {
  constexpr size_t kChunkBytes = size_t{1} << 20;
  const size_t elementBytes = dtypeSize(info.dtype);
  const size_t rank = info.shape.size();
  std::vector<char> chunk;
  chunk.reserve(kChunkBytes);
  std::vector<int64_t> index(rank, 0);
  int64_t offset = info.storageOffset;
  for (int64_t remaining = info.numel(); remaining > 0; --remaining) {
    const char* element = reinterpret_cast<const char*>(info.data) + static_cast<size_t>(offset) * elementBytes;
    chunk.insert(chunk.end(), element, element + elementBytes);
    if (chunk.size() + elementBytes > kChunkBytes) {
      writer.write(chunk.data(), chunk.size());
      chunk.clear();
    }
    for (size_t d = rank; d-- > 0;) {
      if (++index[d] < info.shape[d]) {
        offset += info.strides[d];
        break;
      }
      index[d] = 0;
      offset -= (info.shape[d] - 1) * info.strides[d];
    }
  }
  writer.write(chunk.data(), chunk.size());
}

PlannedTensor planFromInfo(const std::string& path, const TensorInfo& info) {
  PlannedTensor t{info.name, info.dtype, info.shape, plannedByteSize(path, info.name, info.dtype, info.shape), {}};
  checkViewInsideStorage(path, info);
  if (t.bytes == 0) {
    t.emit = [](util::AtomicFileWriter&) {};
  } else if (info.isContiguous()) {
    const std::byte* start = info.data + static_cast<size_t>(info.storageOffset) * dtypeSize(info.dtype);
    t.emit = [start, bytes = t.bytes](util::AtomicFileWriter& writer) { writer.write(start, bytes); };
  } else {
    t.emit = [&info](util::AtomicFileWriter& writer) { writeStrided(writer, info); };
  }
  return t;
}

}  // namespace

StateDictIndex parseSafetensors(const std::byte* data, size_t size, const std::string& pathForErrors) {
  const std::string& path = pathForErrors;
  std::string_view text = headerText(data, size, path);
  Json header = parseHeaderJson(text, path);
  const std::byte* buffer = data + 8 + text.size();
  const uint64_t bufferBytes = size - 8 - text.size();

  StateDictIndex index;
  index.path = path;
  index.format = "safetensors";
  std::vector<Entry> entries;
  entries.reserve(header.size());
  for (const auto& [name, value] : header.items()) {
    if (name == "__metadata__")
      index.metadata = readMetadata(value, path);
    else
      entries.push_back(readEntry(name, value, path, bufferBytes));
  }
  checkCoverage(entries, bufferBytes, path);
  // Added in file order, so loading everything reads the file front to back.
  for (Entry& entry : entries) {
    entry.info.data = buffer + entry.begin;
    index.add(std::move(entry.info));
  }
  return index;
}

StateDictIndex readSafetensors(const std::string& path) {
  auto file = MappedFile::open(path);
  StateDictIndex index = parseSafetensors(file->data(), file->size(), path);
  index.owner = file;
  return index;
}

void writeSafetensors(const std::string& path, const std::vector<TensorView>& tensors,
                      const std::map<std::string, std::string>& metadata) {
  std::vector<PlannedTensor> planned;
  planned.reserve(tensors.size());
  for (const TensorView& view : tensors) {
    PlannedTensor t{view.name, view.dtype, view.shape, plannedByteSize(path, view.name, view.dtype, view.shape), {}};
    if (t.bytes > 0 && view.data == nullptr) throw CheckpointError(path, view.name, "cannot write: tensor has no data");
    t.emit = [data = view.data, bytes = t.bytes](util::AtomicFileWriter& writer) { writer.write(data, bytes); };
    planned.push_back(std::move(t));
  }
  writePlanned(path, std::move(planned), metadata);
}

void writeSafetensors(const std::string& path, const StateDictIndex& index) {
  std::vector<PlannedTensor> planned;
  planned.reserve(index.size());
  for (const TensorInfo& info : index.tensors()) planned.push_back(planFromInfo(path, info));
  writePlanned(path, std::move(planned), index.metadata);
}

}  // namespace sm::io
