#!/usr/bin/env bash
# Script test: the sweep scheduled with pg_cron really runs.  Starts a
# throwaway PostgreSQL 15 with pg_cron in shared_preload_libraries and
# cron.database_name = crm_cron (jobs run in background workers, so no
# connection settings are needed), creates a deal with a date rule whose
# date has passed, registers the sweep with crm_sales.schedule_sweep('1
# minute'), and waits (at most 150 s; pg_cron 1.4 runs jobs on minute
# boundaries) for the task to appear without calling run_sweep() itself.
# Also: the schedule texts, the refusals, unschedule_sweep(), and the clear
# error where pg_cron is not installed.  Needs the Debian package
# postgresql-15-cron (scripts/common.sh crm_test_packages installs it).
# Prints "ok - ..." / "not ok - ..." lines and "pg_cron: N passed, N failed".
set -uo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
# shellcheck source=../../scripts/common.sh
source "$root/scripts/common.sh"
SUITE=pg_cron
# shellcheck source=../tap.sh
source "$root/test/tap.sh"
export CRM_PORT_BASE=${CRM_PORT_BASE:-55800}

if [ ! -f "$($PG_BIN/pg_config --pkglibdir)/pg_cron.so" ]; then
	not_ok "pg_cron is installed ($($PG_BIN/pg_config --pkglibdir)/pg_cron.so missing)"
	summary
	exit 1
fi
trap crm_stop_server EXIT
crm_start_server -c shared_preload_libraries=pg_cron -c cron.database_name=crm_cron \
	-c cron.use_background_workers=on || { not_ok "server with pg_cron started"; summary; exit 1; }
ok "server with pg_cron started"

q() {
	local db=$1
	shift
	"$PG_BIN/psql" -X -q -At -v ON_ERROR_STOP=1 -d "$db" "$@"
}
# the SQLSTATE and message of a statement that must fail
fails() {
	"$PG_BIN/psql" -X -q -At -d crm_cron -v VERBOSITY=verbose -c "$1" 2>&1 |
		sed -n 's/^ERROR:  \([0-9A-Z]\{5\}\): \(.*\)$/\1 \2/p' | head -1
}

q postgres -c "CREATE DATABASE crm_cron" -c "CREATE DATABASE crm_nocron"
q crm_cron -c "CREATE EXTENSION pg_cron" -c "CREATE EXTENSION crm_sales" -c "
	CREATE TABLE deals (id int PRIMARY KEY, owner text, expected_close date,
						stage crm_sales.sales_stage NOT NULL DEFAULT 'lead_generation');
	CREATE TRIGGER deals_stage BEFORE INSERT OR UPDATE ON deals
		FOR EACH ROW EXECUTE FUNCTION crm_sales.enforce_transition('stage', 'id');
	INSERT INTO deals VALUES (1, 'li', current_date - 10);
	SELECT crm_sales.add_date_rule('late', 'deals', 'expected_close', '1 day',
								   'Deal {id} is late', 'owner');" >/dev/null

# the schedule texts pg_cron gets (pg_cron 1.4: at most once a minute)
sched=$(q crm_cron -c "SELECT string_agg(crm_sales._cron_schedule(i::interval, '1.4'), ' | ' ORDER BY n)
	FROM unnest(ARRAY['1 minute', '15 minutes', '1 hour', '6 hours', '1 day']) WITH ORDINALITY u(i, n)")
if [ "$sched" = "* * * * * | */15 * * * * | 0 * * * * | 0 */6 * * * | 0 0 * * *" ]; then
	ok "schedules: $sched"
else
	not_ok "schedules: got [$sched]"
fi
got=$(q crm_cron -c "SELECT crm_sales._cron_schedule('30 seconds', '1.5')")
[ "$got" = "30 seconds" ] && ok "pg_cron 1.5 takes '30 seconds'" || not_ok "sub-minute schedule: [$got]"
got=$(fails "SELECT crm_sales.schedule_sweep('30 seconds')")
case $got in 0A000*) ok "sub-minute refused by pg_cron 1.4: $got" ;; *) not_ok "sub-minute: [$got]" ;; esac
got=$(fails "SELECT crm_sales.schedule_sweep('7 minutes')")
case $got in 22023*) ok "7 minutes refused: $got" ;; *) not_ok "7 minutes: [$got]" ;; esac
got=$(fails "SELECT crm_sales.schedule_sweep('-1 minute')")
case $got in 22023*) ok "negative interval refused: $got" ;; *) not_ok "negative: [$got]" ;; esac
got=$(fails "SELECT crm_sales.schedule_sweep(NULL)")
case $got in 22023*) ok "NULL interval refused: $got" ;; *) not_ok "NULL: [$got]" ;; esac

# without pg_cron: a clear error naming the crontab alternative
q crm_nocron -c "CREATE EXTENSION crm_sales"
got=$("$PG_BIN/psql" -X -q -d crm_nocron -v VERBOSITY=verbose -c "SELECT crm_sales.schedule_sweep()" 2>&1)
if echo "$got" | grep -q "0A000: pg_cron is not installed in database crm_nocron" &&
	echo "$got" | grep -q 'psql -d crm_nocron -c "SELECT crm_sales.run_sweep()"'; then
	ok "without pg_cron: 0A000 with the crontab line"
else
	not_ok "without pg_cron"
	echo "$got" | diag
fi

# schedule it and wait for the task, made by pg_cron's run of the sweep
before=$(q crm_cron -c "SELECT count(*) FROM crm_sales.task")
job=$(q crm_cron -c "SELECT crm_sales.schedule_sweep('1 minute')")
row=$(q crm_cron -c "SELECT jobname, schedule, command, database FROM cron.job WHERE jobid = $job")
if [ "$row" = "crm_sales_sweep|* * * * *|SELECT crm_sales.run_sweep()|crm_cron" ]; then
	ok "cron.job row: $row"
else
	not_ok "cron.job row: [$row]"
fi
tasks=0
start=$SECONDS
while [ $((SECONDS - start)) -lt 150 ]; do
	tasks=$(q crm_cron -c "SELECT count(*) FROM crm_sales.task WHERE rule = 'late'")
	[ "$tasks" -gt 0 ] && break
	sleep 2
done
if [ "$before" = 0 ] && [ "$tasks" = 1 ]; then
	ok "pg_cron ran the sweep: the late deal got its task after $((SECONDS - start)) s"
else
	not_ok "no task from pg_cron after $((SECONDS - start)) s (tasks: $tasks)"
	q crm_cron -c "SELECT status, return_message FROM cron.job_run_details" | diag
fi
runs=$(q crm_cron -c "SELECT count(*) FILTER (WHERE status = 'succeeded') || '/' || count(*)
	FROM cron.job_run_details WHERE jobid = $job")
case $runs in 0/*) not_ok "job runs succeeded: $runs" ;; *) ok "job runs succeeded: $runs" ;; esac
title=$(q crm_cron -c "SELECT owner || ': ' || title FROM crm_sales.task WHERE rule = 'late'")
[ "$title" = "li: Deal 1 is late" ] && ok "task: $title" || not_ok "task: [$title]"

# scheduling again replaces the job; unscheduling removes it
job2=$(q crm_cron -c "SELECT crm_sales.schedule_sweep('15 minutes')")
row=$(q crm_cron -c "SELECT count(*) || ' ' || string_agg(schedule, ',') FROM cron.job WHERE jobname = 'crm_sales_sweep'")
[ "$job2" = "$job" ] && [ "$row" = "1 */15 * * * *" ] && ok "rescheduled: $row" || not_ok "rescheduled: [$job2 $row]"
got=$(q crm_cron -c "SELECT crm_sales.unschedule_sweep()")
left=$(q crm_cron -c "SELECT count(*) FROM cron.job")
[ "$got" = t ] && [ "$left" = 0 ] && ok "unscheduled" || not_ok "unscheduled: [$got, $left jobs left]"

summary
[ "$failed" -eq 0 ]
