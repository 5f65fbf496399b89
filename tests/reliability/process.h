#pragma once
// The `stillmoving` binary as a separate process that a probe can signal
// (Ctrl-C, kill -9), time and inspect: what a user does to it from a shell.
#include <signal.h>
#include <sys/resource.h>
#include <sys/types.h>

#include <string>
#include <vector>

namespace sm::test {

class CliProcess {
 public:
  /// Starts `stillmoving ARGS...` with stdout and stderr going to files in `logDir`.
  /// `likeAUser`: without root's power to write anywhere (CAP_DAC_OVERRIDE dropped), so
  /// that file permissions apply as they do to a user (the probes of read-only folders).
  /// `addressSpaceLimit`: bytes of virtual memory allowed (RLIMIT_AS), 0 for no limit: the
  /// probes of allocations that fail.
  CliProcess(const std::vector<std::string>& args, const std::string& logDir, bool likeAUser = false,
             long addressSpaceLimit = 0);
  ~CliProcess();  // kills it if still running
  CliProcess(const CliProcess&) = delete;
  CliProcess& operator=(const CliProcess&) = delete;

  void signal(int signo) const { ::kill(pid_, signo); }
  /// Waits for the exit; returns the status (exit code, or 128 + signal), or -1 after
  /// `timeoutSeconds` (the process is then killed). Records seconds waited and peak memory.
  int wait(double timeoutSeconds);
  /// Polls stderr until it holds `text`; false after `timeoutSeconds` or when the process ended.
  bool waitForStderr(const std::string& text, double timeoutSeconds);
  /// Polls stdout likewise.
  bool waitForStdout(const std::string& text, double timeoutSeconds);

  std::string out() const;
  std::string err() const;
  double secondsWaited() const { return waited_; }
  /// Peak resident memory of the process in bytes (after wait()).
  long peakBytes() const { return peakBytes_; }

 private:
  bool waitForText(const std::string& file, const std::string& text, double timeoutSeconds);

  pid_t pid_ = -1;
  bool done_ = false;
  std::string outFile_, errFile_;
  double waited_ = 0;
  long peakBytes_ = 0;
};

/// Runs it to the end (120 s at most); returns the status.
int runToEnd(const std::vector<std::string>& args, const std::string& logDir, std::string* err = nullptr);

}  // namespace sm::test
