// PickleValue, the inert value tree the unpickler builds, and describe().
#include "core/io/ckpt/pickle.h"

#include <charconv>
#include <cmath>
#include <cstdio>
#include <cstdlib>

#include "core/util/error.h"

namespace sm::io::ckpt {

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

}  // namespace sm::io::ckpt
