#!/usr/bin/env bash
# A throwaway PostgreSQL for the tests: `cluster.sh start DIR` makes a cluster in DIR (initdb),
# starts it listening on a Unix socket in DIR only (no TCP), and prints its conninfo;
# `cluster.sh stop DIR` stops it and removes DIR. Debian's postgresql package provides the
# programs. As root, the server runs as `nobody` (PostgreSQL refuses to run as root).
set -euo pipefail

action=${1:?usage: cluster.sh start|stop DIR}
dir=${2:?usage: cluster.sh start|stop DIR}
port=54329

bindir=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1 || true)
if [[ -z $bindir || ! -x $bindir/initdb ]]; then
  echo "cluster.sh: PostgreSQL's programs are missing (scripts/setup.sh installs postgresql)" >&2
  exit 1
fi

as_owner=()
if [[ $(id -u) -eq 0 ]]; then as_owner=(runuser -u nobody --); fi

stop() {
  if [[ -f $dir/data/postmaster.pid ]]; then
    "${as_owner[@]}" "$bindir/pg_ctl" -D "$dir/data" -m immediate -w stop >/dev/null 2>&1 || true
  fi
  rm -rf "$dir"
}

case $action in
  start)
    stop  # what an earlier, interrupted run left
    mkdir -p "$dir"
    chmod 700 "$dir"
    if ((${#as_owner[@]})); then chown nobody "$dir"; fi
    "${as_owner[@]}" "$bindir/initdb" -D "$dir/data" -U herald -A trust -E UTF8 --no-sync \
      >"$dir/initdb.log" 2>&1 || { cat "$dir/initdb.log" >&2; exit 1; }
    # fsync off unless HERALD_PG_FSYNC=on (the benchmarks): a throwaway cluster whose data
    # nobody needs after a power loss; the tests kill herald processes, never the database.
    "${as_owner[@]}" "$bindir/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 \
      -o "-k $dir -p $port -c listen_addresses= -c fsync=${HERALD_PG_FSYNC:-off} -c max_connections=200" start \
      >/dev/null || { cat "$dir/server.log" >&2; exit 1; }
    # The tests connect as root: let them reach the socket.
    chmod 755 "$dir"
    echo "host=$dir port=$port user=herald dbname=postgres"
    ;;
  stop) stop ;;
  *) echo "cluster.sh: unknown action $action (start or stop)" >&2; exit 2 ;;
esac
