#!/usr/bin/env bash
# Builds bench/gpu_check standalone and runs the GPU check and the full-size
# training-step benchmark, within a time budget, writing everything to $OUT.
#   OUT        where logs go (default ./gpu-out)
#   BUILD_DIR  build folder (default /tmp/sm-gpu-check-build)
#   BUDGET     seconds for the whole script (default 480); benchmarks that would
#              not fit are skipped with a SKIP line
#   JOBS       build jobs (default: nproc)
#   CPU_BENCH  1: also time the fp32 CPU step of the full-size model (slow)
#   SM_TORCH_ROOT  LibTorch folder (default: python3's torch package)
# Exit status: 0 when everything built and no check failed.
set -uo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
OUT="${OUT:-$root/gpu-out}"
BUILD_DIR="${BUILD_DIR:-/tmp/sm-gpu-check-build}"
BUDGET="${BUDGET:-480}"
JOBS="${JOBS:-$(nproc)}"
mkdir -p "$OUT"
summary="$OUT/summary.txt"
: >"$summary"
status=0

say() { echo "$*" | tee -a "$summary"; }
left() { echo $((BUDGET - SECONDS)); }

# --- what the machine has ---------------------------------------------------------
{
  date -u
  uname -a
  nproc
  free -g | head -2
  nvidia-smi 2>&1 | head -20
  nvcc --version 2>&1 | tail -2
  cmake --version | head -1
  ninja --version 2>&1 | head -1
  c++ --version | head -1
  python3 -c 'import torch, os; print("torch", torch.__version__, "cuda", torch.version.cuda, os.path.dirname(torch.__file__))' 2>&1
} >"$OUT/env.txt" 2>&1
say "run.sh: $(python3 -c 'import torch; print("torch", torch.__version__)' 2>/dev/null || echo 'no python torch'), $(nvidia-smi --query-gpu=name,memory.total --format=csv,noheader 2>/dev/null | head -1 || true)"

if [[ -z "${SM_TORCH_ROOT:-}" ]]; then
  SM_TORCH_ROOT="$(python3 -c 'import torch, os; print(os.path.dirname(torch.__file__))' 2>/dev/null || true)"
fi
[[ -f "$root/.gpu/include/nlohmann/json.hpp" ]] || say "run.sh: no .gpu/include/nlohmann (prepare.sh not run?): relying on a system nlohmann/json"

# --- build --------------------------------------------------------------------------
generator=(-G Ninja)
command -v ninja >/dev/null || generator=(-G "Unix Makefiles")
build_start=$SECONDS
cmake -S "$root/bench/gpu_check" -B "$BUILD_DIR" "${generator[@]}" -DCMAKE_BUILD_TYPE=Release \
  -DSM_TORCH_ROOT="$SM_TORCH_ROOT" >"$OUT/configure.log" 2>&1 || {
  say "FAIL build/configure: see configure.log"
  tail -30 "$OUT/configure.log"
  exit 1
}
if [[ "${generator[1]}" == Ninja ]]; then
  ninja -C "$BUILD_DIR" -j "$JOBS" -k 0 gpu_check stillmoving-bench-train >"$OUT/build.log" 2>&1
else
  cmake --build "$BUILD_DIR" -j "$JOBS" --target gpu_check stillmoving-bench-train -- -k >"$OUT/build.log" 2>&1
fi
build_rc=$?
say "run.sh: build rc=$build_rc in $((SECONDS - build_start)) s"
if [[ $build_rc != 0 ]]; then
  status=1
  grep -E "error|Error" "$OUT/build.log" | head -40 | tee -a "$summary"
fi

# --- the checks ---------------------------------------------------------------------
if [[ -x "$BUILD_DIR/gpu_check" ]]; then
  timeout -k 10 "$(($(left) > 200 ? 200 : $(left)))" "$BUILD_DIR/gpu_check" >"$OUT/gpu_check.log" 2>&1
  rc=$?
  grep -E "^(PASS|FAIL|SKIP|INFO) |^gpu_check: " "$OUT/gpu_check.log" | tee -a "$summary"
  [[ $rc == 0 ]] || { status=1; say "FAIL gpu_check exited $rc (124: timed out; see gpu_check.log)"; tail -5 "$OUT/gpu_check.log"; }
else
  status=1
  say "FAIL gpu_check: not built"
fi

# --- the full-size training step ----------------------------------------------------
bench="$BUILD_DIR/stillmoving-bench-train"
cuda=0
# A GPU the driver sees (gpu_check's first line says whether LibTorch can use it).
nvidia-smi -L >/dev/null 2>&1 && cuda=1
grep -q "^gpu_check: .*CUDA [0-9]* device" "$OUT/gpu_check.log" 2>/dev/null && cuda=1
smi_pid=""
if [[ $cuda == 1 ]] && command -v nvidia-smi >/dev/null; then
  nvidia-smi --query-gpu=timestamp,memory.used,utilization.gpu --format=csv -lms 500 >"$OUT/nvidia-smi.csv" 2>&1 &
  smi_pid=$!
fi
run_bench() {  # name needed-seconds args...
  local name=$1 need=$2
  shift 2
  if ((need > $(left) - 10)); then
    say "SKIP bench/$name: $(left) s of the budget left, needs ~$need"
    return
  fi
  timeout -k 10 "$(($(left) - 10))" "$bench" "$@" >"$OUT/bench-$name.log" 2>&1
  local rc=$?
  local line
  line="$(tail -1 "$OUT/bench-$name.log")"
  if [[ $rc == 0 && "$line" == "{"* ]]; then
    echo "$line" >>"$OUT/bench.jsonl"
    say "PASS bench/$name: $(grep -E '^  (median|RSS|CUDA)' "$OUT/bench-$name.log" | tr -s ' ' | paste -sd';')"
  else
    status=1
    say "FAIL bench/$name: exit $rc (124: timed out); last lines:"
    tail -4 "$OUT/bench-$name.log" | tee -a "$summary"
  fi
}
if [[ ! -x "$bench" ]]; then
  status=1
  say "FAIL bench: stillmoving-bench-train not built"
elif [[ $cuda == 1 ]]; then
  full=(--size full --frames 16 --width 256 --height 256 --device cuda --steps 3 --warmup 1)
  run_bench cuda-bf16-ckpt-on 60 "${full[@]}" --precision bf16 --gradient-checkpointing on
  run_bench cuda-bf16-ckpt-off 60 "${full[@]}" --precision bf16 --gradient-checkpointing off
  run_bench cuda-fp32-ckpt-on 60 "${full[@]}" --precision fp32 --gradient-checkpointing on
  run_bench cuda-bf16-spatial-ckpt-on 60 "${full[@]}" --precision bf16 --gradient-checkpointing on --adapter spatial
  if [[ "${CPU_BENCH:-0}" == 1 ]]; then
    run_bench cpu-fp32-ckpt-on 240 --size full --device cpu --steps 1 --warmup 0 --gradient-checkpointing on
  else
    say "SKIP bench/cpu-fp32-ckpt-on: CPU_BENCH=1 not set"
  fi
else
  say "SKIP bench/cuda-*: no GPU (nvidia-smi -L fails; see gpu_check.log); running the tiny CPU step as a smoke test"
  run_bench cpu-tiny-smoke 30 --size tiny --device cpu --frames 8 --width 128 --height 128 --steps 1
fi
[[ -n "$smi_pid" ]] && kill "$smi_pid" 2>/dev/null
if [[ -s "$OUT/nvidia-smi.csv" ]]; then
  say "run.sh: nvidia-smi peak memory.used $(tail -n +2 "$OUT/nvidia-smi.csv" | awk -F', ' '{gsub(/ MiB/,"",$2); if ($2+0 > m) m = $2+0} END {print m " MiB"}')"
fi

say "run.sh: $(grep -c '^PASS' "$summary") PASS, $(grep -c '^FAIL' "$summary") FAIL, $(grep -c '^SKIP' "$summary") SKIP lines; exit $status after $SECONDS s"
exit $status
