#include "core/io/ckpt/pickle.h"

#include <gtest/gtest.h>

#include <string>

#include "core/util/error.h"

// Pickles written by hand, opcode by opcode (byte values: Lib/pickle.py).

namespace sm::io::ckpt {
namespace {

using Kind = PickleValue::Kind;
using namespace std::string_literals;

PickleValue load(const std::string& bytes) {
  return unpickle(reinterpret_cast<const std::byte*>(bytes.data()), bytes.size(), "test.pkl");
}

// The error message of loading `bytes`, or "" if it loads.
std::string failure(const std::string& bytes) {
  try {
    load(bytes);
  } catch (const CheckpointError& e) {
    EXPECT_EQ(e.path(), "test.pkl");
    return e.what();
  }
  return "";
}

std::string le32(uint32_t v) {
  std::string s;
  for (int i = 0; i < 4; ++i) s += static_cast<char>((v >> (8 * i)) & 0xff);
  return s;
}

std::string unicode(const std::string& s) { return "X" + le32(static_cast<uint32_t>(s.size())) + s; }

// ('storage', torch.FloatStorage, key, 'cpu', numel) BINPERSID
std::string storage(const std::string& key, int numel) {
  return "(" + unicode("storage") + "ctorch\nFloatStorage\n" + unicode(key) + unicode("cpu") + "K" +
         static_cast<char>(numel) + "tQ";
}

TEST(Pickle, Integers) {
  EXPECT_EQ(load("\x80\x02K\xff."s).asInt(), 255);
  EXPECT_EQ(load("M\x34\x12."s).asInt(), 0x1234);
  EXPECT_EQ(load("J\xfe\xff\xff\xff."s).asInt(), -2);
  EXPECT_EQ(load("\x8a\x02\x00\x80."s).asInt(), -32768);  // LONG1 sign-extends
  EXPECT_EQ(load("\x8a\x00."s).asInt(), 0);
  EXPECT_EQ(load("\x8a\x08\xff\xff\xff\xff\xff\xff\xff\x7f."s).asInt(), INT64_MAX);
  EXPECT_NE(failure("\x8a\x09\x00\x00\x00\x00\x00\x00\x00\x00\x01."s).find("64 bits"), std::string::npos);
}

TEST(Pickle, ScalarsAndStrings) {
  EXPECT_DOUBLE_EQ(load("G\x3f\xf8\x00\x00\x00\x00\x00\x00."s).asFloat(), 1.5);  // big-endian
  EXPECT_TRUE(load("N."s).is(Kind::None));
  EXPECT_TRUE(load("\x88."s).asBool());
  EXPECT_FALSE(load("\x89."s).asBool());
  EXPECT_EQ(load(unicode("héllo") + ".").asString(), "héllo");
  EXPECT_EQ(load("\x8c\x02hi."s).asString(), "hi");
  EXPECT_EQ(load("\x8d\x02\x00\x00\x00\x00\x00\x00\x00hi."s).asString(), "hi");
  EXPECT_EQ(load("U\x03"
                 "abc."s)
                .asString(),
            "abc");
  PickleValue b = load("C\x02\x00\x01."s);
  EXPECT_TRUE(b.is(Kind::Bytes));
  EXPECT_EQ(b.asString(), "\x00\x01"s);
  EXPECT_EQ(load("B\x01\x00\x00\x00z."s).asString(), "z");
}

TEST(Pickle, ListsTuplesSets) {
  PickleValue list = load(
      "](K\x01K\x02"
      "eK\x03"
      "a."s);
  ASSERT_TRUE(list.is(Kind::List));
  ASSERT_EQ(list.items().size(), 3u);
  EXPECT_EQ(list.items()[2].asInt(), 3);
  EXPECT_EQ(load(")."s).items().size(), 0u);
  EXPECT_EQ(load("K\x01\x85."s).items().size(), 1u);
  EXPECT_EQ(load("K\x01K\x02\x86."s).items()[1].asInt(), 2);
  EXPECT_EQ(load("K\x01K\x02K\x03\x87."s).items().size(), 3u);
  EXPECT_EQ(load("(K\x01K\x02K\x03K\x04t."s).items().size(), 4u);
  PickleValue set = load("\x8f(K\x01K\x02\x90."s);
  EXPECT_TRUE(set.is(Kind::Set));
  EXPECT_EQ(set.items().size(), 2u);
  EXPECT_TRUE(load("(K\x01\x91."s).is(Kind::Set));
}

TEST(Pickle, DictsKeepOrderAndLastValue) {
  PickleValue dict = load("}(" + unicode("b") + "K\x01" + unicode("a") + "K\x02u" + unicode("b") + "K\x03s.");
  ASSERT_TRUE(dict.is(Kind::Dict));
  ASSERT_EQ(dict.entries().size(), 2u);
  EXPECT_EQ(dict.entries()[0].first.asString(), "b");
  EXPECT_EQ(dict.get("b")->asInt(), 3);
  EXPECT_EQ(dict.get("a")->asInt(), 2);
  EXPECT_EQ(dict.get("c"), nullptr);
  EXPECT_NE(failure("}(K\x01u."s).find("odd"), std::string::npos);
  EXPECT_NE(failure("}]K\x01s."s).find("unhashable"), std::string::npos);
}

TEST(Pickle, MemoSharesObjectsLikePython) {
  // The dict is memoised while empty and filled afterwards: BINGET must see the filled dict.
  PickleValue v = load("}q\x01"s + unicode("k") +
                       "K\x07s0]h\x01"
                       "a.");
  ASSERT_EQ(v.items().size(), 1u);
  EXPECT_EQ(v.items()[0].get("k")->asInt(), 7);
  EXPECT_EQ(load("K\x05r\x10\x00\x00\x00"
                 "0j\x10\x00\x00\x00."s)
                .asInt(),
            5);
  EXPECT_EQ(load("K\x05\x94K\x06\x94"
                 "0h\x00."s)
                .asInt(),
            5);                                                             // MEMOIZE numbers from 0
  EXPECT_EQ(load("K\x05r\xff\xff\xff\xffj\xff\xff\xff\xff."s).asInt(), 5);  // any 32-bit index
  EXPECT_NE(failure("K\x01j\x10\x00\x00\x00."s).find("before it is written"), std::string::npos);
  EXPECT_NE(failure("h\x00."s).find("memo"), std::string::npos);
}

TEST(Pickle, StackManipulation) {
  EXPECT_EQ(load("K\x01K\x02"
                 "0."s)
                .asInt(),
            1);  // POP
  EXPECT_EQ(load("K\x01(K\x02K\x03"
                 "1."s)
                .asInt(),
            1);  // POP_MARK
  EXPECT_EQ(load("K\x01"
                 "2\x86."s)
                .items()[1]
                .asInt(),
            1);  // DUP
}

TEST(Pickle, Protocol4FramesAndStackGlobal) {
  std::string p = "\x80\x04\x95\x20\x00\x00\x00\x00\x00\x00\x00"s +
                  "\x8c\x0b"
                  "collections"
                  "\x94"
                  "\x8c\x0bOrderedDict\x94" +
                  "\x93\x94)R\x94.";
  PickleValue v = load(p);
  EXPECT_TRUE(v.is(Kind::Dict));
}

TEST(Pickle, OrderedDictFromPairsAndBuildIgnored) {
  std::string p =
      "ccollections\nOrderedDict\n]("
      "(" +
      unicode("a") + "K\x01t(" + unicode("b") + "K\x02te\x85R" + "}" + unicode("_metadata") + "}sb.";
  PickleValue v = load("\x80\x02" + std::string(p));
  ASSERT_TRUE(v.is(Kind::Dict));
  ASSERT_EQ(v.entries().size(), 2u);
  EXPECT_EQ(v.get("b")->asInt(), 2);
}

TEST(Pickle, RebuildsTensorV2) {
  std::string p =
      "\x80\x02"
      "ctorch._utils\n_rebuild_tensor_v2\n(" +
      storage("0", 12) +
      "K\x01K\x02K\x03\x86K\x03K\x01\x86\x89"
      "ccollections\nOrderedDict\n)Rtq\x05R.";
  PickleValue v = load(p);
  ASSERT_TRUE(v.is(Kind::Tensor));
  const TensorRef& t = v.asTensor();
  EXPECT_EQ(t.storage.key, "0");
  EXPECT_EQ(t.storage.dtype, DType::F32);
  EXPECT_EQ(t.storage.location, "cpu");
  EXPECT_EQ(t.storage.numel, 12);
  EXPECT_EQ(t.storageOffset, 1);
  EXPECT_EQ(t.size, (std::vector<int64_t>{2, 3}));
  EXPECT_EQ(t.stride, (std::vector<int64_t>{3, 1}));
  EXPECT_FALSE(t.isParameter);
}

TEST(Pickle, RebuildsParameterAndOldTensor) {
  std::string tensor = "ctorch._utils\n_rebuild_tensor\n(" + storage("7", 4) + "K\x00K\x04\x85K\x01\x85tR"s;
  std::string p = "ctorch._utils\n_rebuild_parameter\n(" + tensor +
                  "\x88"
                  "ccollections\nOrderedDict\n)RtR.";
  PickleValue v = load(p);
  const TensorRef& t = v.asTensor();
  EXPECT_TRUE(t.isParameter);
  EXPECT_TRUE(t.requiresGrad);
  EXPECT_EQ(t.storage.key, "7");
}

TEST(Pickle, RefusesViewOutsideStorage) {
  std::string p = "ctorch._utils\n_rebuild_tensor\n(" + storage("0", 5) + "K\x00K\x02K\x03\x86K\x03K\x01\x86tR."s;
  EXPECT_NE(failure(p).find("storage of 5 elements"), std::string::npos);
  std::string negative =
      "ctorch._utils\n_rebuild_tensor\n(" + storage("0", 5) + "K\x00J\xff\xff\xff\xff\x85K\x01\x85tR."s;
  EXPECT_NE(failure(negative).find("negative"), std::string::npos);
}

TEST(Pickle, RefusesBadPersistentIds) {
  EXPECT_NE(failure("(" + unicode("storage") + "tQ.").find("persistent id"), std::string::npos);
  EXPECT_NE(failure("K\x01Q."s).find("persistent id"), std::string::npos);
  std::string slash =
      "(" + unicode("storage") + "ctorch\nFloatStorage\n" + unicode("../x") + unicode("cpu") + "K\x01tQ.";
  EXPECT_NE(failure(slash).find("storage key"), std::string::npos);
}

TEST(Pickle, InertGlobalsStayInert) {
  std::string p =
      "\x80\x02"
      "cpytorch_lightning.callbacks.model_checkpoint\nModelCheckpoint\n)\x81}" +
      unicode("x") + "K\x01sb.";
  PickleValue v = load(p);
  ASSERT_TRUE(v.is(Kind::Object));
  EXPECT_EQ(v.asGlobal().qualifiedName(), "pytorch_lightning.callbacks.model_checkpoint.ModelCheckpoint");
  PickleValue bytes = load("c_codecs\nencode\n" + unicode("\xc3\x90?") + unicode("latin1") + "\x86R.");
  EXPECT_TRUE(bytes.is(Kind::Bytes));
  EXPECT_EQ(bytes.asString(), "\xd0?");
  EXPECT_EQ(load("ctorch\ndevice\n" + unicode("cuda") + "K\x01\x86R.").asString(), "cuda:1");
  EXPECT_EQ(load("ctorch\nSize\n(K\x02K\x03t\x85R."s).items().size(), 2u);
  EXPECT_EQ(load("cbuiltins\nset\n(K\x02K\x03t\x85R."s).items().size(), 2u);
}

TEST(Pickle, RefusesDangerousGlobalsNamingThem) {
  const char* globals[][2] = {{"posix", "system"},     {"os", "system"},           {"builtins", "eval"},
                              {"subprocess", "Popen"}, {"__builtin__", "getattr"}, {"torch", "load"}};
  for (auto& [module, name] : globals) {
    std::string qualified = std::string(module) + "." + name;
    std::string message = failure(
        "\x80\x02"
        "c" +
        std::string(module) + "\n" + name + "\n" + unicode("echo") + "\x85R.");
    EXPECT_NE(message.find("'" + qualified + "'"), std::string::npos) << message;
    EXPECT_NE(message.find("refusing to load"), std::string::npos);
  }
  // The same through STACK_GLOBAL.
  std::string stacked =
      "\x80\x04\x8c\x08"
      "builtins\x8c\x04"
      "eval\x93" +
      unicode("1") + "\x85R.";
  EXPECT_NE(failure(stacked).find("'builtins.eval'"), std::string::npos);
  // A call on something that is not a global never happens.
  EXPECT_NE(failure(unicode("x") + ")R.").find("REDUCE"), std::string::npos);
}

TEST(Pickle, RefusesTruncatedStreams) {
  EXPECT_NE(failure("").find("without STOP"), std::string::npos);
  EXPECT_NE(failure("K\x01"s).find("without STOP"), std::string::npos);
  EXPECT_NE(failure("J\x01\x02"s).find("truncated"), std::string::npos);
  EXPECT_NE(failure("X\x05\x00\x00\x00"
                    "ab"s)
                .find("truncated"),
            std::string::npos);
  EXPECT_NE(failure("X\xff\xff\xff\xff"
                    "ab."s)
                .find("truncated"),
            std::string::npos);  // length past the end
  EXPECT_NE(failure("\x8d\xff\xff\xff\xff\xff\xff\xff\xff."s).find("truncated"), std::string::npos);
  EXPECT_NE(failure("cposix"s).find("global name"), std::string::npos);
  EXPECT_NE(failure("c" + std::string(4000, 'a')).find("too long"), std::string::npos);
}

TEST(Pickle, RefusesMalformedOperations) {
  EXPECT_NE(failure("."s).find("empty stack"), std::string::npos);
  EXPECT_NE(failure("a."s).find("empty stack"), std::string::npos);
  EXPECT_NE(failure("K\x01K\x02"
                    "a."s)
                .find("cannot add"),
            std::string::npos);
  EXPECT_NE(failure("e."s).find("MARK"), std::string::npos);
  EXPECT_NE(failure("(K\x01"
                    "0"
                    "0."s)
                .find("empty stack"),
            std::string::npos);  // no pop below a MARK
  EXPECT_NE(failure("K\x01K\x02"
                    "b."s)
                .find("BUILD"),
            std::string::npos);
  EXPECT_NE(failure("I1\n."s).find("unsupported opcode 0x49"), std::string::npos);
  EXPECT_NE(failure("\x80\x09."s).find("protocol"), std::string::npos);
}

TEST(Pickle, RefusesCycles) {
  EXPECT_NE(failure("]q\x00h\x00"
                    "a."s)
                .find("recursive"),
            std::string::npos);
  EXPECT_NE(failure("]q\x00]q\x01h\x00"
                    "a0h\x01"
                    "a."s)
                .find("recursive"),
            std::string::npos);
}

TEST(Pickle, BoundsStackMarksAndMemo) {
  EXPECT_NE(failure(std::string(300000, 'N') + ".").find("stack too deep"), std::string::npos);
  EXPECT_NE(failure(std::string(5000, '(') + ".").find("MARKs nested"), std::string::npos);
}

TEST(Pickle, DeepNestingFreesWithoutRecursion) {
  // Each round wraps the previous list in a new one: 200,000 levels.
  std::string p = "]q\x00"s;
  for (int i = 0; i < 200000; ++i)
    p += "]h\x00"
         "aq\x00"
         "0"s;
  p += "h\x00."s;
  PickleValue v = load(p);
  EXPECT_TRUE(v.is(Kind::List));
  EXPECT_EQ(v.items().size(), 1u);
}

TEST(Pickle, SharedReferencesStayCheap) {
  // Each round makes a list holding the previous one twice: 2^60 paths.
  std::string p = "]q\x00"s;
  for (int i = 0; i < 60; ++i)
    p += "](h\x00h\x00"
         "eq\x00"
         "0"s;
  p += "h\x00."s;
  EXPECT_EQ(load(p).items().size(), 2u);
  EXPECT_EQ(describe(load(p)), "<list of 2 items>");
}

TEST(Pickle, RefusesCopyBombs) {
  // OrderedDict(list) copies the list: repeating it on a big list must hit the work limit.
  std::string p = "ccollections\nOrderedDict\nq\x00]("s;
  for (int i = 0; i < 20000; ++i) p += ")";
  p += "eq\x01"
       "0";
  for (int i = 0; i < 2000; ++i) p += "cbuiltins\nset\nh\x01\x85R0";
  p += "N.";
  EXPECT_NE(failure(p).find("too complex"), std::string::npos);
}

TEST(Pickle, Describe) {
  EXPECT_EQ(describe(load("G\x3f\xf0\x00\x00\x00\x00\x00\x00."s)), "1.0");
  EXPECT_EQ(describe(load("G\x3f\x1a\x36\xe2\xeb\x1c\x43\x2d."s)), "0.0001");
  EXPECT_EQ(describe(load("G\x3e\xe4\xf8\xb5\x88\xe3\x68\xf1."s)), "1e-05");
  EXPECT_EQ(describe(load("G\xc0\x5e\xdd\x2f\x1a\x9f\xbe\x77."s)), "-123.456");
  EXPECT_EQ(describe(load("\x88."s)), "True");
  EXPECT_EQ(describe(load("N."s)), "None");
  EXPECT_EQ(describe(load("}."s)), "<dict of 0 entries>");
}

TEST(Pickle, AccessorOfWrongKindThrows) {
  PickleValue v = load("K\x01."s);
  EXPECT_THROW(v.asString(), Error);
  EXPECT_THROW(v.items(), Error);
  EXPECT_THROW(v.asTensor(), Error);
}

}  // namespace
}  // namespace sm::io::ckpt
