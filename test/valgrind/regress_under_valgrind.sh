#!/bin/bash
# regress_under_valgrind.sh: the pg_regress suite against a postmaster run
# under valgrind (--trace-children=yes); prints the log files with reports
# and whether any report points into crm_sales code.  Needs: valgrind, root.
set -u
cd "$(dirname "${BASH_SOURCE[0]}")/../.."
source scripts/common.sh
# a directory of this run's own (helpers may run it side by side)
VG=$(mktemp -d /tmp/crm_sales_vg.XXXXXX); chown postgres $VG; chmod 777 $VG
export PGDATA=$VG/data PGPORT=$(crm_free_port ${CRM_PORT_BASE:-55700}) PGHOST=127.0.0.1 PGUSER=postgres
runuser -u postgres -- $PG_BIN/initdb -D $PGDATA -U postgres -A trust -E UTF8 --locale=C --no-sync >/dev/null
runuser -u postgres -- bash -c "valgrind --quiet --trace-children=yes --track-origins=yes --leak-check=no --error-exitcode=0 --log-file=$VG/vg.%p.log $PG_BIN/postgres -D $PGDATA -p $PGPORT -k $VG -c listen_addresses=127.0.0.1 > $VG/server.log 2>&1 &"
for i in $(seq 1 120); do $PG_BIN/pg_isready -q && break; sleep 1; done
make -s PG_CONFIG=$PG_BIN/pg_config installcheck ISOLATION= > $VG/regress.out 2>&1
cat $VG/regress.out | grep -E "\.\.\.|tests"
runuser -u postgres -- $PG_BIN/pg_ctl -D $PGDATA -m fast -w stop >/dev/null
echo "valgrind logs with errors:"
grep -l "ERROR SUMMARY: [1-9]\|Invalid\|uninitialised" $VG/vg.*.log 2>/dev/null | head
echo "reports that point into crm_sales code:"
grep -lE "crm_|stage_model|enforce\.c|transition_matrix|funnel|decimal128|window_funnel|segment\.c|lead_score|kmeans|rfm|clv|bgnbd|gamma_gamma|hyp2f1|forecast|holtwinters|ets\.c|boxmin|accuracy|regression|pipeline|ols\.c|student_t|agg_util|combine_forecast|clustering|performance|currency|bignum|sparse_hist|rate_lookup|automation\.c|automation_engagement\.c|calendar\.c|template\.c|engagement\.c|bcal_|tpl_|eng_|crm_sales\.so|history\.c|timeline|timing|event_|scale_out|bfgs|numeric_glue" $VG/vg.*.log 2>/dev/null || echo "none"
echo "logs kept in $VG"
