#!/usr/bin/env bash
# Creates (once) the throwaway Python environment the reference scripts run in:
# diffusers, transformers and safetensors from PyPI, plus the torch that
# packaging/setup.sh installed (reused through a .pth file, not reinstalled).
# Not used by CI: the scripts' outputs are committed under tests/data/.
# Prints the environment's python path.
set -euo pipefail
SM_ENV="${SM_ENV:-$HOME/.cache/stillmoving/env}"
REF_ENV="${SM_REF_ENV:-$HOME/.cache/stillmoving/ref-env}"
if [[ ! -x "$REF_ENV/bin/python" ]]; then
  python3 -m venv "$REF_ENV" >&2
fi
site_sm="$("$SM_ENV/bin/python" -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')"
site_ref="$("$REF_ENV/bin/python" -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')"
echo "$site_sm" > "$site_ref/stillmoving-torch.pth"
if ! "$REF_ENV/bin/python" -c 'import diffusers, transformers, safetensors, regex, peft' 2>/dev/null; then
  "$REF_ENV/bin/pip" install -q "diffusers==0.35.2" "transformers==4.57.1" "safetensors" "regex" "accelerate" "peft==0.17.1" >&2
fi
echo "$REF_ENV/bin/python"
