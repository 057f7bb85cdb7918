#!/usr/bin/env bash
# clients.sh: the client suite (test/clients/clients.py, psycopg 3) on a
# throwaway server: a database with CREATE EXTENSION crm_sales, then the
# Python suite with the libpq environment pointing at it.  Prints the
# suite's "ok - ..." lines and "clients: N passed, N failed"; exits non-zero
# if a check failed.  Assumes the extension is installed (make install) and
# Debian's python3-psycopg (scripts/test.sh installs it).
set -uo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
# shellcheck source=../../scripts/common.sh
source "$root/scripts/common.sh"
export CRM_PORT_BASE=${CRM_PORT_BASE:-55900}

crm_suite_server clients
export PGDATABASE=crm_clients PGCLIENTENCODING=UTF8
"$PG_BIN/psql" -X -q -d postgres -c "CREATE DATABASE crm_clients" &&
	"$PG_BIN/psql" -X -q -c "CREATE EXTENSION crm_sales" || {
	echo "not ok - database crm_clients with the extension"
	echo "clients: 0 passed, 1 failed"
	exit 1
}
# Debian's interpreter, with Debian's psycopg (not another python3 on PATH)
/usr/bin/python3 "$root/test/clients/clients.py"
