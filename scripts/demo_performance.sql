-- demo_performance.sql: the sales performance section of the demo (run by
-- scripts/demo.sh after demo_report.sql, on the data of demo_data.sql).
-- Adds what the performance functions need and that the base demo has no
-- column for: a currency per deal (Greater China CNY, Europe EUR, others
-- USD), created and closed days derived from each deal's expected close
-- (deterministic), daily exchange rates for 2024-2025, a team tree of the
-- regions with the reps as members (one rep moves), and quarterly quotas.
-- Prints a leaderboard with attainment by team, win rate and velocity per
-- region, growth per quarter, customer flow per month, and a funnel in the
-- corporate currency.  Nothing depends on the time of day.

\set ON_ERROR_STOP on
\pset footer off
\pset null '-'
SET client_min_messages = warning;

SELECT crm_sales.set_corporate_currency('USD') \g /dev/null
INSERT INTO crm_sales.exchange_rate (from_currency, to_currency, valid_from, rate)
SELECT c, 'USD', d::date,
	   round((CASE c WHEN 'EUR' THEN 1.08 ELSE 0.138 END
			  * (1 + 0.03 * sin(extract(doy FROM d) / 58.0 + CASE c WHEN 'EUR' THEN 0 ELSE 1 END)))::numeric, 6)
  FROM unnest(ARRAY['EUR', 'CNY']) c,
	   generate_series(date '2024-01-01', date '2025-12-31', interval '1 day') d;

CREATE VIEW demo.deal_facts AS
SELECT d.id, d.customer_id, d.owner, d.region, d.stage, d.amount,
	   CASE d.region WHEN 'Greater China' THEN 'CNY' WHEN 'Europe' THEN 'EUR' ELSE 'USD' END AS currency,
	   d.expected_close - (10 + d.id % 90)::int AS created_on,
	   CASE WHEN crm_sales.stage_category(d.stage) <> 'open' THEN d.expected_close END AS closed_on
  FROM demo.deals d;
-- amounts in the deal's currency: the demo's amounts read as local figures
CREATE VIEW demo.deal_usd AS
SELECT f.*, crm_sales.to_currency(f.amount * CASE f.currency WHEN 'CNY' THEN 7 ELSE 1 END,
								  f.currency, 'USD', coalesce(f.closed_on, f.created_on)) AS amount_usd,
	   f.amount * CASE f.currency WHEN 'CNY' THEN 7 ELSE 1 END AS local_amount
  FROM demo.deal_facts f;

INSERT INTO crm_sales.sales_team (team, parent_team, label_zh)
VALUES ('Global Sales', NULL, '全球销售'), ('East', 'Global Sales', '东区'), ('West', 'Global Sales', '西区');
INSERT INTO crm_sales.sales_team (team, parent_team)
SELECT DISTINCT region, CASE WHEN region IN ('Greater China', 'APAC') THEN 'East' ELSE 'West' END
  FROM demo.sales_reps;
INSERT INTO crm_sales.team_member (owner, team, valid_from, valid_to)
SELECT owner, region, date '2024-01-01', CASE WHEN owner = 'Kenji Sato' THEN date '2025-07-01' END
  FROM demo.sales_reps;
-- Kenji Sato moves from APAC to Greater China in the middle of the year
INSERT INTO crm_sales.team_member VALUES ('Kenji Sato', 'Greater China', '2025-07-01', NULL);
INSERT INTO crm_sales.quota (owner, period, period_start, amount, currency)
SELECT r.owner, 'quarter', q::date, 450000 + 50000 * (length(r.owner) % 5), 'USD'
  FROM demo.sales_reps r, generate_series(date '2025-01-01', date '2025-10-01', interval '3 months') q;

\echo
\echo '== Leaderboard, 2025-Q3: quota attainment by team and rep (crm_sales.attainment) / 销售业绩排行 =='
SELECT repeat('  ', a.depth) || a.name AS "team / rep", a.level, round(a.won) AS "won (USD)",
	   round(a.quota) AS "quota (USD)", a.attainment_pct AS "attainment %", a.rank_in_parent AS rank
  FROM crm_sales.attainment('quarter', '2025-07-01', 'demo.deal_usd', owner_column => 'owner',
							amount_column => 'local_amount', closed_column => 'closed_on',
							currency_column => 'currency', as_of => '2025-09-30') a
 ORDER BY a.level DESC, a.depth, a.parent_team NULLS FIRST, a.rank_in_parent;

\echo
\echo '== Win rate, deal size, cycle and velocity per region (crm_sales.deal_stats, USD at close) =='
SELECT region, k.won_deals AS won, k.lost_deals AS lost, k.open_deals AS open,
	   round(100 * k.win_rate::numeric, 1) AS "win %", round(k.avg_won_size) AS "avg won",
	   round(k.median_won_size) AS "median won", round(k.cycle_days_mean, 1) AS "cycle days",
	   k.cycle_days_p90 AS "p90 days", round(k.sales_velocity) AS "velocity USD/day"
  FROM (SELECT region, crm_sales.deal_stats(stage, amount_usd, created_on, closed_on) AS s
		  FROM demo.deal_usd GROUP BY ROLLUP (region)) t,
	   LATERAL crm_sales.deal_kpis(t.s) k
 ORDER BY region NULLS LAST;

\echo
\echo '== Won amount per quarter and growth (crm_sales.period_growth, USD) =='
CREATE VIEW demo.won_usd AS SELECT closed_on, amount_usd FROM demo.deal_usd WHERE stage = 'closed_won';
SELECT to_char(period_start, 'YYYY-"Q"Q') AS quarter, round(amount) AS won, round(previous) AS previous,
	   growth_pct AS "growth %"
  FROM crm_sales.period_growth('quarter', '2025-01-01', '2025-12-31', 'demo.won_usd', 'closed_on', 'amount_usd');

\echo
\echo '== Customer flow per month (crm_sales.customer_flow: won deals as orders, USD) =='
CREATE VIEW demo.orders AS SELECT customer_id, closed_on, amount_usd FROM demo.deal_usd WHERE stage = 'closed_won';
SELECT to_char(period_start, 'YYYY-MM') AS month,
	   sum(customers) FILTER (WHERE class = 'new') AS new,
	   sum(customers) FILTER (WHERE class = 'returning') AS returning,
	   sum(customers) FILTER (WHERE class = 'resurrected') AS resurrected,
	   sum(customers) FILTER (WHERE class = 'dormant') AS dormant,
	   round(sum(revenue) FILTER (WHERE class <> 'dormant')) AS "revenue USD"
  FROM crm_sales.customer_flow('month', '2025-01-01', '2025-12-31', 'demo.orders', 'customer_id', 'closed_on', 'amount_usd')
 GROUP BY period_start ORDER BY period_start;

\echo
\echo '== Funnel in the corporate currency (USD) from deals in CNY, EUR and USD =='
SELECT currency, count(*) AS deals, round(sum(local_amount)) AS "local amount", round(sum(amount_usd)) AS "USD"
  FROM demo.deal_usd GROUP BY currency ORDER BY currency;
SELECT stage, reached, round(amount) AS "amount USD", round(100 * conversion_from_first::numeric, 1) AS "% of first"
  FROM crm_sales.funnel_steps((
	SELECT crm_sales.funnel_agg(f.furthest_stage::crm_sales.sales_stage, u.amount_usd)
	  FROM demo.deal_usd u
	  JOIN crm_sales.furthest_stages('crm_sales.sales_stage', 'demo.deals') f ON f.entity_id = u.id::text));

\echo
\echo '== Weighted pipeline in USD by expected-close quarter (crm_sales.weighted_pipeline over converted amounts) =='
SELECT to_char(d.expected_close, 'YYYY-"Q"Q') AS quarter, (f).deals, round((f).total) AS "total USD",
	   round((f).weighted) AS "weighted USD", round((f).closed) AS "closed USD", round((f).pipeline) AS "pipeline USD"
  FROM (SELECT date_trunc('quarter', expected_close)::date AS expected_close,
			   crm_sales.weighted_pipeline(u.amount_usd, u.stage) AS f
		  FROM demo.deal_usd u JOIN demo.deals dd USING (id)
		 GROUP BY 1) d
 ORDER BY 1;
