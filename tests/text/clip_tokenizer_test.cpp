#include "core/text/clip_tokenizer.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "core/util/error.h"
#include "tests/temp_dir.h"

// Reference ids come from tests/reference/make_tokenizer_reference.py (transformers'
// CLIPTokenizer without ftfy, the path diffusers takes).

namespace fs = std::filesystem;
using sm::text::CLIPTokenizer;

namespace {

const fs::path kTokenizerData = fs::path(SM_TEST_DATA_DIR) / "tokenizer";

const CLIPTokenizer& embedded() {
  static const CLIPTokenizer tok = CLIPTokenizer::fromEmbedded();
  return tok;
}

std::string fromHex(const std::string& hex) {
  std::string bytes;
  for (size_t i = 0; i + 1 < hex.size(); i += 2)
    bytes.push_back(static_cast<char>(std::stoi(hex.substr(i, 2), nullptr, 16)));
  return bytes;
}

nlohmann::json loadReference(const std::string& name) {
  std::ifstream in(kTokenizerData / name);
  EXPECT_TRUE(in) << "missing " << (kTokenizerData / name);
  return nlohmann::json::parse(in)["prompts"];
}

// Every prompt: padded SD ids, plain ids and decoded text equal to transformers'.
void expectMatchesReference(const CLIPTokenizer& tok, const nlohmann::json& prompts) {
  for (const auto& entry : prompts) {
    const std::string text = fromHex(entry["prompt_utf8_hex"].get<std::string>());
    SCOPED_TRACE("prompt: " + entry["prompt"].get<std::string>());
    EXPECT_EQ(tok.encodeForSD(text), entry["ids"].get<std::vector<int>>());
    const std::vector<int> ids = tok.encode(text);
    EXPECT_EQ(ids, entry["encode"].get<std::vector<int>>());
    EXPECT_EQ(tok.decode(ids), entry["decoded"].get<std::string>());
  }
}

// Runs `fn`, expects a CheckpointError whose path names `file`.
template <typename Fn>
void expectCheckpointErrorNaming(Fn fn, const fs::path& file) {
  try {
    fn();
    ADD_FAILURE() << "no CheckpointError for " << file;
  } catch (const sm::CheckpointError& e) {
    EXPECT_EQ(fs::path(e.path()), file) << e.what();
  }
}

}  // namespace

TEST(CLIPTokenizer, MatchesTransformersOnReferencePrompts) {
  const nlohmann::json prompts = loadReference("clip_reference.json");
  ASSERT_GE(prompts.size(), 45u);
  expectMatchesReference(embedded(), prompts);
}

TEST(CLIPTokenizer, FactsTestVectors) {
  const CLIPTokenizer& tok = embedded();
  EXPECT_EQ(tok.encode("a photo of a cat"), (std::vector<int>{320, 1125, 539, 320, 2368}));
  EXPECT_EQ(tok.encode("A corgi walking in the park"), (std::vector<int>{320, 31320, 3941, 530, 518, 1452}));
  EXPECT_EQ(tok.encode("masterpiece, best quality, 1girl"), (std::vector<int>{12066, 267, 949, 3027, 267, 272, 1611}));
  EXPECT_EQ(tok.encode("b&w photo of 42 y.o man"),
            (std::vector<int>{321, 261, 342, 1125, 539, 275, 273, 344, 269, 334, 786}));
  EXPECT_EQ(tok.encode("it's 2023!!"), (std::vector<int>{585, 568, 273, 271, 273, 274, 748}));
  EXPECT_TRUE(tok.encode("").empty());
  std::vector<int> empty(77, 49407);
  empty[0] = 49406;
  EXPECT_EQ(tok.encodeForSD(""), empty);
}

TEST(CLIPTokenizer, VocabularySpotChecks) {
  const CLIPTokenizer& tok = embedded();
  EXPECT_EQ(tok.vocabSize(), 49408u);
  EXPECT_EQ(tok.bosId(), 49406);
  EXPECT_EQ(tok.eosId(), 49407);
  EXPECT_EQ(tok.token(0), "!");
  EXPECT_EQ(tok.token(255), "\u0143");  // the image of byte 173 (soft hyphen)
  EXPECT_EQ(tok.token(256), "!</w>");
  EXPECT_EQ(tok.token(512), "in");  // first merge "i n"
  EXPECT_EQ(tok.token(49405), "jekyll</w>");
  EXPECT_EQ(tok.token(49406), "<|startoftext|>");
  EXPECT_EQ(tok.tokenId("cat</w>"), 2368);
  EXPECT_EQ(tok.tokenId("no such token"), -1);
}

TEST(CLIPTokenizer, FromMergesGzEqualsEmbedded) {
  const fs::path gz = fs::path(SM_TEST_DATA_DIR) / ".." / ".." / "resources" / "clip" / "bpe_simple_vocab_16e6.txt.gz";
  const CLIPTokenizer tok = CLIPTokenizer::fromMergesGz(gz);
  EXPECT_EQ(tok.vocabSize(), 49408u);
  const std::string prompt = "A corgi walking in the park, 8k, (masterpiece:1.2)";
  EXPECT_EQ(tok.encodeForSD(prompt), embedded().encodeForSD(prompt));
}

TEST(CLIPTokenizer, EncodeForSDTruncatesAndPads) {
  const CLIPTokenizer& tok = embedded();
  std::string longPrompt;
  for (int i = 0; i < 100; ++i) longPrompt += "cat ";
  const std::vector<int> ids = tok.encodeForSD(longPrompt);
  ASSERT_EQ(ids.size(), 77u);
  EXPECT_EQ(ids.front(), 49406);
  EXPECT_EQ(ids[75], 2368);
  EXPECT_EQ(ids.back(), 49407);
  EXPECT_EQ(tok.encodeForSD("cat", 4), (std::vector<int>{49406, 2368, 49407, 49407}));
  EXPECT_EQ(tok.encodeForSD("cat cat cat", 3), (std::vector<int>{49406, 2368, 49407}));
  EXPECT_EQ(tok.encodeForSD("cat", 2), (std::vector<int>{49406, 49407}));
  EXPECT_THROW(tok.encodeForSD("cat", 1), sm::ConfigError);
}

TEST(CLIPTokenizer, DecodeRoundTripsAscii) {
  const CLIPTokenizer& tok = embedded();
  for (const std::string prompt : {"a photo of a cat", "a corgi walking in the park", "masterpiece , best quality"}) {
    EXPECT_EQ(tok.decode(tok.encode(prompt)), prompt);
  }
  EXPECT_EQ(tok.decode({49406, 320, 2368, 49407}), "<|startoftext|>a cat <|endoftext|>");
  EXPECT_THROW(tok.decode({49408}), sm::ConfigError);
  EXPECT_THROW(tok.decode({-1}), sm::ConfigError);
}

TEST(CLIPTokenizer, ArbitraryBytesNeverCrash) {
  const CLIPTokenizer& tok = embedded();
  std::mt19937 rng(1234);
  for (int round = 0; round < 300; ++round) {
    std::string bytes(static_cast<size_t>(rng() % 40), '\0');
    for (char& c : bytes) c = static_cast<char>(rng() & 0xFF);
    const std::vector<int> ids = tok.encodeForSD(bytes);
    EXPECT_EQ(ids.size(), 77u);
    tok.decode(tok.encode(bytes));
  }
  // Invalid UTF-8 becomes U+FFFD, which the reference's cleaning drops.
  EXPECT_EQ(tok.encode("ca\xff\xfet"), tok.encode("cat"));
}

TEST(CLIPTokenizer, ConcurrentEncodingAgrees) {
  const CLIPTokenizer tok = CLIPTokenizer::fromEmbedded();
  const std::vector<std::string> prompts = {"a photo of a cat", "caf\u00e9 na\u00efve", "\u6771\u4eac\u306e\u591c",
                                            "it's 2023!!", "masterpiece, best quality"};
  std::vector<std::vector<int>> expected;
  for (const auto& p : prompts) expected.push_back(embedded().encode(p));
  std::vector<std::thread> threads;
  std::vector<int> mismatches(4, 0);
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 200; ++i) {
        const size_t k = static_cast<size_t>(i + t) % prompts.size();
        if (tok.encode(prompts[k]) != expected[k]) ++mismatches[static_cast<size_t>(t)];
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(mismatches, std::vector<int>(4, 0));
}

TEST(CLIPTokenizer, DiffusersFolderMatchesTransformers) {
  const CLIPTokenizer tok = CLIPTokenizer::fromDiffusersFolder(kTokenizerData / "diffusers_tokenizer");
  EXPECT_EQ(tok.vocabSize(), 1002u);
  const nlohmann::json prompts = loadReference("diffusers_tiny_reference.json");
  ASSERT_GE(prompts.size(), 45u);
  expectMatchesReference(tok, prompts);
}

TEST(CLIPTokenizer, BadFilesThrowCheckpointErrorNamingTheFile) {
  sm::test::TempDir dir("sm_clip_tok_bad");
  const fs::path vocab = dir.path() / "vocab.json";
  const fs::path merges = dir.path() / "merges.txt";
  auto load = [&] { CLIPTokenizer::fromDiffusersFolder(dir.path()); };
  const std::string goodVocab = R"({"a": 0, "b": 1, "ab</w>": 2, "<|startoftext|>": 3, "<|endoftext|>": 4})";
  const std::string goodMerges = "#version: 0.2\na b</w>\n";

  dir.write("merges.txt", goodMerges);
  expectCheckpointErrorNaming(load, vocab);  // vocab.json missing
  dir.write("vocab.json", "{\"a\": 0,");
  expectCheckpointErrorNaming(load, vocab);  // truncated JSON
  dir.write("vocab.json", "[1, 2]");
  expectCheckpointErrorNaming(load, vocab);  // not an object
  dir.write("vocab.json", R"({"a": "zero"})");
  expectCheckpointErrorNaming(load, vocab);  // id not an integer
  dir.write("vocab.json", R"({"a": 0})");
  expectCheckpointErrorNaming(load, vocab);  // no special tokens

  dir.write("vocab.json", goodVocab);
  EXPECT_EQ(CLIPTokenizer::fromDiffusersFolder(dir.path()).encode("ab"), (std::vector<int>{2}));
  dir.write("merges.txt", "#version: 0.2\na b</w>\na b c\n");
  expectCheckpointErrorNaming(load, merges);  // three symbols on a line
  dir.write("merges.txt", "a b</w>\n");
  expectCheckpointErrorNaming(load, merges);  // no header
  dir.write("merges.txt", "#version: 0.2\na \xff\n");
  expectCheckpointErrorNaming(load, merges);  // not UTF-8
  fs::remove(merges);
  expectCheckpointErrorNaming(load, merges);  // merges.txt missing

  const fs::path gz = dir.path() / "merges.txt.gz";
  expectCheckpointErrorNaming([&] { CLIPTokenizer::fromMergesGz(gz); }, gz);  // missing
  dir.write("merges.txt.gz", "plain text, not gzip");
  expectCheckpointErrorNaming([&] { CLIPTokenizer::fromMergesGz(gz); }, gz);
}
