#!/usr/bin/env bash
# Benchmark of to_currency() (not a test; CI never runs it).  Converts N
# amounts (default 1000000) in EUR, GBP and USD to USD at their own day,
# with 5 years of daily EUR->USD and GBP->USD rates (3,652 rates), and
# compares with the best plain SQL: a LATERAL lookup of the latest rate
# through the primary-key index (from, to, valid_from) and round(..., 2).
# Both run without parallel workers; each 5 times, the median is used;
# the two totals are checked equal first.  Target: to_currency >= 3x faster.
# Wall times (EXPLAIN ANALYZE) and the backend's CPU time (log_executor_stats)
# are both printed: on a shared machine the CPU times are the steadier.
#   CRM_PORT_BASE=57600 bash test/bench/currency_bench.sh 1000000
set -uo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
source "$root/scripts/common.sh"
n=${1:-1000000}

crm_base_packages || exit 1
crm_build_install "$root" || exit 1
trap crm_stop_server EXIT
crm_start_server -c shared_buffers=1GB -c jit=off || exit 1
psql() { "$PG_BIN/psql" -X -q -v ON_ERROR_STOP=1 "$@"; }
psql -c "CREATE EXTENSION crm_sales"

median_ms() {
	local query=$1 i t times=()
	for i in 1 2 3 4 5; do
		t=$(psql -At -c "SET max_parallel_workers_per_gather = 0" \
			-c "EXPLAIN (ANALYZE, TIMING OFF, SUMMARY ON, FORMAT JSON) $query" |
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

echo "load: $(uptime)"
psql -c "
	INSERT INTO crm_sales.exchange_rate
	SELECT c, 'USD', d::date, round((CASE c WHEN 'EUR' THEN 1.08 ELSE 1.27 END
									 * (1 + 0.05 * sin(extract(epoch FROM d) / 8e6)))::numeric, 6)
	  FROM unnest(ARRAY['EUR', 'GBP']) c,
		   generate_series(date '2020-01-01', date '2024-12-31', interval '1 day') d" \
	-c "ANALYZE crm_sales.exchange_rate"
psql -c "
	CREATE TABLE amounts AS
	SELECT round(((i * 7717) % 10000000) / 100.0, 2) AS amount,
		   (ARRAY['EUR', 'GBP', 'USD'])[1 + i % 3] AS cur,
		   date '2020-01-01' + ((i * 13) % 1827)::int AS d
	  FROM generate_series(1::bigint, $n) i" -c "VACUUM (FREEZE, ANALYZE) amounts"
rates=$(psql -At -c "SELECT count(*) FROM crm_sales.exchange_rate")
plain="SELECT sum(CASE WHEN a.cur = 'USD' THEN a.amount ELSE round(a.amount * r.rate, 2) END)
	FROM amounts a LEFT JOIN LATERAL (
		SELECT e.rate FROM crm_sales.exchange_rate e
		 WHERE e.from_currency = a.cur AND e.to_currency = 'USD' AND e.valid_from <= a.d
		 ORDER BY e.valid_from DESC LIMIT 1) r ON a.cur <> 'USD'"
ours="SELECT sum(crm_sales.to_currency(amount, cur, 'USD', d)) FROM amounts"
# the same conversions counted instead of summed: the numeric sum, the
# same in both, is left out
plain_count=${plain/sum(/count(}
ours_count=${ours/sum(/count(}
scan="SELECT sum(amount) FROM amounts"
ok=$(psql -At -c "SELECT ($plain) = ($ours)")
plain_ms=$(median_ms "$plain")
ours_ms=$(median_ms "$ours")
plain_c=$(median_ms "$plain_count")
ours_c=$(median_ms "$ours_count")
scan_ms=$(median_ms "$scan")
serial="SET max_parallel_workers_per_gather = 0"
plain_cpu=$(median_cpu_ms "$serial" "$plain")
ours_cpu=$(median_cpu_ms "$serial" "$ours")
scan_cpu=$(median_cpu_ms "$serial" "$scan")
echo "amounts=$n rates=$rates  totals equal: $ok"
echo "  summed:  plain SQL (LATERAL + index) ${plain_ms} ms | to_currency ${ours_ms} ms | speed-up $(ratio "$plain_ms" "$ours_ms") (target >= 3)"
echo "  counted: plain SQL (LATERAL + index) ${plain_c} ms | to_currency ${ours_c} ms | speed-up $(ratio "$plain_c" "$ours_c")"
echo "  CPU time, summed: plain SQL ${plain_cpu} ms | to_currency ${ours_cpu} ms | speed-up $(ratio "$plain_cpu" "$ours_cpu")"
echo "  reference: SELECT sum(amount) FROM amounts ${scan_ms} ms (CPU ${scan_cpu} ms)"
echo "load: $(uptime)"
