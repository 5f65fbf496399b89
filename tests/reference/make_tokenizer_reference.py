#!/usr/bin/env python3
"""Writes the CLIP tokenizer reference ids that tests/text/clip_tokenizer_test.cpp checks.

Reference: transformers' slow CLIPTokenizer WITHOUT ftfy (what diffusers uses by default),
built on vocab.json/merges.txt derived from resources/clip/bpe_simple_vocab_16e6.txt.gz.

Outputs (committed; CI does not run this script):
  tests/data/tokenizer/clip_reference.json           full SD1.5 vocabulary
  tests/data/tokenizer/diffusers_tokenizer/          a tiny diffusers-style tokenizer folder
  tests/data/tokenizer/diffusers_tiny_reference.json ids of the same prompts with that folder

Run with the python printed by tests/reference/make_env.sh:
  $(bash tests/reference/make_env.sh) tests/reference/make_tokenizer_reference.py
"""
import gzip
import importlib.util
import json
import sys
import tempfile
from pathlib import Path

import transformers
from transformers import CLIPTokenizer
from transformers.models.clip.tokenization_clip import bytes_to_unicode

ROOT = Path(__file__).resolve().parents[2]
GZ = ROOT / "resources" / "clip" / "bpe_simple_vocab_16e6.txt.gz"
OUT = ROOT / "tests" / "data" / "tokenizer"
NUM_MERGES = 49152 - 256 - 2  # 48,894 merges are used
TINY_MERGES = 488  # 256 + 256 + 488 + 2 = 1,002 tokens

LONG_PROMPT = (
    "a breathtaking cinematic wide shot of an ancient castle on a misty mountain at sunrise, golden light, "
    "volumetric fog, dramatic clouds, highly detailed stone textures, flock of birds, river in the valley, "
    "lush green forest, snow capped peaks in the distance, hyperrealistic, 8k, octane render, trending on "
    "artstation, by greg rutkowski and alphonse mucha, masterpiece, best quality, ultra sharp focus"
)

PROMPTS = [
    "a photo of a cat",
    "A corgi walking in the park",
    "masterpiece, best quality, 1girl",
    "b&w photo of 42 y.o man",
    "it's 2023!!",
    "",
    "HeLLo WoRLD, CamelCaseWord and ALLCAPS",
    "IT'S A Cat, ISN'T IT? We're here, THEY'VE gone, I'M ok, you'll see, HE'D go",
    "'s 'S rock'n'roll don't o'clock",
    "it\u2019s the dog\u2019s bone",
    "caf\u00e9, na\u00efve, Zo\u00eb, r\u00e9sum\u00e9, \u00c5ngstr\u00f6m",
    "cafe\u0301 and Zoe\u0308 (decomposed, NFC composes them)",
    "\u039f\u0394\u039f\u03a3 \u03a3\u039f\u03a6\u0399\u0391\u03a3 \u1f48\u0394\u03a5\u03a3\u03a3\u0395\u038e\u03a3 \u03c3\u03bf\u03c6\u03af\u03b1",
    "\u041c\u043e\u0441\u043a\u0432\u0430 \u2014 \u0441\u0442\u043e\u043b\u0438\u0446\u0430 \u0420\u041e\u0421\u0421\u0418\u0418",
    "\u0645\u0631\u062d\u0628\u0627 \u0628\u0627\u0644\u0639\u0627\u0644\u0645 \u0663\u0664",
    "\u0928\u092e\u0938\u094d\u0924\u0947 \u0926\u0941\u0928\u093f\u092f\u093e",
    "\u4e00\u53ea\u732b\u5750\u5728\u684c\u5b50\u4e0a",
    "\u6771\u4eac\u306e\u591c\u666f\u3001\u30cd\u30aa\u30f3\u304c\u8f1d\u304f",
    "\uc11c\uc6b8\uc758 \ubc24\uac70\ub9ac",
    "Die Stra\u00dfe ist gro\u00df, STRASSE, \u1e9e",
    "\u0130stanbul'da I\u015eIK \u0131slak \u0130",
    "a cat \U0001f431 with a hat \U0001f3a9",
    "family \U0001f468\u200d\U0001f469\u200d\U0001f467\u200d\U0001f466 and \U0001f3f3\ufe0f\u200d\U0001f308",
    "flags \U0001f1ef\U0001f1f5 \U0001f1fa\U0001f1f8\U0001f1e9\U0001f1ea",
    "\U0001f3f4\U000e0067\U000e0062\U000e0065\U000e006e\U000e0067\U000e007f england",
    "thumbs \U0001f44d\U0001f3fd keycaps 1\ufe0f\u20e3 #\ufe0f\u20e3",
    "wow!!! ... ??? --- *** ~~~ !?!? (((",
    "1024x768, 3.14159, 1,000,000 and \u00bd \u00b2 \u00b3 \u216b \u0663",
    "a\tcat\non\r\nthe   mat\x0bwith\x0cfeeds",
    "   spaced out   ",
    "a\x00b\x07c\x1bd\x7fe\u200bf\u00adg\u0085h",
    LONG_PROMPT,
    " ".join(["a"] * 75),
    " ".join(["a"] * 76),
    "&amp; &lt;b&gt; &quot;quoted&quot; &#39;",
    "(masterpiece:1.2), [bad hands], {best quality}, <lora:foo:0.8>, ((detailed))",
    "a<|endoftext|>b",
    "!<|endoftext|>! <|startoftext|>hello<|endoftext|>",
    "<|ENDOFTEXT|> and <|endo\x00ftext|>",
    "a\u00a0b\u3000c\u2028d\u2029e\u2003f\u202fg",
    "replacement \ufffd char a\ufffdb",
    "\uff21\uff22\uff23\uff11\uff12\uff13 full width",
    "\ufb01ne \ufb02ower \u01c4 \u01c5emal \u01c6",
    "Ti\u1ebfng Vi\u1ec7t c\u00f3 d\u1ea5u",
    "\u0e20\u0e32\u0e29\u0e32\u0e44\u0e17\u0e22",
    "\u05e9\u05c1\u05b8\u05dc\u05d5\u05b9\u05dd",
    "x\u00b2 + y\u00b2 = z\u00b2, \u2211\u221e \u2264 \u2265 \u00b1 \u00d7 \u00f7",
    "https://example.com/path?q=1&x=2",
    "#sunset @user foo_bar@mail.com",
    "\uf900 and \U00020000 ext-B, \u3400",
    "\u1fbc \u0345 \u1f88",
    "\u24b6\u24d1 \u2160\u2170",
    "ab\u200dcd",
    "cat cat cat CAT Cat",
    "supercalifragilisticexpialidocious antidisestablishmentarianism",
    "photo, 4k, 8K, HDR, f/1.8, 35mm, ISO 100",
    "\u00c9COLE \u00c0 PARIS \u00d8RESUND \u0152UVRE",
    "mixed\u0627\u0644\u0639\u0631\u0628\u064a\u0629latin",
]

# Raw byte strings that are not valid UTF-8: Python sees them decoded with errors="replace".
INVALID_UTF8 = [
    b"a\xffb",
    b"caf\xc3",
    b"\xed\xa0\x80x",
    b"\xe2\x82 euro \xe2\x82\xac",
    b"\xf0\x9f\x90 cat \xc0\xaf",
]


def check_no_ftfy():
    if importlib.util.find_spec("ftfy") is not None:
        sys.exit("ftfy is installed: the reference must be transformers' no-ftfy path (BasicTokenizer)")


def read_merges():
    with gzip.open(GZ, "rt", encoding="utf-8") as f:
        lines = f.read().split("\n")
    return [tuple(line.split()) for line in lines[1 : NUM_MERGES + 1]]


def byte_tokens():
    chars = list(bytes_to_unicode().values())
    return chars + [c + "</w>" for c in chars]


def write_folder(folder, vocab_tokens, merges, ids):
    folder.mkdir(parents=True, exist_ok=True)
    vocab = dict(zip(vocab_tokens, ids))
    assert len(vocab) == len(vocab_tokens), "duplicate tokens"
    (folder / "vocab.json").write_text(json.dumps(vocab, ensure_ascii=False), encoding="utf-8")
    text = "#version: 0.2\n" + "\n".join(" ".join(m) for m in merges) + "\n"
    (folder / "merges.txt").write_text(text, encoding="utf-8")


def tokenizer_for(folder):
    return CLIPTokenizer(
        str(folder / "vocab.json"),
        str(folder / "merges.txt"),
        pad_token="<|endoftext|>",
        model_max_length=77,
    )


def reference(tok):
    entries = []
    items = [(p.encode("utf-8"), p) for p in PROMPTS] + [(b, b.decode("utf-8", errors="replace")) for b in INVALID_UTF8]
    for raw, text in items:
        padded = tok(text, padding="max_length", max_length=77, truncation=True)["input_ids"]
        plain = tok(text, add_special_tokens=False)["input_ids"]
        entries.append(
            {
                "prompt": text,
                "prompt_utf8_hex": raw.hex(),
                "ids": padded,
                "encode": plain,
                "decoded": tok.decode(plain),
            }
        )
    return entries


def dump(path, entries):
    meta = {
        "generator": "tests/reference/make_tokenizer_reference.py",
        "transformers": transformers.__version__,
        "ftfy": False,
    }
    path.write_text(json.dumps({"meta": meta, "prompts": entries}, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")


def main():
    check_no_ftfy()
    merges = read_merges()
    assert len(merges) == NUM_MERGES and all(len(m) == 2 for m in merges)
    specials = ["<|startoftext|>", "<|endoftext|>"]

    full_tokens = byte_tokens() + ["".join(m) for m in merges] + specials
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        write_folder(folder, full_tokens, merges, range(len(full_tokens)))
        tok = tokenizer_for(folder)
        assert tok.vocab_size == 49408 and tok.bos_token_id == 49406 and tok.eos_token_id == 49407
        dump(OUT / "clip_reference.json", reference(tok))

    # Tiny folder: ids are the tokens' alphabetical ranks, so the C++ side must take ids from
    # vocab.json instead of recomputing them from the merges.
    tiny_merges = merges[:TINY_MERGES]
    tiny_tokens = byte_tokens() + ["".join(m) for m in tiny_merges] + specials
    order = sorted(range(len(tiny_tokens)), key=lambda i: tiny_tokens[i])
    tiny_ids = [0] * len(tiny_tokens)
    for rank, i in enumerate(order):
        tiny_ids[i] = rank
    folder = OUT / "diffusers_tokenizer"
    write_folder(folder, tiny_tokens, tiny_merges, tiny_ids)
    dump(OUT / "diffusers_tiny_reference.json", reference(tokenizer_for(folder)))
    print(f"wrote {len(PROMPTS) + len(INVALID_UTF8)} prompts to {OUT}")


if __name__ == "__main__":
    main()
