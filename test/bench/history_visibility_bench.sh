#!/usr/bin/env bash
# history_visibility_bench.sh: what does the row security of
# crm_sales.stage_history (a role reads the history of the tables it may
# SELECT from; docs/security.md) cost the history functions?
#
# A benchmark script, not a timed test: it prints the times and ratios of
# one run and exits 0 whatever they are (non-zero only if it could not run,
# or a query answered differently with and without the restriction).
#
# Data: 1,000,000 history rows (BENCH_ENTITIES entities x 5 moves, spread
# over 4 tables bench.t1..t4, along three legal paths of the sales model),
# written straight into the table.  Every query runs as a role that may
# SELECT from all four tables, so it reads the same 1,000,000 rows in every
# variant and the answers must be equal:
#   off     row security disabled on stage_history (0.1.0: no restriction)
#   on      the shipped policy, crm_sales.history_visible(table_name)
#   naive   a policy on has_table_privilege(table_name, 'SELECT') instead,
#           for comparison (what the C function's per-statement memory saves)
# and, for reference, "half": the shipped policy for a role that may read
# two of the four tables (it reads half the rows, so it answers differently
# and is not a cost).
# Each query runs BENCH_ROUNDS times per variant, variants interleaved; the
# figure is the median server execution time (EXPLAIN ANALYZE, no per-node
# timing), with no parallel workers (the machine has 2 cores and is shared).
#
# Usage: CRM_PORT_BASE=55800 bash test/bench/history_visibility_bench.sh
# Environment: BENCH_ENTITIES=200000 BENCH_ROUNDS=5 BENCH_NO_BUILD=1 (skip
# building and installing).
set -uo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
source "$root/scripts/common.sh"
ENTITIES=${BENCH_ENTITIES:-200000}
ROUNDS=${BENCH_ROUNDS:-5}

die() {
	echo "history_visibility_bench: $*" >&2
	exit 1
}

crm_base_packages || die "missing packages"
if [ "${BENCH_NO_BUILD:-0}" != 1 ]; then
	crm_build_install "$root" || die "build failed"
fi
trap crm_stop_server EXIT
crm_start_server -c shared_buffers=512MB -c work_mem=64MB -c jit=off \
	-c max_parallel_workers_per_gather=0 -c autovacuum=off || die "server did not start"
psql() { "$PG_BIN/psql" -X -q -v ON_ERROR_STOP=1 "$@"; }

echo "== crm_sales history visibility benchmark"
echo "   $(psql -At -c 'SELECT version()' | sed 's/ on .*//'), port $PGPORT, $(nproc) cores"
echo "   load before: $(cut -d' ' -f1-3 /proc/loadavg)"

psql -v entities="$ENTITIES" <<'EOF' >/dev/null || die "setup failed"
SET client_min_messages = warning;
CREATE EXTENSION crm_sales;
CREATE SCHEMA bench;
CREATE TABLE bench.t1 (id int PRIMARY KEY, stage crm_sales.sales_stage);
CREATE TABLE bench.t2 (LIKE bench.t1);
CREATE TABLE bench.t3 (LIKE bench.t1);
CREATE TABLE bench.t4 (LIKE bench.t1);
-- entity e of table t(1 + e % 4) moves along one of three legal paths,
-- five moves each, one to six days apart
INSERT INTO crm_sales.stage_history (table_name, entity_id, model, from_stage, to_stage, changed_at, changed_by)
SELECT ('bench.t' || (1 + e % 4))::regclass, e::text, 'crm_sales.sales_stage',
	   lag(p.stage) OVER (PARTITION BY e ORDER BY p.k), p.stage,
	   timestamptz '2024-01-01 00:00+00' + e * interval '1 minute' + p.k * (1 + e % 6) * interval '1 day',
	   'bench'
  FROM generate_series(1, :entities) e,
	   LATERAL unnest(CASE e % 3
				WHEN 0 THEN ARRAY['lead_generation', 'initial_contact', 'needs_analysis', 'proposal', 'closed_won']
				WHEN 1 THEN ARRAY['lead_generation', 'initial_contact', 'needs_analysis', 'proposal', 'closed_lost']
				ELSE ARRAY['lead_generation', 'initial_contact', 'closed_lost', 'lead_generation', 'initial_contact']
			  END) WITH ORDINALITY AS p(stage, k);
VACUUM (FREEZE, ANALYZE) crm_sales.stage_history;
CREATE ROLE bench_all;
CREATE ROLE bench_half;
GRANT USAGE ON SCHEMA bench TO bench_all, bench_half;
GRANT SELECT ON bench.t1, bench.t2, bench.t3, bench.t4 TO bench_all;
GRANT SELECT ON bench.t1, bench.t2 TO bench_half;
-- EXPLAIN ANALYZE of a query, as a role: its execution time in ms
CREATE FUNCTION bench.run_ms(q text) RETURNS float8 LANGUAGE plpgsql AS $$
DECLARE
	plan json;
BEGIN
	EXECUTE 'EXPLAIN (ANALYZE, TIMING OFF, SUMMARY ON, FORMAT JSON) ' || q INTO plan;
	RETURN (plan -> 0 ->> 'Execution Time')::float8;
END $$;
GRANT USAGE ON SCHEMA bench TO PUBLIC;
GRANT EXECUTE ON FUNCTION bench.run_ms(text) TO PUBLIC;
CREATE ROLE bench_nobody;
CREATE POLICY naive ON crm_sales.stage_history TO bench_nobody
	USING (pg_catalog.has_table_privilege(table_name, 'SELECT'));
EOF
[ $? = 0 ] || die "setup failed"
rows=$(psql -At -c "SELECT count(*) FROM crm_sales.stage_history")
echo "   $rows history rows in 4 tables"

# The policies of each variant.  The naive policy exists from the start but
# applies to nobody until its variant; policies of one command are ORed, so
# the shipped one is then limited to nobody in turn.
set_variant() {
	case $1 in
	off) psql -c "ALTER TABLE crm_sales.stage_history DISABLE ROW LEVEL SECURITY" ;;
	on | half) psql -c "ALTER TABLE crm_sales.stage_history ENABLE ROW LEVEL SECURITY" \
		-c "ALTER POLICY naive ON crm_sales.stage_history TO bench_nobody" \
		-c "ALTER POLICY history_of_readable_tables ON crm_sales.stage_history TO PUBLIC" ;;
	naive) psql -c "ALTER TABLE crm_sales.stage_history ENABLE ROW LEVEL SECURITY" \
		-c "ALTER POLICY naive ON crm_sales.stage_history TO PUBLIC" \
		-c "ALTER POLICY history_of_readable_tables ON crm_sales.stage_history TO bench_nobody" ;;
	esac
}
queries=(
	"SELECT count(*) FROM crm_sales.stage_history"
	"SELECT count(*) FROM crm_sales.stage_flow"
	"SELECT count(*) FROM crm_sales.furthest_stages('crm_sales.sales_stage')"
	"SELECT crm_sales.history_funnel('crm_sales.sales_stage')"
	"SELECT * FROM crm_sales.stage_conversion('crm_sales.sales_stage')"
	"SELECT * FROM crm_sales.time_in_stage('crm_sales.sales_stage')"
	"SELECT count(*) FROM crm_sales.furthest_stages('crm_sales.sales_stage', 'bench.t1')"
)
labels=(
	"count(*) of stage_history"
	"stage_flow"
	"furthest_stages(model)"
	"history_funnel(model)"
	"stage_conversion(model)"
	"time_in_stage(model)"
	"furthest_stages(model, one table)"
)
role_of() { [ "$1" = half ] && echo bench_half || echo bench_all; }

# the answers first: equal with and without the restriction
bad=0
for i in "${!queries[@]}"; do
	declare -A ans=()
	for v in off on naive; do
		set_variant $v >/dev/null
		ans[$v]=$(psql -At -c "SET ROLE bench_all" -c "${queries[$i]}" | md5sum | cut -c1-12)
	done
	if [ "${ans[off]}" != "${ans[on]}" ] || [ "${ans[off]}" != "${ans[naive]}" ]; then
		echo "   DIFFERENT answers for ${labels[$i]}: off ${ans[off]} on ${ans[on]} naive ${ans[naive]}"
		bad=1
	fi
done
set_variant half >/dev/null
half_rows=$(psql -At -c "SET ROLE bench_half" -c "SELECT count(*) FROM crm_sales.stage_history")
echo "   answers equal with and without the restriction: $([ $bad = 0 ] && echo yes || echo NO)"
echo "   a role that may read 2 of the 4 tables sees $half_rows rows"

declare -A MS
for i in "${!queries[@]}"; do
	for ((r = 1; r <= ROUNDS; r++)); do
		for v in off on naive half; do
			set_variant $v >/dev/null
			t=$(psql -At -c "SET ROLE $(role_of $v)" -c "SELECT bench.run_ms(\$q\$${queries[$i]}\$q\$)")
			MS[$i,$v]="${MS[$i,$v]:+${MS[$i,$v]} }$t"
		done
	done
done

median() { tr ' ' '\n' <<<"$1" | sort -g | awk '{ a[NR] = $1 } END { print (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2 }'; }
echo
echo "== median of $ROUNDS runs, ms (no parallel workers); ratio = with restriction / without"
printf '   %-34s %9s %9s %9s %7s %7s %9s\n' query off on naive on/off naive/off half
for i in "${!queries[@]}"; do
	off=$(median "${MS[$i,off]}")
	on=$(median "${MS[$i,on]}")
	naive=$(median "${MS[$i,naive]}")
	half=$(median "${MS[$i,half]}")
	awk -v l="${labels[$i]}" -v a="$off" -v b="$on" -v c="$naive" -v h="$half" \
		'BEGIN { printf "   %-34s %9.1f %9.1f %9.1f %7.2f %7.2f %9.1f\n", l, a, b, c, b / a, c / a, h }'
done
echo "   load after: $(cut -d' ' -f1-3 /proc/loadavg)"
exit $bad
