#!/usr/bin/env bash
# Sets up (packaging/setup.sh), builds and runs every test:
#   0. the formatting and the layering check (tools/check_layers.py: no wrong-way #include);
#   1. the GoogleTest suites of the Release build (ctest);
#   2. the sm_formats unit tests again under AddressSanitizer + UndefinedBehaviorSanitizer;
#   3. each libFuzzer target for SM_FUZZ_SECONDS (default 60) on its seed corpus (the parsers of
#      safetensors, pickles, torch zips, training checkpoints and dataset manifests).
# Exits non-zero if anything fails.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$here"
fuzz_seconds="${SM_FUZZ_SECONDS:-60}"
jobs="$(nproc)"

bash packaging/setup.sh

echo "== formatting (.clang-format)"
git ls-files '*.cpp' '*.h' | xargs clang-format-14 --dry-run --Werror

echo "== layering (tools/check_layers.py)"
python3 tools/check_layers.py
python3 tools/check_layers_test.py

echo "== unit tests (Release build)"
ctest --test-dir build --output-on-failure -j "$jobs"

echo "== sm_formats tests under ASan + UBSan"
cmake -S . -B build-asan -G Ninja -DCMAKE_BUILD_TYPE=Debug -DSM_WITH_TORCH=OFF -DSM_SANITIZE=ON >/dev/null
cmake --build build-asan --target sm_formats_tests --parallel "$jobs"
ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
  ./build-asan/tests/sm_formats_tests --gtest_brief=1

echo "== fuzzers, ${fuzz_seconds}s each"
CC=clang-14 CXX=clang++-14 cmake -S . -B build-fuzz -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DSM_WITH_TORCH=OFF \
  -DSM_BUILD_TESTS=OFF -DSM_BUILD_FUZZERS=ON -DSM_SANITIZE=ON >/dev/null
cmake --build build-fuzz --parallel "$jobs"
# Seeds for the checkpoint and manifest readers: a dataset and a training run on the tiny
# fixtures, made by the Release build (a few seconds).
seeds="$(mktemp -d)"
fixtures=tests/data/fixtures
./build/app/stillmoving --threads 1 dataset frozen --out "$seeds/frozen" --base "$fixtures/sd15_tiny_diffusers" \
  --prompt "a photo of sks toy" --samples 2 --width 64 --height 64 --frames 4 --steps 1 --device cpu --quiet >/dev/null
./build/app/stillmoving --threads 1 train motion-adapter --base "$fixtures/sd15_tiny_diffusers" \
  --motion-module "$fixtures/motion_adapter_tiny_v2_diffusers" --dataset "$seeds/frozen" \
  --out "$seeds/adapter.safetensors" --steps 2 --rank 2 --device cpu --quiet >/dev/null
for target in fuzz_safetensors fuzz_unpickler fuzz_torch_zip fuzz_training_checkpoint fuzz_dataset_manifest; do
  corpus="$(mktemp -d)"
  case "$target" in
    fuzz_safetensors) find tests/data -name '*.safetensors' -size -64k -exec cp {} "$corpus/" \; ;;
    fuzz_unpickler)  # the pickles inside the checkpoint fixtures
      python3 -c 'import sys, zipfile
for i, path in enumerate(sys.argv[2:]):
    try:
        z = zipfile.ZipFile(path)
    except Exception:
        continue
    for name in z.namelist():
        if name.endswith("data.pkl"):
            open(f"{sys.argv[1]}/{i}.pkl", "wb").write(z.read(name))' "$corpus" tests/data/ckpt/* ;;
    fuzz_torch_zip) find tests/data/ckpt -type f -size -64k -exec cp {} "$corpus/" \; ;;
    fuzz_training_checkpoint) cp "$seeds/adapter.safetensors.checkpoints/checkpoint.safetensors" "$corpus/" ;;
    fuzz_dataset_manifest) cp "$seeds/frozen/dataset.json" "$corpus/" ;;
  esac
  echo "-- $target ($(ls "$corpus" | wc -l) seeds)"
  log="$(mktemp)"
  set +e
  ./build-fuzz/fuzz/"$target" -max_total_time="$fuzz_seconds" -timeout=10 -rss_limit_mb=2048 \
    -print_final_stats=1 "$corpus" >"$log" 2>&1
  status=$?
  set -e
  grep -E "^stat::number_of_executed_units|ERROR|SUMMARY|Done [0-9]+ runs" "$log" || true
  rm -rf "$corpus"
  if [[ $status -ne 0 ]]; then tail -n 60 "$log"; echo "$target found a crash (status $status)"; exit 1; fi
  rm -f "$log"
done
rm -rf "$seeds"
echo "== all tests passed"
