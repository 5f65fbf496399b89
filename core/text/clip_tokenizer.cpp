#include "core/text/clip_tokenizer.h"

#include <zlib.h>

#include <algorithm>
#include <array>
#include <climits>
#include <fstream>
#include <iterator>
#include <limits>
#include <nlohmann/json.hpp>
#include <sstream>

#include "core/text/clip_text_normalize.h"
#include "core/text/clip_vocab_embedded.h"
#include "core/util/error.h"

// ref: transformers v4.57.1 src/transformers/models/clip/tokenization_clip.py
// ref: openai/CLIP@b1c4b6b clip/simple_tokenizer.py (vocabulary built from the merges)

namespace sm::text {
namespace {

constexpr std::string_view kBos = "<|startoftext|>";
constexpr std::string_view kEos = "<|endoftext|>";
constexpr std::string_view kEndOfWord = "</w>";
// merges[1 : 49152 - 256 - 2 + 1] in both openai/CLIP and transformers.
constexpr size_t kMaxMerges = 49152 - 256 - 2;
constexpr size_t kMaxCacheEntries = 1 << 16;
// Prompts are short; this only bounds the work (and ICU's int32 strings) for absurd input.
constexpr size_t kMaxTextBytes = 16u << 20;
constexpr const char* kEmbeddedName = "<embedded>/bpe_simple_vocab_16e6.txt.gz";

// bytes_to_unicode(): printable Latin-1 bytes map to themselves, the 68 others (controls,
// space, NBSP, soft hyphen), in increasing order, to U+0100.. so BPE never sees whitespace.
bool isPrintableByte(int b) { return (b >= 33 && b <= 126) || (b >= 161 && b <= 172) || (b >= 174 && b <= 255); }

struct ByteMaps {
  std::array<std::string, 256> symbolOfByte;  // UTF-8 of the code point that stands for byte b
  std::array<int, 324> byteOfCodePoint;       // inverse; -1 where none
  std::array<std::string, 256> alphabet;      // symbols in vocabulary order (ids 0..255)
};

const ByteMaps& byteMaps() {
  static const ByteMaps maps = [] {
    ByteMaps m;
    m.byteOfCodePoint.fill(-1);
    size_t id = 0;
    char32_t nextExtra = 256;
    for (int pass = 0; pass < 2; ++pass) {  // printable bytes get the first ids
      for (int b = 0; b < 256; ++b) {
        if (isPrintableByte(b) != (pass == 0)) continue;
        const char32_t cp = pass == 0 ? static_cast<char32_t>(b) : nextExtra++;
        m.symbolOfByte[b] = clipnorm::encodeUtf8(std::u32string_view(&cp, 1));
        m.byteOfCodePoint[cp] = b;
        m.alphabet[id++] = m.symbolOfByte[b];
      }
    }
    return m;
  }();
  return maps;
}

std::string pairKey(std::string_view first, std::string_view second) {
  std::string key;
  key.reserve(first.size() + second.size() + 1);
  key.append(first).append(" ").append(second);
  return key;
}

// Python's str.split() on a merges line; symbols never contain whitespace.
std::vector<std::string_view> splitFields(std::string_view line) {
  std::vector<std::string_view> fields;
  auto isSpace = [](char c) { return c == ' ' || (c >= '\t' && c <= '\r') || (c >= 0x1C && c <= 0x1F); };
  for (size_t i = 0; i < line.size();) {
    while (i < line.size() && isSpace(line[i])) ++i;
    size_t end = i;
    while (end < line.size() && !isSpace(line[end])) ++end;
    if (end > i) fields.push_back(line.substr(i, end - i));
    i = end;
  }
  return fields;
}

std::vector<std::string_view> splitLines(std::string_view text) {
  std::vector<std::string_view> lines;
  size_t start = 0;
  for (size_t nl = text.find('\n'); nl != std::string_view::npos; nl = text.find('\n', start)) {
    lines.push_back(text.substr(start, nl - start));
    start = nl + 1;
  }
  lines.push_back(text.substr(start));
  return lines;
}

using Merge = std::pair<std::string, std::string>;

// Lines 1..kMaxMerges of a merges text (line 0 is the "#version" header).
std::vector<Merge> parseMerges(const std::vector<std::string_view>& lines, const std::string& source) {
  std::vector<Merge> merges;
  const size_t last = std::min(lines.size(), kMaxMerges + 1);
  for (size_t i = 1; i < last; ++i) {
    const auto fields = splitFields(lines[i]);
    if (fields.size() != 2) {
      throw CheckpointError(source, "line " + std::to_string(i + 1) + " is not a merge of two symbols: '" +
                                        std::string(lines[i].substr(0, 80)) + "'");
    }
    merges.emplace_back(std::string(fields[0]), std::string(fields[1]));
  }
  return merges;
}

std::string gunzip(const unsigned char* data, size_t size, const std::string& source) {
  z_stream zs{};
  if (inflateInit2(&zs, 16 + MAX_WBITS) != Z_OK) throw CheckpointError(source, "zlib initialisation failed");
  zs.next_in = const_cast<Bytef*>(data);  // zlib's API is not const-correct; it does not write
  zs.avail_in = static_cast<uInt>(std::min<size_t>(size, std::numeric_limits<uInt>::max()));
  std::string out;
  std::array<char, 1 << 16> chunk;
  int rc = Z_OK;
  while (rc == Z_OK) {
    zs.next_out = reinterpret_cast<Bytef*>(chunk.data());
    zs.avail_out = static_cast<uInt>(chunk.size());
    rc = inflate(&zs, Z_NO_FLUSH);
    out.append(chunk.data(), chunk.size() - zs.avail_out);
    if (rc == Z_BUF_ERROR && zs.avail_in == 0) break;  // truncated input
  }
  inflateEnd(&zs);
  if (rc != Z_STREAM_END) throw CheckpointError(source, "not a complete gzip stream");
  return out;
}

std::string readFile(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw CheckpointError(path.string(), "cannot open file");
  std::ostringstream buffer;
  buffer << in.rdbuf();
  if (in.bad()) throw CheckpointError(path.string(), "read error");
  return std::move(buffer).str();
}

// Python's str.strip() for the ASCII whitespace a merges.txt can hold.
std::string_view stripAscii(std::string_view s) {
  auto isSpace = [](char c) { return c == ' ' || (c >= '\t' && c <= '\r') || (c >= 0x1C && c <= 0x1F); };
  while (!s.empty() && isSpace(s.front())) s.remove_prefix(1);
  while (!s.empty() && isSpace(s.back())) s.remove_suffix(1);
  return s;
}

// Merges the lowest-ranked adjacent pair everywhere (non-overlapping, left to right) until no
// adjacent pair has a rank; tokenization_clip.CLIPTokenizer.bpe.
void applyMerges(std::vector<std::string>& word, const std::unordered_map<std::string, int>& ranks) {
  while (word.size() > 1) {
    int bestRank = INT_MAX;
    size_t best = 0;
    for (size_t i = 0; i + 1 < word.size(); ++i) {
      const auto it = ranks.find(pairKey(word[i], word[i + 1]));
      if (it != ranks.end() && it->second < bestRank) {
        bestRank = it->second;
        best = i;
      }
    }
    if (bestRank == INT_MAX) return;
    const std::string first = word[best];
    const std::string second = word[best + 1];
    std::vector<std::string> merged;
    merged.reserve(word.size());
    for (size_t i = 0; i < word.size();) {
      if (i + 1 < word.size() && word[i] == first && word[i + 1] == second) {
        merged.push_back(first + second);
        i += 2;
      } else {
        merged.push_back(std::move(word[i]));
        ++i;
      }
    }
    word = std::move(merged);
  }
}

}  // namespace

CLIPTokenizer::CLIPTokenizer(const CLIPTokenizer& other)
    : encoder_(other.encoder_),
      decoder_(other.decoder_),
      ranks_(other.ranks_),
      bosId_(other.bosId_),
      eosId_(other.eosId_),
      unkId_(other.unkId_) {}

CLIPTokenizer& CLIPTokenizer::operator=(const CLIPTokenizer& other) {
  if (this != &other) {
    CLIPTokenizer copy(other);
    *this = std::move(copy);
  }
  return *this;
}

CLIPTokenizer::CLIPTokenizer(CLIPTokenizer&&) noexcept = default;
CLIPTokenizer& CLIPTokenizer::operator=(CLIPTokenizer&&) noexcept = default;
CLIPTokenizer::~CLIPTokenizer() = default;

std::string embeddedClipMergesText() {
  const auto gz = embeddedClipMergesGz();
  return gunzip(gz.data(), gz.size(), kEmbeddedName);
}

CLIPTokenizer CLIPTokenizer::fromEmbedded() { return fromMergesText(embeddedClipMergesText(), kEmbeddedName); }

CLIPTokenizer CLIPTokenizer::fromMergesGz(const std::filesystem::path& path) {
  const std::string gz = readFile(path);
  return fromMergesText(gunzip(reinterpret_cast<const unsigned char*>(gz.data()), gz.size(), path.string()),
                        path.string());
}

// The openai/CLIP vocabulary: 256 byte symbols, the same with "</w>", one token per merge,
// then BOS and EOS. Later duplicates win in the token -> id map, as in a Python dict.
CLIPTokenizer CLIPTokenizer::fromMergesText(const std::string& text, const std::string& source) {
  if (!clipnorm::isValidUtf8(text)) throw CheckpointError(source, "merges file is not UTF-8");
  std::vector<std::string_view> lines = splitLines(text);
  if (lines.size() > 1 && lines.back().empty()) lines.pop_back();  // trailing newline
  const std::vector<Merge> merges = parseMerges(lines, source);

  std::vector<std::string> tokens;
  tokens.reserve(512 + merges.size() + 2);
  for (const std::string& symbol : byteMaps().alphabet) tokens.push_back(symbol);
  for (size_t i = 0; i < 256; ++i) tokens.push_back(tokens[i] + std::string(kEndOfWord));
  for (const auto& [first, second] : merges) tokens.push_back(first + second);
  tokens.emplace_back(kBos);
  tokens.emplace_back(kEos);

  CLIPTokenizer tok;
  for (size_t id = 0; id < tokens.size(); ++id) {
    tok.encoder_[tokens[id]] = static_cast<int>(id);
    tok.decoder_[static_cast<int>(id)] = tokens[id];
  }
  for (size_t rank = 0; rank < merges.size(); ++rank) {
    tok.ranks_[pairKey(merges[rank].first, merges[rank].second)] = static_cast<int>(rank);
  }
  tok.finishSpecialTokens(source);
  return tok;
}

CLIPTokenizer CLIPTokenizer::fromDiffusersFolder(const std::filesystem::path& folder) {
  const std::filesystem::path vocabPath = folder / "vocab.json";
  const std::filesystem::path mergesPath = folder / "merges.txt";
  CLIPTokenizer tok;

  nlohmann::ordered_json vocab;
  try {
    vocab = nlohmann::ordered_json::parse(readFile(vocabPath));
  } catch (const nlohmann::json::exception& e) {
    throw CheckpointError(vocabPath.string(), std::string("not valid JSON: ") + e.what());
  }
  if (!vocab.is_object()) throw CheckpointError(vocabPath.string(), "expected a JSON object of token -> id");
  for (const auto& [token, id] : vocab.items()) {
    if (!id.is_number_integer() || id.get<int64_t>() < 0 || id.get<int64_t>() > INT_MAX) {
      throw CheckpointError(vocabPath.string(), token, "id is not a non-negative 32-bit integer");
    }
    tok.encoder_[token] = id.get<int>();
    tok.decoder_[id.get<int>()] = token;
  }

  const std::string mergesText = readFile(mergesPath);
  if (!clipnorm::isValidUtf8(mergesText)) throw CheckpointError(mergesPath.string(), "not UTF-8");
  // merges_handle.read().strip().split("\n")[1 : 48895]
  const std::vector<std::string_view> lines = splitLines(stripAscii(mergesText));
  if (lines.empty() || !lines.front().starts_with("#")) {
    throw CheckpointError(mergesPath.string(), "first line is not the '#version' header");
  }
  const std::vector<Merge> merges = parseMerges(lines, mergesPath.string());
  for (size_t rank = 0; rank < merges.size(); ++rank) {
    tok.ranks_[pairKey(merges[rank].first, merges[rank].second)] = static_cast<int>(rank);
  }
  tok.finishSpecialTokens(vocabPath.string());
  return tok;
}

void CLIPTokenizer::finishSpecialTokens(const std::string& source) {
  auto idOf = [&](std::string_view token) {
    const auto it = encoder_.find(std::string(token));
    if (it == encoder_.end())
      throw CheckpointError(source, std::string(token), "special token missing from the vocabulary");
    return it->second;
  };
  bosId_ = idOf(kBos);
  eosId_ = idOf(kEos);
  unkId_ = eosId_;  // CLIPTokenizer's unk_token is "<|endoftext|>"
}

int CLIPTokenizer::tokenId(const std::string& token) const {
  const auto it = encoder_.find(token);
  return it == encoder_.end() ? -1 : it->second;
}

std::string CLIPTokenizer::token(int id) const {
  const auto it = decoder_.find(id);
  return it == decoder_.end() ? std::string() : it->second;
}

std::vector<int> CLIPTokenizer::encode(std::string_view utf8Text) const {
  if (utf8Text.size() > kMaxTextBytes) {
    throw ConfigError("prompt is " + std::to_string(utf8Text.size()) + " bytes; the tokenizer accepts at most " +
                      std::to_string(kMaxTextBytes));
  }
  const std::u32string text = clipnorm::decodeUtf8Lossy(utf8Text);
  std::vector<int> ids;
  // transformers first splits the raw text on its special tokens (exact, case-sensitive),
  // so e.g. "!<|endoftext|>" is "!" + EOS rather than one punctuation run.
  constexpr std::u32string_view kBos32 = U"<|startoftext|>";
  constexpr std::u32string_view kEos32 = U"<|endoftext|>";
  const std::u32string_view all(text);
  size_t start = 0;
  for (size_t pos = 0; pos < all.size();) {
    const bool bos = all.substr(pos).starts_with(kBos32);
    const bool eos = !bos && all.substr(pos).starts_with(kEos32);
    if (!bos && !eos) {
      ++pos;
      continue;
    }
    encodeSegment(all.substr(start, pos - start), ids);
    ids.push_back(bos ? bosId_ : eosId_);
    pos += bos ? kBos32.size() : kEos32.size();
    start = pos;
  }
  encodeSegment(all.substr(start), ids);
  return ids;
}

void CLIPTokenizer::encodeSegment(std::u32string_view segment, std::vector<int>& out) const {
  if (segment.empty()) return;
  const std::u32string normalized = clipnorm::basicNormalize(segment);
  for (std::u32string_view piece : clipnorm::preTokenize(normalized)) encodePiece(clipnorm::encodeUtf8(piece), out);
}

void CLIPTokenizer::encodePiece(const std::string& piece, std::vector<int>& out) const {
  // The reference's BPE cache is seeded with the two special tokens, so these literal
  // pieces (matched by the regex after lowercasing) map straight to their ids.
  if (piece == kBos) {
    out.push_back(bosId_);
  } else if (piece == kEos) {
    out.push_back(eosId_);
  } else {
    const std::vector<int> ids = bpeIds(piece);
    out.insert(out.end(), ids.begin(), ids.end());
  }
}

std::vector<int> CLIPTokenizer::bpeIds(const std::string& piece) const {
  {
    std::lock_guard lock(*cacheMutex_);
    const auto it = cache_.find(piece);
    if (it != cache_.end()) return it->second;
  }
  const ByteMaps& maps = byteMaps();
  std::vector<std::string> word;
  word.reserve(piece.size());
  for (unsigned char b : piece) word.push_back(maps.symbolOfByte[b]);
  word.back().append(kEndOfWord);
  applyMerges(word, ranks_);

  std::vector<int> ids;
  ids.reserve(word.size());
  for (const std::string& symbol : word) {
    const auto it = encoder_.find(symbol);
    ids.push_back(it == encoder_.end() ? unkId_ : it->second);
  }
  std::lock_guard lock(*cacheMutex_);
  if (cache_.size() >= kMaxCacheEntries) cache_.clear();  // bound memory on endless new prompts
  cache_.emplace(piece, ids);
  return ids;
}

std::vector<int> CLIPTokenizer::encodeForSD(std::string_view utf8Text, int maxLength) const {
  if (maxLength < 2) throw ConfigError("CLIP sequence length must be at least 2, got " + std::to_string(maxLength));
  const std::vector<int> ids = encode(utf8Text);
  const size_t kept = std::min(ids.size(), static_cast<size_t>(maxLength - 2));
  std::vector<int> sequence;
  sequence.reserve(static_cast<size_t>(maxLength));
  sequence.push_back(bosId_);
  sequence.insert(sequence.end(), ids.begin(), ids.begin() + static_cast<std::ptrdiff_t>(kept));
  sequence.push_back(eosId_);
  sequence.resize(static_cast<size_t>(maxLength), eosId_);  // pad_token is "<|endoftext|>"
  return sequence;
}

// convert_tokens_to_string: join, map symbols back to bytes, decode UTF-8 with
// errors="replace", "</w>" -> " ", strip.
std::string CLIPTokenizer::decode(const std::vector<int>& ids) const {
  std::string joined;
  for (int id : ids) {
    const auto it = decoder_.find(id);
    if (it == decoder_.end()) throw ConfigError("token id " + std::to_string(id) + " is not in the CLIP vocabulary");
    joined += it->second;
  }
  const ByteMaps& maps = byteMaps();
  std::string bytes;
  for (char32_t c : clipnorm::decodeUtf8Lossy(joined)) {
    const int b = c < maps.byteOfCodePoint.size() ? maps.byteOfCodePoint[c] : -1;
    if (b < 0) throw ConfigError("vocabulary token has a character outside CLIP's byte alphabet");
    bytes.push_back(static_cast<char>(b));
  }
  std::u32string text = clipnorm::decodeUtf8Lossy(bytes);
  for (size_t pos = text.find(U"</w>"); pos != std::u32string::npos; pos = text.find(U"</w>", pos + 1)) {
    text.replace(pos, 4, U" ");
  }
  size_t begin = 0;
  size_t end = text.size();
  while (begin < end && clipnorm::isPythonSpace(text[begin])) ++begin;
  while (end > begin && clipnorm::isPythonSpace(text[end - 1])) --end;
  return clipnorm::encodeUtf8(std::u32string_view(text).substr(begin, end - begin));
}

}  // namespace sm::text
