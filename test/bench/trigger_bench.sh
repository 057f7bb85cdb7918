#!/usr/bin/env bash
# trigger_bench.sh: what does crm_sales.enforce_transition() cost?
#
# A benchmark script, not a timed test: it prints the figures and ratios
# measured in one run and exits 0 whatever they are (non-zero only if the
# benchmark itself could not run or a run did not do what it should).
#
# pgbench, 2 clients, each transaction moves one random row of a
# 1,000,000-row deals table to its next stage, always an ALLOWED move:
#
#   lead_generation -> initial_contact -> needs_analysis -> proposal
#     -> negotiation -> closed_lost -> lead_generation (reopen) -> ...
#
# so every transaction is a real, accepted stage change (and, with history,
# one crm_sales.stage_history row).  Variants, same table, same statement,
# same pgbench settings:
#   (a) no trigger
#   (b) C trigger, validating only:  crm_sales.enforce_transition('stage')
#   (c) C trigger with history:      crm_sales.enforce_transition('stage', 'id')
#   (d) an equivalent PL/pgSQL trigger: allowed-move lookup in
#       crm_sales.transition, required columns checked in NEW, same SQLSTATEs,
#       same stage_history row
#   (e) only with BENCH_VARIANTS containing e: the C trigger validating only,
#       and the history row written by the UPDATE statement itself (a CTE):
#       the cost of the history row without any trigger machinery, i.e. what
#       a faster history insert inside the trigger could at best come down to.
# The moves of the loop get required columns (crm_sales.require_columns), so
# the required-column check does real work in (b), (c) and (d); set
# BENCH_REQUIRED=0 to use the shipped model as is (no required columns).
#
# Rounds: every variant runs BENCH_ROUNDS times, the order rotated each round
# (a b c d, b c d a, ...) so that no variant always runs first or last.
# Before each run: its trigger is (re)created, stage_history truncated,
# deals vacuumed, CHECKPOINT.  The reported TPS of a variant is the median
# of its rounds; the ratios are computed from those medians (per-round
# ratios are printed too, to show the noise).
#
# Usage: test/bench/trigger_bench.sh [--perf]
#   --perf   afterwards, profile variant (c) (and (d)) with perf (see below)
# Environment (defaults): BENCH_ROWS=1000000 BENCH_SECONDS=20 BENCH_ROUNDS=3
#   BENCH_CLIENTS=2 BENCH_WARMUP=5 BENCH_PROTOCOL=prepared BENCH_REQUIRED=1
#   BENCH_VARIANTS="a b c d" BENCH_PERF_SECONDS=15 BENCH_PERF_VARIANTS="c d"
#   BENCH_NO_BUILD=1 skips the build and install of the extension.
#   CRM_PORT_BASE=55500 (first port tried for the throwaway server).
set -uo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
source "$root/scripts/common.sh"

ROWS=${BENCH_ROWS:-1000000}
SECONDS_PER_RUN=${BENCH_SECONDS:-20}
ROUNDS=${BENCH_ROUNDS:-3}
CLIENTS=${BENCH_CLIENTS:-2}
WARMUP=${BENCH_WARMUP:-5}
PROTOCOL=${BENCH_PROTOCOL:-prepared}
REQUIRED=${BENCH_REQUIRED:-1}
VARIANTS=${BENCH_VARIANTS:-a b c d}
PERF_SECONDS=${BENCH_PERF_SECONDS:-15}
PERF_VARIANTS=${BENCH_PERF_VARIANTS:-c d}
CRM_PORT_BASE=${CRM_PORT_BASE:-55500}
DO_PERF=0
[ "${1:-}" = "--perf" ] && DO_PERF=1

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

started=$(date +%s)
echo "== crm_sales trigger benchmark"
echo "   $(sql_value 'SELECT version()' | sed 's/ on .*//')  port $PGPORT"
echo "   machine: $(nproc) CPU cores; pgbench itself ($CLIENTS clients, $CLIENTS threads) runs on the"
echo "   same cores as the server, so it competes with the backends for CPU: TPS are"
echo "   system throughput on this machine, compare them only within this run."
echo "   settings: rows=$ROWS  clients=$CLIENTS  -T $SECONDS_PER_RUN s  rounds=$ROUNDS  protocol=$PROTOCOL"
echo "   server: shared_buffers=1GB synchronous_commit=off fsync=off autovacuum=off"
echo "   (measures the CPU cost of the trigger, not WAL flushes)"

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

# The pgbench script: move one random row to the next stage of the loop.
bench_sql=$CRM_TMP/move.sql
cat >"$bench_sql" <<'EOF'
\set id random(1, :rows)
UPDATE deals SET stage = CASE stage
		WHEN 'lead_generation' THEN 'initial_contact'::crm_sales.sales_stage
		WHEN 'initial_contact' THEN 'needs_analysis'
		WHEN 'needs_analysis' THEN 'proposal'
		WHEN 'proposal' THEN 'negotiation'
		WHEN 'negotiation' THEN 'closed_lost'
		WHEN 'closed_lost' THEN 'lead_generation'
	END
 WHERE id = :id;
EOF
# Variant (e): the same move, and its history row written by the statement.
bench_sql_e=$CRM_TMP/move_cte.sql
cat >"$bench_sql_e" <<'EOF'
\set id random(1, :rows)
WITH moved AS (
	UPDATE deals SET stage = CASE stage
			WHEN 'lead_generation' THEN 'initial_contact'::crm_sales.sales_stage
			WHEN 'initial_contact' THEN 'needs_analysis'
			WHEN 'needs_analysis' THEN 'proposal'
			WHEN 'proposal' THEN 'negotiation'
			WHEN 'negotiation' THEN 'closed_lost'
			WHEN 'closed_lost' THEN 'lead_generation'
		END
	 WHERE id = :id
	RETURNING id, stage)
INSERT INTO crm_sales.stage_history (table_name, entity_id, model, from_stage, to_stage, changed_by)
SELECT 'deals'::regclass, id::text, 'crm_sales.sales_stage'::regtype,
	   CASE stage
			WHEN 'initial_contact' THEN 'lead_generation'
			WHEN 'needs_analysis' THEN 'initial_contact'
			WHEN 'proposal' THEN 'needs_analysis'
			WHEN 'negotiation' THEN 'proposal'
			WHEN 'closed_lost' THEN 'negotiation'
			WHEN 'lead_generation' THEN 'closed_lost'
	   END, stage::text, current_user
  FROM moved;
EOF

declare -A LABEL=(
	[a]="(a) no trigger"
	[b]="(b) C trigger, validating only"
	[c]="(c) C trigger + history"
	[d]="(d) PL/pgSQL trigger + history"
	[e]="(e) C validating + history by the statement"
)

# Put the trigger of variant $1 on deals (and no other).
set_variant() {
	local create=""
	case $1 in
	b | e) create="EXECUTE FUNCTION crm_sales.enforce_transition('stage')" ;;
	c) create="EXECUTE FUNCTION crm_sales.enforce_transition('stage', 'id')" ;;
	d) create="EXECUTE FUNCTION enforce_plpgsql()" ;;
	esac
	sql "DROP TRIGGER IF EXISTS enforce ON deals"
	[ -n "$create" ] &&
		sql "CREATE TRIGGER enforce BEFORE INSERT OR UPDATE OF stage ON deals FOR EACH ROW $create"
	return 0
}

# Same starting state for every run.
reset_state() {
	sql "TRUNCATE crm_sales.stage_history"
	sql "VACUUM deals"
	sql "CHECKPOINT"
}

# One pgbench run of variant $1 for $2 seconds; sets RUN_TPS, RUN_XACTS, RUN_LAT, RUN_OUT.
pgbench_run() {
	local script=$bench_sql
	[ "$1" = e ] && script=$bench_sql_e
	RUN_OUT=$($PG_BIN/pgbench -n -M "$PROTOCOL" -c "$CLIENTS" -j "$CLIENTS" -T "$2" \
		-D rows="$ROWS" -f "$script" 2>&1)
	RUN_RC=$?
	RUN_TPS=$(echo "$RUN_OUT" | sed -nE 's/^tps = ([0-9.]+) \(without initial.*/\1/p')
	RUN_XACTS=$(echo "$RUN_OUT" | sed -nE 's/^number of transactions actually processed: ([0-9]+).*/\1/p')
	RUN_LAT=$(echo "$RUN_OUT" | sed -nE 's/^latency average = ([0-9.]+) ms/\1/p')
}

# ---------------------------------------------------------------------------
# Equivalence of (c) and (d), then warm-up
# ---------------------------------------------------------------------------
eq_c=$(sql_value "SELECT equivalence('crm_sales.enforce_transition', '''stage'', ''id''')") ||
	die "equivalence check failed to run"
eq_d=$(sql_value "SELECT equivalence('enforce_plpgsql', '')") ||
	die "equivalence check failed to run"
echo "== equivalence of (c) and (d) on 9 statements (outcome per statement | history written)"
echo "   C:       $eq_c"
echo "   PL/pgSQL $eq_d"
bad=0
if [ "$eq_c" = "$eq_d" ]; then
	echo "   same outcomes, same SQLSTATEs, same history rows"
else
	echo "   DIFFERENT: the PL/pgSQL trigger is not equivalent"
	bad=1
fi

sql "SELECT pg_prewarm('deals'), pg_prewarm('deals_pkey')"
set_variant a
pgbench_run a "$WARMUP"
[ "$RUN_RC" = 0 ] || { echo "$RUN_OUT"; die "warm-up run failed"; }
echo "== warm-up: ${WARMUP}s of (a): $RUN_TPS TPS"

# ---------------------------------------------------------------------------
# The measured runs
# ---------------------------------------------------------------------------
declare -A TPS
read -r -a vlist <<<"$VARIANTS"
nv=${#vlist[@]}
echo "== runs (${SECONDS_PER_RUN}s each)"
printf '   %-5s %-45s %10s %9s %10s %10s\n' round variant TPS "lat ms" xacts "hist rows"
for ((r = 1; r <= ROUNDS; r++)); do
	for ((k = 0; k < nv; k++)); do
		v=${vlist[$(((k + r - 1) % nv))]}
		set_variant "$v"
		reset_state
		pgbench_run "$v" "$SECONDS_PER_RUN"
		hist=$(sql_value "SELECT count(*) FROM crm_sales.stage_history")
		printf '   %-5s %-45s %10s %9s %10s %10s\n' "$r" "${LABEL[$v]}" "${RUN_TPS:-?}" \
			"${RUN_LAT:-?}" "${RUN_XACTS:-?}" "$hist"
		if [ "$RUN_RC" != 0 ] || [ -z "$RUN_TPS" ]; then
			echo "$RUN_OUT" | sed 's/^/      /'
			echo "   run FAILED (pgbench exit $RUN_RC)"
			bad=1
			continue
		fi
		# every transaction must have made exactly one recorded move
		want=0
		case $v in c | d | e) want=$RUN_XACTS ;; esac
		if [ "$hist" != "$want" ]; then
			echo "   WRONG: $hist history rows after $RUN_XACTS transactions (expected $want)"
			bad=1
		fi
		TPS[$v]="${TPS[$v]:+${TPS[$v]},}$RUN_TPS"
	done
done
set_variant a
stuck=$(sql_value "SELECT count(*) FROM deals WHERE stage = 'closed_won'")
[ "$stuck" = 0 ] || { echo "   WRONG: $stuck deals ended in closed_won"; bad=1; }

# ---------------------------------------------------------------------------
# Figures and ratios
# ---------------------------------------------------------------------------
all_tps=""
for v in "${vlist[@]}"; do all_tps+="$v:${TPS[$v]:-} "; done
echo
echo "== results (median of $ROUNDS rounds; per-transaction time = 1/TPS of the"
echo "   whole system, $CLIENTS clients on $(nproc) cores)"
awk -v all="$all_tps" -v rounds="$ROUNDS" -v order="$VARIANTS" \
	-v la="${LABEL[a]}" -v lb="${LABEL[b]}" -v lc="${LABEL[c]}" -v ld="${LABEL[d]}" -v le="${LABEL[e]}" '
function median(s,    n, x, i, j, t) {
	n = split(s, x, " ")
	for (i = 1; i <= n; i++) for (j = i + 1; j <= n; j++) if (x[j] + 0 < x[i] + 0) { t = x[i]; x[i] = x[j]; x[j] = t }
	if (n == 0) return 0
	return (n % 2) ? x[(n + 1) / 2] : (x[n / 2] + x[n / 2 + 1]) / 2
}
function ovh(x, base) { return 1e6 / x - 1e6 / base }
BEGIN {
	label["a"] = la; label["b"] = lb; label["c"] = lc; label["d"] = ld; label["e"] = le
	n = split(all, parts, " ")
	for (i = 1; i <= n; i++) {
		split(parts[i], kv, ":"); v = kv[1]
		gsub(",", " ", kv[2]); runs[v] = kv[2]
	}
	nv = split(order, vl, " ")
	for (i = 1; i <= nv; i++) {
		v = vl[i]
		m = split(runs[v], x, " ")
		if (m == 0) continue
		lo = x[1] + 0; hi = x[1] + 0
		for (j = 1; j <= m; j++) { if (x[j] + 0 < lo) lo = x[j] + 0; if (x[j] + 0 > hi) hi = x[j] + 0 }
		med[v] = median(runs[v])
		spread[v] = (med[v] > 0) ? 100 * (hi - lo) / med[v] : 0
	}
	printf "   %-45s %10s %12s %14s\n", "variant", "TPS", "spread", "us/txn (+ vs a)"
	for (i = 1; i <= nv; i++) {
		v = vl[i]
		if (!(v in med) || med[v] <= 0) { printf "   %-45s %10s\n", label[v], "no result"; continue }
		extra = ("a" in med && v != "a") ? sprintf("(+%.1f)", ovh(med[v], med["a"])) : ""
		printf "   %-45s %10.1f %11.1f%% %7.1f %s\n", label[v], med[v], spread[v], 1e6 / med[v], extra
	}
	if (!("a" in med) || med["a"] <= 0) exit
	a = med["a"]
	print ""
	print "== ratios"
	for (i = 1; i <= nv; i++) {
		v = vl[i]
		if (v == "a" || !(v in med) || med[v] <= 0) continue
		printf "   %s/a = %.3f   TPS cost of %s: %.1f%%\n", v, med[v] / a, label[v], 100 * (1 - med[v] / a)
	}
	if ("b" in med && "c" in med && med["b"] > 0 && med["c"] > 0) {
		printf "   history share of the C trigger overhead: (1/c - 1/b) / (1/c - 1/a) = %.2f\n",
			(ovh(med["c"], a) - ovh(med["b"], a)) / ovh(med["c"], a)
	}
	if ("d" in med && "c" in med && med["d"] > 0 && ovh(med["d"], a) > 0) {
		printf "   overhead C / PL/pgSQL (both with history): (1/c - 1/a) / (1/d - 1/a) = %.3f\n",
			ovh(med["c"], a) / ovh(med["d"], a)
	}
	if ("d" in med && "b" in med && med["d"] > 0 && ovh(med["d"], a) > 0) {
		printf "   overhead C validating only / PL/pgSQL with history: (1/b - 1/a) / (1/d - 1/a) = %.3f\n",
			ovh(med["b"], a) / ovh(med["d"], a)
	}
	if ("e" in med && "c" in med && med["e"] > 0) {
		printf "   history row by the trigger (SPI) vs by the statement: (1/c - 1/b) / (1/e - 1/b) = %.2f\n",
			(ovh(med["c"], a) - ovh(med["b"], a)) / (ovh(med["e"], a) - ovh(med["b"], a))
	}
	print ""
	print "== per-round ratios (same round, so the same machine state)"
	for (r = 1; r <= rounds; r++) {
		line = sprintf("   round %d:", r)
		if ("a" in med) split(runs["a"], ra, " ")
		if ("b" in med) { split(runs["b"], rb, " "); line = line sprintf("  b/a %.3f", rb[r] / ra[r]) }
		if ("c" in med) { split(runs["c"], rc, " "); line = line sprintf("  c/a %.3f", rc[r] / ra[r]) }
		if ("d" in med) { split(runs["d"], rd, " "); line = line sprintf("  d/a %.3f", rd[r] / ra[r]) }
		if ("c" in med && "d" in med)
			line = line sprintf("  C/PL overhead %.3f", ovh(rc[r], ra[r]) / ovh(rd[r], ra[r]))
		print line
	}
	print ""
	print "== targets (informational; this script does not fail on speed)"
	if ("b" in med) {
		cost = 100 * (1 - med["b"] / a)
		printf "   (b) costs at most 10%% of (a)s TPS:                 %5.1f%%   %s\n", cost, (cost <= 10) ? "PASS" : "MISS"
	}
	if ("c" in med && "d" in med && ovh(med["d"], a) > 0) {
		q = ovh(med["c"], a) / ovh(med["d"], a)
		printf "   C overhead at most half of the PL/pgSQL overhead: %6.3f   %s\n", q, (q <= 0.5) ? "PASS" : "MISS"
	}
}'

# ---------------------------------------------------------------------------
# Optional profile: where does the time of (c) go?
# ---------------------------------------------------------------------------
# perf samples the whole machine while pgbench runs the variant; the report
# keeps the postgres processes.  Debian strips the server binary, so static
# functions of postgres are charged to the nearest exported symbol, and the
# trigger's static helpers are inlined into crm_enforce_transition; the
# call-graph (dwarf unwinding) still attributes inclusive time correctly.
if [ $DO_PERF = 1 ]; then
	for v in $PERF_VARIANTS; do
		echo
		echo "== perf profile of ${LABEL[$v]} (${PERF_SECONDS}s, postgres backends)"
		set_variant "$v"
		reset_state
		pdata=$CRM_TMP/perf.$v.data
		perf record -q -a -F 499 --call-graph dwarf,16384 -o "$pdata" -- \
			$PG_BIN/pgbench -n -M "$PROTOCOL" -c "$CLIENTS" -j "$CLIENTS" -T "$PERF_SECONDS" \
			-D rows="$ROWS" -f "$bench_sql" >"$CRM_TMP/perf.$v.pgbench" 2>&1 ||
			{ echo "   perf record failed"; continue; }
		echo "   (TPS under perf: $(sed -nE 's/^tps = ([0-9.]+) \(without.*/\1/p' "$CRM_TMP/perf.$v.pgbench"))"
		perf report -i "$pdata" --comm postgres --children --stdio -g none \
			--sort symbol --percent-limit 0 2>/dev/null >"$CRM_TMP/perf.$v.children"
		echo "   inclusive share of the postgres processes' samples:"
		for f in PostgresMain exec_execute_message exec_simple_query standard_ExecutorRun \
			ExecModifyTable ExecUpdate ExecInsert ExecBRUpdateTriggers ExecCallTriggerFunc \
			crm_enforce_transition plpgsql_call_handler plpgsql_exec_trigger SPI_connect \
			SPI_execute_plan SPI_finish _SPI_execute_plan GetCachedPlan CommandCounterIncrement \
			CreateExecutorState ExecutorStart ExecutorEnd ExecInitNode ExecInsertIndexTuples \
			heap_insert heap_update btinsert get_namespace_oid get_relname_relid \
			GetUserNameFromId OidOutputFunctionCall to_jsonb XLogInsert PostgresMain; do
			awk -v f="$f" '$NF == f && $3 == "[.]" { printf "      %-30s %7s\n", f, $1; exit }' \
				"$CRM_TMP/perf.$v.children"
		done | awk '!seen[$0]++'
		echo "   top self time (postgres processes):"
		perf report -i "$pdata" --comm postgres --no-children --stdio -g none \
			--sort dso,symbol --percent-limit 1.5 2>/dev/null |
			grep -E '^ +[0-9]' | head -25 | sed 's/^ */      /'
	done
fi

echo
echo "== wall time: $(($(date +%s) - started)) s"
if [ $bad != 0 ]; then
	echo "trigger_bench: some runs did not do what they should (see above)"
	exit 1
fi
exit 0
