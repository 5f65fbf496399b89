// The opcode reader: the pickle machine. It reads the stream, runs each
// opcode against its stack, marks and memo, and hands every operand that
// needs meaning (globals, calls, BUILD, persistent ids, container fills) to
// the safe object builder (pickle_object_builder.h).
#include <cstdio>
#include <cstring>
#include <unordered_map>

#include "core/io/ckpt/pickle.h"
#include "core/io/ckpt/pickle_object_builder.h"

// ref: https://github.com/python/cpython/blob/v3.11.7/Lib/pickle.py (opcode semantics)

namespace sm::io::ckpt {
namespace {

// Limits. Real checkpoints stay far below them; they exist so that a hostile
// file fails fast instead of exhausting memory or time.
constexpr size_t kMaxStack = size_t{1} << 18;
constexpr size_t kMaxMarkDepth = 4096;
constexpr size_t kMaxMemo = size_t{1} << 22;
constexpr size_t kMaxGlobalName = 512;

class Unpickler {
 public:
  Unpickler(const std::byte* data, size_t size, const std::string& path)
      : data_(data), size_(size), cursor_(path), objects_(cursor_, size) {}

  PickleValue load();

 private:
  [[noreturn]] void fail(const std::string& problem) const { cursor_.fail(problem); }

  // Reading the stream.
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

  bool step(uint8_t op);
  void pushLong(size_t n);

  const std::byte* data_;
  size_t size_;
  size_t pos_ = 0;
  PickleCursor cursor_;
  PickleObjectBuilder objects_;
  std::vector<PickleValue> stack_;
  std::vector<size_t> marks_;
  std::unordered_map<uint64_t, PickleValue> memo_;
};

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

PickleValue Unpickler::load() {
  while (true) {
    cursor_.setOpcodeStart(pos_);
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
      push(objects_.makeSequence(op == 't' ? Kind::Tuple : Kind::Set, popToMark()));
      break;
    }
    case 0x85:    // TUPLE1
    case 0x86:    // TUPLE2
    case 0x87: {  // TUPLE3
      size_t n = op - 0x84u;
      std::vector<PickleValue> items(n);
      for (size_t i = n; i-- > 0;) items[i] = pop();
      push(objects_.makeSequence(Kind::Tuple, std::move(items)));
      break;
    }
    case 'a': {  // APPEND
      PickleValue v = pop();
      objects_.addToContainer(top(), {std::move(v)}, Kind::List);
      break;
    }
    case 'e': {  // APPENDS
      auto items = popToMark();
      objects_.addToContainer(top(), std::move(items), Kind::List);
      break;
    }
    case 0x90: {  // ADDITEMS
      auto items = popToMark();
      objects_.addToContainer(top(), std::move(items), Kind::Set);
      break;
    }
    case 's': {  // SETITEM
      PickleValue value = pop();
      PickleValue key = pop();
      objects_.addToContainer(top(), {std::move(key), std::move(value)}, Kind::Dict);
      break;
    }
    case 'u': {  // SETITEMS
      auto items = popToMark();
      if (items.size() % 2) fail("SETITEMS with an odd number of items");
      objects_.addToContainer(top(), std::move(items), Kind::Dict);
      break;
    }
    case 'q': memoPut(u8()); break;           // BINPUT
    case 'r': memoPut(le(4)); break;          // LONG_BINPUT
    case 0x94: memoPut(memo_.size()); break;  // MEMOIZE
    case 'h': memoGet(u8()); break;           // BINGET
    case 'j': memoGet(le(4)); break;          // LONG_BINGET
    case 'c': {                               // GLOBAL
      std::string module = line();
      push(objects_.global(std::move(module), line()));
      break;
    }
    case 0x93: {  // STACK_GLOBAL
      PickleValue name = pop();
      PickleValue module = pop();
      if (!name.is(Kind::String) || !module.is(Kind::String)) fail("STACK_GLOBAL needs two strings");
      push(objects_.global(module.asString(), name.asString()));
      break;
    }
    case 'R':     // REDUCE
    case 0x81: {  // NEWOBJ
      PickleValue args = pop();
      PickleValue fn = pop();
      push(objects_.reduce(fn, args, op == 0x81));
      break;
    }
    case 'b': {  // BUILD
      pop();     // the state: see PickleObjectBuilder::build
      objects_.build(top());
      break;
    }
    case 'Q': push(objects_.persistentLoad(pop())); break;  // BINPERSID
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

}  // namespace

PickleValue unpickle(const std::byte* data, size_t size, const std::string& pathForErrors) {
  return Unpickler(data, size, pathForErrors).load();
}

}  // namespace sm::io::ckpt
