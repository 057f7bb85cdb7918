#!/usr/bin/env bash
# run.sh: the fuzz suite (issue 9, part 6).  Builds the test-only helper
# (fuzz_helper.c: calls the support functions of internal-state aggregates
# with crafted serialized states), starts a throwaway server, creates the
# extension and runs fuzz.py for a time budget with a fixed seed.  Checks:
# one per fuzz target (see fuzz.py), plus the server log: no backend
# "terminated by signal" (or exited as the postmaster treats a crash, or a
# sanitizer report).  Prints "ok - ..." / "not ok - ..." per check,
# then "fuzz: N passed, N failed"; exits non-zero if a check failed.
#
#   bash test/fuzz/run.sh                      # scripts/test.sh: seed 1, 60 s
#   bash test/fuzz/run.sh --seed 7 --seconds 1800
#   CRM_FUZZ_SEED=7 CRM_FUZZ_SECONDS=600 bash test/fuzz/run.sh
#
# Failing statements are also written, runnable, to the file named by
# --repro (default: a temporary file shown at the end when a check fails).
# Assumes the extension is built and installed (scripts/test.sh does it).
set -uo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
source "$root/scripts/common.sh"
SUITE=fuzz
source "$root/test/tap.sh"

seed=${CRM_FUZZ_SEED:-1}
seconds=${CRM_FUZZ_SECONDS:-60}
repro=
while [ $# -gt 0 ]; do
	case $1 in
		--seed) seed=$2; shift 2 ;;
		--seconds) seconds=$2; shift 2 ;;
		--repro) repro=$2; shift 2 ;;
		*) echo "usage: $0 [--seed N] [--seconds S] [--repro FILE]" >&2; exit 2 ;;
	esac
done

# Debian's psycopg 3 (the driver) and the server headers (the helper).
if ! crm_need_packages python3-psycopg postgresql-server-dev-$PG_MAJOR make gcc; then
	not_ok "the packages the fuzz suite needs are installed"
	summary
	exit 1
fi

work=$(mktemp -d /tmp/crm_sales_fuzz.XXXXXX)
chmod 755 "$work"
[ -n "$repro" ] || repro=$work/repro.sql
: >"$repro"
trap 'crm_stop_server; rm -rf "$work"' EXIT

# The helper: built here, loaded by absolute path, never installed.
cp "$root/test/fuzz/fuzz_helper.c" "$work/"
cat >"$work/Makefile" <<'EOF'
MODULES = fuzz_helper
PG_CPPFLAGS = -Wall -Wextra -Werror -Wno-unused-parameter
PGXS := $(shell $(PG_CONFIG) --pgxs)
include $(PGXS)
EOF
if ! make -s -C "$work" PG_CONFIG="$PG_BIN/pg_config" >"$work/build.log" 2>&1; then
	not_ok "the fuzz helper builds"
	diag "$work/build.log"
	summary
	exit 1
fi
chmod 755 "$work/fuzz_helper.so"

if ! crm_start_server; then
	not_ok "a throwaway server starts"
	summary
	exit 1
fi
[ "$(id -u)" = 0 ] && chown -R postgres "$work"
crm_as_server_user "$PG_BIN/psql" -X -q -v ON_ERROR_STOP=1 -c "CREATE EXTENSION crm_sales" >/dev/null ||
	{ not_ok "CREATE EXTENSION crm_sales"; summary; exit 1; }

echo "# seed $seed, $seconds s; failing statements go to $repro"
# a hung driver must not hang the test command: twice the budget, plus setup
timeout --kill-after=10 $((${seconds%.*} * 2 + 120)) /usr/bin/python3 "$root/test/fuzz/fuzz.py" \
	--dsn "host=$PGHOST port=$PGPORT user=postgres dbname=postgres" \
	--seed "$seed" --seconds "$seconds" --helper "$work/fuzz_helper.so" \
	--repro "$repro" >"$work/fuzz.out" 2>&1
rc=$?
cat "$work/fuzz.out"
passed=$((passed + $(grep -c '^ok - ' "$work/fuzz.out")))
failed=$((failed + $(grep -c '^not ok - ' "$work/fuzz.out")))
if [ "$rc" -ne 0 ] && ! grep -q '^not ok - ' "$work/fuzz.out"; then
	not_ok "fuzz.py ran to its end (exit status $rc)"
	tail -20 "$work/fuzz.out" | diag
fi

# a crash: a signal, or an exit the postmaster treats as one (a sanitizer's
# report, when the server runs under test/sanitize/run.sh, ends in exit(1))
crash='terminated by signal|server process \([0-9]+\) exited with exit code|runtime error:|ERROR: AddressSanitizer'
if grep -qE "$crash" "$CRM_TMP/server.log"; then
	not_ok "no backend terminated by a signal (server log)"
	grep -E -B2 -A2 "$crash" "$CRM_TMP/server.log" | diag
	cp "$CRM_TMP/server.log" /tmp/crm_sales_fuzz_server.log &&
		echo "# server log kept as /tmp/crm_sales_fuzz_server.log"
else
	ok "no backend terminated by a signal (server log)"
fi

if [ "$failed" -gt 0 ] && [ -s "$repro" ]; then
	echo "# failing statements (first 60 lines of $repro):"
	head -60 "$repro" | diag
	[ "$repro" = "$work/repro.sql" ] && cp "$repro" /tmp/crm_sales_fuzz_repro.sql &&
		echo "# kept as /tmp/crm_sales_fuzz_repro.sql"
fi
summary
[ "$failed" -eq 0 ]
