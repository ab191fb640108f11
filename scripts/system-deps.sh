#!/usr/bin/env bash
# Installs the Debian packages `make test` and `make bench` need, once: PostgreSQL,
# Redis, gettext, systemd-analyze (the units in deploy/ are verified), Chromium (for the Playwright
# browser tests), the DejaVu fonts, Node.js (the independent JavaScript verifiers of the
# Open Badges 3.0 credentials, scripts/js-deps.sh) and, for `make bench`, wrk.
# Runs as root on Debian.
set -euo pipefail

missing=()
compgen -G "/usr/lib/postgresql/*/bin/initdb" >/dev/null || missing+=(postgresql)
command -v redis-server >/dev/null || missing+=(redis-server)
# `systemd-analyze verify` checks the units of deploy/systemd (tests/deploy).
command -v systemd-analyze >/dev/null || missing+=(systemd)
if [ "${WITH_BENCH:-0}" = 1 ]; then
  command -v wrk >/dev/null || missing+=(wrk)
fi
# npm's own libraries verify our credentials in the tests (credentials/tests/js).
command -v node >/dev/null || missing+=(nodejs)
command -v npm >/dev/null || missing+=(npm)
# SVG badge images are drawn to PNG with these fonts (templates_app/images.py).
[ -e /usr/share/fonts/truetype/dejavu/DejaVuSans.ttf ] || missing+=(fonts-dejavu-core)
# msgfmt and xgettext: the translation catalogues are compiled, and checked, with them.
command -v msgfmt >/dev/null || missing+=(gettext)
if [ "${WITH_BROWSER:-1}" = 1 ]; then
  command -v chromium >/dev/null || missing+=(chromium fonts-dejavu-core)
fi

if [ ${#missing[@]} -gt 0 ]; then
  echo "Installing Debian packages: ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -q
  # The postgresql package may try to start its own cluster; we never use it (we run a
  # private one on a free port), so a failure to start it is not ours to fix.
  apt-get install -y -q --no-install-recommends "${missing[@]}"
fi
