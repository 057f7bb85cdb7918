#!/bin/bash
# demo.sh: the crm_sales demo, from a bare Debian 12 machine to a report.
#
#   bash scripts/demo.sh        (as root on a fresh machine; as a user who
#                                can write the PostgreSQL tree otherwise)
#
# Installs the Debian packages that are missing, builds and installs the
# extension, starts a throwaway PostgreSQL 15 instance, creates the database
# crm_demo with CREATE EXTENSION crm_sales, loads a generated demo data set
# (scripts/demo_data.sql: 3,000 customers, 5,000 deals moved through the
# sales funnel by ordinary UPDATEs, with the illegal moves the trigger
# refused), prints a short report (scripts/demo_report.sql), runs the sales
# automation section on the same data (scripts/demo_automation.sql: rules,
# tasks made by moves, rotting deals, the outbox drained, an email campaign,
# contract renewals) and stops the instance.  The data set is deterministic: every run prints the same report.
# Progress goes to stderr, the report to stdout.
# CRM_PORT_BASE (default 54320) is where the search for a free port starts.
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# shellcheck source=scripts/common.sh
. "$root/scripts/common.sh"

say() { echo "demo: $*" >&2; }

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
psql -f "$root/scripts/demo_automation.sql"

crm_stop_server
trap - EXIT
say "done"
