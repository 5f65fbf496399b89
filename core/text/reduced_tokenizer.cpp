#include "core/text/reduced_tokenizer.h"

#include <climits>
#include <nlohmann/json.hpp>
#include <string_view>
#include <unordered_map>
#include <utility>

#include "core/text/clip_tokenizer.h"
#include "core/util/atomic_file.h"

namespace sm::text {
namespace {

constexpr std::string_view kEndOfWord = "</w>";
// The ranks CLIPTokenizer reads: merges[1 : 49152 - 256 - 2 + 1].
constexpr size_t kMaxMerges = 49152 - 256 - 2;

struct Merges {
  std::vector<std::pair<std::string, std::string>> list;  // by rank
  std::unordered_map<std::string, int> ranks;             // "first second" -> rank
};

Merges parseEmbeddedMerges() {
  const std::string text = embeddedClipMergesText();
  Merges m;
  size_t start = text.find('\n') + 1;  // skip the "#version" header
  while (start < text.size() && m.list.size() < kMaxMerges) {
    size_t end = text.find('\n', start);
    if (end == std::string::npos) end = text.size();
    const std::string_view line(text.data() + start, end - start);
    const size_t space = line.find(' ');
    if (space != std::string_view::npos) {
      m.ranks.emplace(std::string(line), static_cast<int>(m.list.size()));
      m.list.emplace_back(std::string(line.substr(0, space)), std::string(line.substr(space + 1)));
    }
    start = end + 1;
  }
  return m;
}

// Splits a piece of byte symbols (each one code point, 1-2 UTF-8 bytes) into symbols.
std::vector<std::string> symbolsOf(const std::string& piece) {
  std::vector<std::string> symbols;
  for (size_t i = 0; i < piece.size();) {
    const auto lead = static_cast<unsigned char>(piece[i]);
    const size_t length = lead < 0x80 ? 1 : lead < 0xE0 ? 2 : lead < 0xF0 ? 3 : 4;
    symbols.push_back(piece.substr(i, length));
    i += length;
  }
  return symbols;
}

// CLIPTokenizer's BPE (lowest-ranked pair first, every occurrence), marking each merge it applies.
void markMerges(const std::string& piece, const Merges& merges, std::vector<bool>& used) {
  std::vector<std::string> word = symbolsOf(piece);
  if (word.empty()) return;
  word.back().append(kEndOfWord);
  while (word.size() > 1) {
    int bestRank = INT_MAX;
    for (size_t i = 0; i + 1 < word.size(); ++i) {
      const auto it = merges.ranks.find(word[i] + " " + word[i + 1]);
      if (it != merges.ranks.end()) bestRank = std::min(bestRank, it->second);
    }
    if (bestRank == INT_MAX) return;
    used[bestRank] = true;
    const auto& [first, second] = merges.list[bestRank];
    std::vector<std::string> merged;
    for (size_t i = 0; i < word.size();) {
      if (i + 1 < word.size() && word[i] == first && word[i + 1] == second) {
        merged.push_back(first + second);
        i += 2;
      } else {
        merged.push_back(std::move(word[i++]));
      }
    }
    word = std::move(merged);
  }
}

nlohmann::json specialToken(const std::string& content) {
  return {{"content", content}, {"lstrip", false}, {"normalized", true}, {"rstrip", false}, {"single_word", false}};
}

}  // namespace

void writeReducedTokenizer(const std::filesystem::path& folder, const std::vector<std::string>& words) {
  const CLIPTokenizer full = CLIPTokenizer::fromEmbedded();
  const Merges merges = parseEmbeddedMerges();
  std::vector<bool> used(merges.list.size(), false);
  for (const std::string& word : words) {
    // The full tokenizer does the text handling (normalization, pre-tokenization);
    // its tokens, up to each "</w>", give back the pieces BPE saw.
    std::string piece;
    for (int id : full.encode(word)) {
      if (id == full.bosId() || id == full.eosId()) continue;
      const std::string token = full.token(id);
      if (token.ends_with(kEndOfWord)) {
        piece += token.substr(0, token.size() - kEndOfWord.size());
        markMerges(piece, merges, used);
        piece.clear();
      } else {
        piece += token;
      }
    }
  }

  std::vector<std::string> tokens;
  for (int id = 0; id < 512; ++id) tokens.push_back(full.token(id));
  std::string mergesText = "#version: 0.2\n";
  for (size_t rank = 0; rank < used.size(); ++rank) {
    if (!used[rank]) continue;
    const auto& [first, second] = merges.list[rank];
    tokens.push_back(first + second);
    mergesText += first + " " + second + "\n";
  }
  const std::string bos = full.token(full.bosId()), eos = full.token(full.eosId());
  tokens.push_back(bos);
  tokens.push_back(eos);

  nlohmann::json vocab = nlohmann::json::object();
  for (size_t id = 0; id < tokens.size(); ++id) vocab[tokens[id]] = id;
  const auto bosId = std::to_string(tokens.size() - 2), eosId = std::to_string(tokens.size() - 1);
  nlohmann::json added = specialToken(bos);
  added["special"] = true;
  nlohmann::json addedEos = specialToken(eos);
  addedEos["special"] = true;
  const nlohmann::json config = {{"added_tokens_decoder", {{bosId, added}, {eosId, addedEos}}},
                                 {"bos_token", bos},
                                 {"clean_up_tokenization_spaces", false},
                                 {"eos_token", eos},
                                 {"errors", "replace"},
                                 {"model_max_length", 77},
                                 {"pad_token", eos},
                                 {"tokenizer_class", "CLIPTokenizer"},
                                 {"unk_token", eos}};
  const nlohmann::json specialMap = {{"bos_token", specialToken(bos)},
                                     {"eos_token", specialToken(eos)},
                                     {"pad_token", eos},
                                     {"unk_token", specialToken(eos)}};

  std::filesystem::create_directories(folder);
  util::writeFileAtomically((folder / "vocab.json").string(), vocab.dump(2) + "\n");
  util::writeFileAtomically((folder / "merges.txt").string(), mergesText);
  util::writeFileAtomically((folder / "tokenizer_config.json").string(), config.dump(2) + "\n");
  util::writeFileAtomically((folder / "special_tokens_map.json").string(), specialMap.dump(2) + "\n");
}

}  // namespace sm::text
