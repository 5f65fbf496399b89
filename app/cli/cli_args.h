#pragma once
// A small command-line parser: `--name value`, `--name=value`, `--flag`,
// positionals. Unknown options are usage errors, reported by name.
#include <map>
#include <optional>
#include <set>
#include <stdexcept>
#include <string>
#include <vector>

namespace sm::cli {

/// A mistake in the command line: the CLI prints it with the usage and exits 2.
class UsageError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

class Args {
 public:
  /// `valued`: options that take a value; `flags`: options that do not.
  Args(const std::vector<std::string>& argv, const std::set<std::string>& valued, const std::set<std::string>& flags);
  bool flag(const std::string& name) const { return flags_.count(name) > 0; }
  /// The option's value (the last one when given several times).
  std::optional<std::string> value(const std::string& name) const;
  /// Every value of a repeatable option, in order.
  std::vector<std::string> values(const std::string& name) const;
  /// An integer option within [min, max]; `fallback` when absent.
  int intValue(const std::string& name, int fallback, int min, int max) const;
  /// A decimal option within [min, max]; `fallback` when absent.
  double doubleValue(const std::string& name, double fallback, double min, double max) const;
  const std::vector<std::string>& positionals() const { return positionals_; }

 private:
  std::map<std::string, std::vector<std::string>> values_;
  std::set<std::string> flags_;
  std::vector<std::string> positionals_;
};

}  // namespace sm::cli
