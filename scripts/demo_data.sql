-- demo_data.sql: a generated, deterministic CRM demo data set for crm_sales.
--
-- Run by scripts/demo.sh in a fresh database where CREATE EXTENSION crm_sales
-- has just run.  Everything happens in this one psql session: setseed() is
-- called once and every later random() draw is taken in a fixed order (rows
-- sorted by id, materialized before use), so two runs give the same data.
-- Every time in it is simulated (no now()), so the report does not depend on
-- the day it runs.
--
-- The story: eighteen months of a sales team, week by week, from Monday
-- 2024-07-01 to Sunday 2025-12-28.
--   * 3,000 customers signed up between mid-2022 and mid-2024, as prospect
--     or new (crm_sales.lifecycle_stage);
--   * every week about 64 new deals arrive in lead_generation, and every
--     open deal moves on (or not) with weekly odds per stage
--     (demo.weekly_odds), so deals spend weeks in a stage and close after a
--     few months; some are lost, a few lost deals are reopened;
--   * July to December 2024 were kept in the team's old CRM: those moves
--     are exported (demo.legacy_moves) and brought in on 2025-01-01 with
--     crm_sales.import_history(), which checks them against the model;
--   * from January 2025 the deals live in PostgreSQL: every move is an
--     ordinary UPDATE checked by the crm_sales.enforce_stages() triggers and
--     recorded with its real date, given in the row's moved_at column (the
--     reps log their week's moves back-dated to the day they happened);
--   * every four weeks the customers follow their deals (a prospect with a
--     won deal becomes new, two won deals make a customer loyal, some churn,
--     a few are won back), dated the same way;
--   * along the way users try moves the models forbid, one row at a time;
--     each refusal is caught and logged in demo.refused.

\set ON_ERROR_STOP on
SET client_min_messages = warning;

SELECT setseed(0.20240615);

-- Closing a deal won from negotiation requires its amount (a shipped model
-- change, made here in the demo database only).
SELECT crm_sales.require_columns('crm_sales.sales_stage', 'negotiation', 'closed_won', '{amount}');

CREATE SCHEMA demo;

CREATE TABLE demo.customers (
	id			bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	name		text NOT NULL,
	region		text NOT NULL,
	lifecycle	crm_sales.lifecycle_stage NOT NULL,
	lifecycle_at timestamptz NOT NULL		-- when it entered its lifecycle stage
);
SELECT crm_sales.enforce_stages('demo.customers', 'lifecycle', 'id', 'lifecycle_at');

CREATE TABLE demo.deals (
	id			bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	customer_id bigint NOT NULL REFERENCES demo.customers,
	owner		text NOT NULL,
	region		text NOT NULL,
	amount		numeric CHECK (amount > 0),
	created_at	timestamptz NOT NULL,
	expected_close date NOT NULL,
	stage		crm_sales.sales_stage NOT NULL,
	moved_at	timestamptz NOT NULL		-- when it entered its stage
);
CREATE INDEX deals_customer ON demo.deals (customer_id);
SELECT crm_sales.enforce_stages('demo.deals', 'stage', 'id', 'moved_at');

-- Every attempted move the models refused.
CREATE TABLE demo.refused (
	id			bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	table_name	text NOT NULL,
	entity_id	bigint,			-- NULL: a refused INSERT
	attempted	text NOT NULL,	-- e.g. 'closed_won -> proposal'
	sqlstate	text NOT NULL,
	message		text NOT NULL,
	detail		text
);

-- The moves of the old CRM, as its export gives them.
CREATE TABLE demo.legacy_moves (
	deal_id		bigint NOT NULL,
	from_stage	text,			-- NULL: created
	to_stage	text NOT NULL,
	moved_at	timestamptz NOT NULL,
	moved_by	text NOT NULL
);

-- Sales reps by region.
CREATE TABLE demo.sales_reps (
	region		text NOT NULL,
	owner		text NOT NULL,
	PRIMARY KEY (region, owner)
);
INSERT INTO demo.sales_reps VALUES
	('Greater China', 'Li Wei'), ('Greater China', 'Wang Fang'), ('Greater China', 'Zhang Min'),
	('APAC', 'Priya Nair'), ('APAC', 'Kenji Sato'),
	('Europe', 'Anna Schmidt'), ('Europe', 'Luca Rossi'), ('Europe', 'Sophie Martin'),
	('North America', 'Emily Johnson'), ('North America', 'Michael Brown'),
	('LATAM', 'Carlos Silva');

-- The odds that an open deal makes a given move in one week (the rest stays
-- where it is): about a quarter of the deals in a stage move on each week,
-- so a visit lasts three weeks on average and a won deal takes about four
-- months from lead to signature.
CREATE TABLE demo.weekly_odds (
	from_stage	crm_sales.sales_stage NOT NULL,
	to_stage	crm_sales.sales_stage NOT NULL,
	p			numeric NOT NULL,
	PRIMARY KEY (from_stage, to_stage)
);
INSERT INTO demo.weekly_odds VALUES
	('lead_generation', 'initial_contact', 0.28),
	('lead_generation', 'needs_analysis',  0.03),
	('lead_generation', 'closed_lost',     0.08),
	('initial_contact', 'needs_analysis',  0.25),
	('initial_contact', 'proposal',        0.03),
	('initial_contact', 'closed_lost',     0.08),
	('needs_analysis',  'proposal',        0.22),
	('needs_analysis',  'negotiation',     0.03),
	('needs_analysis',  'closed_lost',     0.08),
	('proposal',        'negotiation',     0.20),
	('proposal',        'closed_won',      0.03),
	('proposal',        'closed_lost',     0.08),
	('negotiation',     'closed_won',      0.22),
	('negotiation',     'closed_lost',     0.08),
	('closed_lost',     'lead_generation', 0.004);	-- reopened

--------------------------------------------------------------------------
-- Customers
--------------------------------------------------------------------------

WITH draw AS MATERIALIZED (
	SELECT g, random() AS r_region, random() AS r_life,
		   random() AS r1, random() AS r2, random() AS r3, random() AS r4, random() AS r_since
	  FROM generate_series(1, 3000) g
)
INSERT INTO demo.customers (name, region, lifecycle, lifecycle_at)
SELECT (ARRAY['Blue', 'Golden', 'Silver', 'Red', 'Green', 'North', 'East', 'Pacific',
			  'Summit', 'Harbor', 'Jade', 'Pearl', 'Lotus', 'Maple', 'Cedar', 'Bright'])
		   [1 + floor(r1 * 16)::int] || ' ' ||
	   (ARRAY['River', 'Dragon', 'Peak', 'Bridge', 'Star', 'Valley', 'Lake', 'Crane',
			  'Phoenix', 'Stone', 'Bay', 'Cloud'])[1 + floor(r2 * 12)::int] || ' ' ||
	   (ARRAY['Logistics', 'Foods', 'Retail', 'Health', 'Software', 'Energy', 'Textiles',
			  'Motors', 'Pharma', 'Media', 'Finance', 'Telecom'])[1 + floor(r3 * 12)::int] || ' ' ||
	   (ARRAY['Ltd', 'GmbH', 'Inc', 'Co., Ltd.', 'S.A.', 'Pty Ltd'])[1 + floor(r4 * 6)::int],
	   CASE WHEN r_region < 0.30 THEN 'Greater China'
			WHEN r_region < 0.50 THEN 'APAC'
			WHEN r_region < 0.75 THEN 'Europe'
			WHEN r_region < 0.95 THEN 'North America'
			ELSE 'LATAM' END,
	   CASE WHEN r_life < 0.65 THEN 'prospect' ELSE 'new' END::crm_sales.lifecycle_stage,
	   timestamptz '2022-07-01 09:00+00' + floor(r_since * 730) * interval '1 day'
  FROM draw
 ORDER BY g;

--------------------------------------------------------------------------
-- Procedures
--------------------------------------------------------------------------

-- Run one statement that the models should refuse; log the refusal.  An
-- illegal move that gets accepted stops the demo.
CREATE FUNCTION demo.attempt(p_table text, p_entity bigint, p_attempted text, p_sql text)
RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
	st text;
	msg text;
	det text;
BEGIN
	BEGIN
		EXECUTE p_sql;
	EXCEPTION WHEN check_violation OR not_null_violation THEN
		GET STACKED DIAGNOSTICS st = RETURNED_SQLSTATE, msg = MESSAGE_TEXT,
								det = PG_EXCEPTION_DETAIL;
		INSERT INTO demo.refused (table_name, entity_id, attempted, sqlstate, message, detail)
			VALUES (p_table, p_entity, p_attempted, st, msg, det);
		RETURN;
	END;
	RAISE EXCEPTION 'demo: an illegal move was accepted: % %: %', p_table, p_entity, p_attempted
		USING DETAIL = p_sql;
END $$;

-- The week's new deals, created in lead_generation on working days; more
-- in spring and autumn than in summer and at the turn of the year.  A few
-- reps first try to enter their deal straight in negotiation (copied from a
-- spreadsheet; live weeks only).
CREATE PROCEDURE demo.new_deals(p_week integer, p_monday timestamptz, p_live boolean)
LANGUAGE plpgsql AS $$
DECLARE
	rec record;
	first_id bigint := (SELECT coalesce(max(id), 0) + 1 FROM demo.deals);
	n integer := round(64 + 16 * sin(2 * pi() * (p_week - 5) / 26.0) + 16 * (random() - 0.5));
BEGIN
	WITH draw AS MATERIALIZED (
		SELECT g, random() AS r_cust, random() AS r_owner, random() AS r_has_amount,
			   random() AS r_amount, random() AS r_close, random() AS r_day, random() AS r_hour
		  FROM generate_series(1, n) g
	), made AS MATERIALIZED (
		SELECT w.*, p_monday + floor(w.r_day * 5) * interval '1 day'
					+ (8 + floor(w.r_hour * 10)) * interval '1 hour' AS at
		  FROM draw w
	)
	INSERT INTO demo.deals (customer_id, owner, region, amount, created_at, expected_close,
							stage, moved_at)
	SELECT c.id, r.reps[1 + floor(w.r_owner * cardinality(r.reps))::int], c.region,
		   CASE WHEN w.r_has_amount < 0.55
				THEN round((3000 + 120000 * w.r_amount ^ 3)::numeric, -2) END,
		   w.at, (w.at + (45 + floor(w.r_close * 105)) * interval '1 day')::date,
		   'lead_generation', w.at
	  FROM made w
	  JOIN demo.customers c ON c.id = 1 + floor(3000 * w.r_cust ^ 2)::bigint
	  JOIN (SELECT region, array_agg(owner ORDER BY owner) AS reps
			  FROM demo.sales_reps GROUP BY region) r ON r.region = c.region
	 ORDER BY w.g;

	IF NOT p_live THEN
		INSERT INTO demo.legacy_moves
		SELECT id, NULL, 'lead_generation', created_at, owner
		  FROM demo.deals WHERE id >= first_id ORDER BY id;
		RETURN;
	END IF;
	FOR rec IN SELECT * FROM demo.deals WHERE id >= first_id ORDER BY id LOOP
		IF random() < 0.006 THEN
			PERFORM demo.attempt('deals', NULL, '(new) -> negotiation',
				format('INSERT INTO demo.deals (customer_id, owner, region, amount, created_at, expected_close, stage, moved_at)'
					   ' VALUES (%s, %L, %L, %s, %L, %L, ''negotiation'', %L)',
					   rec.customer_id, rec.owner, rec.region, coalesce(rec.amount, 25000),
					   rec.created_at, rec.expected_close, rec.created_at));
		END IF;
	END LOOP;
END $$;

-- The moves a week brings to the deals that were open when it began, each
-- dated on one of its days: in the old CRM (the export gets them) or live
-- (the triggers check and record them).  A deal gets its amount (the quote)
-- at the latest when it reaches proposal or is won.
CREATE PROCEDURE demo.deal_week(p_monday timestamptz, p_live boolean)
LANGUAGE plpgsql AS $$
BEGIN
	CREATE TEMP TABLE week_moves ON COMMIT DROP AS
	WITH draw AS MATERIALIZED (
		SELECT id, stage, random() AS r, random() AS r_at,
			   round((3000 + 120000 * random() ^ 3)::numeric, -2) AS quote
		  FROM (SELECT id, stage FROM demo.deals
				 WHERE stage <> 'closed_won' AND moved_at < p_monday ORDER BY id) s
	), odds AS (
		SELECT from_stage, to_stage,
			   sum(p) OVER w - p AS lo, sum(p) OVER w AS hi
		  FROM demo.weekly_odds
		WINDOW w AS (PARTITION BY from_stage ORDER BY to_stage)
	)
	SELECT w.id, o.from_stage, o.to_stage, w.quote,
		   p_monday + floor(w.r_at * 7 * 24 * 60) * interval '1 minute' AS at
	  FROM draw w
	  JOIN odds o ON o.from_stage = w.stage AND w.r >= o.lo AND w.r < o.hi;

	IF NOT p_live THEN
		INSERT INTO demo.legacy_moves
		SELECT m.id, m.from_stage, m.to_stage, m.at, d.owner
		  FROM week_moves m JOIN demo.deals d ON d.id = m.id ORDER BY m.id;
	END IF;
	UPDATE demo.deals d
	   SET stage = m.to_stage, moved_at = m.at,
		   amount = CASE WHEN m.to_stage IN ('proposal', 'closed_won')
						 THEN coalesce(d.amount, m.quote) ELSE d.amount END
	  FROM week_moves m
	 WHERE d.id = m.id;
	DROP TABLE week_moves;
END $$;

-- Each row of demo.<p_table> that matches p_where tries, with odds p_odds,
-- an update the models refuse (SET p_set), logged as p_attempted.
CREATE PROCEDURE demo.try_moves(p_table text, p_where text, p_odds float8,
								p_attempted text, p_set text)
LANGUAGE plpgsql AS $$
DECLARE
	rec record;
BEGIN
	FOR rec IN EXECUTE format('SELECT id FROM demo.%I r WHERE %s ORDER BY id', p_table, p_where) LOOP
		IF random() < p_odds THEN
			PERFORM demo.attempt(p_table, rec.id, p_attempted,
				format('UPDATE demo.%I SET %s WHERE id = %s', p_table, p_set, rec.id));
		END IF;
	END LOOP;
END $$;

-- Every four live weeks, the moves the models refuse, tried one at a time.
CREATE PROCEDURE demo.illegal_tries(p_round integer)
LANGUAGE plpgsql AS $$
BEGIN
	-- Reps try to close won a deal that has no amount yet.
	CALL demo.try_moves('deals', 'stage = ''negotiation'' AND amount IS NULL', 0.3,
						'negotiation -> closed_won', 'stage = ''closed_won''');
	-- A rep reopens a won deal for an upsell by moving it back to proposal.
	IF p_round % 3 = 0 THEN
		CALL demo.try_moves('deals', 'stage = ''closed_won''', 0.01,
							'closed_won -> proposal', 'stage = ''proposal''');
	END IF;
	-- A rep revives a lost deal straight into negotiation.
	CALL demo.try_moves('deals', 'stage = ''closed_lost''', 0.002,
						'closed_lost -> negotiation', 'stage = ''negotiation''');
	-- A data clean-up job tries to blank the stage of stale leads.
	IF p_round = 6 THEN
		CALL demo.try_moves('deals', 'stage = ''lead_generation''', 0.1,
							'lead_generation -> NULL', 'stage = NULL');
	END IF;
	-- Marketing flags prospects with a deal in negotiation as loyal.
	CALL demo.try_moves('customers',
						'lifecycle = ''prospect'' AND EXISTS (SELECT 1 FROM demo.deals d'
						' WHERE d.customer_id = r.id AND d.stage = ''negotiation'')',
						0.05, 'prospect -> loyal', 'lifecycle = ''loyal''');
	-- Win-back campaigns try to restore churned customers straight to loyal.
	CALL demo.try_moves('customers', 'lifecycle = ''churned''', 0.05,
						'churned -> loyal', 'lifecycle = ''loyal''');
END $$;

-- Every four live weeks, the customers follow their deals; the changes are
-- dated on the Friday of the week, a few minutes apart (a customer may take
-- two steps in one round).
CREATE PROCEDURE demo.customer_round(p_friday timestamptz)
LANGUAGE plpgsql AS $$
BEGIN
	-- A prospect with a won deal becomes a new customer.
	UPDATE demo.customers cu SET lifecycle = 'new', lifecycle_at = p_friday
	 WHERE lifecycle = 'prospect'
	   AND EXISTS (SELECT 1 FROM demo.deals d
				   WHERE d.customer_id = cu.id AND d.stage = 'closed_won');
	-- A new customer with two won deals becomes loyal (won-back customers
	-- have to earn it again later, not in this demo).
	UPDATE demo.customers cu SET lifecycle = 'loyal', lifecycle_at = p_friday + interval '5 minutes'
	 WHERE lifecycle = 'new'
	   AND (SELECT count(*) FROM demo.deals d
			 WHERE d.customer_id = cu.id AND d.stage = 'closed_won') >= 2
	   AND NOT EXISTS (SELECT 1 FROM crm_sales.stage_history h
					   WHERE h.table_name = 'demo.customers'::regclass
						 AND h.entity_id = cu.id::text AND h.to_stage = 'churned');
	-- Customers with nothing open churn now and then; a few come back.
	WITH draw AS MATERIALIZED (
		SELECT id, lifecycle, random() AS r
		  FROM (SELECT id, lifecycle FROM demo.customers
				 WHERE lifecycle IN ('new', 'loyal', 'churned') ORDER BY id) s
	)
	UPDATE demo.customers cu
	   SET lifecycle = CASE w.lifecycle WHEN 'churned' THEN 'new' ELSE 'churned' END::crm_sales.lifecycle_stage,
		   lifecycle_at = p_friday + interval '10 minutes'
	  FROM draw w
	 WHERE cu.id = w.id
	   AND CASE w.lifecycle
			   WHEN 'churned' THEN w.r < 0.06
			   WHEN 'loyal' THEN w.r < 0.01
			   ELSE w.r < 0.025 END
	   AND NOT EXISTS (SELECT 1 FROM demo.deals d
					   WHERE d.customer_id = cu.id
						 AND crm_sales.stage_category(d.stage) = 'open');
END $$;

-- Weeks first to last (0 = the week of Monday 2024-07-01), in the old CRM
-- or live.
CREATE PROCEDURE demo.run_weeks(p_first integer, p_last integer, p_live boolean)
LANGUAGE plpgsql AS $$
DECLARE
	monday timestamptz;
BEGIN
	FOR week IN p_first .. p_last LOOP
		monday := timestamptz '2024-07-01 00:00+00' + week * interval '7 days';
		CALL demo.deal_week(monday, p_live);
		CALL demo.new_deals(week, monday, p_live);
		IF p_live AND week % 4 = 3 THEN
			CALL demo.illegal_tries(week / 4);
			CALL demo.customer_round(monday + interval '4 days 17 hours');
		END IF;
	END LOOP;
END $$;

--------------------------------------------------------------------------
-- The story
--------------------------------------------------------------------------

-- July to December 2024 in the old CRM: the rows change without the
-- triggers (enforcement off, a superuser's switch), the moves go to the
-- export.
SET crm_sales.enforce_transitions = off;
CALL demo.run_weeks(0, 25, false);
RESET crm_sales.enforce_transitions;

-- 2025-01-01, go-live: the old CRM's history comes in, checked against the
-- model entity by entity in time order.
SELECT crm_sales.import_history('crm_sales.sales_stage',
		   array_agg(ROW('demo.deals', deal_id, from_stage, to_stage, moved_at, moved_by)::crm_sales.stage_move
					 ORDER BY deal_id, moved_at))
  FROM demo.legacy_moves;

-- 2025: live, through the triggers.
CALL demo.run_weeks(26, 77, true);

-- A CRM import tries to create a few customers directly as loyal.
DO $$
DECLARE
	i integer;
BEGIN
	FOR i IN 1..5 LOOP
		PERFORM demo.attempt('customers', NULL, '(new) -> loyal',
			format('INSERT INTO demo.customers (name, region, lifecycle, lifecycle_at)'
				   ' VALUES (%L, ''Europe'', ''loyal'', ''2025-12-01 10:00+00'')', 'Imported Account ' || i));
	END LOOP;
END $$;

ANALYZE demo.customers, demo.deals, crm_sales.stage_history;
