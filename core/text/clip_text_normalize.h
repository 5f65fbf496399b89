#pragma once
// Unicode steps of the CLIP tokenizer before BPE: lossy UTF-8 decoding, transformers'
// BasicTokenizer (no-ftfy path) and the CLIP pre-tokenisation regex. Internal to core/text.
#include <string>
#include <string_view>
#include <vector>

namespace sm::text::clipnorm {

/// Decodes UTF-8 as Python's bytes.decode("utf-8", errors="replace") does: one U+FFFD per
/// maximal ill-formed subsequence (surrogates and overlong forms are ill-formed).
std::u32string decodeUtf8Lossy(std::string_view utf8);
std::string encodeUtf8(std::u32string_view text);
bool isValidUtf8(std::string_view utf8);

/// Python's str.isspace: category Zs or bidi class WS, B or S.
bool isPythonSpace(char32_t c);

/// transformers BasicTokenizer(strip_accents=False, do_split_on_punc=False).tokenize joined
/// with single spaces: clean, space out CJK ideographs, NFC, split, lowercase each word.
std::u32string basicNormalize(std::u32string_view text);

/// The pieces found by CLIP's regex
/// `<\|startoftext\|>|<\|endoftext\|>|'s|'t|'re|'ve|'m|'ll|'d|[\p{L}]+|[\p{N}]|[^\s\p{L}\p{N}]+`
/// (IGNORECASE, Python `regex` module), scanning left to right.
std::vector<std::u32string_view> preTokenize(std::u32string_view text);

}  // namespace sm::text::clipnorm
