-- demo_report.sql: a short report on the data of scripts/demo_data.sql.
-- Prints nothing that depends on the time of day.

\set ON_ERROR_STOP on
\pset footer off
\pset null '-'
SET client_min_messages = warning;

\echo
\echo '== crm_sales demo (database crm_demo) =='
SELECT (SELECT count(*) FROM demo.customers) AS customers,
	   (SELECT count(*) FROM demo.deals) AS deals,
	   (SELECT count(*) FROM crm_sales.stage_history) AS "stage changes recorded",
	   (SELECT count(*) FROM demo.legacy_moves) AS "of which imported",
	   (SELECT count(*) FROM demo.refused) AS "moves refused",
	   (SELECT min(created_at)::date || ' .. ' || max(moved_at)::date FROM demo.deals) AS "deals from .. to";

\echo
\echo '== Deals by current stage / 销售漏斗 =='
SELECT coalesce(s.label_en, 'Total') AS stage, coalesce(s.label_zh, '合计') AS "阶段",
	   count(d.id) AS deals,
	   coalesce(round(sum(d.amount)), 0) AS amount,
	   coalesce(round(sum(d.amount * crm_sales.stage_probability(d.stage)::numeric)), 0)
		   AS weighted
  FROM crm_sales.stage s
  LEFT JOIN demo.deals d ON d.stage::text = s.stage
 WHERE s.model = 'crm_sales.sales_stage'::regtype
 GROUP BY GROUPING SETS ((s.position, s.label_en, s.label_zh), ())
 ORDER BY s.position NULLS LAST;

\echo
\echo '== Customers by lifecycle stage / 客户生命周期 =='
SELECT coalesce(s.label_en, 'Total') AS stage, coalesce(s.label_zh, '合计') AS "阶段",
	   count(c.id) AS customers,
	   round(100.0 * count(c.id) / (SELECT count(*) FROM demo.customers), 1) AS "%",
	   coalesce(sum(w.won), 0) AS "won deals",
	   coalesce(round(sum(w.won_amount)), 0) AS "won amount"
  FROM crm_sales.stage s
  LEFT JOIN demo.customers c ON c.lifecycle::text = s.stage
  LEFT JOIN (SELECT customer_id, count(*) AS won, sum(amount) AS won_amount
			   FROM demo.deals WHERE stage = 'closed_won'
			  GROUP BY customer_id) w ON w.customer_id = c.id
 WHERE s.model = 'crm_sales.lifecycle_stage'::regtype
 GROUP BY GROUPING SETS ((s.position, s.label_en, s.label_zh), ())
 ORDER BY s.position NULLS LAST;

\echo
\echo '== Moves refused by the trigger, by SQLSTATE and reason =='
SELECT sqlstate, message AS reason, count(*) AS tries
  FROM demo.refused
 GROUP BY sqlstate, message
 ORDER BY sqlstate, count(*) DESC, message;

\echo
\echo '== Sales funnel from crm_sales.stage_history (lost deals count where they got to) =='
SELECT * FROM crm_sales.funnel_chart(crm_sales.history_funnel('crm_sales.sales_stage', 'demo.deals'));

\echo
\echo '== Time in stage from the recorded moves (crm_sales.time_in_stage), days / 阶段停留时间 =='
SELECT label_en AS stage, label_zh AS "阶段", visits, open_visits AS "still open",
	   round(extract(epoch FROM mean)::numeric / 86400, 1) AS mean,
	   round(extract(epoch FROM median)::numeric / 86400, 1) AS median,
	   round(extract(epoch FROM p90)::numeric / 86400, 1) AS p90
  FROM crm_sales.time_in_stage('crm_sales.sales_stage', 'demo.deals')
 WHERE visits > open_visits;

\echo
\echo '== Sales cycle of won deals (creation to closed_won in the history), days / 销售周期 =='
WITH cycle AS (
	SELECT d.region,
		   extract(epoch FROM max(h.changed_at) FILTER (WHERE h.to_stage = 'closed_won')
							 - min(h.changed_at)) / 86400 AS days
	  FROM demo.deals d
	  JOIN crm_sales.stage_history h ON h.table_name = 'demo.deals'::regclass
									AND h.entity_id = d.id::text
	 WHERE d.stage = 'closed_won'
	 GROUP BY d.id, d.region
)
SELECT coalesce(c.region, 'All regions') AS region, count(*) AS "won deals",
	   round(avg(c.days)::numeric, 1) AS mean,
	   round((percentile_cont(0.5) WITHIN GROUP (ORDER BY c.days))::numeric, 1) AS median,
	   round((percentile_cont(0.9) WITHIN GROUP (ORDER BY c.days))::numeric, 1) AS p90
  FROM cycle c
 GROUP BY ROLLUP (c.region)
 ORDER BY GROUPING(c.region), c.region;

\echo
\echo '== Funnel by region: crm_sales.funnel_agg over each deal''s furthest stage =='
SELECT d.region, count(*) AS deals,
	   round(100 * crm_sales.conversion_rate(crm_sales.funnel_agg(f.furthest_stage::crm_sales.sales_stage),
											 'lead_generation', 'proposal')::numeric, 1) AS "lead->proposal %",
	   round(100 * crm_sales.conversion_rate(crm_sales.funnel_agg(f.furthest_stage::crm_sales.sales_stage),
											 'lead_generation', 'closed_won')::numeric, 1) AS "lead->won %",
	   round((SELECT amount FROM crm_sales.funnel_steps(crm_sales.funnel_agg(f.furthest_stage::crm_sales.sales_stage, d.amount))
			   WHERE stage = 'closed_won')) AS "won amount"
  FROM demo.deals d
  JOIN crm_sales.furthest_stages('crm_sales.sales_stage', 'demo.deals') f ON f.entity_id = d.id::text
 GROUP BY ROLLUP (d.region)
 ORDER BY d.region NULLS LAST;

\echo
\echo '== Conversion from real moves (crm_sales.stage_conversion) =='
SELECT label_en AS "entered stage", label_zh AS "阶段", entered, moved_on AS "moved on",
	   won, lost, round(100 * conversion_to_later::numeric, 1) AS "moved on %",
	   round(100 * win_rate::numeric, 1) AS "win %"
  FROM crm_sales.stage_conversion('crm_sales.sales_stage', 'demo.deals');

\echo
\echo '== Sales forecast by expected-close quarter (crm_sales.weighted_pipeline) / 销售预测 =='
SELECT quarter, (f).deals, round((f).total) AS total, round((f).weighted) AS weighted,
	   round((f).closed) AS closed, round((f).commit) AS commit, round((f).best_case) AS "best case",
	   round((f).pipeline) AS pipeline, round((f).omitted) AS omitted,
	   round((f).commit_forecast) AS "commit forecast",
	   round((f).best_case_forecast) AS "best-case forecast"
  FROM (SELECT to_char(expected_close, 'YYYY-"Q"Q') AS quarter,
			   crm_sales.weighted_pipeline(amount, stage) AS f
		  FROM demo.deals
		 GROUP BY 1) t
 ORDER BY quarter;

\echo
\echo '== Won amount by month of signature (from the history), and the next quarter (crm_sales.holt_winters, Holt linear trend) =='
WITH won AS (
	SELECT date_trunc('month', h.changed_at AT TIME ZONE 'UTC') AS m, d.amount
	  FROM crm_sales.stage_history h
	  JOIN demo.deals d ON d.id::text = h.entity_id
	 WHERE h.table_name = 'demo.deals'::regclass AND h.to_stage = 'closed_won'
), monthly AS (
	SELECT crm_sales.month_number(m::date) AS period, coalesce(sum(w.amount), 0)::float8 AS won
	  FROM generate_series(timestamp '2024-07-01', timestamp '2025-12-01', interval '1 month') AS m
	  LEFT JOIN won w USING (m)
	 GROUP BY m
), model AS (
	SELECT crm_sales.holt_winters(period, won, 12, 'none') AS m FROM monthly
)
SELECT f.step AS "months ahead", round(f.point::numeric) AS forecast,
	   round(f.lower::numeric) AS "95% low", round(f.upper::numeric) AS "95% high"
  FROM model, crm_sales.forecast(model.m, 3, 0.95) AS f
 ORDER BY f.step;
