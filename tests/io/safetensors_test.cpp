#include "core/io/safetensors.h"

#include <gtest/gtest.h>

#include <cstring>
#include <filesystem>

#include "core/util/atomic_file.h"
#include "core/util/error.h"
#include "tests/temp_dir.h"

namespace sm::io {
namespace {

namespace fs = std::filesystem;

// 8-byte little-endian header length, header, data: a file exactly as given,
// so that malformed layouts can be expressed.
std::string rawFile(const std::string& header, const std::string& data = "") {
  std::string out;
  for (int i = 0; i < 8; ++i) out += static_cast<char>((header.size() >> (8 * i)) & 0xff);
  return out + header + data;
}

std::string bytesOf(const TensorInfo& info) { return {reinterpret_cast<const char*>(info.data), info.byteSize()}; }

class SafetensorsTest : public ::testing::Test {
 protected:
  std::string file(const std::string& name) const { return temp_.file(name); }

  // Writes `bytes` to a file, reads it and expects a CheckpointError that
  // names the file, the tensor `key` and contains `problem`.
  void expectRejected(const std::string& bytes, const std::string& problem, const std::string& key = "") {
    std::string path = file("bad.safetensors");
    util::writeFileAtomically(path, bytes);
    try {
      readSafetensors(path);
      ADD_FAILURE() << "accepted a file that should fail with: " << problem;
    } catch (const CheckpointError& e) {
      std::string message = e.what();
      EXPECT_EQ(e.path(), path);
      EXPECT_EQ(message.rfind(path + ": ", 0), 0u) << message;
      EXPECT_EQ(e.key(), key) << message;
      EXPECT_NE(message.find(problem), std::string::npos) << "message: " << message << "\nwanted: " << problem;
    }
  }

  test::TempDir temp_{"sm_safetensors"};
  const fs::path dir_ = temp_.path();
};

// Every dtype, a 0-dim and two empty tensors, and metadata with escapes.
TEST_F(SafetensorsTest, RoundTripsEveryDTypeAndMetadata) {
  std::vector<std::string> storage;
  std::vector<TensorView> views;
  auto add = [&](std::string name, DType dtype, std::vector<int64_t> shape) {
    int64_t numel = 1;
    for (int64_t d : shape) numel *= d;
    std::string bytes(static_cast<size_t>(numel) * dtypeSize(dtype), '\0');
    for (size_t i = 0; i < bytes.size(); ++i) bytes[i] = static_cast<char>(i * 7 + storage.size());
    storage.push_back(std::move(bytes));
    views.push_back({std::move(name), dtype, std::move(shape), nullptr});
  };
  for (int i = 0; i <= static_cast<int>(DType::F8E5M2); ++i) {
    auto dtype = static_cast<DType>(i);
    add("t." + std::string(dtypeName(dtype)), dtype, {2, 3});
  }
  add("scalar", DType::F32, {});
  add("empty", DType::F16, {0});
  add("empty.3d", DType::I64, {2, 0, 3});
  for (size_t i = 0; i < views.size(); ++i) views[i].data = storage[i].data();
  std::map<std::string, std::string> metadata{{"format", "pt"}, {"note", "\"quoted\" \xc3\xbc\n"}};

  std::string path = file("all.safetensors");
  writeSafetensors(path, views, metadata);
  StateDictIndex index = readSafetensors(path);

  EXPECT_EQ(index.path, path);
  EXPECT_EQ(index.format, "safetensors");
  EXPECT_NE(index.owner, nullptr);
  EXPECT_EQ(index.metadata, metadata);
  ASSERT_EQ(index.size(), views.size());
  for (size_t i = 0; i < views.size(); ++i) {
    const TensorInfo* info = index.find(views[i].name);
    ASSERT_NE(info, nullptr) << views[i].name;
    EXPECT_EQ(info->dtype, views[i].dtype) << views[i].name;
    EXPECT_EQ(info->shape, views[i].shape) << views[i].name;
    EXPECT_TRUE(info->isContiguous());
    EXPECT_EQ(bytesOf(*info), storage[i]) << views[i].name;
  }
  // The reference layout keeps 8-byte tensors 8-byte aligned in the file.
  for (const char* name : {"t.F64", "t.I64", "t.U64", "t.F32", "t.I32"})
    EXPECT_EQ(reinterpret_cast<uintptr_t>(index.find(name)->data) % 4, 0u) << name;
  EXPECT_EQ(reinterpret_cast<uintptr_t>(index.find("t.F64")->data) % 8, 0u);
}

TEST_F(SafetensorsTest, MatchesReferenceLayoutByteForByte) {
  // Expected bytes worked out by hand, and identical to Python safetensors'
  // save() output for the same tensors. Order: I64 (8-byte), F32, F16, U8;
  // the empty I64 tensor comes first at [0, 0].
  const float f32[] = {1.0f, 2.0f};
  const uint16_t f16[] = {0x3c00};  // 1.0
  const uint8_t u8[] = {3};
  std::vector<TensorView> views{{"b", DType::F32, {2}, f32},
                                {"a", DType::F16, {1}, f16},
                                {"c", DType::I64, {2, 0}, nullptr},
                                {"s", DType::U8, {}, u8}};
  std::string path = file("small.safetensors");
  writeSafetensors(path, views, {{"format", "pt"}});

  std::string header = R"({"__metadata__":{"format":"pt"},)"
                       R"("c":{"dtype":"I64","shape":[2,0],"data_offsets":[0,0]},)"
                       R"("b":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},)"
                       R"("a":{"dtype":"F16","shape":[1],"data_offsets":[8,10]},)"
                       R"("s":{"dtype":"U8","shape":[],"data_offsets":[10,11]}})";
  ASSERT_EQ(header.size(), 247u);
  header += ' ';  // 247 → 248, a multiple of 8
  std::string expected = std::string("\xf8\0\0\0\0\0\0\0", 8) + header +
                         std::string("\x00\x00\x80\x3f\x00\x00\x00\x40", 8) +  // 1.0f, 2.0f
                         std::string("\x00\x3c", 2) + "\x03";
  EXPECT_EQ(test::readFile(path), expected);
}

TEST_F(SafetensorsTest, EmptyFileWithoutMetadataHasPaddedEmptyHeader) {
  writeSafetensors(file("none.safetensors"), {}, {});
  EXPECT_EQ(test::readFile(file("none.safetensors")), rawFile("{}      "));
  EXPECT_EQ(readSafetensors(file("none.safetensors")).size(), 0u);
}

TEST_F(SafetensorsTest, IndexOverloadRewritesIdenticalBytes) {
  const float data[] = {1, 2, 3, 4, 5, 6};
  const int64_t ids[] = {7, 8};
  writeSafetensors(file("a.safetensors"), {{"w", DType::F32, {2, 3}, data}, {"ids", DType::I64, {2}, ids}},
                   {{"k", "v"}});
  StateDictIndex index = readSafetensors(file("a.safetensors"));
  writeSafetensors(file("b.safetensors"), index);
  EXPECT_EQ(test::readFile(file("b.safetensors")), test::readFile(file("a.safetensors")));
}

TEST_F(SafetensorsTest, IndexOverloadPacksStridedViews) {
  // A transposed view of a 2x3 row-major storage, starting one element in.
  const float storage[] = {-1, 0, 1, 2, 3, 4, 5};
  StateDictIndex index;
  TensorInfo info;
  info.name = "t";
  info.dtype = DType::F32;
  info.shape = {3, 2};
  info.strides = {1, 3};
  info.storageOffset = 1;
  info.data = reinterpret_cast<const std::byte*>(storage);
  info.storageBytes = sizeof storage;
  index.add(info);
  writeSafetensors(file("t.safetensors"), index);

  StateDictIndex back = readSafetensors(file("t.safetensors"));
  const float expected[] = {0, 3, 1, 4, 2, 5};
  ASSERT_EQ(back.find("t")->shape, (std::vector<int64_t>{3, 2}));
  EXPECT_EQ(bytesOf(*back.find("t")), std::string(reinterpret_cast<const char*>(expected), sizeof expected));
}

TEST_F(SafetensorsTest, IndexOverloadRefusesViewsOutsideStorage) {
  const float storage[] = {0, 1, 2, 3};
  StateDictIndex index;
  TensorInfo info;
  info.name = "t";
  info.shape = {3, 2};
  info.strides = {1, 3};
  info.data = reinterpret_cast<const std::byte*>(storage);
  info.storageBytes = sizeof storage;
  index.add(info);
  EXPECT_THROW(writeSafetensors(file("t.safetensors"), index), CheckpointError);
  EXPECT_FALSE(fs::exists(file("t.safetensors")));
}

TEST_F(SafetensorsTest, ParseLeavesOwnerEmptyAndPointsIntoTheBuffer) {
  std::string bytes = rawFile(R"({"x":{"dtype":"I16","shape":[2],"data_offsets":[0,4]}})", "abcd");
  auto* data = reinterpret_cast<const std::byte*>(bytes.data());
  StateDictIndex index = parseSafetensors(data, bytes.size(), "mem.safetensors");
  EXPECT_EQ(index.owner, nullptr);
  EXPECT_EQ(index.path, "mem.safetensors");
  ASSERT_EQ(index.size(), 1u);
  EXPECT_EQ(index.find("x")->data, data + bytes.size() - 4);
  EXPECT_EQ(index.find("x")->storageBytes, 4u);
}

TEST_F(SafetensorsTest, AcceptsTrailingSpacesUnsortedHeadersAndUnknownFields) {
  std::string header = R"({"b":{"dtype":"U8","shape":[1],"data_offsets":[1,2]},)"
                       R"("a":{"dtype":"U8","shape":[1],"data_offsets":[0,1],"extra":{"x":1}}}   )";
  util::writeFileAtomically(file("ok.safetensors"), rawFile(header, "AB"));
  StateDictIndex index = readSafetensors(file("ok.safetensors"));
  EXPECT_EQ(bytesOf(*index.find("a")), "A");
  EXPECT_EQ(bytesOf(*index.find("b")), "B");
  EXPECT_EQ(index.tensors().front().name, "a");  // file order
}

TEST_F(SafetensorsTest, MissingFileIsCheckpointError) {
  EXPECT_THROW(readSafetensors(file("absent.safetensors")), CheckpointError);
}

// ---------------------------------------------------------- validation --

std::string entry(const std::string& name, const std::string& body) { return "\"" + name + "\":" + body; }

TEST_F(SafetensorsTest, RejectsBadFraming) {
  expectRejected("", "too short");
  expectRejected("abc", "too short");
  std::string hugeLength("\x01\xe1\xf5\x05\0\0\0\0", 8);  // 100,000,001
  expectRejected(hugeLength + "{}", "over the limit");
  std::string length100("\x64\0\0\0\0\0\0\0", 8);
  expectRejected(length100 + "{}", "runs past the end of the file");
  std::string allOnes(8, '\xff');
  expectRejected(allOnes, "over the limit");
}

TEST_F(SafetensorsTest, RejectsHeadersThatAreNotAJsonObject) {
  expectRejected(rawFile(""), "does not start with '{'");
  expectRejected(rawFile("[1, 2]"), "does not start with '{'");
  expectRejected(rawFile(" {}"), "does not start with '{'");
  expectRejected(rawFile("{\"a"), "not valid UTF-8 JSON");
  expectRejected(rawFile("{} x"), "not valid UTF-8 JSON");
  expectRejected(rawFile("{\"a\xff\":1}"), "not valid UTF-8 JSON");
  expectRejected(rawFile("{\"\\ud800\":1}"), "not valid UTF-8 JSON");
  expectRejected(rawFile(R"({"a":{"shape":[[1]]}})"), "nests deeper");
}

TEST_F(SafetensorsTest, RejectsMalformedEntries) {
  expectRejected(rawFile("{" + entry("w", "5") + "}"), "entry is not a JSON object", "w");
  expectRejected(rawFile("{" + entry("w", R"({"shape":[],"data_offsets":[0,4]})") + "}"), "no 'dtype'", "w");
  expectRejected(rawFile("{" + entry("w", R"({"dtype":"F32","data_offsets":[0,4]})") + "}"), "no 'shape'", "w");
  expectRejected(rawFile("{" + entry("w", R"({"dtype":"F32","shape":[]})") + "}"), "no 'data_offsets'", "w");
  expectRejected(rawFile("{" + entry("w", R"({"dtype":"F33","shape":[],"data_offsets":[0,4]})") + "}", "1234"),
                 "unknown dtype 'F33'", "w");
  expectRejected(rawFile("{" + entry("w", R"({"dtype":4,"shape":[],"data_offsets":[0,4]})") + "}", "1234"),
                 "dtype is not a string", "w");
}

TEST_F(SafetensorsTest, RejectsBadShapes) {
  for (const char* shape : {"5", "[-1]", "[1.5]", "[\"2\"]", "[null]", "{}", "[18446744073709551616]"}) {
    SCOPED_TRACE(shape);
    std::string body = std::string(R"({"dtype":"U8","shape":)") + shape + R"(,"data_offsets":[0,0]})";
    expectRejected(rawFile("{" + entry("w", body) + "}"), "shape is not a list of non-negative integers", "w");
  }
  std::string overflow = R"({"dtype":"F32","shape":[4294967296,4294967296],"data_offsets":[0,0]})";
  expectRejected(rawFile("{" + entry("w", overflow) + "}"), "too many elements", "w");
  std::string bytesOverflow = R"({"dtype":"F64","shape":[2305843009213693952],"data_offsets":[0,0]})";
  expectRejected(rawFile("{" + entry("w", bytesOverflow) + "}"), "too many elements", "w");
}

TEST_F(SafetensorsTest, RejectsBadDataOffsets) {
  for (const char* offsets : {"[0]", "[0,1,2]", "[0,-1]", "[-1,0]", "\"0,1\"", "[0.0,1]", "[]"}) {
    SCOPED_TRACE(offsets);
    std::string body = std::string(R"({"dtype":"U8","shape":[1],"data_offsets":)") + offsets + "}";
    expectRejected(rawFile("{" + entry("w", body) + "}", "1"),
                   "data_offsets is not a list of two non-negative integers", "w");
  }
  expectRejected(rawFile("{" + entry("w", R"({"dtype":"U8","shape":[0],"data_offsets":[4,0]})") + "}", "1234"),
                 "begin after they end", "w");
  expectRejected(rawFile("{" + entry("w", R"({"dtype":"F32","shape":[2],"data_offsets":[0,4]})") + "}", "1234"),
                 "data_offsets give 4 bytes, but F32 [2] needs 8", "w");
  expectRejected(rawFile("{" + entry("w", R"({"dtype":"F32","shape":[1],"data_offsets":[0,4]})") + "}", "12"),
                 "outside the 2-byte data section", "w");
  std::string huge = R"({"dtype":"U8","shape":[0],"data_offsets":[18446744073709551615,18446744073709551615]})";
  expectRejected(rawFile("{" + entry("w", huge) + "}"), "outside the 0-byte data section", "w");
}

TEST_F(SafetensorsTest, RejectsOverlapsAndHoles) {
  auto f16x2 = [](int begin) {
    return R"({"dtype":"F16","shape":[2],"data_offsets":[)" + std::to_string(begin) + "," + std::to_string(begin + 4) +
           "]}";
  };
  expectRejected(rawFile("{" + entry("a", f16x2(0)) + "," + entry("b", f16x2(2)) + "}", "123456"),
                 "overlaps that of 'a'", "b");
  expectRejected(rawFile("{" + entry("a", f16x2(0)) + "," + entry("b", f16x2(6)) + "}", "1234567890"),
                 "leaving 2 bytes before it that belong to no tensor", "b");
  expectRejected(rawFile("{" + entry("a", f16x2(2)) + "}", "123456"), "leaving 2 bytes before it", "a");
  expectRejected(rawFile("{" + entry("a", f16x2(0)) + "}", "123456"),
                 "2 bytes at the end of the file belong to no tensor");
  expectRejected(rawFile("{}", "x"), "1 bytes at the end of the file");
}

TEST_F(SafetensorsTest, RejectsDuplicateNamesAndKeys) {
  std::string u8 = R"({"dtype":"U8","shape":[1],"data_offsets":[0,1]})";
  expectRejected(rawFile("{" + entry("a", u8) + "," + entry("a", u8) + "}", "1"), "tensor name appears twice", "a");
  std::string twice = R"({"dtype":"U8","dtype":"U8","shape":[1],"data_offsets":[0,1]})";
  expectRejected(rawFile("{" + entry("a", twice) + "}", "1"), "key appears twice", "dtype");
}

TEST_F(SafetensorsTest, RejectsMetadataThatIsNotStringToString) {
  expectRejected(rawFile(R"({"__metadata__":5})"), "is not an object of string values", "__metadata__");
  expectRejected(rawFile(R"({"__metadata__":["a"]})"), "is not an object of string values", "__metadata__");
  expectRejected(rawFile(R"({"__metadata__":{"k":1}})"), "value of 'k' is not a string", "__metadata__");
  expectRejected(rawFile(R"({"__metadata__":{"k":{}}})"), "value of 'k' is not a string", "__metadata__");
}

TEST_F(SafetensorsTest, ParseReportsThePathItWasGiven) {
  std::string bytes = rawFile("[]");
  try {
    parseSafetensors(reinterpret_cast<const std::byte*>(bytes.data()), bytes.size(), "some/where.safetensors");
    FAIL();
  } catch (const CheckpointError& e) {
    EXPECT_EQ(std::string(e.what()).rfind("some/where.safetensors: ", 0), 0u) << e.what();
  }
}

// ------------------------------------------------------------- writing --

TEST_F(SafetensorsTest, WriterRefusesBadTensorsAndKeepsTheOldFile) {
  std::string path = file("out.safetensors");
  util::writeFileAtomically(path, std::string_view("old"));
  const uint8_t one[] = {1};
  auto expectRefused = [&](const std::vector<TensorView>& views, const std::string& problem) {
    try {
      writeSafetensors(path, views, {});
      ADD_FAILURE() << "accepted: " << problem;
    } catch (const CheckpointError& e) {
      EXPECT_NE(std::string(e.what()).find(path), std::string::npos) << e.what();
      EXPECT_NE(std::string(e.what()).find(problem), std::string::npos) << e.what();
    }
    EXPECT_EQ(test::readFile(path), "old");
  };
  expectRefused({{"a", DType::U8, {1}, one}, {"a", DType::U8, {1}, one}}, "appears twice");
  expectRefused({{"__metadata__", DType::U8, {1}, one}}, "reserved");
  expectRefused({{"a", DType::U8, {-1}, one}}, "negative dimension");
  expectRefused({{"a", DType::U8, {1}, nullptr}}, "no data");
  expectRefused({{"a\xff", DType::U8, {1}, one}}, "not valid UTF-8");
  expectRefused({{"a", DType::F64, {int64_t{1} << 62}, one}}, "too large");
  EXPECT_EQ(fs::directory_iterator(dir_)->path().filename(), "out.safetensors");
}

TEST_F(SafetensorsTest, WriterIntoMissingFolderSaysSo) {
  const uint8_t one[] = {1};
  std::string path = file("missing/out.safetensors");
  try {
    writeSafetensors(path, {{"a", DType::U8, {1}, one}}, {});
    FAIL();
  } catch (const util::FileWriteError& e) {
    EXPECT_NE(std::string(e.what()).find(path), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("does not exist"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace sm::io
