#!/usr/bin/env bash
# What a bf16 UNet costs in quality: the same prompts and seeds generated with the
# UNet in fp32 and in bf16 (text encoder, VAE and sampler fp32 either way, as
# `--dtype auto` runs them on CPUs with AMX or AVX512-BF16), then the PSNR of the
# decoded frames and the differences of `stillmoving eval`'s metrics (toy
# evaluator). On the toy world by default; any base + motion module with
# BASE=... MOTION=... WIDTH=... HEIGHT=... (e.g. the test fixtures, or SD 1.5).
#
#   bench/precision_quality.sh [BUILD_DIR]      # default build/; builds nothing
#
# Environment: BASE, MOTION (default: resources/toyworld), WIDTH, HEIGHT (64),
# FRAMES (16), STEPS (20), SEEDS ("1 2 3"), OUT (default: a temporary folder),
# PROMPTS (a file with one prompt per line; default: four toy-world prompts).
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD="${1:-build}"
SM="$BUILD/app/stillmoving"
[[ -x "$SM" ]] || { echo "precision_quality.sh: $SM not found; build it first" >&2; exit 1; }
BASE="${BASE:-resources/toyworld/base}"
MOTION="${MOTION:-resources/toyworld/motion_module}"
WIDTH="${WIDTH:-64}"
HEIGHT="${HEIGHT:-64}"
FRAMES="${FRAMES:-16}"
STEPS="${STEPS:-20}"
SEEDS="${SEEDS:-1 2 3}"
OUT="${OUT:-$(mktemp -d)}"
mkdir -p "$OUT"
if [[ -n "${PROMPTS:-}" ]]; then
  mapfile -t prompts <"$PROMPTS"
else
  prompts=("a red star sliding left on a gray background" "a blue circle falling on a checkered background"
    "a green square bouncing on a white background" "a yellow triangle rotating on a noisy background")
fi

psnr() {  # the mean PSNR (dB) over the frames of two PNG folders, from ffmpeg's psnr filter
  ffmpeg -v info -nostats -pattern_type glob -i "$1/*.png" -pattern_type glob -i "$2/*.png" \
    -lavfi psnr -f null - 2>&1 | sed -n 's/.*PSNR.* average:\([0-9.inf]*\).*/\1/p' | tail -1
}

printf '| prompt | seed | PSNR bf16 vs fp32 (dB) |\n|---|---|---|\n'
sum=0
count=0
videos=()
i=0
for prompt in "${prompts[@]}"; do
  for seed in $SEEDS; do
    i=$((i + 1))
    for dtype in fp32 bf16; do
      mkdir -p "$OUT/$dtype"
      dir="$OUT/$dtype/$(printf '%02d' "$i")"
      "$SM" generate --quiet --base "$BASE" --motion-module "$MOTION" --prompt "$prompt" --seed "$seed" \
        --width "$WIDTH" --height "$HEIGHT" --frames "$FRAMES" --steps "$STEPS" --dtype "$dtype" --device cpu \
        --out "$dir" >/dev/null
      # The same frames as a lossless MP4 for `stillmoving eval` (which reads video files).
      ffmpeg -v error -y -framerate 8 -pattern_type glob -i "$dir/*.png" -c:v libx264 -crf 0 -pix_fmt yuv444p \
        "$dir.mp4"
    done
    db=$(psnr "$OUT/fp32/$(printf '%02d' "$i")" "$OUT/bf16/$(printf '%02d' "$i")")
    printf '| %s | %s | %s |\n' "$prompt" "$seed" "$db"
    if [[ "$db" != "inf" ]]; then
      sum=$(awk -v a="$sum" -v b="$db" 'BEGIN { print a + b }')
      count=$((count + 1))
    fi
    videos+=("$(printf '%02d' "$i")|$prompt")
  done
done
[[ $count -gt 0 ]] && echo && echo "mean PSNR over $count videos: $(awk -v a="$sum" -v n="$count" 'BEGIN { printf "%.2f", a / n }') dB"

echo
echo "stillmoving eval (toy evaluator), fp32 then bf16, every video with its prompt:"
for dtype in fp32 bf16; do
  echo "[$dtype]"
  # One prompt per call: eval scores CLIP-T against one prompt.
  for v in "${videos[@]}"; do
    "$SM" eval --quiet "$OUT/$dtype/${v%%|*}.mp4" --prompt "${v#*|}" --evaluator toy --json
  done >"$OUT/eval-$dtype.jsonl"
done
python3 - "$OUT/eval-fp32.jsonl" "$OUT/eval-bf16.jsonl" <<'PY'
import json, sys
def load(path):  # one JSON document per eval call, one after another
    text, out, i = open(path).read(), [], 0
    decoder = json.JSONDecoder()
    while True:
        while i < len(text) and text[i].isspace():
            i += 1
        if i >= len(text):
            return out
        doc, i = decoder.raw_decode(text, i)
        out.append(doc)
a, b = load(sys.argv[1]), load(sys.argv[2])
def videos(runs):
    return [v for r in runs for v in r.get("videos", [])]
va, vb = videos(a), videos(b)
keys = [k for k in ("clip_t", "motion", "dynamic_degree", "consistency") if va and k in va[0]]
print("| metric | fp32 mean | bf16 mean | mean absolute difference per video |")
print("|---|---|---|---|")
for k in keys:
    xa = [v[k] for v in va]; xb = [v[k] for v in vb]
    print(f"| {k} | {sum(xa)/len(xa):.4f} | {sum(xb)/len(xb):.4f} | {sum(abs(p-q) for p,q in zip(xa,xb))/len(xa):.4f} |")
PY
echo "videos and frames in $OUT" >&2
