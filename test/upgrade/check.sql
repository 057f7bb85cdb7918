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
SELECT name, ss, ls, cs, ts, pf, ps, am, cf, fs, rs, centroids FROM stored
 WHERE coalesce(ss::text, ls::text, cs::text, ts::text, pf::text, ps::text, am::text,
				cf::text, fs::text, rs::text, centroids::text) IS NOT NULL
 ORDER BY name;

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

-- more consumers of each stored type
SELECT name, c FROM stored, crm_sales.funnel_chart(f, 20) WITH ORDINALITY AS c(c, n)
 WHERE f IS NOT NULL ORDER BY name, n;
SELECT name, f::jsonb FROM stored WHERE f IS NOT NULL ORDER BY name;
SELECT (a.f OPERATOR(crm_sales.+) b.f) OPERATOR(crm_sales.=) c.f AS plus_is_merge,
	   a.f OPERATOR(crm_sales.=) a.f AS equal_to_itself, a.f OPERATOR(crm_sales.=) b.f AS north_is_south
  FROM stored a, stored b, (SELECT crm_sales.funnel_merge(f) AS f FROM stored
							  WHERE name IN ('funnel north', 'funnel south')) c
 WHERE a.name = 'funnel north' AND b.name = 'funnel south';
SELECT crm_sales.conversion_rate(f, 'needs_analysis'::crm_sales.sales_stage, 'closed_won'::crm_sales.sales_stage)
  FROM stored WHERE name = 'funnel east';
SELECT crm_sales.conversion_rate(fs[1], 'initial_contact', 'proposal'), cardinality(fs) FROM stored WHERE name = 'funnel array';
SELECT name, fc.step, fc.level, round(fc.lower::numeric, 6), round(fc.upper::numeric, 6)
  FROM stored, crm_sales.forecast(fm, 2, ARRAY[0.8, 0.99]) fc WHERE fm IS NOT NULL
 ORDER BY name, fc.step, fc.level;
SELECT (crm_sales.combine_forecast(fc.point, fc.lower, fc.upper)).models,
	   round((crm_sales.combine_forecast(fc.point, fc.lower, fc.upper)).point::numeric, 6)
  FROM stored, crm_sales.forecast(fm, 1) fc WHERE name LIKE 'hw %';
SELECT (a).n, round((a).mae::numeric, 6), round((a).mase::numeric, 6)
  FROM (SELECT crm_sales.forecast_accuracy(s.amount, fc.point) AS a
		  FROM stored, crm_sales.forecast(fm, 3) fc
		  JOIN sales s ON s.month = fc.period - 48 + 45 AND s.region = 'north'
		 WHERE name = 'hw north') q;
SELECT name, c.term, round(c.estimate::numeric, 6), round(c.std_error::numeric, 6),
	   round(c.t_value::numeric, 4)
  FROM stored, crm_sales.coefficients(lm) c WHERE lm IS NOT NULL ORDER BY name, c.term;
SELECT name, lm::jsonb FROM stored WHERE lm IS NOT NULL ORDER BY name;
SELECT rm::jsonb FROM stored WHERE name = 'rfm model';
SELECT name, r OPERATOR(crm_sales.<) '5-5-5'::crm_sales.rfm AS below_top,
	   r OPERATOR(crm_sales.=) '5-4-3/5' AS eq5,
	   crm_sales.frequency_score(r), crm_sales.monetary_score(r),
	   CASE WHEN crm_sales.rfm_buckets(r) = 5 THEN crm_sales.rfm_lifecycle_stage(r) END, seg.segment
  FROM stored LEFT JOIN crm_sales.rfm_segments seg
	ON seg.recency_score = crm_sales.recency_score(r)
   AND seg.fm_score = crm_sales.frequency_score(r) AND crm_sales.rfm_buckets(r) = 5
 WHERE r IS NOT NULL ORDER BY r;
SELECT r, count(*) FROM (SELECT unnest(rs) r FROM stored WHERE rs IS NOT NULL
						 UNION ALL SELECT r FROM stored WHERE r IS NOT NULL) q
 GROUP BY r ORDER BY r;
SELECT bg::jsonb, gg::jsonb,
	   round(crm_sales.expected_purchases_new(bg, 52)::numeric, 10),
	   round(crm_sales.clv(bg, gg, 2, 30.43, 38.86, 35, 12, 0.01, 4.345)::numeric, 6)
  FROM stored WHERE name = 'clv';
SELECT crm_sales.closest_centroid(ARRAY[20.2, -14.1], centroids),
	   round(crm_sales.closest_centroid_distance(ARRAY[20.2, -14.1], centroids)::numeric, 6),
	   crm_sales.closest_centroid(ARRAY[0.1, 0.2], centroids) <> crm_sales.closest_centroid(ARRAY[20.2, -14.1], centroids)
  FROM stored WHERE name = 'kmeans';
SELECT ss, crm_sales.stage_position(ss), crm_sales.stage_category(ss), crm_sales.stage_label(ss, 'zh'),
	   crm_sales.stage_probability(ls), crm_sales.stage_category(cs), crm_sales.stage_position(ts),
	   crm_sales.allowed_transitions(ts), ss OPERATOR(crm_sales.~>) 'closed_won',
	   ts OPERATOR(crm_sales.~>) 'fixed', ls OPERATOR(crm_sales.~>) 'churned'
  FROM stored WHERE ss IS NOT NULL ORDER BY name;
SELECT name, (pf).deals, (pf).total, (pf).weighted, (pf).commit_forecast, (pf).best_case_forecast
  FROM stored WHERE pf IS NOT NULL ORDER BY name;
SELECT (ps).deals, (ps).weighted, (am).n, round((am).rmse::numeric, 6), (cf).models, (cf).point
  FROM stored WHERE name IN ('pipeline state', 'accuracy', 'combined') ORDER BY name;

-- functions over the history and the models
SELECT crm_sales.history_funnel('crm_sales.sales_stage');
SELECT * FROM crm_sales.stage_conversion('crm_sales.sales_stage') ORDER BY 1;
SELECT region, crm_sales.funnel_agg(stage, amount) FROM deals GROUP BY region ORDER BY region;
SELECT (crm_sales.weighted_pipeline(amount, stage)).* FROM deals;
SELECT * FROM crm_sales.adjust_forecast('2024-07-01', 'north', 100000);
SELECT crm_sales.lead_score('web', '{"visits": 5, "email": "a@gmail.com"}');
SELECT * FROM crm_sales.time_in_stage('crm_sales.sales_stage') ORDER BY 1;
SELECT * FROM crm_sales.furthest_stages('ticket_stage', 'tickets') ORDER BY entity_id;
SELECT crm_sales.history_funnel('ticket_stage', 'tickets', '2024-01-01', '2025-01-01'),
	   crm_sales.history_funnel('crm_sales.lifecycle_stage', 'customers');
SELECT model, table_name, from_stage, to_stage, moves, entities FROM crm_sales.stage_flow ORDER BY 1, 2, 3 NULLS FIRST, 4;
SELECT * FROM crm_sales.transitions WHERE model = 'ticket_stage'::regtype ORDER BY from_stage NULLS FIRST, to_stage;
SELECT crm_sales.transition_allowed('ticket_stage', 'triaged', 'wont_fix'),
	   crm_sales.transition_allowed('crm_sales.sales_stage', 'proposal', 'closed_won');
SELECT * FROM crm_sales.lead_score_rule_set ORDER BY 1;
SELECT * FROM crm_sales.lead_score_explain('web', '{"visits": 5, "email": "a@gmail.com"}') ORDER BY rule_id;
SELECT crm_sales.lead_score('web', '{"visits": 1}'), crm_sales.lead_score('web', '{}');
SELECT * FROM crm_sales.adjust_forecast('2024-08-01', 'north', 100000);
SELECT (crm_sales.weighted_pipeline(amount, stage, 0.5, 0.3)).* FROM deals;
SELECT level, count(*)
  FROM (SELECT crm_sales.window_funnel(interval '30 hours', ts, step = 1, step = 2, step = 3, step = 4)
		  FROM events GROUP BY user_id) q(level)
 GROUP BY level ORDER BY level;
SELECT user_id % 4 AS grp, crm_sales.retention(step = 1, step = 2, step = 3) FROM events GROUP BY 1 ORDER BY 1;
SELECT crm_sales.funnel_events(interval '30 hours', user_id, ts, step) FROM events;
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
-- mark_churned moves customers through the trigger (and so writes history)
BEGIN;
SELECT crm_sales.mark_churned('customers', 'stage', 'frequency', 'recency', 't', bg, 0.5)
  FROM stored WHERE name = 'clv';
SELECT id, stage FROM customers ORDER BY id;
SELECT count(*) FROM crm_sales.stage_history WHERE table_name = 'customers'::regclass AND to_stage = 'churned';
ROLLBACK;
\set VERBOSITY default
