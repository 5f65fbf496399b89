#!/usr/bin/env bash
# One-command setup for Still-Moving Studio on Debian 12.
#
#   bash packaging/setup.sh            install what is missing, configure, build
#   bash packaging/setup.sh --deps     install only (no build)
#
# Idempotent: every step checks first and installs only what is missing, so a
# second run installs nothing. LibTorch comes from the PyPI `torch` wheel, in a
# Python environment kept outside the repository (SM_ENV, default
# ~/.cache/stillmoving/env) so that every clone on this machine shares it.
#
# Environment knobs:
#   SM_ENV          where the Python environment with torch lives
#   SM_TORCH_SPEC   pip requirement for torch (default: torch==2.15.0)
#   SM_TORCH_FULL   1: install torch with its CUDA runtime wheels (several GB);
#                   default: only when an NVIDIA GPU is visible (nvidia-smi)
#   SM_BUILD_DIR    build folder (default: build)
#   SM_BUILD_TYPE   CMake build type (default: Release)
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
SM_ENV="${SM_ENV:-$HOME/.cache/stillmoving/env}"
SM_TORCH_SPEC="${SM_TORCH_SPEC:-torch==2.15.0}"
SM_BUILD_DIR="${SM_BUILD_DIR:-build}"
SM_BUILD_TYPE="${SM_BUILD_TYPE:-Release}"
build=1
[[ "${1:-}" == "--deps" ]] && build=0

log() { printf '[setup] %s\n' "$*" >&2; }

# --- 1. Debian packages ------------------------------------------------------
apt_packages=(
  build-essential cmake ninja-build ccache pkg-config git
  python3 python3-venv
  qt6-base-dev qt6-base-dev-tools qt6-tools-dev qt6-tools-dev-tools qt6-l10n-tools
  libqcustomplot-dev libgl-dev
  libopencv-dev
  libavcodec-dev libavformat-dev libavutil-dev libswscale-dev libavfilter-dev ffmpeg libx264-dev
  nlohmann-json3-dev libgtest-dev libgmock-dev libcli11-dev
  zlib1g-dev libicu-dev
  clang-14 libclang-rt-14-dev clang-format-14
  xvfb xauth imagemagick
)
missing=()
for p in "${apt_packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  log "installing Debian packages: ${missing[*]}"
  sudo_cmd=""
  [[ $(id -u) -ne 0 ]] && sudo_cmd="sudo"
  $sudo_cmd apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
else
  log "Debian packages: all present"
fi

# --- 2. LibTorch from the PyPI torch wheel -----------------------------------
python_bin="$(command -v python3)"
if [[ ! -x "$SM_ENV/bin/python" ]]; then
  log "creating Python environment $SM_ENV"
  mkdir -p "$(dirname "$SM_ENV")"
  "$python_bin" -m venv "$SM_ENV"
fi
if [[ -z "${SM_TORCH_FULL:-}" ]]; then
  SM_TORCH_FULL=0
  command -v nvidia-smi >/dev/null 2>&1 && nvidia-smi -L >/dev/null 2>&1 && SM_TORCH_FULL=1
fi
want_version="${SM_TORCH_SPEC#torch==}"
have_version="$("$SM_ENV/bin/python" -c 'import importlib.metadata as m; print(m.version("torch"))' 2>/dev/null || true)"
if [[ "$have_version" != "$want_version" ]]; then
  if [[ "$SM_TORCH_FULL" == 1 ]]; then
    log "installing $SM_TORCH_SPEC with CUDA runtime wheels into $SM_ENV"
    "$SM_ENV/bin/pip" install -q "$SM_TORCH_SPEC"
  else
    # No GPU here: the wheel alone carries libtorch_cpu; the CUDA runtime wheels
    # (several GB) are only needed to run on a GPU. core loads libtorch_cuda at
    # run time when it can, so the same build uses a GPU once they are present.
    log "installing $SM_TORCH_SPEC (CPU use; no CUDA runtime wheels) into $SM_ENV"
    "$SM_ENV/bin/pip" install -q --no-deps "$SM_TORCH_SPEC"
    "$SM_ENV/bin/pip" install -q filelock typing-extensions sympy networkx jinja2 fsspec numpy
  fi
else
  log "torch $have_version: present in $SM_ENV"
fi
torch_prefix="$("$SM_ENV/bin/python" -c 'import torch.utils; print(torch.utils.cmake_prefix_path)' 2>/dev/null || \
  "$SM_ENV/bin/python" - <<'PY'
import importlib.util, os
spec = importlib.util.find_spec("torch")
print(os.path.join(os.path.dirname(spec.origin), "share", "cmake"))
PY
)"
log "LibTorch CMake prefix: $torch_prefix"

((build)) || exit 0

# --- 3. Configure and build --------------------------------------------------
cd "$here"
cmake -S . -B "$SM_BUILD_DIR" -G Ninja \
  -DCMAKE_BUILD_TYPE="$SM_BUILD_TYPE" \
  -DSM_TORCH_ROOT="$(dirname "$(dirname "$torch_prefix")")" >/dev/null
cmake --build "$SM_BUILD_DIR" --parallel "$(nproc)"
log "built in $here/$SM_BUILD_DIR"
