#!/usr/bin/env bash
# upgrade.sh: every supported upgrade path of crm_sales, tested.
#
# For each released version X (a frozen install script sql/crm_sales--X.sql
# other than the current default_version), on a throwaway server:
#  1. catalog: a database with CREATE EXTENSION crm_sales VERSION 'X' then
#     ALTER EXTENSION crm_sales UPDATE must hold exactly the objects of a
#     fresh install of the current version: their normalised schema-only
#     dumps (pg_dump --binary-upgrade, which dumps every member object of the
#     extension; OIDs and session lines removed) are equal, and so are the
#     extension's config-table list and the rows of its tables;
#  2. user data: a database filled by fill.sql under version X reads the
#     same through check.sql before and after the update (config rows,
#     history, stored values of every type and the functions that consume
#     them, the trigger's verdicts), and stored values copied out in binary
#     before the update read back equal after it;
#  3. dump: pg_dump of the filled version-X database, restored into a
#     database where CREATE EXTENSION installs the current version, reads
#     the same through check.sql;
#  4. refusal: where the update must drop functions that a user view may
#     call (the separate-argument window_funnel overloads), the update with
#     such a view fails with 2BP01 naming it, leaves version X and the view
#     working, and the documented fix (drop, update, create again) works.
# Prints "ok - ..." / "not ok - ..." lines and "upgrade: N passed, N failed";
# exits non-zero if a check failed.  Assumes the extension (all versions) is
# installed (make install); starts its own server, from port 55700.
set -uo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
here=$root/test/upgrade
# shellcheck source=../../scripts/common.sh
source "$root/scripts/common.sh"
export CRM_PORT_BASE=55700
SUITE=upgrade
# shellcheck source=../tap.sh
source "$root/test/tap.sh"

work=$(mktemp -d /tmp/crm_upgrade.XXXXXX)
chmod 755 "$work"
cleanup() {
	crm_stop_server
	rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

current=$(sed -n "s/^default_version = '\(.*\)'$/\1/p" "$root/crm_sales.control")
mapfile -t released < <(cd "$root/sql" && ls crm_sales--*.sql | grep -v -- '--.*--' |
	sed 's/^crm_sales--\(.*\)\.sql$/\1/' | grep -vxF "$current" | sort -V)

q() {
	local db=$1
	shift
	psql -X -q -v ON_ERROR_STOP=1 -d "$db" "$@"
}

new_db() {
	q postgres -c "SET client_min_messages = warning" -c "DROP DATABASE IF EXISTS $1" \
		-c "CREATE DATABASE $1 TEMPLATE template0"
}

# The schema-only dump of database $1 with every extension member object,
# normalised: no OIDs, no session-specific lines.
catalog_dump() {
	pg_dump --binary-upgrade --schema-only -d "$1" |
		grep -v -e '^\\restrict ' -e '^\\unrestrict ' -e 'binary_upgrade_set_next_' |
		sed -E -e "s/^SET relfrozenxid = '[0-9]+', relminmxid = '[0-9]+'$/SET relfrozenxid = <xid>, relminmxid = <mxid>/" \
			-e "s/^WHERE oid = '[0-9]+';$/WHERE oid = <toast oid>;/" \
			-e "s/(binary_upgrade_create_empty_extension\('crm_sales', 'crm_sales', (true|false), '[^']*'), '[^']*', '[^']*'/\1, <config tables>, <conditions>/"
}

# The extension's config tables and conditions, and every row of every
# table of the extension (a config table's rows include the shipped ones).
extension_data() {
	q "$1" -At -c "
		SELECT c::regclass::text || ' ' || coalesce(w, '')
		  FROM pg_extension e, unnest(e.extconfig, e.extcondition) AS u(c, w)
		 WHERE e.extname = 'crm_sales' ORDER BY 1"
	local t
	for t in $(q "$1" -At -c "
		SELECT c.oid::regclass FROM pg_depend d JOIN pg_class c ON c.oid = d.objid
		 WHERE d.classid = 'pg_class'::regclass AND d.refclassid = 'pg_extension'::regclass
		   AND d.refobjid = (SELECT oid FROM pg_extension WHERE extname = 'crm_sales')
		   AND c.relkind IN ('r', 'p') ORDER BY 1"); do
		echo "-- $t"
		q "$1" -At -c "SELECT t::text FROM $t t ORDER BY 1"
	done
}

check_out() {
	psql -X -d "$1" -f "$here/check.sql" 2>&1
}

# The view of refusal_check: a 2-step window_funnel with separate boolean
# arguments, the form 0.2.0 replaces by a VARIADIC aggregate.
refusal_view="CREATE VIEW user_funnel AS
	SELECT e, crm_sales.window_funnel('1 hour', t, s = 1, s = 2) AS level
	  FROM (VALUES (1, '2026-01-01 10:00+00'::timestamptz, 1), (1, '2026-01-01 10:30+00', 2),
				   (2, '2026-01-01 10:00+00', 1)) v(e, t, s) GROUP BY e"

# refusal_check OLD: when version OLD has the window_funnel overloads that
# the update drops (sql/upgrade/0.1.0--0.2.0/30_funnels.sql), a user view
# calling one makes ALTER EXTENSION UPDATE fail with 2BP01 naming the view
# and leaves version OLD and the view as they were; after the documented
# fix (drop the view, update, create it from the same SQL text) the view
# reads the same through the VARIADIC aggregate.
refusal_check() {
	local old=$1 db="refuse_${1//./_}" n before after
	new_db "$db" >/dev/null && q "$db" -c "CREATE EXTENSION crm_sales VERSION '$old'" >/dev/null ||
		{ not_ok "$old: database for the refusal check"; return; }
	n=$(q "$db" -At -c "SELECT to_regprocedure('crm_sales.window_funnel(interval, timestamptz, boolean, boolean)')
		 IS NOT NULL")
	[ "$n" = t ] || return 0
	q "$db" -c "$refusal_view" >/dev/null || { not_ok "$old: user view on window_funnel"; return; }
	before=$(q "$db" -At -c "SELECT e, level FROM user_funnel ORDER BY e")
	psql -X -q -d "$db" -v VERBOSITY=verbose -c "ALTER EXTENSION crm_sales UPDATE" >"$work/refuse.out" 2>&1
	if grep -q '^ERROR:  2BP01: .*depend on the old ones: .*view public\.user_funnel' "$work/refuse.out" &&
		grep -q '^HINT:  Save their definitions' "$work/refuse.out"; then
		ok "$old: ALTER EXTENSION UPDATE refuses with 2BP01 naming a user view on a dropped window_funnel overload, and the fix"
	else
		not_ok "$old: ALTER EXTENSION UPDATE refuses with 2BP01 naming a user view on a dropped window_funnel overload, and the fix"
		diag "$work/refuse.out"
	fi
	n=$(q "$db" -At -c "SELECT extversion FROM pg_extension WHERE extname = 'crm_sales'")
	after=$(q "$db" -At -c "SELECT e, level FROM user_funnel ORDER BY e" 2>&1)
	if [ "$n" = "$old" ] && [ "$after" = "$before" ]; then
		ok "$old: after the refusal the extension is still $old and the view reads the same"
	else
		not_ok "$old: after the refusal the extension is still $old and the view reads the same (version $n)"
		printf '%s\n%s\n' "$before" "$after" | diag
	fi
	if q "$db" -c "DROP VIEW user_funnel" -c "ALTER EXTENSION crm_sales UPDATE" \
		-c "$refusal_view" >"$work/refuse.out" 2>&1 &&
		after=$(q "$db" -At -c "SELECT e, level FROM user_funnel ORDER BY e") &&
		[ "$after" = "$before" ] && [ "$before" = "$(printf '1|2\n2|1')" ]; then
		ok "$old: drop the view, update, create it again: it reads the same (levels 2 and 1)"
	else
		not_ok "$old: drop the view, update, create it again: it reads the same (levels 2 and 1)"
		printf '%s\n%s\n' "$before" "$after" | diag - "$work/refuse.out"
	fi
}

if crm_start_server; then
	ok "throwaway server started on port $PGPORT"
else
	not_ok "throwaway server started"
	summary
	exit 1
fi

if [ ${#released[@]} -eq 0 ]; then
	not_ok "released versions found in sql/ (frozen install scripts other than $current)"
fi

new_db cat_fresh >/dev/null && q cat_fresh -c "CREATE EXTENSION crm_sales" &&
	catalog_dump cat_fresh >"$work/fresh.catalog" && extension_data cat_fresh >"$work/fresh.data" ||
	not_ok "fresh install of $current"

for old in "${released[@]}"; do
	tag=${old//./_}
	# 1. catalog
	if new_db "cat_$tag" >/dev/null 2>"$work/err" &&
		q "cat_$tag" -c "CREATE EXTENSION crm_sales VERSION '$old'" 2>>"$work/err" &&
		q "cat_$tag" -c "ALTER EXTENSION crm_sales UPDATE" 2>>"$work/err"; then
		ok "$old: install, then ALTER EXTENSION crm_sales UPDATE"
	else
		not_ok "$old: install, then ALTER EXTENSION crm_sales UPDATE"
		diag "$work/err"
		continue
	fi
	v=$(q "cat_$tag" -At -c "SELECT extversion FROM pg_extension WHERE extname = 'crm_sales'")
	if [ "$v" = "$current" ]; then ok "$old: updated to $current"; else not_ok "$old: updated to $current (is $v)"; fi
	catalog_dump "cat_$tag" >"$work/$old.catalog"
	check_diff "$work/fresh.catalog" "$work/$old.catalog" \
		"$old -> $current: every extension object equals a fresh $current install (normalised schema dump, $(grep -c '^CREATE\|^ALTER\|^COMMENT\|^GRANT' "$work/fresh.catalog") statements)"
	extension_data "cat_$tag" >"$work/$old.data"
	check_diff "$work/fresh.data" "$work/$old.data" \
		"$old -> $current: config tables and the extension's table rows equal a fresh install's"

	# 2. user data through the update
	db="use_$tag"
	if new_db "$db" >/dev/null 2>"$work/err" &&
		q "$db" -c "CREATE EXTENSION crm_sales VERSION '$old'" 2>>"$work/err" &&
		q "$db" -f "$here/fill.sql" >/dev/null 2>>"$work/err"; then
		ok "$old: filled with real use (fill.sql)"
	else
		not_ok "$old: filled with real use (fill.sql)"
		diag "$work/err"
		continue
	fi
	check_out "$db" >"$work/$old.before"
	q "$db" -c "\\copy stored TO '$work/stored.bin' WITH (FORMAT binary)"
	pg_dump -Fc -d "$db" -f "$work/$old.dump" 2>"$work/err" || { not_ok "$old: pg_dump"; diag "$work/err"; }
	if q "$db" -c "ALTER EXTENSION crm_sales UPDATE" 2>"$work/err"; then
		ok "$old: ALTER EXTENSION crm_sales UPDATE with user data"
	else
		not_ok "$old: ALTER EXTENSION crm_sales UPDATE with user data"
		diag "$work/err"
	fi
	check_out "$db" >"$work/$old.after"
	check_diff "$work/$old.before" "$work/$old.after" \
		"$old -> $current: user rows, history, config and stored values read and behave the same ($(grep -c . "$work/$old.before") lines of check.sql output)"
	n=$(q "$db" -At -c "CREATE TABLE stored_bin (LIKE stored)" \
		-c "\\copy stored_bin FROM '$work/stored.bin' WITH (FORMAT binary)" \
		-c "SELECT count(*) FROM stored s FULL JOIN stored_bin b USING (name)
			 WHERE s::text IS DISTINCT FROM b::text" 2>&1)
	if [ "$n" = 0 ]; then
		ok "$old -> $current: stored values sent in binary by $old are received equal by $current"
	else
		not_ok "$old -> $current: stored values sent in binary by $old are received equal by $current"
		echo "$n" | diag
	fi

	# 3. dump of the old version restored into the current one
	new_db "restored_$tag" >/dev/null
	if pg_restore -d "restored_$tag" "$work/$old.dump" 2>"$work/err"; then
		ok "$old: its pg_dump restores into $current without errors"
	else
		not_ok "$old: its pg_dump restores into $current without errors"
		diag "$work/err"
	fi
	check_out "restored_$tag" >"$work/$old.restored"
	check_diff "$work/$old.before" "$work/$old.restored" \
		"$old dump restored into $current: everything reads and behaves the same"

	# 4. a user view on a function the update must drop: a clean refusal
	refusal_check "$old"
done

summary
[ "$failed" -eq 0 ]
