#!/bin/bash
# Reference answers of ClickHouse 18.16 (Debian clickhouse-server) for
# sequenceMatch and sequenceCount over the log of gen_sequence.py, one
# line per (pattern, entity): writes expected.csv next to this file.
#   python3 test/reference/clickhouse/sequence/gen_sequence.py
#   bash test/reference/clickhouse/sequence/run_sequence.sh
# It starts a throwaway server (../ch_server.sh) and stops it at the end.
# Entities whose rows are all non-events still form a group in ClickHouse:
# sequenceMatch answers for them too.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
source "$here/../ch_server.sh"
trap ch_stop EXIT
ch_start
q() { ch_query --max_threads=1 --query "$1"; }

q "CREATE TABLE ev (entity UInt64, ts UInt32, c1 UInt8, c2 UInt8, c3 UInt8) ENGINE = Memory"
q "INSERT INTO ev FORMAT CSVWithNames" < "$here/events.csv"
out="$here/expected.csv"
echo "pattern_no,entity,matched,count" > "$out"
n=0
while IFS= read -r p; do
	n=$((n + 1))
	q "SELECT $n, entity, sequenceMatch('$p')(toDateTime(ts), c1 = 1, c2 = 1, c3 = 1),
			  sequenceCount('$p')(toDateTime(ts), c1 = 1, c2 = 1, c3 = 1)
		 FROM ev GROUP BY entity ORDER BY entity FORMAT CSV" >> "$out"
done < "$here/patterns.txt"
q "SELECT version()" > "$here/clickhouse_version.txt"
wc -l "$out"
