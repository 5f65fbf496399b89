#pragma once
// The safe object builder, private to the unpickler: everything that turns the
// opcode reader's operands into values. It holds the whitelist of globals and
// gives REDUCE, NEWOBJ, BUILD and persistent ids their (inert) meaning: torch's
// tensor rebuild functions become TensorRefs, OrderedDict and set become
// containers, any other allowed global an inert Object, anything else is
// refused before it could be used. It also fills containers, refusing cycles.
// The opcode reader (unpickler.cpp) owns the stack, the memo and the stream.
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "core/io/ckpt/pickle.h"

namespace sm::io::ckpt {

/// Where the reader is, for errors: the file and the byte offset of the opcode
/// being run. Shared by the reader and the builder, so every error names both.
class PickleCursor {
 public:
  explicit PickleCursor(const std::string& path) : path_(path) {}
  const std::string& path() const { return path_; }
  void setOpcodeStart(size_t offset) { opcodeStart_ = offset; }
  /// Throws CheckpointError "pickle: <problem> (at byte N)" naming the file.
  [[noreturn]] void fail(const std::string& problem) const;

 private:
  const std::string& path_;
  size_t opcodeStart_ = 0;
};

class PickleObjectBuilder {
 public:
  /// `inputSize` sets the work budget (element copies) a pickle of that size may spend.
  PickleObjectBuilder(const PickleCursor& cursor, size_t inputSize);

  /// GLOBAL / STACK_GLOBAL: a Global value for a whitelisted name; throws
  /// CheckpointError naming any other global ("refusing to load ...").
  PickleValue global(std::string module, std::string name) const;
  /// REDUCE (fn(*args)) or NEWOBJ (cls.__new__(cls, *args)).
  PickleValue reduce(const PickleValue& fn, const PickleValue& args, bool newObject);
  /// BUILD: checks that `target` can take a state; the state itself is ignored.
  void build(const PickleValue& target) const;
  /// BINPERSID: ('storage', torch.<T>Storage, key, location, numel) to a Storage value.
  PickleValue persistentLoad(const PickleValue& pid) const;

  /// APPEND(S), ADDITEMS, SETITEM(S): adds `values` (key, value pairs for a
  /// Dict) to `target`, which must be a container of kind `expected`.
  void addToContainer(PickleValue& target, std::vector<PickleValue> values, PickleValue::Kind expected) const;
  /// TUPLE*, FROZENSET: a new Tuple or Set holding `items`.
  PickleValue makeSequence(PickleValue::Kind kind, std::vector<PickleValue> items) const;

 private:
  [[noreturn]] void fail(const std::string& problem) const { cursor_.fail(problem); }
  void spend(uint64_t work);
  void seal(const PickleValue& child, const PickleContainer& parent) const;
  void setItem(PickleContainer& dict, PickleValue key, PickleValue value) const;

  PickleValue call(const GlobalRef& fn, const PickleValue& args, bool newObject);
  PickleValue fromItems(PickleValue::Kind kind, const GlobalRef& fn, const std::vector<PickleValue>& args);
  PickleValue device(const std::vector<PickleValue>& args) const;
  PickleValue rebuildTensor(const std::vector<PickleValue>& args, size_t minArgs) const;
  PickleValue rebuildParameter(const std::vector<PickleValue>& args) const;
  PickleValue rebuildFromType(const std::vector<PickleValue>& args) const;
  std::vector<int64_t> intTuple(const PickleValue& value, const char* what) const;
  void checkView(const TensorRef& t) const;

  const PickleCursor& cursor_;
  uint64_t workLeft_;
};

}  // namespace sm::io::ckpt
