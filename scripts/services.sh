#!/usr/bin/env bash
# Starts private PostgreSQL and Redis servers on free loopback ports in a temporary
# directory, runs the given command with DATABASE_URL / CELERY_BROKER_URL /
# CELERY_RESULT_BACKEND / REDIS_URL pointing at them, and stops both (by pid) however
# the command ends. Exits with the command's status.
#
#   scripts/services.sh .venv/bin/pytest -x
set -euo pipefail

[ $# -gt 0 ] || { echo "usage: $0 COMMAND [ARGS...]" >&2; exit 2; }

pg_bin=$(dirname "$(compgen -G "/usr/lib/postgresql/*/bin/initdb" | sort -V | tail -n 1)")
[ -x "$pg_bin/initdb" ] || { echo "PostgreSQL is not installed; run scripts/system-deps.sh" >&2; exit 1; }
command -v redis-server >/dev/null || { echo "redis-server is not installed; run scripts/system-deps.sh" >&2; exit 1; }

workdir=$(mktemp -d /tmp/badges-services.XXXXXX)
chmod 755 "$workdir"
pg_started=0

cleanup() {
  local status=$?
  if [ "$pg_started" = 1 ]; then
    runuser -u postgres -- "$pg_bin/pg_ctl" -D "$workdir/pg/data" -m immediate -w stop >/dev/null 2>&1 || true
  fi
  if [ -f "$workdir/redis.pid" ]; then
    kill "$(cat "$workdir/redis.pid")" 2>/dev/null || true
  fi
  rm -rf "$workdir"
  exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'
}
pg_port=$(free_port)
redis_port=$(free_port)

mkdir -p "$workdir/pg"
chown postgres "$workdir/pg"
runuser -u postgres -- "$pg_bin/initdb" -D "$workdir/pg/data" -A trust -U postgres -E UTF8 >"$workdir/pg/initdb.log" 2>&1 \
  || { cat "$workdir/pg/initdb.log" >&2; exit 1; }
# PG_DURABILITY: "fast" (the default, for tests: fsync, synchronous commit and full page
# writes off; this data is thrown away after the run; never do this in production) or
# "production" (PostgreSQL's defaults: every commit flushed, as a real server; `make bench`).
case "${PG_DURABILITY:-fast}" in
  fast) durability="-c fsync=off -c synchronous_commit=off -c full_page_writes=off" ;;
  production) durability="" ;;
  *) echo "PG_DURABILITY must be fast or production, not ${PG_DURABILITY}" >&2; exit 2 ;;
esac
runuser -u postgres -- "$pg_bin/pg_ctl" -D "$workdir/pg/data" -l "$workdir/pg/log" -w \
  -o "-p $pg_port -k $workdir/pg -c listen_addresses=127.0.0.1 $durability -c max_connections=400" \
  start >/dev/null || { cat "$workdir/pg/log" >&2; exit 1; }
pg_started=1
"$pg_bin/createdb" -h 127.0.0.1 -p "$pg_port" -U postgres badges

redis-server --port "$redis_port" --bind 127.0.0.1 --save '' --appendonly no \
  --daemonize yes --pidfile "$workdir/redis.pid" --logfile "$workdir/redis.log" --dir "$workdir"
for _ in $(seq 50); do
  redis-cli -p "$redis_port" ping >/dev/null 2>&1 && break
  sleep 0.1
done

export DATABASE_URL="postgres://postgres@127.0.0.1:$pg_port/badges"
export CELERY_BROKER_URL="redis://127.0.0.1:$redis_port/0"
export CELERY_RESULT_BACKEND="redis://127.0.0.1:$redis_port/1"
export REDIS_URL="redis://127.0.0.1:$redis_port/2"
# Tests that need these services fail, rather than skip, when they are missing.
export REQUIRE_SERVICES=1
export SERVICES_DIR="$workdir"
export PG_DURABILITY="${PG_DURABILITY:-fast}"
echo "services: PostgreSQL on 127.0.0.1:$pg_port (durability: $PG_DURABILITY), Redis on 127.0.0.1:$redis_port"

set +e
"$@"
status=$?
set -e
exit "$status"
