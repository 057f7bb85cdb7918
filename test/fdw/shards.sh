#!/usr/bin/env bash
# Script test: funnel_agg over postgres_fdw shards.  Starts a coordinator and
# two shard instances of PostgreSQL 15; the coordinator has a table
# partitioned by region whose partitions are postgres_fdw foreign tables on
# the shards.  Grouped by the partition key with partitionwise aggregation,
# funnel_agg must be pushed down whole to each shard (EXPLAIN VERBOSE shows
# it in the Remote SQL), and the result must equal the single-node result
# over a local copy of the same rows.  Prints "fdw_shards: N passed, N failed".
set -uo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
source "$root/scripts/common.sh"

passed=0
failed=0
check() {						# check NAME EXPECTED ACTUAL
	if [ "$2" = "$3" ]; then
		passed=$((passed + 1))
	else
		failed=$((failed + 1))
		echo "FAIL $1: expected [$2], got [$3]"
	fi
}

declare -A tmp port
stop_all() {
	local n
	for n in "${!tmp[@]}"; do
		CRM_TMP=${tmp[$n]} PGDATA=${tmp[$n]}/data crm_stop_server
	done
}
trap stop_all EXIT

for n in coord shard1 shard2; do
	crm_start_server || { echo "fdw_shards: 0 passed, 1 failed"; exit 1; }
	tmp[$n]=$CRM_TMP
	port[$n]=$PGPORT
	CRM_PORT_BASE=$((PGPORT + 1))
done
q() {							# q INSTANCE SQL...: run SQL, print unaligned rows
	local n=$1
	shift
	"$PG_BIN/psql" -X -q -At -v ON_ERROR_STOP=1 -h 127.0.0.1 -p "${port[$n]}" -U postgres -d postgres "$@"
}

# the rows: deterministic, the same generator on every instance
rows_sql="SELECT r AS region,
	(enum_range(NULL::crm_sales.sales_stage))[1 + (i * 7919 + length(r)) % 7] AS furthest,
	((i * 37) % 100000) / 100.0 AS amount
  FROM unnest(@REGIONS@) AS r, generate_series(1, 5000) AS i"
regions1="ARRAY['north', 'east']"
regions2="ARRAY['south', 'west']"
regions_all="ARRAY['north', 'east', 'south', 'west']"
q shard1 -c "CREATE EXTENSION crm_sales" \
	-c "CREATE TABLE deals AS ${rows_sql//@REGIONS@/$regions1}"
q shard2 -c "CREATE EXTENSION crm_sales" \
	-c "CREATE TABLE deals AS ${rows_sql//@REGIONS@/$regions2}"

q coord <<SQL
CREATE EXTENSION crm_sales;
CREATE EXTENSION postgres_fdw;
CREATE SERVER shard1 FOREIGN DATA WRAPPER postgres_fdw
	OPTIONS (host '127.0.0.1', port '${port[shard1]}', dbname 'postgres', extensions 'crm_sales');
CREATE SERVER shard2 FOREIGN DATA WRAPPER postgres_fdw
	OPTIONS (host '127.0.0.1', port '${port[shard2]}', dbname 'postgres', extensions 'crm_sales');
CREATE USER MAPPING FOR postgres SERVER shard1 OPTIONS (user 'postgres');
CREATE USER MAPPING FOR postgres SERVER shard2 OPTIONS (user 'postgres');
CREATE TABLE deals (region text, furthest crm_sales.sales_stage, amount numeric) PARTITION BY LIST (region);
CREATE FOREIGN TABLE deals_1 PARTITION OF deals FOR VALUES IN ('north', 'east')
	SERVER shard1 OPTIONS (table_name 'deals');
CREATE FOREIGN TABLE deals_2 PARTITION OF deals FOR VALUES IN ('south', 'west')
	SERVER shard2 OPTIONS (table_name 'deals');
CREATE TABLE local_deals AS ${rows_sql//@REGIONS@/$regions_all};
SQL

grouped="SELECT region, crm_sales.funnel_agg(furthest, amount) AS f FROM deals GROUP BY region"
plan=$(q coord -c "SET enable_partitionwise_aggregate = on" -c "EXPLAIN (VERBOSE, COSTS OFF) $grouped")
echo "$plan" | sed 's/^/   | /'
check "two foreign scans" 2 "$(echo "$plan" | grep -c 'Foreign Scan')"
check "funnel_agg pushed down to both shards" 2 \
	"$(echo "$plan" | grep -c 'Remote SQL: SELECT region, crm_sales.funnel_agg(furthest, amount) FROM public.deals GROUP BY')"
check "no local aggregation above the shards" 0 "$(echo "$plan" | grep -cE 'HashAggregate|GroupAggregate|Partial')"

# the sharded result equals the single-node result, region by region
same=$(q coord -c "SET enable_partitionwise_aggregate = on" -c "
	SELECT count(*) FILTER (WHERE d.f OPERATOR(crm_sales.=) l.f), count(*)
	  FROM ($grouped) d
	  FULL JOIN (SELECT region, crm_sales.funnel_agg(furthest, amount) AS f FROM local_deals GROUP BY region) l
	 USING (region)")
check "sharded = single node, per region" "4|4" "$same"
# and merged over all regions (the coordinator merges the shards' funnels)
total=$(q coord -c "SET enable_partitionwise_aggregate = on" -c "
	SELECT (SELECT crm_sales.funnel_merge(f) FROM ($grouped) d)
		 OPERATOR(crm_sales.=) (SELECT crm_sales.funnel_agg(furthest, amount) FROM local_deals)")
check "merged shards = single node total" "t" "$total"
# the shards' numbers are the ones plain SQL counts on the local copy
lead=$(q coord -c "SET enable_partitionwise_aggregate = on" -c "
	SELECT (SELECT reached FROM crm_sales.funnel_steps((SELECT f FROM ($grouped) d WHERE region = 'south')) WHERE stage = 'lead_generation')
		 = (SELECT count(*) FROM local_deals WHERE region = 'south' AND crm_sales.stage_category(furthest) <> 'lost')")
check "reached lead_generation = plain count" "t" "$lead"

echo "fdw_shards: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
