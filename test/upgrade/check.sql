-- check.sql: what must read and behave the same before and after ALTER
-- EXTENSION crm_sales UPDATE, and after a dump of the old version is
-- restored into the new one (test/upgrade/upgrade.sh).  Reads the rows of
-- fill.sql: every config row, the history, and every stored value, through
-- the functions that consume it.  Floats are printed rounded to 10
-- significant digits where a platform's last bit could differ; the stored
-- values' text forms are printed whole.
\pset footer off
SET extra_float_digits = 0;
SET TimeZone = 'UTC';
SET DateStyle = 'ISO, YMD';

SELECT model, kind, label_en, label_zh, origin FROM crm_sales.model ORDER BY model::text;
SELECT model, stage, position, category, probability, label_en, label_zh, origin
  FROM crm_sales.stage ORDER BY model::text, position;
SELECT model, from_stage, to_stage, required_columns, allowed, origin
  FROM crm_sales.transition ORDER BY model::text, from_stage NULLS FIRST, to_stage;
SELECT id, table_name, entity_id, model, from_stage, to_stage, changed_at
  FROM crm_sales.stage_history ORDER BY id;
SELECT * FROM crm_sales.lead_score_rule ORDER BY rule_set, rule_id;
SELECT period, scope, factor, amount, reason, author FROM crm_sales.forecast_adjustment ORDER BY id;

-- stored values, as text
SELECT name, f, fm, lm, rm, r, bg, gg FROM stored ORDER BY name;

-- consumers of the stored values
SELECT name, s.* FROM stored, crm_sales.funnel_steps(f) s WHERE f IS NOT NULL ORDER BY name, s.position;
SELECT crm_sales.conversion_rate(f, 1, 5) FROM stored WHERE name = 'funnel positional';
SELECT crm_sales.conversion_rate(f, 'initial_contact', 'closed_won') FROM stored WHERE name = 'funnel north';
SELECT crm_sales.funnel_merge(f) FROM stored WHERE name LIKE 'funnel %' AND name <> 'funnel positional';
SELECT name, fc.step, fc.period, round(fc.point::numeric, 6), round(fc.lower::numeric, 6), round(fc.upper::numeric, 6)
  FROM stored, crm_sales.forecast(fm, 3) fc WHERE fm IS NOT NULL ORDER BY name, fc.step;
SELECT name, fm::jsonb - 'sse' - 'sigma2' - 'aicc' FROM stored WHERE fm IS NOT NULL ORDER BY name;
SELECT round(p.point::numeric, 6), round(p.lower::numeric, 6), round(p.upper::numeric, 6)
  FROM stored, crm_sales.predict(lm, ARRAY[50, 2]::float8[], 0.9) p WHERE name = 'ols';
SELECT round(t.point::numeric, 6) FROM stored, crm_sales.tslm_forecast(lm, 3) t WHERE name = 'tslm';
SELECT crm_sales.rfm_score(rm, 10, 5, 2500) AS scored, crm_sales.rfm_score(rm, 90, 1, 10) AS scored_low
  FROM stored WHERE name = 'rfm model';
SELECT name, crm_sales.recency_score(r), crm_sales.rfm_buckets(r) FROM stored WHERE r IS NOT NULL ORDER BY name;
SELECT crm_sales.rfm_segment(r) FROM stored WHERE name = 'rfm 5';
SELECT round(crm_sales.p_alive(bg, 2, 30.43, 38.86)::numeric, 10),
	   round(crm_sales.expected_purchases(bg, 39, 2, 30.43, 38.86)::numeric, 10),
	   round(crm_sales.expected_spend(gg, 2, 35)::numeric, 10)
  FROM stored WHERE name = 'clv';

-- functions over the history and the models
SELECT crm_sales.history_funnel('crm_sales.sales_stage');
SELECT * FROM crm_sales.stage_conversion('crm_sales.sales_stage') ORDER BY 1;
SELECT region, crm_sales.funnel_agg(stage, amount) FROM deals GROUP BY region ORDER BY region;
SELECT (crm_sales.weighted_pipeline(amount, stage)).* FROM deals;
SELECT * FROM crm_sales.adjust_forecast('2024-07-01', 'north', 100000);
SELECT crm_sales.lead_score('web', '{"visits": 5, "email": "a@gmail.com"}');
SELECT crm_sales.allowed_transitions('triaged'::ticket_stage),
	   crm_sales.stage_probability('proposal'::crm_sales.sales_stage),
	   crm_sales.stage_label('closed_lost'::crm_sales.sales_stage, 'zh');

-- the trigger still enforces the (changed) models (refusals shown by
-- SQLSTATE: messages may improve between versions); nothing is kept
\set VERBOSITY sqlstate
BEGIN;
SAVEPOINT a;
UPDATE deals SET stage = 'closed_won' WHERE id = 1 AND stage = 'proposal';
ROLLBACK TO a;
UPDATE tickets SET stage = 'in_progress' WHERE id = 3;
ROLLBACK TO a;
UPDATE tickets SET stage = 'in_progress', assignee = 'zhang.min' WHERE id = 3;
SELECT to_stage FROM crm_sales.stage_history WHERE entity_id = '3' AND table_name = 'tickets'::regclass ORDER BY id DESC LIMIT 1;
ROLLBACK;
\set VERBOSITY default
