#!/usr/bin/env bash
# trigger_bench.sh: what does crm_sales.enforce_transition() cost?
#
# A benchmark script, not a timed test: it prints the figures and ratios
# measured in one run and exits 0 whatever they are (non-zero only if the
# benchmark itself could not run, or a run did not do what it should).
#
# pgbench, 2 clients: each transaction moves one random row of a
# 1,000,000-row deals table to the next stage of an ALLOWED loop
#
#   lead_generation -> initial_contact -> needs_analysis -> proposal
#     -> negotiation -> closed_lost -> lead_generation (reopen) -> ...
#
# so every transaction is a real, accepted stage change (and, with history,
# writes one crm_sales.stage_history row; the script checks both).
# Variants: same table, same statement, same pgbench settings:
#   (a) no trigger
#   (b) C trigger, validating only:  crm_sales.enforce_transition('stage')
#   (c) C trigger with history:      crm_sales.enforce_transition('stage', 'id')
#   (d) an equivalent PL/pgSQL trigger: the allowed move looked up in
#       crm_sales.transition, required columns checked in NEW (to_jsonb),
#       same SQLSTATEs, same stage_history row (checked on 9 statements)
# Optional variants (e.g. BENCH_VARIANTS="a n b c s f d"):
#   (n) the built-in C trigger suppress_redundant_updates_trigger(), about
#       the cheapest BEFORE ROW trigger there is: the floor that PostgreSQL's
#       trigger machinery (row lock of the old row, tuple copies) puts under
#       any such trigger;
#   (s) as (c), with FORCE ROW LEVEL SECURITY on crm_sales.stage_history
#       (so that its policy binds even the owner, who writes the history),
#       which makes the trigger take its general path: the history INSERT
#       through SPI instead of the direct heap and index insert; row
#       security as shipped (not forced) keeps the direct path;
#   (f) as (c), created as an AFTER ROW trigger (the form the README
#       recommends for tables written by upserts).
# The moves of the loop get required columns (crm_sales.require_columns), so
# the required-column check does real work in (b), (c) and (d); set
# BENCH_REQUIRED=0 to use the shipped model as is (no required columns).
#
# Noise: every variant runs BENCH_ROUNDS times, the order rotated each round
# (a b c d, b c d a, ...).  Before each run its trigger is (re)created,
# stage_history truncated, deals vacuumed, CHECKPOINT.  A variant's figure is
# the median of its rounds; ratios are computed from the medians, per-round
# ratios are printed too.  Two figures per run:
#   TPS          what the issue's targets are stated in; with 2 clients on
#                2 cores it also carries the client's share and scheduling;
#   backend CPU  CPU time (user+sys) of the server backends per transaction,
#                read from the postmaster's reaped-children counters; this is
#                what the trigger adds to, and it is steadier than TPS.
#
# Usage: test/bench/trigger_bench.sh [--bulk] [--perf]
#   --bulk   afterwards, the per-row cost of each variant without pgbench:
#            one UPDATE statement moving BENCH_BULK_ROWS rows in random order
#            (no network, no client, no commit per row: much steadier, and
#            it isolates what the trigger adds to each row)
#   --perf   afterwards, profile the variants of BENCH_PERF_VARIANTS with
#            perf (call graphs) and print where the backends' time goes
# Environment (defaults): BENCH_ROWS=1000000 BENCH_SECONDS=15 BENCH_ROUNDS=5
#   BENCH_CLIENTS=2 BENCH_WARMUP=5 BENCH_PROTOCOL=prepared BENCH_REQUIRED=1
#   BENCH_VARIANTS="a b c d" BENCH_PERF_SECONDS=10 BENCH_PERF_VARIANTS="c d"
#   BENCH_BULK_ROWS=200000 BENCH_BULK_ROUNDS=5
#   BENCH_NO_BUILD=1 skips building and installing the extension;
#   CRM_PORT_BASE=55500 first port tried for the throwaway server.
# -M prepared is the default: the statement is planned once per connection,
# so the trigger's cost is not diluted by parsing and planning (a stricter
# comparison than the simple protocol; BENCH_PROTOCOL=simple for that one).
set -uo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
source "$root/scripts/common.sh"

ROWS=${BENCH_ROWS:-1000000}
SECONDS_PER_RUN=${BENCH_SECONDS:-15}
ROUNDS=${BENCH_ROUNDS:-5}
CLIENTS=${BENCH_CLIENTS:-2}
WARMUP=${BENCH_WARMUP:-5}
PROTOCOL=${BENCH_PROTOCOL:-prepared}
REQUIRED=${BENCH_REQUIRED:-1}
VARIANTS=${BENCH_VARIANTS:-a b c d}
PERF_SECONDS=${BENCH_PERF_SECONDS:-10}
PERF_VARIANTS=${BENCH_PERF_VARIANTS:-c d}
CRM_PORT_BASE=${CRM_PORT_BASE:-55500}
BULK_ROWS=${BENCH_BULK_ROWS:-200000}
BULK_ROUNDS=${BENCH_BULK_ROUNDS:-5}
DO_PERF=0
DO_BULK=0
for arg in "$@"; do
	case $arg in
	--perf) DO_PERF=1 ;;
	--bulk) DO_BULK=1 ;;
	*) echo "usage: $0 [--bulk] [--perf]" >&2; exit 2 ;;
	esac
done

die() {
	echo "trigger_bench: $*" >&2
	exit 1
}

crm_base_packages || die "missing packages"
if [ "${BENCH_NO_BUILD:-0}" != 1 ]; then
	crm_build_install "$root" || die "build failed"
fi
if [ $DO_PERF = 1 ] && ! command -v perf >/dev/null; then
	crm_need_packages linux-perf || die "--perf needs perf (Debian package linux-perf)"
fi

# Server settings.  The benchmark measures the CPU cost of the trigger, so
# the server is set up not to wait on the disk:
#   synchronous_commit=off  a commit does not wait for its WAL flush: with
#       it on, every variant would be bound by the flush latency of the
#       disk, which would hide (or, on a slow disk, swamp) the trigger's cost;
#   fsync=off (crm_start_server) likewise, for the checkpoints;
#   shared_buffers=1GB      the table, its index and the history fit;
#   autovacuum=off          no vacuum starts in the middle of a run: the
#       script vacuums between runs instead;
#   max_wal_size/checkpoint_timeout  no checkpoint in the middle of a run
#       (the script checkpoints between runs).
# WAL is still written (full_page_writes on, as in production), so the
# history rows cost their WAL volume.
trap 'crm_stop_server' EXIT
crm_start_server -c shared_buffers=1GB -c synchronous_commit=off \
	-c autovacuum=off -c max_wal_size=20GB -c checkpoint_timeout=1h \
	-c max_connections=20 || die "server did not start"

PSQL=(env PGOPTIONS='-c client_min_messages=warning' psql -X -q -v ON_ERROR_STOP=1)
sql() { "${PSQL[@]}" -c "$1" >/dev/null; }
sql_value() { "${PSQL[@]}" -At -c "$1"; }

POSTMASTER=$(head -1 "$PGDATA/postmaster.pid")
CLK_TCK=$(getconf CLK_TCK)
# Children of the postmaster other than its background processes: client
# backends, alive or exited but not yet reaped ("<defunct>").
other_children() {
	ps --ppid "$POSTMASTER" -o args= |
		grep -v -c -E '^postgres: (checkpointer|background writer|walwriter|autovacuum launcher|logical replication launcher)'
}
# CPU ticks (user+sys, then user) of the postmaster's reaped children, i.e. of
# every backend that has ended, once the backends of the last run are reaped
# (a child's CPU time reaches these counters only when it is reaped).
backend_ticks() {
	local i
	for ((i = 0; i < 200; i++)); do
		[ "$(other_children)" = 0 ] && break
		sleep 0.05
	done
	awk '{ print $16 + $17, $16 }' "/proc/$POSTMASTER/stat"
}

started=$(date +%s)
echo "== crm_sales trigger benchmark"
echo "   $(sql_value 'SELECT version()' | sed 's/ on .*//'), port $PGPORT"
echo "   machine: $(nproc) CPU cores.  pgbench itself ($CLIENTS clients, $CLIENTS threads) runs on the"
echo "   same cores as the server and competes with the backends for CPU: the TPS"
echo "   are this machine's throughput, to be compared within this run only."
echo "   rows=$ROWS  clients=$CLIENTS  -T ${SECONDS_PER_RUN}s  rounds=$ROUNDS  -M $PROTOCOL  required columns: $([ "$REQUIRED" = 1 ] && echo on 5 of 6 moves || echo none)"
echo "   server: shared_buffers=1GB synchronous_commit=off fsync=off autovacuum=off"
echo "   (it measures the CPU cost of the trigger, not WAL flushes)"

# ---------------------------------------------------------------------------
# Schema, data, the PL/pgSQL equivalent
# ---------------------------------------------------------------------------
echo "== setup: $ROWS deals"
"${PSQL[@]}" -v rows="$ROWS" -v required="$REQUIRED" <<'EOF' >/dev/null || die "setup failed"
CREATE EXTENSION crm_sales;
CREATE EXTENSION pg_prewarm;

-- A deals table of the usual shape.  fillfactor 90 leaves room for HOT
-- updates (stage is not indexed), as a DBA would for an often-updated table.
CREATE TABLE deals (
	id			bigint PRIMARY KEY,
	name		text NOT NULL,
	owner_name	text,
	contact_name text,
	amount		numeric(14, 2),
	lost_reason	text,
	stage		crm_sales.sales_stage NOT NULL,
	created_at	timestamptz NOT NULL DEFAULT now()
) WITH (fillfactor = 90);

-- Rows are spread over the six stages of the loop (closed_won, a dead end,
-- is left out), with every column the loop's moves require filled in.
INSERT INTO deals (id, name, owner_name, contact_name, amount, lost_reason, stage)
SELECT i, 'deal ' || i, 'rep ' || (i % 50), 'contact ' || i, (i % 1000) * 100 + 0.5,
	   'price',
	   (ARRAY['lead_generation', 'initial_contact', 'needs_analysis', 'proposal',
			  'negotiation', 'closed_lost'])[1 + i % 6]::crm_sales.sales_stage
  FROM generate_series(1, :rows) i;
VACUUM (FREEZE, ANALYZE) deals;

-- Required columns on the moves of the loop, so that the triggers check
-- columns on 5 of the 6 moves.
SELECT :required = 1 AS set_required \gset
\if :set_required
SELECT crm_sales.require_columns('crm_sales.sales_stage', f, t, c::name[])
  FROM (VALUES ('lead_generation', 'initial_contact', '{contact_name}'),
			   ('initial_contact', 'needs_analysis', '{contact_name}'),
			   ('needs_analysis', 'proposal', '{amount}'),
			   ('proposal', 'negotiation', '{amount,owner_name}'),
			   ('negotiation', 'closed_lost', '{lost_reason}')) v(f, t, c);
\endif

-- (d): what one would write in PL/pgSQL to get what
-- crm_sales.enforce_transition('stage', 'id') does: the same checks in the
-- same order, the same SQLSTATEs, the same stage_history row.  Written to
-- favour PL/pgSQL where a choice exists: the stage and id columns and the
-- model are fixed for this table (the C trigger finds them from its
-- arguments), and there is no SET search_path clause (that would add a GUC
-- save/restore per row); every name is schema-qualified instead.  It runs
-- the history INSERT as the calling user (the benchmark's user is the owner
-- of stage_history anyway), where the C trigger switches to the owner.
CREATE FUNCTION enforce_plpgsql() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
	v_from		text;			-- NULL: creation
	v_to		text;
	v_req		name[];
	v_row		jsonb;
	v_col		name;
BEGIN
	-- the C trigger's switch (unknown, hence NULL, until crm_sales is loaded)
	IF pg_catalog.current_setting('crm_sales.enforce_transitions', true) = 'off' THEN
		RETURN NEW;
	END IF;
	IF NEW.stage IS NULL THEN
		IF TG_OP = 'INSERT' OR OLD.stage IS NULL THEN
			RETURN NEW;
		END IF;
		RAISE EXCEPTION 'stage column "stage" cannot be set back to NULL'
			USING ERRCODE = 'not_null_violation',
				  DETAIL = pg_catalog.format('The row is in stage "%s" of model crm_sales.sales_stage. Row: id = %s.', OLD.stage, OLD.id);
	END IF;
	IF TG_OP = 'UPDATE' THEN
		IF NEW.stage = OLD.stage THEN
			RETURN NEW;			-- unchanged stage: nothing to check or record
		END IF;
		v_from := OLD.stage::text;
	END IF;
	v_to := NEW.stage::text;

	SELECT t.required_columns INTO v_req
	  FROM crm_sales.transition t
	 WHERE t.model = 'crm_sales.sales_stage'::pg_catalog.regtype
	   AND coalesce(t.from_stage, '') = coalesce(v_from, '')
	   AND t.to_stage = v_to
	   AND t.allowed;
	IF NOT FOUND THEN
		RAISE EXCEPTION 'stage transition from "%" to "%" is not allowed',
				coalesce(v_from, '(creation)'), v_to
			USING ERRCODE = 'check_violation';
	END IF;

	IF pg_catalog.cardinality(v_req) > 0 THEN
		v_row := pg_catalog.to_jsonb(NEW);
		FOREACH v_col IN ARRAY v_req LOOP
			IF NOT v_row ? v_col THEN
				RAISE EXCEPTION 'column "%", required by model crm_sales.sales_stage to enter stage "%", does not exist in table "%"',
						v_col, v_to, TG_TABLE_NAME
					USING ERRCODE = 'undefined_column';
			ELSIF v_row ->> v_col IS NULL THEN
				RAISE EXCEPTION 'column "%" must not be NULL to enter stage "%"', v_col, v_to
					USING ERRCODE = 'not_null_violation';
			END IF;
		END LOOP;
	END IF;

	IF NEW.id IS NULL THEN
		RAISE EXCEPTION 'id column "id" is NULL, so the stage change cannot be recorded'
			USING ERRCODE = 'not_null_violation';
	END IF;
	INSERT INTO crm_sales.stage_history
		(table_name, entity_id, model, from_stage, to_stage, changed_by)
	VALUES (TG_RELID, NEW.id::text, 'crm_sales.sales_stage'::pg_catalog.regtype,
			v_from, v_to, CURRENT_USER);
	RETURN NEW;
END $$;

-- The SQLSTATE (or 'ok') of one statement, for the equivalence check.
CREATE FUNCTION try_sql(stmt text) RETURNS text LANGUAGE plpgsql AS $$
BEGIN
	EXECUTE stmt;
	RETURN 'ok';
EXCEPTION WHEN OTHERS THEN
	RETURN SQLSTATE;
END $$;

-- Runs the same statements against a small copy of deals under trigger
-- function fn(args) and returns the outcomes and the history written.
CREATE FUNCTION equivalence(fn text, args text) RETURNS text LANGUAGE plpgsql AS $$
DECLARE
	r text := '';
	h text;
BEGIN
	DROP TABLE IF EXISTS eq_deals;
	CREATE TABLE eq_deals (LIKE deals INCLUDING DEFAULTS);
	EXECUTE pg_catalog.format('CREATE TRIGGER t BEFORE INSERT OR UPDATE OF stage ON eq_deals FOR EACH ROW EXECUTE FUNCTION %s(%s)', fn, args);
	DELETE FROM crm_sales.stage_history WHERE table_name = 'eq_deals'::regclass;
	r := r || ' ' || try_sql($q$INSERT INTO eq_deals (id, name, stage) VALUES (1, 'a', 'lead_generation')$q$);
	r := r || ' ' || try_sql($q$INSERT INTO eq_deals (id, name, stage) VALUES (2, 'b', 'proposal')$q$);
	r := r || ' ' || try_sql($q$UPDATE eq_deals SET stage = 'initial_contact' WHERE id = 1$q$);
	r := r || ' ' || try_sql($q$UPDATE eq_deals SET stage = 'initial_contact', contact_name = 'x' WHERE id = 1$q$);
	r := r || ' ' || try_sql($q$UPDATE eq_deals SET stage = 'lead_generation' WHERE id = 1$q$);
	r := r || ' ' || try_sql($q$UPDATE eq_deals SET stage = 'initial_contact', amount = 1 WHERE id = 1$q$);
	r := r || ' ' || try_sql($q$UPDATE eq_deals SET stage = 'closed_lost' WHERE id = 1$q$);
	r := r || ' ' || try_sql($q$UPDATE eq_deals SET stage = 'closed_lost', lost_reason = 'y' WHERE id = 1$q$);
	r := r || ' ' || try_sql($q$UPDATE eq_deals SET stage = 'lead_generation' WHERE id = 1$q$);
	SELECT pg_catalog.string_agg(pg_catalog.format('%s:%s>%s:%s', entity_id, coalesce(from_stage, '-'),
												   to_stage, changed_by), ' ' ORDER BY id)
	  INTO h FROM crm_sales.stage_history WHERE table_name = 'eq_deals'::regclass;
	DELETE FROM crm_sales.stage_history WHERE table_name = 'eq_deals'::regclass;
	DROP TABLE eq_deals;
	RETURN pg_catalog.ltrim(r) || ' | history: ' || coalesce(h, '(none)');
END $$;
EOF

# The next stage of the loop, used by the pgbench script and the bulk run.
next_stage="CASE stage
		WHEN 'lead_generation' THEN 'initial_contact'::crm_sales.sales_stage
		WHEN 'initial_contact' THEN 'needs_analysis'
		WHEN 'needs_analysis' THEN 'proposal'
		WHEN 'proposal' THEN 'negotiation'
		WHEN 'negotiation' THEN 'closed_lost'
		WHEN 'closed_lost' THEN 'lead_generation'
	END"

# The pgbench script: move one random row to the next stage of the loop.
bench_sql=$CRM_TMP/move.sql
printf '%s\n' '\set id random(1, :rows)' \
	"UPDATE deals SET stage = $next_stage WHERE id = :id;" >"$bench_sql"

declare -A LABEL=(
	[a]="(a) no trigger"
	[n]="(n) built-in C trigger (floor of any trigger)"
	[b]="(b) C trigger, validating only"
	[c]="(c) C trigger + history"
	[s]="(s) C trigger + history through SPI"
	[f]="(f) C trigger + history, AFTER ROW"
	[d]="(d) PL/pgSQL trigger + history"
)

# Put the trigger of variant $1 on deals (and no other).
set_variant() {
	local create=""
	case $1 in
	a) ;;
	n) create="BEFORE UPDATE OF stage ON deals FOR EACH ROW EXECUTE FUNCTION suppress_redundant_updates_trigger()" ;;
	b) create="BEFORE INSERT OR UPDATE OF stage ON deals FOR EACH ROW EXECUTE FUNCTION crm_sales.enforce_transition('stage')" ;;
	c | s) create="BEFORE INSERT OR UPDATE OF stage ON deals FOR EACH ROW EXECUTE FUNCTION crm_sales.enforce_transition('stage', 'id')" ;;
	f) create="AFTER INSERT OR UPDATE OF stage ON deals FOR EACH ROW EXECUTE FUNCTION crm_sales.enforce_transition('stage', 'id')" ;;
	d) create="BEFORE INSERT OR UPDATE OF stage ON deals FOR EACH ROW EXECUTE FUNCTION enforce_plpgsql()" ;;
	*) die "unknown variant $1 (known: a n b c s f d)" ;;
	esac
	sql "DROP TRIGGER IF EXISTS enforce ON deals"
	if [ "$1" = s ]; then
		sql "ALTER TABLE crm_sales.stage_history FORCE ROW LEVEL SECURITY"
	else
		sql "ALTER TABLE crm_sales.stage_history NO FORCE ROW LEVEL SECURITY"
	fi
	[ -n "$create" ] && sql "CREATE TRIGGER enforce $create"
	return 0
}

# Same starting state for every run.
reset_state() {
	sql "TRUNCATE crm_sales.stage_history"
	sql "VACUUM deals"
	sql "CHECKPOINT"
}

# One pgbench run of $2 seconds (command prefix in $3...); sets RUN_RC,
# RUN_OUT, RUN_TPS, RUN_XACTS, RUN_CPU and RUN_USER (backend us/transaction).
pgbench_run() {
	local secs=$2 t0 t1
	shift 2
	t0=$(backend_ticks)
	RUN_OUT=$("$@" "$PG_BIN"/pgbench -n -M "$PROTOCOL" -c "$CLIENTS" -j "$CLIENTS" -T "$secs" \
		-D rows="$ROWS" -f "$bench_sql" 2>&1)
	RUN_RC=$?
	t1=$(backend_ticks)
	RUN_TPS=$(echo "$RUN_OUT" | sed -nE 's/^tps = ([0-9.]+) \(without initial.*/\1/p')
	RUN_XACTS=$(echo "$RUN_OUT" | sed -nE 's/^number of transactions actually processed: ([0-9]+).*/\1/p')
	read -r RUN_CPU RUN_USER < <(echo "$t0 $t1" | awk -v x="${RUN_XACTS:-0}" -v hz="$CLK_TCK" \
		'{ if (x > 0) printf "%.2f %.2f\n", ($3 - $1) * 1e6 / hz / x, ($4 - $2) * 1e6 / hz / x; else print "? ?" }')
}

# ---------------------------------------------------------------------------
# Equivalence of (c) and (d), then warm-up
# ---------------------------------------------------------------------------
bad=0
eq_c=$(sql_value "SELECT equivalence('crm_sales.enforce_transition', '''stage'', ''id''')") ||
	die "equivalence check failed to run"
eq_d=$(sql_value "SELECT equivalence('enforce_plpgsql', '')") ||
	die "equivalence check failed to run"
echo "== equivalence of (c) and (d) on 9 statements (outcome of each | history written)"
echo "   C:        $eq_c"
echo "   PL/pgSQL: $eq_d"
if [ "$eq_c" = "$eq_d" ]; then
	echo "   same outcomes, same SQLSTATEs, same history rows"
else
	echo "   DIFFERENT: the PL/pgSQL trigger is not equivalent"
	bad=1
fi

sql "SELECT pg_prewarm('deals'), pg_prewarm('deals_pkey')"
set_variant a
reset_state
pgbench_run a "$WARMUP"
[ "$RUN_RC" = 0 ] || { echo "$RUN_OUT"; die "warm-up run failed"; }
echo "== warm-up: ${WARMUP}s of (a): $RUN_TPS TPS"

# ---------------------------------------------------------------------------
# The measured runs
# ---------------------------------------------------------------------------
declare -A TPS CPU USR
read -r -a vlist <<<"$VARIANTS"
nv=${#vlist[@]}
echo "== runs (${SECONDS_PER_RUN}s each; backend CPU = user+sys us per transaction)"
printf '   %-5s %-46s %9s %9s %9s %9s %9s\n' round variant TPS "CPU us" "user us" xacts "hist rows"
for ((r = 1; r <= ROUNDS; r++)); do
	for ((k = 0; k < nv; k++)); do
		v=${vlist[$(((k + r - 1) % nv))]}
		set_variant "$v"
		reset_state
		pgbench_run "$v" "$SECONDS_PER_RUN"
		hist=$(sql_value "SELECT count(*) FROM crm_sales.stage_history")
		printf '   %-5s %-46s %9.1f %9s %9s %9s %9s\n' "$r" "${LABEL[$v]}" "${RUN_TPS:-0}" \
			"$RUN_CPU" "$RUN_USER" "${RUN_XACTS:-?}" "$hist"
		if [ "$RUN_RC" != 0 ] || [ -z "$RUN_TPS" ]; then
			echo "$RUN_OUT" | sed 's/^/      /'
			echo "   run FAILED (pgbench exit $RUN_RC)"
			bad=1
			continue
		fi
		# every transaction must have made exactly one recorded move
		want=0
		case $v in c | s | f | d) want=$RUN_XACTS ;; esac
		if [ "$hist" != "$want" ]; then
			echo "   WRONG: $hist history rows after $RUN_XACTS transactions (expected $want)"
			bad=1
		fi
		TPS[$v]="${TPS[$v]:+${TPS[$v]},}$RUN_TPS"
		CPU[$v]="${CPU[$v]:+${CPU[$v]},}$RUN_CPU"
		USR[$v]="${USR[$v]:+${USR[$v]},}$RUN_USER"
	done
done
set_variant a
stuck=$(sql_value "SELECT count(*) FROM deals WHERE stage = 'closed_won'")
[ "$stuck" = 0 ] || { echo "   WRONG: $stuck deals ended in closed_won"; bad=1; }

# ---------------------------------------------------------------------------
# Figures and ratios
# ---------------------------------------------------------------------------
data=""
for v in "${vlist[@]}"; do
	data+="$v|${LABEL[$v]}|${TPS[$v]:-}|${CPU[$v]:-}|${USR[$v]:-};"
done
echo
awk -v data="$data" -v rounds="$ROUNDS" -v cores="$(nproc)" -v clients="$CLIENTS" '
function median(s,    n, x, i, j, t) {
	n = split(s, x, ",")
	if (n == 0) return 0
	for (i = 1; i <= n; i++) for (j = i + 1; j <= n; j++) if (x[j] + 0 < x[i] + 0) { t = x[i]; x[i] = x[j]; x[j] = t }
	return (n % 2) ? x[(n + 1) / 2] + 0 : (x[n / 2] + x[n / 2 + 1]) / 2
}
function spread(s,    n, x, i, lo, hi) {
	n = split(s, x, ",")
	lo = hi = x[1] + 0
	for (i = 2; i <= n; i++) { if (x[i] + 0 < lo) lo = x[i] + 0; if (x[i] + 0 > hi) hi = x[i] + 0 }
	return median(s) > 0 ? 100 * (hi - lo) / median(s) : 0
}
function nth(s, i,    x) { split(s, x, ","); return x[i] + 0 }
# extra time per transaction of x over a, in units of 1/TPS
function ovh(x, base) { return 1e6 / x - 1e6 / base }
BEGIN {
	nv = split(data, rows, ";")
	for (i = 1; i <= nv; i++) {
		if (rows[i] == "") continue
		split(rows[i], f, "|")
		v = f[1]; order[++n] = v; label[v] = f[2]; tps[v] = f[3]; cpu[v] = f[4]; usr[v] = f[5]
		if (tps[v] != "") { T[v] = median(tps[v]); C[v] = median(cpu[v]); U[v] = median(usr[v]) }
	}
	printf "== results: median of %d rounds (spread = (max-min)/median)\n", rounds
	printf "   %-46s %9s %7s %9s %9s %7s %9s\n", "variant", "TPS", "spread", "1/TPS us", "CPU us", "spread", "user us"
	for (i = 1; i <= n; i++) {
		v = order[i]
		if (!(v in T)) { printf "   %-46s no result\n", label[v]; continue }
		printf "   %-46s %9.1f %6.1f%% %9.2f %9.2f %6.1f%% %9.2f\n", label[v], T[v], spread(tps[v]),
			1e6 / T[v], C[v], spread(cpu[v]), U[v]
	}
	printf "   (1/TPS: machine time per transaction; CPU us: backend CPU per transaction;\n"
	printf "    %d clients on %d cores, so the backends get at most %d cores between them)\n", clients, cores, cores
	if (!("a" in T)) exit
	a = T["a"]
	print ""
	print "== ratios (TPS)"
	for (i = 1; i <= n; i++) {
		v = order[i]
		if (v == "a" || !(v in T)) continue
		printf "   %s/a = %.3f   %-46s costs %5.1f%% of (a)s TPS\n", v, T[v] / a, label[v], 100 * (1 - T[v] / a)
	}
	if (("c" in T) && ("d" in T) && ovh(T["d"], a) != 0)
		printf "   overhead C / PL/pgSQL, both with history: (1/c - 1/a) / (1/d - 1/a) = %.3f\n", ovh(T["c"], a) / ovh(T["d"], a)
	if (("b" in T) && ("c" in T) && ovh(T["c"], a) != 0)
		printf "   history share of the C trigger overhead:  (1/c - 1/b) / (1/c - 1/a) = %.2f\n", (ovh(T["c"], a) - ovh(T["b"], a)) / ovh(T["c"], a)
	if (("n" in T) && ("b" in T) && ovh(T["b"], a) != 0)
		printf "   share of (b) overhead that any trigger has: (1/n - 1/a) / (1/b - 1/a) = %.2f\n", ovh(T["n"], a) / ovh(T["b"], a)
	if (("s" in T) && ("c" in T) && ("b" in T) && ovh(T["s"], a) != ovh(T["b"], a))
		printf "   history cost, direct / SPI path:           (1/c - 1/b) / (1/s - 1/b) = %.2f\n", (ovh(T["c"], a) - ovh(T["b"], a)) / (ovh(T["s"], a) - ovh(T["b"], a))
	print ""
	print "== ratios (backend CPU per transaction)"
	ca = C["a"]
	for (i = 1; i <= n; i++) {
		v = order[i]
		if (v == "a" || !(v in C)) continue
		printf "   %s: +%5.2f us/txn (%+5.1f%% of (a))\n", label[v], C[v] - ca, 100 * (C[v] - ca) / ca
	}
	if (("c" in C) && ("d" in C) && C["d"] != ca)
		printf "   overhead C / PL/pgSQL, both with history: (c - a) / (d - a) = %.3f\n", (C["c"] - ca) / (C["d"] - ca)
	if (("b" in C) && ("c" in C) && C["c"] != ca)
		printf "   history share of the C trigger overhead:  (c - b) / (c - a) = %.2f\n", (C["c"] - C["b"]) / (C["c"] - ca)
	if (("n" in C) && ("b" in C) && C["b"] != ca)
		printf "   share of (b) overhead that any trigger has: (n - a) / (b - a) = %.2f\n", (C["n"] - ca) / (C["b"] - ca)
	if (("s" in C) && ("c" in C) && ("b" in C) && C["s"] != C["b"])
		printf "   history cost, direct / SPI path:           (c - b) / (s - b) = %.2f\n", (C["c"] - C["b"]) / (C["s"] - C["b"])
	print ""
	print "== per-round TPS ratios (runs of one round are minutes apart, not seconds)"
	for (r = 1; r <= rounds; r++) {
		line = sprintf("   round %d:", r)
		ra = nth(tps["a"], r)
		if (ra <= 0) continue
		for (i = 1; i <= n; i++) {
			v = order[i]
			if (v == "a" || !(v in T)) continue
			line = line sprintf("  %s/a %.3f", v, nth(tps[v], r) / ra)
		}
		if (("c" in T) && ("d" in T) && ovh(nth(tps["d"], r), ra) != 0)
			line = line sprintf("  C/PL overhead %.2f", ovh(nth(tps["c"], r), ra) / ovh(nth(tps["d"], r), ra))
		print line
	}
	print ""
	print "== targets (informational: this script never fails on speed)"
	if ("b" in T) {
		cost = 100 * (1 - T["b"] / a)
		printf "   (b) costs at most 10%% of (a)s TPS:                  %6.1f%%  %s\n", cost, (cost <= 10) ? "PASS" : "MISS"
	}
	if (("c" in T) && ("d" in T) && ovh(T["d"], a) > 0) {
		q = ovh(T["c"], a) / ovh(T["d"], a)
		printf "   C overhead at most half of PL/pgSQL overhead (TPS): %6.3f   %s\n", q, (q <= 0.5) ? "PASS" : "MISS"
	}
	if (("c" in C) && ("d" in C) && C["d"] > ca) {
		q = (C["c"] - ca) / (C["d"] - ca)
		printf "   the same, in backend CPU per transaction:           %6.3f   %s\n", q, (q <= 0.5) ? "PASS" : "MISS"
	}
}'

# ---------------------------------------------------------------------------
# Optional: per-row cost inside one statement
# ---------------------------------------------------------------------------
# One UPDATE moves BENCH_BULK_ROWS rows to their next stage, in random order
# (a nested loop over a shuffled id list, as pgbench's random ids), so the
# history index gets the same random inserts.  What it leaves out: the
# network round trip, parse/bind, the commit and the per-statement set-up of
# the trigger; what is left is the per-row work.
if [ $DO_BULK = 1 ]; then
	[ "$BULK_ROWS" -le "$ROWS" ] || BULK_ROWS=$ROWS
	echo
	echo "== bulk: one UPDATE of $BULK_ROWS rows in random order, us per row (median of $BULK_ROUNDS)"
	declare -A BULK
	for ((r = 1; r <= BULK_ROUNDS; r++)); do
		for ((k = 0; k < nv; k++)); do
			v=${vlist[$(((k + r - 1) % nv))]}
			set_variant "$v"
			reset_state
			lo=$(((r - 1) * BULK_ROWS % (ROWS - BULK_ROWS + 1) + 1))
			ms=$(PGOPTIONS="-c enable_hashjoin=off -c enable_mergejoin=off -c client_min_messages=warning" \
				psql -X -q -v ON_ERROR_STOP=1 -c '\timing on' -c "
				UPDATE deals SET stage = $next_stage
				  FROM (SELECT i FROM generate_series($lo, $((lo + BULK_ROWS - 1))) i
						 ORDER BY random()) r
				 WHERE deals.id = r.i" | sed -nE 's/^Time: ([0-9.]+) ms.*/\1/p')
			hist=$(sql_value "SELECT count(*) FROM crm_sales.stage_history")
			want=0
			case $v in c | s | f | d) want=$BULK_ROWS ;; esac
			if [ -z "$ms" ] || [ "$hist" != "$want" ]; then
				echo "   WRONG: bulk run of ${LABEL[$v]}: time '${ms}', $hist history rows (expected $want)"
				bad=1
				continue
			fi
			BULK[$v]="${BULK[$v]:+${BULK[$v]},}$(awk -v ms="$ms" -v n="$BULK_ROWS" 'BEGIN { printf "%.3f", ms * 1000 / n }')"
		done
	done
	set_variant a
	data=""
	for v in "${vlist[@]}"; do data+="$v|${LABEL[$v]}|${BULK[$v]:-};"; done
	awk -v data="$data" '
	function median(s,    n, x, i, j, t) {
		n = split(s, x, ",")
		if (n == 0) return 0
		for (i = 1; i <= n; i++) for (j = i + 1; j <= n; j++) if (x[j] + 0 < x[i] + 0) { t = x[i]; x[i] = x[j]; x[j] = t }
		return (n % 2) ? x[(n + 1) / 2] + 0 : (x[n / 2] + x[n / 2 + 1]) / 2
	}
	BEGIN {
		nv = split(data, rows, ";")
		for (i = 1; i <= nv; i++) {
			if (rows[i] == "") continue
			split(rows[i], f, "|")
			v = f[1]; order[++n] = v; label[v] = f[2]; all[v] = f[3]
			if (f[3] != "") M[v] = median(f[3])
		}
		printf "   %-46s %9s %9s   %s\n", "variant", "us/row", "+ vs (a)", "all rounds"
		for (i = 1; i <= n; i++) {
			v = order[i]
			if (!(v in M)) { printf "   %-46s no result\n", label[v]; continue }
			printf "   %-46s %9.3f %9s   %s\n", label[v], M[v],
				("a" in M) && v != "a" ? sprintf("%+.3f", M[v] - M["a"]) : "", all[v]
		}
		if (("a" in M) && ("c" in M) && ("d" in M) && M["d"] != M["a"])
			printf "   overhead C / PL/pgSQL, both with history, per row: (c - a) / (d - a) = %.3f\n",
				(M["c"] - M["a"]) / (M["d"] - M["a"])
		if (("b" in M) && ("c" in M) && ("s" in M) && M["s"] != M["b"])
			printf "   history cost per row, direct / SPI path:           (c - b) / (s - b) = %.2f\n",
				(M["c"] - M["b"]) / (M["s"] - M["b"])
	}'
fi

# ---------------------------------------------------------------------------
# Optional profile: where does the backends' time go?
# ---------------------------------------------------------------------------
# perf samples the whole machine (cpu-clock, dwarf call graphs) while pgbench
# runs the variant; only samples of backends (PostgresMain on the stack)
# count.  Each sample is charged to one bucket by the frames between the leaf
# and the trigger function.  Debian strips the server binary, so only
# exported functions are named; the buckets use only those.
profile_fold() {
	awk -v cpu="$1" '
	function flush(    i, t, inner, k) {
		if (!insample) return
		insample = 0
		if (!("PostgresMain" in has)) { delete has; nf = 0; return }
		total++
		t = 0
		for (i = 1; i <= nf; i++)
			if (fr[i] == "crm_enforce_transition" || fr[i] == "plpgsql_exec_trigger" ||
				fr[i] == "plpgsql_call_handler" || fr[i] == "suppress_redundant_updates_trigger") { t = i; break }
		if (t == 0) {
			if (("ExecBRUpdateTriggersNew" in has) || ("ExecBRUpdateTriggers" in has) ||
				("ExecARUpdateTriggers" in has) || ("ExecARUpdateTriggersNew" in has) ||
				("AfterTriggerEndQuery" in has))
				b["B trigger machinery around the function (row lock or event queue, tuple copies)"]++
			else if ("PortalRun" in has) b["A the UPDATE itself (scan, heap update, WAL)"]++
			else b["A protocol, commit, network send/receive"]++
			delete has; nf = 0; return
		}
		delete inner
		for (i = 1; i < t; i++) inner[fr[i]] = 1
		trig++
		spi = ("SPI_execute_plan" in inner) || ("SPI_execute_plan_with_paramlist" in inner)
		if ("ExecInsertIndexTuples" in inner) k = "history row: index inserts (2 indexes)"
		else if ("heap_insert" in inner) k = "history row: heap insert"
		else if ("nextval_internal" in inner) k = "history row: identity nextval"
		else if (spi && ("ExecInitModifyTable" in inner)) k = "history row via SPI: plan init (ExecutorStart)"
		else if (spi && (("index_getnext_slot" in inner) || ("ExecInitIndexScan" in inner) ||
						 ("ExecScan" in inner) || ("ExecInitSeqScan" in inner)))
			k = "SELECT of the move in crm_sales.transition"
		else if (spi && ("standard_ExecutorRun" in inner))
			k = "SPI executor run, rest (open indexes, form tuple, constraints)"
		else if (spi && ("standard_ExecutorStart" in inner)) k = "SPI executor start, rest"
		else if (spi && ("standard_ExecutorEnd" in inner)) k = "SPI executor end"
		else if (spi && ("GetCachedPlan" in inner)) k = "SPI plan cache check"
		else if (spi) k = "SPI rest (snapshots, query desc, memory)"
		else if ("to_jsonb" in inner) k = "to_jsonb(NEW) for the required columns"
		else if (fr[t] != "crm_enforce_transition") k = "own code (checks; for PL/pgSQL the interpreter)"
		else if (("ExecOpenIndices" in inner) || ("ExecCloseIndices" in inner))
			k = "history row direct: open/close the history indexes"
		else if (("CreateExecutorState" in inner) || ("FreeExecutorState" in inner) ||
				 ("MakeSingleTupleTableSlot" in inner) || ("ExecDropSingleTupleTableSlot" in inner) ||
				 ("ExecConstraints" in inner) || ("table_open" in inner) ||
				 ("relation_open" in inner) || ("table_close" in inner) ||
				 ("InitResultRelInfo" in inner))
			k = "history row direct: executor state, slot, table open, constraints"
		else if (("SPI_connect" in inner) || ("SPI_finish" in inner)) k = "SPI_connect/SPI_finish"
		else k = "own code (checks; for PL/pgSQL the interpreter)"
		b["C trigger function: " k]++
		delete has; nf = 0
	}
	/^[^ \t]/ { flush(); insample = 1; next }
	/^[ \t]*$/ { flush(); next }
	{ fr[++nf] = $2; has[$2] = 1 }
	END {
		flush()
		if (total == 0) { print "      no backend samples"; exit }
		printf "      %d backend samples; trigger function inclusive: %.1f%%\n", total, 100 * trig / total
		printf "      %-84s %6s %8s\n", "bucket (each sample counted once)", "share", "us/txn"
		for (k in b) printf "%s\t%d\n", k, b[k] | "sort"
		close("sort")
	}' | awk -F'\t' -v cpu="$1" '
		/^      / { print; next }
		{ k = $1; sub(/^[A-C] /, "", k); n[++m] = k; c[m] = $2; all += $2 }
		END {
			for (i = 1; i <= m; i++)
				printf "      %-84s %5.1f%% %8.2f\n", n[i], 100 * c[i] / all, cpu * c[i] / all
		}'
}

if [ $DO_PERF = 1 ]; then
	for v in $PERF_VARIANTS; do
		echo
		echo "== perf profile of ${LABEL[$v]} (${PERF_SECONDS}s, backend samples only)"
		set_variant "$v"
		reset_state
		pdata=$CRM_TMP/perf.$v.data
		pgbench_run "$v" "$PERF_SECONDS" perf record -q -a -F 499 --call-graph dwarf,16384 -o "$pdata" --
		if [ "$RUN_RC" != 0 ] || [ -z "$RUN_TPS" ]; then
			echo "   perf run failed:"
			echo "$RUN_OUT" | tail -5 | sed 's/^/      /'
			continue
		fi
		echo "   under perf: $RUN_TPS TPS, backend CPU $RUN_CPU us/txn (us/txn below: that CPU split by share)"
		perf script -i "$pdata" --comm postgres -F comm,pid,ip,sym 2>/dev/null | profile_fold "$RUN_CPU"
		rm -f "$pdata"
	done
fi

echo
echo "== wall time: $(($(date +%s) - started)) s"
if [ $bad != 0 ]; then
	echo "trigger_bench: some runs did not do what they should (see above)"
	exit 1
fi
exit 0
