#include "core/io/ckpt/zip_archive.h"

#include <gtest/gtest.h>

#include <cstring>
#include <string>
#include <utility>
#include <vector>

#include "core/io/mapped_file.h"
#include "core/util/error.h"

namespace sm::io::ckpt {
namespace {

const std::string kData = std::string(SM_TEST_DATA_DIR) + "/ckpt/";

void put16(std::string& out, uint32_t v) {
  out += static_cast<char>(v & 0xff);
  out += static_cast<char>((v >> 8) & 0xff);
}

void put32(std::string& out, uint32_t v) {
  put16(out, v & 0xffff);
  put16(out, v >> 16);
}

// A stored ZIP whose local headers carry a 4-byte extra field that the
// central directory does not, as torch's padded data records do.
std::string buildZip(const std::vector<std::pair<std::string, std::string>>& entries, uint16_t method = 0) {
  std::string out;
  std::string central;
  for (const auto& [name, data] : entries) {
    uint32_t offset = static_cast<uint32_t>(out.size());
    put32(out, 0x04034b50);
    put16(out, 20), put16(out, 0), put16(out, method), put16(out, 0), put16(out, 0);
    put32(out, 0), put32(out, static_cast<uint32_t>(data.size())), put32(out, static_cast<uint32_t>(data.size()));
    put16(out, static_cast<uint32_t>(name.size())), put16(out, 4);
    out += name;
    put16(out, 0x4246), put16(out, 0);  // "FB", empty
    out += data;
    put32(central, 0x02014b50);
    put16(central, 20), put16(central, 20), put16(central, 0), put16(central, method), put16(central, 0),
        put16(central, 0);
    put32(central, 0), put32(central, static_cast<uint32_t>(data.size())),
        put32(central, static_cast<uint32_t>(data.size()));
    put16(central, static_cast<uint32_t>(name.size())), put16(central, 0), put16(central, 0), put16(central, 0),
        put16(central, 0);
    put32(central, 0), put32(central, offset);
    central += name;
  }
  uint32_t centralOffset = static_cast<uint32_t>(out.size());
  out += central;
  put32(out, 0x06054b50);
  put16(out, 0), put16(out, 0), put16(out, static_cast<uint32_t>(entries.size())),
      put16(out, static_cast<uint32_t>(entries.size()));
  put32(out, static_cast<uint32_t>(central.size())), put32(out, centralOffset), put16(out, 0);
  return out;
}

const std::byte* bytes(const std::string& s) { return reinterpret_cast<const std::byte*>(s.data()); }

std::string text(std::span<const std::byte> span) { return {reinterpret_cast<const char*>(span.data()), span.size()}; }

// Offset of the end record's field at `field` (relative to the record).
size_t endRecordField(const std::string& zip, size_t field) { return zip.size() - 22 + field; }

TEST(ZipArchive, ReadsStoredEntriesUsingLocalHeaderLengths) {
  std::string zip = buildZip({{"a/data.pkl", "hello"}, {"a/data/0", std::string("\0\1\2", 3)}});
  ZipArchive archive(bytes(zip), zip.size(), "mem.zip");
  ASSERT_EQ(archive.entries().size(), 2u);
  EXPECT_EQ(archive.entries()[0].name, "a/data.pkl");
  ASSERT_NE(archive.find("a/data/0"), nullptr);
  EXPECT_EQ(archive.find("missing"), nullptr);
  EXPECT_EQ(text(archive.read(*archive.find("a/data.pkl"))), "hello");
  EXPECT_EQ(text(archive.read(*archive.find("a/data/0"))), std::string("\0\1\2", 3));
}

TEST(ZipArchive, FindsEndRecordBehindAComment) {
  std::string zip = buildZip({{"a/x", "1"}});
  zip[endRecordField(zip, 20)] = 3;
  zip += "abc";
  ZipArchive archive(bytes(zip), zip.size(), "mem.zip");
  EXPECT_EQ(archive.entries().size(), 1u);
}

TEST(ZipArchive, ReadsTorchCheckpoint) {
  auto file = MappedFile::open(kData + "views.pt");
  ZipArchive archive(file->data(), file->size(), file->path());
  const ZipEntry* storage = archive.find("views/data/0");
  ASSERT_NE(storage, nullptr);
  auto data = archive.read(*storage);
  ASSERT_EQ(data.size(), 48u);  // 12 float32
  // Torch pads data records so that they start on 64-byte boundaries.
  EXPECT_EQ((data.data() - file->data()) % 64, 0);
  float third;
  std::memcpy(&third, data.data() + 8, 4);
  EXPECT_EQ(third, 2.0f);
}

TEST(ZipArchive, ReadsZip64Records) {
  auto plain = MappedFile::open(kData + "views.pt");
  auto big = MappedFile::open(kData + "zip64.pt");
  ZipArchive a(plain->data(), plain->size(), plain->path());
  ZipArchive b(big->data(), big->size(), big->path());
  ASSERT_EQ(a.entries().size(), b.entries().size());
  for (const auto& e : a.entries()) {
    const ZipEntry* other = b.find(e.name);
    ASSERT_NE(other, nullptr) << e.name;
    EXPECT_EQ(text(a.read(e)), text(b.read(*other))) << e.name;
  }
}

TEST(ZipArchive, RefusesCompressedEntryNamingIt) {
  auto file = MappedFile::open(kData + "deflate.pt");
  ZipArchive archive(file->data(), file->size(), file->path());
  const ZipEntry* entry = archive.find("dtypes/data.pkl");
  ASSERT_NE(entry, nullptr);
  try {
    archive.read(*entry);
    FAIL() << "expected CheckpointError";
  } catch (const CheckpointError& e) {
    EXPECT_EQ(e.key(), "dtypes/data.pkl");
    EXPECT_NE(std::string(e.what()).find("compressed"), std::string::npos);
    EXPECT_EQ(e.path(), file->path());
  }
}

TEST(ZipArchive, RefusesTruncatedArchive) {
  auto file = MappedFile::open(kData + "truncated.pt");
  EXPECT_THROW(ZipArchive(file->data(), file->size(), file->path()), CheckpointError);
}

TEST(ZipArchive, RefusesTooShortOrForeignBytes) {
  std::string empty;
  EXPECT_THROW(ZipArchive(bytes(empty), 0, "e"), CheckpointError);
  std::string junk(1000, 'x');
  EXPECT_THROW(ZipArchive(bytes(junk), junk.size(), "j"), CheckpointError);
  EXPECT_FALSE(ZipArchive::hasZipSignature(bytes(junk), junk.size()));
}

TEST(ZipArchive, RefusesEntryCountBeyondDirectory) {
  std::string zip = buildZip({{"a/x", "1"}});
  zip[endRecordField(zip, 10)] = '\x10';  // 16 entries in a 49-byte directory
  EXPECT_THROW(ZipArchive(bytes(zip), zip.size(), "m"), CheckpointError);
}

TEST(ZipArchive, RefusesDirectoryOutsideFile) {
  std::string zip = buildZip({{"a/x", "1"}});
  zip[endRecordField(zip, 19)] = '\x7f';  // central directory offset far past the end
  EXPECT_THROW(ZipArchive(bytes(zip), zip.size(), "m"), CheckpointError);
}

TEST(ZipArchive, RefusesSaturatedFieldsWithoutZip64Locator) {
  std::string zip = buildZip({{"a/x", "1"}});
  for (size_t i = 16; i < 20; ++i) zip[endRecordField(zip, i)] = '\xff';
  EXPECT_THROW(ZipArchive(bytes(zip), zip.size(), "m"), CheckpointError);
}

TEST(ZipArchive, RefusesZip64LocatorPointingOutside) {
  auto file = MappedFile::open(kData + "zip64.pt");
  std::string zip(reinterpret_cast<const char*>(file->data()), file->size());
  size_t locator = zip.size() - 22 - 20;
  for (size_t i = 8; i < 16; ++i) zip[locator + i] = '\x7f';
  EXPECT_THROW(ZipArchive(bytes(zip), zip.size(), "m"), CheckpointError);
}

TEST(ZipArchive, RefusesPayloadPastEnd) {
  std::string zip = buildZip({{"a/x", "1234"}});
  size_t central = zip.size() - 22 - (46 + 3);
  zip[central + 20] = zip[central + 24] = '\x7f';  // sizes of 127 bytes
  ZipArchive archive(bytes(zip), zip.size(), "m");
  EXPECT_THROW(archive.read(archive.entries()[0]), CheckpointError);
}

TEST(ZipArchive, RefusesLocalHeaderOutsideOrBroken) {
  std::string zip = buildZip({{"a/x", "1234"}});
  size_t central = zip.size() - 22 - (46 + 3);
  std::string outside = zip;
  outside[central + 45] = '\x7f';  // local header offset past the end
  ZipArchive a(bytes(outside), outside.size(), "m");
  EXPECT_THROW(a.read(a.entries()[0]), CheckpointError);
  std::string broken = zip;
  broken[0] = 'X';  // bad local signature
  ZipArchive b(bytes(broken), broken.size(), "m");
  EXPECT_THROW(b.read(b.entries()[0]), CheckpointError);
}

TEST(ZipArchive, RefusesExtraFieldRunningPastHeader) {
  std::string zip = buildZip({{"a/x", "1"}});
  size_t central = zip.size() - 22 - (46 + 3);
  // Claim a 4-byte extra field: it overlaps the end record, so the entry runs past the directory.
  zip[central + 30] = 4;
  EXPECT_THROW(ZipArchive(bytes(zip), zip.size(), "m"), CheckpointError);
}

}  // namespace
}  // namespace sm::io::ckpt
