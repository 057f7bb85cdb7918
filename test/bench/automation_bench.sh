#!/usr/bin/env bash
# automation_bench.sh: what does sales automation cost, and how fast are
# its sweep and outbox?  A benchmark script, not a timed test: it prints
# the figures and ratios of one run and exits 0 whatever they are
# (non-zero only when a run did not do what it should).
#
#   --stage   stage-move UPDATE with one stage-entry rule firing vs the same
#             UPDATE with enforcement only (target ratio <= 1.3)
#   --sweep   the sweep's rotting step over 1,000,000 open deals, 1% rotting,
#             vs plain SQL (target >= 1x; the plan must use an index)
#   --outbox  100,000 events drained by 4 concurrent consumers, every event
#             acknowledged exactly once, vs a plain-SQL SKIP LOCKED queue of
#             the same shape (target: at least as fast)
# Without options all three run.  docs/benchmarks.md has the figures.
#
# Stage moves.  A cyclic model bench_stage (s1 -> s2 -> ... -> s6 -> s1, all
# open) on a BENCH_ROWS-row deals table; pgbench (BENCH_CLIENTS clients,
# -M prepared, BENCH_SECONDS s, BENCH_ROUNDS rounds, variant order rotated,
# medians) moves one random row to its next stage per transaction.
# Variants, all with crm_sales.enforce_transition('stage', 'id'):
#   (e) enforcement only (history, no rule);
#   (r) one stage-entry rule per stage, so every move fires exactly one:
#       title 'Follow up on {name}', due in 3 days, owner column: a task, a
#       task_created event and its NOTIFY, in the move's transaction;
#   (p) as (r), the table's moves also published (a stage_moved event);
#   (i) as (e) plus an inactivity rule: the idle clock kept per move.
# Each run reports TPS and the server backends' CPU time per move (the
# postmaster's reaped children's ticks: steadier than TPS on a shared
# machine).  Then the bulk cost: one UPDATE (in its own transaction, commit
# and its NOTIFYs included) moving BENCH_BULK_ROWS rows, per variant, as the
# backend's own CPU time and as wall time per row, median of
# BENCH_BULK_ROUNDS.  Before each run: history, tasks, events and clocks
# emptied, deals vacuumed, CHECKPOINT.
#
# Sweep.  1,000,000 deals over the five open stages of sales_stage, each
# with its creation in stage_history (1% of them 30 days ago, the rest a
# day ago) and 10% with a call logged 2 days ago; one inactivity rule per
# open stage (idle 14 days, title 'Deal {name} has gone quiet').  Timed,
# 5 rounds each (the tasks and events made are deleted between rounds):
#   (S)  the sweep's reminder step (crm_sales._sweep_rule per rule), which
#        is what run_sweep() does for rotting: 10,000 tasks + events;
#   (P2) the same query written by hand over the same tables (the idle
#        clock crm_sales.entity_touch joined to deals), inserting the same
#        rows into plain tables of the same shape: the best plain-SQL
#        formulation over the same data;
#   (P1) plain SQL over the base tables only (deals, stage_history,
#        activity), as one would write it without an idle clock;
#   (P3) an application-maintained, indexed deals.last_touch column.
# The plan of (S)'s statement is taken with auto_explain (nested
# statements) and must show an index scan of entity_touch_idle.
#
# Outbox.  100,000 events in crm_sales.outbox_event, and the same rows in
# bench.plain_queue (LIKE outbox_event INCLUDING ALL, same fillfactor);
# test/bench/outbox_consumers.py runs BENCH_CONSUMERS processes, each
# claiming BENCH_BATCH events and acknowledging them until the queue is
# empty; crm_sales runs first in odd rounds, plain first in even ones.
# Afterwards every event must be acknowledged exactly once.  Besides the
# throughput, the consumers' server backends' CPU time per event (steadier
# on a shared machine).
#
# Environment (defaults): BENCH_ROWS=1000000 BENCH_SECONDS=15 BENCH_ROUNDS=3
#   BENCH_CLIENTS=2 BENCH_BULK_ROWS=100000 BENCH_BULK_ROUNDS=3
#   BENCH_VARIANTS="e r p i" BENCH_SWEEP_ROWS=1000000 BENCH_EVENTS=100000
#   BENCH_CONSUMERS=4 BENCH_BATCH=100 BENCH_OUTBOX_ROUNDS=3
#   BENCH_NO_BUILD=1 skips building and installing; CRM_PORT_BASE=55600.
set -uo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
source "$root/scripts/common.sh"

ROWS=${BENCH_ROWS:-1000000}
SECS=${BENCH_SECONDS:-15}
ROUNDS=${BENCH_ROUNDS:-3}
CLIENTS=${BENCH_CLIENTS:-2}
BULK_ROWS=${BENCH_BULK_ROWS:-100000}
BULK_ROUNDS=${BENCH_BULK_ROUNDS:-3}
VARIANTS=${BENCH_VARIANTS:-e r p i}
SWEEP_ROWS=${BENCH_SWEEP_ROWS:-1000000}
EVENTS=${BENCH_EVENTS:-100000}
CONSUMERS=${BENCH_CONSUMERS:-4}
BATCH=${BENCH_BATCH:-100}
OUTBOX_ROUNDS=${BENCH_OUTBOX_ROUNDS:-3}
export CRM_PORT_BASE=${CRM_PORT_BASE:-55600}

DO_STAGE=0
DO_SWEEP=0
DO_OUTBOX=0
for arg in "$@"; do
	case $arg in
	--stage) DO_STAGE=1 ;;
	--sweep) DO_SWEEP=1 ;;
	--outbox) DO_OUTBOX=1 ;;
	*) echo "usage: $0 [--stage] [--sweep] [--outbox]" >&2; exit 2 ;;
	esac
done
[ $((DO_STAGE + DO_SWEEP + DO_OUTBOX)) = 0 ] && DO_STAGE=1 DO_SWEEP=1 DO_OUTBOX=1

die() {
	echo "automation_bench: $*" >&2
	exit 1
}

crm_base_packages || die "missing packages"
[ $DO_OUTBOX = 1 ] && { crm_need_packages python3-psycopg || die "the outbox run needs python3-psycopg"; }
if [ "${BENCH_NO_BUILD:-0}" != 1 ]; then
	crm_build_install "$root" || die "build failed"
fi

# As trigger_bench.sh: the CPU cost is measured, not the disk.
trap 'crm_stop_server' EXIT
crm_start_server -c shared_buffers=1GB -c synchronous_commit=off -c autovacuum=off \
	-c max_wal_size=20GB -c checkpoint_timeout=1h -c max_connections=40 ||
	die "server did not start"
PSQL=(env PGOPTIONS='-c client_min_messages=warning' "$PG_BIN/psql" -X -q -v ON_ERROR_STOP=1)
sql() { "${PSQL[@]}" -c "$1" >/dev/null; }
value() { "${PSQL[@]}" -At -c "$1"; }
median() { sort -g | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.3f", a / b }'; }
now_ms() { date +%s%3N; }

# CPU time of the server's client backends, which the machine's load
# disturbs much less than wall time: the postmaster's reaped children's user
# + system ticks, read once the backends of a run have exited
pm=$(head -1 "$PGDATA/postmaster.pid")
tick_us=$((1000000 / $(getconf CLK_TCK)))
backends_ticks() {
	local i
	for ((i = 0; i < 300; i++)); do
		[ "$(ps --ppid "$pm" -o args= | grep -c '^postgres: postgres ')" = 0 ] && break
		sleep 0.05
	done
	awk '{ print $16 + $17 }' "/proc/$pm/stat"
}

echo "== crm_sales automation benchmark"
echo "   $(value 'SELECT version()' | sed 's/ on .*//'), port $PGPORT, $(nproc) cores"
echo "   load at start: $(uptime | sed 's/.*load average/load average/')"
sql "CREATE EXTENSION crm_sales"
sql "CREATE SCHEMA bench"

# ---------------------------------------------------------------------------
# Stage moves
# ---------------------------------------------------------------------------
if [ $DO_STAGE = 1 ]; then
	echo "== stage moves: $ROWS deals, pgbench $CLIENTS clients -M prepared ${SECS}s x $ROUNDS rounds"
	"${PSQL[@]}" -v rows="$ROWS" <<'EOF' >/dev/null || die "stage setup failed"
SELECT crm_sales.create_model('bench_stage', ARRAY['s1', 's2', 's3', 's4', 's5', 's6'],
							  schema_name => 'bench');
SELECT crm_sales.allow_transition('bench.bench_stage', NULL, 's1');
SELECT crm_sales.allow_transition('bench.bench_stage', 's' || i, 's' || (i % 6 + 1))
  FROM generate_series(1, 6) i;
CREATE TABLE bench.deals (
	id		bigint PRIMARY KEY,
	name	text NOT NULL,
	owner	text,
	amount	numeric(14, 2),
	stage	bench.bench_stage NOT NULL
) WITH (fillfactor = 90);
INSERT INTO bench.deals
SELECT i, 'deal ' || i, 'rep ' || (i % 50), (i % 1000) * 100 + 0.5,
	   ('s' || (1 + i % 6))::bench.bench_stage
  FROM generate_series(1, :rows) i;
CREATE TRIGGER deals_stage BEFORE INSERT OR UPDATE OF stage ON bench.deals
	FOR EACH ROW EXECUTE FUNCTION crm_sales.enforce_transition('stage', 'id');
VACUUM (FREEZE, ANALYZE) bench.deals;
EOF
	next="CASE stage WHEN 's1' THEN 's2'::bench.bench_stage WHEN 's2' THEN 's3' WHEN 's3' THEN 's4'
		WHEN 's4' THEN 's5' WHEN 's5' THEN 's6' ELSE 's1' END"
	printf '%s\n' '\set id random(1, :rows)' \
		"UPDATE bench.deals SET stage = $next WHERE id = :id;" >"$CRM_TMP/move.sql"
	chmod 644 "$CRM_TMP/move.sql"

	declare -A LABEL=([e]="(e) enforcement only" [r]="(r) + one stage-entry rule firing"
		[p]="(p) (r) + moves published" [i]="(i) (e) + idle clock (inactivity rule)")
	# the configuration of variant $1
	setup_variant() {
		sql "SELECT crm_sales.drop_rule(rule) FROM crm_sales.followup_rule;
			 DELETE FROM crm_sales.outbox_publication;"
		case $1 in
		r | p)
			sql "SELECT crm_sales.add_stage_rule('follow_s' || i, 'bench.deals', 's' || i,
					'Follow up on {name}', '3 days', 'owner') FROM generate_series(1, 6) i" ;;
		esac
		[ "$1" = p ] && sql "SELECT crm_sales.publish_stage_moves('bench.deals')"
		[ "$1" = i ] && sql "SELECT crm_sales.add_inactivity_rule('idle', 'bench.deals', 's1',
				'14 days', 'Idle {name}', 'owner')"
		sql "TRUNCATE crm_sales.stage_history, crm_sales.task, crm_sales.outbox_event"
		[ "$1" = i ] || sql "TRUNCATE crm_sales.entity_touch"
		sql "VACUUM bench.deals" && sql "CHECKPOINT"
	}
	declare -A TPS BULK CPU BULKW
	vlist=($VARIANTS)
	for ((round = 0; round < ROUNDS; round++)); do
		for ((k = 0; k < ${#vlist[@]}; k++)); do
			v=${vlist[$(((k + round) % ${#vlist[@]}))]}
			setup_variant "$v"
			t0=$(backends_ticks)
			out=$("$PG_BIN/pgbench" -n -M prepared -c "$CLIENTS" -j "$CLIENTS" -T "$SECS" \
				-D rows="$ROWS" -f "$CRM_TMP/move.sql" 2>&1) || die "pgbench failed: $out"
			t1=$(backends_ticks)
			tps=$(echo "$out" | sed -n 's/^tps = \([0-9.]*\).*/\1/p')
			xacts=$(echo "$out" | sed -n 's/^number of transactions actually processed: \([0-9]*\).*/\1/p')
			cpu=$(awk -v t=$((t1 - t0)) -v us=$tick_us -v n="$xacts" 'BEGIN { printf "%.1f", t * us / n }')
			moves=$(value "SELECT count(*) FROM crm_sales.stage_history")
			tasks=$(value "SELECT count(*) FROM crm_sales.task")
			events=$(value "SELECT count(*) FROM crm_sales.outbox_event")
			case $v in
			e | i) [ "$tasks" = 0 ] || die "variant $v made tasks" ;;
			r) [ "$tasks" = "$moves" ] && [ "$events" = "$moves" ] ||
				die "variant r: $moves moves, $tasks tasks, $events events" ;;
			p) [ "$tasks" = "$moves" ] && [ "$events" = $((2 * moves)) ] ||
				die "variant p: $moves moves, $tasks tasks, $events events" ;;
			esac
			TPS[$v]="${TPS[$v]:-} $tps"
			CPU[$v]="${CPU[$v]:-} $cpu"
			printf '   round %d %-38s %7.0f TPS %7s us CPU/move  (%s moves, %s tasks, %s events)\n' \
				$((round + 1)) "${LABEL[$v]}" "$tps" "$cpu" "$moves" "$tasks" "$events"
		done
	done
	echo "   bulk: one UPDATE of $BULK_ROWS rows per run (own transaction, with commit)"
	for ((round = 0; round < BULK_ROUNDS; round++)); do
		for ((k = 0; k < ${#vlist[@]}; k++)); do
			v=${vlist[$(((k + round) % ${#vlist[@]}))]}
			setup_variant "$v"
			# the backend's own CPU ticks around the UPDATE and its commit
			out=$("${PSQL[@]}" -At <<EOF
SELECT pg_backend_pid() AS pid \gset
\setenv BPID :pid
\! awk '{ print "before", \$14 + \$15 }' /proc/\$BPID/stat; date +"wall0 %s%3N"
UPDATE bench.deals SET stage = $next WHERE id <= $BULK_ROWS;
\! awk '{ print "after", \$14 + \$15 }' /proc/\$BPID/stat; date +"wall1 %s%3N"
EOF
)
			us=$(echo "$out" | awk -v us=$tick_us -v n="$BULK_ROWS" '/^before/ { b = $2 } /^after/ { a = $2 }
				END { printf "%.2f", (a - b) * us / n }')
			wall=$(echo "$out" | awk -v n="$BULK_ROWS" '/^wall0/ { b = $2 } /^wall1/ { a = $2 }
				END { printf "%.2f", (a - b) * 1000 / n }')
			BULK[$v]="${BULK[$v]:-} $us"
			BULKW[$v]="${BULKW[$v]:-} $wall"
			printf '   bulk round %d %-38s %7s us CPU/row %7s us wall/row\n' $((round + 1)) \
				"${LABEL[$v]}" "$us" "$wall"
		done
	done
	echo "== stage moves: medians"
	for v in $VARIANTS; do
		tps=$(echo ${TPS[$v]} | tr ' ' '\n' | median)
		cpu=$(echo ${CPU[$v]} | tr ' ' '\n' | median)
		bulk=$(echo ${BULK[$v]} | tr ' ' '\n' | median)
		bulkw=$(echo ${BULKW[$v]} | tr ' ' '\n' | median)
		printf '   %-38s %7.0f TPS %7s us CPU/move   bulk: %7s us CPU/row %7s us wall/row\n' \
			"${LABEL[$v]}" "$tps" "$cpu" "$bulk" "$bulkw"
		eval "MED_TPS_$v=$tps MED_CPU_$v=$cpu MED_BULK_$v=$bulk MED_BULKW_$v=$bulkw"
	done
	if [ -n "${MED_TPS_e:-}" ] && [ -n "${MED_TPS_r:-}" ]; then
		echo "   cost of a move, rule firing / enforcement only (target <= 1.3):"
		echo "     by TPS $(ratio "$MED_TPS_e" "$MED_TPS_r"), by backend CPU per move" \
			"$(ratio "$MED_CPU_r" "$MED_CPU_e"), bulk by CPU $(ratio "$MED_BULK_r" "$MED_BULK_e")," \
			"bulk by wall time $(ratio "$MED_BULKW_r" "$MED_BULKW_e")"
	fi
	sql "DROP TABLE bench.deals" && sql "TRUNCATE crm_sales.stage_history, crm_sales.task,
		crm_sales.outbox_event, crm_sales.entity_touch"
	sql "SELECT crm_sales.drop_rule(rule) FROM crm_sales.followup_rule"
fi

# ---------------------------------------------------------------------------
# Sweep
# ---------------------------------------------------------------------------
if [ $DO_SWEEP = 1 ]; then
	echo "== sweep: $SWEEP_ROWS open deals, 1% idle for 30 days"
	t0=$(now_ms)
	"${PSQL[@]}" -v rows="$SWEEP_ROWS" <<'EOF' >/dev/null || die "sweep setup failed"
CREATE TABLE bench.sdeals (
	id		bigint PRIMARY KEY,
	name	text NOT NULL,
	owner	text,
	stage	crm_sales.sales_stage NOT NULL,
	last_touch timestamptz NOT NULL		-- only for (P3)
);
INSERT INTO bench.sdeals
SELECT i, 'deal ' || i, 'rep ' || (i % 50),
	   (ARRAY['lead_generation', 'initial_contact', 'needs_analysis', 'proposal',
			  'negotiation'])[1 + i % 5]::crm_sales.sales_stage,
	   CASE WHEN i % 100 = 0 THEN now() - interval '30 days'
			WHEN i % 10 = 1 THEN now() - interval '2 days' ELSE now() - interval '1 day' END
  FROM generate_series(1, :rows) i;
CREATE INDEX sdeals_idle ON bench.sdeals (stage, last_touch);
CREATE TRIGGER sdeals_stage BEFORE INSERT OR UPDATE ON bench.sdeals
	FOR EACH ROW EXECUTE FUNCTION crm_sales.enforce_transition('stage', 'id');
-- history: each deal's creation, 1% thirty days ago; a call on 10%
INSERT INTO crm_sales.stage_history (table_name, entity_id, model, from_stage, to_stage, changed_at)
SELECT 'bench.sdeals'::regclass, d.id::text, 'crm_sales.sales_stage'::regtype, NULL,
	   d.stage::text, CASE WHEN d.id % 100 = 0 THEN now() - interval '30 days'
						   ELSE now() - interval '1 day' END
  FROM bench.sdeals d;
INSERT INTO crm_sales.activity (table_name, entity_id, kind, occurred_at, owner)
SELECT 'bench.sdeals'::regclass, d.id::text, 'call', now() - interval '2 days', d.owner
  FROM bench.sdeals d WHERE d.id % 10 = 1;
SELECT crm_sales.add_inactivity_rule('idle_' || s, 'bench.sdeals', s, '14 days',
									 'Deal {name} has gone quiet', 'owner')
  FROM unnest(ARRAY['lead_generation', 'initial_contact', 'needs_analysis', 'proposal',
					'negotiation']) s;
-- the plain tables (P1, P2, P3 write here): same shape and indexes
CREATE TABLE bench.plain_task (LIKE crm_sales.task INCLUDING ALL);
CREATE TABLE bench.plain_event (LIKE crm_sales.outbox_event INCLUDING ALL);
VACUUM ANALYZE bench.sdeals;
VACUUM ANALYZE crm_sales.entity_touch;
VACUUM ANALYZE crm_sales.stage_history;
VACUUM ANALYZE crm_sales.activity;
EOF
	echo "   loaded in $(( ($(now_ms) - t0) / 1000 )) s; idle clocks: $(value "SELECT count(*) FROM crm_sales.entity_touch")," \
		"of which idle > 14 days: $(value "SELECT count(*) FROM crm_sales.entity_touch WHERE last_touch < now() - interval '14 days'")"
	plain_insert="ins AS (INSERT INTO bench.plain_task AS k (rule, table_name, entity_id, owner, title,
				due_at, kind, model, stage, anchor, cancel_on_close)
			SELECT 'idle_' || c.stage, 'bench.sdeals'::regclass, c.entity_id, c.owner, c.title, now(),
				'reminder', 'crm_sales.sales_stage'::regtype, c.stage, c.anchor, true FROM c
			ON CONFLICT (rule, table_name, entity_id, kind, anchor)
			   WHERE kind IN ('reminder', 'escalation', 'date') DO NOTHING
			RETURNING k.*)
		INSERT INTO bench.plain_event (kind, table_name, entity_id, payload)
		SELECT 'reminder', ins.table_name, ins.entity_id,
			   jsonb_build_object('task_id', ins.id, 'task_kind', ins.kind, 'rule', ins.rule,
				   'table', 'bench.sdeals', 'entity_id', ins.entity_id, 'owner', ins.owner,
				   'title', ins.title, 'due_at', ins.due_at, 'stage', ins.stage) FROM ins"
	declare -A SQ=(
		[S]="SELECT sum(crm_sales._sweep_rule(r, 'reminder', now())) FROM crm_sales.followup_rule r
			 WHERE r.kind = 'inactivity'"
		[P2]="WITH c AS (SELECT k.entity_id, k.last_touch AS anchor, t.owner, k.stage, t.title
			  FROM crm_sales.entity_touch k
			 CROSS JOIN LATERAL (SELECT t.owner, 'Deal ' || t.name || ' has gone quiet' AS title
				  FROM bench.sdeals t WHERE t.id = k.entity_id::bigint AND t.stage::text = k.stage
				 LIMIT 1) t
			 WHERE k.table_name = 'bench.sdeals'::regclass AND k.model = 'crm_sales.sales_stage'::regtype
			   AND k.stage = ANY ('{lead_generation,initial_contact,needs_analysis,proposal,negotiation}')
			   AND k.last_touch < now() - interval '14 days'), $plain_insert"
		[P1]="WITH h AS (SELECT h.entity_id, max(h.changed_at) AS moved FROM crm_sales.stage_history h
			 WHERE h.table_name = 'bench.sdeals'::regclass GROUP BY h.entity_id),
			a AS (SELECT a.entity_id, max(a.occurred_at) AS touched FROM crm_sales.activity a
			 WHERE a.table_name = 'bench.sdeals'::regclass GROUP BY a.entity_id),
			c AS (SELECT d.id::text AS entity_id, greatest(h.moved, a.touched) AS anchor, d.owner,
				d.stage::text AS stage, 'Deal ' || d.name || ' has gone quiet' AS title
			  FROM bench.sdeals d JOIN h ON h.entity_id = d.id::text
			  LEFT JOIN a ON a.entity_id = d.id::text
			 WHERE greatest(h.moved, a.touched) < now() - interval '14 days'), $plain_insert"
		[P3]="WITH c AS (SELECT d.id::text AS entity_id, d.last_touch AS anchor, d.owner,
				d.stage::text AS stage, 'Deal ' || d.name || ' has gone quiet' AS title
			  FROM bench.sdeals d
			 WHERE d.stage = ANY ('{lead_generation,initial_contact,needs_analysis,proposal,negotiation}')
			   AND d.last_touch < now() - interval '14 days'), $plain_insert"
	)
	declare -A SLABEL=([S]="(S) sweep reminder step" [P2]="(P2) plain SQL, same tables"
		[P1]="(P1) plain SQL, base tables only" [P3]="(P3) plain SQL, app-kept column")
	declare -A STIME
	for ((round = 0; round < 5; round++)); do
		for q in S P2 P1 P3; do
			sql "DELETE FROM crm_sales.task; DELETE FROM crm_sales.outbox_event;
				 TRUNCATE bench.plain_task, bench.plain_event"
			sql "VACUUM crm_sales.task, crm_sales.outbox_event" && sql "CHECKPOINT"
			t0=$(now_ms)
			sql "${SQ[$q]}"
			t1=$(now_ms)
			made=$(value "SELECT (SELECT count(*) FROM crm_sales.task) + (SELECT count(*) FROM bench.plain_task)")
			[ "$made" = $((SWEEP_ROWS / 100)) ] || die "$q made $made tasks, not $((SWEEP_ROWS / 100))"
			STIME[$q]="${STIME[$q]:-} $((t1 - t0))"
		done
	done
	echo "== sweep: medians of 5 runs ($((SWEEP_ROWS / 100)) tasks and events each)"
	for q in S P2 P1 P3; do
		m=$(echo ${STIME[$q]} | tr ' ' '\n' | median)
		eval "MED_$q=$m"
		printf '   %-38s %8s ms   runs: %s\n' "${SLABEL[$q]}" "$m" "${STIME[$q]# }"
	done
	echo "   speed of the sweep vs (P2): $(ratio "$MED_P2" "$MED_S")x, vs (P1): $(ratio "$MED_P1" "$MED_S")x," \
		"vs (P3): $(ratio "$MED_P3" "$MED_S")x (target >= 1)"
	# the whole sweep, for reference (it also makes a task_due event per reminder)
	sql "DELETE FROM crm_sales.task; DELETE FROM crm_sales.outbox_event"
	t0=$(now_ms)
	steps=$(value "SELECT string_agg(step || '=' || rows, ' ') FROM crm_sales.run_sweep()")
	echo "   run_sweep(): $(($(now_ms) - t0)) ms ($steps)"
	# the plan of the sweep's own statement
	sql "DELETE FROM crm_sales.task; DELETE FROM crm_sales.outbox_event"
	# (auto_explain prints each nested statement's plan as a NOTICE: keep the
	# block of the statement that inserts the tasks, plan lines only)
	plan=$("${PSQL[@]}" -c "LOAD 'auto_explain'" -c "SET auto_explain.log_min_duration = 0" \
		-c "SET auto_explain.log_nested_statements = on" -c "SET auto_explain.log_level = notice" \
		-c "SET client_min_messages = notice" \
		-c "SELECT crm_sales._sweep_rule(r, 'reminder', now()) FROM crm_sales.followup_rule r
			WHERE r.rule = 'idle_proposal'" 2>&1 |
		awk '/^NOTICE:  duration/ { inblk = 0; inplan = 0 }
			 /INSERT INTO crm_sales.task/ { inblk = 1 }
			 inblk && /^[A-Z][A-Za-z ]+ on .*\(cost=|^[A-Z][A-Za-z ]+ +\(cost=/ { inplan = 1 }
			 inblk && inplan { print }')
	echo "   plan of the sweep's statement for one rule (auto_explain):"
	echo "$plan" | sed 's/^/   | /' | head -40
	if echo "$plan" | grep -q "Index .*entity_touch_idle" && ! echo "$plan" | grep -q "Seq Scan"; then
		echo "   plan: index scan of entity_touch_idle, deals by their key, no full scan: PASS"
	else
		echo "   plan: not index scans only: FAIL"
	fi
	sql "DROP TABLE bench.sdeals, bench.plain_task, bench.plain_event"
	sql "SELECT crm_sales.drop_rule(rule) FROM crm_sales.followup_rule"
	sql "TRUNCATE crm_sales.stage_history, crm_sales.task, crm_sales.outbox_event,
		 crm_sales.entity_touch, crm_sales.activity"
fi

# ---------------------------------------------------------------------------
# Outbox
# ---------------------------------------------------------------------------
if [ $DO_OUTBOX = 1 ]; then
	echo "== outbox: $EVENTS events, $CONSUMERS consumers, batches of $BATCH"
	dsn="host=$PGHOST port=$PGPORT user=$PGUSER dbname=$PGDATABASE"
	sql "CREATE TABLE bench.plain_queue (LIKE crm_sales.outbox_event INCLUDING ALL)
		 WITH (fillfactor = 80)"
	fill() {
		sql "TRUNCATE crm_sales.outbox_event, bench.plain_queue"
		t0=$(now_ms)
		sql "INSERT INTO crm_sales.outbox_event (kind, table_name, entity_id, payload)
			 SELECT 'task_created', 'pg_class'::regclass, i::text,
					jsonb_build_object('task_id', i, 'title', 'Follow up on deal ' || i)
			   FROM generate_series(1, $EVENTS) i"
		FILL_MS=$(($(now_ms) - t0))
		sql "INSERT INTO bench.plain_queue SELECT * FROM crm_sales.outbox_event"
		sql "VACUUM ANALYZE crm_sales.outbox_event, bench.plain_queue" && sql "CHECKPOINT"
	}
	check_once() {	# TABLE: every event acknowledged once, by one consumer
		value "SELECT count(*) || ' ' || count(acked_at) || ' ' || count(*) FILTER (WHERE deliveries <> 1)
			FROM $1"
	}
	declare -A EPS OCPU
	for ((round = 0; round < OUTBOX_ROUNDS; round++)); do
		if ((round % 2 == 0)); then order="crm_sales plain"; else order="plain crm_sales"; fi
		for queue in $order; do
			fill
			t0=$(backends_ticks)
			out=$(/usr/bin/python3 "$root/test/bench/outbox_consumers.py" "$dsn" "$queue" "$CONSUMERS" "$BATCH") ||
				die "consumers failed: $out"
			t1=$(backends_ticks)
			cpu=$(awk -v t=$((t1 - t0)) -v us=$tick_us -v n="$EVENTS" 'BEGIN { printf "%.1f", t * us / n }')
			OCPU[$queue]="${OCPU[$queue]:-} $cpu"
			table=crm_sales.outbox_event
			[ "$queue" = plain ] && table=bench.plain_queue
			got=$(check_once $table)
			[ "$got" = "$EVENTS $EVENTS 0" ] || die "$queue: events/acked/redelivered = $got"
			echo "$out" | grep -q "events_acked=$EVENTS " || die "$queue: $out"
			eps=$(echo "$out" | sed -n 's/.*events_per_second=\([0-9]*\).*/\1/p')
			EPS[$queue]="${EPS[$queue]:-} $eps"
			echo "   round $((round + 1)): $(echo "$out" | head -1) backend_cpu_us_per_event=$cpu"
			echo "            $(echo "$out" | tail -1); every event acked once: yes"
		done
		echo "   (writing the $EVENTS crm_sales events, with their NOTIFYs, took $FILL_MS ms)"
	done
	m1=$(echo ${EPS[crm_sales]} | tr ' ' '\n' | median)
	m2=$(echo ${EPS[plain]} | tr ' ' '\n' | median)
	c1=$(echo ${OCPU[crm_sales]} | tr ' ' '\n' | median)
	c2=$(echo ${OCPU[plain]} | tr ' ' '\n' | median)
	echo "== outbox: medians: crm_sales $m1 events/s, plain SKIP LOCKED queue $m2 events/s," \
		"ratio $(ratio "$m1" "$m2") (target >= 1)"
	echo "   server backend CPU per event: crm_sales $c1 us, plain $c2 us;" \
		"plain / crm_sales $(ratio "$c2" "$c1") (>= 1: crm_sales costs no more)"
fi
echo "   load at end: $(uptime | sed 's/.*load average/load average/')"
