# common.sh: shared by scripts/demo.sh, scripts/test.sh and the script tests.
# Installs what is missing (Debian packages), builds and installs the
# extension, and starts/stops a throwaway PostgreSQL 15 instance.
# Source it; it defines functions and sets nothing else.

PG_MAJOR=15
# CRM_PG_BIN lets a developer point at another (relocated) copy of the
# PostgreSQL tree, so two work trees can install side by side.
PG_BIN=${CRM_PG_BIN:-/usr/lib/postgresql/$PG_MAJOR/bin}

# Install the Debian packages among "$@" that are not installed yet.
crm_need_packages() {
	local missing=() p
	for p in "$@"; do
		dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
	done
	[ ${#missing[@]} -eq 0 ] && return 0
	if [ "$(id -u)" != 0 ]; then
		echo "missing Debian packages: ${missing[*]} (run as root to install them)" >&2
		return 1
	fi
	echo "installing: ${missing[*]}"
	apt-get update -qq >/dev/null
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}

# Packages every job needs: the server, its headers, a compiler.
crm_base_packages() {
	crm_need_packages postgresql-$PG_MAJOR postgresql-server-dev-$PG_MAJOR \
		postgresql-client-$PG_MAJOR make gcc libc6-dev
}

# Packages only the test command needs: pg_cron, whose suite
# (test/cron/pg_cron.sh) starts a server with it in shared_preload_libraries.
crm_test_packages() {
	crm_need_packages postgresql-$PG_MAJOR-cron
}

# Build with -Werror (make WERROR=1, see Makefile: our scripts stop at any
# warning; a plain `make` does not) and install into the PostgreSQL tree.
crm_build_install() {
	local root=$1
	make -C "$root" -s PG_CONFIG=$PG_BIN/pg_config WERROR=1 >/dev/null
	if [ "$(id -u)" = 0 ] || [ -w "$($PG_BIN/pg_config --sharedir)/extension" ]; then
		make -C "$root" -s PG_CONFIG=$PG_BIN/pg_config install >/dev/null
	else
		sudo make -C "$root" -s PG_CONFIG=$PG_BIN/pg_config install >/dev/null
	fi
}

# Run a command as the server's user: postgres when we are root.
crm_as_server_user() {
	if [ "$(id -u)" = 0 ]; then
		runuser -u postgres -- "$@"
	else
		"$@"
	fi
}

# A free TCP port on 127.0.0.1, starting the search at $1.
crm_free_port() {
	local p=${1:-54320}
	while (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; do
		p=$((p + 1))
	done
	echo "$p"
}

# Start a throwaway instance: sets CRM_TMP, PGDATA, PGHOST, PGPORT, PGUSER.
# Extra server settings can be passed as arguments ("-c name=value" ...).
# CRM_SERVER_ENV, when set, is a list of NAME=value words given to the server
# processes only (test/sanitize/run.sh: the sanitizer runtime and options).
crm_start_server() {
	CRM_TMP=$(mktemp -d /tmp/crm_sales.XXXXXX)
	chmod 755 "$CRM_TMP"
	[ "$(id -u)" = 0 ] && chown postgres "$CRM_TMP"
	export PGDATA=$CRM_TMP/data
	export PGPORT=$(crm_free_port "${CRM_PORT_BASE:-54320}")
	export PGHOST=127.0.0.1
	export PGUSER=postgres
	export PGDATABASE=postgres
	crm_as_server_user $PG_BIN/initdb -D "$PGDATA" -U postgres -A trust -E UTF8 \
		--locale=C --no-sync >"$CRM_TMP/initdb.log" 2>&1 ||
		{ cat "$CRM_TMP/initdb.log"; return 1; }
	# A port that looked free may be taken before the server binds it (a
	# client's ephemeral port, another test): then try the next ones.
	local try
	for try in 1 2 3 4 5; do
		if crm_as_server_user env ${CRM_SERVER_ENV:-} $PG_BIN/pg_ctl -D "$PGDATA" -w -l "$CRM_TMP/server.log" \
			-o "-p $PGPORT -k $CRM_TMP -c listen_addresses=127.0.0.1 -c fsync=off $*" \
			start >/dev/null; then
			return 0
		fi
		grep -q "could not create any TCP/IP sockets" "$CRM_TMP/server.log" || break
		export PGPORT=$(crm_free_port $((PGPORT + 1)))
	done
	cat "$CRM_TMP/server.log"
	return 1
}

# Stop the instance started by crm_start_server and remove its directory.
crm_stop_server() {
	[ -n "${CRM_TMP:-}" ] && [ -d "$CRM_TMP" ] || return 0
	crm_as_server_user $PG_BIN/pg_ctl -D "$PGDATA" -m fast -w stop >/dev/null 2>&1 || true
	rm -rf "$CRM_TMP"
	CRM_TMP=
}

# For a script suite (test/*/...sh): start a throwaway instance, stopped
# when the script exits; if it cannot start, print the failed check and the
# suite's summary line ("$1: 0 passed, 1 failed") and exit.
crm_suite_server() {
	trap crm_stop_server EXIT
	if ! crm_start_server; then
		echo "not ok - throwaway server started"
		echo "$1: 0 passed, 1 failed"
		exit 1
	fi
}

# The directory holding the Citus source tarball and build-citus.sh: a test
# dependency kept outside the repository, in ../shared/vendor/citus beside
# the checkout; else beside the main checkout (when this is a git worktree),
# beside the repository this one was cloned from (a local clone), or in the
# workspace's /work/shared.  Only where CRM_CITUS_DIR says when it is set.
# Fails when there is none.
crm_citus_dir() {
	local root=$1 d common origin
	local -a candidates=()
	if [ -n "${CRM_CITUS_DIR:-}" ]; then
		candidates=("$CRM_CITUS_DIR")
	else
		candidates=("$root/../shared/vendor/citus")
		if common=$(git -C "$root" rev-parse --path-format=absolute --git-common-dir 2>/dev/null); then
			candidates+=("$(dirname "$common")/../shared/vendor/citus")
		fi
		if origin=$(git -C "$root" config --get remote.origin.url 2>/dev/null) && [ -d "$origin" ]; then
			candidates+=("$origin/../shared/vendor/citus")
		fi
		candidates+=("/work/shared/vendor/citus")
	fi
	for d in "${candidates[@]}"; do
		if [ -f "$d/build-citus.sh" ]; then
			(cd "$d" && pwd)
			return 0
		fi
	done
	return 1
}

# Build and install Citus into the PostgreSQL tree the tests use (PG_BIN's
# pg_config), from the tarball in crm_citus_dir; build-citus.sh does nothing
# when that version is installed already.  Fails, saying why, when the
# tarball is missing: the citus suite must not silently skip.
crm_citus_build() {
	local root=$1 dir
	if ! dir=$(crm_citus_dir "$root"); then
		echo "Citus source not found: expected build-citus.sh and citus-*.tar.gz in" \
			"${CRM_CITUS_DIR:-../shared/vendor/citus beside the checkout, its main checkout or the repository it was cloned from, or /work/shared/vendor/citus} (CRM_CITUS_DIR names another place)" >&2
		return 1
	fi
	if ! ls "$dir"/citus-*.tar.gz >/dev/null 2>&1; then
		echo "Citus source tarball missing in $dir" >&2
		return 1
	fi
	# what build-citus.sh compiles and links against (its own list, and the
	# ICU headers that PostgreSQL's pg_locale.h includes, which Citus's sources
	# reach): installed here, like every other package the tests need
	crm_need_packages postgresql-server-dev-$PG_MAJOR libicu-dev libcurl4-openssl-dev liblz4-dev libzstd-dev \
		libkrb5-dev libssl-dev libselinux1-dev libxml2-dev libxslt1-dev libpam0g-dev libreadline-dev \
		zlib1g-dev make gcc || return 1
	# with_llvm=no (a make variable given as on its command line): no LLVM
	# bitcode for JIT inlining, which the tests never use and which would
	# compile every source file a second time (with clang)
	MAKEFLAGS="${MAKEFLAGS:+$MAKEFLAGS }with_llvm=no" PG_CONFIG=$PG_BIN/pg_config bash "$dir/build-citus.sh"
}

# Start N throwaway instances (crm_start_server each, with the extra server
# settings "$@" after N), on free ports from CRM_PORT_BASE on.  Sets the
# arrays CRM_NODE_TMP and CRM_NODE_PORT (index 0..N-1) and leaves PGHOST,
# PGUSER and PGDATABASE set; PGPORT is node 0's.  On failure stops those
# already started.
crm_start_nodes() {
	local n=$1 i base=${CRM_PORT_BASE:-54320}
	shift
	declare -g -a CRM_NODE_TMP=() CRM_NODE_PORT=()
	for ((i = 0; i < n; i++)); do
		if ! CRM_PORT_BASE=$base crm_start_server "$@"; then
			crm_stop_nodes
			return 1
		fi
		CRM_NODE_TMP[i]=$CRM_TMP
		CRM_NODE_PORT[i]=$PGPORT
		base=$((PGPORT + 1))
	done
	CRM_TMP=
	export PGPORT=${CRM_NODE_PORT[0]}
}

# Stop and remove every instance started by crm_start_nodes.
crm_stop_nodes() {
	local i
	for i in "${!CRM_NODE_TMP[@]}"; do
		CRM_TMP=${CRM_NODE_TMP[i]} PGDATA=${CRM_NODE_TMP[i]}/data crm_stop_server
	done
	CRM_NODE_TMP=()
	CRM_NODE_PORT=()
}

# Start a local Citus cluster: a coordinator (node 0) and $1 workers (nodes
# 1..$1), with citus preloaded and extra settings "$@" after the count;
# creates citus on every node, registers the coordinator and adds the
# workers.  crm_sales is left to the caller.  Stop it with crm_stop_nodes.
crm_start_citus_cluster() {
	local workers=$1 i
	shift
	crm_start_nodes $((workers + 1)) -c shared_preload_libraries=citus \
		-c max_prepared_transactions=100 -c citus.node_conninfo=sslmode=disable "$@" || return 1
	for i in "${!CRM_NODE_PORT[@]}"; do
		"$PG_BIN/psql" -X -q -v ON_ERROR_STOP=1 -p "${CRM_NODE_PORT[i]}" \
			-c "CREATE EXTENSION citus" >/dev/null || { crm_stop_nodes; return 1; }
	done
	"$PG_BIN/psql" -X -q -v ON_ERROR_STOP=1 -p "${CRM_NODE_PORT[0]}" \
		-c "SELECT citus_set_coordinator_host('127.0.0.1', ${CRM_NODE_PORT[0]})" >/dev/null ||
		{ crm_stop_nodes; return 1; }
	for ((i = 1; i <= workers; i++)); do
		"$PG_BIN/psql" -X -q -v ON_ERROR_STOP=1 -p "${CRM_NODE_PORT[0]}" \
			-c "SELECT citus_add_node('127.0.0.1', ${CRM_NODE_PORT[i]})" >/dev/null ||
			{ crm_stop_nodes; return 1; }
	done
}
