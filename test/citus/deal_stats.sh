#!/usr/bin/env bash
# deal_stats.sh: deal_stats and deal_stats_merge under Citus (not part of
# scripts/test.sh: CI's fresh machine has no Citus; build it with
# ../shared/vendor/citus/build-citus.sh first).  A single-node Citus
# (shards on the coordinator, which runs the same per-shard plans a worker
# would) with a table distributed over 4 shards:
#   - GROUP BY a non-distribution column runs worker_partial_agg on every
#     shard and coord_combine_agg on the coordinator (the state is the
#     deal_stats type, shipped between them as text);
#   - the result equals deal_stats over a local copy of the rows;
#   - the same for deal_stats_merge over a distributed rollup table.
# The polymorphic deal_stats(anyenum, ...) is refused by Citus's
# worker_partial_agg ("could not confirm type correctness"); the shipped
# sales_stage overloads (or your own, docs/performance.md) are what runs.
#   CRM_PORT_BASE=57720 bash test/citus/deal_stats.sh
set -uo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
source "$root/scripts/common.sh"
SUITE=citus_deal_stats
source "$root/test/tap.sh"
[ -f "$($PG_BIN/pg_config --pkglibdir)/citus.so" ] || { echo "Citus is not installed in $PG_BIN"; exit 1; }
trap crm_stop_server EXIT
crm_start_server -c shared_preload_libraries=citus -c max_worker_processes=16 || exit 1
psql() { "$PG_BIN/psql" -X -q -v ON_ERROR_STOP=1 "$@"; }
psql -c "CREATE EXTENSION citus" -c "CREATE EXTENSION crm_sales" \
	-c "SELECT citus_set_coordinator_host('127.0.0.1', $PGPORT)" \
	-c "SELECT citus_set_node_property('127.0.0.1', $PGPORT, 'shouldhaveshards', true)" >/dev/null
psql -c "CREATE TABLE cdeals AS SELECT i AS id, 'r' || (i % 5) AS region,
	(enum_range(NULL::crm_sales.sales_stage))[1 + (i * 7919) % 7] AS stage,
	round(((i * 37) % 100000) / 100.0, 2) AS amount,
	date '2025-01-01' + i % 200 AS created_on, date '2025-01-01' + i % 200 + i % 300 AS closed_on
	FROM generate_series(1, 20000) i" -c "CREATE TABLE local_copy AS TABLE cdeals" \
	-c "SELECT create_distributed_table('cdeals', 'id', shard_count => 4)" >/dev/null 2>&1

plan=$(psql -c "EXPLAIN (VERBOSE, COSTS OFF) SELECT region, crm_sales.deal_stats(stage, amount, created_on, closed_on) FROM cdeals GROUP BY region")
if grep -q "worker_partial_agg('crm_sales.deal_stats(crm_sales.sales_stage" <<<"$plan" && grep -q coord_combine_agg <<<"$plan"; then
	ok "deal_stats GROUP BY region: worker_partial_agg on the shards, coord_combine_agg on the coordinator"
else
	not_ok "deal_stats GROUP BY region is pushed down as partial aggregation"
	echo "$plan" | sed 's/^/# /'
fi
got=$(psql -At -c "SELECT bool_and(d.s OPERATOR(crm_sales.=) l.s) AND count(*) = 5 FROM
	(SELECT region, crm_sales.deal_stats(stage, amount, created_on, closed_on) s FROM cdeals GROUP BY region) d
	JOIN (SELECT region, crm_sales.deal_stats(stage, amount, created_on, closed_on) s FROM local_copy GROUP BY region) l USING (region)" 2>&1)
[ "$got" = t ] && ok "distributed deal_stats per region equals the local one" || { not_ok "distributed deal_stats per region equals the local one"; echo "# $got"; }

psql -c "CREATE TABLE roll AS SELECT id % 100 AS b, region, crm_sales.deal_stats(stage, amount, created_on, closed_on) s
		 FROM local_copy GROUP BY 1, 2" -c "SELECT create_distributed_table('roll', 'b')" >/dev/null 2>&1
plan=$(psql -c "EXPLAIN (VERBOSE, COSTS OFF) SELECT region, crm_sales.deal_stats_merge(s) FROM roll GROUP BY region")
grep -q "worker_partial_agg('crm_sales.deal_stats_merge" <<<"$plan" &&
	ok "deal_stats_merge over a distributed rollup: partial aggregation on the shards" ||
	{ not_ok "deal_stats_merge is pushed down"; echo "$plan" | sed 's/^/# /'; }
got=$(psql -At -c "SELECT bool_and(d.s OPERATOR(crm_sales.=) l.s) AND count(*) = 5 FROM
	(SELECT region, crm_sales.deal_stats_merge(s) s FROM roll GROUP BY region) d
	JOIN (SELECT region, crm_sales.deal_stats(stage, amount, created_on, closed_on) s FROM local_copy GROUP BY region) l USING (region)" 2>&1)
[ "$got" = t ] && ok "distributed deal_stats_merge equals deal_stats over the rows" || { not_ok "distributed deal_stats_merge equals deal_stats over the rows"; echo "# $got"; }
summary
