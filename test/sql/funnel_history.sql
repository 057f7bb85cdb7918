-- Funnels, conversion and time in stage computed from crm_sales.stage_history.
-- The history rows are written here with chosen times, so every expected
-- number is worked out by hand in the comments.
\set SHOW_CONTEXT never
SET search_path = public, crm_sales;

CREATE TABLE hdeals (id text PRIMARY KEY);
-- A: lead -> contact (+1d) -> needs (+3d) -> proposal (+4d) -> lost (+6d)
-- B: lead -> contact (+2d) -> won (+5d)
-- C: lead (Jan 2), still open
-- D: created lost (Jan 3)
-- E: lead -> contact (Jan 2) -> lost (Jan 3) -> lead (Jan 10) -> contact (Jan 12)
INSERT INTO crm_sales.stage_history (table_name, entity_id, model, from_stage, to_stage, changed_at) VALUES
	('hdeals', 'A', 'crm_sales.sales_stage', NULL, 'lead_generation', '2026-01-01 00:00+00'),
	('hdeals', 'A', 'crm_sales.sales_stage', 'lead_generation', 'initial_contact', '2026-01-02 00:00+00'),
	('hdeals', 'A', 'crm_sales.sales_stage', 'initial_contact', 'needs_analysis', '2026-01-04 00:00+00'),
	('hdeals', 'A', 'crm_sales.sales_stage', 'needs_analysis', 'proposal', '2026-01-05 00:00+00'),
	('hdeals', 'A', 'crm_sales.sales_stage', 'proposal', 'closed_lost', '2026-01-07 00:00+00'),
	('hdeals', 'B', 'crm_sales.sales_stage', NULL, 'lead_generation', '2026-01-01 00:00+00'),
	('hdeals', 'B', 'crm_sales.sales_stage', 'lead_generation', 'initial_contact', '2026-01-03 00:00+00'),
	('hdeals', 'B', 'crm_sales.sales_stage', 'initial_contact', 'closed_won', '2026-01-06 00:00+00'),
	('hdeals', 'C', 'crm_sales.sales_stage', NULL, 'lead_generation', '2026-01-02 00:00+00'),
	('hdeals', 'D', 'crm_sales.sales_stage', NULL, 'closed_lost', '2026-01-03 00:00+00'),
	('hdeals', 'E', 'crm_sales.sales_stage', NULL, 'lead_generation', '2026-01-01 00:00+00'),
	('hdeals', 'E', 'crm_sales.sales_stage', 'lead_generation', 'initial_contact', '2026-01-02 00:00+00'),
	('hdeals', 'E', 'crm_sales.sales_stage', 'initial_contact', 'closed_lost', '2026-01-03 00:00+00'),
	('hdeals', 'E', 'crm_sales.sales_stage', 'closed_lost', 'lead_generation', '2026-01-10 00:00+00'),
	('hdeals', 'E', 'crm_sales.sales_stage', 'lead_generation', 'initial_contact', '2026-01-12 00:00+00');

-- furthest path stage: A proposal, B won, C lead, D lost (only lost), E contact
SELECT entity_id, furthest_stage, furthest_position, last_stage, last_category
  FROM furthest_stages('crm_sales.sales_stage', 'hdeals') ORDER BY entity_id;

-- reached: lead A,B,C,E = 4; contact A,B,E = 3; needs and proposal A,B = 2;
-- negotiation B = 1; won B = 1; lost D = 1
SELECT history_funnel('crm_sales.sales_stage', 'hdeals');
-- only moves from Jan 5 on: A proposal (Jan 5) and lost (Jan 7), B won
-- (Jan 6), E lead+contact -> furthest A proposal, B won, E contact:
-- lead 3, contact 3, needs and proposal 2 (A,B), negotiation and won 1 (B),
-- lost 0
SELECT history_funnel('crm_sales.sales_stage', 'hdeals', since => '2026-01-05 00:00+00');
-- nothing recorded in the range: NULL
SELECT history_funnel('crm_sales.sales_stage', 'hdeals', until => '2025-01-01') IS NULL AS empty;
SELECT history_funnel('pg_catalog.int4', 'hdeals');
\echo :LAST_ERROR_SQLSTATE

-- From real moves (first entry into each stage):
-- lead: entered A,B,C,E = 4; moved on A,B,E = 3; won B; lost A,E -> 0.75, 0.25
-- contact: A,B,E = 3; moved on A,B (E never got past contact) = 2; won 1; lost 2
-- needs: A; moved on 1; lost 1.  proposal: A; moved on 0; lost 1.
-- negotiation: nobody (rates NULL).  won: B; won 1.  lost: A,D,E = 3, lost 3.
SELECT "position", stage, entered, moved_on, won, lost,
	   round(conversion_to_later::numeric, 4) AS conversion_to_later,
	   round(win_rate::numeric, 4) AS win_rate
  FROM stage_conversion('crm_sales.sales_stage', 'hdeals');

-- Time in stage (visit = move into the stage until the next move):
-- lead: A 1d, B 2d, C open, E 1d, E 2d -> 5 visits, 1 open, mean 1.5d,
--       median of (1,1,2,2) 1.5d, p90 at 0.9*3 = 2.7 -> 2d
-- contact: A 2d, B 3d, E 1d, E open -> 4 visits, 1 open, mean 2d, median 2d,
--       p90 at 0.9*2 = 1.8 -> 2d + 0.8d = 2d 19:12
-- needs: A 1d.  proposal: A 2d.  negotiation: none.  won: B open.
-- lost: A open, D open, E 7d -> 3 visits, 2 open, 7d
SELECT "position", stage, visits, open_visits, mean, median, p90
  FROM time_in_stage('crm_sales.sales_stage', 'hdeals');
-- visits starting from Jan 10 on: lead E 2d, contact E open
SELECT stage, visits, open_visits, mean FROM time_in_stage('crm_sales.sales_stage', 'hdeals', since => '2026-01-10 00:00+00')
 WHERE visits > 0;

-- the move counts, e.g. for a Sankey diagram
SELECT from_stage, to_stage, moves, entities FROM stage_flow
 WHERE table_name = 'hdeals'::regclass ORDER BY from_stage NULLS FIRST, to_stage;

-- with the real trigger: history written by enforce_transition feeds the same functions
CREATE TABLE tdeals (id serial PRIMARY KEY, stage sales_stage, amount numeric, contact_name text, proposal_doc text, close_reason text);
CREATE TRIGGER t BEFORE INSERT OR UPDATE OF stage ON tdeals
	FOR EACH ROW EXECUTE FUNCTION crm_sales.enforce_transition('stage', 'id');
INSERT INTO tdeals (stage, contact_name) SELECT 'lead_generation', 'x' FROM generate_series(1, 4);
UPDATE tdeals SET stage = 'initial_contact' WHERE id <= 3;
UPDATE tdeals SET stage = 'closed_lost', close_reason = 'price' WHERE id = 3;
-- furthest: 1, 2 contact; 3 contact (then lost); 4 lead -> lead 4, contact 3
SELECT history_funnel('crm_sales.sales_stage', 'tdeals');
SELECT stage, entered, moved_on FROM stage_conversion('crm_sales.sales_stage', 'tdeals') WHERE entered > 0;
