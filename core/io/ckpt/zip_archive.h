#pragma once
// A read-only ZIP reader over bytes already in memory (a MappedFile), just
// enough for PyTorch checkpoints: the central directory (with ZIP64), and the
// payload of stored (uncompressed) entries as spans into those bytes.
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace sm::io::ckpt {

struct ZipEntry {
  std::string name;
  /// 0 = stored; anything else is compressed and cannot be read as a span.
  uint16_t method = 0;
  /// General-purpose flags; bit 0 means encrypted.
  uint16_t flags = 0;
  uint64_t compressedSize = 0;
  uint64_t uncompressedSize = 0;
  /// Where the entry's local header starts, from the central directory.
  uint64_t localHeaderOffset = 0;
};

class ZipArchive {
 public:
  /// Reads the central directory of the archive in `data`. `path` only names
  /// the file in errors. Throws CheckpointError when it is not a valid ZIP.
  /// The bytes must outlive the archive and every span it returns.
  ZipArchive(const std::byte* data, size_t size, std::string path);

  /// Entries in central-directory order.
  const std::vector<ZipEntry>& entries() const { return entries_; }
  /// The first entry called `name`, or nullptr.
  const ZipEntry* find(std::string_view name) const;
  /// The payload of a stored entry. Throws CheckpointError naming the entry
  /// when it is compressed or its bytes lie outside the archive.
  std::span<const std::byte> read(const ZipEntry& entry) const;
  const std::string& path() const { return path_; }

  /// Whether `data` starts with a local file header ("PK\3\4").
  static bool hasZipSignature(const std::byte* data, size_t size);

 private:
  struct Directory {
    uint64_t entryCount = 0;
    uint64_t size = 0;
    uint64_t offset = 0;
  };
  size_t findEndRecord() const;
  Directory readDirectoryLocation(size_t endRecord) const;
  void readZip64EndRecord(size_t endRecord, Directory& directory) const;
  void readEntries(const Directory& directory);
  size_t readEntry(size_t pos, size_t end);
  void applyZip64Extra(std::span<const std::byte> extra, ZipEntry& entry, uint16_t diskStart) const;

  const std::byte* data_;
  size_t size_;
  std::string path_;
  std::vector<ZipEntry> entries_;
  std::unordered_map<std::string, size_t> byName_;
};

}  // namespace sm::io::ckpt
