#!/usr/bin/env bash
# dump_restore.sh: pg_dump / restore round trip of a database that uses
# crm_sales (README "pg_dump and restore").
#
# Builds a source database with
#   - a user model public.ticket_stage (create_model, add_stage, labels,
#     categories, probabilities, transitions with required columns, a
#     forbidden user move),
#   - changes of the SHIPPED model crm_sales.sales_stage: set_probability,
#     set_labels, forbid_transition and require_columns on shipped moves, a
#     user move added to it; since add_stage refuses shipped models (their
#     enum belongs to the extension; test/sql/stage_model.sql checks the
#     refusal), a copy of it (copy_model) gets the new stage,
#   - tables using both models with the enforce_transition() trigger, and
#     moves, so crm_sales.stage_history has rows,
#   - sales performance config: a user currency, dated exchange rates, the
#     corporate currency, a team tree, dated memberships, quotas, and a
#     stored deal_stats value,
# then dumps it in plain format (restored with psql) and custom format
# (restored with pg_restore) into new databases and compares: the config
# tables, the history and its id sequence, the user tables, the enum types,
# the triggers, and how the trigger and the model functions behave
# (the same probes run in the source and in each restored database).
#
# Prints "ok - ..." / "not ok - ..." per check (details of a failure on
# "# " lines after it), then "dump_restore: N passed, N failed"; exits
# non-zero if a check failed.  Assumes the extension is installed; starts
# and stops its own throwaway server (scripts/common.sh), searching a free
# port from 55600.  Run it as root (the server runs as postgres) or as a
# user who can run initdb.
set -uo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
# shellcheck source=../../scripts/common.sh
source "$root/scripts/common.sh"
export CRM_PORT_BASE=55600

SUITE=dump_restore
# shellcheck source=../tap.sh
source "$root/test/tap.sh"
work=

cleanup() {
	crm_stop_server
	[ -n "$work" ] && rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

work=$(mktemp -d /tmp/crm_dump.XXXXXX)

# psql on database $1, stopping at the first error, unaligned output.
q() {
	local db=$1
	shift
	psql -X -q -v ON_ERROR_STOP=1 -A -F '|' -P footer=off -d "$db" "$@"
}

if crm_start_server; then
	ok "throwaway server started on port $PGPORT"
else
	not_ok "throwaway server started"
	summary
	exit 1
fi

# ----------------------------------------------------------------------
# The source database
# ----------------------------------------------------------------------

cat >"$work/setup.sql" <<'EOF'
CREATE EXTENSION crm_sales;

-- a user model in schema public
SELECT crm_sales.create_model('ticket_stage',
	ARRAY['new', 'triaged', 'in_progress', 'fixed', 'wont_fix'],
	'other', 'Support tickets', '工单', 'public');
SELECT crm_sales.add_stage('ticket_stage', 'blocked', 'open', 0.3, 'Blocked', '受阻',
	after_stage => 'in_progress');
SELECT crm_sales.set_category('ticket_stage', 'fixed', 'won');
SELECT crm_sales.set_category('ticket_stage', 'wont_fix', 'lost');
SELECT crm_sales.set_probability('ticket_stage', 'triaged', 0.25);
SELECT crm_sales.set_probability('ticket_stage', 'in_progress', 0.6);
SELECT crm_sales.set_labels('ticket_stage', 'new', 'New ticket', '新工单');
SELECT crm_sales.set_labels('ticket_stage', 'wont_fix', 'Won''t fix', '不修复');
SELECT crm_sales.allow_transition('ticket_stage', NULL, 'new');
SELECT crm_sales.allow_transition('ticket_stage', 'new', 'triaged');
SELECT crm_sales.allow_transition('ticket_stage', 'new', 'wont_fix');
SELECT crm_sales.allow_transition('ticket_stage', 'triaged', 'in_progress', '{assignee}');
SELECT crm_sales.allow_transition('ticket_stage', 'triaged', 'wont_fix');
SELECT crm_sales.allow_transition('ticket_stage', 'in_progress', 'blocked');
SELECT crm_sales.allow_transition('ticket_stage', 'blocked', 'in_progress');
SELECT crm_sales.allow_transition('ticket_stage', 'in_progress', 'fixed', '{assignee,resolution}');
SELECT crm_sales.forbid_transition('ticket_stage', 'new', 'wont_fix');

-- changes of the shipped sales pipeline
SELECT crm_sales.set_probability('crm_sales.sales_stage', 'proposal', 0.55);
SELECT crm_sales.set_labels('crm_sales.sales_stage', 'closed_lost', 'Closed lost', '输单');
SELECT crm_sales.forbid_transition('crm_sales.sales_stage', 'proposal', 'closed_won');
SELECT crm_sales.require_columns('crm_sales.sales_stage', 'negotiation', 'closed_won',
	'{amount,closed_on}');
SELECT crm_sales.allow_transition('crm_sales.sales_stage', 'closed_won', 'closed_lost');
-- a shipped enum cannot grow (pg_dump would lose the value): a copy can
SELECT crm_sales.copy_model('crm_sales.sales_stage', 'paused_stage');
SELECT crm_sales.add_stage('paused_stage', 'on_hold', 'open', 0.3, 'On hold', '搁置',
	after_stage => 'negotiation');
SELECT crm_sales.allow_transition('paused_stage', 'negotiation', 'on_hold');
SELECT crm_sales.allow_transition('paused_stage', 'on_hold', 'negotiation');

-- tables using the models
CREATE TABLE deals (
	id			bigint PRIMARY KEY,
	name		text NOT NULL,
	amount		numeric(12, 2),
	closed_on	date,
	stage		crm_sales.sales_stage NOT NULL
);
CREATE TRIGGER deals_stage BEFORE INSERT OR UPDATE OF stage ON deals
	FOR EACH ROW EXECUTE FUNCTION crm_sales.enforce_transition('stage', 'id');

CREATE TABLE tickets (
	id			int PRIMARY KEY,
	title		text NOT NULL,
	assignee	text,
	resolution	text,
	stage		ticket_stage NOT NULL
);
CREATE TRIGGER tickets_stage BEFORE INSERT OR UPDATE OF stage ON tickets
	FOR EACH ROW EXECUTE FUNCTION crm_sales.enforce_transition('stage', 'id');

-- deals that use the stage added to the copy of the shipped model
CREATE TABLE paused_deals (
	id			bigint PRIMARY KEY,
	name		text NOT NULL,
	stage		paused_stage NOT NULL
);
CREATE TRIGGER paused_deals_stage BEFORE INSERT OR UPDATE OF stage ON paused_deals
	FOR EACH ROW EXECUTE FUNCTION crm_sales.enforce_transition('stage', 'id');

INSERT INTO deals (id, name, stage)
	SELECT g, 'deal ' || g, 'lead_generation' FROM generate_series(1, 6) g;
UPDATE deals SET stage = 'initial_contact' WHERE id = 1;
UPDATE deals SET stage = 'proposal' WHERE id IN (1, 2, 3);
UPDATE deals SET stage = 'negotiation' WHERE id IN (2, 3);
UPDATE deals SET stage = 'closed_won', amount = 12000, closed_on = '2024-03-01' WHERE id = 3;
UPDATE deals SET stage = 'closed_lost' WHERE id = 4;
UPDATE deals SET stage = 'needs_analysis' WHERE id = 6;

INSERT INTO tickets (id, title, stage)
	SELECT g, 'ticket ' || g, 'new' FROM generate_series(1, 6) g;
UPDATE tickets SET stage = 'triaged' WHERE id IN (1, 2, 3, 4);
UPDATE tickets SET stage = 'in_progress', assignee = 'li.wei' WHERE id IN (2, 3);
UPDATE tickets SET stage = 'blocked' WHERE id = 2;
UPDATE tickets SET stage = 'fixed', resolution = 'patched' WHERE id = 3;
UPDATE tickets SET stage = 'wont_fix' WHERE id = 4;

INSERT INTO paused_deals (id, name, stage)
	SELECT g, 'paused ' || g, 'lead_generation' FROM generate_series(1, 2) g;
UPDATE paused_deals SET stage = 'negotiation';
UPDATE paused_deals SET stage = 'on_hold' WHERE id = 1;

-- lead scoring rules (config tables lead_score_rule_set, lead_score_rule)
INSERT INTO crm_sales.lead_score_rule_set VALUES ('web', 'Web leads'), ('empty', NULL);
INSERT INTO crm_sales.lead_score_rule VALUES
	('web', 1, '{visits}', '>=', '3', 10, 'positive', 'frequent visitor'),
	('web', 2, '{email}', 'contains', '"@gmail."', 4, 'negative', NULL),
	('web', 3, '{tags}', 'in', '[["a"], "b"]', 2, 'positive', NULL);

-- sales performance config: a currency of one's own, dated rates, the
-- corporate currency, a team tree, dated memberships, quotas; and a stored
-- deal_stats value
INSERT INTO crm_sales.currency (code, minor_units, name) VALUES ('XBT', 8, 'Bitcoin');
INSERT INTO crm_sales.exchange_rate VALUES
	('EUR', 'USD', '2024-01-01', 1.0823), ('EUR', 'USD', '2024-02-01', 1.04),
	('XBT', 'USD', '2024-01-01', 42000.5), ('USD', 'JPY', '2024-01-01', 151.37);
SELECT crm_sales.set_corporate_currency('USD');
INSERT INTO crm_sales.sales_team VALUES ('Global', NULL, NULL, '全球'), ('EMEA', 'Global', NULL, NULL),
	('EMEA North', 'EMEA', NULL, NULL);
INSERT INTO crm_sales.team_member VALUES ('ann', 'EMEA', '2024-01-01', '2024-03-01'),
	('ann', 'EMEA North', '2024-03-01', NULL);
INSERT INTO crm_sales.quota (owner, team, period, period_start, amount, currency) VALUES
	('ann', NULL, 'quarter', '2024-01-01', 1000, 'EUR'), (NULL, 'EMEA', 'year', '2024-01-01', 50000, 'USD');
CREATE TABLE kpi_rollup AS
SELECT 'all'::text AS grp, crm_sales.deal_stats(stage, amount, date '2024-01-01', closed_on) AS s FROM deals;
EOF

# A new empty database $1 (dropped first if a previous run left it).
fresh_db() {
	q postgres -c "SET client_min_messages = warning" -c "DROP DATABASE IF EXISTS $1" \
		-c "CREATE DATABASE $1 TEMPLATE template0" >/dev/null
}

fresh_db crm_src 2>"$work/setup.err"
if q crm_src -f "$work/setup.sql" >/dev/null 2>>"$work/setup.err"; then
	ok "source database built: user model, changed shipped model, tables with history"
else
	not_ok "source database built: user model, changed shipped model, tables with history"
	diag "$work/setup.err"
	summary
	exit 1
fi

# ----------------------------------------------------------------------
# What is compared
# ----------------------------------------------------------------------

# Ordered contents of database $1 under the name of each item; the files
# go to $work/$2.NAME.
snapshot() {
	local db=$1 prefix=$2
	q "$db" -c "SELECT model, kind, label_en, label_zh, origin FROM crm_sales.model
				ORDER BY model::text" >"$work/$prefix.model" 2>&1
	q "$db" -c "SELECT model, stage, position, category, probability, label_en, label_zh, origin
				FROM crm_sales.stage ORDER BY model::text, position, stage" >"$work/$prefix.stage" 2>&1
	q "$db" -c "SELECT model, from_stage, to_stage, required_columns, allowed, origin
				FROM crm_sales.transition
				ORDER BY model::text, from_stage NULLS FIRST, to_stage" >"$work/$prefix.transition" 2>&1
	q "$db" -c "SELECT id, table_name, entity_id, model, from_stage, to_stage, changed_at, changed_by
				FROM crm_sales.stage_history ORDER BY id" >"$work/$prefix.stage_history" 2>&1
	q "$db" -t -c "SELECT format('last_value %s, is_called %s', last_value, is_called)
				FROM crm_sales.stage_history_id_seq" >"$work/$prefix.sequence" 2>&1
	q "$db" -c "SELECT * FROM crm_sales.lead_score_rule_set ORDER BY rule_set" \
		>"$work/$prefix.lead_score_rule_set" 2>&1
	q "$db" -c "SELECT * FROM crm_sales.lead_score_rule ORDER BY rule_set, rule_id" \
		>"$work/$prefix.lead_score_rule" 2>&1
	q "$db" -c "SELECT * FROM crm_sales.currency WHERE origin = 'user' ORDER BY code" >"$work/$prefix.currency" 2>&1
	q "$db" -c "SELECT * FROM crm_sales.exchange_rate ORDER BY 1, 2, 3" >"$work/$prefix.exchange_rate" 2>&1
	q "$db" -c "SELECT crm_sales.corporate_currency(), crm_sales.to_currency(1000, 'EUR', 'JPY', '2024-02-15'),
					   crm_sales.to_currency(1, 'USD', 'XBT', '2024-02-15')" >"$work/$prefix.conversion" 2>&1
	q "$db" -c "SELECT * FROM crm_sales.sales_team ORDER BY team" >"$work/$prefix.sales_team" 2>&1
	q "$db" -c "SELECT * FROM crm_sales.team_member ORDER BY owner, valid_from" >"$work/$prefix.team_member" 2>&1
	q "$db" -c "SELECT * FROM crm_sales.quota ORDER BY owner NULLS LAST, team" >"$work/$prefix.quota" 2>&1
	q "$db" -c "SELECT grp, s::text, crm_sales.win_rate(s) FROM kpi_rollup" >"$work/$prefix.kpi_rollup" 2>&1
	q "$db" -c "SELECT * FROM deals ORDER BY id" >"$work/$prefix.deals" 2>&1
	q "$db" -c "SELECT * FROM tickets ORDER BY id" >"$work/$prefix.tickets" 2>&1
	q "$db" -c "SELECT * FROM paused_deals ORDER BY id" >"$work/$prefix.paused_deals" 2>&1
	q "$db" -c "SELECT enum_range(NULL::crm_sales.sales_stage)" >"$work/$prefix.enum_sales_stage" 2>&1
	q "$db" -c "SELECT enum_range(NULL::public.ticket_stage)" >"$work/$prefix.enum_ticket_stage" 2>&1
	q "$db" -c "SELECT enum_range(NULL::public.paused_stage)" >"$work/$prefix.enum_paused_stage" 2>&1
	q "$db" -c "SELECT tgrelid::regclass, pg_get_triggerdef(oid) FROM pg_trigger
				WHERE NOT tgisinternal AND tgrelid::regclass::text NOT LIKE 'crm_sales.%'
				ORDER BY tgrelid::regclass::text, tgname" >"$work/$prefix.triggers" 2>&1
}

# The probes: "n|description|SQL|expected outcome".  Outcomes: a SQLSTATE,
# "ok (N rows)" for a change, "= value" for a SELECT.  Every probe runs in
# its own subtransaction of one transaction that is rolled back, so the
# probes change nothing and do not see each other's changes.
cat >"$work/probes.txt" <<'EOF'
1|deals: proposal -> closed_won, a shipped move forbidden with forbid_transition, refused|UPDATE deals SET stage = 'closed_won', amount = 1, closed_on = '2024-01-01' WHERE id = 1|23514
2|deals: proposal -> negotiation, an unchanged shipped move, allowed|UPDATE deals SET stage = 'negotiation' WHERE id = 1|ok (1 rows)
3|deals: negotiation -> closed_won without amount, required by require_columns on a shipped move, refused|UPDATE deals SET stage = 'closed_won', closed_on = '2024-01-01' WHERE id = 2|23502
4|deals: negotiation -> closed_won with amount and closed_on allowed|UPDATE deals SET stage = 'closed_won', amount = 500, closed_on = '2024-01-01' WHERE id = 2|ok (1 rows)
5|deals: closed_won -> negotiation refused (shipped rule)|UPDATE deals SET stage = 'negotiation' WHERE id = 3|23514
6|deals: closed_won -> closed_lost, a user move added to the shipped model, allowed|UPDATE deals SET stage = 'closed_lost' WHERE id = 3|ok (1 rows)
7|deals: creation in proposal refused (shipped rule)|INSERT INTO deals (id, name, stage) VALUES (100, 'new deal', 'proposal')|23514
8|tickets: new -> fixed refused (user model)|UPDATE tickets SET stage = 'fixed', assignee = 'x', resolution = 'y' WHERE id = 5|23514
9|tickets: new -> wont_fix, forbidden with forbid_transition, refused|UPDATE tickets SET stage = 'wont_fix' WHERE id = 5|23514
10|tickets: triaged -> in_progress without assignee (required) refused|UPDATE tickets SET stage = 'in_progress' WHERE id = 1|23502
11|tickets: triaged -> in_progress with assignee allowed|UPDATE tickets SET stage = 'in_progress', assignee = 'zhang.min' WHERE id = 1|ok (1 rows)
12|tickets: blocked -> in_progress, into and out of a stage added with add_stage, allowed|UPDATE tickets SET stage = 'in_progress' WHERE id = 2|ok (1 rows)
13|paused_deals: negotiation -> on_hold, the stage added to a copy of the shipped model, allowed|UPDATE paused_deals SET stage = 'on_hold' WHERE id = 2|ok (1 rows)
14|stage_probability(proposal) is the changed shipped probability|SELECT crm_sales.stage_probability('proposal'::crm_sales.sales_stage)|= 0.55
15|stage_label(closed_lost, zh) is the changed shipped label|SELECT crm_sales.stage_label('closed_lost'::crm_sales.sales_stage, 'zh')|= 输单
16|allowed_transitions(negotiation) of the copied model|SELECT crm_sales.allowed_transitions('negotiation'::paused_stage)::text|= {on_hold,closed_won,closed_lost}
17|stage_position(closed_won) after add_stage renumbered the copied model|SELECT crm_sales.stage_position('closed_won'::paused_stage)|= 7
18|user model: allowed_transitions(in_progress), stage_category(fixed), stage_probability(in_progress)|SELECT format('%s %s %s', crm_sales.allowed_transitions('in_progress'::ticket_stage), crm_sales.stage_category('fixed'::ticket_stage), crm_sales.stage_probability('in_progress'::ticket_stage))|= {blocked,fixed} won 0.6
19|lead_score with the restored rules: 10 - 4 + 2|SELECT crm_sales.lead_score('web', '{"visits": 5, "email": "a@gmail.com", "tags": ["a"]}')|= 8
EOF

# Run the probes in database $1; writes "n|outcome" lines to $work/$2.probes.
run_probes() {
	local db=$1 prefix=$2
	{
		echo "BEGIN;"
		echo "CREATE TEMP TABLE probe (n int, sql text, outcome text) ON COMMIT DROP;"
		echo "INSERT INTO probe (n, sql) VALUES"
		local first=1 n desc sql expect
		while IFS='|' read -r n desc sql expect; do
			[ $first = 1 ] || echo ","
			first=0
			printf "(%s, \$probe\$%s\$probe\$)" "$n" "$sql"
		done <"$work/probes.txt"
		echo ";"
		cat <<'EOF'
DO $$
DECLARE
	p record;
	res text;
	cnt bigint;
BEGIN
	FOR p IN SELECT * FROM probe ORDER BY n LOOP
		BEGIN
			IF p.sql LIKE 'SELECT%' THEN
				EXECUTE p.sql INTO res;
				res := '= ' || coalesce(res, 'NULL');
			ELSE
				EXECUTE p.sql;
				GET DIAGNOSTICS cnt = ROW_COUNT;
				res := format('ok (%s rows)', cnt);
			END IF;
		EXCEPTION WHEN OTHERS THEN
			res := SQLSTATE || ' ' || SQLERRM;
		END;
		UPDATE probe SET outcome = res WHERE n = p.n;
	END LOOP;
END $$;
SELECT n, outcome FROM probe ORDER BY n;
ROLLBACK;
EOF
	} >"$work/probes.sql"
	q "$db" -t -f "$work/probes.sql" >"$work/$prefix.probes" 2>&1
}

# Outcome of probe $2 in file $1 ("23514 message..." or "ok (...)" or "= v").
probe_outcome() {
	grep -E "^$2\|" "$1" | head -1 | cut -d'|' -f2-
}

# Does outcome $1 match expectation $2?  A SQLSTATE matches an outcome that
# starts with it; anything else must be equal.
outcome_matches() {
	case "$2" in
	[0-9A-Z][0-9A-Z][0-9A-Z][0-9A-Z][0-9A-Z]) [[ "$1" == "$2 "* ]] ;;
	*) [ "$1" = "$2" ] ;;
	esac
}

snapshot crm_src src
# a query of the snapshot that failed in the source would compare equal
if grep -l 'ERROR' "$work"/src.* >"$work/snap.err" 2>/dev/null; then
	not_ok "source snapshot: every query ran"
	diag "$work/snap.err"
else
	ok "source snapshot: every query ran"
fi

# ----------------------------------------------------------------------
# Dump, restore, compare
# ----------------------------------------------------------------------

if pg_dump -d crm_src -f "$work/dump.sql" 2>"$work/dump_plain.err"; then
	ok "pg_dump, plain format"
else
	not_ok "pg_dump, plain format"
	diag "$work/dump_plain.err"
fi
if pg_dump -d crm_src -Fc -f "$work/dump.custom" 2>"$work/dump_custom.err"; then
	ok "pg_dump, custom format"
else
	not_ok "pg_dump, custom format"
	diag "$work/dump_custom.err"
fi

# The probes in the source, after the dumps: rolled back, they still use
# values of the history id sequence.
run_probes crm_src src
bad=0
: >"$work/src.probes.bad"
while IFS='|' read -r n desc sql expect; do
	got=$(probe_outcome "$work/src.probes" "$n")
	if ! outcome_matches "$got" "$expect"; then
		bad=1
		echo "probe $n ($desc): expected \"$expect\", got \"$got\"" >>"$work/src.probes.bad"
	fi
done <"$work/probes.txt"
if [ $bad = 0 ]; then
	ok "source: the $(wc -l <"$work/probes.txt") probes of trigger and model functions give the expected outcomes"
else
	not_ok "source: the probes of trigger and model functions give the expected outcomes"
	diag "$work/src.probes.bad" "$work/src.probes"
fi


# Compare item $3 of snapshots $1 (source) and $2 (restored), as check $4.
compare() {
	local a=$work/$1.$3 b=$work/$2.$3
	if diff -u "$a" "$b" >"$work/diff" 2>&1; then
		ok "$4"
	else
		not_ok "$4"
		diag "$work/diff"
	fi
}

# The checks of restored database $1, labelled $2 in their descriptions.
check_restored() {
	local db=$1 label=$2 item

	snapshot "$db" "$label"
	compare src "$label" model "$label: crm_sales.model rows equal"
	compare src "$label" stage "$label: crm_sales.stage rows equal (changed shipped and user stages)"
	compare src "$label" transition "$label: crm_sales.transition rows equal (forbidden, required-column and user moves)"
	compare src "$label" stage_history "$label: crm_sales.stage_history rows equal"
	compare src "$label" sequence "$label: stage_history id sequence restored ($(head -1 "$work/src.sequence"))"
	compare src "$label" lead_score_rule_set "$label: crm_sales.lead_score_rule_set rows equal"
	compare src "$label" lead_score_rule "$label: crm_sales.lead_score_rule rows equal"
	for item in currency exchange_rate sales_team team_member quota; do
		compare src "$label" "$item" "$label: crm_sales.$item rows equal"
	done
	compare src "$label" conversion "$label: corporate currency and conversions (triangulated, to a user currency) equal"
	compare src "$label" kpi_rollup "$label: stored deal_stats values equal"
	for item in deals tickets paused_deals; do
		compare src "$label" "$item" "$label: table $item equal"
	done
	compare src "$label" enum_ticket_stage "$label: user enum ticket_stage has the same values (with the add_stage value blocked)"
	compare src "$label" enum_sales_stage "$label: shipped enum crm_sales.sales_stage has the same values"
	compare src "$label" enum_paused_stage "$label: copied enum paused_stage has the same values (with the add_stage value on_hold)"
	compare src "$label" triggers "$label: enforce_transition triggers restored"

	# History keeps growing, with ids following the restored ones (before
	# the probes, which use up sequence values).
	local max after want_ids
	max=$(q "$db" -t -c "SELECT coalesce(max(id), 0) FROM crm_sales.stage_history" 2>&1)
	if q "$db" -c "UPDATE deals SET stage = 'initial_contact' WHERE id = 5" \
		-c "UPDATE tickets SET stage = 'triaged' WHERE id = 6" >"$work/grow.out" 2>&1; then
		after=$(q "$db" -t -c "SELECT string_agg(id || ':' || entity_id || ':' || coalesce(from_stage, '') || '->' || to_stage, ' ' ORDER BY id)
							   FROM crm_sales.stage_history WHERE id > $max" 2>&1)
		want_ids="$((max + 1)):5:lead_generation->initial_contact $((max + 2)):6:new->triaged"
		if [ "$after" = "$want_ids" ]; then
			ok "$label: new moves add history rows $((max + 1)) and $((max + 2)) after the restored ones"
		else
			not_ok "$label: new moves add history rows $((max + 1)) and $((max + 2)) after the restored ones"
			echo "# expected: $want_ids"
			echo "# got:      $after"
		fi
	else
		not_ok "$label: new moves add history rows after the restored ones"
		diag "$work/grow.out"
	fi

	run_probes "$db" "$label"
	local n desc sql expect got want
	while IFS='|' read -r n desc sql expect; do
		got=$(probe_outcome "$work/$label.probes" "$n")
		want=$(probe_outcome "$work/src.probes" "$n")
		if [ -n "$got" ] && [ "$got" = "$want" ] && outcome_matches "$got" "$expect"; then
			ok "$label: probe $n: $desc [$expect]"
		else
			not_ok "$label: probe $n: $desc [$expect]"
			echo "# source:   $want"
			echo "# restored: ${got:-(no outcome)}"
			[ -n "$got" ] || diag "$work/$label.probes"
		fi
	done <"$work/probes.txt"
}

# plain format, restored with psql (going on after errors, like a user would
# see them all)
fresh_db crm_plain 2>"$work/db.err" || { not_ok "plain: create the target database"; diag "$work/db.err"; }
psql -X -q -v ON_ERROR_STOP=0 -d crm_plain -f "$work/dump.sql" >/dev/null 2>"$work/restore_plain.err"
if grep -q 'ERROR' "$work/restore_plain.err"; then
	not_ok "plain: psql restores the dump without errors"
	diag "$work/restore_plain.err"
else
	ok "plain: psql restores the dump without errors"
fi
check_restored crm_plain plain

# custom format, restored with pg_restore
fresh_db crm_custom 2>"$work/db.err" || { not_ok "custom: create the target database"; diag "$work/db.err"; }
if pg_restore -d crm_custom "$work/dump.custom" >/dev/null 2>"$work/restore_custom.err"; then
	ok "custom: pg_restore restores the dump without errors"
else
	not_ok "custom: pg_restore restores the dump without errors"
	diag "$work/restore_custom.err"
fi
check_restored crm_custom custom

summary
[ "$failed" -eq 0 ]
