-- stage_paths: the top N journeys through the stages from stage_history.
-- History rows written with chosen times; expected counts worked out by
-- hand below.
\set SHOW_CONTEXT never
SET search_path = public, crm_sales;
CREATE TABLE pdeals (id text PRIMARY KEY);
-- A, B, C: lead -> contact -> won; D, E: lead -> contact -> lost;
-- F: lead -> lost -> lead (re-entered) -> contact; G: created lost;
-- H: lead at the same instant as contact (ids order them: lead first)
INSERT INTO crm_sales.stage_history (table_name, entity_id, model, from_stage, to_stage, changed_at)
SELECT 'pdeals', e, 'crm_sales.sales_stage', NULL, s, t::timestamptz
  FROM (VALUES
	('A', 'lead_generation', '2026-01-01'), ('A', 'initial_contact', '2026-01-02'), ('A', 'closed_won', '2026-01-03'),
	('B', 'lead_generation', '2026-01-01'), ('B', 'initial_contact', '2026-01-05'), ('B', 'closed_won', '2026-01-09'),
	('C', 'lead_generation', '2026-02-01'), ('C', 'initial_contact', '2026-02-02'), ('C', 'closed_won', '2026-02-03'),
	('D', 'lead_generation', '2026-01-01'), ('D', 'initial_contact', '2026-01-02'), ('D', 'closed_lost', '2026-01-03'),
	('E', 'lead_generation', '2026-01-04'), ('E', 'initial_contact', '2026-01-05'), ('E', 'closed_lost', '2026-01-06'),
	('F', 'lead_generation', '2026-01-01'), ('F', 'closed_lost', '2026-01-02'), ('F', 'lead_generation', '2026-01-03'),
	('F', 'initial_contact', '2026-01-04'),
	('G', 'closed_lost', '2026-01-01'),
	('H', 'lead_generation', '2026-01-01'), ('H', 'initial_contact', '2026-01-01')) v(e, s, t);
-- 8 entities: lead>contact>won 3 (0.375), lead>contact>lost 2 (0.25), then
-- 1 each (0.125), ties ordered by the path's text order
SELECT * FROM stage_paths('crm_sales.sales_stage', 'pdeals');
-- top 2; a time range keeps the moves made in it: since Feb only C's moves
SELECT * FROM stage_paths('crm_sales.sales_stage', 'pdeals', top => 2);
SELECT * FROM stage_paths('crm_sales.sales_stage', 'pdeals', since => '2026-02-01');
-- every entity counts once: the counts add up to the entities
SELECT sum(entities) AS "8", sum(share) AS "1" FROM stage_paths('crm_sales.sales_stage', 'pdeals', top => 100);
-- the links of the top paths, for a Sankey diagram: (step, from, to, entities)
SELECT k AS step, p.path[k] AS from_stage, p.path[k + 1] AS to_stage, sum(p.entities) AS entities
  FROM stage_paths('crm_sales.sales_stage', 'pdeals', top => 3) p,
	   generate_series(1, array_length(p.path, 1) - 1) k
 GROUP BY 1, 2, 3 ORDER BY 1, 2, 3;
-- errors: top < 1 is 22023; a type that is not a model is refused as elsewhere
SELECT * FROM stage_paths('crm_sales.sales_stage', 'pdeals', top => 0);
\echo :LAST_ERROR_SQLSTATE
\set VERBOSITY terse
SELECT * FROM stage_paths('pg_catalog.int4', 'pdeals');
\set VERBOSITY default
\echo :LAST_ERROR_SQLSTATE
-- no history: no rows
SELECT count(*) AS "0" FROM stage_paths('crm_sales.sales_stage', 'pdeals', since => '2030-01-01');
DELETE FROM crm_sales.stage_history WHERE table_name = 'pdeals'::regclass;
DROP TABLE pdeals;
