#pragma once
// CLIP byte-level BPE tokenizer, equal to transformers' slow CLIPTokenizer
// without ftfy installed (the path diffusers takes by default).
// ref: transformers v4.57.1 src/transformers/models/clip/tokenization_clip.py
#include <cstddef>
#include <filesystem>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace sm::text {

/// Turns prompts into CLIP token ids (SD1.5 text encoder input).
///
/// Text handling, in the reference's order: literal `<|startoftext|>` / `<|endoftext|>`
/// in the raw text become their ids; the rest is cleaned (NUL, U+FFFD and format/control/
/// private-use/unassigned characters dropped, whitespace mapped to a space), CJK ideographs
/// get spaces around them, NFC, whitespace split, per-word lowercasing (Python str.lower),
/// then the CLIP pre-tokenisation regex and BPE.
///
/// Invalid UTF-8 is decoded like Python's `errors="replace"`: each ill-formed subsequence
/// becomes U+FFFD, which the cleaning step then drops. Any bytes are accepted; only text
/// over 16 MiB is refused (ConfigError).
///
/// Unicode tables come from ICU; characters that Unicode 14.0 (the reference's Python 3.11)
/// does not assign are treated as unassigned and dropped, as the reference does.
///
/// Thread-safety: all const members may be called concurrently; the per-piece BPE cache is
/// guarded by a mutex. Copying a tokenizer copies its tables, not its cache.
class CLIPTokenizer {
 public:
  /// The SD1.5 vocabulary built from the merges file compiled into the binary
  /// (open_clip's bpe_simple_vocab_16e6.txt.gz; see resources/clip/README.md).
  static CLIPTokenizer fromEmbedded();
  /// The vocabulary built from a CLIP merges .gz (header line, then one "a b" merge per line).
  /// Throws CheckpointError naming the file when it is missing, not gzip, or malformed.
  static CLIPTokenizer fromMergesGz(const std::filesystem::path& path);
  /// A diffusers `tokenizer/` folder: ids from vocab.json, merge ranks from merges.txt.
  /// Throws CheckpointError naming the offending file on bad input.
  static CLIPTokenizer fromDiffusersFolder(const std::filesystem::path& folder);

  CLIPTokenizer(const CLIPTokenizer& other);
  CLIPTokenizer& operator=(const CLIPTokenizer& other);
  CLIPTokenizer(CLIPTokenizer&&) noexcept;
  CLIPTokenizer& operator=(CLIPTokenizer&&) noexcept;
  ~CLIPTokenizer();

  /// Token ids of `utf8Text`, without BOS/EOS and without truncation.
  std::vector<int> encode(std::string_view utf8Text) const;
  /// BOS + the first maxLength-2 ids + EOS, right-padded with EOS to exactly `maxLength`
  /// (diffusers: padding="max_length", truncation=True). Throws ConfigError if maxLength < 2.
  std::vector<int> encodeForSD(std::string_view utf8Text, int maxLength = 77) const;
  /// Text of `ids` as transformers decodes it ("</w>" becomes a space, ends stripped, broken
  /// UTF-8 becomes U+FFFD). Throws ConfigError for an id outside the vocabulary.
  std::string decode(const std::vector<int>& ids) const;

  int bosId() const { return bosId_; }
  int eosId() const { return eosId_; }
  /// Number of distinct tokens in the vocabulary (49,408 for SD1.5).
  size_t vocabSize() const { return encoder_.size(); }
  /// Id of a vocabulary token (e.g. "cat</w>"), or -1.
  int tokenId(const std::string& token) const;
  /// Vocabulary token of an id, or "" when there is none.
  std::string token(int id) const;

 private:
  CLIPTokenizer() = default;
  static CLIPTokenizer fromMergesText(const std::string& text, const std::string& source);
  void finishSpecialTokens(const std::string& source);
  void encodeSegment(std::u32string_view segment, std::vector<int>& out) const;
  void encodePiece(const std::string& piece, std::vector<int>& out) const;
  std::vector<int> bpeIds(const std::string& piece) const;

  std::unordered_map<std::string, int> encoder_;  // token -> id
  std::unordered_map<int, std::string> decoder_;  // id -> token
  std::unordered_map<std::string, int> ranks_;    // "first second" -> merge rank
  int bosId_ = -1;
  int eosId_ = -1;
  int unkId_ = -1;

  // Per-piece BPE results; the reference caches them the same way.
  mutable std::unordered_map<std::string, std::vector<int>> cache_;
  mutable std::unique_ptr<std::mutex> cacheMutex_ = std::make_unique<std::mutex>();
};

/// The embedded CLIP merges file, decompressed: the "#version" header line, then
/// one "first second" merge per line in rank order.
std::string embeddedClipMergesText();

}  // namespace sm::text
