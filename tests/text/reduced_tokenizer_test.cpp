// writeReducedTokenizer: a small vocabulary that tokenizes its words as CLIP's does.
#include "core/text/reduced_tokenizer.h"

#include <gtest/gtest.h>

#include "core/text/clip_tokenizer.h"
#include "tests/temp_dir.h"

namespace sm {
namespace {

std::vector<std::string> tokens(const text::CLIPTokenizer& tok, const std::string& text) {
  std::vector<std::string> out;
  for (int id : tok.encode(text)) out.push_back(tok.token(id));
  return out;
}

TEST(ReducedTokenizer, WordsTokenizeAsWithTheFullVocabulary) {
  test::TempDir dir("reduced_tokenizer");
  const std::vector<std::string> words{"a", "photo", "of", "cat", "astronaut", "riding", "horse", "sunset", "don't"};
  text::writeReducedTokenizer(dir.path() / "tokenizer", words);
  for (const char* file : {"vocab.json", "merges.txt", "tokenizer_config.json", "special_tokens_map.json"})
    EXPECT_TRUE(std::filesystem::exists(dir.path() / "tokenizer" / file)) << file;
  EXPECT_EQ(test::readFile(dir.file("tokenizer/merges.txt")).rfind("#version: 0.2\n", 0), 0u);

  const text::CLIPTokenizer full = text::CLIPTokenizer::fromEmbedded();
  const text::CLIPTokenizer reduced = text::CLIPTokenizer::fromDiffusersFolder(dir.path() / "tokenizer");
  for (const auto& word : words) EXPECT_EQ(tokens(reduced, word), tokens(full, word)) << word;
  EXPECT_EQ(tokens(reduced, "a photo of a cat"), tokens(full, "a photo of a cat"));

  for (int id = 0; id < 512; ++id) ASSERT_EQ(reduced.token(id), full.token(id)) << id;
  EXPECT_LT(reduced.vocabSize(), 700u);
  EXPECT_EQ(reduced.bosId(), static_cast<int>(reduced.vocabSize()) - 2);
  EXPECT_EQ(reduced.eosId(), static_cast<int>(reduced.vocabSize()) - 1);
  EXPECT_EQ(reduced.token(reduced.eosId()), "<|endoftext|>");
}

TEST(ReducedTokenizer, OtherWordsTokenizeIntoSmallerPieces) {
  test::TempDir dir("reduced_tokenizer");
  text::writeReducedTokenizer(dir.path(), {"cat"});
  const text::CLIPTokenizer reduced = text::CLIPTokenizer::fromDiffusersFolder(dir.path());
  const text::CLIPTokenizer full = text::CLIPTokenizer::fromEmbedded();
  const std::vector<int> ids = reduced.encode("zebra");
  EXPECT_GT(ids.size(), full.encode("zebra").size());
  EXPECT_EQ(reduced.decode(ids), "zebra");
  EXPECT_EQ(reduced.encodeForSD("a zebra").size(), 77u);
}

}  // namespace
}  // namespace sm
