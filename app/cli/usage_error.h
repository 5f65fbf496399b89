#pragma once
// A mistake in the command line: main prints it as one line and exits 2.
#include <stdexcept>
#include <string>

namespace sm::cli {

class UsageError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

}  // namespace sm::cli

namespace sm::cli {

/// Not a mistake: the command line asks for a help text (or gave too little
/// to do anything else). main prints `text` on stdout and exits `status`.
struct HelpRequest {
  std::string text;
  int status = 0;
};

}  // namespace sm::cli
