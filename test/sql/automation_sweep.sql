-- The sweep: rotting reminders and escalations (idle clocks), date rules,
-- contracts expired through the stage trigger, renewal reports, snoozed and
-- due tasks.  run_sweep(as_of) is run at chosen times after the moves, so
-- every expected task follows from the rules and the times written here.
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS crm_sales;
RESET client_min_messages;
\set SHOW_CONTEXT never
-- its own schema: other tests leave tables named deals in public
CREATE SCHEMA auto_sweep;
SET search_path = auto_sweep, public, crm_sales;
SET TimeZone = 'UTC';
ALTER SEQUENCE task_id_seq RESTART;

CREATE TABLE deals (
	id		int PRIMARY KEY,
	name	text NOT NULL,
	owner	text,
	manager text,
	expected_close date,
	stage	sales_stage NOT NULL DEFAULT 'lead_generation'
);
CREATE TRIGGER deals_stage BEFORE INSERT OR UPDATE OF stage ON deals
	FOR EACH ROW EXECUTE FUNCTION enforce_transition('stage', 'id');
INSERT INTO deals VALUES
	(1, 'Acme', 'li', 'zhang', '2026-05-31', 'lead_generation'),
	(2, 'Globex', 'wang', 'zhang', '2026-06-20', 'lead_generation'),
	(3, 'Initech', 'li', 'chen', '2026-06-01', 'lead_generation'),
	(4, 'Umbrella', 'wang', 'chen', NULL, 'lead_generation');
UPDATE deals SET stage = 'proposal' WHERE id IN (1, 2, 3);

-- Rotting: 14 days untouched in proposal -> reminder to the owner; 7 more
-- days -> escalation to the manager.  Adding the rule builds the idle
-- clocks of the table's rows from the history and the activities (a note
-- on Umbrella, logged before the rule existed, is its last touch).
SELECT log_activity('deals', '4', 'note', occurred_at => '2100-01-01 00:00+00') > 0 AS noted;
SELECT add_inactivity_rule('proposal_rotting', 'deals', 'proposal', '14 days',
						   '{name} has had no activity', 'owner', '7 days', 'manager');
SELECT entity_id, stage, entered_at = last_touch AS untouched,
	   entered_at = (SELECT max(changed_at) FROM stage_history h
					  WHERE h.table_name = 'deals'::regclass AND h.entity_id = k.entity_id)
	   AS entered_at_move, last_touch = '2100-01-01 00:00+00' AS noted_touch
  FROM entity_touch k ORDER BY entity_id;
-- set back to its move, for what follows
UPDATE entity_touch SET last_touch = entered_at WHERE entity_id = '4';
DELETE FROM activity WHERE entity_id = '4';
-- an activity 10 days after the move resets Globex's clock
SELECT log_activity('deals', '2', 'call', occurred_at => now() + interval '10 days') > 0 AS logged;
SELECT entity_id, last_touch > entered_at AS touched FROM entity_touch ORDER BY entity_id;

-- Day 13: nothing rots yet.  Day 15: Acme and Initech (idle 15 > 14 days);
-- Globex has been idle 5 days.
SELECT * FROM run_sweep(now() + interval '13 days');
SELECT * FROM run_sweep(now() + interval '15 days');
SELECT rule, kind, entity_id, owner, title, stage FROM task ORDER BY id;
-- the anchor is the touch the idle time counts from
SELECT bool_and(t.anchor = k.last_touch) AS anchored FROM task t
  JOIN entity_touch k ON k.entity_id = t.entity_id;
-- the same sweep again creates nothing
SELECT * FROM run_sweep(now() + interval '15 days') WHERE step IN ('reminders', 'escalations');
-- Initech moves on: it no longer rots in proposal (its reminder stays open)
UPDATE deals SET stage = 'negotiation' WHERE id = 3;
-- Day 22: Acme idle 22 > 21 days -> escalation to its manager
SELECT * FROM run_sweep(now() + interval '22 days') WHERE step IN ('reminders', 'escalations');
-- Day 25: Globex idle 15 days since the call -> its reminder
SELECT * FROM run_sweep(now() + interval '25 days') WHERE step IN ('reminders', 'escalations');
SELECT rule, kind, entity_id, owner, title FROM task ORDER BY id;
SELECT kind, entity_id, payload->>'owner' AS owner, payload->>'task_kind' AS task_kind
  FROM outbox_event ORDER BY id;
SELECT entity_id, stage FROM idle_entities('deals', now() + interval '20 days');
-- a new stage visit restarts the clock: back to proposal via closed_lost
UPDATE deals SET stage = 'closed_lost' WHERE id = 3;
UPDATE deals SET stage = 'lead_generation' WHERE id = 3;
UPDATE deals SET stage = 'proposal' WHERE id = 3;
SELECT * FROM run_sweep(now() + interval '15 days') WHERE step = 'reminders';
SELECT count(*) AS initech_reminders FROM task WHERE entity_id = '3' AND kind = 'reminder';

-- The rotting view (calendar days, as of now): an idle time of one
-- microsecond makes Initech rot at once.
SELECT add_inactivity_rule('proposal_instant', 'deals', 'proposal', '1 microsecond', 'x');
SELECT pg_sleep(0.01);
SELECT entity_id, stage, rule, days_idle, rotting_after FROM rotting ORDER BY rule, entity_id;
SELECT drop_rule('proposal_instant');

-- Business days: idle once 3 whole business days (Saturday and Sunday off)
-- lie between the day of the last touch and the day of the sweep.
-- Umbrella's clock is set to Wednesday 30 Sep 2026 10:00 to play it:
-- Thursday, Friday and Monday must pass, so it rots on Tuesday 6 Oct.
SELECT create_calendar('sweep_cal');
UPDATE deals SET stage = 'initial_contact' WHERE id = 4;
SELECT add_inactivity_rule('contact_rotting', 'deals', 'initial_contact', '3 days',
						   'Call {name}', 'owner', calendar => 'sweep_cal');
UPDATE entity_touch SET entered_at = '2026-09-30 10:00+00', last_touch = '2026-09-30 10:00+00'
 WHERE entity_id = '4';
-- Saturday 3 Oct: only Thu and Fri have passed; Monday 5 Oct 23:59: Monday
-- is not over -> nothing
SELECT * FROM run_sweep('2026-10-03 10:01+00') WHERE step = 'reminders';
SELECT * FROM run_sweep('2026-10-05 23:59+00') WHERE step = 'reminders';
-- Tuesday 6 Oct 00:00: rotting
SELECT * FROM run_sweep('2026-10-06 00:00+00') WHERE step = 'reminders';
-- the cutoffs themselves: the start of the 3rd business day before
SELECT _idle_cutoff('2026-10-06 08:00+00', '3 days', 'sweep_cal') AS tue,
	   _idle_cutoff('2026-10-05 08:00+00', '3 days', 'sweep_cal') AS mon,
	   _idle_cutoff('2026-10-05 08:00+00', '3 days 2 hours', 'sweep_cal') AS mon_2h,
	   _idle_cutoff('2026-10-05 08:00+00', '3 days', NULL) AS no_calendar;
SELECT entity_id, owner, title, due_at, anchor FROM task WHERE rule = 'contact_rotting';

-- Date rules: expected close passed (1 day after it) while still open.
SELECT add_date_rule('past_close', 'deals', 'expected_close', '1 day',
					 '{name} should have closed on {expected_close}', 'owner', due_in => '2 days');
-- as of 2026-06-02 00:00: Acme (31 May) and Initech (1 Jun) qualify;
-- Globex (20 Jun) not yet, Umbrella has no date
SELECT * FROM run_sweep('2026-06-02 00:00+00') WHERE step = 'date_tasks';
SELECT entity_id, owner, title, anchor, due_at FROM task WHERE rule = 'past_close' ORDER BY id;
-- the sweep's titles are what render_template makes of the row
SELECT count(*) AS tasks, count(*) FILTER (WHERE t.title = render_template(r.title, d)) AS same_title
  FROM task t JOIN followup_rule r USING (rule) JOIN deals d ON d.id::text = t.entity_id;
SELECT * FROM run_sweep('2026-06-02 00:00+00') WHERE step = 'date_tasks';
-- a new expected close is a new date: a new task once it passes too
UPDATE deals SET expected_close = '2026-06-10' WHERE id = 1;
SELECT * FROM run_sweep('2026-06-12 00:00+00') WHERE step = 'date_tasks';
-- closed deals are left alone (no open stage)
UPDATE deals SET stage = 'closed_lost' WHERE id = 2;
SELECT * FROM run_sweep('2026-07-01 00:00+00') WHERE step = 'date_tasks';
SELECT entity_id, anchor::date FROM task WHERE rule = 'past_close' ORDER BY id;

-- Due tasks: one task_due event each, once; snoozed tasks wake up.
DELETE FROM outbox_event;
SELECT count(*) AS not_yet_notified FROM task
 WHERE status = 'open' AND due_at <= '2100-01-01' AND due_notified_at IS NULL;
SELECT * FROM run_sweep('2100-01-01') WHERE step IN ('tasks_woken', 'tasks_due');
SELECT * FROM run_sweep('2100-01-01') WHERE step IN ('tasks_woken', 'tasks_due');
SELECT count(*) AS due_events, count(DISTINCT payload->>'task_id') AS distinct_tasks
  FROM outbox_event WHERE kind = 'task_due';
SELECT id AS snoozed FROM task WHERE rule = 'past_close' ORDER BY id LIMIT 1 \gset
SELECT snooze_task(:snoozed, '2100-06-01');
SELECT * FROM run_sweep('2100-05-01') WHERE step IN ('tasks_woken', 'tasks_due');
SELECT * FROM run_sweep('2100-06-01') WHERE step IN ('tasks_woken', 'tasks_due');
SELECT status, due_notified_at IS NOT NULL AS notified FROM task WHERE id = :snoozed;

-- Contracts (the shipped contract_status model).
CREATE TABLE contracts (
	id		int PRIMARY KEY,
	customer text NOT NULL,
	owner	text,
	value	numeric(12, 2),
	end_date date NOT NULL,
	status	contract_status NOT NULL DEFAULT 'draft'
);
CREATE TRIGGER contracts_status BEFORE INSERT OR UPDATE OF status ON contracts
	FOR EACH ROW EXECUTE FUNCTION enforce_transition('status', 'id');
INSERT INTO contracts (id, customer, owner, value, end_date) VALUES
	(1, 'Acme', 'li', 12000, '2026-03-31'),
	(2, 'Globex', 'wang', 8000, '2026-04-15'),
	(3, 'Initech', 'li', 5000, '2026-04-30'),
	(4, 'Hooli', 'wang', 30000, '2026-06-30'),
	(5, 'Umbrella', 'li', 1000, '2026-07-31'),
	(6, 'Draft Co', 'li', 99, '2026-01-31');
UPDATE contracts SET status = 'pending_approval' WHERE id <= 5;
UPDATE contracts SET status = 'signed' WHERE id <= 5;
UPDATE contracts SET status = 'active' WHERE id <= 5;
SELECT register_contracts('contracts', 'end_date', 'value', 'owner');
SELECT * FROM contract_table;
-- renewal reminder 60 days before the end; a task when a contract expires
SELECT add_date_rule('renewal', 'contracts', 'end_date', '-60 days',
					 'Renew {customer} ({value}) ending {end_date}', 'owner', stage => 'active');
SELECT add_stage_rule('expired_call', 'contracts', 'expired', 'Contract of {customer} expired',
					  '1 day', 'owner');
-- renewals due within 90 days of 1 Mar 2026: Acme (30 days), Globex (45), Initech (60)
SELECT contract_id, end_date, days_left, value, owner FROM renewals_due(90, '2026-03-01');
SELECT contract_id FROM renewals_due(0, '2026-03-31');
-- Acme renews before its end; Globex renews after expiring
UPDATE contracts SET status = 'renewed' WHERE id = 1;
-- sweep of 20 Apr 2026: Globex (15 Apr) expires through the trigger, before
-- the date rules run (so, with no sweep since its reminder date 14 Feb, it
-- gets none); renewal task for Initech (30 Apr - 60 days = 1 Mar), not yet
-- for Hooli (30 Jun - 60 days = 1 May)
SELECT * FROM run_sweep('2026-04-20 00:00+00')
 WHERE step IN ('contracts_expired', 'date_tasks');
SELECT id, status FROM contracts ORDER BY id;
SELECT entity_id, from_stage, to_stage FROM stage_history
 WHERE table_name = 'contracts'::regclass AND to_stage = 'expired';
SELECT rule, entity_id, owner, title FROM task WHERE table_name = 'contracts'::regclass ORDER BY id;
UPDATE contracts SET status = 'renewed' WHERE id = 2;
-- sweep of 1 Aug 2026: Initech, Hooli and Umbrella expire
SELECT * FROM run_sweep('2026-08-01 00:00+00') WHERE step = 'contracts_expired';
SELECT * FROM run_sweep('2026-08-01 00:00+00') WHERE step = 'contracts_expired';
UPDATE contracts SET status = 'renewed' WHERE id = 4;
-- Renewal rate by end month: March 1 due / 1 renewed (Acme); April 2 due
-- (Globex renewed late, Initech expired): 1/2; June: Hooli renewed 1/1;
-- July: Umbrella expired 0/1.  The draft never became due.
SELECT * FROM renewal_rate('contracts', '2026-01-01', '2026-12-31');
SELECT * FROM renewal_rate('contracts', '2026-01-01', '2026-12-31', 'quarter');
-- the same by plain SQL over the table and its history
SELECT date_trunc('quarter', c.end_date)::date AS q, count(*) AS due,
	   count(*) FILTER (WHERE c.id IN (SELECT h.entity_id::int FROM stage_history h
										WHERE h.table_name = 'contracts'::regclass
										  AND h.to_stage = 'renewed')) AS renewed
  FROM contracts c WHERE c.status IN ('active', 'expired', 'renewed')
 GROUP BY 1 ORDER BY 1;
-- the view of active contracts (days left from today)
INSERT INTO contracts VALUES (7, 'Future Corp', 'li', 4200, '2099-12-31', 'draft');
UPDATE contracts SET status = 'pending_approval' WHERE id = 7;
UPDATE contracts SET status = 'signed' WHERE id = 7;
UPDATE contracts SET status = 'active' WHERE id = 7;
SELECT table_name, contract_id, status, end_date, days_left = '2099-12-31'::date - current_date AS days_ok,
	   value, owner FROM contract_renewals;
SELECT renewal_rate('deals', '2026-01-01', '2026-12-31');
\echo :LAST_ERROR_SQLSTATE
SELECT renewal_rate('contracts', '2026-01-01', '2026-12-31', 'fortnight');
\echo :LAST_ERROR_SQLSTATE
SELECT renewal_rate('contracts', '2026-12-31', '2026-01-01');
\echo :LAST_ERROR_SQLSTATE
SELECT renewals_due(-1);
\echo :LAST_ERROR_SQLSTATE
SELECT register_contracts('deals');
\echo :LAST_ERROR_SQLSTATE
SELECT register_contracts('contracts', 'customer');
\echo :LAST_ERROR_SQLSTATE
SELECT register_contracts('contracts', 'ends');
\echo :LAST_ERROR_SQLSTATE
SELECT register_contracts('contracts', 'end_date', 'worth');
\echo :LAST_ERROR_SQLSTATE
SELECT run_sweep(NULL);
\echo :LAST_ERROR_SQLSTATE
SELECT run_sweep('infinity');
\echo :LAST_ERROR_SQLSTATE
SELECT idle_entities('contracts', now());
\echo :LAST_ERROR_SQLSTATE

DROP TABLE deals, contracts;
SELECT count(*) AS config_left FROM (SELECT 1 FROM followup_rule UNION ALL
									 SELECT 1 FROM contract_table UNION ALL
									 SELECT 1 FROM entity_touch) x;
DELETE FROM task;
DELETE FROM outbox_event;
DELETE FROM activity;
DELETE FROM business_calendar;
RESET search_path;
DROP SCHEMA auto_sweep CASCADE;
