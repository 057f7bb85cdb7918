#!/usr/bin/env bash
# Script test: crm_sales on a Citus cluster (docs/scale_out.md).  Builds
# Citus into the PostgreSQL tree the tests use (build-citus.sh from the
# vendored source; a missing source is a failure, never a skip), starts a
# coordinator and two workers with citus preloaded, creates crm_sales on
# the coordinator (Citus creates it on the workers) and checks:
#   - every aggregate of test/citus/aggregates.txt on tables distributed by
#     an entity or series key (test/citus/data.sql): the plan shape grouped
#     by the distribution column, by another column and without GROUP BY,
#     and the results against the same rows in a plain table;
#   - that every aggregate crm_sales ships has a line there;
#   - typed aggregates and config of a user model applied cluster-wide;
#   - the two-step forms docs/scale_out.md recommends for row-gather
#     aggregates;
#   - enforce_transition on a distributed table, its history kept by
#     distribute_history() on the workers, and the history functions over
#     it against the same moves on a single node (test/citus/history.sql).
# Prints "citus: N passed, N failed".
set -uo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
source "$root/scripts/common.sh"
SUITE=citus
source "$root/test/tap.sh"
here=$root/test/citus
work=$(mktemp -d /tmp/crm_citus.XXXXXX)
trap 'crm_stop_nodes; rm -rf "$work"' EXIT

# bail DESCRIPTION [LOG]: a failure that ends the suite
bail() {
	not_ok "$1"
	[ -n "${2:-}" ] && diag "$2"
	summary
	exit 1
}

# q NODE psql-arguments...: run on node 0 (coordinator), 1 or 2 (workers)
q() {
	local n=$1
	shift
	"$PG_BIN/psql" -X -q -At -v ON_ERROR_STOP=1 -h 127.0.0.1 -U postgres -d postgres \
		-p "${CRM_NODE_PORT[$n]}" "$@"
}

# is DESCRIPTION EXPECTED ACTUAL
is() {
	if [ "$2" = "$3" ]; then
		ok "$1"
	else
		not_ok "$1"
		printf 'expected: %s\ngot:      %s\n' "$2" "$3" | diag
	fi
}

crm_citus_build "$root" >"$work/build.log" 2>&1 ||
	bail "Citus built and installed into $($PG_BIN/pg_config --pkglibdir)" "$work/build.log"
ok "Citus $(sed -n "s/^default_version = '\(.*\)'$/\1/p" "$($PG_BIN/pg_config --sharedir)/extension/citus.control") installed in the tree the tests use"

cd "$root" || bail "cd $root"
crm_start_citus_cluster 2 >"$work/start.log" 2>&1 ||
	bail "coordinator and 2 workers started, citus created, workers added" "$work/start.log"
ok "coordinator and 2 workers started (ports ${CRM_NODE_PORT[*]}), citus created, workers added"

q 0 -c "CREATE EXTENSION crm_sales" >"$work/ext.log" 2>&1 ||
	bail "CREATE EXTENSION crm_sales on the coordinator" "$work/ext.log"
want=$(q 0 -c "SELECT extversion FROM pg_extension WHERE extname = 'crm_sales'")
for n in 1 2; do
	is "crm_sales $want on worker $n too" "$want" \
		"$(q $n -c "SELECT extversion FROM pg_extension WHERE extname = 'crm_sales'" 2>&1)"
done
is "workers active" 2 "$(q 0 -c "SELECT count(*) FROM citus_get_active_worker_nodes()")"

{ q 0 -f "$here/data.sql" && q 0 -f "$here/checks.sql"; } >"$work/data.log" 2>&1 ||
	bail "test data distributed over 32 shards" "$work/data.log"
ok "test data distributed over 32 shards ($(q 0 -c "SELECT count(*) FROM pg_dist_shard") shards)"

# run_checks FILE: a SQL file whose checks print "ok|..." or "not ok|...|detail"
run_checks() {
	local good what detail
	if ! q 0 -F '|' -f "$1" >"$work/checks.out" 2>&1; then
		not_ok "$(basename "$1") ran to its end"
		diag "$work/checks.out"
	fi
	while IFS='|' read -r good what detail; do
		case $good in
		ok) ok "$what" ;;
		"not ok")
			not_ok "$what"
			echo "$detail" | cut -c1-2000 | diag
			;;
		esac
	done <"$work/checks.out"
}

# a user model: its type, config and typed aggregates on every node
run_checks "$here/models.sql"

# the aggregates: one line each in aggregates.txt
lines=$(grep -vE '^\s*(#|$)' "$here/aggregates.txt")
missing=$(q 0 -c "SELECT string_agg(DISTINCT p.proname, ', ') FROM pg_aggregate a
	JOIN pg_proc p ON p.oid = a.aggfnoid
	WHERE p.pronamespace = 'crm_sales'::regnamespace
	  AND p.proname <> ALL (\$\$$(echo "$lines" | sed -E 's/^[^|]*\| *crm_sales\.([a-z_0-9]+)\(.*/\1/' | sort -u | paste -sd, | sed 's/^/{/; s/$/}/')\$\$::text[])")
is "every aggregate of crm_sales has a line in test/citus/aggregates.txt" "" "$missing"

while IFS='|' read -r tbl call compare shape; do
	tbl=$(echo $tbl)
	call=$(echo "$call" | sed -E 's/^ +//; s/ +$//')
	compare=$(echo $compare)
	shape=$(echo $shape)
	if ! q 0 -F '|' -c "SELECT ok, description, replace(detail, E'\n', ' \\n ') FROM citus_suite.check_aggregate(
			'$tbl', \$call\$$call\$call\$, '$compare', '$shape')" >"$work/agg.out" 2>&1; then
		not_ok "$call on $tbl"
		diag "$work/agg.out"
		continue
	fi
	while IFS='|' read -r good what detail; do
		if [ "$good" = t ]; then
			ok "$what"
		else
			not_ok "$what"
			echo "$detail" | cut -c1-2000 | diag
		fi
	done <"$work/agg.out"
done <<<"$lines"

# the two-step forms for aggregates whose rows Citus gathers
run_checks "$here/twostep.sql"

# enforced transitions and their history on a distributed table
run_checks "$here/history.sql"

summary
[ "$failed" -eq 0 ]
