#!/usr/bin/env bash
# regression_bench.sh: what does crm_sales.ols() cost against plain SQL?
#
# A benchmark script, not a timed test: it prints the figures and ratios
# measured in one run and exits 0 whatever they are (non-zero only if the
# benchmark could not run).
#
# One table of BENCH_ROWS rows (default 1,000,000) with y and three
# regressors x1, x2, x3.  Queries over the same rows, each run BENCH_ROUNDS
# times (default 5, order rotated); a query's figure is its median time:
#   (s) scan floor: SELECT count(*), sum(y)
#   (r) regr_*: regr_slope, regr_intercept, regr_r2 of y on x1 (the built-in
#       one-regressor aggregates; what they give is a single slope)
#   (n) normal equations in plain SQL: the 14 sums a user needs for three
#       regressors (count, sums of x_j, y, x_j x_k, x_j y, y^2), left
#       unsolved (solving them in SQL loses digits on trend columns)
#   (o) crm_sales.ols(y, ARRAY[x1, x2, x3]) including the final fit
# With BENCH_PARALLEL=1 the queries may use parallel workers (default: off,
# max_parallel_workers_per_gather = 0, to compare per-row cost).
#
# Then many series at once: BENCH_SERIES (default 10,000) monthly series of
# 60 periods, crm_sales.tslm + tslm_forecast(12 steps, 95 %) in one grouped
# query (median of BENCH_ROUNDS runs), against R's forecast::tslm + forecast
# on the first BENCH_R_SERIES (default 1,000) of the same series in one R
# process; the ratio compares throughput (series per second).
#
# Usage: CRM_PG_BIN=... CRM_PORT_BASE=... test/bench/regression_bench.sh
# Environment (defaults): BENCH_ROWS=1000000 BENCH_ROUNDS=5 BENCH_PARALLEL=0
#   BENCH_NO_BUILD=1 skips building and installing the extension.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
source "$root/scripts/common.sh"
ROWS=${BENCH_ROWS:-1000000}
ROUNDS=${BENCH_ROUNDS:-5}
PARALLEL=${BENCH_PARALLEL:-0}

if [ "${BENCH_NO_BUILD:-0}" != 1 ]; then
	crm_build_install "$root" >/dev/null
fi
crm_start_server
trap crm_stop_server EXIT
psql() { $PG_BIN/psql -X -q -v ON_ERROR_STOP=1 "$@"; }

psql -c "CREATE EXTENSION crm_sales" -c "
CREATE TABLE bench AS
	SELECT (i % 97)::float8 AS x1, ((i::bigint * i) % 101)::float8 AS x2, sin(i) AS x3,
		   3 + 0.5 * (i % 97) - 0.25 * ((i::bigint * i) % 101) + 2 * sin(i) + (i * 7) % 13 AS y
	  FROM generate_series(1, $ROWS) i;" -c "VACUUM ANALYZE bench"

declare -A SQL
SQL[s]="SELECT count(*), sum(y) FROM bench"
SQL[r]="SELECT regr_slope(y, x1), regr_intercept(y, x1), regr_r2(y, x1) FROM bench"
SQL[n]="SELECT count(*), sum(x1), sum(x2), sum(x3), sum(y), sum(x1*x1), sum(x1*x2), sum(x1*x3), sum(x2*x2), sum(x2*x3), sum(x3*x3), sum(x1*y), sum(x2*y), sum(x3*y), sum(y*y) FROM bench"
SQL[o]="SELECT crm_sales.ols(y, ARRAY[x1, x2, x3]) FROM bench"
order=(s r n o)
settings="SET max_parallel_workers_per_gather = $([ "$PARALLEL" = 1 ] && echo 2 || echo 0);"

# milliseconds of one run of query $1 (server-side, EXPLAIN ANALYZE timing off)
time_query() {
	psql -At -c "$settings" -c "EXPLAIN (ANALYZE, TIMING OFF, SUMMARY ON, FORMAT JSON) ${SQL[$1]}" |
		python3 -c 'import json,sys; print(json.load(sys.stdin)[0]["Execution Time"])'
}

declare -A times
for v in "${order[@]}"; do psql -c "$settings ${SQL[$v]}" >/dev/null; done	# warm cache
for ((round = 0; round < ROUNDS; round++)); do
	for ((k = 0; k < ${#order[@]}; k++)); do
		v=${order[$(((k + round) % ${#order[@]}))]}
		times[$v]="${times[$v]:-} $(time_query "$v")"
	done
done
median() { tr ' ' '\n' | grep -v '^$' | sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
echo "rows: $ROWS, rounds: $ROUNDS, parallel: $PARALLEL ($(nproc) cores, shared machine)"
for v in "${order[@]}"; do
	m=$(echo "${times[$v]}" | median)
	eval "med_$v=$m"
	printf "%-3s median %10.1f ms   runs:%s\n" "($v)" "$m" "${times[$v]}"
done
python3 - "$med_s" "$med_r" "$med_n" "$med_o" "$ROWS" <<'PY'
import sys
s, r, n, o, rows = map(float, sys.argv[1:])
print(f"ols per row: {o / rows * 1e6:.0f} ns; ols / regr_* (1 regressor) = {o / r:.2f}; "
      f"ols / normal-equation sums = {o / n:.2f}; ols / scan floor = {o / s:.2f}")
PY
# the fit itself, for the record
psql -At -c "SELECT crm_sales.ols(y, ARRAY[x1, x2, x3])::jsonb->'coefficients' FROM bench"

SERIES=${BENCH_SERIES:-10000}
R_SERIES=${BENCH_R_SERIES:-1000}
psql -c "CREATE TABLE ts AS SELECT s, m, 100 + s % 50 + m * 0.7 + (m % 12) * 3 + sin(s * m) * 5 AS v
		   FROM generate_series(1, $SERIES) s, generate_series(0, 59) m" -c "VACUUM ANALYZE ts"
SQL[t]="SELECT count(*), sum(point) FROM (SELECT s, crm_sales.tslm(m, v, 12) AS model FROM ts GROUP BY s) f, crm_sales.tslm_forecast(f.model, 12, '{0.95}')"
psql -c "${SQL[t]}" >/dev/null
tt=""
for ((round = 0; round < ROUNDS; round++)); do tt="$tt $(time_query t)"; done
med_t=$(echo "$tt" | median)
printf "tslm + 12-step forecast, %d series x 60: median %.1f ms   runs:%s\n" "$SERIES" "$med_t" "$tt"
if command -v Rscript >/dev/null; then
	rfile=$(mktemp /tmp/regression_bench.XXXXXX.R)
	cat >"$rfile" <<RCODE
suppressMessages(library(forecast))
t0 <- proc.time()[["elapsed"]]
for (s in 1:$R_SERIES) {
	m <- 0:59
	y <- ts(100 + s %% 50 + m * 0.7 + (m %% 12) * 3 + sin(s * m) * 5, frequency = 12)
	fc <- forecast(tslm(y ~ trend + season), h = 12, level = 95)
}
cat((proc.time()[["elapsed"]] - t0) * 1000)
RCODE
	r_ms=$(Rscript "$rfile")
	rm -f "$rfile"
	python3 - "$med_t" "$SERIES" "$r_ms" "$R_SERIES" <<'PY'
import sys
t, n, r, rn = map(float, sys.argv[1:])
ours, theirs = n / (t / 1000), rn / (r / 1000)
print(f"R forecast::tslm + forecast, {rn:.0f} series: {r:.0f} ms; throughput crm_sales {ours:.0f} series/s, "
      f"R {theirs:.0f} series/s, ratio {ours / theirs:.1f}")
PY
fi
