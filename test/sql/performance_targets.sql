-- Targets and attainment: the team tree, dated memberships, quotas,
-- attainment() with roll-up, pacing and ranks; cohort_conversion().
-- Every expected number is worked out by hand in the comments, and the
-- owner figures are also checked against plain SQL over the same rows.
\set SHOW_CONTEXT never
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS crm_sales;
SET search_path = public, crm_sales;
\pset null '(null)'

DELETE FROM exchange_rate;
SELECT set_corporate_currency('USD');
INSERT INTO exchange_rate VALUES ('EUR', 'USD', '2024-01-01', 1.1);

INSERT INTO sales_team (team, parent_team, label_zh) VALUES
	('Global', NULL, '全球'), ('EMEA', 'Global', NULL), ('APAC', 'Global', '亚太'),
	('EMEA North', 'EMEA', NULL);
INSERT INTO team_member VALUES
	('ann', 'EMEA North', '2024-01-01', NULL),
	('bob', 'EMEA', '2024-01-01', NULL),
	('cat', 'APAC', '2024-01-01', '2025-02-15'),		-- cat moves mid-quarter
	('cat', 'EMEA North', '2025-02-15', NULL),
	('dan', 'APAC', '2024-01-01', NULL);
INSERT INTO quota (owner, team, period, period_start, amount, currency) VALUES
	('ann', NULL, 'quarter', '2025-01-01', 1000, 'USD'),
	('bob', NULL, 'quarter', '2025-01-01', 2000, 'USD'),
	('cat', NULL, 'quarter', '2025-01-01', 1500, 'USD'),
	('dan', NULL, 'quarter', '2025-01-01', 1000, 'USD'),
	(NULL, 'APAC', 'quarter', '2025-01-01', 3000, 'USD');	-- explicit team quota

CREATE TABLE att_deals (id int, owner text, stage sales_stage, amount numeric, currency text, closed_at date);
INSERT INTO att_deals VALUES
	(1, 'ann', 'closed_won', 600, 'USD', '2025-01-10'),
	(2, 'ann', 'closed_won', 200, 'EUR', '2025-02-20'),	-- 200 * 1.1 = 220.00 USD
	(3, 'ann', 'closed_lost', 500, 'USD', '2025-01-15'),	-- lost: not counted
	(4, 'bob', 'closed_won', 1000, 'USD', '2025-03-05'),
	(5, 'bob', 'proposal', 700, 'USD', NULL),
	(6, 'cat', 'closed_won', 300, 'USD', '2025-01-20'),	-- cat in APAC then
	(7, 'cat', 'closed_won', 400, 'USD', '2025-03-01'),	-- cat in EMEA North then
	(8, 'dan', 'closed_won', 1200, 'USD', '2025-02-10'),
	(9, 'dan', 'closed_won', 999, 'USD', '2025-04-01'),	-- next quarter
	-- ann's past quarters, for her seasonal profile
	(10, 'ann', 'closed_won', 100, 'USD', '2024-10-05'),	-- day 4 of 2024-Q4
	(11, 'ann', 'closed_won', 300, 'USD', '2024-11-20'),	-- day 50
	(12, 'ann', 'closed_won', 100, 'USD', '2024-07-10');	-- day 9 of 2024-Q3

-- The whole quarter (as_of its last day):
--   owners: won ann 600 + 220 = 820 of 1000 (82.00 %, gap 180);
--           bob 1000 of 2000 (50.00 %); cat 300 + 400 = 700 of 1500 (46.67 %);
--           dan 1200 of 1000 (120.00 %, gap -200)
--   teams (a deal counts for the owner's team on its close day):
--     EMEA North: ann 820 + cat's March 400 = 1220; quota ann 1000 + cat 1500 = 2500 -> 48.80 %
--     EMEA: 1220 + bob 1000 = 2220; quota bob 2000 + EMEA North 2500 = 4500 -> 49.33 %
--     APAC: cat's January 300 + dan 1200 = 1500; explicit quota 3000 -> 50.00 %
--     Global: 2220 + 1500 = 3720; quota 4500 + 3000 = 7500 -> 49.60 %
--   ranks: APAC 1, EMEA 2 under Global; ann 1, cat 2 in EMEA North
SELECT level, name, parent_team, depth, won, quota, currency, attainment_pct, gap, elapsed_share, rank_in_parent
  FROM attainment('quarter', '2025-01-01', 'att_deals', currency_column => 'currency', as_of => '2025-03-31')
 ORDER BY level DESC, depth, parent_team NULLS FIRST, rank_in_parent;

-- the owners' won amounts against plain SQL
SELECT a.name, a.won = p.won AS equal
  FROM attainment('quarter', '2025-01-01', 'att_deals', currency_column => 'currency', as_of => '2025-03-31') a
  JOIN (SELECT owner, sum(to_currency(amount, currency, 'USD', closed_at)) AS won
		  FROM att_deals WHERE stage = 'closed_won' AND closed_at >= '2025-01-01' AND closed_at < '2025-04-01'
		 GROUP BY owner) p ON p.owner = a.name
 WHERE a.level = 'owner' ORDER BY a.name;

-- Pacing on 2025-02-14: 45 of the quarter's 90 days elapsed (share 0.5).
--   ann: won to date 600; linear expected 1000 * 0.5 = 500, pace 1.2;
--        seasonal: of her 500 won in the past 4 quarters, 200 came in the
--        first 45 days of their quarter (days 4 and 9), share 0.4: expected
--        400, pace 600 / 400 = 1.5
--   EMEA North: members on 2025-02-14 are ann only (cat joins on the 15th),
--        so its quota is ann's 1000; won to date 600 (cat's January deal
--        was APAC's); linear expected 500 (pace 1.2), seasonal share 0.4
--        (ann's past deals) -> expected 400, pace 1.5
SELECT level, name, won, quota, elapsed_share, round(expected_linear, 2) AS expected_linear, pace_linear,
	   seasonal_share, round(expected_seasonal, 2) AS expected_seasonal, pace_seasonal
  FROM attainment('quarter', '2025-01-01', 'att_deals', currency_column => 'currency', as_of => '2025-02-14')
 WHERE name IN ('ann', 'EMEA North') ORDER BY level;

-- a team quota left to the members when no quota is set: month quotas sum
-- up to a quarter (ann: 300 + 300 + 400 = 1000 for 2025-Q2)
INSERT INTO quota (owner, period, period_start, amount, currency) VALUES
	('ann', 'month', '2025-04-01', 300, 'USD'), ('ann', 'month', '2025-05-01', 300, 'USD'),
	('ann', 'month', '2025-06-01', 400, 'USD');
SELECT name, quota FROM attainment('quarter', '2025-04-01', 'att_deals', currency_column => 'currency', as_of => '2025-06-30')
 WHERE name IN ('ann', 'EMEA North', 'Global') ORDER BY name;

-- ---- bad input ----
INSERT INTO sales_team VALUES ('Loop', 'Loop');
UPDATE sales_team SET parent_team = 'EMEA North' WHERE team = 'EMEA';
INSERT INTO sales_team VALUES ('X', 'Y'), ('Y', 'X');
INSERT INTO sales_team VALUES ('Z', 'nowhere');
INSERT INTO team_member VALUES ('bob', 'APAC', '2025-06-01', NULL);
INSERT INTO team_member VALUES ('eve', 'APAC', '2025-01-01', '2025-03-01'), ('eve', 'EMEA', '2025-02-01', NULL);
INSERT INTO team_member VALUES ('eve', 'APAC', '2025-03-01', '2025-01-01');
-- back-to-back memberships are fine (valid_to is exclusive)
INSERT INTO team_member VALUES ('eve', 'APAC', '2025-01-01', '2025-03-01'), ('eve', 'EMEA', '2025-03-01', NULL);
SELECT team_of('eve', '2025-02-28'), team_of('eve', '2025-03-01'), team_of('eve', '2024-12-31');
INSERT INTO quota (owner, team, period, period_start, amount, currency) VALUES ('ann', 'EMEA', 'month', '2025-01-01', 1, 'USD');
INSERT INTO quota (owner, period, period_start, amount, currency) VALUES ('ann', 'quarter', '2025-02-01', 1, 'USD');
INSERT INTO quota (owner, period, period_start, amount, currency) VALUES ('ann', 'month', '2025-02-01', -1, 'USD');
INSERT INTO quota (owner, period, period_start, amount, currency) VALUES ('ann', 'month', '2025-02-01', 1, 'XYZ');
INSERT INTO quota (owner, period, period_start, amount, currency) VALUES ('ann', 'quarter', '2025-01-01', 1, 'USD');
SELECT * FROM attainment('quarter', '2025-02-01', 'att_deals');
SELECT * FROM attainment('week', '2025-01-06', 'att_deals');
SELECT * FROM attainment('quarter', '2025-01-01', 'att_deals', owner_column => 'rep');
SELECT * FROM attainment('quarter', '2025-01-01', 'att_deals', history_periods => -1);
SELECT * FROM attainment('quarter', '2025-01-01', 'att_deals', report_currency => 'XYZ');

-- ---- conversion per creation cohort, from the stage history ----
CREATE TABLE cc_deals (id int PRIMARY KEY, owner text);
INSERT INTO cc_deals VALUES (1, 'ann'), (2, 'ann'), (3, 'ann'), (4, 'cat'), (5, 'cat'), (6, 'dan');
-- recorded moves with their real times (as an import would bring them)
INSERT INTO stage_history (table_name, entity_id, model, from_stage, to_stage, changed_at) VALUES
	('cc_deals', '1', 'crm_sales.sales_stage', NULL, 'lead_generation', '2025-01-05'),
	('cc_deals', '1', 'crm_sales.sales_stage', 'lead_generation', 'proposal', '2025-01-20'),
	('cc_deals', '1', 'crm_sales.sales_stage', 'proposal', 'closed_won', '2025-02-10'),
	('cc_deals', '2', 'crm_sales.sales_stage', NULL, 'lead_generation', '2025-01-07'),
	('cc_deals', '2', 'crm_sales.sales_stage', 'lead_generation', 'closed_lost', '2025-01-09'),
	('cc_deals', '3', 'crm_sales.sales_stage', NULL, 'lead_generation', '2025-02-01'),
	('cc_deals', '3', 'crm_sales.sales_stage', 'lead_generation', 'initial_contact', '2025-02-03'),
	('cc_deals', '4', 'crm_sales.sales_stage', NULL, 'lead_generation', '2025-01-25'),
	('cc_deals', '4', 'crm_sales.sales_stage', 'lead_generation', 'needs_analysis', '2025-01-28'),
	('cc_deals', '4', 'crm_sales.sales_stage', 'needs_analysis', 'closed_lost', '2025-03-01'),
	('cc_deals', '5', 'crm_sales.sales_stage', NULL, 'lead_generation', '2025-02-20'),
	('cc_deals', '5', 'crm_sales.sales_stage', 'lead_generation', 'closed_won', '2025-03-02'),
	('cc_deals', '6', 'crm_sales.sales_stage', NULL, 'lead_generation', '2025-01-31');
-- January cohort: deals 1, 2 (ann), 4 (cat), 6 (dan); February: 3 (ann), 5 (cat).
-- By owner, January: ann created 2; reached lead 2, initial_contact..proposal 1
-- (deal 1 skipped to proposal: it reached every stage before it), won 1;
-- cat: 1 created, reached needs_analysis, lost; dan: 1, lead only.
SELECT cohort, group_name, stage, created, reached, round(reached_share::numeric, 4) AS share, won
  FROM cohort_conversion('crm_sales.sales_stage', 'cc_deals')
 WHERE stage IN ('lead_generation', 'initial_contact', 'proposal', 'closed_won')
 ORDER BY cohort, group_name, "position";
-- by team (cat was in APAC on 2025-01-25 and 2025-02-20: before the 15th
-- she was APAC's, after it EMEA North's): January APAC = cat + dan
SELECT cohort, group_name, created, won FROM cohort_conversion('crm_sales.sales_stage', 'cc_deals', group_by => 'team')
 WHERE stage = 'lead_generation' ORDER BY cohort, group_name;
-- all together per quarter: 6 created, 2 won (1 and 5)
SELECT cohort, group_name, stage, created, reached, won, round(win_rate::numeric, 4) AS win_rate
  FROM cohort_conversion('crm_sales.sales_stage', 'cc_deals', 'quarter', group_by => 'all') ORDER BY "position";
SELECT * FROM cohort_conversion('crm_sales.sales_stage', 'cc_deals', group_by => 'region');
SELECT * FROM cohort_conversion('crm_sales.sales_stage', 'cc_deals', id_column => 'nope');
SELECT * FROM cohort_conversion('no_such_model_type', 'cc_deals');
