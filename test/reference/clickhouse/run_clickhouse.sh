#!/bin/bash
# Compute the reference answers of ClickHouse 18.16 (Debian clickhouse-server)
# for the event logs of gen_events.py; writes windowfunnel_expected.csv and
# retention_expected.csv next to this file.  Run from anywhere:
#   bash test/reference/clickhouse/run_clickhouse.sh
# It starts a throwaway server (ch_server.sh) and stops it at the end.
#
# ClickHouse 18.16 orders one entity's events with a stable sort on the
# timestamp only, so events sharing a timestamp are taken in input order,
# and the steps of one row in descending order.  max_threads = 1 and Memory
# tables keep the input order, so the answers below are deterministic:
#   asc  (set A): every step of every row as its own row, in (ts, step)
#        order: the order our default tie rule takes (as ClickHouse's
#        current source does by sorting on (timestamp, step));
#   desc (set A): the same rows in (ts, step descending) order: our
#        ties_descending option;
#   rows (set B): the rows themselves (several steps in one row; no two rows
#        of an entity share a timestamp): ClickHouse 18.16's own handling of
#        a row matching several steps, our ties_descending option.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
source "$here/ch_server.sh"
trap ch_stop EXIT
ch_start
q() { ch_query --max_threads=1 --query "$1"; }

q "CREATE TABLE ev (set String, entity UInt64, ts UInt32, c1 UInt8, c2 UInt8, c3 UInt8, c4 UInt8, c5 UInt8) ENGINE = Memory"
q "INSERT INTO ev FORMAT CSVWithNames" < "$here/events.csv"
# one row per (row, step); rows matching no step are left out
q "CREATE TABLE items_asc (entity UInt64, ts UInt32, step UInt8) ENGINE = Memory"
q "INSERT INTO items_asc SELECT entity, ts, step FROM (SELECT entity, ts, arrayFilter(s -> s > 0, [c1 * 1, c2 * 2, c3 * 3, c4 * 4, c5 * 5]) AS steps FROM ev WHERE set = 'A') ARRAY JOIN steps AS step ORDER BY entity, ts, step"
q "CREATE TABLE items_desc (entity UInt64, ts UInt32, step UInt8) ENGINE = Memory"
q "INSERT INTO items_desc SELECT entity, ts, step FROM items_asc ORDER BY entity, ts, step DESC"
q "CREATE TABLE rows_b (entity UInt64, ts UInt32, c1 UInt8, c2 UInt8, c3 UInt8, c4 UInt8, c5 UInt8) ENGINE = Memory"
q "INSERT INTO rows_b SELECT entity, ts, c1, c2, c3, c4, c5 FROM ev WHERE set = 'B' ORDER BY entity, ts"

out="$here/windowfunnel_expected.csv"
echo "variant,nsteps,window,entity,level" > "$out"
for w in 0 1 2 5 10; do
	for t in asc desc; do
		q "SELECT '$t', 5, $w, entity, windowFunnel($w)(toDateTime(ts), step = 1, step = 2, step = 3, step = 4, step = 5) FROM items_$t GROUP BY entity ORDER BY entity FORMAT CSV" >> "$out"
		q "SELECT '$t', 3, $w, entity, windowFunnel($w)(toDateTime(ts), step = 1, step = 2, step = 3) FROM items_$t GROUP BY entity ORDER BY entity FORMAT CSV" >> "$out"
	done
	q "SELECT 'rows', 5, $w, entity, windowFunnel($w)(toDateTime(ts), c1 = 1, c2 = 1, c3 = 1, c4 = 1, c5 = 1) FROM rows_b GROUP BY entity ORDER BY entity FORMAT CSV" >> "$out"
done
sed -i 's/"//g' "$out"

q "CREATE TABLE ret (entity UInt64, c1 UInt8, c2 UInt8, c3 UInt8, c4 UInt8) ENGINE = Memory"
q "INSERT INTO ret FORMAT CSVWithNames" < "$here/retention.csv"
# retention: ClickHouse 18.16 records only the first true condition of a
# row; its current source records every true condition (as we do).  So two
# answers: "split" gives each true condition its own row (18.16 then
# computes the current meaning), "rows" the rows as they are.
q "CREATE TABLE ret_split (entity UInt64, k UInt8) ENGINE = Memory"
q "INSERT INTO ret_split SELECT entity, k FROM (SELECT entity, arrayFilter(x -> x > 0, [c1 * 1, c2 * 2, c3 * 3, c4 * 4]) AS ks FROM ret) ARRAY JOIN ks AS k"
rout="$here/retention_expected.csv"
echo "variant,entity,r1,r2,r3,r4" > "$rout"
q "SELECT 'split', entity, r[1], r[2], r[3], r[4] FROM (SELECT entity, retention(k = 1, k = 2, k = 3, k = 4) AS r FROM ret_split GROUP BY entity) ORDER BY entity FORMAT CSV" >> "$rout"
q "SELECT 'rows', entity, r[1], r[2], r[3], r[4] FROM (SELECT entity, retention(c1 = 1, c2 = 1, c3 = 1, c4 = 1) AS r FROM ret GROUP BY entity) ORDER BY entity FORMAT CSV" >> "$rout"
sed -i 's/"//g' "$rout"
q "SELECT version()" > "$here/clickhouse_version.txt"
wc -l "$out" "$rout"
