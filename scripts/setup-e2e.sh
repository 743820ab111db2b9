#!/usr/bin/env bash
# Prepares everything the Go browser tests in e2e/ need, without any download
# outside the package registries:
#   - Chromium from Debian (/usr/bin/chromium),
#   - the pinned npm packages in e2e/ (playwright-core = Playwright driver, axe-core),
#   - e2e/.driver/, a Playwright driver directory made of two symlinks
#     (package -> e2e/node_modules/playwright-core, node -> the system node).
#
# Idempotent: when everything is already in place it only re-checks and exits.
# Safe to run non-interactively (CI=true, no stdin) as root on Debian 12, and as
# a normal user with passwordless sudo.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
E2E="$ROOT/e2e"
DRIVER_DIR="$E2E/.driver"
CHROMIUM="/usr/bin/chromium"
STAMP="$E2E/node_modules/.setup-e2e.stamp"

log() { printf 'setup-e2e: %s\n' "$*"; }

# shellcheck source=lib/apt.sh
source "$ROOT/scripts/lib/apt.sh"

# 1. Node.js (normally already on the machine).
if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
	apt_install nodejs npm
fi

# 2. Chromium from Debian.
if [[ ! -x "$CHROMIUM" ]]; then
	apt_install chromium
fi

# 3. Pinned npm packages (npm ci only when needed).
if [[ ! -d "$E2E/node_modules" || ! -f "$STAMP" \
	|| "$E2E/package-lock.json" -nt "$STAMP" || "$E2E/package.json" -nt "$STAMP" ]]; then
	log "npm ci in e2e/"
	(cd "$E2E" && CI=true npm ci --no-audit --no-fund --ignore-scripts --loglevel=error </dev/null)
	touch "$STAMP"
fi

# 4. Driver directory for playwright-go (symlinks only, re-created every run).
mkdir -p "$DRIVER_DIR"
ln -sfn ../node_modules/playwright-core "$DRIVER_DIR/package"
ln -sfn "$(command -v node)" "$DRIVER_DIR/node"

# 5. Cheap sanity checks.
for f in "$DRIVER_DIR/package/cli.js" "$E2E/node_modules/axe-core/axe.min.js" "$CHROMIUM"; do
	if [[ ! -e "$f" ]]; then
		log "missing after setup: $f" >&2
		exit 1
	fi
done
pw_version="$(node -p 'require(process.argv[1]).version' "$DRIVER_DIR/package/package.json")"
log "ready: playwright-core $pw_version, $("$DRIVER_DIR/node" --version | tr -d '\n') node, chromium at $CHROMIUM"
