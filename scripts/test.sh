#!/usr/bin/env bash
# The test command (README): installs what is missing, builds with -Werror,
# installs, starts a throwaway PostgreSQL 15 and runs every suite:
#   unit tests of src/core, pg_regress, isolation, the pg_dump round trip.
# Ends with one line "N passed, N failed"; exits non-zero if anything failed.
set -uo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
source "$root/scripts/common.sh"

crm_base_packages || exit 1
cd "$root"
make -s clean >/dev/null 2>&1 || true
echo "== build (PostgreSQL flags + -Wall -Wextra -Werror)"
if ! crm_build_install "$root"; then
	echo "build failed"
	echo "0 passed, 1 failed"
	exit 1
fi

passed=0
failed=0
logdir=$(mktemp -d /tmp/crm_sales_test.XXXXXX)

# Add the counts of a suite's "... ok" / "... FAILED" lines from file $1.
count_pg_regress() {
	local ok bad
	ok=$(grep -cE '\.\.\. ok|^ok [0-9]+' "$1")
	bad=$(grep -cE '\.\.\. FAILED|\.\.\. failed|^not ok [0-9]+' "$1")
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
make -s unitcheck >"$logdir/unit.log" 2>&1
grep -E '^FAIL' "$logdir/unit.log"
count_summary "$logdir/unit.log"

trap 'crm_stop_server; rm -rf "$logdir"' EXIT
crm_start_server || { echo "0 passed, 1 failed"; exit 1; }

echo "== pg_regress"
make -s installcheck ISOLATION= >"$logdir/regress.log" 2>&1
grep -E '^(test| )' "$logdir/regress.log" | grep -E '\.\.\.'
[ -f regression.diffs ] && head -100 regression.diffs
count_pg_regress "$logdir/regress.log"

echo "== isolation"
make -s installcheck REGRESS= >"$logdir/isolation.log" 2>&1
grep -E '^(test| )' "$logdir/isolation.log" | grep -E '\.\.\.'
[ -f output_iso/regression.diffs ] && head -100 output_iso/regression.diffs
count_pg_regress "$logdir/isolation.log"

crm_stop_server

echo "== pg_dump / restore round trip"
bash "$root/test/dump/dump_restore.sh" >"$logdir/dump.log" 2>&1
grep -E '^not ok' "$logdir/dump.log"
count_summary "$logdir/dump.log"

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
