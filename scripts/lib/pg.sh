# shellcheck shell=bash
# pg.sh — a private PostgreSQL 15 + PostGIS cluster for Watchfloor, in the project's state dir.
#
# Sourced by scripts/pg, scripts/demo, scripts/test and the integration tests. The cluster
# lives in $WF_HOME/pg (default <repo>/.wf/pg) and listens only on a Unix socket in that
# directory (no TCP port, so it never clashes with a system PostgreSQL), with trust auth for
# the superuser "watchfloor" and socket permissions 0700: only the owner (and root) connect.
#
# PostgreSQL refuses to run as root, so as root the server runs as the `postgres` system user.
# When the repo lies under a directory that user cannot traverse (a `mktemp -d` checkout has
# mode 700), the cluster goes to /var/lib/watchfloor/<hash of the state dir> instead.
#
# Functions (all return non-zero with a message on stderr when something fails):
#   wf_pg_init            create the cluster, database watchfloor (+ postgis) and the template
#   wf_pg_start           start it (no-op when running; clears a stale postmaster.pid)
#   wf_pg_stop            stop it (no-op when stopped)
#   wf_pg_destroy         stop it and delete its directory
#   wf_pg_status          print where it is and whether it runs; 0 running, 3 stopped
#   wf_pg_env             print `export` lines: PGHOST PGPORT PGDATABASE PGUSER WF_PG_CONNINFO
#   wf_pg_psql [ARGS]     psql on the watchfloor database (or the one in ARGS)
#   wf_pg_create_db NAME  scratch database with postgis (from the template), for a test
#   wf_pg_drop_db NAME    drop it (forcing out connections)

WF_PG_BIN=${WF_PG_BIN:-/usr/lib/postgresql/15/bin}
WF_PG_PORT=${WF_PG_PORT:-5432}     # names the socket file only: there is no TCP listener
WF_PG_USER=watchfloor              # bootstrap superuser, trust auth on the private socket
WF_PG_DB=watchfloor
WF_PG_TEMPLATE=watchfloor_template # postgis preinstalled: scratch databases in ~100 ms

wf_pg__repo() { (cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd); }

# Sets WF_PG_BASE, WF_PG_DATA, WF_PG_SOCKDIR, WF_PG_LOG, WF_PG_RUNAS, WF_PG_NOTE.
wf_pg__layout() {
    local state hash probe
    state=${WF_HOME:-$(wf_pg__repo)/.wf}
    case $state in /*) ;; *) state=$(pwd)/$state ;; esac
    hash=$(printf '%s' "$state" | sha1sum | cut -c1-12)
    WF_PG_BASE=$state/pg
    WF_PG_RUNAS=
    WF_PG_NOTE=
    if [ "$(id -u)" -eq 0 ]; then
        if ! getent passwd postgres >/dev/null; then
            echo "pg: running as root needs the postgres system user (scripts/setup)" >&2
            return 1
        fi
        WF_PG_RUNAS=postgres
        probe=$state
        while [ ! -e "$probe" ]; do probe=$(dirname "$probe"); done
        if ! (cd / && runuser -u postgres -- test -x "$probe"); then
            WF_PG_BASE=/var/lib/watchfloor/$hash
            WF_PG_NOTE="pg: user postgres cannot enter $probe; cluster kept in $WF_PG_BASE"
        fi
    fi
    WF_PG_DATA=$WF_PG_BASE/data
    WF_PG_LOG=$WF_PG_BASE/postgresql.log
    WF_PG_SOCKDIR=$WF_PG_BASE
    # a socket path has at most 107 bytes; deep checkouts put the socket in /tmp instead
    if [ $((${#WF_PG_SOCKDIR} + 20)) -gt 107 ]; then
        WF_PG_SOCKDIR=/tmp/wf-pg-$hash
    fi
}

# Runs a PostgreSQL program as the cluster's owner, from / (initdb and pg_ctl need a
# readable working directory).
wf_pg__as_owner() {
    if [ -n "$WF_PG_RUNAS" ]; then
        (cd / && runuser -u "$WF_PG_RUNAS" -- "$@")
    else
        (cd / && "$@")
    fi
}

wf_pg__mkdir() {
    local dir=$1
    (umask 022 && mkdir -p "$dir") || return 1
    chmod 700 "$dir"
    if [ -n "$WF_PG_RUNAS" ]; then chown "$WF_PG_RUNAS:" "$dir"; fi
}

wf_pg__check_bin() {
    if [ ! -x "$WF_PG_BIN/initdb" ] || [ ! -x "$WF_PG_BIN/pg_ctl" ]; then
        echo "pg: PostgreSQL 15 not found in $WF_PG_BIN (run scripts/setup)" >&2
        return 1
    fi
}

# Prints the server's PID when this cluster's server is alive. pg_ctl status trusts any live
# process with the PID of postmaster.pid, which after a crash may be an unrelated program (and
# pg_ctl stop would signal it); a live server has its data directory as working directory.
wf_pg__server_pid() {
    local pid data
    [ -f "$WF_PG_DATA/postmaster.pid" ] || return 0
    pid=$(head -n1 "$WF_PG_DATA/postmaster.pid" 2>/dev/null) || return 0
    data=$(cd "$WF_PG_DATA" && pwd -P)
    if [[ $pid =~ ^[0-9]+$ ]] && [ "$(readlink "/proc/$pid/cwd" 2>/dev/null)" = "$data" ]; then
        echo "$pid"
    fi
}

wf_pg__running() { [ -n "$(wf_pg__server_pid)" ]; }

# psql as the superuser on the private socket; extra args follow (e.g. -d DB, -c SQL).
wf_pg__psql() {
    "$WF_PG_BIN/psql" -X -q -v ON_ERROR_STOP=1 -h "$WF_PG_SOCKDIR" -p "$WF_PG_PORT" \
        -U "$WF_PG_USER" "$@"
}

# The settings live in an include file rewritten at every start, so the socket path follows
# the state dir if the checkout moves.
wf_pg__configure() {
    local conf=$WF_PG_DATA/watchfloor.conf sock=${WF_PG_SOCKDIR//\'/\'\'}
    grep -q "^include_if_exists = 'watchfloor.conf'" "$WF_PG_DATA/postgresql.conf" ||
        printf "\ninclude_if_exists = 'watchfloor.conf'\n" >>"$WF_PG_DATA/postgresql.conf"
    cat >"$conf" <<EOF
# Watchfloor dev/CI settings, written by scripts/lib/pg.sh at every start: edit there.
listen_addresses = ''                 # Unix socket only: never clashes with another server
unix_socket_directories = '$sock'
unix_socket_permissions = 0700
port = $WF_PG_PORT
max_connections = 100
shared_buffers = 128MB
work_mem = 16MB
maintenance_work_mem = 128MB
max_wal_size = 1GB
max_locks_per_transaction = 256       # events is partitioned by month
jit = off                             # short queries: compiling costs more than it saves
timezone = 'UTC'
log_timezone = 'UTC'
log_line_prefix = '%m [%p] %d '
EOF
    if [ -n "$WF_PG_RUNAS" ]; then chown "$WF_PG_RUNAS:" "$conf" "$WF_PG_DATA/postgresql.conf"; fi
}

wf_pg_init() {
    wf_pg__layout && wf_pg__check_bin || return 1
    if [ -n "$WF_PG_NOTE" ]; then echo "$WF_PG_NOTE" >&2; fi
    if [ ! -f "$WF_PG_DATA/PG_VERSION" ]; then
        wf_pg__mkdir "$WF_PG_BASE" || return 1
        if [ "$WF_PG_SOCKDIR" != "$WF_PG_BASE" ]; then wf_pg__mkdir "$WF_PG_SOCKDIR" || return 1; fi
        echo "pg: creating cluster in $WF_PG_DATA"
        wf_pg__as_owner "$WF_PG_BIN/initdb" -D "$WF_PG_DATA" -U "$WF_PG_USER" --auth=trust \
            --encoding=UTF8 --no-locale >"$WF_PG_BASE/initdb.log" 2>&1 ||
            { cat "$WF_PG_BASE/initdb.log" >&2; echo "pg: initdb failed" >&2; return 1; }
    fi
    wf_pg_start || return 1
    local sql db
    for db in "$WF_PG_TEMPLATE" "$WF_PG_DB"; do
        sql="SELECT 1 FROM pg_database WHERE datname = '$db'"
        if [ -z "$(wf_pg__psql -d postgres -tAc "$sql")" ]; then
            echo "pg: creating database $db with postgis"
            wf_pg__psql -d postgres -c "CREATE DATABASE $db" &&
                wf_pg__psql -d "$db" -c "CREATE EXTENSION IF NOT EXISTS postgis" || return 1
        fi
    done
    wf_pg__psql -d postgres -c "ALTER DATABASE $WF_PG_TEMPLATE WITH IS_TEMPLATE true" || return 1
}

# A postmaster.pid left by a crash names a PID that is gone or now belongs to another program;
# the server would refuse to start next to it in the second case (e.g. after a container
# restart), so it goes, with the socket lock file beside the socket.
wf_pg__clear_stale_pid() {
    local pidfile=$WF_PG_DATA/postmaster.pid
    if [ -f "$pidfile" ] && ! wf_pg__running; then
        echo "pg: removing stale $pidfile (PID $(head -n1 "$pidfile") is not this cluster's server)"
        rm -f "$pidfile" "$WF_PG_SOCKDIR/.s.PGSQL.$WF_PG_PORT.lock"
    fi
}

wf_pg_start() {
    wf_pg__layout && wf_pg__check_bin || return 1
    if [ ! -f "$WF_PG_DATA/PG_VERSION" ]; then
        echo "pg: no cluster in $WF_PG_DATA (scripts/pg init)" >&2
        return 1
    fi
    if wf_pg__running; then
        echo "pg: already running (socket $WF_PG_SOCKDIR)"
        return 0
    fi
    wf_pg__clear_stale_pid
    wf_pg__configure || return 1
    if [ ! -d "$WF_PG_SOCKDIR" ]; then wf_pg__mkdir "$WF_PG_SOCKDIR" || return 1; fi
    wf_pg__as_owner "$WF_PG_BIN/pg_ctl" -D "$WF_PG_DATA" -l "$WF_PG_LOG" -w -t 60 start \
        >/dev/null ||
        { tail -n 20 "$WF_PG_LOG" >&2; echo "pg: start failed (log: $WF_PG_LOG)" >&2; return 1; }
    echo "pg: started (socket $WF_PG_SOCKDIR, log $WF_PG_LOG)"
}

wf_pg_stop() {
    wf_pg__layout || return 1
    if ! wf_pg__running; then return 0; fi
    wf_pg__as_owner "$WF_PG_BIN/pg_ctl" -D "$WF_PG_DATA" -m fast -w -t 60 stop >/dev/null &&
        echo "pg: stopped"
}

wf_pg_status() {
    wf_pg__layout || return 1
    if [ -n "$WF_PG_NOTE" ]; then echo "$WF_PG_NOTE"; fi
    echo "data:   $WF_PG_DATA"
    echo "socket: $WF_PG_SOCKDIR/.s.PGSQL.$WF_PG_PORT"
    echo "log:    $WF_PG_LOG"
    if wf_pg__running; then echo "state:  running"; return 0; fi
    if [ -f "$WF_PG_DATA/PG_VERSION" ]; then
        echo "state:  stopped"
    else
        echo "state:  not created"
    fi
    return 3
}

# Single-quotes a value for the shell.
wf_pg__quote() { printf "'%s'" "${1//\'/\'\\\'\'}"; }

wf_pg_env() {
    wf_pg__layout || return 1
    local host=$WF_PG_SOCKDIR
    if [[ $host == *[\ \'\\]* ]]; then # libpq quoting: '…' with \ before ' and \
        host=${host//\\/\\\\}
        host="'${host//\'/\\\'}'"
    fi
    local conninfo="host=$host port=$WF_PG_PORT dbname=$WF_PG_DB user=$WF_PG_USER"
    echo "export PGHOST=$(wf_pg__quote "$WF_PG_SOCKDIR")"
    echo "export PGPORT=$WF_PG_PORT"
    echo "export PGDATABASE=$WF_PG_DB"
    echo "export PGUSER=$WF_PG_USER"
    echo "# pg.conninfo for the wf-* programs (WF_PG_CONNINFO is the key's environment form)"
    echo "export WF_PG_CONNINFO=$(wf_pg__quote "$conninfo")"
}

wf_pg_psql() {
    wf_pg__layout || return 1
    local has_db=
    for arg in "$@"; do case $arg in -d | --dbname* | -l | --list) has_db=1 ;; esac; done
    if [ -n "$has_db" ]; then wf_pg__psql "$@"; else wf_pg__psql -d "$WF_PG_DB" "$@"; fi
}

# Stops the cluster and deletes its directory (data, log, socket): the next init starts afresh.
wf_pg_destroy() {
    wf_pg__layout || return 1
    wf_pg_stop || return 1
    if [ -f "$WF_PG_DATA/PG_VERSION" ] || [ -d "$WF_PG_BASE" ]; then
        rm -rf "$WF_PG_BASE"
        echo "pg: deleted $WF_PG_BASE"
    fi
    if [ "$WF_PG_SOCKDIR" != "$WF_PG_BASE" ]; then rm -rf "$WF_PG_SOCKDIR"; fi
}

wf_pg__check_name() {
    [[ $1 =~ ^[a-z_][a-z0-9_]{0,62}$ ]] ||
        { echo "pg: database name '$1' must match [a-z_][a-z0-9_]* (at most 63)" >&2; return 1; }
}

# Creates a scratch database NAME (postgis already installed); replaces an existing one.
wf_pg_create_db() {
    wf_pg__check_name "${1:-}" && wf_pg__layout || return 1
    printf '%s\n' 'SET client_min_messages = warning;' \
        'DROP DATABASE IF EXISTS :"db" WITH (FORCE);' \
        'CREATE DATABASE :"db" TEMPLATE :"template";' |
        wf_pg__psql -d postgres -v db="$1" -v template="$WF_PG_TEMPLATE"
}

wf_pg_drop_db() {
    wf_pg__check_name "${1:-}" && wf_pg__layout || return 1
    printf '%s\n' 'SET client_min_messages = warning;' \
        'DROP DATABASE IF EXISTS :"db" WITH (FORCE);' |
        wf_pg__psql -d postgres -v db="$1"
}
