#include "tests/reliability/process.h"

#include <fcntl.h>
#include <linux/capability.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <fstream>
#include <sstream>
#include <thread>

namespace sm::test {
namespace {

std::string readAll(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

}  // namespace

CliProcess::CliProcess(const std::vector<std::string>& args, const std::string& logDir, bool likeAUser,
                       long addressSpaceLimit) {
  static std::atomic<int> counter{0};
  const std::string stem = logDir + "/run" + std::to_string(counter++);
  outFile_ = stem + ".out";
  errFile_ = stem + ".err";
  std::vector<std::string> argv{SM_CLI_PATH};
  argv.insert(argv.end(), args.begin(), args.end());
  pid_ = ::fork();
  if (pid_ == 0) {
    const int out = ::open(outFile_.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    const int err = ::open(errFile_.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    ::dup2(out, 1);
    ::dup2(err, 2);
    ::setenv("OMP_NUM_THREADS", "1", 1);
    if (addressSpaceLimit > 0) {
      const struct rlimit limit { static_cast<rlim_t>(addressSpaceLimit), static_cast<rlim_t>(addressSpaceLimit) };
      if (::setrlimit(RLIMIT_AS, &limit) != 0) ::_exit(97);
    }
    // Dropped from the bounding set, the capabilities are gone after exec, even for root.
    if (likeAUser && ::geteuid() == 0 &&
        (::prctl(PR_CAPBSET_DROP, CAP_DAC_OVERRIDE, 0, 0, 0) != 0 ||
         ::prctl(PR_CAPBSET_DROP, CAP_DAC_READ_SEARCH, 0, 0, 0) != 0))
      ::_exit(99);
    std::vector<char*> raw;
    for (std::string& a : argv) raw.push_back(a.data());
    raw.push_back(nullptr);
    ::execv(raw[0], raw.data());
    ::_exit(98);
  }
}

CliProcess::~CliProcess() {
  if (!done_ && pid_ > 0) {
    ::kill(pid_, SIGKILL);
    ::waitpid(pid_, nullptr, 0);
  }
}

int CliProcess::wait(double timeoutSeconds) {
  const auto start = std::chrono::steady_clock::now();
  for (;;) {
    int status = 0;
    struct rusage usage {};
    const pid_t got = ::wait4(pid_, &status, WNOHANG, &usage);
    waited_ = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    if (got == pid_) {
      done_ = true;
      peakBytes_ = usage.ru_maxrss * 1024L;
      return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    }
    if (waited_ > timeoutSeconds) {
      ::kill(pid_, SIGKILL);
      ::waitpid(pid_, nullptr, 0);
      done_ = true;
      return -1;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
}

bool CliProcess::waitForText(const std::string& file, const std::string& text, double timeoutSeconds) {
  const auto start = std::chrono::steady_clock::now();
  while (std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count() < timeoutSeconds) {
    if (readAll(file).find(text) != std::string::npos) return true;
    siginfo_t info{};
    // Ended (a zombie, not reaped: wait() still gets its status)?
    if (::waitid(P_PID, static_cast<id_t>(pid_), &info, WEXITED | WNOHANG | WNOWAIT) == 0 && info.si_pid == pid_)
      return readAll(file).find(text) != std::string::npos;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return false;
}

bool CliProcess::waitForStderr(const std::string& text, double timeoutSeconds) {
  return waitForText(errFile_, text, timeoutSeconds);
}
bool CliProcess::waitForStdout(const std::string& text, double timeoutSeconds) {
  return waitForText(outFile_, text, timeoutSeconds);
}

std::string CliProcess::out() const { return readAll(outFile_); }
std::string CliProcess::err() const { return readAll(errFile_); }

int runToEnd(const std::vector<std::string>& args, const std::string& logDir, std::string* err) {
  CliProcess process(args, logDir);
  const int status = process.wait(120);
  if (err) *err = process.err();
  return status;
}

}  // namespace sm::test
