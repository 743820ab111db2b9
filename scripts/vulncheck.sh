#!/usr/bin/env bash
# Runs govulncheck (pinned in go.mod as a tool) over the repo, offline.
#
# The online vulnerability database cannot be reached from our machines, so
# the database is built locally from a pinned snapshot of the Go module
# golang.org/x/vulndb (its data/osv folder holds the OSV entries, and its
# cmd/indexdb turns them into a database govulncheck reads with -db file://).
# The built database is cached outside the checkout, under
# ${XDG_CACHE_HOME:-~/.cache}/contactdesk/vulndb/<version>/, so fresh clones
# on the same machine (CI) reuse it;
# a stamp file marks a finished build, so later runs skip straight to the scan.
#
# To pick up newer advisories, bump VULNDB_VERSION to a newer pseudo-version
# of the module (`go list -m golang.org/x/vulndb@<commit>` prints one); the
# next run builds the new database and drops the old one.
#
# Usage: scripts/vulncheck.sh [package patterns]   (default: ./...)
# Exit status is govulncheck's: 0 clean, 3 when our code calls a known
# vulnerability, anything else is an error.
set -euo pipefail

VULNDB_VERSION=v0.0.0-20261105234957-e22db6528018
VULNDB_MODULE=golang.org/x/vulndb

cd "$(dirname "$0")/.."
root=$PWD
cachedir="${XDG_CACHE_HOME:-$HOME/.cache}/contactdesk/vulndb"
mkdir -p "$cachedir"
cache="$cachedir/$VULNDB_VERSION"
db="$cache/db"
stamp="$cache/.built"
start=$SECONDS

tmp=$(mktemp -d "${TMPDIR:-/tmp}/vulncheck.XXXXXX")
trap 'rm -rf "$tmp"' EXIT

log() { printf 'vulncheck: %s\n' "$*" >&2; }

build_db() {
	local dir out entries
	log "building vulnerability database from $VULNDB_MODULE@$VULNDB_VERSION (first run only; cached in $cachedir)"
	mkdir -p "$cache" "$tmp/work"
	rm -rf "$cache"/db.tmp.* # left by an interrupted build

	# Run the go commands outside the repo so its go.mod (or a go.work) plays no part.
	if ! (cd "$tmp/work" && GOWORK=off go mod download -json "$VULNDB_MODULE@$VULNDB_VERSION") >"$tmp/download.json"; then
		cat "$tmp/download.json" >&2
		log "could not download $VULNDB_MODULE@$VULNDB_VERSION"
		return 1
	fi
	dir=$(sed -n 's/^[[:space:]]*"Dir": "\(.*\)",\{0,1\}$/\1/p' "$tmp/download.json")
	if [ -z "$dir" ] || [ ! -d "$dir/data/osv" ]; then
		cat "$tmp/download.json" >&2
		log "no data/osv folder in $VULNDB_MODULE@$VULNDB_VERSION (dir '$dir')"
		return 1
	fi
	entries=$(find "$dir/data/osv" -maxdepth 1 -name '*.json' | wc -l)

	(cd "$tmp/work" && GOWORK=off GOBIN="$tmp/bin" go install "$VULNDB_MODULE/cmd/indexdb@$VULNDB_VERSION")

	out=$(mktemp -d "$cache/db.tmp.XXXXXX")
	chmod 755 "$out"
	"$tmp/bin/indexdb" -vulns "$dir/data/osv" -out "$out"
	if [ ! -s "$out/index/modules.json" ] || [ "$(find "$out/ID" -name '*.json' | wc -l)" -ne "$entries" ]; then
		log "indexdb did not write a complete database to $out"
		return 1
	fi
	rm -rf "$db"
	mv "$out" "$db"
	printf '%s\n' "$entries" >"$stamp"

	# Drop databases built for other versions.
	find "$cachedir" -mindepth 1 -maxdepth 1 -type d ! -name "$VULNDB_VERSION" -exec rm -rf {} +
}

if [ ! -s "$stamp" ] || [ ! -s "$db/index/modules.json" ]; then
	build_db
fi
entries=$(cat "$stamp")

if [ "$#" -eq 0 ]; then
	set -- ./...
fi

# The full report goes to $cachedir/last-report.txt; the log shows at most
# VULNCHECK_TRACES example call traces per vulnerability (0 shows them all).
report="$cachedir/last-report.txt"
rc=0
go tool govulncheck -db "file://$db" "$@" 2>&1 | tee "$report" |
	awk -v max="${VULNCHECK_TRACES:-3}" -v report="$report" '
		/^Vulnerability #/ { n = 0 }
		/^      #[0-9]+: / { if (max > 0 && ++n > max) { hidden++; next } }
		hidden { printf "      ... %d more traces in %s\n", hidden, report; hidden = 0 }
		{ print }
		END { if (hidden) printf "      ... %d more traces in %s\n", hidden, report }
	' || rc=${PIPESTATUS[0]}

# Called vulnerabilities that are explicitly accepted (with a reason, in
# scripts/vulncheck-accepted.txt) do not fail the run; any other one does.
if [ "$rc" -eq 3 ]; then
	frc=0
	go tool govulncheck -db "file://$db" -format json "$@" | go run ./scripts/vulnfilter scripts/vulncheck-accepted.txt || frc=$?
	[ "$frc" -eq 0 ] && rc=0 || rc=$frc
fi

verdict=$(grep -m1 -E '^(Your code is affected by|No vulnerabilities found)' "$report" || true)
case $rc in
0) status="PASS (nothing called, or only accepted findings)" ;;
3) status="FAIL (our code calls known vulnerabilities)" ;;
*) status="ERROR (govulncheck exit $rc)" ;;
esac
printf 'vulncheck: %s: %s [vulndb %s, %s entries, %ss]\n' \
	"$status" "${verdict:-see output above}" "$VULNDB_VERSION" "$entries" "$((SECONDS - start))"
exit "$rc"
