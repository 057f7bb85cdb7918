#!/usr/bin/env bash
# rfm_bench.sh: crm_sales.rfm_score() against the plain-SQL NTILE formulation.
#
# A benchmark script, not a timed test: it prints the figures and ratios
# measured in one run and exits 0 whatever they are (non-zero only if the
# benchmark could not run or the two formulations disagree).
#
# BENCH_CUSTOMERS (1,000,000) generated customers (setseed: the same data
# every run): recency 0..730 days, frequency 1 + floor(-3 ln U) (many ties),
# monetary 0..1000 with cents.  Queries, each summed to one number so the
# client does not time the transfer of a million rows:
#   (c) C window function, equal-size buckets:
#         rfm_score(recency, frequency, monetary, 5, 'ntile') OVER (ORDER BY id)
#   (s) the same scores in plain SQL:
#         NTILE(5) OVER (ORDER BY recency DESC, id),
#         NTILE(5) OVER (ORDER BY frequency, id), NTILE(5) OVER (ORDER BY monetary, id)
#   (q) C window function, quantile bins (the default method; no plain-SQL
#       twin: shown for its cost only)
# Before timing, (c) and (s) are compared customer by customer (0 mismatches
# required; the checksums printed next are equal by construction for equal-size
# buckets, so the per-customer comparison is the real check).  Every query runs BENCH_ROUNDS times, order rotated; the figure
# is the median, the ratio is (s) / (c).
# Environment (defaults): BENCH_CUSTOMERS=1000000 BENCH_ROUNDS=5
#   BENCH_WORK_MEM=256MB (both formulations sort in memory)
#   BENCH_NO_BUILD=1 skips building and installing; CRM_PORT_BASE=55600.
set -uo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
source "$root/scripts/common.sh"

N=${BENCH_CUSTOMERS:-1000000}
ROUNDS=${BENCH_ROUNDS:-5}
WORK_MEM=${BENCH_WORK_MEM:-256MB}
CRM_PORT_BASE=${CRM_PORT_BASE:-55600}

die() {
	echo "rfm_bench: $*" >&2
	exit 1
}

crm_base_packages || die "missing packages"
if [ "${BENCH_NO_BUILD:-0}" != 1 ]; then
	crm_build_install "$root" || die "build failed"
fi
trap 'crm_stop_server' EXIT
crm_start_server -c shared_buffers=512MB -c autovacuum=off \
	-c max_parallel_workers_per_gather=0 || die "server did not start"

PSQL=(env PGOPTIONS="-c client_min_messages=warning -c work_mem=$WORK_MEM -c search_path=public,crm_sales" $PG_BIN/psql -X -q -v ON_ERROR_STOP=1)
sql() { "${PSQL[@]}" -c "$1" >/dev/null || die "failed: $1"; }
sql_value() { "${PSQL[@]}" -At -c "$1" || die "failed: $1"; }

sql "CREATE EXTENSION crm_sales"
sql "SELECT setseed(0.42);
CREATE TABLE cust AS
SELECT i AS id, floor(random() * 731)::float8 AS recency,
       (1 + floor(-3 * ln(1 - random())))::float8 AS frequency,
       round((random() * 1000)::numeric, 2)::float8 AS monetary
  FROM generate_series(1, $N) i;
ALTER TABLE cust ADD PRIMARY KEY (id);"
sql "VACUUM ANALYZE cust"

Q_C="SELECT sum(crm_sales.recency_score(s) * 100 + crm_sales.frequency_score(s) * 10 + crm_sales.monetary_score(s))
  FROM (SELECT crm_sales.rfm_score(recency, frequency, monetary, 5, 'ntile') OVER (ORDER BY id) AS s FROM cust) t"
Q_S="SELECT sum(r * 100 + f * 10 + m)
  FROM (SELECT ntile(5) OVER (ORDER BY recency DESC, id) AS r,
               ntile(5) OVER (ORDER BY frequency, id) AS f,
               ntile(5) OVER (ORDER BY monetary, id) AS m FROM cust) t"
Q_Q="SELECT sum(crm_sales.recency_score(s) * 100 + crm_sales.frequency_score(s) * 10 + crm_sales.monetary_score(s))
  FROM (SELECT crm_sales.rfm_score(recency, frequency, monetary) OVER () AS s FROM cust) t"

echo "customers: $N, work_mem: $WORK_MEM, rounds: $ROUNDS, parallel workers: 0"
# Same scores, customer by customer
bad=$(sql_value "SELECT count(*) FROM
  (SELECT id, crm_sales.rfm_score(recency, frequency, monetary, 5, 'ntile') OVER (ORDER BY id) AS s FROM cust) c
  FULL JOIN
  (SELECT id, crm_sales.rfm(ntile(5) OVER (ORDER BY recency DESC, id)::int,
                            ntile(5) OVER (ORDER BY frequency, id)::int,
                            ntile(5) OVER (ORDER BY monetary, id)::int) AS s FROM cust) q USING (id)
  WHERE c.s IS DISTINCT FROM q.s")
echo "per-customer mismatches between (c) and (s): $bad"
[ "$bad" = 0 ] || die "the two formulations disagree"
sum_c=$(sql_value "$Q_C")
sum_s=$(sql_value "$Q_S")
echo "checksums: (c) $sum_c, (s) $sum_s"
[ "$sum_c" = "$sum_s" ] || die "checksums differ"

# Time one query (ms) with psql's \timing.
time_query() {
	"${PSQL[@]}" -c '\timing on' -c "$1" 2>&1 | sed -n 's/^Time: \([0-9.]*\) ms.*/\1/p' | tail -1
}
median() { sort -n | awk '{a[NR]=$1} END {print (NR % 2) ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2}'; }

declare -A times
order=(c s q)
for ((r = 0; r < ROUNDS; r++)); do
	line="round $((r + 1)):"
	for ((j = 0; j < 3; j++)); do
		v=${order[$(((r + j) % 3))]}
		case $v in
		c) q=$Q_C ;;
		s) q=$Q_S ;;
		q) q=$Q_Q ;;
		esac
		t=$(time_query "$q")
		[ -n "$t" ] || die "no timing for ($v)"
		times[$v]+="$t "
		line+=" ($v) $t ms"
	done
	echo "$line"
done
mc=$(echo ${times[c]} | tr ' ' '\n' | median)
ms=$(echo ${times[s]} | tr ' ' '\n' | median)
mq=$(echo ${times[q]} | tr ' ' '\n' | median)
echo "median: (c) rfm_score ntile ${mc} ms, (s) plain-SQL NTILE ${ms} ms, (q) rfm_score quantile ${mq} ms"
awk -v s="$ms" -v c="$mc" -v q="$mq" 'BEGIN {
	printf "ratio (s)/(c): %.2fx (target >= 2x)\n", s / c;
	printf "ratio (s)/(q): %.2fx\n", s / q }'
