#!/usr/bin/env bash
# clv_bench.sh: how fast is crm_sales.bgnbd_fit()?
#
# A benchmark script, not a timed test: it prints the figures measured in
# one run and exits 0 whatever they are (non-zero only if it could not run).
#
#  1. the CDNOW 2,357-customer sample (test/data/cdnow_summary.csv):
#     bgnbd_fit and gamma_gamma_fit, median of BENCH_SMALL_RUNS runs
#     (target: bgnbd_fit under 100 ms);
#  2. BENCH_CUSTOMERS (1,000,000) customers drawn from the BG/NBD model by
#     the deterministic generator test/bench/clv_gen.R (set.seed, the
#     paper's parameters, times in whole days as CDNOW's): bgnbd_fit with
#     parallel query off and with 2 workers, median of BENCH_BIG_RUNS runs
#     (target: under 10 s), next to a plain sum() scan of the same columns;
#  3. the same customers with unrounded (continuous) times: nearly every
#     customer has a history of its own, the worst case for the grouping.
# Timings are taken inside the server (clock_timestamp() around each query
# in PL/pgSQL), so no client or network time is included.
#
# Usage: test/bench/clv_bench.sh
# Environment (defaults): BENCH_CUSTOMERS=1000000 BENCH_SMALL_RUNS=21
#   BENCH_BIG_RUNS=3 CRM_PG_BIN (PostgreSQL to use) CRM_PORT_BASE;
#   BENCH_NO_BUILD=1 skips building and installing the extension.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
source "$root/scripts/common.sh"
die() { echo "clv_bench: $*" >&2; exit 1; }

n=${BENCH_CUSTOMERS:-1000000}
small_runs=${BENCH_SMALL_RUNS:-21}
big_runs=${BENCH_BIG_RUNS:-3}
command -v Rscript >/dev/null || die "Rscript (r-base-core) is needed for the generator"

cd "$root"
if [ "${BENCH_NO_BUILD:-0}" != 1 ]; then
	crm_build_install "$root" >/dev/null || die "build failed"
fi
work=$(mktemp -d /tmp/clv_bench.XXXXXX)
chmod 755 "$work"
trap 'crm_stop_server; rm -rf "$work"' EXIT
crm_start_server -c max_parallel_workers_per_gather=2 || die "server did not start"
psql() { $PG_BIN/psql -X -q -v ON_ERROR_STOP=1 "$@"; }

echo "== generating $n customers (test/bench/clv_gen.R)"
gen_start=$(date +%s.%N)
Rscript "$root/test/bench/clv_gen.R" "$n" > "$work/gen.csv"
Rscript "$root/test/bench/clv_gen.R" "$n" continuous > "$work/genc.csv"
chmod 644 "$work/gen.csv" "$work/genc.csv"
echo "   $(awk "BEGIN {printf \"%.1f\", $(date +%s.%N) - $gen_start}") s"

psql <<SQL
CREATE EXTENSION crm_sales;
CREATE TABLE cdnow (id int, x float8, t_x float8, "T" float8, zbar float8);
\copy cdnow FROM '$root/test/data/cdnow_summary.csv' WITH (FORMAT csv, HEADER)
CREATE UNLOGGED TABLE gen_raw (x float8, t_x_days int, t_days int);
\copy gen_raw FROM '$work/gen.csv' WITH (FORMAT csv, HEADER)
CREATE TABLE gen AS SELECT x, t_x_days / 7.0::float8 AS t_x, t_days / 7.0::float8 AS "T" FROM gen_raw;
DROP TABLE gen_raw;
CREATE TABLE genc (x float8, t_x float8, "T" float8);
\copy genc FROM '$work/genc.csv' WITH (FORMAT csv, HEADER)
VACUUM ANALYZE genc;
VACUUM ANALYZE cdnow;
VACUUM ANALYZE gen;
-- median wall time (ms) of n executions of q, measured in the server
CREATE FUNCTION bench(q text, n int) RETURNS float8 LANGUAGE plpgsql AS \$\$
DECLARE
	t0 timestamptz;
	ts float8[] := '{}';
BEGIN
	FOR i IN 1..n LOOP
		t0 := clock_timestamp();
		EXECUTE q;
		ts := ts || (extract(epoch FROM clock_timestamp() - t0) * 1000)::float8;
	END LOOP;
	RETURN (SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY v) FROM unnest(ts) v);
END \$\$;
SQL

echo "== CDNOW sample, 2,357 customers (median of $small_runs runs)"
psql -At -F ' ' <<SQL
SET max_parallel_workers_per_gather = 0;
SELECT 'bgnbd_fit        ' || round(bench('SELECT crm_sales.bgnbd_fit(x, t_x, "T") FROM cdnow', $small_runs)::numeric, 2) || ' ms  (target < 100 ms)';
SELECT 'gamma_gamma_fit  ' || round(bench('SELECT crm_sales.gamma_gamma_fit(x, zbar) FROM cdnow', $small_runs)::numeric, 2) || ' ms';
SELECT 'sum() scan       ' || round(bench('SELECT sum(x), sum(t_x), sum("T") FROM cdnow', $small_runs)::numeric, 2) || ' ms';
SELECT 'model            ' || crm_sales.bgnbd_fit(x, t_x, "T")::text FROM cdnow;
SQL

# bgnbd_fit on table $1, serial and with 2 workers, next to a sum() scan
bench_big() {
	psql -At -F ' ' <<SQL
SELECT 'distinct (x, t_x, T) histories: ' || count(*) FROM (SELECT DISTINCT x, t_x, "T" FROM $1) s;
SELECT 'customers with repeat purchases: ' || count(*) FILTER (WHERE x > 0) || ', max x ' || max(x) FROM $1;
SET max_parallel_workers_per_gather = 0;
SELECT 'sum() scan, serial         ' || round(bench('SELECT sum(x), sum(t_x), sum("T") FROM $1', $big_runs)::numeric, 0) || ' ms';
SELECT 'bgnbd_fit, serial          ' || round(bench('SELECT crm_sales.bgnbd_fit(x, t_x, "T") FROM $1', $big_runs)::numeric, 0) || ' ms  (target < 10000 ms)';
SET max_parallel_workers_per_gather = 2;
SELECT 'bgnbd_fit, 2 workers       ' || round(bench('SELECT crm_sales.bgnbd_fit(x, t_x, "T") FROM $1', $big_runs)::numeric, 0) || ' ms  (target < 10000 ms)';
SELECT 'model                      ' || crm_sales.bgnbd_fit(x, t_x, "T")::text FROM $1;
SELECT '(generated with r=0.243, alpha=4.414, a=0.793, b=2.426)';
SQL
}

echo "== generated, $n customers, times in whole days (median of $big_runs runs)"
bench_big gen
echo "== generated, $n customers, continuous times (median of $big_runs runs)"
bench_big genc
