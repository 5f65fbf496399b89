#include "core/io/ckpt/zip_archive.h"

#include <algorithm>

#include "core/util/error.h"

// ref: APPNOTE.TXT 6.3.10 (PKWARE), sections 4.3.7 (local header), 4.3.12
// (central directory header), 4.3.14-4.3.16 (ZIP64 end records, end record)
// and 4.5.3 (ZIP64 extended information extra field).

namespace sm::io::ckpt {
namespace {

constexpr uint32_t kLocalHeaderSig = 0x04034b50;
constexpr uint32_t kCentralHeaderSig = 0x02014b50;
constexpr uint32_t kEndRecordSig = 0x06054b50;
constexpr uint32_t kZip64EndRecordSig = 0x06064b50;
constexpr uint32_t kZip64LocatorSig = 0x07064b50;
constexpr size_t kLocalHeaderSize = 30;
constexpr size_t kCentralHeaderSize = 46;
constexpr size_t kEndRecordSize = 22;
constexpr size_t kZip64EndRecordSize = 56;
constexpr size_t kZip64LocatorSize = 20;
// The end record is followed by a comment of at most 65535 bytes, so it
// cannot start earlier than this before the end of the file.
constexpr size_t kMaxEndRecordSearch = kEndRecordSize + 0xffff;
constexpr uint16_t kZip64ExtraId = 0x0001;

uint16_t le16(const std::byte* p) {
  return static_cast<uint16_t>(std::to_integer<uint16_t>(p[0]) | (std::to_integer<uint16_t>(p[1]) << 8));
}

uint32_t le32(const std::byte* p) { return le16(p) | (static_cast<uint32_t>(le16(p + 2)) << 16); }

uint64_t le64(const std::byte* p) { return le32(p) | (static_cast<uint64_t>(le32(p + 4)) << 32); }

// Whether [offset, offset + length) lies inside a buffer of `size` bytes, without overflow.
bool fits(uint64_t offset, uint64_t length, uint64_t size) { return offset <= size && length <= size - offset; }

}  // namespace

bool ZipArchive::hasZipSignature(const std::byte* data, size_t size) {
  return size >= 4 && le32(data) == kLocalHeaderSig;
}

ZipArchive::ZipArchive(const std::byte* data, size_t size, std::string path)
    : data_(data), size_(size), path_(std::move(path)) {
  size_t endRecord = findEndRecord();
  readEntries(readDirectoryLocation(endRecord));
}

const ZipEntry* ZipArchive::find(std::string_view name) const {
  auto it = byName_.find(std::string(name));
  return it == byName_.end() ? nullptr : &entries_[it->second];
}

size_t ZipArchive::findEndRecord() const {
  if (size_ < kEndRecordSize)
    throw CheckpointError(path_, "not a ZIP archive: too short for an end-of-directory record");
  size_t lowest = size_ > kMaxEndRecordSearch ? size_ - kMaxEndRecordSearch : 0;
  // Search backwards: the record is normally the last 22 bytes, but a
  // comment may follow it. A match must leave room for its own comment.
  for (size_t pos = size_ - kEndRecordSize + 1; pos-- > lowest;) {
    if (le32(data_ + pos) != kEndRecordSig) continue;
    if (pos + kEndRecordSize + le16(data_ + pos + 20) <= size_) return pos;
  }
  throw CheckpointError(path_, "not a ZIP archive or truncated: no end-of-central-directory record");
}

ZipArchive::Directory ZipArchive::readDirectoryLocation(size_t endRecord) const {
  const std::byte* p = data_ + endRecord;
  // 0xffff means "see the ZIP64 record", which is checked there.
  for (uint16_t disk : {le16(p + 4), le16(p + 6)})
    if (disk != 0 && disk != 0xffff) throw CheckpointError(path_, "multi-part ZIP archives are not supported");
  Directory directory{le16(p + 10), le32(p + 12), le32(p + 16)};
  bool saturated = directory.entryCount == 0xffff || directory.size == 0xffffffff || directory.offset == 0xffffffff;
  bool hasLocator = endRecord >= kZip64LocatorSize && le32(data_ + endRecord - kZip64LocatorSize) == kZip64LocatorSig;
  if (hasLocator) {
    readZip64EndRecord(endRecord, directory);
  } else if (saturated) {
    throw CheckpointError(path_, "ZIP end record needs a ZIP64 record, but there is no ZIP64 locator");
  }
  return directory;
}

void ZipArchive::readZip64EndRecord(size_t endRecord, Directory& directory) const {
  size_t locator = endRecord - kZip64LocatorSize;
  uint64_t recordOffset = le64(data_ + locator + 8);
  if (le32(data_ + locator + 16) > 1) throw CheckpointError(path_, "multi-part ZIP64 archives are not supported");
  if (!fits(recordOffset, kZip64EndRecordSize, locator))
    throw CheckpointError(path_, "ZIP64 end-of-directory record lies outside the file");
  const std::byte* p = data_ + recordOffset;
  if (le32(p) != kZip64EndRecordSig) throw CheckpointError(path_, "ZIP64 end-of-directory record has a bad signature");
  if (le32(p + 16) != 0 || le32(p + 20) != 0)
    throw CheckpointError(path_, "multi-part ZIP64 archives are not supported");
  directory.entryCount = le64(p + 32);
  directory.size = le64(p + 40);
  directory.offset = le64(p + 48);
}

void ZipArchive::readEntries(const Directory& directory) {
  if (!fits(directory.offset, directory.size, size_))
    throw CheckpointError(path_, "ZIP central directory lies outside the file (truncated?)");
  // Every header takes at least 46 bytes: a count beyond that is a lie, and
  // reserving for it would let a tiny file ask for gigabytes.
  if (directory.entryCount > directory.size / kCentralHeaderSize)
    throw CheckpointError(path_, "ZIP central directory claims more entries than it can hold");
  entries_.reserve(static_cast<size_t>(directory.entryCount));
  size_t pos = static_cast<size_t>(directory.offset);
  size_t end = pos + static_cast<size_t>(directory.size);
  for (uint64_t i = 0; i < directory.entryCount; ++i) pos = readEntry(pos, end);
}

size_t ZipArchive::readEntry(size_t pos, size_t end) {
  if (!fits(pos, kCentralHeaderSize, end)) throw CheckpointError(path_, "ZIP central directory is truncated");
  const std::byte* p = data_ + pos;
  if (le32(p) != kCentralHeaderSig) throw CheckpointError(path_, "ZIP central directory header has a bad signature");
  size_t nameLength = le16(p + 28);
  size_t extraLength = le16(p + 30);
  size_t commentLength = le16(p + 32);
  size_t total = kCentralHeaderSize + nameLength + extraLength + commentLength;
  if (!fits(pos, total, end)) throw CheckpointError(path_, "ZIP central directory entry runs past the directory");

  ZipEntry entry;
  entry.flags = le16(p + 8);
  entry.method = le16(p + 10);
  entry.compressedSize = le32(p + 20);
  entry.uncompressedSize = le32(p + 24);
  entry.localHeaderOffset = le32(p + 42);
  entry.name.assign(reinterpret_cast<const char*>(p + kCentralHeaderSize), nameLength);
  applyZip64Extra({p + kCentralHeaderSize + nameLength, extraLength}, entry, le16(p + 34));

  byName_.emplace(entry.name, entries_.size());  // keeps the first of duplicate names
  entries_.push_back(std::move(entry));
  return pos + total;
}

void ZipArchive::applyZip64Extra(std::span<const std::byte> extra, ZipEntry& entry, uint16_t diskStart) const {
  // The ZIP64 field holds, in this order, only those values whose 32-bit
  // (16-bit for the disk) header field is saturated.
  bool needUncompressed = entry.uncompressedSize == 0xffffffff;
  bool needCompressed = entry.compressedSize == 0xffffffff;
  bool needOffset = entry.localHeaderOffset == 0xffffffff;
  size_t pos = 0;
  while (pos + 4 <= extra.size()) {
    uint16_t id = le16(extra.data() + pos);
    size_t length = le16(extra.data() + pos + 2);
    if (length > extra.size() - pos - 4)
      throw CheckpointError(path_, entry.name, "ZIP extra field runs past its header");
    if (id == kZip64ExtraId) {
      const std::byte* field = extra.data() + pos + 4;
      size_t used = 0;
      auto take = [&](uint64_t& value) {
        if (used + 8 > length) throw CheckpointError(path_, entry.name, "ZIP64 extra field is too short");
        value = le64(field + used);
        used += 8;
      };
      if (needUncompressed) take(entry.uncompressedSize), needUncompressed = false;
      if (needCompressed) take(entry.compressedSize), needCompressed = false;
      if (needOffset) take(entry.localHeaderOffset), needOffset = false;
      if (diskStart == 0xffff && used + 4 <= length) diskStart = static_cast<uint16_t>(le32(field + used) != 0);
    }
    pos += 4 + length;
  }
  if (needUncompressed || needCompressed || needOffset)
    throw CheckpointError(path_, entry.name, "ZIP entry needs a ZIP64 extra field, but has none");
  if (diskStart != 0) throw CheckpointError(path_, entry.name, "multi-part ZIP archives are not supported");
}

std::span<const std::byte> ZipArchive::read(const ZipEntry& entry) const {
  if (entry.flags & 1) throw CheckpointError(path_, entry.name, "ZIP entry is encrypted");
  if (entry.method != 0)
    throw CheckpointError(path_, entry.name,
                          "ZIP entry is compressed (method " + std::to_string(entry.method) +
                              "); PyTorch checkpoints store entries uncompressed: re-save the file with torch.save");
  if (entry.compressedSize != entry.uncompressedSize)
    throw CheckpointError(path_, entry.name, "stored ZIP entry has different compressed and uncompressed sizes");
  if (!fits(entry.localHeaderOffset, kLocalHeaderSize, size_))
    throw CheckpointError(path_, entry.name, "ZIP local header lies outside the file (truncated?)");
  const std::byte* p = data_ + entry.localHeaderOffset;
  if (le32(p) != kLocalHeaderSig) throw CheckpointError(path_, entry.name, "ZIP local header has a bad signature");
  // The local name and extra lengths may differ from the central ones (torch
  // pads data records with a local-only extra field), so read them here.
  uint64_t payload = entry.localHeaderOffset + kLocalHeaderSize + le16(p + 26) + le16(p + 28);
  if (!fits(payload, entry.uncompressedSize, size_))
    throw CheckpointError(path_, entry.name, "ZIP entry data lies outside the file (truncated?)");
  return {data_ + payload, static_cast<size_t>(entry.uncompressedSize)};
}

}  // namespace sm::io::ckpt
