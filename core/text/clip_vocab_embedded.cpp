#include "core/text/clip_vocab_embedded.h"

// SM_CLIP_VOCAB_GZ_PATH is set by core/text/CMakeLists.txt, which also makes this object
// depend on the .gz so that editing the file rebuilds it. `.incbin` keeps the 1.3 MB blob out
// of the compiler (a generated C array would be ~8 MB of source). GNU/clang assemblers only.
#ifndef SM_CLIP_VOCAB_GZ_PATH
#error "SM_CLIP_VOCAB_GZ_PATH must name bpe_simple_vocab_16e6.txt.gz"
#endif

#if defined(__APPLE__)
#define SM_ASM_SYMBOL(name) "_" #name
#define SM_ASM_PUSH_RODATA ".const_data\n"
#define SM_ASM_POP_SECTION ".text\n"
#else
#define SM_ASM_SYMBOL(name) #name
#define SM_ASM_PUSH_RODATA ".pushsection .rodata\n"
#define SM_ASM_POP_SECTION ".popsection\n"
#endif

__asm__(SM_ASM_PUSH_RODATA
        ".balign 16\n"
        ".globl " SM_ASM_SYMBOL(sm_clip_merges_gz_begin) "\n"
        SM_ASM_SYMBOL(sm_clip_merges_gz_begin) ":\n"
        ".incbin \"" SM_CLIP_VOCAB_GZ_PATH "\"\n"
        ".globl " SM_ASM_SYMBOL(sm_clip_merges_gz_end) "\n"
        SM_ASM_SYMBOL(sm_clip_merges_gz_end) ":\n"
        SM_ASM_POP_SECTION);

extern "C" const unsigned char sm_clip_merges_gz_begin[];
extern "C" const unsigned char sm_clip_merges_gz_end[];

namespace sm::text {

std::span<const unsigned char> embeddedClipMergesGz() {
  return {sm_clip_merges_gz_begin, static_cast<size_t>(sm_clip_merges_gz_end - sm_clip_merges_gz_begin)};
}

}  // namespace sm::text
