# Sourced by .ci/run: a throwaway PostgreSQL cluster (Debian's postgresql package) on a free local port, in a temp
# dir owned by the postgres user (initdb refuses root), stopped and removed by the EXIT trap. Exports
# TEST_DATABASE_URL (a TCP URL on 127.0.0.1) and TEST_DATABASE_SOCKET_URL (the same database over the Unix socket).
start_throwaway_postgres() {
  if ! ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1; then
    apt-get update -qq
    apt-get install -y -qq postgresql >/dev/null
  fi
  local bin
  bin=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)
  PG_TMP=$(mktemp -d /tmp/smol-pg.XXXXXX)
  chown postgres:postgres "$PG_TMP"
  chmod 700 "$PG_TMP"
  local port
  port=$(python -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
  su postgres -s /bin/sh -c "$bin/initdb -D '$PG_TMP/data' -U postgres -A trust -E UTF8 >'$PG_TMP/initdb.log' 2>&1"
  su postgres -s /bin/sh -c "$bin/pg_ctl -D '$PG_TMP/data' -l '$PG_TMP/server.log' -w -t 60 \
    -o \"-p $port -k $PG_TMP -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=300\" start >/dev/null"
  PG_BIN=$bin
  trap stop_throwaway_postgres EXIT
  su postgres -s /bin/sh -c "$bin/createdb -h '$PG_TMP' -p $port smol"
  export TEST_DATABASE_URL="postgresql://postgres@127.0.0.1:$port/smol"
  export TEST_DATABASE_SOCKET_URL="postgresql://postgres@/smol?host=$PG_TMP&port=$port"
  export TEST_POSTGRES_BIN="$bin"
}

stop_throwaway_postgres() {
  if [ -n "${PG_TMP:-}" ] && [ -d "$PG_TMP" ]; then
    su postgres -s /bin/sh -c "$PG_BIN/pg_ctl -D '$PG_TMP/data' -m immediate stop >/dev/null 2>&1" || true
    rm -rf "$PG_TMP"
  fi
}
