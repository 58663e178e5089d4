#!/usr/bin/env bash
# A throwaway PostgreSQL server for the tests: trust auth, loopback only.
#   scripts/pg.sh start DATADIR PORT   initdb (if needed) and start; prints the conn_str
#   scripts/pg.sh stop DATADIR [MODE]  pg_ctl stop (MODE: fast | immediate)
# PostgreSQL refuses to run as root, so as root the server runs as the
# unprivileged user `aigw-pg` (created on first use).
set -euo pipefail
cmd="$1" data="$2"
bin="$(dirname "$(command -v initdb 2>/dev/null || ls /usr/lib/postgresql/*/bin/initdb | tail -n1)")"
as_owner() {
  if [ "$(id -u)" = 0 ]; then
    id aigw-pg >/dev/null 2>&1 || useradd --system --no-create-home --shell /usr/sbin/nologin aigw-pg
    runuser -u aigw-pg -- "$@"
  else
    "$@"
  fi
}
case "$cmd" in
  start)
    port="$3"
    mkdir -p "$data"
    [ "$(id -u)" = 0 ] && { id aigw-pg >/dev/null 2>&1 || useradd --system --no-create-home --shell /usr/sbin/nologin aigw-pg; chown aigw-pg "$data"; }
    if [ ! -f "$data/PG_VERSION" ]; then
      as_owner "$bin/initdb" -D "$data" -U postgres -A trust --no-sync >"$data.initdb.log" 2>&1 || { cat "$data.initdb.log" >&2; exit 1; }
    fi
    as_owner "$bin/pg_ctl" -D "$data" -w -t 60 -l "$data/server.log" \
      -o "-p $port -k $data -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=200" start >/dev/null
    echo "postgres://postgres@127.0.0.1:$port/postgres?sslmode=disable"
    ;;
  stop)
    as_owner "$bin/pg_ctl" -D "$data" -w -m "${3:-fast}" stop >/dev/null
    ;;
  *)
    echo "usage: $0 start DATADIR PORT | stop DATADIR [MODE]" >&2
    exit 2
    ;;
esac
