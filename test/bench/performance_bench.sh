#!/usr/bin/env bash
# Benchmark of deal_stats (not a test; CI never runs it).  Prints times and
# ratios measured in one run, for each size given (default 10000000), on a
# generated deals table (stage enum, amount numeric(12,2), created and
# closed dates):
#   deal_stats(stage, amount, created, closed)  vs  SELECT sum(amount)  (target <= 2x)
#   deal_stats with 2 parallel workers vs none                          (target >= 1.6x)
# (parallel runs: 2 workers, leader not scanning: the machine has 2 cores)
# Each query runs 5 times; the median is used.  Prints uptime first.  The
# serial ratio is also printed from the backend's CPU time
# (log_executor_stats), steadier than wall time on a shared machine.
# With ROUNDS=N it then alternates serial and parallel runs of deal_stats
# and of sum(amount) N times and prints each round's speed-ups (the median
# of 5 hides how much a shared machine moves between rounds).
#   CRM_PORT_BASE=57600 bash test/bench/performance_bench.sh 1000000 10000000
#   ROUNDS=6 CRM_PORT_BASE=57600 bash test/bench/performance_bench.sh 10000000
set -uo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
source "$root/scripts/common.sh"
sizes=("$@")
[ ${#sizes[@]} -eq 0 ] && sizes=(10000000)

crm_base_packages || exit 1
crm_build_install "$root" || exit 1
trap crm_stop_server EXIT
crm_start_server -c shared_buffers=2GB -c max_parallel_workers_per_gather=2 \
	-c max_worker_processes=8 -c jit=off -c work_mem=64MB || exit 1
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
# median of 5 runs of one query, in ms of the backend's CPU time (user +
# system, from log_executor_stats): steadier than wall time on a shared
# machine, for serial plans (parallel workers' CPU is not in it)
median_cpu_ms() {
	local settings=$1 query=$2 i t times=()
	for i in 1 2 3 4 5; do
		t=$(psql -At -c "$settings" -c "SET log_executor_stats = on" -c "SET client_min_messages = log" \
			-c "$query" 2>&1 >/dev/null | grep -m1 -E 's user, .* s system, ' |
			awk '{ printf "%.1f", ($2 + $5) * 1000 }')
		times+=("$t")
	done
	printf '%s\n' "${times[@]}" | sort -g | sed -n 3p
}
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }'; }

serial="SET max_parallel_workers_per_gather = 0"
parallel="SET max_parallel_workers_per_gather = 2; SET parallel_setup_cost = 0; SET min_parallel_table_scan_size = 0; SET parallel_leader_participation = off"
echo "load: $(uptime)"
for n in "${sizes[@]}"; do
	psql -c "DROP TABLE IF EXISTS bench_deals" -c "
		CREATE TABLE bench_deals AS
		SELECT (enum_range(NULL::crm_sales.sales_stage))[1 + (i * 7919) % 7] AS stage,
			   round(((i * 7717) % 10000000) / 100.0, 2)::numeric(12, 2) AS amount,
			   date '2020-01-01' + ((i * 13) % 1800)::int AS created_on,
			   date '2020-01-01' + ((i * 13) % 1800 + (i * 31) % 365)::int AS closed_on
		  FROM generate_series(1::bigint, $n) i"
	psql -c "VACUUM (FREEZE, ANALYZE) bench_deals" -c "SELECT count(*) FROM bench_deals" >/dev/null
	# the aggregate and plain SQL agree before anything is timed
	ok=$(psql -At -c "SELECT crm_sales.won_amount(s) = (SELECT sum(amount) FROM bench_deals WHERE stage = 'closed_won')
		AND crm_sales.cycle_days_mean(s) = (SELECT avg(closed_on - created_on) FROM bench_deals WHERE stage = 'closed_won')
		FROM (SELECT crm_sales.deal_stats(stage, amount, created_on, closed_on) AS s FROM bench_deals) t")
	sum_ms=$(median_ms "$serial" "SELECT sum(amount) FROM bench_deals")
	ds_ms=$(median_ms "$serial" "SELECT crm_sales.deal_stats(stage, amount, created_on, closed_on) FROM bench_deals")
	par_ms=$(median_ms "$parallel" "SELECT crm_sales.deal_stats(stage, amount, created_on, closed_on) FROM bench_deals")
	par_sum=$(median_ms "$parallel" "SELECT sum(amount) FROM bench_deals")
	sum_cpu=$(median_cpu_ms "$serial" "SELECT sum(amount) FROM bench_deals")
	ds_cpu=$(median_cpu_ms "$serial" "SELECT crm_sales.deal_stats(stage, amount, created_on, closed_on) FROM bench_deals")
	echo "rows=$n  deal_stats equals plain SQL: $ok"
	echo "  sum(amount) ${sum_ms} ms | deal_stats ${ds_ms} ms | ratio $(ratio "$ds_ms" "$sum_ms") (target <= 2)"
	echo "  CPU time: sum(amount) ${sum_cpu} ms | deal_stats ${ds_cpu} ms | ratio $(ratio "$ds_cpu" "$sum_cpu") (target <= 2)"
	echo "  deal_stats: 0 workers ${ds_ms} ms, 2 workers ${par_ms} ms | speed-up $(ratio "$ds_ms" "$par_ms") (target >= 1.6)"
	echo "  reference, sum(amount): 0 workers ${sum_ms} ms, 2 workers ${par_sum} ms | speed-up $(ratio "$sum_ms" "$par_sum")"
	echo "load: $(uptime)"
	for ((r = 1; r <= ${ROUNDS:-0}; r++)); do
		once() { psql -At -c "$1" -c "EXPLAIN (ANALYZE, TIMING OFF, SUMMARY ON, FORMAT JSON) $2" |
			grep -o '"Execution Time": [0-9.]*' | grep -o '[0-9.]*$'; }
		a=$(once "$serial" "SELECT crm_sales.deal_stats(stage, amount, created_on, closed_on) FROM bench_deals")
		b=$(once "$parallel" "SELECT crm_sales.deal_stats(stage, amount, created_on, closed_on) FROM bench_deals")
		c=$(once "$serial" "SELECT sum(amount) FROM bench_deals")
		d=$(once "$parallel" "SELECT sum(amount) FROM bench_deals")
		echo "  round $r (load $(cut -d' ' -f1 /proc/loadavg)): deal_stats ${a} / ${b} ms = $(ratio "$a" "$b") | sum(amount) ${c} / ${d} ms = $(ratio "$c" "$d")"
	done
done
