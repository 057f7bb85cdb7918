#!/usr/bin/env bash
# docs.sh: the docs suite (test/docs/run_docs.py) on a throwaway server:
# every ```sql example of README.md and docs/*.md runs, page by page, in a
# fresh database, and every output shown under an example is what psql
# prints.  Prints "docs: N passed, N failed"; exits non-zero if a check
# failed.  Assumes the extension is installed (make install).
set -uo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
# shellcheck source=../../scripts/common.sh
source "$root/scripts/common.sh"
export CRM_PORT_BASE=${CRM_PORT_BASE:-56000}

crm_suite_server docs
export CRM_PG_BIN=$PG_BIN
/usr/bin/python3 "$root/test/docs/run_docs.py" "$@"
