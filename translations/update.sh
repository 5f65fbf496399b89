#!/usr/bin/env bash
# Refreshes the .ts files from the sources. Qt 6.4's lupdate does not see the
# C++17 `namespace sm::ui {` form, so it files strings under bare class names;
# tr() looks them up under sm::ui::Class: qualify the contexts afterwards.
set -euo pipefail
cd "$(dirname "$0")/.."
lupdate_bin="$(command -v /usr/lib/qt6/bin/lupdate || command -v lupdate6 || command -v lupdate)"
for ts in translations/stillmoving_*.ts; do
  # Back to the bare names lupdate uses, so it keeps the existing translations.
  sed -i -E 's#<name>sm::ui::([A-Za-z]+)</name>#<name>\1</name>#' "$ts"
  "$lupdate_bin" -no-obsolete ui app/studio -ts "$ts"
  sed -i -E 's#<name>([A-Za-z]+)</name>#<name>sm::ui::\1</name>#' "$ts"
done
