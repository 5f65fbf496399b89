#include "app/cli/cli_args.h"

#include <charconv>
#include <sstream>

namespace sm::cli {
namespace {

std::string formatNumber(double v) {
  std::ostringstream s;
  s << v;
  return s.str();
}

}  // namespace

Args::Args(const std::vector<std::string>& argv, const std::set<std::string>& valued,
           const std::set<std::string>& flags) {
  bool onlyPositionals = false;
  for (size_t i = 0; i < argv.size(); ++i) {
    const std::string& arg = argv[i];
    if (onlyPositionals || arg.size() < 2 || arg.rfind("--", 0) != 0) {
      if (!onlyPositionals && arg.size() > 1 && arg[0] == '-') throw UsageError("unknown option '" + arg + "'");
      positionals_.push_back(arg);
      continue;
    }
    if (arg == "--") {
      onlyPositionals = true;
      continue;
    }
    std::string name = arg.substr(2), value;
    const auto eq = name.find('=');
    const bool inlineValue = eq != std::string::npos;
    if (inlineValue) {
      value = name.substr(eq + 1);
      name = name.substr(0, eq);
    }
    if (flags.count(name)) {
      if (inlineValue) throw UsageError("option '--" + name + "' takes no value");
      flags_.insert(name);
    } else if (valued.count(name)) {
      if (!inlineValue) {
        if (i + 1 >= argv.size()) throw UsageError("option '--" + name + "' needs a value");
        value = argv[++i];
      }
      values_[name].push_back(value);
    } else {
      throw UsageError("unknown option '--" + name + "'");
    }
  }
}

std::optional<std::string> Args::value(const std::string& name) const {
  auto it = values_.find(name);
  if (it == values_.end()) return std::nullopt;
  return it->second.back();
}

std::vector<std::string> Args::values(const std::string& name) const {
  auto it = values_.find(name);
  return it == values_.end() ? std::vector<std::string>{} : it->second;
}

int Args::intValue(const std::string& name, int fallback, int min, int max) const {
  auto text = value(name);
  if (!text) return fallback;
  int parsed = 0;
  auto [end, ec] = std::from_chars(text->data(), text->data() + text->size(), parsed);
  if (ec != std::errc() || end != text->data() + text->size() || parsed < min || parsed > max)
    throw UsageError("--" + name + " must be an integer from " + std::to_string(min) + " to " + std::to_string(max) +
                     ", not '" + *text + "'");
  return parsed;
}

double Args::doubleValue(const std::string& name, double fallback, double min, double max) const {
  auto text = value(name);
  if (!text) return fallback;
  double parsed = 0;
  auto [end, ec] = std::from_chars(text->data(), text->data() + text->size(), parsed);
  if (ec != std::errc() || end != text->data() + text->size() || !(parsed >= min && parsed <= max))
    throw UsageError("--" + name + " must be a number from " + formatNumber(min) + " to " + formatNumber(max) +
                     ", not '" + *text + "'");
  return parsed;
}

}  // namespace sm::cli
