#!/usr/bin/env bash
# Times our denoising step and VAE decode against diffusers' AnimateDiffPipeline
# on the same config, random weights, CPU, thread count and precision (fp32, then
# bf16), one process per measurement, and prints a table with the ratios; then
# ours in `--dtype auto` against diffusers in fp32, what a user of either gets by
# default on this CPU (bench/README.md).
#
#   bench/run_bench.sh [BUILD_DIR]        # default build/; builds nothing
#
# Environment: THREADS (default: physical cores), REPEATS (3), WARMUP (1),
# FRAMES (16), WIDTH (256), HEIGHT (256), WHAT ("step decode"), PRECISIONS ("fp32 bf16"),
# SM_REF_PYTHON (default: the python of tests/reference/make_env.sh),
# SM_BENCH_OUT (where the JSON results go; default BUILD_DIR/bench/results).
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD="${1:-build}"
BENCH="$BUILD/bench/stillmoving-bench"
if [[ ! -x "$BENCH" ]]; then
  echo "run_bench.sh: $BENCH not found; build it first (cmake --build $BUILD --target stillmoving-bench)" >&2
  exit 1
fi
PY="${SM_REF_PYTHON:-$(bash tests/reference/make_env.sh)}"
physical_cores() { lscpu -p=Core,Socket 2>/dev/null | grep -v '^#' | sort -u | wc -l; }
THREADS="${THREADS:-$(physical_cores)}"
REPEATS="${REPEATS:-3}"
WARMUP="${WARMUP:-1}"
FRAMES="${FRAMES:-16}"
WIDTH="${WIDTH:-256}"
HEIGHT="${HEIGHT:-256}"
WHAT="${WHAT:-step decode}"
PRECISIONS="${PRECISIONS:-fp32 bf16}"
OUT="${SM_BENCH_OUT:-$BUILD/bench/results}"
mkdir -p "$OUT"
RESULTS="$OUT/bench-$(date +%Y%m%d-%H%M%S).jsonl"
export HF_HUB_OFFLINE=1

common=(--frames "$FRAMES" --width "$WIDTH" --height "$HEIGHT" --repeats "$REPEATS" --warmup "$WARMUP"
  --threads "$THREADS" --json)
load() { cut -d' ' -f1 /proc/loadavg; }
for what in $WHAT; do
  for dtype in $PRECISIONS; do
    echo "[$what $dtype] stillmoving-bench (load $(load))" >&2
    "$BENCH" --what "$what" --dtype "$dtype" "${common[@]}" >>"$RESULTS"
    echo "[$what $dtype] diffusers (load $(load))" >&2
    "$PY" bench/bench_diffusers.py --what "$what" --dtype "$dtype" "${common[@]}" >>"$RESULTS"
  done
  echo "[$what auto] stillmoving-bench (load $(load))" >&2
  "$BENCH" --what "$what" --dtype auto "${common[@]}" >>"$RESULTS"
done
echo "load average at the end: $(load); results in $RESULTS" >&2

"$PY" - "$RESULTS" <<'EOF'
import json, platform, sys

rows = [json.loads(line) for line in open(sys.argv[1]) if line.strip()]
cpu = next((l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name")), platform.machine())
first = rows[0]
print(f"{cpu}, {first['threads']} threads, torch {first['torch']}, "
      f"{first['frames']} frames {first['width']}x{first['height']}, median of {first['repeats']} runs")
print()
print("| what | precision ours / diffusers | time ours (s) | time diffusers (s) | ratio | peak RSS ours (GiB) "
      "| peak RSS diffusers (GiB) | ratio | timed-part peak ours / diffusers (GiB) "
      "| above the built model ours / diffusers (GiB) |")
print("|---|---|---|---|---|---|---|---|---|---|")
run = lambda r: r["peak_rss_run_gib"] if r["peak_rss_run_gib"] is not None else float("nan")
pairs = [(w, d, d) for w in dict.fromkeys(r["what"] for r in rows)
         for d in dict.fromkeys(r["dtype_asked"] for r in rows if r["impl"] == "diffusers")]
pairs += [(w, "auto", "fp32") for w in dict.fromkeys(r["what"] for r in rows)]
for what, mine, theirs in pairs:
    ours = next((r for r in rows if r["what"] == what and r["impl"] == "stillmoving" and r["dtype_asked"] == mine), None)
    ref = next((r for r in rows if r["what"] == what and r["impl"] == "diffusers" and r["dtype_asked"] == theirs), None)
    if ours is None or ref is None:
        continue
    label = f"{mine} (= {ours['dtype']}) / {theirs}" if mine == "auto" else f"{ours['dtype']} / {ref['dtype']}"
    print(f"| {what} | {label} | {ours['median_s']:.2f} | {ref['median_s']:.2f} | {ours['median_s'] / ref['median_s']:.2f} "
          f"| {ours['peak_rss_gib']:.2f} | {ref['peak_rss_gib']:.2f} | {ours['peak_rss_gib'] / ref['peak_rss_gib']:.2f} "
          f"| {run(ours):.2f} / {run(ref):.2f} "
          f"| {run(ours) - ours['rss_built_gib']:.2f} / {run(ref) - ref['rss_built_gib']:.2f} |")
EOF
