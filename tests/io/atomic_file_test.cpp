#include "core/util/atomic_file.h"
#include "tests/temp_dir.h"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <algorithm>
#include <cerrno>
#include <filesystem>
#include <stdexcept>

namespace sm::util {
namespace {

namespace fs = std::filesystem;

class AtomicFileTest : public ::testing::Test {
 protected:
  std::string file(const std::string& name) const { return temp_.file(name); }

  // Everything in the folder, so tests can check that no temporary file is left.
  std::vector<std::string> entries() const {
    std::vector<std::string> names;
    for (const auto& entry : fs::directory_iterator(dir_)) names.push_back(entry.path().filename().string());
    std::sort(names.begin(), names.end());
    return names;
  }

  test::TempDir temp_{"sm_atomic"};
  const fs::path dir_ = temp_.path();
};

TEST_F(AtomicFileTest, WritesNewFile) {
  writeFileAtomically(file("a.bin"), std::string_view("hello"));
  EXPECT_EQ(test::readFile(file("a.bin")), "hello");
  EXPECT_EQ(entries(), std::vector<std::string>{"a.bin"});
}

TEST_F(AtomicFileTest, ReplacesExistingFileAndKeepsItsPermissions) {
  writeFileAtomically(file("a.bin"), std::string_view("old content"));
  ASSERT_EQ(::chmod(file("a.bin").c_str(), 0640), 0);
  writeFileAtomically(file("a.bin"), std::string_view("new"));
  EXPECT_EQ(test::readFile(file("a.bin")), "new");
  struct stat st {};
  ASSERT_EQ(::stat(file("a.bin").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0640u);
  EXPECT_EQ(entries(), std::vector<std::string>{"a.bin"});
}

TEST_F(AtomicFileTest, StreamsChunksLargerAndSmallerThanItsBuffer) {
  std::string expected;
  writeFileAtomically(file("big.bin"), [&](AtomicFileWriter& writer) {
    for (size_t size : {size_t{3}, size_t{1} << 20, size_t{700'000}, size_t{5}, size_t{3} << 20}) {
      std::string chunk(size, static_cast<char>('a' + size % 26));
      writer.write(chunk);
      expected += chunk;
    }
    EXPECT_EQ(writer.bytesWritten(), expected.size());
  });
  EXPECT_EQ(test::readFile(file("big.bin")), expected);
  EXPECT_EQ(entries(), std::vector<std::string>{"big.bin"});
}

TEST_F(AtomicFileTest, FailureMidwayLeavesOldFileAndNoTempFile) {
  writeFileAtomically(file("model.safetensors"), std::string_view("precious old bytes"));
  auto failMidway = [&] {
    writeFileAtomically(file("model.safetensors"), [](AtomicFileWriter& writer) {
      writer.write(std::string(2 << 20, 'x'));  // enough to reach the disk, not only the buffer
      throw std::runtime_error("producer failed");
    });
  };
  EXPECT_THROW(failMidway(), std::runtime_error);
  EXPECT_EQ(test::readFile(file("model.safetensors")), "precious old bytes");
  EXPECT_EQ(entries(), std::vector<std::string>{"model.safetensors"});
}

TEST_F(AtomicFileTest, UncommittedWriterCreatesNothing) {
  {
    AtomicFileWriter writer(file("never.bin"));
    writer.write(std::string_view("abc"));
    EXPECT_TRUE(fs::exists(writer.tempPath()));
    EXPECT_EQ(fs::path(writer.tempPath()).parent_path(), dir_);
  }
  EXPECT_TRUE(entries().empty());
}

TEST_F(AtomicFileTest, TempFileNamesAreUnique) {
  AtomicFileWriter first(file("same.bin"));
  AtomicFileWriter second(file("same.bin"));
  EXPECT_NE(first.tempPath(), second.tempPath());
}

TEST_F(AtomicFileTest, MissingFolderIsAClearError) {
  std::string path = file("no/such/folder/out.bin");
  try {
    writeFileAtomically(path, std::string_view("x"));
    FAIL() << "expected FileWriteError";
  } catch (const FileWriteError& e) {
    std::string message = e.what();
    EXPECT_NE(message.find(path), std::string::npos) << message;
    EXPECT_NE(message.find("does not exist"), std::string::npos) << message;
    EXPECT_NE(message.find("No such file or directory"), std::string::npos) << message;
    EXPECT_EQ(e.path(), path);
    EXPECT_EQ(e.errorNumber(), ENOENT);
  }
  EXPECT_TRUE(entries().empty());
}

TEST_F(AtomicFileTest, FailedRenameRemovesTempFile) {
  // A non-empty folder cannot be replaced by a file, so the final rename fails.
  fs::create_directories(dir_ / "target" / "child");
  try {
    writeFileAtomically(file("target"), std::string_view("x"));
    FAIL() << "expected FileWriteError";
  } catch (const FileWriteError& e) {
    EXPECT_NE(std::string(e.what()).find(file("target")), std::string::npos) << e.what();
    EXPECT_NE(e.errorNumber(), 0);
  }
  EXPECT_TRUE(fs::is_directory(dir_ / "target" / "child"));
  EXPECT_EQ(entries(), std::vector<std::string>{"target"});
}

TEST_F(AtomicFileTest, WriteAfterCommitThrows) {
  AtomicFileWriter writer(file("a.bin"));
  writer.write(std::string_view("a"));
  writer.commit();
  EXPECT_THROW(writer.write(std::string_view("b")), FileWriteError);
  EXPECT_THROW(writer.commit(), FileWriteError);
  EXPECT_EQ(test::readFile(file("a.bin")), "a");
}

}  // namespace
}  // namespace sm::util
