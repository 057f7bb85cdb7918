-- fill.sql: real use of an installed crm_sales, for the upgrade test
-- (test/upgrade/upgrade.sh).  Runs against the OLD version (0.1.0) before
-- ALTER EXTENSION crm_sales UPDATE, so it may use only what 0.1.0 has: user
-- models and changes of shipped ones, tables with the trigger and their
-- history, lead-scoring rules, forecast adjustments, and values of every
-- stored type in user tables.  Deterministic: no random(), no now().
SET client_min_messages = warning;

-- a user model, and changes of a shipped one
SELECT crm_sales.create_model('ticket_stage',
	ARRAY['new', 'triaged', 'in_progress', 'fixed', 'wont_fix'],
	'other', 'Support tickets', '工单', 'public');
SELECT crm_sales.set_category('ticket_stage', 'fixed', 'won');
SELECT crm_sales.set_category('ticket_stage', 'wont_fix', 'lost');
SELECT crm_sales.set_probability('ticket_stage', 'triaged', 0.25);
SELECT crm_sales.allow_transition('ticket_stage', NULL, 'new');
SELECT crm_sales.allow_transition('ticket_stage', 'new', 'triaged');
SELECT crm_sales.allow_transition('ticket_stage', 'triaged', 'in_progress', '{assignee}');
SELECT crm_sales.allow_transition('ticket_stage', 'in_progress', 'fixed');
SELECT crm_sales.allow_transition('ticket_stage', 'triaged', 'wont_fix');
SELECT crm_sales.set_probability('crm_sales.sales_stage', 'proposal', 0.55);
SELECT crm_sales.set_labels('crm_sales.sales_stage', 'closed_lost', 'Closed lost', '输单');
SELECT crm_sales.forbid_transition('crm_sales.sales_stage', 'proposal', 'closed_won');

-- deals and tickets with the trigger, and their history
CREATE TABLE deals (
	id			bigint PRIMARY KEY,
	region		text NOT NULL,
	amount		numeric(12, 2),
	stage		crm_sales.sales_stage NOT NULL
);
CREATE TRIGGER deals_stage BEFORE INSERT OR UPDATE OF stage ON deals
	FOR EACH ROW EXECUTE FUNCTION crm_sales.enforce_transition('stage', 'id');
INSERT INTO deals
	SELECT g, (ARRAY['north', 'south', 'east'])[g % 3 + 1], (g * 137) % 5000 + 0.25, 'lead_generation'
	  FROM generate_series(1, 60) g;
UPDATE deals SET stage = 'initial_contact' WHERE id % 4 <> 0;
UPDATE deals SET stage = 'needs_analysis' WHERE id % 4 <> 0 AND id % 5 <> 0;
UPDATE deals SET stage = 'proposal' WHERE id % 4 <> 0 AND id % 5 <> 0 AND id % 7 <> 0;
UPDATE deals SET stage = 'negotiation' WHERE stage = 'proposal' AND id % 3 = 0;
UPDATE deals SET stage = 'closed_won' WHERE stage = 'negotiation' AND id % 2 = 0;
UPDATE deals SET stage = 'closed_lost' WHERE id % 11 = 0;

CREATE TABLE tickets (
	id			int PRIMARY KEY,
	assignee	text,
	stage		ticket_stage NOT NULL
);
CREATE TRIGGER tickets_stage BEFORE INSERT OR UPDATE OF stage ON tickets
	FOR EACH ROW EXECUTE FUNCTION crm_sales.enforce_transition('stage', 'id');
INSERT INTO tickets SELECT g, NULL, 'new' FROM generate_series(1, 5) g;
UPDATE tickets SET stage = 'triaged' WHERE id <= 4;
UPDATE tickets SET stage = 'in_progress', assignee = 'li.wei' WHERE id <= 2;
UPDATE tickets SET stage = 'fixed' WHERE id = 1;
UPDATE tickets SET stage = 'wont_fix' WHERE id = 4;
-- the history's timestamps are the statement times: make them fixed
UPDATE crm_sales.stage_history
   SET changed_at = '2024-01-01 00:00:00+00'::timestamptz + id * interval '1 day';

-- lead scoring rules and forecast adjustments (config tables)
INSERT INTO crm_sales.lead_score_rule_set VALUES ('web', 'Web leads');
INSERT INTO crm_sales.lead_score_rule VALUES
	('web', 1, '{visits}', '>=', '3', 10, 'positive', 'frequent visitor'),
	('web', 2, '{email}', 'contains', '"@gmail."', 4, 'negative', NULL);
INSERT INTO crm_sales.forecast_adjustment (period, scope, factor, amount, reason, author, created_at) VALUES
	('2024-07-01', 'north', 1.10, NULL, 'big customer expected', 'boss', '2024-06-01'),
	('2024-07-01', 'north', NULL, -2500.50, 'one deal slipped', 'boss', '2024-06-02');

-- stored values of every type
CREATE TABLE sales (region text, month int, amount float8);
INSERT INTO sales
	SELECT r, m, 100 + 10 * m + 25 * sin(m * pi() / 6) + (m * 7 % 5) + length(r)
	  FROM unnest(ARRAY['north', 'west coast']) r, generate_series(1, 48) m;

-- every type of the extension has a column here: test/upgrade/upgrade.sh
-- copies this table out in binary under the old version and back in under
-- the new one (the types' send/recv across versions)
CREATE TABLE stored (name text PRIMARY KEY, f crm_sales.funnel, fm crm_sales.forecast_model,
					 lm crm_sales.linear_model, rm crm_sales.rfm_model, r crm_sales.rfm,
					 bg crm_sales.bgnbd_model, gg crm_sales.gamma_gamma_model,
					 ss crm_sales.sales_stage, ls crm_sales.lifecycle_stage,
					 cs crm_sales.contract_status, ts ticket_stage,
					 pf crm_sales.pipeline_forecast, ps crm_sales.pipeline_state,
					 am crm_sales.accuracy_measures, cf crm_sales.combined_forecast,
					 fs crm_sales.funnel[], rs crm_sales.rfm[], centroids float8[]);
INSERT INTO stored (name, f) SELECT 'funnel ' || region, crm_sales.funnel_agg(stage, amount)
	FROM deals GROUP BY region;
INSERT INTO stored (name, f) SELECT 'funnel positional', crm_sales.funnel_agg(crm_sales.stage_position(stage), amount)
	FROM deals;
INSERT INTO stored (name, fm) SELECT 'hw ' || region, crm_sales.holt_winters(month, amount, 12)
	FROM sales GROUP BY region;
INSERT INTO stored (name, fm) SELECT 'ets north', crm_sales.ets(month, amount, 12, 'AAN')
	FROM sales WHERE region = 'north';
INSERT INTO stored (name, lm) SELECT 'ols', crm_sales.ols(amount, ARRAY[month, month % 12])
	FROM sales;
INSERT INTO stored (name, lm) SELECT 'tslm', crm_sales.tslm(month, amount, 12)
	FROM sales WHERE region = 'west coast';
INSERT INTO stored (name, rm) SELECT 'rfm model',
	crm_sales.rfm_model((id * 37) % 100, id % 9 + 1, amount::float8) FROM deals;
INSERT INTO stored (name, r) VALUES ('rfm 5', '5-4-3'), ('rfm 3', '3-1-2/3');
INSERT INTO stored (name, bg, gg) VALUES ('clv',
	crm_sales.bgnbd_model(0.243, 4.414, 0.793, 2.426),
	crm_sales.gamma_gamma_model(6.25, 3.74, 15.44));
INSERT INTO stored (name, ss, ls, cs, ts) VALUES
	('stages', 'negotiation', 'loyal', 'pending_approval', 'in_progress'),
	('stages first', 'lead_generation', 'prospect', 'draft', 'new');
INSERT INTO stored (name, pf) SELECT 'pipeline ' || region, crm_sales.weighted_pipeline(amount, stage)
	FROM deals GROUP BY region;
INSERT INTO stored (name, pf) SELECT 'pipeline thresholds', crm_sales.weighted_pipeline(amount, stage, 0.5, 0.3)
	FROM deals;
INSERT INTO stored (name, ps) VALUES ('pipeline state', '(3,300.5,120.25,100,1,50.5,1,0,0,150,1,0,0)');
INSERT INTO stored (name, am) SELECT 'accuracy', crm_sales.forecast_accuracy(amount, amount * 1.05 - 3, 12.5)
	FROM sales WHERE region = 'north';
INSERT INTO stored (name, cf) SELECT 'combined', crm_sales.combine_forecast(p, p - 10, p + 10, w)
	FROM (VALUES (100.0::float8, 1.0::float8), (130, 3)) v(p, w);
INSERT INTO stored (name, fs) SELECT 'funnel array', array_agg(f ORDER BY name)
	FROM stored WHERE name LIKE 'funnel %';
INSERT INTO stored (name, rs) VALUES ('rfm array', ARRAY['1-1-1', '5-5-5/5', '2-3-4/9']::crm_sales.rfm[]);
-- the input is one deterministic grid: three well separated groups
INSERT INTO stored (name, centroids) SELECT 'kmeans', crm_sales.kmeans(ARRAY[x, y], 3, 42)
	FROM (SELECT (g % 3) * 10 + (g % 5) * 0.1, (g % 3) * -7 + (g % 7) * 0.1
			FROM generate_series(1, 90) g) p(x, y);

-- customers in the lifecycle model (mark_churned moves them), and an event
-- log for the event-log funnels
CREATE TABLE customers (
	id			int PRIMARY KEY,
	frequency	float8, recency float8, t float8,
	stage		crm_sales.lifecycle_stage NOT NULL
);
CREATE TRIGGER customers_stage BEFORE INSERT OR UPDATE OF stage ON customers
	FOR EACH ROW EXECUTE FUNCTION crm_sales.enforce_transition('stage', 'id');
INSERT INTO customers
	SELECT g, g % 6, least(g % 6 * 6.5, 38.86), 38.86, 'new' FROM generate_series(1, 12) g;
UPDATE customers SET stage = 'loyal' WHERE frequency >= 3;
UPDATE crm_sales.stage_history
   SET changed_at = '2024-03-01 00:00:00+00'::timestamptz + id * interval '1 hour'
 WHERE table_name = 'customers'::regclass;

CREATE TABLE events (user_id bigint, ts timestamptz, step int);
INSERT INTO events
	SELECT u, '2024-01-01 00:00:00+00'::timestamptz + (u * 13 + s * 7) * interval '1 hour', s
	  FROM generate_series(1, 40) u, generate_series(1, 4) s
	 WHERE s <= 1 + u % 4;
