#!/usr/bin/env bash
# Installs the npm packages the tests use, from their lock files, once per change of a
# lock file. Nothing is downloaded while the tests run.
# - credentials/tests/js: independent verifiers of our Open Badges 3.0 credentials (npm
#   `jose` for the VC-JWT; Digital Bazaar's vc / data-integrity /
#   eddsa-rdfc-2022-cryptosuite for Data Integrity proofs).
# - tests/browser/js: axe-core, injected into the pages by the accessibility tests.
set -euo pipefail
cd "$(dirname "$0")/.."

for dir in credentials/tests/js tests/browser/js; do
  marker="$dir/node_modules/.installed-lock"
  if [ -f "$marker" ] && cmp -s "$dir/package-lock.json" "$marker"; then
    continue
  fi
  (cd "$dir" && npm ci --no-audit --no-fund --loglevel=error)
  cp "$dir/package-lock.json" "$marker"
done
