#!/usr/bin/env bash
# Run here, before sending the tree to a GPU machine that lacks our Debian
# packages: copies nlohmann/json's headers into .gpu/include (a folder git
# ignores through its own .gitignore), to be named in the run's `carry` list.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
src="${NLOHMANN_INCLUDE:-/usr/include}"
[[ -f "$src/nlohmann/json.hpp" ]] || { echo "prepare.sh: no $src/nlohmann/json.hpp (apt-get install nlohmann-json3-dev)" >&2; exit 1; }
mkdir -p "$root/.gpu/include"
printf '*\n' >"$root/.gpu/.gitignore"
rm -rf "$root/.gpu/include/nlohmann"
cp -r "$src/nlohmann" "$root/.gpu/include/"
echo "prepare.sh: $(du -sh "$root/.gpu" | cut -f1) in $root/.gpu (carry: [\".gpu\"])"
