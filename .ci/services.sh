#!/usr/bin/env bash
# Run a command against throw-away PostgreSQL and Redis servers.
#
#   .ci/services.sh COMMAND [ARGS...]
#
# Installs postgresql and redis-server from Debian packages if their binaries
# are missing, starts a private PostgreSQL cluster and a Redis server on free
# loopback ports in temporary directories, exports
#
#   DATABASE_URL=postgres://billing:billing@127.0.0.1:<port>/billing
#   REDIS_URL=redis://127.0.0.1:<port>/0
#
# runs COMMAND, then always stops both servers and deletes the temporary
# directories. Exits with COMMAND's exit code.
set -euo pipefail

PG_PORT_START="${PG_PORT_START:-55432}"
REDIS_PORT_START="${REDIS_PORT_START:-56379}"
READY_TIMEOUT="${SERVICES_READY_TIMEOUT:-30}" # seconds, per server
PG_MAX_CONNECTIONS="${PG_MAX_CONNECTIONS:-250}"

log() { printf '[services] %s\n' "$*" >&2; }
die() {
    log "ERROR: $*"
    exit 1
}

if [ $# -eq 0 ]; then
    printf 'usage: %s COMMAND [ARGS...]\n' "$0" >&2
    exit 2
fi

IS_ROOT=0
[ "$(id -u)" -eq 0 ] && IS_ROOT=1

as_root() {
    if [ "$IS_ROOT" -eq 1 ]; then
        "$@"
    elif command -v sudo >/dev/null 2>&1; then
        sudo "$@"
    else
        die "need root to run '$*' but sudo is not available"
    fi
}

# ---------------------------------------------------------------------------
# 1. Binaries (install from Debian packages only when missing)
# ---------------------------------------------------------------------------
find_pg_bin() {
    local dir best=""
    # Newest version wins (sort -V orders .../9.6/bin < .../15/bin < .../16/bin).
    for dir in $(printf '%s\n' /usr/lib/postgresql/*/bin | sort -V); do
        if [ -x "$dir/initdb" ] && [ -x "$dir/pg_ctl" ]; then
            best="$dir"
        fi
    done
    printf '%s' "$best"
}

PG_BIN="$(find_pg_bin)"
missing=()
[ -n "$PG_BIN" ] || missing+=(postgresql)
command -v redis-server >/dev/null 2>&1 || missing+=(redis-server)
if ! command -v redis-cli >/dev/null 2>&1 && [[ " ${missing[*]-} " != *" redis-server "* ]]; then
    missing+=(redis-tools)
fi

if [ "${#missing[@]}" -gt 0 ]; then
    command -v apt-get >/dev/null 2>&1 ||
        die "missing ${missing[*]} and apt-get is not available; install them by hand"
    log "installing missing packages: ${missing[*]} (apt-get)"
    as_root apt-get update
    as_root env DEBIAN_FRONTEND=noninteractive \
        apt-get install -y --no-install-recommends "${missing[@]}"
    PG_BIN="$(find_pg_bin)"
fi

[ -n "$PG_BIN" ] || die "PostgreSQL binaries (initdb, pg_ctl) not found under /usr/lib/postgresql/*/bin"
REDIS_SERVER="$(command -v redis-server)" || die "redis-server not found on PATH"
REDIS_CLI="$(command -v redis-cli)" || die "redis-cli not found on PATH (package redis-tools)"
log "PostgreSQL: $PG_BIN ($("$PG_BIN/pg_ctl" --version))"
log "Redis: $REDIS_SERVER ($("$REDIS_SERVER" --version | cut -d' ' -f1-3))"

# initdb and pg_ctl refuse to run as root: run them as the postgres user then.
PG_USER="$(id -un)"
if [ "$IS_ROOT" -eq 1 ]; then
    PG_USER=postgres
    id -u "$PG_USER" >/dev/null 2>&1 ||
        die "running as root but there is no 'postgres' system user to run PostgreSQL as"
fi

as_pg() {
    # cd into the cluster's directory first: the postgres user may not be
    # able to read the caller's working directory.
    if [ "$IS_ROOT" -eq 0 ]; then
        (cd "$PG_TMP" && "$@")
    elif command -v runuser >/dev/null 2>&1; then
        (cd "$PG_TMP" && runuser -u "$PG_USER" -- "$@")
    else
        (cd "$PG_TMP" && su "$PG_USER" -s /bin/sh -c '"$0" "$@"' -- "$@")
    fi
}

# ---------------------------------------------------------------------------
# 2. Cleanup, always
# ---------------------------------------------------------------------------
PG_TMP=""
REDIS_TMP=""
PG_STARTED=0
REDIS_PORT=""
REDIS_PID=""

stop_postgres() {
    [ "$PG_STARTED" -eq 1 ] || return 0
    PG_STARTED=0
    [ -f "$PG_TMP/data/postmaster.pid" ] || return 0
    log "stopping PostgreSQL"
    if ! as_pg "$PG_BIN/pg_ctl" -D "$PG_TMP/data" -m fast -w -t 30 stop >/dev/null 2>&1; then
        as_pg "$PG_BIN/pg_ctl" -D "$PG_TMP/data" -m immediate -w -t 30 stop >/dev/null 2>&1 ||
            log "warning: PostgreSQL did not stop cleanly"
    fi
}

pid_alive() { [ -n "$1" ] && kill -0 "$1" 2>/dev/null; }

stop_redis() {
    if [ -z "$REDIS_PID" ] && [ -n "$REDIS_TMP" ] && [ -s "$REDIS_TMP/redis.pid" ]; then
        REDIS_PID="$(cat "$REDIS_TMP/redis.pid")"
    fi
    pid_alive "$REDIS_PID" || return 0
    log "stopping Redis"
    "$REDIS_CLI" -h 127.0.0.1 -p "$REDIS_PORT" shutdown nosave >/dev/null 2>&1 || true
    local i
    for i in $(seq 1 50); do
        pid_alive "$REDIS_PID" || break
        [ "$i" -eq 20 ] && kill -TERM "$REDIS_PID" 2>/dev/null
        sleep 0.1
    done
    if pid_alive "$REDIS_PID"; then
        kill -KILL "$REDIS_PID" 2>/dev/null || true
    fi
    REDIS_PID=""
}

cleanup() {
    local rc=$?
    trap - EXIT INT TERM
    set +e
    stop_redis
    stop_postgres
    if [ -n "$PG_TMP$REDIS_TMP" ]; then
        log "removing temporary directories"
        [ -n "$PG_TMP" ] && rm -rf "$PG_TMP"
        [ -n "$REDIS_TMP" ] && rm -rf "$REDIS_TMP"
    fi
    exit "$rc"
}
trap cleanup EXIT
trap 'log "interrupted"; exit 130' INT
trap 'log "terminated"; exit 143' TERM

# Something already accepts connections on 127.0.0.1:$1?
port_in_use() { (: <"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

next_free_port() {
    local port="$1"
    while port_in_use "$port"; do
        port=$((port + 1))
        [ "$port" -lt 65535 ] || die "no free port found above $1"
    done
    printf '%s' "$port"
}

# ---------------------------------------------------------------------------
# 3. PostgreSQL
# ---------------------------------------------------------------------------
PG_TMP="$(mktemp -d -t billing-pg.XXXXXX)"
chmod 700 "$PG_TMP"
[ "$IS_ROOT" -eq 1 ] && chown "$PG_USER": "$PG_TMP"

log "initialising PostgreSQL cluster in $PG_TMP/data"
PG_LOCALE=(--no-locale)
if locale -a 2>/dev/null | grep -qix 'c.utf-\?8'; then
    PG_LOCALE=(--locale=C.UTF-8)
fi
if ! as_pg "$PG_BIN/initdb" -D "$PG_TMP/data" -U postgres -E UTF8 "${PG_LOCALE[@]}" \
    --auth-local=trust --auth-host=scram-sha-256 >"$PG_TMP/initdb.log" 2>&1; then
    cat "$PG_TMP/initdb.log" >&2
    die "initdb failed"
fi

cat >>"$PG_TMP/data/postgresql.conf" <<EOF

# --- throw-away test cluster (.ci/services.sh) ---
listen_addresses = '127.0.0.1'
unix_socket_directories = '$PG_TMP'
max_connections = $PG_MAX_CONNECTIONS
fsync = off
synchronous_commit = off
full_page_writes = off
EOF

PG_PORT=""
port="$PG_PORT_START"
for attempt in 1 2 3 4 5; do
    port="$(next_free_port "$port")"
    log "starting PostgreSQL on 127.0.0.1:$port"
    PG_STARTED=1
    rm -f "$PG_TMP/postgres.log"
    if as_pg "$PG_BIN/pg_ctl" -D "$PG_TMP/data" -l "$PG_TMP/postgres.log" \
        -o "-p $port" -w -t "$READY_TIMEOUT" start >/dev/null 2>&1; then
        PG_PORT="$port"
        break
    fi
    stop_postgres # in case it came up after the timeout
    if grep -q 'already in use' "$PG_TMP/postgres.log" 2>/dev/null; then
        log "port $port was taken meanwhile, trying another one"
        port=$((port + 1))
        continue
    fi
    log "PostgreSQL log:"
    cat "$PG_TMP/postgres.log" >&2 2>/dev/null || true
    die "PostgreSQL failed to start within ${READY_TIMEOUT}s"
done
[ -n "$PG_PORT" ] || die "PostgreSQL could not find a free port to listen on"

deadline=$((SECONDS + READY_TIMEOUT))
until "$PG_BIN/pg_isready" -q -h 127.0.0.1 -p "$PG_PORT" -t 1; do
    if [ "$SECONDS" -ge "$deadline" ]; then
        cat "$PG_TMP/postgres.log" >&2 2>/dev/null || true
        die "PostgreSQL on 127.0.0.1:$PG_PORT not ready after ${READY_TIMEOUT}s"
    fi
    sleep 0.2
done

log "creating role and database 'billing'"
as_pg "$PG_BIN/psql" -X -q -v ON_ERROR_STOP=1 -h "$PG_TMP" -p "$PG_PORT" -U postgres -d postgres \
    -c "CREATE ROLE billing LOGIN CREATEDB PASSWORD 'billing'" \
    -c "CREATE DATABASE billing OWNER billing" >/dev/null ||
    die "could not create the billing role/database"

# ---------------------------------------------------------------------------
# 4. Redis
# ---------------------------------------------------------------------------
REDIS_TMP="$(mktemp -d -t billing-redis.XXXXXX)"

port="$REDIS_PORT_START"
for attempt in 1 2 3 4 5; do
    port="$(next_free_port "$port")"
    log "starting Redis on 127.0.0.1:$port"
    rm -f "$REDIS_TMP/redis.pid" "$REDIS_TMP/redis.log"
    "$REDIS_SERVER" --bind 127.0.0.1 --port "$port" --save '' --appendonly no \
        --dir "$REDIS_TMP" --daemonize yes --pidfile "$REDIS_TMP/redis.pid" \
        --logfile "$REDIS_TMP/redis.log" >/dev/null ||
        die "redis-server failed to start"
    REDIS_PORT="$port"
    deadline=$((SECONDS + READY_TIMEOUT))
    ready=0
    while [ "$SECONDS" -lt "$deadline" ]; do
        if [ "$("$REDIS_CLI" -h 127.0.0.1 -p "$port" ping 2>/dev/null)" = "PONG" ]; then
            ready=1
            break
        fi
        if grep -qi 'already in use' "$REDIS_TMP/redis.log" 2>/dev/null; then
            break
        fi
        sleep 0.1
    done
    [ -s "$REDIS_TMP/redis.pid" ] && REDIS_PID="$(cat "$REDIS_TMP/redis.pid")"
    if [ "$ready" -eq 1 ]; then
        break
    fi
    stop_redis
    if grep -qi 'already in use' "$REDIS_TMP/redis.log" 2>/dev/null; then
        log "port $port was taken meanwhile, trying another one"
        port=$((port + 1))
        REDIS_PORT=""
        continue
    fi
    cat "$REDIS_TMP/redis.log" >&2 2>/dev/null || true
    die "Redis on 127.0.0.1:$port not ready after ${READY_TIMEOUT}s"
done
[ -n "$REDIS_PORT" ] && [ -n "$REDIS_PID" ] || die "Redis could not find a free port to listen on"

# ---------------------------------------------------------------------------
# 5. Run the command
# ---------------------------------------------------------------------------
export DATABASE_URL="postgres://billing:billing@127.0.0.1:$PG_PORT/billing"
export REDIS_URL="redis://127.0.0.1:$REDIS_PORT/0"
log "DATABASE_URL=$DATABASE_URL"
log "REDIS_URL=$REDIS_URL"
log "running: $*"

set +e
"$@"
rc=$?
set -e
log "command exited with code $rc"
exit "$rc"
