#include "core/util/writable.h"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>

#include "core/util/atomic_file.h"
#include "core/util/error.h"
#include "tests/temp_dir.h"

namespace sm::util {
namespace {

namespace fs = std::filesystem;

TEST(Writable, AMissingFolderOrAFolderForAFileIsTheUsersMistake) {
  test::TempDir temp("sm_writable");
  EXPECT_NO_THROW(requireWritableFile(temp.file("out.mp4")));
  EXPECT_THROW(requireWritableFile(temp.file("missing/out.mp4")), ConfigError);
  fs::create_directories(temp.file("frames"));
  EXPECT_THROW(requireWritableFile(temp.file("frames")), ConfigError);
  temp.write("file", "x");
  EXPECT_THROW(requireWritableFolder(temp.file("file")), ConfigError);
  EXPECT_NO_THROW(requireWritableFolder(temp.file("new/deeper/folder")));  // created by the job
  EXPECT_NO_THROW(requireWritableFolder(temp.file("frames")));
}

// Root writes anywhere: the read-only folder is checked as an unprivileged user.
TEST(Writable, AReadOnlyFolderIsRefusedBeforeAnyWork) {
  test::TempDir temp("sm_writable");
  fs::create_directories(temp.file("locked"));
  ::chmod(temp.path().c_str(), 0755);
  ::chmod(temp.file("locked").c_str(), 0555);
  auto check = [&] {
    try {
      requireWritableFile(temp.file("locked/out.mp4"));
    } catch (const FileWriteError& e) {
      return std::string(e.what()).find("not writable") != std::string::npos ? 0 : 2;
    } catch (...) {
      return 3;
    }
    return 1;
  };
  int result = 0;
  if (::geteuid() != 0) {
    result = check();
  } else {
    const pid_t child = ::fork();
    if (child == 0) {
      if (::setgid(65534) != 0 || ::setuid(65534) != 0) ::_exit(4);
      ::_exit(check());
    }
    int status = 0;
    ::waitpid(child, &status, 0);
    result = WIFEXITED(status) ? WEXITSTATUS(status) : 5;
  }
  EXPECT_EQ(result, 0) << "0 refused with the folder named; 1 accepted; 2 another message; 3 another error";
  ::chmod(temp.file("locked").c_str(), 0755);
}

}  // namespace
}  // namespace sm::util
