# shellcheck shell=bash
# apt_install, for the setup scripts: source this file, then
#
#   apt_install [apt-get option...] PKG...
#
# installs the packages dpkg does not have yet, and nothing when it has them
# all. `apt-get update` runs at most once per script run: first when the
# package lists do not offer a package, or after an install that failed with
# stale lists. It never reads stdin and never asks: it works as root (CI=true,
# no terminal) and as a normal user with passwordless sudo. apt's own output
# goes to stderr, since a script's stdout may be its result; messages go
# through the script's log function.

declare -F log >/dev/null || log() { printf '%s\n' "$*" >&2; }

APT_UPDATED=0

apt_install() {
	local arg opts=() missing=()
	for arg in "$@"; do
		if [[ "$arg" == -* ]]; then
			opts+=("$arg")
		elif [[ "$(dpkg-query -W -f='${db:Status-Status}' "$arg" 2>/dev/null)" != "installed" ]]; then
			missing+=("$arg")
		fi
	done
	if [[ ${#missing[@]} -eq 0 ]]; then
		return 0
	fi
	if [[ "$(id -u)" -ne 0 ]] && ! command -v sudo >/dev/null 2>&1; then
		log "not root and no sudo: cannot install ${missing[*]}" >&2
		return 1
	fi
	if ! apt_offers "${missing[@]}"; then
		apt_update || return 1
	fi
	log "apt-get install ${missing[*]}"
	if ! apt_get install "${opts[@]}" "${missing[@]}"; then
		[[ "$APT_UPDATED" -eq 0 ]] || return 1
		apt_update || return 1
		apt_get install "${opts[@]}" "${missing[@]}"
	fi
}

apt_update() {
	if [[ "$APT_UPDATED" -eq 0 ]]; then
		log "apt-get update"
		apt_get update || return 1
		APT_UPDATED=1
	fi
}

# apt_offers succeeds when the current package lists have a candidate for
# every package.
apt_offers() {
	local pkg policy
	for pkg in "$@"; do
		# Captured first: with pipefail, `apt-cache ... | grep -q` can fail on SIGPIPE.
		policy="$(apt-cache policy "$pkg" 2>/dev/null || true)"
		if [[ "$policy" != *"Candidate: "* || "$policy" == *"Candidate: (none)"* ]]; then
			return 1
		fi
	done
}

# apt_get runs apt-get as root, without questions. DEBIAN_FRONTEND is passed
# through env because sudo drops the caller's environment.
apt_get() {
	local as_root=()
	if [[ "$(id -u)" -ne 0 ]]; then
		as_root=(sudo -n)
	fi
	"${as_root[@]}" env DEBIAN_FRONTEND=noninteractive apt-get -y -qq "$@" </dev/null >&2
}
