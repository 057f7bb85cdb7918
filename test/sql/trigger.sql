-- crm_sales.enforce_transition(): enforcement, required columns, history,
-- misuse, the superuser switch.  Expected outcomes follow from the shipped
-- models as the issue defines them; every refusal shows its SQLSTATE.
\set SHOW_CONTEXT never
SET search_path = public, crm_sales;

CREATE TABLE deals (
	id		serial PRIMARY KEY,
	name	text,
	amount	numeric,
	stage	sales_stage
);
CREATE TRIGGER deals_stage BEFORE INSERT OR UPDATE OF stage ON deals
	FOR EACH ROW EXECUTE FUNCTION crm_sales.enforce_transition('stage', 'id');

-- creation: only as lead_generation
INSERT INTO deals (name, stage) VALUES ('Acme', 'lead_generation');
INSERT INTO deals (name, stage) VALUES ('Globex', 'proposal');
\echo :LAST_ERROR_SQLSTATE
-- no stage yet is allowed (and not recorded); getting one is a creation
INSERT INTO deals (name) VALUES ('Initech');
UPDATE deals SET stage = 'initial_contact' WHERE name = 'Initech';
\echo :LAST_ERROR_SQLSTATE
UPDATE deals SET stage = 'lead_generation' WHERE name = 'Initech';

-- forward moves, skipping ahead, refusals
UPDATE deals SET stage = 'initial_contact' WHERE name = 'Acme';
UPDATE deals SET stage = 'proposal' WHERE name = 'Acme';
UPDATE deals SET stage = 'needs_analysis' WHERE name = 'Acme';
\echo :LAST_ERROR_SQLSTATE
SELECT name, stage FROM deals ORDER BY id;

-- an unchanged stage is always fine and not recorded
UPDATE deals SET stage = 'proposal', name = 'Acme Corp' WHERE name = 'Acme';
UPDATE deals SET amount = 5 WHERE name = 'Acme Corp';

-- clearing the stage is refused
UPDATE deals SET stage = NULL WHERE name = 'Acme Corp';
\echo :LAST_ERROR_SQLSTATE

-- one bad row fails the whole statement: nothing moved, nothing recorded
INSERT INTO deals (name, stage) VALUES ('Hooli', 'lead_generation');
UPDATE deals SET stage = 'needs_analysis';
\echo :LAST_ERROR_SQLSTATE
SELECT name, stage FROM deals ORDER BY id;

-- required columns: amount to win from negotiation, contact for creation
SELECT crm_sales.require_columns('crm_sales.sales_stage', 'negotiation', 'closed_won', '{amount}');
UPDATE deals SET stage = 'negotiation', amount = NULL WHERE name = 'Acme Corp';
UPDATE deals SET stage = 'closed_won' WHERE name = 'Acme Corp';
\echo :LAST_ERROR_SQLSTATE
UPDATE deals SET stage = 'closed_won', amount = 1200 WHERE name = 'Acme Corp';
-- the requirement is per move: proposal -> closed_won needs nothing
UPDATE deals SET stage = 'proposal' WHERE name = 'Hooli';
UPDATE deals SET stage = 'closed_won' WHERE name = 'Hooli';
SELECT crm_sales.require_columns('crm_sales.sales_stage', NULL, 'lead_generation', '{name, amount}');
INSERT INTO deals (name, stage) VALUES ('Umbrella', 'lead_generation');
\echo :LAST_ERROR_SQLSTATE
INSERT INTO deals (name, amount, stage) VALUES ('Umbrella', 10, 'lead_generation');
-- a required column the table lacks is a configuration error
SELECT crm_sales.require_columns('crm_sales.sales_stage', 'closed_lost', 'lead_generation', '{reopen_reason}');
UPDATE deals SET stage = 'closed_lost' WHERE name = 'Umbrella';
UPDATE deals SET stage = 'lead_generation' WHERE name = 'Umbrella';
\echo :LAST_ERROR_SQLSTATE
SELECT crm_sales.require_columns('crm_sales.sales_stage', 'closed_lost', 'lead_generation', '{}');
SELECT crm_sales.require_columns('crm_sales.sales_stage', NULL, 'lead_generation', '{}');
SELECT crm_sales.require_columns('crm_sales.sales_stage', 'negotiation', 'closed_won', '{}');
-- reopen is allowed
UPDATE deals SET stage = 'lead_generation' WHERE name = 'Umbrella';

-- won deals stay won
UPDATE deals SET stage = 'closed_lost' WHERE name = 'Hooli';
\echo :LAST_ERROR_SQLSTATE

-- the model is read again after a change in this session
SELECT crm_sales.forbid_transition('crm_sales.sales_stage', 'lead_generation', 'closed_lost');
UPDATE deals SET stage = 'closed_lost' WHERE name = 'Umbrella';
\echo :LAST_ERROR_SQLSTATE
SELECT crm_sales.allow_transition('crm_sales.sales_stage', 'lead_generation', 'closed_lost');
UPDATE deals SET stage = 'closed_lost' WHERE name = 'Umbrella';

-- History: one row per accepted change, creation with from_stage NULL
SELECT h.table_name, h.entity_id, d.name, h.model, h.from_stage, h.to_stage,
       h.changed_by = current_user AS by_me
  FROM crm_sales.stage_history h JOIN deals d ON d.id::text = h.entity_id
 ORDER BY h.id;
-- changed_at is the time of each changing statement: never later than now,
-- never earlier than the row before it
SELECT count(*) AS rows, bool_and(changed_at <= now()) AS not_future,
       bool_and(changed_at >= prev OR prev IS NULL) AS in_order
  FROM (SELECT changed_at, lag(changed_at) OVER (ORDER BY id) AS prev
          FROM crm_sales.stage_history) h;
-- every history chain ends in the current stage, and each move is allowed
SELECT d.name, d.stage,
       (SELECT h.to_stage FROM crm_sales.stage_history h
         WHERE h.entity_id = d.id::text ORDER BY h.id DESC LIMIT 1) = d.stage::text AS last_matches
  FROM deals d WHERE d.stage IS NOT NULL ORDER BY d.id;
SELECT count(*) AS illegal_moves FROM crm_sales.stage_history h
 WHERE NOT crm_sales.transition_allowed(h.model, h.from_stage, h.to_stage);

-- Ordinary users: history is written for them, they cannot forge it
CREATE ROLE crm_rep;
GRANT USAGE ON SCHEMA public TO crm_rep;
GRANT SELECT, INSERT, UPDATE ON deals TO crm_rep;
GRANT USAGE ON SEQUENCE deals_id_seq TO crm_rep;
SET ROLE crm_rep;
INSERT INTO deals (name, stage) VALUES ('Stark', 'lead_generation');
UPDATE deals SET stage = 'negotiation' WHERE name = 'Stark';
INSERT INTO crm_sales.stage_history (table_name, entity_id, model, to_stage)
	VALUES ('deals', '1', 'crm_sales.sales_stage', 'closed_won');
\echo :LAST_ERROR_SQLSTATE
SET crm_sales.enforce_transitions = off;
\echo :LAST_ERROR_SQLSTATE
-- The 0.1.0 form (a BEFORE trigger alone) records what it accepts before
-- PostgreSQL knows whether the row is stored: an INSERT ... ON CONFLICT DO
-- NOTHING on Stark's id writes nothing but records a creation of Stark in
-- lead_generation (docs/security.md; the pair of triggers below does not)
INSERT INTO deals (id, name, stage)
	SELECT id, 'Stark', 'lead_generation' FROM deals WHERE name = 'Stark'
	ON CONFLICT DO NOTHING;
RESET ROLE;
SELECT from_stage, to_stage, changed_by FROM crm_sales.stage_history
 WHERE entity_id = (SELECT id::text FROM deals WHERE name = 'Stark') ORDER BY id;

-- History rows go straight to the table unless a user has given it a
-- trigger, rule or row security (then they go through a normal INSERT, so
-- those fire); constraints a user adds are checked either way
CREATE TABLE audit_log (entity_id text, to_stage text);
CREATE FUNCTION audit_history() RETURNS trigger LANGUAGE plpgsql AS
$$BEGIN INSERT INTO public.audit_log VALUES (NEW.entity_id, NEW.to_stage); RETURN NEW; END$$;
CREATE TRIGGER audit AFTER INSERT ON crm_sales.stage_history
	FOR EACH ROW EXECUTE FUNCTION audit_history();
UPDATE deals SET stage = 'closed_won' WHERE name = 'Stark';
SELECT * FROM audit_log;
DROP TRIGGER audit ON crm_sales.stage_history;
DROP FUNCTION audit_history();
DROP TABLE audit_log;
ALTER TABLE crm_sales.stage_history ADD CONSTRAINT no_reopen
	CHECK (from_stage IS DISTINCT FROM 'closed_lost') NOT VALID;
INSERT INTO deals (name, stage) VALUES ('Wayne', 'lead_generation');
UPDATE deals SET stage = 'closed_lost' WHERE name = 'Wayne';
\set VERBOSITY terse
UPDATE deals SET stage = 'lead_generation' WHERE name = 'Wayne';
\set VERBOSITY default
\echo :LAST_ERROR_SQLSTATE
ALTER TABLE crm_sales.stage_history DROP CONSTRAINT no_reopen;
-- ids come from one sequence on both paths: never repeated
SELECT count(*) = count(DISTINCT id) AS unique_ids FROM crm_sales.stage_history;
SELECT entity_id, from_stage, to_stage FROM crm_sales.stage_history
 WHERE entity_id IN (SELECT id::text FROM deals WHERE name IN ('Stark', 'Wayne')) ORDER BY id;

-- The superuser switch for bulk imports: no checks, no history
SHOW crm_sales.enforce_transitions;
SET crm_sales.enforce_transitions = off;
INSERT INTO deals (name, stage) VALUES ('Imported', 'closed_won');
UPDATE deals SET stage = 'proposal' WHERE name = 'Imported';
RESET crm_sales.enforce_transitions;
SELECT count(*) AS history_of_imported FROM crm_sales.stage_history
 WHERE entity_id = (SELECT id::text FROM deals WHERE name = 'Imported');
UPDATE deals SET stage = 'initial_contact' WHERE name = 'Imported';
\echo :LAST_ERROR_SQLSTATE

-- A validate-only trigger (no id column): checks, records nothing
CREATE TABLE customers (code text, lifecycle lifecycle_stage);
CREATE TRIGGER customers_lc BEFORE INSERT OR UPDATE ON customers
	FOR EACH ROW EXECUTE FUNCTION crm_sales.enforce_transition('lifecycle');
INSERT INTO customers VALUES ('C1', 'prospect'), ('C2', 'new');
INSERT INTO customers VALUES ('C3', 'loyal');
\echo :LAST_ERROR_SQLSTATE
UPDATE customers SET lifecycle = 'new' WHERE code = 'C1';
UPDATE customers SET lifecycle = 'loyal' WHERE code = 'C1';
UPDATE customers SET lifecycle = 'churned' WHERE code = 'C1';
UPDATE customers SET lifecycle = 'loyal' WHERE code = 'C1';
\echo :LAST_ERROR_SQLSTATE
UPDATE customers SET lifecycle = 'new' WHERE code = 'C1';
SELECT * FROM customers ORDER BY code;
SELECT count(*) AS lifecycle_history FROM crm_sales.stage_history
 WHERE model = 'crm_sales.lifecycle_stage'::regtype;

-- Text ids, a domain-typed stage column, a NULL id
CREATE DOMAIN contract_status_d AS contract_status;
CREATE TABLE contracts (ref text, status contract_status_d);
CREATE TRIGGER contracts_status BEFORE INSERT OR UPDATE ON contracts
	FOR EACH ROW EXECUTE FUNCTION crm_sales.enforce_transition('status', 'ref');
INSERT INTO contracts VALUES ('K-001', 'draft');
UPDATE contracts SET status = 'pending_approval';
UPDATE contracts SET status = 'active';
\echo :LAST_ERROR_SQLSTATE
INSERT INTO contracts VALUES (NULL, 'draft');
\echo :LAST_ERROR_SQLSTATE
SELECT entity_id, from_stage, to_stage FROM crm_sales.stage_history
 WHERE table_name = 'contracts'::regclass ORDER BY id;

-- The AFTER ROW form sees only rows really written: exact history with upserts
CREATE TABLE synced (id int PRIMARY KEY, stage sales_stage);
CREATE TRIGGER synced_stage AFTER INSERT OR UPDATE OF stage ON synced
	FOR EACH ROW EXECUTE FUNCTION crm_sales.enforce_transition('stage', 'id');
INSERT INTO synced VALUES (1, 'lead_generation');
-- a conflicting insert that does nothing records nothing
INSERT INTO synced VALUES (1, 'lead_generation') ON CONFLICT DO NOTHING;
-- an upsert whose proposed row is not a creation stage is checked as the
-- update it really is
INSERT INTO synced VALUES (1, 'initial_contact')
	ON CONFLICT (id) DO UPDATE SET stage = excluded.stage;
INSERT INTO synced VALUES (1, 'lead_generation')
	ON CONFLICT (id) DO UPDATE SET stage = excluded.stage;
\echo :LAST_ERROR_SQLSTATE
-- a row dropped by a BEFORE trigger is neither checked nor recorded
CREATE FUNCTION skip_id_2() RETURNS trigger LANGUAGE plpgsql AS
$$BEGIN IF NEW.id = 2 THEN RETURN NULL; END IF; RETURN NEW; END$$;
CREATE TRIGGER a_skip BEFORE INSERT ON synced FOR EACH ROW EXECUTE FUNCTION skip_id_2();
INSERT INTO synced VALUES (2, 'proposal');
INSERT INTO synced VALUES (3, 'proposal');
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM synced ORDER BY id;
SELECT entity_id, from_stage, to_stage FROM crm_sales.stage_history
 WHERE table_name = 'synced'::regclass ORDER BY id;
DROP TABLE synced;
DROP FUNCTION skip_id_2();

-- The recommended form: crm_sales.enforce_stages() creates a BEFORE trigger
-- that refuses illegal moves before the row is written and an AFTER partner
-- (same function, same arguments) that records exactly the rows written.
-- A later BEFORE trigger says which rows got past the check: a row refused
-- early never reaches it.
CREATE TABLE paired (id int PRIMARY KEY, stage sales_stage, note text);
SELECT crm_sales.enforce_stages('paired', 'stage', 'id');
SELECT tgname, pg_get_triggerdef(oid) FROM pg_trigger
 WHERE tgrelid = 'paired'::regclass ORDER BY tgname;
CREATE FUNCTION later_trigger() RETURNS trigger LANGUAGE plpgsql AS
$$BEGIN
	RAISE NOTICE 'row % reached %', NEW.id, TG_NAME;
	IF NEW.note = 'drop' THEN RETURN NULL; END IF;
	RETURN NEW;
END$$;
CREATE TRIGGER z_later BEFORE INSERT OR UPDATE ON paired
	FOR EACH ROW EXECUTE FUNCTION later_trigger();
INSERT INTO paired VALUES (1, 'lead_generation');
INSERT INTO paired VALUES (2, 'proposal');
\echo :LAST_ERROR_SQLSTATE
-- upserts: DO NOTHING on an existing row records nothing; DO UPDATE records
-- the real update once, and its illegal update is refused
INSERT INTO paired VALUES (1, 'lead_generation') ON CONFLICT DO NOTHING;
INSERT INTO paired VALUES (1, 'lead_generation')
	ON CONFLICT (id) DO UPDATE SET stage = 'initial_contact';
INSERT INTO paired VALUES (1, 'lead_generation')
	ON CONFLICT (id) DO UPDATE SET stage = 'lead_generation';
\echo :LAST_ERROR_SQLSTATE
-- what remains of the BEFORE check: it sees the proposed row of an upsert
-- as a creation, so an upsert proposing a stage no row may be created in
-- is refused even where it would update (the AFTER-only form above takes it)
INSERT INTO paired VALUES (1, 'needs_analysis')
	ON CONFLICT (id) DO UPDATE SET stage = excluded.stage;
\echo :LAST_ERROR_SQLSTATE
-- rows a later BEFORE trigger drops are checked, but not recorded
INSERT INTO paired VALUES (3, 'lead_generation', 'drop');
UPDATE paired SET stage = 'needs_analysis', note = 'drop' WHERE id = 1;
SELECT * FROM paired ORDER BY id;
-- with its partner disabled, the BEFORE trigger records the move itself
ALTER TABLE paired DISABLE TRIGGER stage_history;
UPDATE paired SET stage = 'needs_analysis' WHERE id = 1;
ALTER TABLE paired ENABLE TRIGGER stage_history;
UPDATE paired SET stage = 'proposal' WHERE id = 1;
-- an older trigger on the same column is reported; it finds the partner
-- too, so each move is still recorded once
CREATE TRIGGER deals_stage BEFORE INSERT OR UPDATE ON paired
	FOR EACH ROW EXECUTE FUNCTION crm_sales.enforce_transition('stage', 'id');
SELECT crm_sales.enforce_stages('paired', 'stage', 'id');
UPDATE paired SET stage = 'negotiation' WHERE id = 1;
DROP TRIGGER deals_stage ON paired;
-- one history row per move of a written row
SELECT entity_id, from_stage, to_stage FROM crm_sales.stage_history
 WHERE table_name = 'paired'::regclass ORDER BY id;
-- validating only: one trigger, no history
CREATE TABLE validated (stage sales_stage);
SELECT crm_sales.enforce_stages('validated', 'stage');
SELECT tgname FROM pg_trigger WHERE tgrelid = 'validated'::regclass;
INSERT INTO validated VALUES ('closed_won');
\echo :LAST_ERROR_SQLSTATE
-- enforce_stages() refusals
SELECT crm_sales.enforce_stages(NULL, 'stage');
SELECT crm_sales.enforce_stages('paired', NULL);
SELECT crm_sales.enforce_stages('paired', 'stage', NULL, 'note');
SELECT crm_sales.enforce_stages('paired', repeat('s', 56));
\echo :LAST_ERROR_SQLSTATE
SELECT crm_sales.enforce_stages('paired', 'stgae', 'id');
\echo :LAST_ERROR_SQLSTATE
SET ROLE crm_rep;
SELECT crm_sales.enforce_stages('deals', 'stage', 'id');
\echo :LAST_ERROR_SQLSTATE
RESET ROLE;
DROP TABLE paired, validated;
DROP FUNCTION later_trigger();

-- History with real dates: a third argument names a timestamptz column
-- whose value dates the move (offline clients, back-dated corrections)
SET TimeZone = 'UTC';
CREATE TABLE dated (id int PRIMARY KEY, stage sales_stage, moved_at timestamptz);
SELECT crm_sales.enforce_stages('dated', 'stage', 'id', 'moved_at');
INSERT INTO dated VALUES (1, 'lead_generation', '2025-03-01 09:00+00');
UPDATE dated SET stage = 'initial_contact', moved_at = '2025-03-04 15:30+00' WHERE id = 1;
-- a move dated before the last one is refused
UPDATE dated SET stage = 'needs_analysis', moved_at = '2025-03-04 15:29:59+00' WHERE id = 1;
\echo :LAST_ERROR_SQLSTATE
-- a time equal to the row's old value counts as not given (an ORM writes
-- every column): correcting the time alone is no move and records nothing,
-- and then a move dated at the very time of the last one is fine
UPDATE dated SET moved_at = '2025-03-01 00:00+00' WHERE id = 1;
UPDATE dated SET stage = 'needs_analysis', moved_at = '2025-03-04 15:30+00' WHERE id = 1;
-- nor a time in the future or that is no point in time
UPDATE dated SET stage = 'proposal', moved_at = '2999-01-01 00:00+00' WHERE id = 1;
\echo :LAST_ERROR_SQLSTATE
UPDATE dated SET stage = 'proposal', moved_at = 'infinity' WHERE id = 1;
\echo :LAST_ERROR_SQLSTATE
UPDATE dated SET stage = 'proposal', moved_at = '-infinity' WHERE id = 1;
\echo :LAST_ERROR_SQLSTATE
-- a row deleted and created again continues its history: its creation
-- cannot be dated before its last move either
INSERT INTO dated VALUES (3, 'lead_generation', '2025-03-01 00:00+00');
UPDATE dated SET stage = 'closed_lost', moved_at = '2025-03-05 00:00+00' WHERE id = 3;
DELETE FROM dated WHERE id = 3;
INSERT INTO dated VALUES (3, 'lead_generation', '2025-03-02 00:00+00');
\echo :LAST_ERROR_SQLSTATE
INSERT INTO dated VALUES (3, 'lead_generation', '2025-03-06 00:00+00');
DELETE FROM dated WHERE id = 3;
SELECT entity_id, from_stage, to_stage, changed_at FROM crm_sales.stage_history
 WHERE table_name = 'dated'::regclass ORDER BY id;
SELECT moved_at FROM dated;
-- no time given (NULL, or the column left as it was): the move is dated by
-- the statement, and the BEFORE trigger writes that time into the row
INSERT INTO dated VALUES (2, 'lead_generation', NULL);
UPDATE dated SET stage = 'proposal' WHERE id = 1;
SELECT d.id, d.moved_at = h.changed_at AS row_holds_move_time,
	   h.changed_at > '2025-03-04 15:30+00' AS dated_now
  FROM dated d
  JOIN crm_sales.stage_history h ON h.table_name = 'dated'::regclass
	   AND h.entity_id = d.id::text AND h.to_stage = d.stage::text
 ORDER BY d.id;
-- the AFTER-only form dates moves the same way but cannot fill the row
CREATE TABLE dated_after (id int PRIMARY KEY, stage sales_stage, moved_at timestamptz);
CREATE TRIGGER t AFTER INSERT OR UPDATE OF stage ON dated_after
	FOR EACH ROW EXECUTE FUNCTION crm_sales.enforce_transition('stage', 'id', 'moved_at');
INSERT INTO dated_after VALUES (1, 'lead_generation', '2025-05-01 08:00+00'), (2, 'lead_generation', NULL);
UPDATE dated_after SET stage = 'closed_lost' WHERE id = 2;
UPDATE dated_after SET stage = 'initial_contact', moved_at = '2025-04-30 08:00+00' WHERE id = 1;
\echo :LAST_ERROR_SQLSTATE
SELECT a.id, a.moved_at, h.from_stage, h.to_stage,
	   CASE WHEN h.changed_at < '2026-01-01' THEN h.changed_at::text ELSE 'now' END AS changed_at
  FROM dated_after a
  JOIN crm_sales.stage_history h ON h.table_name = 'dated_after'::regclass AND h.entity_id = a.id::text
 ORDER BY h.id;
-- the time column must be a timestamptz, and there are at most 3 arguments
CREATE TABLE dated_bad (id int, stage sales_stage, moved_on date);
CREATE TRIGGER t BEFORE INSERT ON dated_bad
	FOR EACH ROW EXECUTE FUNCTION crm_sales.enforce_transition('stage', 'id', 'moved_on');
INSERT INTO dated_bad VALUES (1, 'lead_generation', '2025-01-01');
\echo :LAST_ERROR_SQLSTATE
DROP TRIGGER t ON dated_bad;
CREATE TRIGGER t BEFORE INSERT ON dated_bad
	FOR EACH ROW EXECUTE FUNCTION crm_sales.enforce_transition('stage', 'id', 'moved_on', 'x');
INSERT INTO dated_bad VALUES (1, 'lead_generation', '2025-01-01');
\echo :LAST_ERROR_SQLSTATE
DROP TABLE dated, dated_after, dated_bad;
RESET TimeZone;

-- Misuse gets a clear error
CREATE TABLE misuse (id int, stage sales_stage, n int, colour_col text);
CREATE TRIGGER m AFTER INSERT ON misuse
	FOR EACH STATEMENT EXECUTE FUNCTION crm_sales.enforce_transition('stage', 'id');
INSERT INTO misuse VALUES (1, 'lead_generation');
\echo :LAST_ERROR_SQLSTATE
DROP TRIGGER m ON misuse;
CREATE VIEW misuse_v AS SELECT * FROM misuse;
CREATE TRIGGER m INSTEAD OF INSERT ON misuse_v
	FOR EACH ROW EXECUTE FUNCTION crm_sales.enforce_transition('stage', 'id');
INSERT INTO misuse_v VALUES (1, 'lead_generation');
DROP VIEW misuse_v;
CREATE TRIGGER m BEFORE INSERT ON misuse
	FOR EACH STATEMENT EXECUTE FUNCTION crm_sales.enforce_transition('stage', 'id');
INSERT INTO misuse VALUES (1, 'lead_generation');
DROP TRIGGER m ON misuse;
CREATE TRIGGER m BEFORE DELETE ON misuse
	FOR EACH ROW EXECUTE FUNCTION crm_sales.enforce_transition('stage', 'id');
DELETE FROM misuse;
INSERT INTO misuse VALUES (1, 'proposal');
DELETE FROM misuse;
DROP TRIGGER m ON misuse;
CREATE TRIGGER m BEFORE INSERT ON misuse
	FOR EACH ROW EXECUTE FUNCTION crm_sales.enforce_transition();
INSERT INTO misuse VALUES (1, 'lead_generation');
DROP TRIGGER m ON misuse;
CREATE TRIGGER m BEFORE INSERT ON misuse
	FOR EACH ROW EXECUTE FUNCTION crm_sales.enforce_transition('stage', 'id', 'extra');
INSERT INTO misuse VALUES (1, 'lead_generation');
DROP TRIGGER m ON misuse;
CREATE TRIGGER m BEFORE INSERT ON misuse
	FOR EACH ROW EXECUTE FUNCTION crm_sales.enforce_transition('stgae', 'id');
INSERT INTO misuse VALUES (1, 'lead_generation');
\echo :LAST_ERROR_SQLSTATE
DROP TRIGGER m ON misuse;
CREATE TRIGGER m BEFORE INSERT ON misuse
	FOR EACH ROW EXECUTE FUNCTION crm_sales.enforce_transition('stage', 'ident');
INSERT INTO misuse VALUES (1, 'lead_generation');
DROP TRIGGER m ON misuse;
CREATE TRIGGER m BEFORE INSERT ON misuse
	FOR EACH ROW EXECUTE FUNCTION crm_sales.enforce_transition('n', 'id');
INSERT INTO misuse VALUES (1, 'lead_generation', 3);
\echo :LAST_ERROR_SQLSTATE
DROP TRIGGER m ON misuse;
CREATE TRIGGER m BEFORE INSERT ON misuse
	FOR EACH ROW EXECUTE FUNCTION crm_sales.enforce_transition('ctid', 'id');
INSERT INTO misuse VALUES (1, 'lead_generation', 3);
DROP TRIGGER m ON misuse;
CREATE TYPE colour AS ENUM ('red', 'green');
ALTER TABLE misuse ALTER COLUMN colour_col TYPE colour USING colour_col::colour;
CREATE TRIGGER m BEFORE INSERT ON misuse
	FOR EACH ROW EXECUTE FUNCTION crm_sales.enforce_transition('colour_col', 'id');
INSERT INTO misuse VALUES (1, 'lead_generation', 3, 'red');
DROP TRIGGER m ON misuse;
SELECT crm_sales.enforce_transition();

DROP TABLE deals, customers, contracts, misuse;
DROP DOMAIN contract_status_d;
DROP TYPE colour;
REVOKE USAGE ON SCHEMA public FROM crm_rep;
DROP ROLE crm_rep;
DELETE FROM crm_sales.stage_history;
RESET search_path;
