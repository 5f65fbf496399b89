#!/usr/bin/env bash
# CPU training in bf16 autocast against fp32: the toy world's Motion Adapter
# trained twice from the same seed on the same frozen videos, once per
# precision, and the two loss curves side by side (mean per window of steps)
# with the time per step. The weights, the adapters and AdamW's state are fp32
# in both; bf16 autocast runs the matmuls and convolutions in bf16.
#
#   bench/precision_training.sh [BUILD_DIR]     # default build/; builds nothing
#
# Environment: DATASET (a frozen dataset of the toy base; default: built here
# from 16 prompts), STEPS (200), WINDOW (25: steps per row), OUT (default: a temporary folder),
# BASE, MOTION (default: resources/toyworld). The machine should be idle.
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD="${1:-build}"
SM="$BUILD/app/stillmoving"
[[ -x "$SM" ]] || { echo "precision_training.sh: $SM not found; build it first" >&2; exit 1; }
BASE="${BASE:-resources/toyworld/base}"
MOTION="${MOTION:-resources/toyworld/motion_module}"
STEPS="${STEPS:-200}"
WINDOW="${WINDOW:-25}"
OUT="${OUT:-$(mktemp -d)}"
mkdir -p "$OUT"
if [[ -z "${DATASET:-}" ]]; then
  DATASET="$OUT/frozen"
  prompts=()
  for shape in star circle square triangle; do
    for colour in red blue green yellow; do prompts+=(--prompt "a $colour $shape on a gray background"); done
  done
  "$SM" dataset frozen --quiet --base "$BASE" --out "$DATASET" "${prompts[@]}" --frames 8 --width 64 --height 64 \
    --steps 20 --dtype fp32 >/dev/null
fi
for precision in fp32 bf16; do
  start=$(date +%s.%N)
  "$SM" train motion-adapter --base "$BASE" --motion-module "$MOTION" --dataset "$DATASET" --steps "$STEPS" \
    --rank 4 --lr 1e-3 --warmup 20 --seed 3 --checkpoint-every 0 --quiet --device cpu --precision "$precision" \
    --out "$OUT/motion_adapter_$precision.safetensors" --overwrite 2>"$OUT/train_$precision.log" >/dev/null
  end=$(date +%s.%N)
  awk -v a="$start" -v b="$end" -v n="$STEPS" 'BEGIN { printf "%.3f\n", (b - a) / n }' >"$OUT/seconds_per_step_$precision"
done
python3 - "$OUT" "$WINDOW" <<'PY'
import json, struct, sys
out, window = sys.argv[1], int(sys.argv[2])
def losses(precision):
    # The trainer's checkpoint keeps every step's loss (resume.loss_history in its metadata).
    path = f"{out}/motion_adapter_{precision}.safetensors.checkpoints/checkpoint.safetensors"
    with open(path, "rb") as f:
        header = json.loads(f.read(struct.unpack("<Q", f.read(8))[0]))
    return json.loads(header["__metadata__"]["resume"])["loss_history"]
a, b = losses("fp32"), losses("bf16")
speed = {p: float(open(f"{out}/seconds_per_step_{p}").read()) for p in ("fp32", "bf16")}
print(f"seconds per step (whole run / steps, loading included): fp32 {speed['fp32']:.3f}, bf16 {speed['bf16']:.3f}")
print("| steps | fp32 loss | bf16 loss | bf16 / fp32 |")
print("|---|---|---|---|")
for first in range(0, min(len(a), len(b)), window):
    pa, pb = a[first:first + window], b[first:first + window]
    fa, fb = sum(pa) / len(pa), sum(pb) / len(pb)
    print(f"| {first + 1}-{first + len(pa)} | {fa:.5f} | {fb:.5f} | {fb / fa:.4f} |")
# Step by step the losses pair up (the same seed draws the same timesteps and noise).
rel = [abs(y - x) / max(x, 1e-12) for x, y in zip(a, b)]
print(f"\nevery step ({len(rel)}): mean |bf16 - fp32| / fp32 = {sum(rel) / len(rel):.4f}, largest {max(rel):.4f}; "
      f"last {window} steps {sum(rel[-window:]) / len(rel[-window:]):.4f}")
PY
echo "logs and adapters in $OUT" >&2
