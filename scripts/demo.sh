#!/bin/bash
# demo.sh: the crm_sales demo, from a bare Debian 12 machine to a report.
#
#   bash scripts/demo.sh          build, load, report, stop the server
#   bash scripts/demo.sh --keep   the same, but keep the demo database running
#                                 and print how to connect (psql, libpq URI)
#   bash scripts/demo.sh --stop   stop a demo kept running by --keep
#
# (as root on a fresh machine; as a user who can write the PostgreSQL tree
# otherwise)
#
# Installs the Debian packages that are missing, builds and installs the
# extension, starts a throwaway PostgreSQL 15 instance, creates the database
# crm_demo with CREATE EXTENSION crm_sales, loads a generated demo data set
# (scripts/demo_data.sql: 3,000 customers, 5,000 deals moved through the
# sales funnel by ordinary UPDATEs, with the illegal moves the trigger
# refused), prints a short report (scripts/demo_report.sql) and stops the
# instance, unless --keep.  The data set is deterministic: every run prints
# the same report.  Progress goes to stderr, the report to stdout.
# CRM_PORT_BASE (default 54320) is where the search for a free port starts.
# A kept demo is described by $CRM_DEMO_STATE (default
# /tmp/crm_sales_demo.<uid>.env), which --stop reads.
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# shellcheck source=scripts/common.sh
. "$root/scripts/common.sh"

say() { echo "demo: $*" >&2; }

state=${CRM_DEMO_STATE:-/tmp/crm_sales_demo.$(id -u).env}
mode=run
case ${1:-} in
'') ;;
--keep) mode=keep ;;
--stop) mode=stop ;;
*)
	echo "usage: bash scripts/demo.sh [--keep | --stop]" >&2
	exit 2
	;;
esac

# The kept demo's server, if its state file names one that is running.
kept_running() {
	[ -f "$state" ] || return 1
	# shellcheck disable=SC1090
	(. "$state" && crm_as_server_user "$PG_BIN/pg_ctl" -D "$PGDATA" status >/dev/null 2>&1)
}

if [ "$mode" = stop ]; then
	if [ ! -f "$state" ]; then
		say "no kept demo ($state does not exist)"
		exit 0
	fi
	# shellcheck disable=SC1090
	. "$state"
	dir=$CRM_TMP
	crm_stop_server
	rm -f "$state"
	say "stopped the demo server on port $PGPORT and removed $dir"
	exit 0
fi
if kept_running; then
	say "a demo is already running (see $state); stop it first: bash scripts/demo.sh --stop"
	exit 1
fi

say "checking Debian packages"
crm_base_packages
say "building and installing crm_sales"
crm_build_install "$root"

trap crm_stop_server EXIT
say "starting a throwaway PostgreSQL $PG_MAJOR instance"
# shellcheck disable=SC2119 # no extra server settings
crm_start_server
say "server on port $PGPORT"

# The report has Chinese labels: talk UTF-8 whatever the caller's locale.
export PGCLIENTENCODING=UTF8
psql() { "$PG_BIN/psql" -X -q -v ON_ERROR_STOP=1 "$@"; }

psql -d postgres -c 'CREATE DATABASE crm_demo'
export PGDATABASE=crm_demo
psql -c 'CREATE EXTENSION crm_sales'

say "loading the demo data"
start=$SECONDS
psql -f "$root/scripts/demo_data.sql" >/dev/null
say "loaded in $((SECONDS - start)) s"

psql -f "$root/scripts/demo_report.sql"
psql -f "$root/scripts/demo_performance.sql"

if [ "$mode" = keep ]; then
	trap - EXIT
	cat >"$state" <<EOF
PG_BIN='$PG_BIN'
CRM_TMP='$CRM_TMP'
PGDATA='$PGDATA'
PGPORT='$PGPORT'
EOF
	say "the demo database keeps running; connect with"
	cat >&2 <<EOF

  $PG_BIN/psql "host=$PGHOST port=$PGPORT dbname=crm_demo user=$PGUSER"
  postgresql://$PGUSER@$PGHOST:$PGPORT/crm_demo     (libpq URI, e.g. for a BI tool)

  The demo's tables are in the schema demo, the extension in crm_sales:
    SET search_path = demo, public, crm_sales;
  The server accepts connections from this machine only (127.0.0.1, no
  password).  Stop it with: bash scripts/demo.sh --stop

EOF
	exit 0
fi
crm_stop_server
trap - EXIT
say "done"
