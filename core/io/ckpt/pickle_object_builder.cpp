// The safe object builder: the whitelist of globals and what REDUCE, NEWOBJ,
// BUILD and persistent ids make of them (see pickle_object_builder.h).
#include "core/io/ckpt/pickle_object_builder.h"

#include <optional>
#include <unordered_map>

#include "core/util/error.h"

// ref: torch/_weights_only_unpickler.py (what torch itself allows) and
// torch/_utils.py (the rebuild functions' arguments).

namespace sm::io::ckpt {

namespace {

/// What calling (REDUCE / NEWOBJ) a whitelisted global does.
enum class Callable {
  Inert,  // yields an inert Object; the global itself is never imported
  OrderedDict,
  Set,
  Size,
  Device,
  CodecsEncode,
  Storage,  // only valid inside a persistent id
  RebuildTensorV2,
  RebuildTensor,
  RebuildParameter,
  RebuildParameterWithState,
  RebuildFromTypeV2,
};

const std::unordered_map<std::string_view, DType>& storageTypes() {
  static const std::unordered_map<std::string_view, DType> types = {
      {"torch.FloatStorage", DType::F32},  {"torch.HalfStorage", DType::F16},   {"torch.BFloat16Storage", DType::BF16},
      {"torch.DoubleStorage", DType::F64}, {"torch.LongStorage", DType::I64},   {"torch.IntStorage", DType::I32},
      {"torch.ShortStorage", DType::I16},  {"torch.CharStorage", DType::I8},    {"torch.ByteStorage", DType::U8},
      {"torch.BoolStorage", DType::Bool},  {"torch.UntypedStorage", DType::U8},
  };
  return types;
}

std::optional<Callable> lookupGlobal(const std::string& qualified) {
  static const std::unordered_map<std::string_view, Callable> globals = {
      {"collections.OrderedDict", Callable::OrderedDict},
      {"builtins.set", Callable::Set},
      {"builtins.frozenset", Callable::Set},
      {"__builtin__.set", Callable::Set},
      {"builtins.complex", Callable::Inert},
      {"_codecs.encode", Callable::CodecsEncode},
      {"torch.Size", Callable::Size},
      {"torch.device", Callable::Device},
      {"torch._utils._rebuild_tensor_v2", Callable::RebuildTensorV2},
      {"torch._utils._rebuild_tensor", Callable::RebuildTensor},
      {"torch._utils._rebuild_parameter", Callable::RebuildParameter},
      {"torch._utils._rebuild_parameter_with_state", Callable::RebuildParameterWithState},
      {"torch._tensor._rebuild_from_type_v2", Callable::RebuildFromTypeV2},
      // Named only as arguments (_rebuild_from_type_v2's type, _rebuild_tensor_v2 metadata).
      {"torch.Tensor", Callable::Inert},
      {"torch.nn.parameter.Parameter", Callable::Inert},
      {"torch.float32", Callable::Inert},
      {"torch.float16", Callable::Inert},
      {"torch.bfloat16", Callable::Inert},
      {"torch.float64", Callable::Inert},
      {"torch.int64", Callable::Inert},
      {"torch.int32", Callable::Inert},
      {"torch.int16", Callable::Inert},
      {"torch.int8", Callable::Inert},
      {"torch.uint8", Callable::Inert},
      {"torch.bool", Callable::Inert},
      // Found outside the state dict of Lightning training checkpoints.
      {"pytorch_lightning.callbacks.model_checkpoint.ModelCheckpoint", Callable::Inert},
      {"lightning.pytorch.callbacks.model_checkpoint.ModelCheckpoint", Callable::Inert},
      {"numpy.core.multiarray.scalar", Callable::Inert},
      {"numpy._core.multiarray.scalar", Callable::Inert},
      {"numpy.dtype", Callable::Inert},
  };
  if (storageTypes().count(qualified)) return Callable::Storage;
  auto it = globals.find(qualified);
  if (it == globals.end()) return std::nullopt;
  return it->second;
}

// Limits. Real checkpoints stay far below them; they exist so that a hostile
// file fails fast instead of exhausting memory or time.
constexpr size_t kMaxDims = 64;
// Element copies and graph visits allowed, besides what the input's own size pays for.
constexpr uint64_t kBaseWork = uint64_t{1} << 20;

std::string printable(std::string_view text) {
  std::string out;
  for (char c : text.substr(0, 200)) out += (c >= 0x20 && c < 0x7f) ? c : '?';
  return out;
}

PickleValue encodeLatin1(const std::vector<PickleValue>& args, const GlobalRef& fn) {
  // _codecs.encode(text, 'latin1') is how protocol 2 pickles bytes (numpy
  // scalars use it). Decode the UTF-8 text back to the original bytes.
  using Kind = PickleValue::Kind;
  if (args.size() != 2 || !args[0].is(Kind::String) || !args[1].is(Kind::String) ||
      (args[1].asString() != "latin1" && args[1].asString() != "latin-1"))
    return PickleValue::object(fn);
  const std::string& s = args[0].asString();
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    auto c = static_cast<unsigned char>(s[i]);
    if (c < 0x80) {
      out += static_cast<char>(c);
    } else if ((c == 0xc2 || c == 0xc3) && i + 1 < s.size() && (static_cast<unsigned char>(s[i + 1]) & 0xc0) == 0x80) {
      out += static_cast<char>(((c & 0x1f) << 6) | (static_cast<unsigned char>(s[++i]) & 0x3f));
    } else {
      return PickleValue::object(fn);  // not representable in latin-1: keep it inert
    }
  }
  return PickleValue::bytes(std::move(out));
}

}  // namespace

void PickleCursor::fail(const std::string& problem) const {
  throw CheckpointError(path_, "pickle: " + problem + " (at byte " + std::to_string(opcodeStart_) + ")");
}

PickleObjectBuilder::PickleObjectBuilder(const PickleCursor& cursor, size_t inputSize)
    : cursor_(cursor), workLeft_(kBaseWork + 4 * uint64_t{inputSize}) {}

void PickleObjectBuilder::spend(uint64_t work) {
  if (work > workLeft_) fail("the pickle is too complex (copies or shared references beyond limits)");
  workLeft_ -= work;
}

PickleValue PickleObjectBuilder::global(std::string module, std::string name) const {
  GlobalRef ref{std::move(module), std::move(name)};
  std::string qualified = ref.qualifiedName();
  if (!lookupGlobal(qualified))
    throw CheckpointError(cursor_.path(), "refusing to load: the pickle references the global '" +
                                              printable(qualified) +
                                              "', which could run code; only plain tensors and containers are allowed");
  return PickleValue::global(std::move(ref));
}

void PickleObjectBuilder::addToContainer(PickleValue& target, std::vector<PickleValue> values,
                                         PickleValue::Kind expected) const {
  if (!target.is(expected))
    fail("cannot add items to a " + std::string(PickleValue::kindName(target.kind())) + " (expected a " +
         std::string(PickleValue::kindName(expected)) + ")");
  PickleContainer& c = target.mutableContainer();
  if (c.sealed) fail("a container changes after it was placed in another (recursive structures are not supported)");
  for (const auto& v : values) seal(v, c);
  if (expected != PickleValue::Kind::Dict) {
    for (auto& v : values) c.items.push_back(std::move(v));
    return;
  }
  for (size_t i = 0; i + 1 < values.size(); i += 2) setItem(c, std::move(values[i]), std::move(values[i + 1]));
}

// Python pickles may be recursive (a list inside itself); these trees may
// not, since a cycle would leak and make every walk endless. A cycle needs a
// container that changes after it was placed in another: Python's pickler
// only does that for recursive objects, so such a change is refused. O(1)
// per item, unlike searching the graph on every insertion.
void PickleObjectBuilder::seal(const PickleValue& child, const PickleContainer& parent) const {
  if (!child.isContainer()) return;
  PickleContainer& c = child.mutableContainer();
  if (&c == &parent) fail("a container would contain itself (recursive structures are not supported)");
  c.sealed = true;
}

PickleValue PickleObjectBuilder::makeSequence(PickleValue::Kind kind, std::vector<PickleValue> items) const {
  PickleValue out = PickleValue::container(kind);
  PickleContainer& c = out.mutableContainer();
  for (const auto& v : items) seal(v, c);
  c.items = std::move(items);
  return out;
}

void PickleObjectBuilder::setItem(PickleContainer& dict, PickleValue key, PickleValue value) const {
  using Kind = PickleValue::Kind;
  if (key.is(Kind::List) || key.is(Kind::Dict) || key.is(Kind::Set))
    fail("unhashable dict key of type " + std::string(PickleValue::kindName(key.kind())));
  if (key.is(Kind::String)) {
    auto [it, inserted] = dict.stringKeys.emplace(key.asString(), dict.entries.size());
    if (!inserted) {
      dict.entries[it->second].second = std::move(value);  // Python keeps the first position, takes the last value
      return;
    }
  }
  // Non-string keys are not de-duplicated; checkpoints only use string keys.
  dict.entries.emplace_back(std::move(key), std::move(value));
}

PickleValue PickleObjectBuilder::reduce(const PickleValue& fn, const PickleValue& args, bool newObject) {
  if (!fn.is(PickleValue::Kind::Global))
    fail(std::string(newObject ? "NEWOBJ" : "REDUCE") + " on a " + std::string(PickleValue::kindName(fn.kind())) +
         ", not a class or function");
  if (!args.is(PickleValue::Kind::Tuple)) fail("REDUCE arguments are not a tuple");
  return call(fn.asGlobal(), args, newObject);
}

void PickleObjectBuilder::build(const PickleValue& target) const {
  // BUILD would set attributes (or __setstate__): for an OrderedDict state
  // dict it carries `_metadata`, for inert objects their fields. Ignored.
  using Kind = PickleValue::Kind;
  if (target.is(Kind::Dict) || target.is(Kind::Object) || target.is(Kind::Tensor) || target.is(Kind::Global)) return;
  fail("BUILD on a " + std::string(PickleValue::kindName(target.kind())));
}

PickleValue PickleObjectBuilder::persistentLoad(const PickleValue& pid) const {
  using Kind = PickleValue::Kind;
  // ('storage', torch.<T>Storage, key, location, numel)
  if (!pid.is(Kind::Tuple)) fail("persistent id is not a tuple");
  const auto& f = pid.items();
  if (f.size() != 5 || !f[0].is(Kind::String) || f[0].asString() != "storage" || !f[1].is(Kind::Global) ||
      !f[2].is(Kind::String) || !f[3].is(Kind::String) || !f[4].is(Kind::Int))
    fail("persistent id is not ('storage', type, key, location, numel)");
  auto type = storageTypes().find(f[1].asGlobal().qualifiedName());
  if (type == storageTypes().end())
    fail("persistent id names " + printable(f[1].asGlobal().qualifiedName()) + ", not a storage type");
  const std::string& key = f[2].asString();
  if (key.empty() || key.size() > 64 || key.find_first_of("/\\") != std::string::npos)
    fail("bad storage key '" + printable(key) + "'");
  if (f[4].asInt() < 0) fail("negative storage size");
  return PickleValue::storage({key, type->second, f[3].asString(), f[4].asInt()});
}

PickleValue PickleObjectBuilder::call(const GlobalRef& fn, const PickleValue& args, bool newObject) {
  using Kind = PickleValue::Kind;
  Callable callable = *lookupGlobal(fn.qualifiedName());  // global() only lets whitelisted names through
  const auto& a = args.items();
  if (newObject) {
    // cls.__new__(cls, *args): the containers start empty, like Python's.
    if (callable == Callable::OrderedDict) return PickleValue::container(Kind::Dict);
    if (callable == Callable::Set) return PickleValue::container(Kind::Set);
    if (callable == Callable::Inert) return PickleValue::object(fn);
    fail("NEWOBJ on " + fn.qualifiedName() + ", which is not a class");
  }
  switch (callable) {
    case Callable::RebuildTensorV2: return rebuildTensor(a, 6);
    case Callable::RebuildTensor: return rebuildTensor(a, 4);
    case Callable::RebuildParameter:
    case Callable::RebuildParameterWithState: return rebuildParameter(a);
    case Callable::RebuildFromTypeV2: return rebuildFromType(a);
    case Callable::Inert: return PickleValue::object(fn);
    case Callable::CodecsEncode: return encodeLatin1(a, fn);
    case Callable::OrderedDict: return fromItems(Kind::Dict, fn, a);
    case Callable::Set: return fromItems(Kind::Set, fn, a);
    case Callable::Size: return fromItems(Kind::Tuple, fn, a);
    case Callable::Device: return device(a);
    default: fail("the global " + fn.qualifiedName() + " cannot be called here");
  }
}

// OrderedDict(), set(), torch.Size() with no argument or one iterable.
PickleValue PickleObjectBuilder::fromItems(PickleValue::Kind kind, const GlobalRef& fn,
                                           const std::vector<PickleValue>& args) {
  using Kind = PickleValue::Kind;
  PickleValue out = PickleValue::container(kind);
  if (args.empty()) return out;
  if (args.size() != 1 || !(args[0].is(Kind::List) || args[0].is(Kind::Tuple) || args[0].is(Kind::Set)))
    fail(fn.qualifiedName() + " called with unexpected arguments");
  const auto& source = args[0].items();
  spend(source.size());
  if (kind != Kind::Dict) return makeSequence(kind, source);
  for (const auto& pair : source) {  // OrderedDict([(key, value), ...])
    if (!(pair.is(Kind::Tuple) || pair.is(Kind::List)) || pair.items().size() != 2)
      fail("OrderedDict called with an item that is not a pair");
    addToContainer(out, {pair.items()[0], pair.items()[1]}, Kind::Dict);
  }
  return out;
}

// torch.device(type[, index]), kept as its text ("cuda:0").
PickleValue PickleObjectBuilder::device(const std::vector<PickleValue>& args) const {
  using Kind = PickleValue::Kind;
  if (args.empty() || !args[0].is(Kind::String)) fail("torch.device called with unexpected arguments");
  std::string device = args[0].asString();
  if (args.size() > 1 && args[1].is(Kind::Int)) device += ":" + std::to_string(args[1].asInt());
  return PickleValue::string(device);
}

std::vector<int64_t> PickleObjectBuilder::intTuple(const PickleValue& value, const char* what) const {
  using Kind = PickleValue::Kind;
  if (!value.is(Kind::Tuple) && !value.is(Kind::List)) fail(std::string("tensor ") + what + " is not a tuple");
  const auto& items = value.items();
  if (items.size() > kMaxDims) fail(std::string("tensor ") + what + " has too many dimensions");
  std::vector<int64_t> out;
  for (const auto& v : items) {
    if (!v.is(Kind::Int) || v.asInt() < 0)
      fail(std::string("tensor ") + what + " holds a non-integer or a negative value");
    out.push_back(v.asInt());
  }
  return out;
}

// The view must stay inside the storage: its last element, at
// offset + sum((size_k - 1) * stride_k), must be below numel.
void PickleObjectBuilder::checkView(const TensorRef& t) const {
  if (t.size.size() != t.stride.size()) fail("tensor size and stride have different lengths");
  int64_t numel = 1;
  int64_t last = t.storageOffset;
  for (size_t k = 0; k < t.size.size(); ++k) {
    if (__builtin_mul_overflow(numel, t.size[k], &numel)) fail("tensor has too many elements");
    int64_t span = 0;
    if (t.size[k] > 0 &&
        (__builtin_mul_overflow(t.size[k] - 1, t.stride[k], &span) || __builtin_add_overflow(last, span, &last)))
      fail("tensor view offset overflows");
  }
  if (numel > 0 && last >= t.storage.numel)
    fail("tensor view reaches element " + std::to_string(last) + " of a storage of " + std::to_string(t.storage.numel) +
         " elements");
}

// _rebuild_tensor_v2(storage, storage_offset, size, stride, requires_grad, backward_hooks[, metadata])
// _rebuild_tensor(storage, storage_offset, size, stride)
PickleValue PickleObjectBuilder::rebuildTensor(const std::vector<PickleValue>& args, size_t minArgs) const {
  using Kind = PickleValue::Kind;
  if (args.size() < minArgs || args.size() > 7)
    fail("tensor rebuild called with " + std::to_string(args.size()) + " arguments");
  if (!args[0].is(Kind::Storage)) fail("tensor rebuild without a storage");
  if (!args[1].is(Kind::Int) || args[1].asInt() < 0) fail("tensor storage offset is not a non-negative integer");
  TensorRef t;
  t.storage = args[0].asStorage();
  t.storageOffset = args[1].asInt();
  t.size = intTuple(args[2], "size");
  t.stride = intTuple(args[3], "stride");
  if (args.size() > 4 && args[4].is(Kind::Bool)) t.requiresGrad = args[4].asBool();
  checkView(t);
  return PickleValue::tensor(std::move(t));
}

// _rebuild_parameter(data, requires_grad, backward_hooks[, state])
PickleValue PickleObjectBuilder::rebuildParameter(const std::vector<PickleValue>& args) const {
  if (args.size() < 3 || args.size() > 4 || !args[0].is(PickleValue::Kind::Tensor))
    fail("parameter rebuild called with unexpected arguments");
  TensorRef t = args[0].asTensor();
  t.isParameter = true;
  if (args[1].is(PickleValue::Kind::Bool)) t.requiresGrad = args[1].asBool();
  return PickleValue::tensor(std::move(t));
}

// _rebuild_from_type_v2(func, new_type, args, state): func(*args), used for tensor subclasses.
PickleValue PickleObjectBuilder::rebuildFromType(const std::vector<PickleValue>& args) const {
  using Kind = PickleValue::Kind;
  if (args.size() != 4 || !args[0].is(Kind::Global) || !args[2].is(Kind::Tuple))
    fail("_rebuild_from_type_v2 called with unexpected arguments");
  Callable inner = *lookupGlobal(args[0].asGlobal().qualifiedName());
  const auto& a = args[2].items();
  switch (inner) {
    case Callable::RebuildTensorV2: return rebuildTensor(a, 6);
    case Callable::RebuildTensor: return rebuildTensor(a, 4);
    case Callable::RebuildParameter:
    case Callable::RebuildParameterWithState: return rebuildParameter(a);
    default: fail("_rebuild_from_type_v2 of " + args[0].asGlobal().qualifiedName());
  }
}

}  // namespace sm::io::ckpt
