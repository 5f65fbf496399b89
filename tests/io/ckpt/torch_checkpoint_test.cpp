#include "core/io/ckpt/torch_checkpoint.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <filesystem>
#include <string>
#include <utility>
#include <vector>

#include "core/util/error.h"

// Fixtures: tests/reference/make_pickle_cases.py (real torch.save output).

namespace sm::io::ckpt {
namespace {

using namespace std::string_literals;

const std::string kData = std::string(SM_TEST_DATA_DIR) + "/ckpt/";

StateDictIndex read(const std::string& name) { return readTorchCheckpoint(kData + name); }

// The message of the CheckpointError that reading `name` throws.
std::string failure(const std::string& name) {
  try {
    read(name);
  } catch (const CheckpointError& e) {
    EXPECT_EQ(e.path(), kData + name);
    return e.what();
  }
  ADD_FAILURE() << name << " loaded";
  return "";
}

float halfToFloat(uint16_t h) {
  int exponent = (h >> 10) & 0x1f;
  int mantissa = h & 0x3ff;
  float value = exponent == 0 ? std::ldexp(static_cast<float>(mantissa), -24)
                              : std::ldexp(static_cast<float>(mantissa | 0x400), exponent - 25);
  return (h & 0x8000) ? -value : value;
}

// Element `linear` of a tensor, in row-major order, read through its strides.
template <typename T>
T element(const TensorInfo& t, int64_t linear) {
  int64_t offset = t.storageOffset;
  for (size_t k = t.shape.size(); k-- > 0;) {
    offset += (linear % t.shape[k]) * t.strides[k];
    linear /= t.shape[k];
  }
  EXPECT_LE(static_cast<size_t>(offset + 1) * sizeof(T), t.storageBytes);
  T value;
  std::memcpy(&value, t.data + offset * sizeof(T), sizeof(T));
  return value;
}

double numeric(const TensorInfo& t, int64_t i) {
  switch (t.dtype) {
    case DType::F32: return element<float>(t, i);
    case DType::F64: return element<double>(t, i);
    case DType::F16: return halfToFloat(element<uint16_t>(t, i));
    case DType::BF16: {
      uint32_t bits = static_cast<uint32_t>(element<uint16_t>(t, i)) << 16;
      float f;
      std::memcpy(&f, &bits, 4);
      return f;
    }
    case DType::I64: return static_cast<double>(element<int64_t>(t, i));
    case DType::I32: return element<int32_t>(t, i);
    case DType::I16: return element<int16_t>(t, i);
    case DType::I8: return element<int8_t>(t, i);
    case DType::U8: return element<uint8_t>(t, i);
    case DType::Bool: return element<uint8_t>(t, i);
    default: ADD_FAILURE() << "unexpected dtype"; return 0;
  }
}

const TensorInfo& get(const StateDictIndex& index, const std::string& name) {
  const TensorInfo* t = index.find(name);
  if (!t) throw std::runtime_error("missing tensor " + name);
  return *t;
}

TEST(TorchCheckpoint, ReadsEveryStorageDtypeWithValues) {
  StateDictIndex index = read("dtypes.pt");
  EXPECT_EQ(index.format, "torch-zip");
  EXPECT_NE(index.owner, nullptr);
  ASSERT_EQ(index.size(), 10u);
  struct Case {
    const char* name;
    DType dtype;
    double step;
  };
  for (Case c :
       {Case{"float32", DType::F32, 0.5}, Case{"float16", DType::F16, 0.25}, Case{"bfloat16", DType::BF16, 0.5},
        Case{"float64", DType::F64, 0.125}, Case{"int64", DType::I64, 1000}, Case{"int32", DType::I32, 100},
        Case{"int16", DType::I16, 10}, Case{"int8", DType::I8, 1}}) {
    const TensorInfo& t = get(index, c.name);
    EXPECT_EQ(t.dtype, c.dtype) << c.name;
    EXPECT_EQ(t.shape, (std::vector<int64_t>{2, 3})) << c.name;
    EXPECT_TRUE(t.isContiguous());
    for (int64_t i = 0; i < 6; ++i) EXPECT_EQ(numeric(t, i), (i - 2) * c.step) << c.name << "[" << i << "]";
  }
  const TensorInfo& u8 = get(index, "uint8");
  EXPECT_EQ(u8.dtype, DType::U8);
  for (int64_t i = 0; i < 6; ++i) EXPECT_EQ(numeric(u8, i), i * 40);
  const TensorInfo& b = get(index, "bool");
  EXPECT_EQ(b.dtype, DType::Bool);
  std::vector<double> expected{1, 0, 1, 1, 0, 1};
  for (int64_t i = 0; i < 6; ++i) EXPECT_EQ(numeric(b, i), expected[i]);
}

TEST(TorchCheckpoint, ReadsOrderedDictStateDict) {
  StateDictIndex index = read("ordered.pt");
  std::vector<std::string> names;
  for (const auto& t : index.tensors()) names.push_back(t.name);
  EXPECT_EQ(names, (std::vector<std::string>{"0.weight", "0.bias", "1.weight", "1.bias", "1.running_mean",
                                             "1.running_var", "1.num_batches_tracked"}));
  const TensorInfo& w = get(index, "0.weight");
  EXPECT_EQ(w.shape, (std::vector<int64_t>{2, 3}));
  EXPECT_EQ(numeric(w, 5), 5.0);
  EXPECT_EQ(numeric(get(index, "0.bias"), 1), 11.0);
  EXPECT_EQ(numeric(get(index, "1.bias"), 0), 30.0);
  const TensorInfo& n = get(index, "1.num_batches_tracked");
  EXPECT_EQ(n.dtype, DType::I64);
  EXPECT_TRUE(n.shape.empty());
  EXPECT_EQ(numeric(n, 0), 0.0);
}

TEST(TorchCheckpoint, ViewsShareOneStorage) {
  for (const char* file : {"views.pt", "zip64.pt"}) {
    StateDictIndex index = read(file);
    const TensorInfo& base = get(index, "base");
    for (const auto& t : index.tensors()) EXPECT_EQ(t.data, base.data) << file << " " << t.name;
    EXPECT_EQ(base.storageBytes, 48u);
    const TensorInfo& t = get(index, "t");
    EXPECT_EQ(t.shape, (std::vector<int64_t>{4, 3}));
    EXPECT_EQ(t.strides, (std::vector<int64_t>{1, 4}));
    EXPECT_FALSE(t.isContiguous());
    EXPECT_EQ(numeric(t, 1), 4.0);  // t[0][1] = base[1][0]
    const TensorInfo& row = get(index, "row");
    EXPECT_EQ(row.storageOffset, 4);
    EXPECT_EQ(numeric(row, 3), 7.0);
    const TensorInfo& cols = get(index, "cols");
    EXPECT_EQ(cols.shape, (std::vector<int64_t>{3, 2}));
    EXPECT_EQ(cols.storageOffset, 1);
    EXPECT_EQ(numeric(cols, 5), 10.0);  // base[2][2]
    const TensorInfo& tail = get(index, "tail");
    EXPECT_EQ(tail.storageOffset, 5);
    EXPECT_EQ(tail.shape, (std::vector<int64_t>{7}));
    EXPECT_EQ(numeric(tail, 6), 11.0);
  }
}

TEST(TorchCheckpoint, UnwrapsLightningStateDictAndKeepsScalars) {
  StateDictIndex index = read("lightning.ckpt");
  ASSERT_EQ(index.size(), 2u);
  EXPECT_EQ(numeric(get(index, "model.w"), 3), 3.0);
  EXPECT_EQ(index.metadata.at("epoch"), "3");
  EXPECT_EQ(index.metadata.at("global_step"), "100");
  EXPECT_EQ(index.metadata.at("pytorch-lightning_version"), "2.1.0");
  EXPECT_EQ(index.metadata.at("learning_rate"), "0.0001");
  EXPECT_EQ(index.metadata.count("callbacks"), 0u);
}

TEST(TorchCheckpoint, StripsDataParallelPrefix) {
  StateDictIndex index = read("dataparallel.pt");
  EXPECT_TRUE(index.contains("conv.weight"));
  EXPECT_TRUE(index.contains("conv.bias"));
  EXPECT_FALSE(index.hasPrefix("module."));
  EXPECT_EQ(numeric(get(index, "conv.weight"), 1), 2.0);
}

TEST(TorchCheckpoint, ReadsParameter) {
  StateDictIndex index = read("parameter.pt");
  const TensorInfo& p = get(index, "p");
  EXPECT_EQ(p.shape, (std::vector<int64_t>{3}));
  EXPECT_EQ(numeric(p, 2), 2.0);
}

TEST(TorchCheckpoint, ReadsZeroDimAndEmptyTensors) {
  StateDictIndex index = read("scalars.pt");
  const TensorInfo& s = get(index, "scalar");
  EXPECT_TRUE(s.shape.empty());
  EXPECT_EQ(s.numel(), 1);
  EXPECT_EQ(numeric(s, 0), 3.5);
  const TensorInfo& e = get(index, "empty");
  EXPECT_EQ(e.shape, (std::vector<int64_t>{0, 4}));
  EXPECT_EQ(e.numel(), 0);
  EXPECT_EQ(e.storageBytes, 0u);
}

TEST(TorchCheckpoint, FlattensNestedDictsAndRecordsNonTensors) {
  StateDictIndex index = read("nested.pt");
  EXPECT_EQ(index.size(), 3u);
  EXPECT_TRUE(index.contains("encoder.layer.weight"));
  EXPECT_TRUE(index.contains("encoder.bias"));
  EXPECT_EQ(get(index, "head.weight").dtype, DType::F16);
  EXPECT_EQ(index.metadata.at("animatediff_config.use_motion_mid_block"), "True");
  EXPECT_EQ(index.metadata.at("animatediff_config.motion_max_seq_length"), "32");
  EXPECT_EQ(index.metadata.at("note"), "hello");
}

TEST(TorchCheckpoint, ReadsProtocol4AndStreamArchives) {
  StateDictIndex p4 = read("proto4.pt");
  EXPECT_EQ(get(p4, "a").dtype, DType::I32);
  EXPECT_EQ(numeric(get(p4, "a"), 3), 3.0);
  EXPECT_EQ(numeric(get(p4, "b"), 0), 1.0);
  StateDictIndex stream = read("stream.pt");  // root folder "archive"
  EXPECT_EQ(numeric(get(stream, "x"), 2), 2.0);
}

TEST(TorchCheckpoint, RefusesCodeExecutionNamingTheGlobal) {
  std::filesystem::remove("/tmp/sm_pwned");
  std::string system = failure("evil_system.pt");
  EXPECT_NE(system.find("'posix.system'"), std::string::npos) << system;
  EXPECT_NE(system.find("refusing to load"), std::string::npos);
  std::string eval = failure("evil_eval.pt");
  // Protocol 2 spells builtins the Python 2 way.
  EXPECT_NE(eval.find("'__builtin__.eval'"), std::string::npos) << eval;
  EXPECT_FALSE(std::filesystem::exists("/tmp/sm_pwned"));
}

TEST(TorchCheckpoint, RefusesTorchScript) {
  EXPECT_NE(failure("torchscript.pt").find("TorchScript"), std::string::npos);
}

TEST(TorchCheckpoint, RefusesBrokenArchives) {
  EXPECT_NE(failure("truncated.pt").find("truncated"), std::string::npos);
  EXPECT_NE(failure("deflate.pt").find("compressed"), std::string::npos);
}

TEST(TorchCheckpoint, RefusesNonZipAndMissingFiles) {
  std::string path = std::string(SM_TEST_DATA_DIR) + "/../reference/make_pickle_cases.py";
  try {
    readTorchCheckpoint(path);
    FAIL();
  } catch (const CheckpointError& e) {
    EXPECT_NE(std::string(e.what()).find("not a PyTorch zip checkpoint"), std::string::npos);
  }
  EXPECT_THROW(readTorchCheckpoint(kData + "no_such_file.pt"), CheckpointError);
}

// ---------------------------------------------------------------------------
// Hand-made archives for what torch never writes.

void put16(std::string& out, uint32_t v) {
  out += static_cast<char>(v & 0xff);
  out += static_cast<char>((v >> 8) & 0xff);
}

void put32(std::string& out, uint32_t v) {
  put16(out, v & 0xffff);
  put16(out, v >> 16);
}

std::string buildZip(const std::vector<std::pair<std::string, std::string>>& entries) {
  std::string out;
  std::string central;
  for (const auto& [name, data] : entries) {
    uint32_t offset = static_cast<uint32_t>(out.size());
    auto n = static_cast<uint32_t>(name.size());
    auto d = static_cast<uint32_t>(data.size());
    put32(out, 0x04034b50);
    for (uint32_t v : {20u, 0u, 0u, 0u, 0u}) put16(out, v);
    put32(out, 0), put32(out, d), put32(out, d), put16(out, n), put16(out, 0);
    out += name + data;
    put32(central, 0x02014b50);
    for (uint32_t v : {20u, 20u, 0u, 0u, 0u, 0u}) put16(central, v);
    put32(central, 0), put32(central, d), put32(central, d);
    for (uint32_t v : {n, 0u, 0u, 0u, 0u}) put16(central, v);
    put32(central, 0), put32(central, offset);
    central += name;
  }
  uint32_t centralOffset = static_cast<uint32_t>(out.size());
  out += central;
  put32(out, 0x06054b50);
  for (uint32_t v : {0u, 0u, static_cast<uint32_t>(entries.size()), static_cast<uint32_t>(entries.size())})
    put16(out, v);
  put32(out, static_cast<uint32_t>(central.size())), put32(out, centralOffset), put16(out, 0);
  return out;
}

std::string unicode(const std::string& s) {
  std::string out = "X";
  put32(out, static_cast<uint32_t>(s.size()));
  return out + s;
}

// {"w": a float32 tensor of `numel` elements on storage "0" with `storageNumel` elements}
std::string tensorPickle(int numel, int storageNumel) {
  return "\x80\x02}(" + unicode("w") + "ctorch._utils\n_rebuild_tensor_v2\n((" + unicode("storage") +
         "ctorch\nFloatStorage\n" + unicode("0") + unicode("cpu") + "K" + static_cast<char>(storageNumel) +
         "tQK\x00K"s + static_cast<char>(numel) +
         "\x85K\x01\x85\x89"
         "ccollections\nOrderedDict\n)RtRu.";
}

StateDictIndex parse(const std::string& zip) {
  return parseTorchCheckpoint(reinterpret_cast<const std::byte*>(zip.data()), zip.size(), "mem.pt");
}

std::string parseFailure(const std::string& zip) {
  try {
    parse(zip);
  } catch (const CheckpointError& e) {
    return e.what();
  }
  return "";
}

TEST(TorchCheckpoint, ParsesHandMadeArchive) {
  std::string zip =
      buildZip({{"x/data.pkl", tensorPickle(2, 2)}, {"x/byteorder", "little"}, {"x/data/0", std::string(8, '\0')}});
  StateDictIndex index = parse(zip);
  EXPECT_EQ(index.size(), 1u);
  EXPECT_EQ(index.owner, nullptr);
  EXPECT_EQ(get(index, "w").storageBytes, 8u);
}

TEST(TorchCheckpoint, RefusesBigEndian) {
  std::string zip =
      buildZip({{"x/data.pkl", tensorPickle(2, 2)}, {"x/byteorder", "big"}, {"x/data/0", std::string(8, '\0')}});
  EXPECT_NE(parseFailure(zip).find("big-endian"), std::string::npos);
}

TEST(TorchCheckpoint, RefusesShortOrMissingStorage) {
  std::string shortData = buildZip({{"x/data.pkl", tensorPickle(2, 2)}, {"x/data/0", std::string(7, '\0')}});
  EXPECT_NE(parseFailure(shortData).find("holds 7 bytes"), std::string::npos);
  std::string missing = buildZip({{"x/data.pkl", tensorPickle(2, 2)}});
  EXPECT_NE(parseFailure(missing).find("missing"), std::string::npos);
  std::string outside = buildZip({{"x/data.pkl", tensorPickle(3, 2)}, {"x/data/0", std::string(8, '\0')}});
  EXPECT_NE(parseFailure(outside).find("storage of 2 elements"), std::string::npos);
}

TEST(TorchCheckpoint, RefusesArchivesWithoutPickleOrFolder) {
  EXPECT_NE(parseFailure(buildZip({{"x/version", "3"}})).find("data.pkl"), std::string::npos);
  EXPECT_NE(parseFailure(buildZip({{"data.pkl", "N."}})).find("folder"), std::string::npos);
  EXPECT_NE(parseFailure(buildZip({})).find("not a PyTorch zip"), std::string::npos);
  EXPECT_NE(parseFailure(buildZip({{"x/data.pkl", "\x80\x02K\x01."s}})).find("not a dict"), std::string::npos);
}

TEST(TorchCheckpoint, BoundsWalksOfSharedDicts) {
  // 30 levels of {"a": previous, "b": previous}: 2^30 paths to walk.
  std::string p = "\x80\x02}q\x00"s;
  for (int i = 0; i < 30; ++i)
    p += "}(" + unicode("a") + "h\x00"s + unicode("b") +
         "h\x00"
         "uq\x00"
         "0"s;
  p += "h\x00."s;
  std::string message = parseFailure(buildZip({{"x/data.pkl", p}}));
  EXPECT_NE(message.find("too many entries"), std::string::npos) << message;
}

}  // namespace
}  // namespace sm::io::ckpt
