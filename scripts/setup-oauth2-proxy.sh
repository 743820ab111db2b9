#!/usr/bin/env bash
# Builds oauth2-proxy, the SSO proxy the e2e suite runs the app behind, and
# prints the binary's path as the last line of stdout:
#
#   export E2E_OAUTH2_PROXY=$(bash scripts/setup-oauth2-proxy.sh | tail -1)
#
# It is built from the Go module proxy with `go install` at a pinned
# version (about 4 minutes the first time) into a cache outside the
# checkout (OAUTH2_PROXY_CACHE, default ~/.cache/contactdesk), so that a
# clean checkout reuses it. Idempotent: quick when the binary is there.
set -euo pipefail

VERSION="v7.15.6"
CACHE="${OAUTH2_PROXY_CACHE:-${HOME:-/root}/.cache/contactdesk}"
DIR="${CACHE}/oauth2-proxy-${VERSION}"
BIN="${DIR}/bin/oauth2-proxy"

log() { printf 'setup-oauth2-proxy: %s\n' "$*" >&2; }

# go install leaves the version out of --version: a marker written after a
# good build says which one is there.
if [ -x "$BIN" ] && [ "$(cat "${DIR}/built" 2>/dev/null)" = "${VERSION}" ]; then
	log "ready: ${BIN} (${VERSION})"
	echo "$BIN"
	exit 0
fi
log "building oauth2-proxy ${VERSION} with go install (a few minutes the first time)"
mkdir -p "${DIR}/bin"
# Its own module graph, not the app's; built with the Go in use.
GOBIN="${DIR}/bin" GOFLAGS=-mod=mod go install "github.com/oauth2-proxy/oauth2-proxy/v7@${VERSION}" >&2
"$BIN" --version >&2
echo "${VERSION}" > "${DIR}/built"
log "ready: ${BIN}"
echo "$BIN"
