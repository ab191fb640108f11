#!/usr/bin/env bash
# Compiles the translation catalogues (locale/<lang>/LC_MESSAGES/django.po -> .mo) with
# GNU msgfmt (Debian's gettext, installed by scripts/system-deps.sh). The .mo files are
# build output, never committed: `make run`, `make test` and the Dockerfile run this.
set -euo pipefail
cd "$(dirname "$0")/.."
for po in locale/*/LC_MESSAGES/*.po; do
  mo="${po%.po}.mo"
  if [ ! -e "$mo" ] || [ "$po" -nt "$mo" ]; then
    msgfmt --check-format -o "$mo" "$po"
  fi
done
