#!/usr/bin/env bash
# The test command (README): installs what is missing, builds with -Werror
# (make WERROR=1), installs, starts a throwaway PostgreSQL 15 and runs every suite:
#   unit tests of src/core, pg_regress, isolation, the pg_dump round trip,
#   upgrades from every released version, funnel_agg over postgres_fdw shards,
#   a real client driver (psycopg 3), the docs' examples, the release metadata,
#   the sweep run by pg_cron, outbox consumers terminated mid-batch,
#   the fuzz suite (test/fuzz: a fixed seed, about a minute),
#   crm_sales on a Citus cluster (builds Citus once per machine, about 2 minutes).
# Ends with one line "N passed, N failed"; exits non-zero if anything failed.
set -uo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
source "$root/scripts/common.sh"

crm_base_packages || exit 1
crm_test_packages || exit 1
# the release-metadata and client suites are Python (psycopg 3: Debian's)
crm_need_packages python3 python3-psycopg || exit 1
cd "$root"
make -s PG_CONFIG=$PG_BIN/pg_config clean >/dev/null 2>&1 || true
echo "== build (PostgreSQL flags + -Wall -Wextra -Werror)"
if ! crm_build_install "$root"; then
	echo "build failed"
	echo "0 passed, 1 failed"
	exit 1
fi

passed=0
failed=0
logdir=$(mktemp -d /tmp/crm_sales_test.XXXXXX)

# Add the counts of a suite's "... ok" / "... FAILED" lines from file $1;
# $2 is the suite's exit status.  A suite that ran no test, or failed with
# no failing test to show for it (a connection error, say), is one failure.
count_pg_regress() {
	local ok bad
	ok=$(grep -cE '\.\.\. ok|^ok [0-9]+' "$1")
	bad=$(grep -cE '\.\.\. FAILED|\.\.\. failed|^not ok [0-9]+' "$1")
	if [ $((ok + bad)) -eq 0 ] || { [ "$2" -ne 0 ] && [ "$bad" -eq 0 ]; }; then
		echo "   the suite did not run (exit status $2):"
		tail -5 "$1" | sed 's/^/   | /'
		bad=$((bad + 1))
	fi
	passed=$((passed + ok))
	failed=$((failed + bad))
	echo "   $ok passed, $bad failed"
}

# Add the counts of a "name: N passed, N failed" line from file $1.
count_summary() {
	local line p f
	line=$(grep -E '^[a-z_]+: [0-9]+ passed, [0-9]+ failed' "$1" | tail -1)
	if [ -z "$line" ]; then
		echo "   no summary line: counted as one failure"
		failed=$((failed + 1))
		return
	fi
	p=$(echo "$line" | sed -E 's/.*: ([0-9]+) passed.*/\1/')
	f=$(echo "$line" | sed -E 's/.* ([0-9]+) failed.*/\1/')
	passed=$((passed + p))
	failed=$((failed + f))
	echo "   $line"
}

echo "== unit tests of src/core"
make -s PG_CONFIG=$PG_BIN/pg_config WERROR=1 unitcheck >"$logdir/unit.log" 2>&1
grep -E '^FAIL' "$logdir/unit.log"
count_summary "$logdir/unit.log"

trap 'crm_stop_server; rm -rf "$logdir"' EXIT
crm_start_server || { echo "0 passed, 1 failed"; exit 1; }

echo "== pg_regress"
make -s PG_CONFIG=$PG_BIN/pg_config installcheck ISOLATION= >"$logdir/regress.log" 2>&1
rc=$?
grep -E '^(test| )' "$logdir/regress.log" | grep -E '\.\.\.'
[ -f regression.diffs ] && head -100 regression.diffs
count_pg_regress "$logdir/regress.log" "$rc"

echo "== isolation"
make -s PG_CONFIG=$PG_BIN/pg_config installcheck REGRESS= >"$logdir/isolation.log" 2>&1
rc=$?
grep -E '^(test| )' "$logdir/isolation.log" | grep -E '\.\.\.'
[ -f output_iso/regression.diffs ] && head -100 output_iso/regression.diffs
count_pg_regress "$logdir/isolation.log" "$rc"

crm_stop_server

# Run script test $2 (log name $1); its failing checks start with $3.  A
# script that fails without a failing check counts as one failure.
run_script_suite() {
	local name=$1 script=$2 failmark=$3 rc
	case $script in
	*.py) /usr/bin/python3 "$root/$script" >"$logdir/$name.log" 2>&1 ;;
	*) bash "$root/$script" >"$logdir/$name.log" 2>&1 ;;
	esac
	rc=$?
	grep -E "$failmark" "$logdir/$name.log"
	count_summary "$logdir/$name.log"
	if [ "$rc" -ne 0 ] && ! grep -qE "$failmark" "$logdir/$name.log"; then
		echo "   $script failed (exit status $rc) without a failing check:"
		tail -5 "$logdir/$name.log" | sed 's/^/   | /'
		failed=$((failed + 1))
	fi
}

echo "== pg_dump / restore round trip"
run_script_suite dump test/dump/dump_restore.sh '^not ok'

echo "== upgrade from every released version"
run_script_suite upgrade test/upgrade/upgrade.sh '^not ok'

echo "== funnel_agg over postgres_fdw shards"
run_script_suite fdw test/fdw/shards.sh '^FAIL'

echo "== clients: every type and the BI functions through psycopg 3, text and binary"
run_script_suite clients test/clients/clients.sh '^not ok'

echo "== docs: the SQL examples of README.md and docs/*.md, and the outputs they show"
run_script_suite docs test/docs/docs.sh '^not ok'

echo "== release metadata (META.json against the PGXN spec, LICENSE, CHANGELOG.md, debian/changelog)"
run_script_suite meta test/package/test_meta.py '^not ok'

echo "== pg_cron runs the scheduled sweep"
run_script_suite pg_cron test/cron/pg_cron.sh '^not ok'

echo "== outbox: consumers terminated mid-batch"
run_script_suite outbox_crash test/outbox/consumer_crash.sh '^not ok'

echo "== fuzz: crafted inputs and states (seed ${CRM_FUZZ_SEED:-1}, ${CRM_FUZZ_SECONDS:-60} s)"
run_script_suite fuzz test/fuzz/run.sh '^not ok'

echo "== crm_sales on a Citus cluster (coordinator + 2 workers)"
citus_start=$SECONDS
run_script_suite citus test/citus/citus.sh '^not ok'
echo "   ($((SECONDS - citus_start)) s, Citus build included)"

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
