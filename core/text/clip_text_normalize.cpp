#include "core/text/clip_text_normalize.h"

#include <unicode/locid.h>
#include <unicode/normalizer2.h>
#include <unicode/uchar.h>
#include <unicode/unistr.h>

#include <array>

#include "core/util/error.h"

// ref: transformers v4.57.1 src/transformers/models/clip/tokenization_clip.py
//      (BasicTokenizer, CLIPTokenizer.pat) and tokenization_utils.py (_is_control, _is_whitespace)

namespace sm::text::clipnorm {
namespace {

constexpr char32_t kReplacement = 0xFFFD;
// The reference runs on Python 3.11, whose unicodedata is Unicode 14.0: it sees characters
// assigned later as unassigned (category Cn) and drops them. ICU knows newer versions.
constexpr uint8_t kReferenceUnicodeMajor = 14;
// U+0345 COMBINING GREEK YPOGEGRAMMENI case-folds to a letter (iota). Under IGNORECASE the
// `regex` module then counts it as a letter for [^\s\p{L}\p{N}] but not for [\p{L}], so it
// falls into no piece and is skipped. It is the only code point where IGNORECASE changes
// these classes (checked over all code points with regex 2026.11.19).
constexpr char32_t kYpogegrammeni = 0x0345;

// Accepted range of the second byte after a lead byte (Unicode Table 3-7); later
// continuation bytes are always 80..BF.
struct LeadInfo {
  int length;
  uint8_t lo;
  uint8_t hi;
};

LeadInfo leadInfo(uint8_t b) {
  if (b >= 0xC2 && b <= 0xDF) return {2, 0x80, 0xBF};
  if (b == 0xE0) return {3, 0xA0, 0xBF};
  if (b == 0xED) return {3, 0x80, 0x9F};  // excludes surrogates
  if (b >= 0xE1 && b <= 0xEF) return {3, 0x80, 0xBF};
  if (b == 0xF0) return {4, 0x90, 0xBF};
  if (b >= 0xF1 && b <= 0xF3) return {4, 0x80, 0xBF};
  if (b == 0xF4) return {4, 0x80, 0x8F};
  return {0, 0, 0};  // continuation byte or never-valid byte
}

// Decodes one code point at `i`; advances `i` past it, or past the maximal ill-formed
// subsequence (returning U+FFFD), which is how Python's decoder resynchronises.
char32_t nextCodePoint(std::string_view s, size_t& i, bool& ok) {
  const auto lead = static_cast<uint8_t>(s[i++]);
  ok = true;
  if (lead < 0x80) return lead;
  const LeadInfo info = leadInfo(lead);
  if (info.length == 0) {
    ok = false;
    return kReplacement;
  }
  char32_t cp = lead & (0xFF >> (info.length + 1));
  for (int k = 1; k < info.length; ++k) {
    const uint8_t lo = k == 1 ? info.lo : 0x80;
    const uint8_t hi = k == 1 ? info.hi : 0xBF;
    if (i >= s.size() || static_cast<uint8_t>(s[i]) < lo || static_cast<uint8_t>(s[i]) > hi) {
      ok = false;
      return kReplacement;
    }
    cp = (cp << 6) | (static_cast<uint8_t>(s[i++]) & 0x3F);
  }
  return cp;
}

bool assignedInReference(char32_t c) {
  UVersionInfo age;
  u_charAge(static_cast<UChar32>(c), age);
  return age[0] != 0 && age[0] <= kReferenceUnicodeMajor;
}

// tokenization_utils._is_control, plus "unassigned in Unicode 14" (see above).
bool isControl(char32_t c) {
  if (c == U'\t' || c == U'\n' || c == U'\r') return false;
  if (!assignedInReference(c)) return true;
  return (U_GET_GC_MASK(static_cast<UChar32>(c)) & U_GC_C_MASK) != 0;
}

// tokenization_utils._is_whitespace
bool isBasicWhitespace(char32_t c) {
  if (c == U' ' || c == U'\t' || c == U'\n' || c == U'\r') return true;
  return u_charType(static_cast<UChar32>(c)) == U_SPACE_SEPARATOR;
}

// BasicTokenizer._is_chinese_char: the CJK Unified Ideographs blocks only (not kana/hangul).
bool isCJKIdeograph(char32_t c) {
  return (c >= 0x4E00 && c <= 0x9FFF) || (c >= 0x3400 && c <= 0x4DBF) || (c >= 0x20000 && c <= 0x2A6DF) ||
         (c >= 0x2A700 && c <= 0x2B73F) || (c >= 0x2B740 && c <= 0x2B81F) || (c >= 0x2B820 && c <= 0x2CEAF) ||
         (c >= 0xF900 && c <= 0xFAFF) || (c >= 0x2F800 && c <= 0x2FA1F);
}

// _clean_text followed by _tokenize_chinese_chars.
icu::UnicodeString cleanAndSpaceCJK(std::u32string_view text) {
  icu::UnicodeString out;
  for (char32_t c : text) {
    if (c == 0 || c == kReplacement || isControl(c)) continue;
    if (isBasicWhitespace(c)) {
      out.append(static_cast<UChar>(u' '));
    } else if (isCJKIdeograph(c)) {
      out.append(static_cast<UChar>(u' ')).append(static_cast<UChar32>(c)).append(static_cast<UChar>(u' '));
    } else {
      out.append(static_cast<UChar32>(c));
    }
  }
  return out;
}

icu::UnicodeString nfc(const icu::UnicodeString& text) {
  UErrorCode status = U_ZERO_ERROR;
  const icu::Normalizer2* normalizer = icu::Normalizer2::getNFCInstance(status);
  if (U_FAILURE(status)) throw sm::Error("ICU NFC normalizer unavailable");
  icu::UnicodeString out = normalizer->normalize(text, status);
  if (U_FAILURE(status)) throw sm::Error("ICU NFC normalisation failed");
  return out;
}

void appendUtf32(const icu::UnicodeString& s, std::u32string& out) {
  for (int32_t i = 0; i < s.length();) {
    const UChar32 c = s.char32At(i);
    out.push_back(static_cast<char32_t>(c));
    i += U16_LENGTH(c);
  }
}

bool isLetter(char32_t c) { return (U_GET_GC_MASK(static_cast<UChar32>(c)) & U_GC_L_MASK) != 0; }
bool isNumber(char32_t c) { return (U_GET_GC_MASK(static_cast<UChar32>(c)) & U_GC_N_MASK) != 0; }
bool isOther(char32_t c) {
  return !u_isUWhiteSpace(static_cast<UChar32>(c)) && !isLetter(c) && !isNumber(c) && c != kYpogegrammeni;
}

// The literal alternatives of the regex, in priority order. IGNORECASE in the `regex`
// module compares simple case folds, so "'ſ" matches "'s" (checked against the reference).
constexpr std::array<std::u32string_view, 9> kLiterals = {
    U"<|startoftext|>", U"<|endoftext|>", U"'s", U"'t", U"'re", U"'ve", U"'m", U"'ll", U"'d"};

size_t matchLiteral(std::u32string_view text, size_t pos) {
  for (std::u32string_view literal : kLiterals) {
    if (text.size() - pos < literal.size()) continue;
    size_t k = 0;
    while (k < literal.size() &&
           static_cast<char32_t>(u_foldCase(static_cast<UChar32>(text[pos + k]), U_FOLD_CASE_DEFAULT)) == literal[k]) {
      ++k;
    }
    if (k == literal.size()) return k;
  }
  return 0;
}

template <typename Pred>
size_t runLength(std::u32string_view text, size_t pos, Pred pred) {
  size_t end = pos;
  while (end < text.size() && pred(text[end])) ++end;
  return end - pos;
}

}  // namespace

std::u32string decodeUtf8Lossy(std::string_view utf8) {
  std::u32string out;
  out.reserve(utf8.size());
  bool ok = true;
  for (size_t i = 0; i < utf8.size();) out.push_back(nextCodePoint(utf8, i, ok));
  return out;
}

bool isValidUtf8(std::string_view utf8) {
  bool ok = true;
  for (size_t i = 0; i < utf8.size() && ok;) nextCodePoint(utf8, i, ok);
  return ok;
}

std::string encodeUtf8(std::u32string_view text) {
  std::string out;
  out.reserve(text.size());
  for (char32_t c : text) {
    if (c < 0x80) {
      out.push_back(static_cast<char>(c));
    } else if (c < 0x800) {
      out.push_back(static_cast<char>(0xC0 | (c >> 6)));
      out.push_back(static_cast<char>(0x80 | (c & 0x3F)));
    } else if (c < 0x10000) {
      out.push_back(static_cast<char>(0xE0 | (c >> 12)));
      out.push_back(static_cast<char>(0x80 | ((c >> 6) & 0x3F)));
      out.push_back(static_cast<char>(0x80 | (c & 0x3F)));
    } else {
      out.push_back(static_cast<char>(0xF0 | (c >> 18)));
      out.push_back(static_cast<char>(0x80 | ((c >> 12) & 0x3F)));
      out.push_back(static_cast<char>(0x80 | ((c >> 6) & 0x3F)));
      out.push_back(static_cast<char>(0x80 | (c & 0x3F)));
    }
  }
  return out;
}

bool isPythonSpace(char32_t c) {
  const auto cp = static_cast<UChar32>(c);
  if (u_charType(cp) == U_SPACE_SEPARATOR) return true;
  const UCharDirection dir = u_charDirection(cp);
  return dir == U_WHITE_SPACE_NEUTRAL || dir == U_BLOCK_SEPARATOR || dir == U_SEGMENT_SEPARATOR;
}

std::u32string basicNormalize(std::u32string_view text) {
  const icu::UnicodeString normalized = nfc(cleanAndSpaceCJK(text));
  std::u32string chars;
  appendUtf32(normalized, chars);

  // whitespace_tokenize (str.split), lowercase each word (str.lower), " ".join.
  std::u32string out;
  for (size_t i = 0; i < chars.size();) {
    if (isPythonSpace(chars[i])) {
      ++i;
      continue;
    }
    size_t end = i;
    while (end < chars.size() && !isPythonSpace(chars[end])) ++end;
    icu::UnicodeString word;
    for (size_t k = i; k < end; ++k) word.append(static_cast<UChar32>(chars[k]));
    // Root locale: full mappings with Final_Sigma, no Turkish/Lithuanian rules (= str.lower).
    word.toLower(icu::Locale::getRoot());
    if (!out.empty()) out.push_back(U' ');
    appendUtf32(word, out);
    i = end;
  }
  return out;
}

std::vector<std::u32string_view> preTokenize(std::u32string_view text) {
  std::vector<std::u32string_view> pieces;
  for (size_t pos = 0; pos < text.size();) {
    size_t length = matchLiteral(text, pos);
    if (length == 0 && isLetter(text[pos])) length = runLength(text, pos, isLetter);
    if (length == 0 && isNumber(text[pos])) length = 1;
    if (length == 0 && isOther(text[pos])) length = runLength(text, pos, isOther);
    if (length == 0) {
      ++pos;  // whitespace, or the U+0345 the reference also skips
      continue;
    }
    pieces.push_back(text.substr(pos, length));
    pos += length;
  }
  return pieces;
}

}  // namespace sm::text::clipnorm
