#!/usr/bin/env bash
# `make test`: lint (ruff, the import contracts), then the whole pytest suite against
# real PostgreSQL and Redis.
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/system-deps.sh
bash scripts/compile-messages.sh
bash scripts/js-deps.sh
.venv/bin/ruff check .
.venv/bin/lint-imports --no-logo

set +e
bash scripts/services.sh .venv/bin/pytest "$@"
status=$?
set -e
if [ "$status" = 5 ]; then
  echo "pytest collected no tests: that is a failure, not a pass." >&2
  exit 1
fi
exit "$status"
