#!/usr/bin/env bash
# Starts a throwaway PostgreSQL server for the tests of audit/ and prints its
# URL as the last line of stdout (everything else goes to stderr):
#
#   export AUDIT_TEST_DATABASE_URL=$(bash scripts/setup-postgres.sh | tail -1)
#
#   - installs Debian's `postgresql` if its server binaries are missing
#     (they live in /usr/lib/postgresql/<version>/bin);
#   - keeps the cluster in /var/tmp/contactdesk-postgres (AUDIT_PG_DIR), owned by the
#     `postgres` OS user (root may not run the server);
#   - listens on 127.0.0.1 only, port $AUDIT_PG_PORT (default 54329), no Unix
#     socket, trust authentication: a test server, with durability off;
#   - creates the database contactdesk_test.
#
# Idempotent and quick when the server is already up. Safe to run
# non-interactively (CI=true, no stdin) as root on Debian 12, and as a normal
# user (who then owns the cluster; installing needs passwordless sudo).
# Stop it with: runuser -u postgres -- /usr/lib/postgresql/*/bin/pg_ctl -D /var/tmp/contactdesk-postgres/data stop
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
PORT="${AUDIT_PG_PORT:-54329}"
DB="contactdesk_test"
URL="postgres://postgres@127.0.0.1:${PORT}/${DB}?sslmode=disable"

# Only what this script says: no client settings from the environment.
unset PGHOST PGHOSTADDR PGPORT PGUSER PGPASSWORD PGDATABASE PGSERVICE PGSSLMODE PGOPTIONS

log() { printf 'setup-postgres: %s\n' "$*" >&2; }
die() { log "$*"; exit 1; }

# shellcheck source=lib/apt.sh
source "$ROOT/scripts/lib/apt.sh"

# find_bindir prints the newest directory holding the server binaries.
find_bindir() {
	local d best=""
	while IFS= read -r d; do
		if [[ -x "$d/initdb" && -x "$d/pg_ctl" && -x "$d/postgres" ]]; then
			best="$d"
		fi
	done < <(printf '%s\n' /usr/lib/postgresql/*/bin | sort -V)
	if [[ -z "$best" ]] && command -v pg_ctl >/dev/null 2>&1; then
		d="$(dirname "$(readlink -f "$(command -v pg_ctl)")")"
		if [[ -x "$d/initdb" && -x "$d/postgres" ]]; then
			best="$d"
		fi
	fi
	[[ -n "$best" ]] && printf '%s\n' "$best"
}

# 1. The server binaries.
BIN="$(find_bindir || true)"
if [[ -z "$BIN" ]]; then
	apt_install --no-install-recommends postgresql
	BIN="$(find_bindir || true)"
	[[ -n "$BIN" ]] || die "postgresql is installed but no initdb/pg_ctl/postgres under /usr/lib/postgresql/*/bin"
fi
if [[ "$BIN" =~ ^/usr/lib/postgresql/([0-9]+)/bin$ ]]; then
	MAJOR="${BASH_REMATCH[1]}"
else # "postgres (PostgreSQL) 15.18 (Debian ...)"
	MAJOR="$("$BIN/postgres" --version | awk '{ split($3, v, "."); print v[1] }')"
fi

# 2. Who runs the server: root may not, so the `postgres` OS user (created by
#    the Debian package) does; anyone else runs it as themselves.
if [[ "$(id -u)" -eq 0 ]]; then
	id postgres >/dev/null 2>&1 || die "no 'postgres' OS user (it comes with Debian's postgresql-common)"
	OWNER="postgres"
	if command -v runuser >/dev/null 2>&1; then
		# (from /, which the postgres user can always enter)
		as_owner() { (cd / && runuser -u postgres -- "$@"); }
	else
		# shellcheck disable=SC2016 # $0 and $@ are the inner shell's
		as_owner() { (cd / && su postgres -s /bin/sh -c '"$0" "$@"' -- "$@"); }
	fi
else
	OWNER="$(id -un)"
	as_owner() { "$@"; }
fi

# 3. Where the cluster lives: one place per machine (AUDIT_PG_DIR, default
#    /var/tmp/contactdesk-postgres), shared by every checkout, so a fresh
#    clone (CI) reuses the server another checkout started on the same port.
CACHE="${AUDIT_PG_DIR:-/var/tmp/contactdesk-postgres}"
mkdir -p "$CACHE"
if [[ "$OWNER" == "postgres" ]]; then
	chown postgres:postgres "$CACHE"
fi
chmod 0700 "$CACHE"
DATA="$CACHE/data"
LOGFILE="$CACHE/server.log"

# One run at a time (two test jobs starting together). The server must not
# inherit this descriptor, or it would hold the lock for as long as it runs.
LOCK="$CACHE.lock"
exec 9>"$LOCK"
flock -w 120 9 || die "another run of this script holds $LOCK"

ready() { "$BIN/pg_isready" -q -h 127.0.0.1 -p "$PORT" -d postgres -U postgres -t 2; }
psql_admin() { "$BIN/psql" -X -q -v ON_ERROR_STOP=1 -h 127.0.0.1 -p "$PORT" -U postgres -d postgres "$@"; }

# 4. Fast path: already up and serving our cluster.
if ready && [[ "$(psql_admin -tAc 'SHOW data_directory' 2>/dev/null || true)" == "$DATA" ]]; then
	:
else
	if ready; then
		die "port $PORT on 127.0.0.1 is taken by another server; set AUDIT_PG_PORT to another port"
	fi

	# 5. The cluster: made once; made again if it is of another major version.
	if [[ -f "$DATA/PG_VERSION" && "$(cat "$DATA/PG_VERSION")" != "$MAJOR" ]]; then
		log "cluster in $DATA is PostgreSQL $(cat "$DATA/PG_VERSION"), the server is $MAJOR: recreating it"
		rm -rf "$DATA"
	fi
	if [[ ! -f "$DATA/PG_VERSION" ]]; then
		log "initdb $DATA (PostgreSQL $MAJOR)"
		rm -rf "$DATA"
		as_owner "$BIN/initdb" -D "$DATA" -U postgres -A trust -E UTF8 --locale=C --no-sync --no-instructions >&2
	fi

	# 6. Settings, rewritten on every start (so a new port takes effect).
	as_owner tee "$DATA/contactdesk.conf" >/dev/null <<EOF
# Written by scripts/setup-postgres.sh: a local test server.
listen_addresses = '127.0.0.1'
port = $PORT
unix_socket_directories = ''
max_connections = 200
fsync = off
synchronous_commit = off
full_page_writes = off
log_min_messages = warning
EOF
	if ! grep -qx "include 'contactdesk.conf'" "$DATA/postgresql.conf"; then
		printf "\ninclude 'contactdesk.conf'\n" | as_owner tee -a "$DATA/postgresql.conf" >/dev/null
	fi
	as_owner tee "$DATA/pg_hba.conf" >/dev/null <<'EOF'
# Written by scripts/setup-postgres.sh: loopback only, no passwords.
# TYPE  DATABASE  USER  ADDRESS        METHOD
local   all       all                  trust
host    all       all   127.0.0.1/32   trust
EOF

	# 7. Start it. A server of this cluster that runs but does not answer
	#    here (old settings) is stopped first; a postmaster.pid left by a
	#    server that is gone (machine restarted, PID since reused by another
	#    process) is removed, as postgres would refuse to start.
	PIDFILE="$DATA/postmaster.pid"
	if [[ -f "$PIDFILE" ]]; then
		pid="$(head -n 1 "$PIDFILE")"
		if [[ "$pid" =~ ^[0-9]+$ ]] && tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -qF -- " -D $DATA"; then
			log "the server of $DATA (PID $pid) does not answer on 127.0.0.1:$PORT: restarting it"
			as_owner "$BIN/pg_ctl" -D "$DATA" -m fast -w -t 30 stop >&2 || true
		else
			log "removing the stale $PIDFILE"
			rm -f "$PIDFILE"
		fi
	fi
	log "starting PostgreSQL $MAJOR on 127.0.0.1:$PORT (log: $LOGFILE)"
	if ! as_owner "$BIN/pg_ctl" -D "$DATA" -l "$LOGFILE" -w -t 60 start >&2 9>&-; then
		tail -n 30 "$LOGFILE" >&2 || true
		die "the server did not start"
	fi
	ready || die "the server started but does not answer on 127.0.0.1:$PORT"
fi

# 8. The test database.
if [[ "$(psql_admin -tAc "SELECT 1 FROM pg_database WHERE datname = '$DB'")" != "1" ]]; then
	log "creating database $DB"
	psql_admin -c "CREATE DATABASE $DB" >&2
fi

# 9. pg_trgm in its public schema. Tests migrate into schemas of their own
#    (db/dbtest) with public after them on the search path: without this, the
#    first test's migration would create the extension in its own schema, and
#    dropping that schema at its end would take it from every test running.
"$BIN/psql" -X -q -v ON_ERROR_STOP=1 -h 127.0.0.1 -p "$PORT" -U postgres -d "$DB" >&2 <<'SQL'
DO $$
BEGIN
	IF NOT EXISTS (SELECT 1 FROM pg_extension WHERE extname = 'pg_trgm') THEN
		CREATE EXTENSION pg_trgm WITH SCHEMA public;
	ELSIF (SELECT n.nspname FROM pg_extension e JOIN pg_namespace n ON n.oid = e.extnamespace WHERE e.extname = 'pg_trgm') <> 'public' THEN
		ALTER EXTENSION pg_trgm SET SCHEMA public;
	END IF;
END
$$;
SQL

printf '%s\n' "$URL"
