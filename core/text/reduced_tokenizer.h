#pragma once
// A CLIP tokenizer folder with a small vocabulary, for the tiny models the
// project trains: CLIP's 512 byte tokens, only the merges a word list needs,
// then the two special tokens. Those words tokenize into the same tokens as
// with the full vocabulary; any other text still tokenizes, into smaller pieces.
#include <filesystem>
#include <string>
#include <vector>

namespace sm::text {

/// Writes a diffusers `tokenizer/` folder (vocab.json, merges.txt,
/// tokenizer_config.json, special_tokens_map.json) into `folder`, creating it.
/// Ids 0-511 are CLIP's byte tokens (the 256 byte symbols, then each with
/// "</w>"); then, in the embedded CLIP merges' order, each merge that
/// tokenizing `words` with the full vocabulary applies, its merged token taking
/// the next id; then <|startoftext|> and <|endoftext|>.
/// Throws util::FileWriteError when a file cannot be written.
void writeReducedTokenizer(const std::filesystem::path& folder, const std::vector<std::string>& words);

}  // namespace sm::text
