-- Stage-entry rules fired by the stage trigger, in the transaction of the
-- move; tasks (complete, snooze, cancel, add), activities, the task views,
-- published stage moves.  Expected rows follow from the rules and moves
-- written here; due times are compared with plain-SQL computations.
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS crm_sales;
RESET client_min_messages;
\set SHOW_CONTEXT never
-- its own schema: other tests leave tables named deals in public
CREATE SCHEMA auto_tasks;
SET search_path = auto_tasks, public, crm_sales;
SET TimeZone = 'UTC';
ALTER SEQUENCE task_id_seq RESTART;

CREATE TABLE deals (
	id		bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	name	text NOT NULL,
	owner	text,
	manager text,
	amount	numeric,
	stage	sales_stage NOT NULL DEFAULT 'lead_generation'
);
CREATE TRIGGER deals_stage BEFORE INSERT OR UPDATE OF stage ON deals
	FOR EACH ROW EXECUTE FUNCTION enforce_transition('stage', 'id');
CREATE TABLE customers (
	id		int PRIMARY KEY,
	name	text,
	rep		text,
	life	lifecycle_stage
);
CREATE TRIGGER customers_life AFTER INSERT OR UPDATE ON customers
	FOR EACH ROW EXECUTE FUNCTION enforce_transition('life', 'id');

SELECT create_calendar('weekdays');		-- Saturday and Sunday off, session time zone
SELECT add_stage_rule('new_lead', 'deals', 'lead_generation', 'Qualify {name}');
SELECT add_stage_rule('proposal_follow_up', 'deals', 'proposal',
					  'Follow up on {name} ({amount})', '3 days 2 hours', 'owner',
					  calendar => 'weekdays');
SELECT add_stage_rule('won_thanks', 'deals', 'closed_won', 'Thank {name} for {amount}',
					  '1 day', 'owner', cancel_on_close => false);
SELECT add_stage_rule('win_back', 'customers', 'churned', 'Win back {name} (再营销和挽回)',
					  '2 days', 'rep');

-- Creation counts as entering lead_generation (owner column: none, so unassigned).
INSERT INTO deals (name, owner, manager, amount) VALUES
	('Acme', 'li', 'zhang', 1000), ('Globex', 'wang', 'zhang', NULL), ('Initech', NULL, NULL, 50);
SELECT rule, kind, entity_id, owner, title, status, stage FROM task ORDER BY id;
-- each task has its event, in the same transaction
SELECT e.kind, e.entity_id, e.payload->>'title' AS title, e.payload->>'task_kind' AS task_kind,
	   e.payload->>'table' AS tbl, (e.payload->>'task_id')::bigint = t.id AS same_task
  FROM outbox_event e JOIN task t ON t.id = (e.payload->>'task_id')::bigint ORDER BY e.id;

-- The proposal rule: owner from the row, title from the row ({amount} NULL is
-- empty), due 3 business days and 2 hours after the move.
UPDATE deals SET stage = 'proposal' WHERE name IN ('Acme', 'Globex');
SELECT rule, entity_id, owner, title FROM task WHERE rule = 'proposal_follow_up' ORDER BY id;
-- reference: the 3rd weekday after the move's date, same time of day, + 2 h
SELECT t.entity_id,
	   t.due_at = (SELECT d FROM generate_series(h.changed_at::date + 1,
												  h.changed_at::date + 10, '1 day') d
					WHERE extract(isodow FROM d) < 6 ORDER BY d OFFSET 2 LIMIT 1)
				  + h.changed_at::time + interval '2 hours' AS due_ok,
	   t.created_at = h.changed_at AND t.anchor = h.changed_at AS same_moment
  FROM task t JOIN stage_history h
	ON h.table_name = t.table_name AND h.entity_id = t.entity_id AND h.to_stage = 'proposal'
 WHERE t.rule = 'proposal_follow_up' ORDER BY t.entity_id;

-- A move that rolls back takes its task and event with it; a refused move
-- creates nothing.
SELECT count(*) AS tasks_before, (SELECT count(*) FROM outbox_event) AS events_before FROM task;
BEGIN;
UPDATE deals SET stage = 'proposal' WHERE name = 'Initech';
SELECT count(*) AS tasks_inside FROM task;
ROLLBACK;
UPDATE deals SET stage = 'needs_analysis' WHERE name = 'Acme';
\echo :LAST_ERROR_SQLSTATE
SELECT count(*) AS tasks_after, (SELECT count(*) FROM outbox_event) AS events_after FROM task;

-- Winning cancels the open follow-ups of the deal (cancel_on_close); the
-- closed_won rule's own task is created after that and stays open.
UPDATE deals SET stage = 'closed_won' WHERE name = 'Acme';
SELECT rule, entity_id, status, note, completed_at IS NOT NULL AS completed, changed_by
  FROM task WHERE entity_id = '1' ORDER BY id;
-- losing does the same; reopening enters lead_generation again
UPDATE deals SET stage = 'closed_lost' WHERE name = 'Globex';
UPDATE deals SET stage = 'lead_generation' WHERE name = 'Globex';
SELECT rule, status, note FROM task WHERE entity_id = '2' ORDER BY id;

-- Several rows in one statement: one task each.
INSERT INTO deals (name, owner, stage)
SELECT 'Bulk ' || i, 'rep' || (i % 3), 'lead_generation' FROM generate_series(1, 5) i;
UPDATE deals SET stage = 'proposal' WHERE name LIKE 'Bulk %';
SELECT owner, count(*) FROM task WHERE rule = 'proposal_follow_up' AND status = 'open'
 GROUP BY owner ORDER BY owner;

-- A lifecycle rule through an AFTER ROW trigger: entering churned.
INSERT INTO customers VALUES (1, 'Hooli', 'wang', 'prospect');
UPDATE customers SET life = 'new' WHERE id = 1;
UPDATE customers SET life = 'churned' WHERE id = 1;
SELECT rule, table_name, entity_id, owner, title, kind, stage FROM task WHERE rule = 'win_back';
-- the rule is about customers, not deals: deals have no churned stage anyway
UPDATE customers SET life = 'new' WHERE id = 1;		-- won back
SELECT status, note FROM task WHERE rule = 'win_back';

-- A disabled rule does not fire; enabled again, it does.
SELECT set_rule_enabled('new_lead', false);
INSERT INTO deals (name) VALUES ('Quiet');
SELECT count(*) AS quiet_tasks FROM task WHERE entity_id = (SELECT id::text FROM deals WHERE name = 'Quiet');
SELECT set_rule_enabled('new_lead', true);
INSERT INTO deals (name) VALUES ('Loud');
SELECT count(*) AS loud_tasks FROM task WHERE entity_id = (SELECT id::text FROM deals WHERE name = 'Loud');

-- Switched off for an import: neither history nor tasks.
SET crm_sales.enforce_transitions = off;
INSERT INTO deals (name) VALUES ('Imported');
RESET crm_sales.enforce_transitions;
SELECT count(*) AS imported_tasks FROM task
 WHERE entity_id = (SELECT id::text FROM deals WHERE name = 'Imported');

-- A trigger a DBA adds to crm_sales.task (an audit, say) sees every task:
-- while the table has one, tasks go through an ordinary INSERT.
CREATE TABLE task_audit (tbl text, id bigint, title text, kind text);
CREATE FUNCTION audit_task() RETURNS trigger LANGUAGE plpgsql AS
$$ BEGIN INSERT INTO auto_tasks.task_audit VALUES ('task', NEW.id, NEW.title, NEW.kind); RETURN NEW; END $$;
CREATE FUNCTION audit_event() RETURNS trigger LANGUAGE plpgsql AS
$$ BEGIN INSERT INTO auto_tasks.task_audit VALUES ('event', NEW.id, NEW.payload->>'title', NEW.kind); RETURN NEW; END $$;
CREATE TRIGGER task_audit AFTER INSERT ON task FOR EACH ROW EXECUTE FUNCTION audit_task();
CREATE TRIGGER event_audit AFTER INSERT ON outbox_event FOR EACH ROW EXECUTE FUNCTION audit_event();
INSERT INTO deals (name, owner) VALUES ('Audited', 'li');
SELECT a.tbl, a.title, a.kind,
	   a.id IN (SELECT id FROM task UNION ALL SELECT id FROM outbox_event) AS row_exists
  FROM task_audit a ORDER BY a.tbl;
DROP TRIGGER task_audit ON task;
DROP TRIGGER event_audit ON outbox_event;
DROP TABLE task_audit;
DROP FUNCTION audit_task(), audit_event();

-- Published moves: a stage_moved event per accepted move.
SELECT publish_stage_moves('deals');
UPDATE deals SET stage = 'initial_contact' WHERE name = 'Loud';
SELECT kind, entity_id, payload->>'from_stage' AS from_stage, payload->>'to_stage' AS to_stage,
	   payload->>'model' AS model, payload->>'table' AS tbl, payload->>'by' AS by_role,
	   (payload->>'at')::timestamptz = created_at AS at_move
  FROM outbox_event WHERE kind = 'stage_moved';
SELECT publish_stage_moves('deals', false);
UPDATE deals SET stage = 'needs_analysis' WHERE name = 'Loud';
SELECT count(*) AS moves_published FROM outbox_event WHERE kind = 'stage_moved';
SELECT publish_stage_moves('customers_missing');
\echo :LAST_ERROR_SQLSTATE
CREATE TABLE plain (id int);
SELECT publish_stage_moves('plain');
\echo :LAST_ERROR_SQLSTATE

-- Completing a task logs a task_done activity on its entity.
SELECT id AS thanks FROM task WHERE rule = 'won_thanks' \gset
SELECT complete_task(:thanks, 'sent a hamper');
SELECT status, note, completed_at IS NOT NULL AS completed FROM task WHERE id = :thanks;
SELECT table_name, entity_id, kind, owner, subject, payload, logged_by FROM activity;
SELECT last_activity('deals', '1') = (SELECT occurred_at FROM activity) AS last_is_task_done;
SELECT complete_task(:thanks);
\echo :LAST_ERROR_SQLSTATE
SELECT cancel_task(:thanks);
\echo :LAST_ERROR_SQLSTATE

-- Snooze: the task is put aside until a later time, which is its new due time.
SELECT id AS bulk FROM task WHERE rule = 'proposal_follow_up' AND status = 'open'
 ORDER BY id LIMIT 1 \gset
SELECT snooze_task(:bulk, '2099-01-01 09:00+00');
SELECT status, due_at FROM task WHERE id = :bulk;
SELECT snooze_task(:bulk, '2000-01-01 09:00+00');
\echo :LAST_ERROR_SQLSTATE
SELECT snooze_task(:bulk, 'infinity');
\echo :LAST_ERROR_SQLSTATE
SELECT snooze_task(:bulk, NULL);
\echo :LAST_ERROR_SQLSTATE
SELECT cancel_task(:bulk, 'not needed');
SELECT status, note FROM task WHERE id = :bulk;
SELECT complete_task(-1);
\echo :LAST_ERROR_SQLSTATE
SELECT complete_task(NULL);
\echo :LAST_ERROR_SQLSTATE

-- Tasks by hand.
SELECT add_task('deals', '3', 'Call Initech back', now() - interval '2 hours', 'li') AS manual \gset
SELECT rule, kind, entity_id, owner, title, cancel_on_close FROM task WHERE id = :manual;
SELECT kind, payload->>'task_kind' AS task_kind FROM outbox_event
 WHERE (payload->>'task_id')::bigint = :manual;
SELECT add_task('deals', '3', '', now());
\echo :LAST_ERROR_SQLSTATE
SELECT add_task('deals', '', 'x', now());
\echo :LAST_ERROR_SQLSTATE
SELECT add_task('deals', '3', 'x', 'infinity');
\echo :LAST_ERROR_SQLSTATE
SELECT add_task('deals', '3', NULL, now());
\echo :LAST_ERROR_SQLSTATE
SELECT add_task(NULL, '3', 'x', now());
\echo :LAST_ERROR_SQLSTATE
SELECT add_task('deals', '3', repeat('x', 2001), now());
\echo :LAST_ERROR_SQLSTATE

-- Activities.
SELECT log_activity('deals', '2', 'call', 'Discussed pricing', 'wang',
					'2026-03-01 10:00+00', '{"minutes": 12}') > 0 AS logged;
SELECT kind, subject, owner, occurred_at, payload, logged_by = current_user AS by_me
  FROM activity WHERE entity_id = '2';
SELECT log_activity('deals', '2', 'fax');
\echo :LAST_ERROR_SQLSTATE
SELECT log_activity('deals', '2', 'task_done');
\echo :LAST_ERROR_SQLSTATE
SELECT log_activity('deals', '2', NULL);
\echo :LAST_ERROR_SQLSTATE
SELECT log_activity('deals', NULL, 'call');
\echo :LAST_ERROR_SQLSTATE
SELECT log_activity('deals', '2', 'call', occurred_at => 'infinity');
\echo :LAST_ERROR_SQLSTATE
SELECT log_activity('deals', '2', 'call', occurred_at => NULL);
\echo :LAST_ERROR_SQLSTATE
SELECT log_activity(0, '2', 'call');
\echo :LAST_ERROR_SQLSTATE
-- the stage history counts as activity too: Globex's last touch is its last move
SELECT last_activity('deals', '2') = (SELECT max(changed_at) FROM stage_history
									  WHERE table_name = 'deals'::regclass AND entity_id = '2')
	   AS last_is_move,
	   last_activity('deals', 'no such id') IS NULL AS none;

-- The views.
SELECT owner, rank_for_owner, title, overdue FROM open_tasks
 WHERE owner IN ('li', 'rep1') ORDER BY owner, due_at;
SELECT owner, title, overdue_by > interval '1 hour' AS late FROM overdue_tasks;

-- A rule whose owner column has been dropped stops the move with a clear error.
ALTER TABLE deals DROP COLUMN manager;
SELECT add_stage_rule('negotiation_call', 'deals', 'negotiation', 'Call {name}', owner_column => 'owner');
ALTER TABLE deals RENAME COLUMN owner TO rep;
UPDATE deals SET stage = 'negotiation' WHERE name = 'Bulk 1';
\echo :LAST_ERROR_SQLSTATE
SELECT drop_rule('negotiation_call');
UPDATE deals SET stage = 'negotiation' WHERE name = 'Bulk 1';

-- Dropping the table removes its rules (its tasks stay).
DROP TABLE deals, customers, plain;
SELECT count(*) AS rules_left FROM followup_rule;
SELECT count(*) > 0 AS tasks_kept FROM task;

DELETE FROM task;
DELETE FROM outbox_event;
DELETE FROM activity;
DELETE FROM business_calendar;
RESET search_path;
DROP SCHEMA auto_tasks CASCADE;
