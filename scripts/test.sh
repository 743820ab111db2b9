#!/usr/bin/env bash
# Runs every check the project has: the one command in the README and CI.
#   vet, staticcheck, rowserrcheck, errcheck, deadcode (with and without tests), gofmt, templ drift, unit tests with -race, short fuzzing, benchmarks
#   as a smoke check, and the browser end-to-end suite.
set -euo pipefail
cd "$(dirname "$0")/.."

# Go 1.26.10 fixes standard-library vulnerabilities of earlier 1.26 releases;
# the go command fetches it once through the module proxy (about 10 s).
export GOTOOLCHAIN="${GOTOOLCHAIN_OVERRIDE:-go1.26.10}"

step() { printf '\n==> %s\n' "$*"; }

step "go mod download"
go mod download

step "templ generate (committed *_templ.go must be up to date)"
go tool templ generate -log-level error
go tool templ fmt -fail . >/dev/null
if [ -d .git ] && ! git diff --exit-code --stat -- '*_templ.go' '*.templ'; then
	echo "templ output differs from what is committed: run 'go tool templ generate' and commit" >&2
	exit 1
fi

step "gofmt"
unformatted=$(gofmt -l $(git ls-files '*.go' 2>/dev/null || find . -name '*.go' -not -path './e2e/node_modules/*'))
if [ -n "$unformatted" ]; then
	echo "not gofmt'ed: $unformatted" >&2
	exit 1
fi

step "go vet"
go vet ./...

step "cross-build: the platforms without flock(2) or unix sockets still compile"
GOOS=windows go build -o /dev/null ./...
GOOS=darwin go build -o /dev/null ./...

step "staticcheck (pinned in go.mod as a tool)"
go tool staticcheck ./...

step "rowserrcheck: every sql.Rows loop checks rows.Err() (pinned in go.mod as a tool)"
go tool rowserrcheck ./...

step "errcheck: no error dropped outside tests and the load test (pinned in go.mod as a tool)"
# scripts/errcheck-excludes.txt lists what may be ignored: closing and
# rolling back after the work was checked, and lines to a terminal.
go tool errcheck -ignoretests -exclude scripts/errcheck-excludes.txt $(go list ./... | grep -v /loadtest)

step "deadcode: no function unreachable from the commands and the tests (pinned in go.mod as a tool)"
dead="$(go tool deadcode -test ./...)"
if [ -n "$dead" ]; then
	echo "$dead" >&2
	exit 1
fi

step "deadcode of the commands alone: nothing in the app (or the load test) is there only for tests"
# The roots are the main packages (the app, the load test, vulnfilter). The
# packages they do not import are the test helpers (dbtest, sandboxtest,
# clienttest, handlertest, e2e): anything else out of their reach would
# escape this check.
commands=$(go list -f '{{if eq .Name "main"}}{{.ImportPath}}{{end}}' ./...)
outside=$(comm -23 <(go list ./... | sort) <(go list -deps $commands | sort) | grep -v -E '/(e2e|[a-z]+test)$' || true)
if [ -n "$outside" ]; then
	echo "no command imports these packages, so deadcode cannot judge them: $outside" >&2
	exit 1
fi
dead="$(go tool deadcode $commands)"
if [ -n "$dead" ]; then
	echo "$dead" >&2
	echo "only tests call these: move them into a _test.go file or a test helper package (as client/clienttest)" >&2
	exit 1
fi

step "govulncheck (offline database, cached after the first build)"
bash scripts/vulncheck.sh

step "PostgreSQL on loopback for the audit store tests"
AUDIT_TEST_DATABASE_URL="$(bash scripts/setup-postgres.sh | tail -n 1)"
export AUDIT_TEST_DATABASE_URL

step "unit tests (-race)"
go test -race -count=1 $(go list ./... | grep -v /e2e)

step "fuzz (a few seconds each; the committed corpus in testdata/fuzz is replayed by the unit tests)"
# New finds stay in the Go cache: the test command never writes into the checkout.
# Budgets are counts of inputs, not durations: with a duration, Go 1.26's fuzzing
# coordinator can report its own deadline as a failure ("context deadline
# exceeded", no input written) when a busy machine keeps a worker past it
# (Go issue 75804, fixed in Go 1.27). Each count is a few seconds here.
fuzz() { # package, target, inputs
	go test -run '^$' -fuzz "^$2\$" -fuzztime "${FUZZTIME:-$3}" "./$1/"
}
fuzz client FuzzErrorBody 20000x
fuzz handlers/contacts FuzzContactForm 5000x
fuzz handlers/contacts FuzzErrorMapping 5000x
fuzz bulk FuzzParse 10000x
fuzz index FuzzSearch 3000x

step "benchmarks (a smoke run: each a few times, no thresholds; see docs/load-report.md)"
go test -run '^$' -bench . -benchtime 20x ./handlers/ ./audit/ ./client/
INDEX_BENCH_CUSTOMERS=2000 go test -run '^$' -bench . -benchtime 2x ./index/
BULK_BENCH_CUSTOMERS=2000 BULK_BENCH_ROWS=500 BULK_BENCH_JOB_ROWS=50 go test -run '^$' -bench . -benchtime 2x ./bulk/
HYGIENE_BENCH_CUSTOMERS=2000 go test -run '^$' -bench . -benchtime 2x ./hygiene/

if [ -d e2e ] && ls e2e/*_test.go >/dev/null 2>&1; then
	step "end-to-end (Chromium; oauth2-proxy for the SSO test)"
	bash scripts/setup-e2e.sh
	E2E_OAUTH2_PROXY="$(bash scripts/setup-oauth2-proxy.sh | tail -n 1)"
	export E2E_OAUTH2_PROXY
	go test -count=1 ./e2e/...
fi
