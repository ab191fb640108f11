#!/usr/bin/env bash
# Installs the npm packages the tests use as independent verifiers of our Open Badges 3.0
# credentials (npm `jose` for the VC-JWT; Digital Bazaar's vc / data-integrity /
# eddsa-rdfc-2022-cryptosuite for Data Integrity proofs) from the lock file, once per
# change of the lock file. Nothing is downloaded while the tests run.
set -euo pipefail
cd "$(dirname "$0")/../credentials/tests/js"

marker=node_modules/.installed-lock
if [ -f "$marker" ] && cmp -s package-lock.json "$marker"; then
  exit 0
fi
npm ci --no-audit --no-fund --loglevel=error
cp package-lock.json "$marker"
