#!/usr/bin/env bash
# citus_bench.sh: what does running crm_sales on Citus cost on one machine?
#
# A benchmark script, not a timed test: it prints the times, ratios and
# bytes of one run and exits 0 whatever they are (non-zero only if it could
# not run or the two sides disagree).  It starts a local Citus cluster
# (coordinator + 2 workers, scripts/common.sh) and loads the same rows twice:
# into plain tables on the coordinator (the single node) and into tables
# distributed over 32 shards on the workers.  The three instances share the
# machine's cores, so Citus can only add overhead here; the figures measure
# that overhead, not a speed-up.
#   funnel_agg    deals (account, region, stage, amount), N rows, by account:
#                 funnel_agg(stage, amount) GROUP BY region (partial on workers)
#   window_funnel events (entity, ts, step), N/10 entities x 10 events, by
#                 entity: window_funnel('7 days', ts, 4 steps) GROUP BY entity
#                 (full push-down; one row per entity to the client)
#   holt_winters  series (series, period, value), N/100 series x 100 months,
#                 by series: holt_winters(period, value, 12) GROUP BY series
#                 (full push-down; one model per series to the client)
# Each has a plain-SQL companion over the same rows and grouping (count and
# sum, max, count and max), to tell Citus's own overhead from the aggregate's.  Each
# query runs once to warm the caches, then BENCH_RUNS times (default 3); the
# fastest run is printed (the machine is shared: the minimum is the least
# disturbed run), client output discarded.  Bytes moved: Citus's EXPLAIN
# ANALYZE "Tuple data received from nodes" (what the workers sent the
# coordinator; rounded by pg_size_pretty).  The results of the two sides are
# compared (md5 of the sorted text).
#
# Usage: test/bench/citus_bench.sh [--rows N]   (default 10000000)
#   BENCH_NO_BUILD=1 skips building and installing crm_sales.
set -uo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
source "$root/scripts/common.sh"
rows=10000000
while [ $# -gt 0 ]; do
	case "$1" in
		--rows) rows=$2; shift 2 ;;
		*) echo "unknown argument $1" >&2; exit 2 ;;
	esac
done
runs=${BENCH_RUNS:-3}
die() { echo "citus_bench: $*" >&2; exit 1; }

cd "$root" || exit 1
if [ "${BENCH_NO_BUILD:-0}" != 1 ]; then
	crm_build_install "$root" >/dev/null || die "build failed"
fi
crm_citus_build "$root" >/dev/null || die "Citus is not installed and cannot be built"
tmp=$(mktemp -d /tmp/crm_citus_bench.XXXXXX)
trap 'crm_stop_nodes; rm -rf "$tmp"' EXIT
crm_start_citus_cluster 2 -c shared_buffers=1GB -c work_mem=256MB -c jit=off \
	-c max_parallel_workers_per_gather=2 >"$tmp/start.log" 2>&1 ||
	{ cat "$tmp/start.log"; die "cluster did not start"; }
PSQL="$PG_BIN/psql -X -q -v ON_ERROR_STOP=1 -h 127.0.0.1 -U postgres -d postgres -p ${CRM_NODE_PORT[0]}"
$PSQL -c "CREATE EXTENSION crm_sales" || die "CREATE EXTENSION failed"

echo "citus_bench: $rows rows per table, 32 shards on 2 workers, $(nproc) cores"
echo "machine load before: $(uptime | sed 's/.*load average/load average/')"
start=$SECONDS
$PSQL <<SQL || die "loading failed"
SET citus.shard_count = 32;
CREATE TABLE deals_local AS
SELECT i % ($rows / 10) + 1 AS account_id,
	   (ARRAY['north', 'east', 'south', 'west', 'central', 'export', 'online', 'partner'])[1 + (i * 7) % 8] AS region,
	   (enum_range(NULL::crm_sales.sales_stage))[1 + (i * 7919) % 7] AS stage,
	   ((i * 37) % 1000000) / 100.0 AS amount
  FROM generate_series(1, $rows::bigint) AS i;
CREATE TABLE events_local AS
SELECT e::bigint AS entity_id,
	   timestamptz '2026-01-01 00:00+00' + make_interval(hours => (e * 37) % 1000 + k * (4 + e % 40) + (e * k * k) % 7) AS ts,
	   CASE WHEN (e * 7 + k * 11) % 10 = 0 THEN 0 ELSE 1 + (k / 3 + (e * k) % 3) % 4 END AS step
  FROM generate_series(1, $rows / 10) AS e, generate_series(1, 10) AS k;
CREATE TABLE series_local AS
SELECT s AS series_id, p::int8 AS period,
	   100 + s % 50 + p * 0.3 + 10 * sin(p * pi() / 6) + ((s * 7 + p * 13) % 11) AS value
  FROM generate_series(1, $rows / 100) AS s, generate_series(1, 100) AS p;
DO \$\$
DECLARE
	t text;
BEGIN
	FOREACH t IN ARRAY ARRAY['deals', 'events', 'series'] LOOP
		EXECUTE format('CREATE TABLE %I (LIKE %I)', t, t || '_local');
		PERFORM create_distributed_table(t,
			(SELECT attname FROM pg_attribute WHERE attrelid = t::regclass AND attnum = 1));
		EXECUTE format('INSERT INTO %I SELECT * FROM %I', t, t || '_local');
	END LOOP;
END \$\$;
VACUUM ANALYZE deals_local, events_local, series_local, deals, events, series;
SQL
echo "loaded in $((SECONDS - start)) s"

# the fastest of $runs runs of query $1 (after one warm-up), in ms
timed() {
	local i
	{
		echo '\timing on'
		echo '\o /dev/null'
		for ((i = 0; i <= runs; i++)); do
			echo "$1;"
		done
	} | $PSQL 2>&1 | sed -n 's/^Time: \([0-9.]*\) ms.*/\1/p' | tail -n +2 | sort -g | head -1
}

# the md5 of the sorted text rows of query $1
digest() {
	$PSQL -At -c "SELECT md5(string_agg(r::text, E'\n' ORDER BY r::text)) FROM ($1) r"
}

# The bytes the workers send the coordinator for distributed query $1: the
# text form of every row that each shard's worker query (EXPLAIN VERBOSE's
# "Query:", run on every shard with run_command_on_shards) returns.  Citus's
# own EXPLAIN ANALYZE figure ("Tuple data received from nodes") is not
# available for worker_partial_agg plans (EXPLAIN ANALYZE fails on their
# cstring column) and is rounded.
received() {
	local q table
	q=$($PSQL -At -c "EXPLAIN (VERBOSE, COSTS OFF) $1" | sed -n 's/^ *Query: //p' | head -1)
	table=$(echo "$q" | sed -nE 's/.* FROM public\.([a-z_]+)_[0-9]+ .*/\1/p')
	q=$(echo "$q" | sed -E "s/public\.${table}_[0-9]+/%s/")
	$PSQL -At -c "SELECT pg_size_pretty(sum(result::bigint)) || ' (' || sum(result::bigint) || ')'
		FROM run_command_on_shards('$table', \$q\$SELECT coalesce(sum(octet_length(w::text)), 0) FROM ($q) w\$q\$)"
}

bad=0
printf '\n%-14s %-26s %10s %10s %7s  %s\n' query form "single ms" "Citus ms" Citus/1 "bytes workers -> coordinator"
# bench NAME FORM SQL-with-{t}
bench() {
	local single="${3//\{t\}/$4_local}" dist="${3//\{t\}/$4}" ts td
	ts=$(timed "$single")
	td=$(timed "$dist")
	printf '%-14s %-26s %10.0f %10.0f %7.2f  %s\n' "$1" "$2" "$ts" "$td" \
		"$(echo "$td / $ts" | bc -l)" "$(received "$dist")"
	if [ "$(digest "$single")" != "$(digest "$dist")" ]; then
		echo "   RESULTS DIFFER: $dist"
		bad=1
	fi
}
bench funnel_agg "funnel_agg(stage, amount)" \
	"SELECT region, crm_sales.funnel_agg(stage, amount) FROM {t} GROUP BY region" deals
bench funnel_agg "count(*), sum(amount)" \
	"SELECT region, count(*), sum(amount) FROM {t} GROUP BY region" deals
bench window_funnel "window_funnel, 4 steps" \
	"SELECT entity_id, crm_sales.window_funnel('7 days', ts, step = 1, step = 2, step = 3, step = 4) FROM {t} GROUP BY entity_id" events
bench window_funnel "max(step)" \
	"SELECT entity_id, max(step) FROM {t} GROUP BY entity_id" events
bench holt_winters "holt_winters(period, v, 12)" \
	"SELECT series_id, crm_sales.holt_winters(period, value, 12) FROM {t} GROUP BY series_id" series
bench holt_winters "count(*), max(value)" \
	"SELECT series_id, count(*), max(value) FROM {t} GROUP BY series_id" series
echo "machine load after: $(uptime | sed 's/.*load average/load average/')"
exit $bad
