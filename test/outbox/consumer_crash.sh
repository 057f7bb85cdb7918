#!/usr/bin/env bash
# Script test: a consumer whose backend is terminated in the middle of a
# batch loses no event, and no event is acknowledged twice.
#
#  1. 50 events (50 deals created in a published table).  Consumer A
#     claims 20 with a 4-second lease (the claim commits), then, busy with
#     the batch, is terminated (pg_terminate_backend) before acknowledging.
#     Consumer B claims: it gets the other 30 only (A's lease still runs),
#     and acknowledges them.  After the lease, B claims again and gets A's
#     20 (delivered a second time), and acknowledges them: 50 acknowledged,
#     each once.
#  2. Consumer C claims 10 new events inside a transaction and is
#     terminated: its transaction rolls back, so the events are free at once
#     (delivered once, to D), with no lease to wait for.
#  3. Consumer E claims 5 with a 2-second lease and is terminated; after the
#     lease crm_sales.run_sweep() frees them and NOTIFYs: a listening
#     session hears the 5 event ids.
# Prints "ok - ..." / "not ok - ..." lines and "outbox_crash: N passed, N failed".
set -uo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
# shellcheck source=../../scripts/common.sh
source "$root/scripts/common.sh"
SUITE=outbox_crash
# shellcheck source=../tap.sh
source "$root/test/tap.sh"
export CRM_PORT_BASE=${CRM_PORT_BASE:-55850}

work=$(mktemp -d /tmp/crm_outbox.XXXXXX)
cleanup() {
	jobs -p | xargs -r kill 2>/dev/null
	crm_stop_server
	rm -rf "$work"
}
trap cleanup EXIT
crm_start_server || { not_ok "server started"; summary; exit 1; }

q() { "$PG_BIN/psql" -X -q -At -v ON_ERROR_STOP=1 -d crm_outbox "$@"; }
"$PG_BIN/psql" -X -q -d postgres -c "CREATE DATABASE crm_outbox"
q -c "CREATE EXTENSION crm_sales" -c "
	CREATE TABLE deals (id int PRIMARY KEY, stage crm_sales.sales_stage NOT NULL);
	CREATE TRIGGER deals_stage BEFORE INSERT OR UPDATE ON deals
		FOR EACH ROW EXECUTE FUNCTION crm_sales.enforce_transition('stage', 'id');
	SELECT crm_sales.publish_stage_moves('deals');
	INSERT INTO deals SELECT i, 'lead_generation' FROM generate_series(1, 50) i;" >/dev/null

# a consumer that claims, then works "forever" (until terminated)
consumer() {	# NAME BATCH LEASE IN_TRANSACTION
	local begin="" 
	[ "$4" = yes ] && begin="BEGIN;"
	PGAPPNAME=$1 "$PG_BIN/psql" -X -q -At -d crm_outbox >"$work/$1.out" 2>&1 <<SQL &
$begin
SELECT count(*) FROM crm_sales.claim_events('$1', $2, '$3');
SELECT pg_sleep(600);
SQL
}
# wait until consumer NAME has claimed (it is sleeping), then terminate it
kill_consumer() {
	local i
	for ((i = 0; i < 100; i++)); do
		[ "$(q -c "SELECT count(*) FROM pg_stat_activity
			WHERE application_name = '$1' AND query LIKE 'SELECT pg_sleep%'")" = 1 ] && break
		sleep 0.1
	done
	q -c "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = '$1'" >/dev/null
	wait "$2" 2>/dev/null
}
# claim with NAME and acknowledge everything claimed; prints "claimed acked"
claim_ack() {	# NAME BATCH
	q -c "WITH c AS (SELECT id FROM crm_sales.claim_events('$1', $2, '1 minute'))
		  SELECT (SELECT count(*) FROM c) || ' ' ||
				 crm_sales.ack_events('$1', ARRAY(SELECT id FROM c))"
}

# 1. terminated after a committed claim: redelivered after the lease
consumer A 20 '4 seconds' no
pid=$!
kill_consumer A $pid
claimed=$(q -c "SELECT count(*) FROM crm_sales.outbox_event WHERE claimed_by = 'A' AND acked_at IS NULL")
[ "$claimed" = 20 ] && ok "A claimed 20 and died holding them" || not_ok "A holds [$claimed]"
got=$(claim_ack B 100)
[ "$got" = "30 30" ] && ok "B, during A's lease: claimed and acked the other 30" || not_ok "B first: [$got]"
got=$(claim_ack B 100)
[ "$got" = "0 0" ] && ok "nothing more while A's lease runs" || not_ok "B second: [$got]"
sleep 4.5
got=$(claim_ack B 100)
[ "$got" = "20 20" ] && ok "after the lease, B got A's 20 again and acked them" || not_ok "B third: [$got]"
got=$(q -c "SELECT count(*) || ' ' || count(acked_at) || ' ' || count(*) FILTER (WHERE deliveries = 2)
	|| ' ' || count(DISTINCT acked_by) FROM crm_sales.outbox_event")
[ "$got" = "50 50 20 1" ] && ok "50 events, 50 acked once each, 20 delivered twice, all by B" ||
	not_ok "after part 1: [$got]"

# 2. terminated inside the claiming transaction: free at once
q -c "INSERT INTO deals SELECT i, 'lead_generation' FROM generate_series(51, 60) i"
consumer C 10 '1 hour' yes
pid=$!
kill_consumer C $pid
got=$(claim_ack D 100)
[ "$got" = "10 10" ] && ok "C's claim rolled back: D got its 10 at once" || not_ok "D: [$got]"
got=$(q -c "SELECT count(*) FILTER (WHERE deliveries = 1) || ' ' || count(*) FILTER (WHERE claimed_by = 'C')
	FROM crm_sales.outbox_event WHERE entity_id::int > 50")
[ "$got" = "10 0" ] && ok "delivered once each, none left to C" || not_ok "part 2: [$got]"

# 3. the sweep frees expired leases and wakes listeners
q -c "INSERT INTO deals SELECT i, 'lead_generation' FROM generate_series(61, 65) i"
consumer E 5 '2 seconds' no
pid=$!
kill_consumer E $pid
"$PG_BIN/psql" -X -d crm_outbox -c "LISTEN crm_sales_outbox" -c "SELECT pg_sleep(6)" \
	>"$work/listener.out" 2>&1 &
listener=$!
sleep 3
swept=$(q -c "SELECT rows FROM crm_sales.run_sweep() WHERE step = 'leases_expired'")
wait $listener
heard=$(grep -c 'Asynchronous notification "crm_sales_outbox" with payload "{"id": [0-9]*, "kind": "stage_moved"}"' "$work/listener.out")
want=$(q -c "SELECT string_agg(id::text, ' ' ORDER BY id) FROM crm_sales.outbox_event WHERE entity_id::int > 60")
ids=$(grep -o '"id": [0-9]*' "$work/listener.out" | sed 's/"id": //' | sort -n | tr '\n' ' ' | sed 's/ $//')
[ "$swept" = 5 ] && ok "the sweep freed E's 5 expired leases" || not_ok "swept: [$swept]"
[ "$heard" = 5 ] && [ "$ids" = "$want" ] && ok "a listener heard the 5 event ids: $ids" ||
	{ not_ok "heard [$heard]: [$ids], want [$want]"; diag "$work/listener.out"; }
got=$(claim_ack F 100)
[ "$got" = "5 5" ] && ok "F got them and acked them" || not_ok "F: [$got]"
got=$(q -c "SELECT count(*) || ' ' || count(acked_at) FROM crm_sales.outbox_event")
[ "$got" = "65 65" ] && ok "in all, 65 events, 65 acknowledged, none lost" || not_ok "total: [$got]"

summary
[ "$failed" -eq 0 ]
