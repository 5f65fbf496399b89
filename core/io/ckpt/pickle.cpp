#include "core/io/ckpt/pickle.h"

#include <charconv>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <limits>
#include <optional>

#include "core/util/error.h"

// ref: https://github.com/python/cpython/blob/v3.11.7/Lib/pickle.py (opcode
// semantics) and torch/_weights_only_unpickler.py (what torch itself allows).

namespace sm::io::ckpt {

// ---------------------------------------------------------------------------
// PickleValue

PickleContainer::~PickleContainer() {
  // Move children into a work list; a child that nobody else holds is
  // emptied the same way before it dies, so no destructor ever recurses.
  std::vector<std::shared_ptr<PickleContainer>> work;
  auto takeChildren = [&work](PickleContainer& c) {
    auto take = [&work](PickleValue& v) {
      if (auto* p = std::get_if<std::shared_ptr<PickleContainer>>(&v.payload_)) work.push_back(std::move(*p));
    };
    for (auto& v : c.items) take(v);
    for (auto& [k, v] : c.entries) take(k), take(v);
    c.items.clear();
    c.entries.clear();
  };
  takeChildren(*this);
  while (!work.empty()) {
    std::shared_ptr<PickleContainer> next = std::move(work.back());
    work.pop_back();
    if (next && next.use_count() == 1) takeChildren(*next);
  }
}

namespace {

[[noreturn]] void wrongKind(PickleValue::Kind got, std::string_view wanted) {
  throw Error("pickle value is a " + std::string(PickleValue::kindName(got)) + ", not a " + std::string(wanted));
}

}  // namespace

PickleValue PickleValue::boolean(bool value) {
  PickleValue v;
  v.kind_ = Kind::Bool;
  v.payload_ = value;
  return v;
}

PickleValue PickleValue::integer(int64_t value) {
  PickleValue v;
  v.kind_ = Kind::Int;
  v.payload_ = value;
  return v;
}

PickleValue PickleValue::real(double value) {
  PickleValue v;
  v.kind_ = Kind::Float;
  v.payload_ = value;
  return v;
}

PickleValue PickleValue::string(std::string value) {
  PickleValue v;
  v.kind_ = Kind::String;
  v.payload_ = std::make_shared<const std::string>(std::move(value));
  return v;
}

PickleValue PickleValue::bytes(std::string value) {
  PickleValue v = string(std::move(value));
  v.kind_ = Kind::Bytes;
  return v;
}

PickleValue PickleValue::container(Kind kind) {
  if (kind != Kind::List && kind != Kind::Tuple && kind != Kind::Dict && kind != Kind::Set)
    wrongKind(kind, "container");
  PickleValue v;
  v.kind_ = kind;
  v.payload_ = std::make_shared<PickleContainer>();
  return v;
}

PickleValue PickleValue::tensor(TensorRef value) {
  PickleValue v;
  v.kind_ = Kind::Tensor;
  v.payload_ = std::make_shared<const TensorRef>(std::move(value));
  return v;
}

PickleValue PickleValue::storage(StorageRef value) {
  PickleValue v;
  v.kind_ = Kind::Storage;
  v.payload_ = std::make_shared<const StorageRef>(std::move(value));
  return v;
}

PickleValue PickleValue::global(GlobalRef value) {
  PickleValue v;
  v.kind_ = Kind::Global;
  v.payload_ = std::make_shared<const GlobalRef>(std::move(value));
  return v;
}

PickleValue PickleValue::object(GlobalRef type) {
  PickleValue v = global(std::move(type));
  v.kind_ = Kind::Object;
  return v;
}

bool PickleValue::isContainer() const {
  return kind_ == Kind::List || kind_ == Kind::Tuple || kind_ == Kind::Dict || kind_ == Kind::Set;
}

bool PickleValue::asBool() const {
  if (kind_ != Kind::Bool) wrongKind(kind_, "bool");
  return std::get<bool>(payload_);
}

int64_t PickleValue::asInt() const {
  if (kind_ != Kind::Int) wrongKind(kind_, "int");
  return std::get<int64_t>(payload_);
}

double PickleValue::asFloat() const {
  if (kind_ != Kind::Float) wrongKind(kind_, "float");
  return std::get<double>(payload_);
}

const std::string& PickleValue::asString() const {
  if (kind_ != Kind::String && kind_ != Kind::Bytes) wrongKind(kind_, "string");
  return *std::get<std::shared_ptr<const std::string>>(payload_);
}

const PickleContainer& PickleValue::containerRef() const { return mutableContainer(); }

PickleContainer& PickleValue::mutableContainer() const {
  if (!isContainer()) wrongKind(kind_, "container");
  return *std::get<std::shared_ptr<PickleContainer>>(payload_);
}

const std::vector<PickleValue>& PickleValue::items() const {
  if (kind_ == Kind::Dict) wrongKind(kind_, "list");
  return containerRef().items;
}

const std::vector<PickleValue::DictEntry>& PickleValue::entries() const {
  if (kind_ != Kind::Dict) wrongKind(kind_, "dict");
  return containerRef().entries;
}

const PickleValue* PickleValue::get(std::string_view key) const {
  const PickleContainer& c = containerRef();
  if (kind_ != Kind::Dict) wrongKind(kind_, "dict");
  auto it = c.stringKeys.find(std::string(key));
  return it == c.stringKeys.end() ? nullptr : &c.entries[it->second].second;
}

const TensorRef& PickleValue::asTensor() const {
  if (kind_ != Kind::Tensor) wrongKind(kind_, "tensor");
  return *std::get<std::shared_ptr<const TensorRef>>(payload_);
}

const StorageRef& PickleValue::asStorage() const {
  if (kind_ != Kind::Storage) wrongKind(kind_, "storage");
  return *std::get<std::shared_ptr<const StorageRef>>(payload_);
}

const GlobalRef& PickleValue::asGlobal() const {
  if (kind_ != Kind::Global && kind_ != Kind::Object) wrongKind(kind_, "global");
  return *std::get<std::shared_ptr<const GlobalRef>>(payload_);
}

std::string_view PickleValue::kindName(Kind kind) {
  switch (kind) {
    case Kind::None: return "None";
    case Kind::Bool: return "bool";
    case Kind::Int: return "int";
    case Kind::Float: return "float";
    case Kind::String: return "str";
    case Kind::Bytes: return "bytes";
    case Kind::List: return "list";
    case Kind::Tuple: return "tuple";
    case Kind::Dict: return "dict";
    case Kind::Set: return "set";
    case Kind::Tensor: return "tensor";
    case Kind::Storage: return "storage";
    case Kind::Global: return "global";
    case Kind::Object: return "object";
  }
  return "?";
}

namespace {

// Python's repr(): the shortest digits that round-trip, positional for
// exponents -4..15 and scientific ("1e-05") outside.
std::string pythonFloat(double v) {
  if (std::isnan(v)) return "nan";
  if (std::isinf(v)) return v > 0 ? "inf" : "-inf";
  char buf[64];
  auto [end, ec] = std::to_chars(buf, buf + sizeof buf, v, std::chars_format::scientific);
  std::string s(buf, ec == std::errc() ? end : buf);
  std::string sign = s.starts_with('-') ? "-" : "";
  if (!sign.empty()) s.erase(0, 1);
  size_t e = s.find('e');
  if (e == std::string::npos) return sign + s;
  int exponent = std::atoi(s.c_str() + e + 1);
  std::string digits = s.substr(0, e);
  if (digits.size() > 1) digits.erase(1, 1);  // drop the '.'
  if (exponent < -4 || exponent >= 16) {
    std::string out = digits.substr(0, 1);
    if (digits.size() > 1) out += "." + digits.substr(1);
    char tail[16];
    std::snprintf(tail, sizeof tail, "e%c%02d", exponent < 0 ? '-' : '+', std::abs(exponent));
    return sign + out + tail;
  }
  if (exponent < 0) return sign + "0." + std::string(static_cast<size_t>(-exponent - 1), '0') + digits;
  auto whole = static_cast<size_t>(exponent) + 1;
  if (digits.size() <= whole) return sign + digits + std::string(whole - digits.size(), '0') + ".0";
  return sign + digits.substr(0, whole) + "." + digits.substr(whole);
}

}  // namespace

std::string describe(const PickleValue& value) {
  using Kind = PickleValue::Kind;
  switch (value.kind()) {
    case Kind::None: return "None";
    case Kind::Bool: return value.asBool() ? "True" : "False";
    case Kind::Int: return std::to_string(value.asInt());
    case Kind::Float: return pythonFloat(value.asFloat());
    case Kind::String: return value.asString();
    case Kind::Bytes: return "<" + std::to_string(value.asString().size()) + " bytes>";
    case Kind::Dict: return "<dict of " + std::to_string(value.entries().size()) + " entries>";
    case Kind::List:
    case Kind::Tuple:
    case Kind::Set:
      return "<" + std::string(PickleValue::kindName(value.kind())) + " of " + std::to_string(value.items().size()) +
             " items>";
    case Kind::Tensor: return "<tensor " + shapeToString(value.asTensor().size) + ">";
    case Kind::Storage: return "<storage " + value.asStorage().key + ">";
    case Kind::Global: return "<global " + value.asGlobal().qualifiedName() + ">";
    case Kind::Object: return "<" + value.asGlobal().qualifiedName() + " object>";
  }
  return "?";
}

// ---------------------------------------------------------------------------
// The whitelist

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
constexpr size_t kMaxStack = size_t{1} << 18;
constexpr size_t kMaxMarkDepth = 4096;
constexpr size_t kMaxMemo = size_t{1} << 22;
constexpr size_t kMaxGlobalName = 512;
constexpr size_t kMaxDims = 64;
// Element copies and graph visits allowed, besides what the input's own size pays for.
constexpr uint64_t kBaseWork = uint64_t{1} << 20;

std::string printable(std::string_view text) {
  std::string out;
  for (char c : text.substr(0, 200)) out += (c >= 0x20 && c < 0x7f) ? c : '?';
  return out;
}

}  // namespace

// ---------------------------------------------------------------------------
// The unpickler

class Unpickler {
 public:
  Unpickler(const std::byte* data, size_t size, const std::string& path)
      : data_(data), size_(size), path_(path), workLeft_(kBaseWork + 4 * uint64_t{size}) {}

  PickleValue load();

 private:
  // Reading the stream.
  [[noreturn]] void fail(const std::string& problem) const;
  void need(uint64_t n) const;
  uint8_t u8();
  uint64_t le(size_t n);
  std::string text(uint64_t n);
  std::string line();

  // Stack, marks, memo.
  void push(PickleValue v);
  PickleValue pop();
  PickleValue& top();
  std::vector<PickleValue> popToMark();
  void memoPut(uint64_t index);
  void memoGet(uint64_t index);
  void spend(uint64_t work);

  bool step(uint8_t op);
  void pushLong(size_t n);
  void pushGlobal(std::string module, std::string name);
  void reduce(bool newObject);
  void build();
  void persistentLoad();
  void addToContainer(PickleValue& target, std::vector<PickleValue> values, PickleValue::Kind expected);
  void seal(const PickleValue& child, const PickleContainer& parent);
  PickleValue makeSequence(PickleValue::Kind kind, std::vector<PickleValue> items);
  void setItem(PickleContainer& dict, PickleValue key, PickleValue value);

  PickleValue call(const GlobalRef& fn, const PickleValue& args, bool newObject);
  PickleValue callSimple(Callable callable, const GlobalRef& fn, const std::vector<PickleValue>& args);
  PickleValue rebuildTensor(const std::vector<PickleValue>& args, size_t minArgs);
  PickleValue rebuildParameter(const std::vector<PickleValue>& args);
  PickleValue rebuildFromType(const std::vector<PickleValue>& args);
  std::vector<int64_t> intTuple(const PickleValue& value, const char* what);
  void checkView(const TensorRef& t);
  PickleValue encodeLatin1(const std::vector<PickleValue>& args, const GlobalRef& fn);

  const std::byte* data_;
  size_t size_;
  size_t pos_ = 0;
  size_t opStart_ = 0;
  const std::string& path_;
  uint64_t workLeft_;
  std::vector<PickleValue> stack_;
  std::vector<size_t> marks_;
  std::unordered_map<uint64_t, PickleValue> memo_;
};

void Unpickler::fail(const std::string& problem) const {
  throw CheckpointError(path_, "pickle: " + problem + " (at byte " + std::to_string(opStart_) + ")");
}

void Unpickler::need(uint64_t n) const {
  if (n > size_ - pos_) fail("the stream ends in the middle of an opcode (truncated?)");
}

uint8_t Unpickler::u8() {
  need(1);
  return std::to_integer<uint8_t>(data_[pos_++]);
}

uint64_t Unpickler::le(size_t n) {
  need(n);
  uint64_t v = 0;
  for (size_t i = 0; i < n; ++i) v |= std::to_integer<uint64_t>(data_[pos_ + i]) << (8 * i);
  pos_ += n;
  return v;
}

std::string Unpickler::text(uint64_t n) {
  need(n);  // a length can never exceed what is left, whatever it claims
  std::string s(reinterpret_cast<const char*>(data_ + pos_), static_cast<size_t>(n));
  pos_ += static_cast<size_t>(n);
  return s;
}

std::string Unpickler::line() {
  size_t limit = std::min(size_ - pos_, kMaxGlobalName + 1);
  const void* nl = std::memchr(data_ + pos_, '\n', limit);
  if (!nl) fail(limit > kMaxGlobalName ? "global name too long" : "the stream ends inside a global name");
  size_t n = static_cast<const std::byte*>(nl) - (data_ + pos_);
  std::string s = text(n);
  ++pos_;
  return s;
}

void Unpickler::push(PickleValue v) {
  if (stack_.size() >= kMaxStack) fail("stack too deep");
  stack_.push_back(std::move(v));
}

PickleValue Unpickler::pop() {
  size_t floor = marks_.empty() ? 0 : marks_.back();
  if (stack_.size() <= floor) fail("pop from an empty stack");
  PickleValue v = std::move(stack_.back());
  stack_.pop_back();
  return v;
}

PickleValue& Unpickler::top() {
  size_t floor = marks_.empty() ? 0 : marks_.back();
  if (stack_.size() <= floor) fail("empty stack");
  return stack_.back();
}

std::vector<PickleValue> Unpickler::popToMark() {
  if (marks_.empty()) fail("no MARK on the stack");
  size_t mark = marks_.back();
  marks_.pop_back();
  std::vector<PickleValue> items(std::make_move_iterator(stack_.begin() + static_cast<ptrdiff_t>(mark)),
                                 std::make_move_iterator(stack_.end()));
  stack_.resize(mark);
  return items;
}

void Unpickler::memoPut(uint64_t index) {
  PickleValue v = top();
  auto it = memo_.find(index);
  if (it != memo_.end()) {
    it->second = std::move(v);
    return;
  }
  if (memo_.size() >= kMaxMemo) fail("too many memo entries");
  memo_.emplace(index, std::move(v));
}

void Unpickler::memoGet(uint64_t index) {
  auto it = memo_.find(index);
  if (it == memo_.end()) fail("memo entry " + std::to_string(index) + " is read before it is written");
  push(it->second);
}

void Unpickler::spend(uint64_t work) {
  if (work > workLeft_) fail("the pickle is too complex (copies or shared references beyond limits)");
  workLeft_ -= work;
}

PickleValue Unpickler::load() {
  while (true) {
    opStart_ = pos_;
    if (pos_ >= size_) fail("the stream ends without STOP (truncated?)");
    if (!step(u8())) break;
  }
  if (stack_.empty()) fail("STOP with an empty stack");
  return std::move(stack_.back());
}

// Executes one opcode; false at STOP.
bool Unpickler::step(uint8_t op) {
  using Kind = PickleValue::Kind;
  switch (op) {
    case 0x80:
      if (u8() > 5) fail("unknown pickle protocol");
      break;                  // PROTO
    case 0x95: le(8); break;  // FRAME: framing is advisory
    case '.': return false;   // STOP
    case '(':                 // MARK
      if (marks_.size() >= kMaxMarkDepth) fail("MARKs nested too deep");
      marks_.push_back(stack_.size());
      break;
    case '0': pop(); break;                                                    // POP
    case '1': popToMark(); break;                                              // POP_MARK
    case '2': push(top()); break;                                              // DUP
    case 'N': push({}); break;                                                 // NONE
    case 0x88: push(PickleValue::boolean(true)); break;                        // NEWTRUE
    case 0x89: push(PickleValue::boolean(false)); break;                       // NEWFALSE
    case 'J': push(PickleValue::integer(static_cast<int32_t>(le(4)))); break;  // BININT
    case 'K': push(PickleValue::integer(u8())); break;                         // BININT1
    case 'M': push(PickleValue::integer(static_cast<int64_t>(le(2)))); break;  // BININT2
    case 0x8a: pushLong(u8()); break;                                          // LONG1
    case 0x8b: pushLong(le(4)); break;                                         // LONG4
    case 'G': {                                                                // BINFLOAT, big-endian
      uint64_t bits = 0;
      for (int i = 0; i < 8; ++i) bits = (bits << 8) | u8();
      double d;
      std::memcpy(&d, &bits, sizeof d);
      push(PickleValue::real(d));
      break;
    }
    case 'X': push(PickleValue::string(text(le(4)))); break;     // BINUNICODE
    case 0x8c: push(PickleValue::string(text(u8()))); break;     // SHORT_BINUNICODE
    case 0x8d: push(PickleValue::string(text(le(8)))); break;    // BINUNICODE8
    case 'U': push(PickleValue::string(text(u8()))); break;      // SHORT_BINSTRING
    case 'T': push(PickleValue::string(text(le(4)))); break;     // BINSTRING
    case 'C': push(PickleValue::bytes(text(u8()))); break;       // SHORT_BINBYTES
    case 'B': push(PickleValue::bytes(text(le(4)))); break;      // BINBYTES
    case 0x8e: push(PickleValue::bytes(text(le(8)))); break;     // BINBYTES8
    case '}': push(PickleValue::container(Kind::Dict)); break;   // EMPTY_DICT
    case ']': push(PickleValue::container(Kind::List)); break;   // EMPTY_LIST
    case ')': push(PickleValue::container(Kind::Tuple)); break;  // EMPTY_TUPLE
    case 0x8f: push(PickleValue::container(Kind::Set)); break;   // EMPTY_SET
    case 't':                                                    // TUPLE
    case 0x91: {                                                 // FROZENSET
      push(makeSequence(op == 't' ? Kind::Tuple : Kind::Set, popToMark()));
      break;
    }
    case 0x85:    // TUPLE1
    case 0x86:    // TUPLE2
    case 0x87: {  // TUPLE3
      size_t n = op - 0x84u;
      std::vector<PickleValue> items(n);
      for (size_t i = n; i-- > 0;) items[i] = pop();
      push(makeSequence(Kind::Tuple, std::move(items)));
      break;
    }
    case 'a': {  // APPEND
      PickleValue v = pop();
      addToContainer(top(), {std::move(v)}, Kind::List);
      break;
    }
    case 'e': {  // APPENDS
      auto items = popToMark();
      addToContainer(top(), std::move(items), Kind::List);
      break;
    }
    case 0x90: {  // ADDITEMS
      auto items = popToMark();
      addToContainer(top(), std::move(items), Kind::Set);
      break;
    }
    case 's': {  // SETITEM
      PickleValue value = pop();
      PickleValue key = pop();
      addToContainer(top(), {std::move(key), std::move(value)}, Kind::Dict);
      break;
    }
    case 'u': {  // SETITEMS
      auto items = popToMark();
      if (items.size() % 2) fail("SETITEMS with an odd number of items");
      addToContainer(top(), std::move(items), Kind::Dict);
      break;
    }
    case 'q': memoPut(u8()); break;           // BINPUT
    case 'r': memoPut(le(4)); break;          // LONG_BINPUT
    case 0x94: memoPut(memo_.size()); break;  // MEMOIZE
    case 'h': memoGet(u8()); break;           // BINGET
    case 'j': memoGet(le(4)); break;          // LONG_BINGET
    case 'c': {                               // GLOBAL
      std::string module = line();
      pushGlobal(std::move(module), line());
      break;
    }
    case 0x93: {  // STACK_GLOBAL
      PickleValue name = pop();
      PickleValue module = pop();
      if (!name.is(Kind::String) || !module.is(Kind::String)) fail("STACK_GLOBAL needs two strings");
      pushGlobal(module.asString(), name.asString());
      break;
    }
    case 'R': reduce(false); break;     // REDUCE
    case 0x81: reduce(true); break;     // NEWOBJ
    case 'b': build(); break;           // BUILD
    case 'Q': persistentLoad(); break;  // BINPERSID
    default: {
      char hex[8];
      std::snprintf(hex, sizeof hex, "0x%02x", op);
      fail(std::string("unsupported opcode ") + hex);
    }
  }
  return true;
}

void Unpickler::pushLong(size_t n) {
  // Python ints are unbounded; tensor metadata never needs more than 64 bits.
  if (n > 8) fail("integer wider than 64 bits");
  uint64_t v = le(n);
  if (n > 0 && n < 8 && (v >> (8 * n - 1)) & 1) v |= ~uint64_t{0} << (8 * n);  // sign-extend
  push(PickleValue::integer(static_cast<int64_t>(v)));
}

void Unpickler::pushGlobal(std::string module, std::string name) {
  GlobalRef ref{std::move(module), std::move(name)};
  std::string qualified = ref.qualifiedName();
  if (!lookupGlobal(qualified))
    throw CheckpointError(path_, "refusing to load: the pickle references the global '" + printable(qualified) +
                                     "', which could run code; only plain tensors and containers are allowed");
  push(PickleValue::global(std::move(ref)));
}

void Unpickler::addToContainer(PickleValue& target, std::vector<PickleValue> values, PickleValue::Kind expected) {
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
void Unpickler::seal(const PickleValue& child, const PickleContainer& parent) {
  if (!child.isContainer()) return;
  PickleContainer& c = child.mutableContainer();
  if (&c == &parent) fail("a container would contain itself (recursive structures are not supported)");
  c.sealed = true;
}

PickleValue Unpickler::makeSequence(PickleValue::Kind kind, std::vector<PickleValue> items) {
  PickleValue out = PickleValue::container(kind);
  PickleContainer& c = out.mutableContainer();
  for (const auto& v : items) seal(v, c);
  c.items = std::move(items);
  return out;
}

void Unpickler::setItem(PickleContainer& dict, PickleValue key, PickleValue value) {
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

void Unpickler::reduce(bool newObject) {
  PickleValue args = pop();
  PickleValue fn = pop();
  if (!fn.is(PickleValue::Kind::Global))
    fail(std::string(newObject ? "NEWOBJ" : "REDUCE") + " on a " + std::string(PickleValue::kindName(fn.kind())) +
         ", not a class or function");
  if (!args.is(PickleValue::Kind::Tuple)) fail("REDUCE arguments are not a tuple");
  push(call(fn.asGlobal(), args, newObject));
}

void Unpickler::build() {
  // BUILD would set attributes (or __setstate__): for an OrderedDict state
  // dict it carries `_metadata`, for inert objects their fields. Ignored.
  using Kind = PickleValue::Kind;
  pop();
  const PickleValue& target = top();
  if (target.is(Kind::Dict) || target.is(Kind::Object) || target.is(Kind::Tensor) || target.is(Kind::Global)) return;
  fail("BUILD on a " + std::string(PickleValue::kindName(target.kind())));
}

void Unpickler::persistentLoad() {
  using Kind = PickleValue::Kind;
  PickleValue pid = pop();
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
  push(PickleValue::storage({key, type->second, f[3].asString(), f[4].asInt()}));
}

PickleValue Unpickler::call(const GlobalRef& fn, const PickleValue& args, bool newObject) {
  Callable callable = *lookupGlobal(fn.qualifiedName());  // pushGlobal only lets whitelisted names through
  const auto& a = args.items();
  if (newObject) {
    // cls.__new__(cls, *args): the containers start empty, like Python's.
    if (callable == Callable::OrderedDict) return PickleValue::container(PickleValue::Kind::Dict);
    if (callable == Callable::Set) return PickleValue::container(PickleValue::Kind::Set);
    if (callable == Callable::Inert) return PickleValue::object(fn);
    fail("NEWOBJ on " + fn.qualifiedName() + ", which is not a class");
  }
  switch (callable) {
    case Callable::RebuildTensorV2: return rebuildTensor(a, 6);
    case Callable::RebuildTensor: return rebuildTensor(a, 4);
    case Callable::RebuildParameter:
    case Callable::RebuildParameterWithState: return rebuildParameter(a);
    case Callable::RebuildFromTypeV2: return rebuildFromType(a);
    default: return callSimple(callable, fn, a);
  }
}

PickleValue Unpickler::callSimple(Callable callable, const GlobalRef& fn, const std::vector<PickleValue>& args) {
  using Kind = PickleValue::Kind;
  switch (callable) {
    case Callable::Inert: return PickleValue::object(fn);
    case Callable::CodecsEncode: return encodeLatin1(args, fn);
    case Callable::OrderedDict:
    case Callable::Set:
    case Callable::Size: {
      Kind kind = callable == Callable::OrderedDict ? Kind::Dict : callable == Callable::Set ? Kind::Set : Kind::Tuple;
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
    case Callable::Device: {
      if (args.empty() || !args[0].is(Kind::String)) fail("torch.device called with unexpected arguments");
      std::string device = args[0].asString();
      if (args.size() > 1 && args[1].is(Kind::Int)) device += ":" + std::to_string(args[1].asInt());
      return PickleValue::string(device);
    }
    default: fail("the global " + fn.qualifiedName() + " cannot be called here");
  }
}

PickleValue Unpickler::encodeLatin1(const std::vector<PickleValue>& args, const GlobalRef& fn) {
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

std::vector<int64_t> Unpickler::intTuple(const PickleValue& value, const char* what) {
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
void Unpickler::checkView(const TensorRef& t) {
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
PickleValue Unpickler::rebuildTensor(const std::vector<PickleValue>& args, size_t minArgs) {
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
PickleValue Unpickler::rebuildParameter(const std::vector<PickleValue>& args) {
  if (args.size() < 3 || args.size() > 4 || !args[0].is(PickleValue::Kind::Tensor))
    fail("parameter rebuild called with unexpected arguments");
  TensorRef t = args[0].asTensor();
  t.isParameter = true;
  if (args[1].is(PickleValue::Kind::Bool)) t.requiresGrad = args[1].asBool();
  return PickleValue::tensor(std::move(t));
}

// _rebuild_from_type_v2(func, new_type, args, state): func(*args), used for tensor subclasses.
PickleValue Unpickler::rebuildFromType(const std::vector<PickleValue>& args) {
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

PickleValue unpickle(const std::byte* data, size_t size, const std::string& pathForErrors) {
  return Unpickler(data, size, pathForErrors).load();
}

}  // namespace sm::io::ckpt
