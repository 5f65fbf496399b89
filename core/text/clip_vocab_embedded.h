#pragma once
// The CLIP merges file (resources/clip/bpe_simple_vocab_16e6.txt.gz) compiled into the
// binary, so the tokenizer does not depend on the working directory or an install layout.
#include <cstddef>
#include <span>

namespace sm::text {

/// The gzip bytes of bpe_simple_vocab_16e6.txt.gz as embedded at build time.
std::span<const unsigned char> embeddedClipMergesGz();

}  // namespace sm::text
