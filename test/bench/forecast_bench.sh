#!/usr/bin/env bash
# forecast_bench.sh: Holt-Winters fit + 12-step forecast of many series,
# crm_sales in one grouped query against R's HoltWinters + predict in one R
# process, on the same data.
#
# A benchmark script, not a timed test: it prints the figures and the ratio
# measured in one run and exits 0 whatever they are (non-zero only if the
# benchmark could not run or the two sides disagree on what they computed).
#
# Data (deterministic, generated once in SQL and written to a CSV that R
# reads, so both sides see identical values): BENCH_SERIES monthly series
# (default 10,000) of BENCH_LENGTH points (default 60):
#   v = 200 + 20 (k mod 7) + t (0.2 + 0.1 (k mod 5)) + 15 sin(2 pi t / 12 + k)
#       + noise, noise uniform in [-5, 5) from an LCG step of (k, t)
# Work on both sides: additive Holt-Winters with alpha, beta, gamma
# estimated (R: HoltWinters(ts(v, frequency = 12)); crm_sales:
# holt_winters(t, v, 12)), then 12 forecasts with 95% intervals (R:
# predict(fit, 12, prediction.interval = TRUE); crm_sales: forecast(m, 12)).
# Checked: same number of forecast rows; the SSE of each side's fit is
# compared per series (ours must not be worse than R's by more than 1e-6
# relative: the count of series where it is is printed and must be 0).
#
# Second part (skip with BENCH_ETS_SERIES=0): automatic ETS, crm_sales
# ets(t, v, 12) + forecast(m, 12) against forecast::ets() + forecast(fit, 12)
# (forecast 8.20) on the first BENCH_ETS_SERIES (default 200) series.
#
# Usage: CRM_PG_BIN=... CRM_PORT_BASE=... bash test/bench/forecast_bench.sh
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
source "$root/scripts/common.sh"
SERIES=${BENCH_SERIES:-10000}
ETS_SERIES=${BENCH_ETS_SERIES:-200}
LENGTH=${BENCH_LENGTH:-60}
die() { echo "forecast_bench: $*" >&2; exit 1; }

crm_build_install "$root" || die "build failed"
work=$(mktemp -d /tmp/forecast_bench.XXXXXX)
chmod 755 "$work"
trap 'crm_stop_server; rm -rf "$work"' EXIT
crm_start_server -c max_parallel_workers_per_gather=0 -c work_mem=256MB || die "no server"
psql() { "$PG_BIN/psql" -X -q -v ON_ERROR_STOP=1 "$@"; }

psql -c "CREATE EXTENSION crm_sales" -c "
CREATE TABLE bench AS
SELECT k, t, 200 + 20 * (k % 7) + t * (0.2 + 0.1 * (k % 5)) + 15 * sin(2 * pi() * t / 12 + k)
            + (((k::int8 * 7919 + t * 104729) * 1103515245 + 12345) % 2147483648) / 2147483648.0 * 10 - 5 AS v
  FROM generate_series(1, $SERIES) k, generate_series(1, $LENGTH) t" -c "VACUUM ANALYZE bench"
psql -c "\\copy (SELECT k, t, v FROM bench ORDER BY k, t) TO '$work/bench.csv' WITH (FORMAT csv)"

echo "== $SERIES series x $LENGTH months: fit (alpha, beta, gamma estimated) + 12-step forecast with 95% intervals"
# crm_sales: one grouped query (timed: fit + forecast rows stored); sorted
# grouping holds one series at a time
cat >"$work/pg.sql" <<SQL
SET enable_hashagg = off;
\\timing on
CREATE TABLE pg_fc AS
SELECT g.k, f.step, f.point, f.lower, f.upper
  FROM (SELECT k, crm_sales.holt_winters(t, v, 12) AS m FROM bench GROUP BY k) g,
       crm_sales.forecast(g.m, 12) f;
SQL
pg_ms=$(psql -f "$work/pg.sql" | sed -n 's/^Time: \([0-9.]*\) ms.*/\1/p' | tail -1)
[ -n "$pg_ms" ] || die "no timing from psql"
pg_rows=$(psql -At -c "SELECT count(*) FROM pg_fc")
# the SSE of each fit, for the comparison with R (not timed)
psql -c "CREATE TABLE pg_sse AS SELECT k, (crm_sales.holt_winters(t, v, 12)::jsonb->>'sse')::float8 AS sse FROM bench GROUP BY k"

# R: one process, the same CSV
cat >"$work/r.R" <<'RS'
d <- read.csv(file.path(Sys.getenv("WORK"), "bench.csv"), header = FALSE, col.names = c("k", "t", "v"))
s <- split(d$v, d$k)
sse <- numeric(length(s)); rows <- 0
el <- system.time(for (i in seq_along(s)) {
  fit <- HoltWinters(ts(s[[i]], frequency = 12))
  p <- predict(fit, 12, prediction.interval = TRUE)
  sse[i] <- fit$SSE
  rows <- rows + nrow(p)
})[["elapsed"]]
write.csv(data.frame(k = as.integer(names(s)), sse = sprintf("%.17g", sse)), file.path(Sys.getenv("WORK"), "r_sse.csv"), row.names = FALSE)
cat(sprintf("%.3f %d\n", el * 1000, rows))
RS
read -r r_ms r_rows < <(WORK="$work" Rscript "$work/r.R" 2>/dev/null | tail -1)
[ -n "$r_ms" ] || die "R run failed"

psql -c "CREATE TABLE r_sse (k int, sse float8)" -c "\\copy r_sse FROM '$work/r_sse.csv' WITH (FORMAT csv, HEADER)"
read -r worse better same < <(psql -At -F ' ' -c "
SELECT count(*) FILTER (WHERE p.sse > r.sse * (1 + 1e-6)),
       count(*) FILTER (WHERE p.sse < r.sse * (1 - 1e-6)),
       count(*) FILTER (WHERE abs(p.sse / r.sse - 1) <= 1e-6)
  FROM pg_sse p JOIN r_sse r USING (k)")

echo "crm_sales: $pg_rows forecast rows in $pg_ms ms ($(awk "BEGIN{printf \"%.0f\", $SERIES / ($pg_ms / 1000)}") series/s)"
echo "R:         $r_rows forecast rows in $r_ms ms ($(awk "BEGIN{printf \"%.0f\", $SERIES / ($r_ms / 1000)}") series/s)"
echo "SSE per series vs R: $same equal to 1e-6, $better lower than R's, $worse higher than R's"
echo "throughput ratio crm_sales / R: $(awk "BEGIN{printf \"%.1f\", $r_ms / $pg_ms}")x"
# memory: hash aggregation keeps every group's state but spills past work_mem
psql -c "SET enable_sort = off" -c "EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF) SELECT k, crm_sales.holt_winters(t, v, 12) FROM bench GROUP BY k" |
	grep -E 'HashAggregate|Batches' | sed 's/^ */hash aggregation: /'

[ "$pg_rows" = "$r_rows" ] || die "row counts differ"
[ "$worse" = 0 ] || die "$worse series with a worse SSE than R's"

[ "$ETS_SERIES" -gt 0 ] || exit 0
echo "== automatic ETS on the first $ETS_SERIES series: fit + 12-step forecast with 95% intervals"
cat >"$work/pg_ets.sql" <<SQL
SET enable_hashagg = off;
\\timing on
CREATE TABLE pg_ets AS
SELECT g.k, f.step, f.point, f.lower, f.upper
  FROM (SELECT k, crm_sales.ets(t, v, 12) AS m FROM bench WHERE k <= $ETS_SERIES GROUP BY k) g,
       crm_sales.forecast(g.m, 12) f;
SQL
pg_ets_ms=$(psql -f "$work/pg_ets.sql" | sed -n 's/^Time: \([0-9.]*\) ms.*/\1/p' | tail -1)
pg_ets_rows=$(psql -At -c "SELECT count(*) FROM pg_ets")
cat >"$work/r_ets.R" <<'RS'
suppressMessages(library(forecast))
d <- read.csv(file.path(Sys.getenv("WORK"), "bench.csv"), header = FALSE, col.names = c("k", "t", "v"))
s <- split(d$v, d$k)[seq_len(as.integer(Sys.getenv("ETS_SERIES")))]
rows <- 0
el <- system.time(for (x in s) {
  fc <- forecast(ets(ts(x, frequency = 12)), h = 12, level = 95)
  rows <- rows + length(fc$mean)
})[["elapsed"]]
cat(sprintf("%.3f %d\n", el * 1000, rows))
RS
read -r r_ets_ms r_ets_rows < <(WORK="$work" ETS_SERIES="$ETS_SERIES" Rscript "$work/r_ets.R" 2>/dev/null | tail -1)
[ -n "$r_ets_ms" ] || die "R ets run failed"
echo "crm_sales ets: $pg_ets_rows forecast rows in $pg_ets_ms ms"
echo "forecast::ets: $r_ets_rows forecast rows in $r_ets_ms ms"
echo "throughput ratio crm_sales / forecast::ets: $(awk "BEGIN{printf \"%.1f\", $r_ets_ms / $pg_ets_ms}")x"
[ "$pg_ets_rows" = "$r_ets_rows" ] || die "ETS row counts differ"
