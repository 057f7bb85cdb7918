-- demo_data.sql: a generated, deterministic CRM demo data set for crm_sales.
--
-- Run by scripts/demo.sh in a fresh database where CREATE EXTENSION crm_sales
-- has just run.  Everything happens in this one psql session: setseed() is
-- called once and every later random() draw is taken in a fixed order (rows
-- sorted by id, materialized before use), so two runs give the same data.
--
-- The story:
--   * 3,000 customers, created as prospect or new (crm_sales.lifecycle_stage);
--   * 5,000 deals, created in lead_generation in five waves of 1,000
--     (crm_sales.sales_stage), moved forward in seven rounds with per-stage
--     conversion odds (demo.funnel_odds): some skip ahead, some are lost,
--     a few lost deals are reopened;
--   * after each round the customers follow: a prospect with a won deal
--     becomes new, a new customer with two won deals becomes loyal, some
--     customers churn and a few are won back;
--   * all of it through ordinary INSERTs and UPDATEs, so the
--     crm_sales.enforce_transition() triggers check every move and record it
--     in crm_sales.stage_history;
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
	lifecycle	crm_sales.lifecycle_stage NOT NULL
);
CREATE TRIGGER customers_lifecycle BEFORE INSERT OR UPDATE ON demo.customers
	FOR EACH ROW EXECUTE FUNCTION crm_sales.enforce_transition('lifecycle', 'id');

CREATE TABLE demo.deals (
	id			bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	customer_id bigint NOT NULL REFERENCES demo.customers,
	owner		text NOT NULL,
	region		text NOT NULL,
	amount		numeric CHECK (amount > 0),
	expected_close date NOT NULL,
	stage		crm_sales.sales_stage NOT NULL
);
CREATE INDEX deals_customer ON demo.deals (customer_id);
CREATE TRIGGER deals_stage BEFORE INSERT OR UPDATE ON demo.deals
	FOR EACH ROW EXECUTE FUNCTION crm_sales.enforce_transition('stage', 'id');

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

-- Per-round conversion odds of an open deal (the rest stays where it is).
CREATE TABLE demo.funnel_odds (
	from_stage	crm_sales.sales_stage NOT NULL,
	to_stage	crm_sales.sales_stage NOT NULL,
	p			numeric NOT NULL,
	PRIMARY KEY (from_stage, to_stage)
);
INSERT INTO demo.funnel_odds VALUES
	('lead_generation', 'initial_contact', 0.50),
	('lead_generation', 'needs_analysis',  0.05),
	('lead_generation', 'closed_lost',     0.15),
	('initial_contact', 'needs_analysis',  0.50),
	('initial_contact', 'proposal',        0.05),
	('initial_contact', 'closed_lost',     0.15),
	('needs_analysis',  'proposal',        0.50),
	('needs_analysis',  'negotiation',     0.06),
	('needs_analysis',  'closed_lost',     0.15),
	('proposal',        'negotiation',     0.50),
	('proposal',        'closed_won',      0.06),
	('proposal',        'closed_lost',     0.15),
	('negotiation',     'closed_won',      0.55),
	('negotiation',     'closed_lost',     0.18),
	('closed_lost',     'lead_generation', 0.03);	-- reopened

--------------------------------------------------------------------------
-- Customers
--------------------------------------------------------------------------

WITH draw AS MATERIALIZED (
	SELECT g, random() AS r_region, random() AS r_life,
		   random() AS r1, random() AS r2, random() AS r3, random() AS r4
	  FROM generate_series(1, 3000) g
)
INSERT INTO demo.customers (name, region, lifecycle)
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
	   CASE WHEN r_life < 0.65 THEN 'prospect' ELSE 'new' END::crm_sales.lifecycle_stage
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

-- A wave of 1,000 new deals in lead_generation.  A few reps first try to
-- enter their deal straight in negotiation (copied from a spreadsheet).
CREATE PROCEDURE demo.new_deals(n integer)
LANGUAGE plpgsql AS $$
DECLARE
	rec record;
	first_id bigint := (SELECT coalesce(max(id), 0) + 1 FROM demo.deals);
BEGIN
	WITH draw AS MATERIALIZED (
		SELECT g, random() AS r_cust, random() AS r_owner, random() AS r_has_amount,
			   random() AS r_amount, random() AS r_close
		  FROM generate_series(1, n) g
	)
	INSERT INTO demo.deals (customer_id, owner, region, amount, expected_close, stage)
	SELECT c.id, r.reps[1 + floor(w.r_owner * cardinality(r.reps))::int], c.region,
		   CASE WHEN w.r_has_amount < 0.55
				THEN round((3000 + 120000 * w.r_amount ^ 3)::numeric, -2) END,
		   date '2025-01-01' + floor(w.r_close * 365)::int,
		   'lead_generation'
	  FROM draw w
	  JOIN demo.customers c ON c.id = 1 + floor(3000 * w.r_cust ^ 2)::bigint
	  JOIN (SELECT region, array_agg(owner ORDER BY owner) AS reps
			  FROM demo.sales_reps GROUP BY region) r ON r.region = c.region
	 ORDER BY w.g;

	FOR rec IN SELECT * FROM demo.deals WHERE id >= first_id ORDER BY id LOOP
		IF random() < 0.006 THEN
			PERFORM demo.attempt('deals', NULL, '(new) -> negotiation',
				format('INSERT INTO demo.deals (customer_id, owner, region, amount, expected_close, stage)'
					   ' VALUES (%s, %L, %L, %s, %L, ''negotiation'')',
					   rec.customer_id, rec.owner, rec.region, coalesce(rec.amount, 25000), rec.expected_close));
		END IF;
	END LOOP;
END $$;

-- One round of selling: first the illegal tries of the round, then every
-- open deal moves (or not) according to demo.funnel_odds.
CREATE PROCEDURE demo.deal_round(p_round integer)
LANGUAGE plpgsql AS $$
DECLARE
	rec record;
BEGIN
	-- Reps try to close won a deal that has no amount yet.
	FOR rec IN SELECT id FROM demo.deals
			  WHERE stage = 'negotiation' AND amount IS NULL ORDER BY id LOOP
		IF random() < 0.6 THEN
			PERFORM demo.attempt('deals', rec.id, 'negotiation -> closed_won',
				format('UPDATE demo.deals SET stage = ''closed_won'' WHERE id = %s', rec.id));
		END IF;
	END LOOP;
	-- A rep reopens a won deal for an upsell by moving it back to proposal.
	IF p_round IN (4, 7) THEN
		FOR rec IN SELECT id FROM demo.deals WHERE stage = 'closed_won' ORDER BY id LOOP
			IF random() < 0.04 THEN
				PERFORM demo.attempt('deals', rec.id, 'closed_won -> proposal',
					format('UPDATE demo.deals SET stage = ''proposal'' WHERE id = %s', rec.id));
			END IF;
		END LOOP;
	END IF;
	-- A rep revives a lost deal straight into negotiation.
	IF p_round >= 3 THEN
		FOR rec IN SELECT id FROM demo.deals WHERE stage = 'closed_lost' ORDER BY id LOOP
			IF random() < 0.005 THEN
				PERFORM demo.attempt('deals', rec.id, 'closed_lost -> negotiation',
					format('UPDATE demo.deals SET stage = ''negotiation'' WHERE id = %s', rec.id));
			END IF;
		END LOOP;
	END IF;
	-- A data clean-up job tries to blank the stage of stale leads.
	IF p_round = 6 THEN
		FOR rec IN SELECT id FROM demo.deals WHERE stage = 'lead_generation' ORDER BY id LOOP
			IF random() < 0.03 THEN
				PERFORM demo.attempt('deals', rec.id, 'lead_generation -> NULL',
					format('UPDATE demo.deals SET stage = NULL WHERE id = %s', rec.id));
			END IF;
		END LOOP;
	END IF;

	-- The legal moves of the round, in one UPDATE.  A deal gets its amount
	-- (the quote) at the latest when it reaches proposal or is won.
	WITH draw AS MATERIALIZED (
		SELECT id, stage, random() AS r, round((3000 + 120000 * random() ^ 3)::numeric, -2) AS quote
		  FROM (SELECT id, stage FROM demo.deals
				 WHERE stage <> 'closed_won' ORDER BY id) s
	), odds AS (
		SELECT from_stage, to_stage,
			   sum(p) OVER w - p AS lo, sum(p) OVER w AS hi
		  FROM demo.funnel_odds
		WINDOW w AS (PARTITION BY from_stage ORDER BY to_stage)
	)
	UPDATE demo.deals d
	   SET stage = o.to_stage,
		   amount = CASE WHEN o.to_stage IN ('proposal', 'closed_won')
						 THEN coalesce(d.amount, w.quote) ELSE d.amount END
	  FROM draw w
	  JOIN odds o ON o.from_stage = w.stage AND w.r >= o.lo AND w.r < o.hi
	 WHERE d.id = w.id;
END $$;

-- The customers follow their deals.
CREATE PROCEDURE demo.customer_round(p_round integer)
LANGUAGE plpgsql AS $$
DECLARE
	rec record;
BEGIN
	-- Marketing flags prospects with a deal in negotiation as loyal.
	FOR rec IN SELECT id FROM demo.customers cu
			  WHERE lifecycle = 'prospect'
				AND EXISTS (SELECT 1 FROM demo.deals d
							 WHERE d.customer_id = cu.id AND d.stage = 'negotiation')
			  ORDER BY id LOOP
		IF random() < 0.05 THEN
			PERFORM demo.attempt('customers', rec.id, 'prospect -> loyal',
				format('UPDATE demo.customers SET lifecycle = ''loyal'' WHERE id = %s', rec.id));
		END IF;
	END LOOP;
	-- Win-back campaigns try to restore churned customers straight to loyal.
	FOR rec IN SELECT id FROM demo.customers WHERE lifecycle = 'churned' ORDER BY id LOOP
		IF random() < 0.05 THEN
			PERFORM demo.attempt('customers', rec.id, 'churned -> loyal',
				format('UPDATE demo.customers SET lifecycle = ''loyal'' WHERE id = %s', rec.id));
		END IF;
	END LOOP;

	-- A prospect with a won deal becomes a new customer.
	UPDATE demo.customers cu SET lifecycle = 'new'
	 WHERE lifecycle = 'prospect'
	   AND EXISTS (SELECT 1 FROM demo.deals d
				   WHERE d.customer_id = cu.id AND d.stage = 'closed_won');
	-- A new customer with two won deals becomes loyal (won-back customers
	-- have to earn it again later, not in this demo).
	UPDATE demo.customers cu SET lifecycle = 'loyal'
	 WHERE lifecycle = 'new'
	   AND (SELECT count(*) FROM demo.deals d
			 WHERE d.customer_id = cu.id AND d.stage = 'closed_won') >= 2
	   AND NOT EXISTS (SELECT 1 FROM crm_sales.stage_history h
					   WHERE h.table_name = 'demo.customers'::regclass
						 AND h.entity_id = cu.id::text AND h.to_stage = 'churned');
	-- Customers with nothing open churn now and then; a few come back.
	IF p_round >= 3 THEN
		WITH draw AS MATERIALIZED (
			SELECT id, lifecycle, random() AS r
			  FROM (SELECT id, lifecycle FROM demo.customers
					 WHERE lifecycle IN ('new', 'loyal', 'churned') ORDER BY id) s
		)
		UPDATE demo.customers cu
		   SET lifecycle = CASE w.lifecycle WHEN 'churned' THEN 'new' ELSE 'churned' END::crm_sales.lifecycle_stage
		  FROM draw w
		 WHERE cu.id = w.id
		   AND CASE w.lifecycle
				   WHEN 'churned' THEN w.r < 0.12
				   WHEN 'loyal' THEN w.r < 0.03
				   ELSE w.r < 0.07 END
		   AND NOT EXISTS (SELECT 1 FROM demo.deals d
						   WHERE d.customer_id = cu.id
							 AND crm_sales.stage_category(d.stage) = 'open');
	END IF;
END $$;

--------------------------------------------------------------------------
-- The story
--------------------------------------------------------------------------

CALL demo.new_deals(1000);
CALL demo.deal_round(1);
CALL demo.customer_round(1);
CALL demo.new_deals(1000);
CALL demo.deal_round(2);
CALL demo.customer_round(2);
CALL demo.new_deals(1000);
CALL demo.deal_round(3);
CALL demo.customer_round(3);
CALL demo.new_deals(1000);
CALL demo.deal_round(4);
CALL demo.customer_round(4);
CALL demo.new_deals(1000);
CALL demo.deal_round(5);
CALL demo.customer_round(5);
CALL demo.deal_round(6);
CALL demo.customer_round(6);
CALL demo.deal_round(7);
CALL demo.customer_round(7);

-- A CRM import tries to create a few customers directly as loyal.
DO $$
DECLARE
	i integer;
BEGIN
	FOR i IN 1..5 LOOP
		PERFORM demo.attempt('customers', NULL, '(new) -> loyal',
			format('INSERT INTO demo.customers (name, region, lifecycle)'
				   ' VALUES (%L, ''Europe'', ''loyal'')', 'Imported Account ' || i));
	END LOOP;
END $$;

ANALYZE demo.customers, demo.deals, crm_sales.stage_history;
