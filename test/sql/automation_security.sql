-- Who may do what: application roles move deals (rules fire), complete
-- their own tasks, log activities, and consumers claim and acknowledge
-- events through the functions; nobody but the extension owner writes
-- history, rules, tasks or events directly.  Every refusal is 42501.
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS crm_sales;
DROP ROLE IF EXISTS regress_app;
DROP ROLE IF EXISTS regress_rep;
DROP ROLE IF EXISTS regress_mailer;
DROP ROLE IF EXISTS regress_outsider;
RESET client_min_messages;
\set SHOW_CONTEXT never
-- its own schema: other tests leave tables named deals in public
CREATE SCHEMA auto_security;
SET search_path = auto_security, public, crm_sales;
ALTER SEQUENCE task_id_seq RESTART;

CREATE ROLE regress_app;		-- the application: writes deals
CREATE ROLE regress_rep;		-- a sales rep: reads deals, owns tasks
CREATE ROLE regress_mailer;		-- an outbox consumer
CREATE ROLE regress_outsider;	-- none of the above
GRANT USAGE ON SCHEMA auto_security
	TO regress_app, regress_rep, regress_mailer, regress_outsider;

CREATE TABLE deals (id int PRIMARY KEY, name text, owner text,
					stage sales_stage NOT NULL DEFAULT 'lead_generation');
CREATE TRIGGER deals_stage BEFORE INSERT OR UPDATE ON deals
	FOR EACH ROW EXECUTE FUNCTION enforce_transition('stage', 'id');
GRANT SELECT, INSERT, UPDATE ON deals TO regress_app;
GRANT SELECT ON deals TO regress_rep;
GRANT EXECUTE ON FUNCTION claim_events(text, integer, interval), ack_events(text, bigint[])
	TO regress_mailer;
SELECT add_stage_rule('proposal_follow_up', 'deals', 'proposal', 'Follow up on {name}',
					  '1 day', 'owner');
SELECT add_inactivity_rule('proposal_idle', 'deals', 'proposal', '7 days', 'Idle {name}', 'owner');
SELECT publish_stage_moves('deals');

-- The application moves deals: history, task, idle clock and events are
-- written for it, though it may write none of those tables.
SET ROLE regress_app;
INSERT INTO deals VALUES (1, 'Acme', 'regress_rep'), (2, 'Globex', 'someone_else');
UPDATE deals SET stage = 'proposal';
RESET ROLE;
SELECT t.entity_id, t.owner, t.title, t.changed_by, h.changed_by AS moved_by
  FROM task t JOIN stage_history h ON h.table_name = t.table_name AND h.entity_id = t.entity_id
   AND h.to_stage = 'proposal' ORDER BY t.entity_id;
SELECT count(*) AS clocks FROM entity_touch;
SELECT kind, count(*) FROM outbox_event GROUP BY kind ORDER BY kind;
SELECT id AS rep_task FROM task WHERE entity_id = '1' \gset
SELECT id AS other_task FROM task WHERE entity_id = '2' \gset

-- ... but cannot forge any of them.
SET ROLE regress_app;
INSERT INTO stage_history (table_name, entity_id, model, to_stage) VALUES ('deals', '1', 'sales_stage', 'closed_won');
\echo :LAST_ERROR_SQLSTATE
INSERT INTO task (table_name, entity_id, title, due_at) VALUES ('deals', '1', 'x', now());
\echo :LAST_ERROR_SQLSTATE
UPDATE task SET status = 'done';
\echo :LAST_ERROR_SQLSTATE
DELETE FROM task;
\echo :LAST_ERROR_SQLSTATE
INSERT INTO outbox_event (kind, payload) VALUES ('task_due', '{}');
\echo :LAST_ERROR_SQLSTATE
SELECT count(*) FROM outbox_event;
\echo :LAST_ERROR_SQLSTATE
INSERT INTO activity (table_name, entity_id, kind) VALUES ('deals', '1', 'call');
\echo :LAST_ERROR_SQLSTATE
UPDATE entity_touch SET last_touch = now();
\echo :LAST_ERROR_SQLSTATE
INSERT INTO followup_rule (rule, kind, table_name, model, stage, title)
VALUES ('mine', 'stage_entry', 'deals', 'sales_stage', 'proposal', 'x');
\echo :LAST_ERROR_SQLSTATE
SELECT add_stage_rule('mine', 'deals', 'negotiation', 'x');
\echo :LAST_ERROR_SQLSTATE
SELECT drop_rule('proposal_follow_up');
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM claim_events('app', 10);
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM run_sweep();
\echo :LAST_ERROR_SQLSTATE
SELECT schedule_sweep('1 minute');
\echo :LAST_ERROR_SQLSTATE
-- it may read tasks and activities, add tasks on its table and change any
-- task of it (it acts for every user of the application)
SELECT count(*) AS visible_tasks FROM task;
SELECT add_task('deals', '2', 'Send the contract', now() + interval '1 day', 'someone_else') > 0 AS added;
SELECT complete_task(:other_task, 'done by the app');
RESET ROLE;

-- A rep completes its own task, not another's; it may log activities on
-- what it can read, recorded as itself.
SET ROLE regress_rep;
SELECT complete_task(:rep_task);
SELECT snooze_task(:other_task, now() + interval '1 day');
\echo :LAST_ERROR_SQLSTATE
SELECT log_activity('deals', '1', 'call', 'Called Acme') > 0 AS logged;
SELECT add_task('deals', '1', 'x', now());
\echo :LAST_ERROR_SQLSTATE
RESET ROLE;
SELECT entity_id, kind, subject, logged_by FROM activity ORDER BY id;
SELECT entity_id, status, changed_by FROM task WHERE id IN (:rep_task, :other_task) ORDER BY id;
SELECT title, owner, changed_by FROM task WHERE kind = 'manual';

-- An outsider can neither log nor change tasks.
SET ROLE regress_outsider;
SELECT log_activity('deals', '1', 'call');
\echo :LAST_ERROR_SQLSTATE
SELECT cancel_task(:rep_task);
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM claim_events('x');
\echo :LAST_ERROR_SQLSTATE
RESET ROLE;

-- A consumer claims and acknowledges through the functions only.
SET ROLE regress_mailer;
SELECT count(*) AS claimed FROM claim_events('mailer', 100, '1 hour');
SELECT ack_events('mailer', ARRAY(SELECT generate_series(1, 1000)::bigint)) AS acked;
SELECT count(*) FROM outbox_event;
\echo :LAST_ERROR_SQLSTATE
UPDATE outbox_event SET acked_at = NULL;
\echo :LAST_ERROR_SQLSTATE
SELECT release_events('mailer', ARRAY[1]::bigint[]);
\echo :LAST_ERROR_SQLSTATE
RESET ROLE;
SELECT count(*) FILTER (WHERE acked_by = 'mailer') = count(*) AS all_acked_by_mailer FROM outbox_event;

-- A hostile search_path cannot reach into the trigger's statements: an
-- "=" operator for text in a schema ahead of pg_catalog is never called.
CREATE SCHEMA regress_evil;
CREATE FUNCTION regress_evil.texteq(text, text) RETURNS boolean LANGUAGE plpgsql AS
$$ BEGIN RAISE NOTICE 'evil = called'; RETURN $1 OPERATOR(pg_catalog.=) $2; END $$;
CREATE OPERATOR regress_evil.= (LEFTARG = text, RIGHTARG = text, FUNCTION = regress_evil.texteq);
CREATE FUNCTION regress_evil.oideq(regclass, regclass) RETURNS boolean LANGUAGE plpgsql AS
$$ BEGIN RAISE NOTICE 'evil = called'; RETURN $1 OPERATOR(pg_catalog.=) $2; END $$;
CREATE OPERATOR regress_evil.= (LEFTARG = regclass, RIGHTARG = regclass, FUNCTION = regress_evil.oideq);
GRANT USAGE ON SCHEMA regress_evil TO regress_app;
SET ROLE regress_app;
SET search_path = regress_evil, pg_catalog, auto_security, public, crm_sales;
INSERT INTO deals VALUES (3, 'Initech', 'regress_rep');
UPDATE deals SET stage = 'proposal' WHERE id = 3;
UPDATE deals SET stage = 'closed_won' WHERE id = 3;
RESET search_path;
RESET ROLE;
SET search_path = auto_security, public, crm_sales;
SELECT entity_id, rule, status FROM task WHERE entity_id = '3' ORDER BY id;

DROP TABLE deals;
SET client_min_messages = warning;
DROP SCHEMA regress_evil CASCADE;
RESET client_min_messages;
DELETE FROM task;
DELETE FROM outbox_event;
DELETE FROM activity;
REVOKE ALL ON FUNCTION claim_events(text, integer, interval), ack_events(text, bigint[])
	FROM regress_mailer;
RESET search_path;
DROP SCHEMA auto_security CASCADE;
DROP ROLE regress_app, regress_rep, regress_mailer, regress_outsider;
