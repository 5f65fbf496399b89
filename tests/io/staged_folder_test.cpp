#include "core/util/staged_folder.h"

#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>

#include "core/util/atomic_file.h"
#include "tests/temp_dir.h"

namespace sm::util {
namespace {

namespace fs = std::filesystem;

class StagedFolderTest : public ::testing::Test {
 protected:
  // Everything beside the target: a build must leave nothing but the folder itself.
  std::vector<std::string> entries() const {
    std::vector<std::string> names;
    for (const auto& entry : fs::directory_iterator(temp_.path())) names.push_back(entry.path().filename().string());
    std::sort(names.begin(), names.end());
    return names;
  }
  std::string target() const { return temp_.file("data"); }

  test::TempDir temp_{"sm_staged"};
};

// The pid of a process that has ended (and was reaped): no process has it now.
pid_t deadPid() {
  const pid_t child = ::fork();
  if (child == 0) ::_exit(0);
  int status = 0;
  ::waitpid(child, &status, 0);
  return child;
}

TEST_F(StagedFolderTest, BuildsANewFolderOutOfSightAndMovesItIntoPlace) {
  {
    StagedFolder staged(target());
    EXPECT_FALSE(fs::exists(target()));
    EXPECT_EQ(fs::path(staged.staging()).parent_path(), temp_.path());
    EXPECT_EQ(fs::path(staged.staging()).filename().string().rfind(".data.tmp-", 0), 0u);
    writeFileAtomically((fs::path(staged.staging()) / "a.txt").string(), std::string_view("new"));
    staged.commit();
  }
  EXPECT_EQ(test::readFile(target() + "/a.txt"), "new");
  EXPECT_EQ(entries(), std::vector<std::string>{"data"});  // no staging folder, no lock file
}

TEST_F(StagedFolderTest, TheOldFolderStaysWholeUntilTheNewOneIsCompleteThenIsReplaced) {
  fs::create_directories(target());
  temp_.write("data/old.txt", "old");
  {
    StagedFolder staged(target() + "/");  // a trailing slash names the same folder
    writeFileAtomically((fs::path(staged.staging()) / "new.txt").string(), std::string_view("new"));
    EXPECT_EQ(test::readFile(target() + "/old.txt"), "old");
    EXPECT_FALSE(fs::exists(target() + "/new.txt"));
    staged.commit();
  }
  EXPECT_FALSE(fs::exists(target() + "/old.txt"));
  EXPECT_EQ(test::readFile(target() + "/new.txt"), "new");
  EXPECT_EQ(entries(), std::vector<std::string>{"data"});
}

TEST_F(StagedFolderTest, AnAbandonedBuildLeavesTheOldFolderAndNothingElse) {
  fs::create_directories(target());
  temp_.write("data/old.txt", "old");
  try {
    StagedFolder staged(target());
    temp_.write(fs::relative(staged.staging(), temp_.path()).string() + "/half.txt", "half");
    throw std::runtime_error("the build failed");
  } catch (const std::runtime_error&) {
  }
  EXPECT_EQ(test::readFile(target() + "/old.txt"), "old");
  EXPECT_EQ(entries(), std::vector<std::string>{"data"});
}

TEST_F(StagedFolderTest, ASecondBuildOfTheSameFolderIsRefusedWhileTheFirstRuns) {
  auto first = std::make_unique<StagedFolder>(target());
  try {
    StagedFolder second(target());
    FAIL() << "a second build of the folder was allowed";
  } catch (const FolderBusyError& e) {
    EXPECT_NE(std::string(e.what()).find("another build"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find(target()), std::string::npos) << e.what();
  }
  first.reset();
  StagedFolder third(target());  // the first one's lock went with it
  third.commit();
  EXPECT_TRUE(fs::is_directory(target()));
}

TEST_F(StagedFolderTest, WhatAKilledBuildLeftIsRemovedByTheNextOne) {
  const std::string leftover = temp_.file(".data.tmp-" + std::to_string(deadPid()) + "-0-42");
  fs::create_directories(leftover + "/previews");
  temp_.write(".data.tmp-" + std::to_string(deadPid()) + "-0-42/previews/sample.mp4", "partial");
  temp_.write(".data.lock", "");  // a killed holder's lock file: no longer locked
  {
    StagedFolder staged(target());
    EXPECT_FALSE(fs::exists(leftover));
    staged.commit();
  }
  EXPECT_EQ(entries(), std::vector<std::string>{"data"});
}

TEST_F(StagedFolderTest, AMissingParentFolderIsNamed) {
  try {
    StagedFolder staged(temp_.file("missing/data"));
    FAIL() << "built under a missing folder";
  } catch (const FileWriteError& e) {
    EXPECT_NE(std::string(e.what()).find("parent folder does not exist"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace sm::util
