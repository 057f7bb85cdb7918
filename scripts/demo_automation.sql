-- demo_automation.sql: sales automation on the demo data (scripts/demo.sh
-- runs it after demo_report.sql).  Follow-up rules are set up, one more
-- round of moves creates tasks in the same transactions, the sweep finds
-- rotting deals and contracts up for renewal, a consumer drains the outbox,
-- and an email campaign is scored.  Time-based steps run "as of" a number
-- of days after the demo's moves, so the output does not depend on the day
-- or the time it runs.

\set ON_ERROR_STOP on
\pset footer off
\pset null '-'
SET client_min_messages = warning;

\echo
\echo '== Sales automation / 销售自动化 =='
-- times are read in China Standard Time, the calendar's zone
SET TimeZone = 'Asia/Shanghai';
\o /dev/null

-- Managers, for escalations: the first rep of each region by name.
ALTER TABLE demo.deals ADD COLUMN manager text;
UPDATE demo.deals d SET manager = (SELECT min(r.owner) FROM demo.sales_reps r
									 WHERE r.region = d.region);

-- A business calendar (Saturday and Sunday off, China Standard Time, the
-- National Day week off), the rules, and the published moves.
SELECT crm_sales.create_calendar('cn', '{6,7}', 'Asia/Shanghai', 'Mainland China');
SELECT crm_sales.add_holiday('cn', d::date, 'National Day 国庆节')
  FROM generate_series(date '2026-10-01', date '2026-10-07', interval '1 day') d;
SELECT crm_sales.add_stage_rule('proposal_follow_up', 'demo.deals', 'proposal',
	'Follow up on the proposal for deal {id} ({amount})', '3 days', 'owner', calendar => 'cn');
SELECT crm_sales.add_stage_rule('send_final_quote', 'demo.deals', 'negotiation',
	'Send the final quote for deal {id}', '2 days', 'owner', calendar => 'cn');
SELECT crm_sales.add_stage_rule('kick_off', 'demo.deals', 'closed_won',
	'Kick-off call for deal {id}', '5 days', 'owner', cancel_on_close => false);
SELECT crm_sales.add_inactivity_rule('proposal_rotting', 'demo.deals', 'proposal', '14 days',
	'Deal {id} has had no activity for 14 days', 'owner', '7 days', 'manager');
SELECT crm_sales.add_inactivity_rule('negotiation_rotting', 'demo.deals', 'negotiation',
	'10 days', 'Deal {id} is stuck in negotiation', 'owner', '5 days', 'manager');
SELECT crm_sales.add_stage_rule('win_back', 'demo.customers', 'churned',
	'Win back {name} (再营销和挽回)', '7 days');
SELECT crm_sales.publish_stage_moves('demo.deals');
\o

\echo
\echo '-- follow-up rules'
SELECT rule, kind, table_name, coalesce(stage, '(open)') AS stage,
	   coalesce(idle::text, due_in::text) AS "after", calendar, title
  FROM crm_sales.followup_rule ORDER BY table_name::text, kind, rule;

-- One more round of moves, through the stage triggers: every rule fires in
-- the transaction of its move.
UPDATE demo.deals SET stage = 'proposal' WHERE stage = 'needs_analysis' AND id % 3 = 0;
UPDATE demo.deals SET stage = 'negotiation' WHERE stage = 'proposal' AND id % 4 = 1;
UPDATE demo.deals SET stage = 'closed_won', amount = coalesce(amount, 20000)
 WHERE stage = 'negotiation' AND id % 5 = 2;
UPDATE demo.customers SET lifecycle = 'churned'
 WHERE lifecycle IN ('new', 'loyal') AND id % 11 = 0;

\echo
\echo '-- tasks created by the moves (open; cancelled when the deal closed)'
SELECT rule, count(*) AS tasks, count(*) FILTER (WHERE status = 'open') AS open,
	   count(*) FILTER (WHERE status = 'cancelled') AS cancelled,
	   count(DISTINCT owner) AS owners
  FROM crm_sales.task GROUP BY rule ORDER BY rule;
\echo '-- one rep''s to-do list (first five by due date; due in business days, 工作日)'
SELECT t.title, crm_sales.business_days_between(
		   (k.created_at AT TIME ZONE 'Asia/Shanghai')::date,
		   (t.due_at AT TIME ZONE 'Asia/Shanghai')::date, 'cn') AS "business days"
  FROM crm_sales.open_tasks t JOIN crm_sales.task k ON k.id = t.task_id
 WHERE t.owner = 'Li Wei' ORDER BY t.due_at, t.task_id LIMIT 5;
\echo '-- the calendar skips the National Day week: 30 Sep + 1 business day'
SELECT crm_sales.add_business_days('2026-09-30', 1, 'cn') AS "next business day";

-- Calls logged on some deals ten days later reset their idle clocks.
SELECT count(crm_sales.log_activity('demo.deals', d.id::text, 'call', 'Checked in',
									d.owner, now() + interval '10 days')) AS "calls logged"
  FROM demo.deals d WHERE d.stage IN ('proposal', 'negotiation') AND d.id % 4 = 0;

\echo
\echo '-- the sweep, 20 days after the moves: rotting deals get reminders'
SELECT step, rows FROM crm_sales.run_sweep(now() + interval '20 days')
 WHERE step IN ('reminders', 'escalations', 'date_tasks', 'tasks_due');
\echo '-- ... and 30 days after: what is still untouched is escalated to the manager'
SELECT step, rows FROM crm_sales.run_sweep(now() + interval '30 days')
 WHERE step IN ('reminders', 'escalations');
\echo '-- rotting deals by stage, 30 days after the moves'
SELECT k.stage, count(*) AS deals, round(avg(extract(epoch FROM (now() + interval '30 days')
											 - k.last_touch) / 86400)) AS "days idle",
	   count(*) FILTER (WHERE EXISTS (SELECT 1 FROM crm_sales.task t
									   WHERE t.entity_id = k.entity_id AND t.kind = 'escalation'))
	   AS escalated
  FROM crm_sales.entity_touch k
  JOIN crm_sales.followup_rule r ON r.kind = 'inactivity' AND r.table_name = k.table_name
   AND r.stage = k.stage
 WHERE k.last_touch < now() + interval '30 days' - r.idle
 GROUP BY k.stage ORDER BY k.stage;
\echo '-- escalations per manager'
SELECT owner AS manager, count(*) AS escalations FROM crm_sales.task
 WHERE kind = 'escalation' GROUP BY owner ORDER BY count(*) DESC, owner LIMIT 5;

\echo
\echo '-- the outbox drained by a consumer (claim 500, acknowledge, repeat)'
CREATE TEMP TABLE drained (kind text, n bigint);
DO $$
DECLARE
	ids bigint[];
BEGIN
	LOOP
		WITH c AS (SELECT * FROM crm_sales.claim_events('demo-mailer', 500, '5 minutes'))
		SELECT array_agg(id) INTO ids FROM c;
		EXIT WHEN ids IS NULL;
		INSERT INTO drained SELECT e.kind, count(*) FROM crm_sales.outbox_event e
		 WHERE e.id = ANY (ids) GROUP BY e.kind;
		PERFORM crm_sales.ack_events('demo-mailer', ids);
	END LOOP;
END $$;
SELECT kind, sum(n) AS events FROM drained GROUP BY kind ORDER BY kind;
SELECT count(*) AS "events acknowledged", count(*) FILTER (WHERE deliveries > 1) AS redelivered,
	   (SELECT count(*) FROM crm_sales.claim_events('demo-mailer', 500, '5 minutes')) AS "left"
  FROM crm_sales.outbox_event WHERE acked_at IS NOT NULL;

\echo
\echo '-- an email campaign: engagement per campaign (邮件营销)'
-- Two campaigns to the customers of Greater China and APAC; who opens and
-- clicks follows from the customer id, so the figures are fixed.
INSERT INTO crm_sales.email_event (campaign, contact, kind, at)
SELECT c.campaign, 'customer ' || cu.id, k.kind,
	   timestamptz '2026-09-01 09:00+08' + c.offset_days * interval '1 day' + k.after
  FROM (VALUES ('autumn_launch', 0), ('year_end_offer', 60)) c(campaign, offset_days)
  JOIN demo.customers cu ON cu.region IN ('Greater China', 'APAC')
 CROSS JOIN LATERAL (VALUES
		('sent', interval '0', true),
		('bounced', interval '1 minute', cu.id % 41 = 0),
		('delivered', interval '1 minute', cu.id % 41 <> 0),
		('opened', interval '3 hours', cu.id % 41 <> 0 AND (cu.id + c.offset_days) % 3 = 0),
		('opened', interval '2 days', cu.id % 41 <> 0 AND (cu.id + c.offset_days) % 9 = 0),
		('clicked', interval '4 hours', cu.id % 41 <> 0 AND (cu.id + c.offset_days) % 7 = 0),
		('unsubscribed', interval '5 hours', cu.id % 97 = 0)) k(kind, after, happens)
 WHERE k.happens;
SELECT campaign, recipients, sent, unique_opens, unique_clicks,
	   round(100 * open_rate::numeric, 1) AS "open %", round(100 * click_rate::numeric, 1) AS "click %",
	   round(100 * click_to_open_rate::numeric, 1) AS "CTOR %",
	   round(100 * bounce_rate::numeric, 1) AS "bounce %",
	   round(100 * unsubscribe_rate::numeric, 1) AS "unsub %"
  FROM crm_sales.email_campaign_engagement ORDER BY campaign;
\echo '-- the most engaged contacts as of 15 Nov 2026 (half-life 14 days), and their lead score'
INSERT INTO crm_sales.lead_score_rule_set VALUES ('demo_engaged', 'email engagement');
INSERT INTO crm_sales.lead_score_rule (rule_set, rule_id, attribute, operator, value, points, effect)
VALUES ('demo_engaged', 1, '{email,score}', '>=', '0.5', 20, 'positive'),
	   ('demo_engaged', 2, '{email,clicks}', '>', '0', 10, 'positive'),
	   ('demo_engaged', 3, '{email,unsubscribed}', '=', 'true', 50, 'negative');
SELECT e.contact, round(crm_sales.email_engagement_score(e.e)::numeric, 3) AS "engagement",
	   crm_sales.lead_score('demo_engaged',
		   crm_sales.email_engagement_attributes(e.contact, '2026-11-15 00:00+08', '14 days'))
	   AS "lead score"
  FROM (SELECT contact, crm_sales.email_engagement(kind, at, '2026-11-15 00:00+08', '14 days') AS e
		  FROM crm_sales.email_event GROUP BY contact) e
 ORDER BY crm_sales.email_engagement_score(e.e) DESC, e.contact LIMIT 5;

\echo
\echo '-- contracts (合同管理), as of 1 July 2026: renewals due and the renewal rate'
-- One contract per won deal, its term ending between March 2026 and June 2027.
CREATE TABLE demo.contracts (
	id			bigint PRIMARY KEY,
	deal_id		bigint NOT NULL REFERENCES demo.deals,
	owner		text,
	value		numeric,
	end_date	date NOT NULL,
	status		crm_sales.contract_status NOT NULL DEFAULT 'draft'
);
CREATE TRIGGER contracts_status BEFORE INSERT OR UPDATE OF status ON demo.contracts
	FOR EACH ROW EXECUTE FUNCTION crm_sales.enforce_transition('status', 'id');
INSERT INTO demo.contracts (id, deal_id, owner, value, end_date)
SELECT row_number() OVER (ORDER BY d.id), d.id, d.owner, d.amount,
	   date '2026-03-01' + (d.id * 37 % 480)::int
  FROM demo.deals d WHERE d.stage = 'closed_won';
UPDATE demo.contracts SET status = 'pending_approval';
UPDATE demo.contracts SET status = 'signed';
UPDATE demo.contracts SET status = 'active';
\o /dev/null
SELECT crm_sales.register_contracts('demo.contracts', 'end_date', 'value', 'owner');
SELECT crm_sales.add_date_rule('renewal', 'demo.contracts', 'end_date', '-60 days',
	'Renew contract {id} ({value}) ending {end_date}', 'owner', stage => 'active');
\o
-- a third of the contracts that ended by then were renewed in time
UPDATE demo.contracts SET status = 'renewed' WHERE end_date < '2026-07-01' AND id % 3 = 0;
SELECT step, rows FROM crm_sales.run_sweep('2026-07-01 00:00+08')
 WHERE step IN ('contracts_expired', 'date_tasks');
SELECT status, count(*) AS contracts, round(sum(value)) AS value
  FROM demo.contracts GROUP BY status ORDER BY status;
\echo '-- up for renewal in the next 30 days'
SELECT contract_id, days_left AS "days left", round(value) AS value, owner
  FROM crm_sales.renewals_due(30, '2026-07-01') ORDER BY end_date, contract_id LIMIT 8;
\echo '-- renewal rate by quarter of the end date'
SELECT to_char(period_start, 'YYYY-"Q"Q') AS quarter, due, renewed, expired,
	   still_active AS active, round(100 * renewal_rate::numeric, 1) AS "renewal %"
  FROM crm_sales.renewal_rate('demo.contracts', '2026-01-01', '2026-06-30', 'quarter');
