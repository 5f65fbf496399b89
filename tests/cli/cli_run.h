#pragma once
// Runs the `stillmoving` binary as a user would and captures what it says.
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <cstdio>
#include <fstream>
#include <iterator>
#include <string>

namespace sm {

struct CliRun {
  int status = -1;
  std::string out;  // stdout
  std::string err;  // stderr
};

inline CliRun runCli(const std::string& args) {
  // ctest runs tests in parallel processes: each call gets its own stderr file.
  std::string errFile = ::testing::TempDir() + "/cli_stderr_XXXXXX";
  const int fd = mkstemp(errFile.data());
  if (fd >= 0) close(fd);
  const std::string command = std::string(SM_CLI_PATH) + " " + args + " 2>" + errFile;
  CliRun run;
  FILE* pipe = popen(command.c_str(), "r");
  if (!pipe) return run;
  std::array<char, 4096> buffer{};
  size_t n;
  while ((n = fread(buffer.data(), 1, buffer.size(), pipe)) > 0) run.out.append(buffer.data(), n);
  const int raw = pclose(pipe);
  run.status = WIFEXITED(raw) ? WEXITSTATUS(raw) : 128 + WTERMSIG(raw);
  std::ifstream err(errFile);
  run.err.assign(std::istreambuf_iterator<char>(err), {});
  std::remove(errFile.c_str());
  return run;
}

}  // namespace sm
