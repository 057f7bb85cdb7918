-- The outbox: claim_events (FOR UPDATE SKIP LOCKED, leases), ack_events,
-- release_events, redelivery after a lease runs out, the sweep's lease
-- expiry and purge.  Concurrent claims are in test/isolation
-- (outbox_claim), a consumer killed mid-batch in test/outbox.
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS crm_sales;
RESET client_min_messages;
\set SHOW_CONTEXT never
-- its own schema: other tests leave tables named deals in public
CREATE SCHEMA auto_outbox;
SET search_path = auto_outbox, public, crm_sales;

CREATE TABLE deals (id int PRIMARY KEY, name text,
					stage sales_stage NOT NULL DEFAULT 'lead_generation');
CREATE TRIGGER deals_stage BEFORE INSERT OR UPDATE ON deals
	FOR EACH ROW EXECUTE FUNCTION enforce_transition('stage', 'id');
SELECT publish_stage_moves('deals');
-- five events: five creations
INSERT INTO deals (id, name) SELECT i, 'deal ' || i FROM generate_series(1, 5) i;
SELECT id - min(id) OVER () + 1 AS n, kind, entity_id FROM outbox_event ORDER BY id;
SELECT min(id) - 1 AS base FROM outbox_event \gset

-- Two consumers get disjoint batches, oldest first.
SELECT id - :base AS n, kind, entity_id, deliveries FROM claim_events('mailer', 2, '1 hour');
SELECT id - :base AS n, deliveries FROM claim_events('webhook', 10, '1 hour');
-- everything is leased: nothing to claim
SELECT count(*) AS claimable FROM claim_events('late', 10, '1 hour');
SELECT id - :base AS n, claimed_by, deliveries, acked_at IS NULL AS pending
  FROM outbox_event ORDER BY id;

-- Acknowledge: only the holder of a running lease can.
SELECT ack_events('mailer', ARRAY[:base + 1, :base + 2]);
SELECT ack_events('mailer', ARRAY[:base + 1, :base + 2]);	-- already acknowledged
SELECT ack_events('mailer', ARRAY[:base + 3]);				-- held by webhook
SELECT ack_events('webhook', ARRAY[]::bigint[]);
-- an acknowledged event is never delivered again, not even after a release
SELECT release_events('mailer', ARRAY[:base + 1]);
-- release: webhook gives back event 3, which the next claim gets again
SELECT release_events('webhook', ARRAY[:base + 3]);
SELECT id - :base AS n, deliveries FROM claim_events('mailer', 10, '1 hour');

-- A lease that runs out: the event is delivered again, and the late
-- acknowledgement is refused.
INSERT INTO deals VALUES (6, 'deal 6');
SELECT id - :base AS n, deliveries FROM claim_events('slow', 1, '1 millisecond');
SELECT pg_sleep(0.01);
SELECT ack_events('slow', ARRAY[:base + 6]);
SELECT id - :base AS n, deliveries FROM claim_events('fast', 1, '1 hour');
SELECT ack_events('fast', ARRAY[:base + 6]);

-- The sweep frees expired leases (and wakes the consumers with NOTIFY).
INSERT INTO deals VALUES (7, 'deal 7');
SELECT id - :base AS n FROM claim_events('dying', 1, '1 millisecond');
SELECT pg_sleep(0.01);
SELECT * FROM run_sweep() WHERE step = 'leases_expired';
SELECT id - :base AS n, claimed_by, lease_until FROM outbox_event WHERE id = :base + 7;

-- Acknowledge everything held; then nothing is left to claim.
SELECT ack_events('mailer', ARRAY(SELECT id FROM outbox_event WHERE claimed_by = 'mailer'))
	 + ack_events('webhook', ARRAY(SELECT id FROM outbox_event WHERE claimed_by = 'webhook'))
	 AS acked;
SELECT ack_events('last', ARRAY(SELECT id FROM claim_events('last', 100, '1 hour'))) AS acked_last;
SELECT count(*) FILTER (WHERE acked_at IS NOT NULL) AS acked, count(*) AS events,
	   count(*) FILTER (WHERE deliveries > 1) AS delivered_more_than_once
  FROM outbox_event;
SELECT count(*) AS claimable FROM claim_events('anyone', 100, '1 hour');

-- Purge: acknowledged events older than crm_sales.outbox_retention.
SHOW crm_sales.outbox_retention;
SELECT * FROM run_sweep() WHERE step = 'events_purged';
SET crm_sales.outbox_retention = '1min';
SELECT * FROM run_sweep(now() + interval '2 minutes') WHERE step = 'events_purged';
RESET crm_sales.outbox_retention;
SELECT count(*) AS events_left FROM outbox_event;
SET crm_sales.outbox_retention = 0;
\echo :LAST_ERROR_SQLSTATE

-- Refusals
SELECT * FROM claim_events(NULL);
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM claim_events('');
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM claim_events('c', 0);
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM claim_events('c', 10001);
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM claim_events('c', NULL);
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM claim_events('c', 10, '0');
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM claim_events('c', 10, '-1 minute');
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM claim_events('c', 10, NULL);
\echo :LAST_ERROR_SQLSTATE
SELECT ack_events('c', NULL);
\echo :LAST_ERROR_SQLSTATE
SELECT ack_events(NULL, ARRAY[1]);
\echo :LAST_ERROR_SQLSTATE
SELECT release_events('c', NULL);
\echo :LAST_ERROR_SQLSTATE
\set VERBOSITY terse
INSERT INTO outbox_event (kind, payload) VALUES ('gossip', '{}');
\echo :LAST_ERROR_SQLSTATE
\set VERBOSITY default

DROP TABLE deals;
DELETE FROM outbox_event;
RESET search_path;
DROP SCHEMA auto_outbox CASCADE;
