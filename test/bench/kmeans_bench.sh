#!/usr/bin/env bash
# kmeans_bench.sh: crm_sales.kmeans() against R's kmeans(x, k, nstart = 10)
# (Hartigan-Wong) on the same points, and what each part of our search
# costs.
#
# A benchmark script, not a timed test: it prints the figures and ratios
# measured in one run and exits 0 whatever they are (non-zero only if the
# benchmark could not run).
#
# Workloads (both sides cluster identical values: the points are made or
# z-scored in SQL and written to CSV files that R reads):
#   sunspot.month   the largest of R's reference data sets by rows (3,177
#                   rows, 1 column), z-scored, k = 2..8 (7 fits)
#   EuStockMarkets  the largest by values (1,860 rows x 4), z-scored,
#                   k = 2..8 (7 fits)
#   uniform 3-D     BENCH_POINTS (100,000) uniform random points in the unit
#                   cube (setseed: the same every run), k = 8
# Ours: the aggregate over a table, serial, timed by psql's \timing (the
# result, k small arrays, is discarded); R: system.time() around kmeans() after
# set.seed(1), data already loaded.  Median of BENCH_ROUNDS (3) runs each;
# the ratio is ours / R (above 1: we are slower).  The WCSS of both sides is
# printed next to the times (ours from closest_centroid_distance(), which
# every version has, so the script also measures older builds).
#
# Then (BENCH_STEPS=1, the default) test/bench/kmeans_steps.c, built
# against src/core: each combination of refinement steps and restart rule
# on R's 217 reference cases (better / equal / worse than R, CPU seconds)
# and on the uniform 3-D points (CPU seconds, WCSS).
#
# Environment (defaults): BENCH_POINTS=100000 BENCH_ROUNDS=3 BENCH_STEPS=1
#   BENCH_NO_BUILD=1 skips building and installing; CRM_PORT_BASE=55600.
# Usage: CRM_PG_BIN=... CRM_PORT_BASE=... bash test/bench/kmeans_bench.sh
set -uo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
source "$root/scripts/common.sh"

POINTS=${BENCH_POINTS:-100000}
ROUNDS=${BENCH_ROUNDS:-3}
STEPS=${BENCH_STEPS:-1}
CRM_PORT_BASE=${CRM_PORT_BASE:-55600}
ref=$root/test/reference/segment

die() {
	echo "kmeans_bench: $*" >&2
	exit 1
}

command -v Rscript >/dev/null || die "Rscript not found (apt-get install r-base-core)"
crm_base_packages || die "missing packages"
if [ "${BENCH_NO_BUILD:-0}" != 1 ]; then
	crm_build_install "$root" || die "build failed"
fi
work=$(mktemp -d /tmp/kmeans_bench.XXXXXX)
chmod 755 "$work"
trap 'crm_stop_server; rm -rf "$work"' EXIT
crm_start_server -c max_parallel_workers_per_gather=0 -c work_mem=256MB || die "server did not start"
psql() { "$PG_BIN/psql" -X -q -v ON_ERROR_STOP=1 "$@"; }

echo "== machine: $(nproc) cores, load $(uptime | sed 's/.*load average: //')"

psql <<SQL || die "setup failed"
CREATE EXTENSION crm_sales;
-- R's rows (raw), z-scored per column as R's scale() does
CREATE TABLE ds (set text, i integer, f float8[]);
\\copy ds FROM '$ref/kmeans_datasets.csv' WITH (FORMAT csv, HEADER)
CREATE TABLE pts AS
SELECT set, i, array_agg(z ORDER BY j) AS f
  FROM (SELECT set, i, j, (v - avg(v) OVER w) / stddev_samp(v) OVER w AS z
          FROM ds, unnest(f) WITH ORDINALITY u(v, j)
         WHERE set IN ('sunspot.month', 'EuStockMarkets')
        WINDOW w AS (PARTITION BY set, j)) t
 GROUP BY set, i;
SELECT setseed(0.42) AS seeded \gset
INSERT INTO pts
SELECT 'uniform', i, ARRAY[random(), random(), random()] FROM generate_series(1, $POINTS) i;
CREATE TABLE sunspot AS SELECT f FROM pts WHERE set = 'sunspot.month';
CREATE TABLE eustock AS SELECT f FROM pts WHERE set = 'EuStockMarkets';
CREATE TABLE uniform AS SELECT f FROM pts WHERE set = 'uniform';
VACUUM ANALYZE sunspot;
VACUUM ANALYZE eustock;
VACUUM ANALYZE uniform;
SET extra_float_digits = 3;
\\copy (SELECT array_to_string(f, ',') FROM sunspot) TO '$work/sunspot.csv'
\\copy (SELECT array_to_string(f, ',') FROM eustock) TO '$work/eustock.csv'
\\copy (SELECT array_to_string(f, ',') FROM uniform) TO '$work/uniform.csv'
-- WCSS of the centroids kmeans(f, k) gives on table tab
CREATE FUNCTION wcss(tab text, k int) RETURNS float8 LANGUAGE plpgsql AS \$\$
DECLARE
	r float8;
BEGIN
	EXECUTE format('SELECT sum(crm_sales.closest_centroid_distance(f, c) ^ 2)
	                  FROM %I, (SELECT crm_sales.kmeans(f, %s) AS c FROM %I) m', tab, k, tab)
	   INTO r;
	RETURN r;
END \$\$;
SQL

# ours: median ms of the fits (psql's \timing, ROUNDS runs), and the WCSS per k
ours() {
	local tab=$1 ks=$2 r
	{
		echo '\timing on'
		for r in $(seq "$ROUNDS"); do
			echo "SELECT k, crm_sales.kmeans(f, k) FROM $tab, unnest('{$ks}'::int[]) k GROUP BY k \\g /dev/null"
		done
	} | psql | sed -n 's/^Time: \([0-9.]*\) ms.*/\1/p' | sort -n |
		awk '{t[NR] = $1} END {if (NR == 0) exit 1; print "ms", (NR % 2) ? t[(NR + 1) / 2] : (t[NR / 2] + t[NR / 2 + 1]) / 2}' ||
		die "our run on $tab failed"
	psql -At -F ' ' -c "SELECT 'wcss', k, wcss('$tab', k) FROM unnest('{$ks}'::int[]) k ORDER BY k" ||
		die "our WCSS on $tab failed"
}

cat >"$work/r.R" <<'RS'
args <- commandArgs(trailingOnly = TRUE)
x <- as.matrix(read.csv(args[1], header = FALSE))
ks <- as.integer(strsplit(args[2], ",")[[1]])
rounds <- as.integer(args[3])
el <- numeric(rounds)
for (r in seq_len(rounds)) {
  # warnings (Quick-TRANSfer steps exceeded) show as ifault 4 below
  el[r] <- system.time(for (k in ks) {
    set.seed(1)
    suppressWarnings(kmeans(x, k, nstart = 10))
  })[["elapsed"]]
}
cat(sprintf("ms %.1f\n", median(el) * 1000))
for (k in ks) {
  set.seed(1)
  fit <- suppressWarnings(kmeans(x, k, nstart = 10))
  cat(sprintf("wcss %d %.17g %d\n", k, fit$tot.withinss, fit$ifault))
}
RS

# one workload: our time, R's time, ratio, and the WCSS side by side
compare() {
	local label=$1 tab=$2 ks=$3 o r o_ms r_ms
	o=$(ours "$tab" "$ks") || die "our run on $tab failed"
	r=$(Rscript "$work/r.R" "$work/$tab.csv" "$ks" "$ROUNDS") || die "R failed on $tab"
	o_ms=$(echo "$o" | awk '$1 == "ms" {print $2}')
	r_ms=$(echo "$r" | awk '$1 == "ms" {print $2}')
	echo "== $label, k = $ks (median of $ROUNDS runs)"
	awk -v o="$o_ms" -v r="$r_ms" 'BEGIN {printf "   crm_sales %10.1f ms   R %10.1f ms   ours / R %6.2f\n", o, r, o / r}'
	join <(echo "$o" | awk '$1 == "wcss" {print $2, $3}' | sort) \
		<(echo "$r" | awk '$1 == "wcss" {print $2, $3, $4}' | sort) |
		sort -n | awk '{printf "   k=%-2d WCSS crm_sales %.10g   R %.10g   %s%s\n", $1, $2, $3,
			($2 < $3 * (1 - 1e-9)) ? "ours lower" : (($2 > $3 * (1 + 1e-9)) ? "R lower" : "equal"),
			$4 == 0 ? "" : "   (R ifault " $4 ")"}'
}

compare "sunspot.month (3,177 x 1, z-scored)" sunspot "2,3,4,5,6,7,8"
compare "EuStockMarkets (1,860 x 4, z-scored)" eustock "2,3,4,5,6,7,8"
compare "uniform 3-D ($POINTS points)" uniform "8"

if [ "$STEPS" = 1 ]; then
	echo "== the parts of the search (test/bench/kmeans_steps.c; CPU seconds, one run)"
	cc -O2 -std=c99 -I"$root/src/core" -o "$work/kmeans_steps" \
		"$root/test/bench/kmeans_steps.c" "$root/src/core/segment/kmeans.c" -lm ||
		die "kmeans_steps did not build"
	"$work/kmeans_steps" "$ref/kmeans_datasets.csv" "$ref/kmeans_datasets_ref.csv" "$POINTS" ||
		die "kmeans_steps failed"
fi
echo "== load at the end: $(uptime | sed 's/.*load average: //')"
