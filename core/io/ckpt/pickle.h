#pragma once
// A whitelist-only unpickler for the pickles inside PyTorch checkpoints. It
// never imports or calls anything: it builds an inert value tree, turns the
// few torch rebuild functions it knows into TensorRef descriptions, and
// refuses any other global before it could be used. Inside: the opcode reader
// (unpickler.cpp), the safe object builder (pickle_object_builder.h) and the
// value tree (pickle_value.cpp).
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <variant>
#include <vector>

#include "core/io/dtype.h"

namespace sm::io::ckpt {

/// A storage named by a persistent id ('storage', torch.<T>Storage, key, location, numel).
struct StorageRef {
  /// Name of the data record, `<root>/data/<key>`.
  std::string key;
  DType dtype = DType::F32;
  /// "cpu", "cuda:0"...; informational only.
  std::string location;
  int64_t numel = 0;
};

/// A tensor rebuilt by torch._utils._rebuild_tensor(_v2) or _rebuild_parameter:
/// a strided view (in elements) of a storage. The unpickler has checked that the
/// view lies inside storage.numel elements.
struct TensorRef {
  StorageRef storage;
  int64_t storageOffset = 0;
  std::vector<int64_t> size;
  std::vector<int64_t> stride;
  bool requiresGrad = false;
  bool isParameter = false;
};

/// A global that the whitelist allows without giving it meaning (numpy
/// scalars and dtypes, Lightning callbacks, torch dtypes). Never imported.
struct GlobalRef {
  std::string module;
  std::string name;
  std::string qualifiedName() const { return module + "." + name; }
};

struct PickleContainer;
class PickleObjectBuilder;

/// One value of the unpickled tree. Copies are cheap and share containers,
/// as Python references do (the memo hands out the same object again).
class PickleValue {
 public:
  /// Global is a whitelisted inert callable; Object the inert result of calling one.
  enum class Kind { None, Bool, Int, Float, String, Bytes, List, Tuple, Dict, Set, Tensor, Storage, Global, Object };
  using DictEntry = std::pair<PickleValue, PickleValue>;

  PickleValue() = default;
  static PickleValue boolean(bool value);
  static PickleValue integer(int64_t value);
  static PickleValue real(double value);
  static PickleValue string(std::string value);
  static PickleValue bytes(std::string value);
  /// An empty List, Tuple, Dict or Set.
  static PickleValue container(Kind kind);
  static PickleValue tensor(TensorRef value);
  static PickleValue storage(StorageRef value);
  static PickleValue global(GlobalRef value);
  static PickleValue object(GlobalRef type);

  Kind kind() const { return kind_; }
  bool is(Kind kind) const { return kind_ == kind; }
  bool isContainer() const;

  // Accessors throw sm::Error when the value has another kind.
  bool asBool() const;
  int64_t asInt() const;
  double asFloat() const;
  /// String (UTF-8 as stored) or Bytes.
  const std::string& asString() const;
  /// Items of a List, Tuple or Set.
  const std::vector<PickleValue>& items() const;
  /// Entries of a Dict, in insertion order.
  const std::vector<DictEntry>& entries() const;
  /// The value stored under a string key of a Dict, or nullptr.
  const PickleValue* get(std::string_view key) const;
  const TensorRef& asTensor() const;
  const StorageRef& asStorage() const;
  /// The global of a Global or Object value.
  const GlobalRef& asGlobal() const;

  static std::string_view kindName(Kind kind);

 private:
  friend class PickleObjectBuilder;
  friend struct PickleContainer;
  PickleContainer& mutableContainer() const;
  const PickleContainer& containerRef() const;

  Kind kind_ = Kind::None;
  std::variant<std::monostate, bool, int64_t, double, std::shared_ptr<const std::string>,
               std::shared_ptr<PickleContainer>, std::shared_ptr<const TensorRef>, std::shared_ptr<const StorageRef>,
               std::shared_ptr<const GlobalRef>>
      payload_;
};

/// Storage behind List, Tuple, Set (items) and Dict (entries) values.
struct PickleContainer {
  std::vector<PickleValue> items;
  std::vector<PickleValue::DictEntry> entries;
  /// Index of string keys into `entries`, so that a repeated key replaces.
  std::unordered_map<std::string, size_t> stringKeys;
  /// Set once the container is placed inside another; it may not change after
  /// that, which rules out cycles (see PickleObjectBuilder::addToContainer).
  bool sealed = false;

  PickleContainer() = default;
  PickleContainer(const PickleContainer&) = delete;
  PickleContainer& operator=(const PickleContainer&) = delete;
  /// Frees nested containers iteratively: an input can nest them deeper than the call stack allows.
  ~PickleContainer();
};

/// Unpickles `size` bytes. `pathForErrors` names the file in errors.
/// Throws CheckpointError on malformed input, on limits being exceeded, and
/// on any global outside the whitelist (naming it).
PickleValue unpickle(const std::byte* data, size_t size, const std::string& pathForErrors);

/// A short, single-line text for a value: scalars as Python prints them,
/// strings as themselves, others as "<dict of 3 entries>" and the like.
std::string describe(const PickleValue& value);

}  // namespace sm::io::ckpt
