#!/usr/bin/env bash
# Benchmark of funnel_agg (not a test; CI never runs it).  Prints times and
# ratios measured in one run on the generated deal-event table
# (test/bench/deal_events.sql), for each size given (default 1000000):
#   funnel_agg(step)           vs  SELECT sum(step)          (target <= 1.5x)
#   funnel_agg(step, amount)   vs  SELECT sum(amount)        (for reference)
#   funnel_agg(step) with 2 parallel workers vs none          (target >= 1.6x)
# (parallel runs: 2 workers, leader not scanning: the machine has 2 cores)
# Each query runs 5 times; the median is used.
#   CRM_PORT_BASE=55900 bash test/bench/funnel_bench.sh 1000000 10000000
set -uo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
source "$root/scripts/common.sh"
sizes=("$@")
[ ${#sizes[@]} -eq 0 ] && sizes=(1000000)

crm_base_packages || exit 1
crm_build_install "$root" || exit 1
trap crm_stop_server EXIT
crm_start_server -c shared_buffers=1GB -c max_parallel_workers_per_gather=2 \
	-c max_worker_processes=8 -c jit=off || exit 1
psql() { "$PG_BIN/psql" -X -q -v ON_ERROR_STOP=1 "$@"; }
psql -c "CREATE EXTENSION crm_sales"

# median of 5 runs of one query, in ms (server-side execution time)
median_ms() {
	local settings=$1 query=$2 i t times=()
	for i in 1 2 3 4 5; do
		t=$(psql -At -c "$settings" -c "EXPLAIN (ANALYZE, TIMING OFF, SUMMARY ON, FORMAT JSON) $query" |
			grep -o '"Execution Time": [0-9.]*' | grep -o '[0-9.]*$')
		times+=("$t")
	done
	printf '%s\n' "${times[@]}" | sort -g | sed -n 3p
}
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }'; }

serial="SET max_parallel_workers_per_gather = 0"
parallel="SET max_parallel_workers_per_gather = 2; SET parallel_setup_cost = 0; SET min_parallel_table_scan_size = 0; SET parallel_leader_participation = off"
for n in "${sizes[@]}"; do
	psql -v rows="$n" -f "$root/test/bench/deal_events.sql"
	psql -c "VACUUM (FREEZE) deal_events" -c "SELECT count(*) FROM deal_events" >/dev/null
	# the funnel and the plain counts agree before anything is timed
	ok=$(psql -At -c "SELECT (SELECT crm_sales.funnel_agg(step) FROM deal_events)::text =
		'{' || (SELECT string_agg(c::text, ',' ORDER BY s) FROM
			(SELECT s, count(*) FILTER (WHERE step >= s) AS c FROM deal_events, generate_series(1, 5) s GROUP BY s) t) || '}'")
	sum_int=$(median_ms "$serial" "SELECT sum(step) FROM deal_events")
	agg=$(median_ms "$serial" "SELECT crm_sales.funnel_agg(step) FROM deal_events")
	sum_num=$(median_ms "$serial" "SELECT sum(amount) FROM deal_events")
	agg_amt=$(median_ms "$serial" "SELECT crm_sales.funnel_agg(step, amount) FROM deal_events")
	par=$(median_ms "$parallel" "SELECT crm_sales.funnel_agg(step) FROM deal_events")
	par_amt=$(median_ms "$parallel" "SELECT crm_sales.funnel_agg(step, amount) FROM deal_events")
	par_sum=$(median_ms "$parallel" "SELECT sum(step) FROM deal_events")
	echo "rows=$n  funnel equals plain counts: $ok"
	echo "  sum(step) ${sum_int} ms | funnel_agg(step) ${agg} ms | ratio $(ratio "$agg" "$sum_int") (target <= 1.5)"
	echo "  sum(amount) ${sum_num} ms | funnel_agg(step, amount) ${agg_amt} ms | ratio $(ratio "$agg_amt" "$sum_num")"
	echo "  funnel_agg(step): 0 workers ${agg} ms, 2 workers ${par} ms | speed-up $(ratio "$agg" "$par") (target >= 1.6)"
	echo "  reference, sum(step): 0 workers ${sum_int} ms, 2 workers ${par_sum} ms | speed-up $(ratio "$sum_int" "$par_sum")"
	echo "  funnel_agg(step, amount): 0 workers ${agg_amt} ms, 2 workers ${par_amt} ms | speed-up $(ratio "$agg_amt" "$par_amt")"
done
