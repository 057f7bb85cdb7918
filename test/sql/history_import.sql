-- crm_sales.import_history(): historical moves (another CRM's history,
-- back-dated corrections) checked against the model per entity in time
-- order, after the entity's recorded history; all or nothing; the error
-- names the earliest illegal move.  Expected outcomes follow from the
-- shipped sales model (docs/stage_models.md) and the rules of the
-- function's documentation; the history rows are listed whole.
\set SHOW_CONTEXT never
SET search_path = public, crm_sales;
SET TimeZone = 'UTC';
SET DateStyle = 'ISO, YMD';

CREATE TABLE legacy_deals (id int PRIMARY KEY, stage sales_stage, moved_at timestamptz);
SELECT enforce_stages('legacy_deals', 'stage', 'id', 'moved_at');

-- Two deals, the moves given in no particular order: each entity's moves
-- are checked and written in time order.  changed_by NULL is the importer.
SELECT import_history('crm_sales.sales_stage', ARRAY[
	ROW('legacy_deals', '2', 'lead_generation', 'closed_lost', '2024-02-10 12:00+00', 'li.wei'),
	ROW('legacy_deals', '1', 'needs_analysis', 'proposal', '2024-01-20 09:00+00', 'anna'),
	ROW('legacy_deals', '1', NULL, 'lead_generation', '2024-01-02 09:00+00', 'anna'),
	ROW('legacy_deals', '2', NULL, 'lead_generation', '2024-02-01 08:00+00', NULL),
	ROW('legacy_deals', '1', 'lead_generation', 'needs_analysis', '2024-01-05 16:30+00', 'anna')
]::stage_move[]);
SELECT entity_id, from_stage, to_stage, changed_at,
	   CASE WHEN changed_by = current_user THEN '(importer)' ELSE changed_by END AS changed_by
  FROM stage_history WHERE table_name = 'legacy_deals'::regclass ORDER BY id;
-- the imported history feeds the history functions: deal 1 spent 3d 7:30
-- in lead_generation and 14d 16:30 in needs_analysis, deal 2 9d 4:00 in
-- lead_generation, so lead_generation's mean is (3d 7:30 + 9d 4:00) / 2 =
-- 6d 5:45; the visits of proposal and closed_lost are still open
SELECT stage, visits, open_visits, mean FROM time_in_stage('crm_sales.sales_stage', 'legacy_deals')
 WHERE visits > 0;

-- A second batch continues each entity where its history ends
SELECT import_history('crm_sales.sales_stage', ARRAY[
	ROW('legacy_deals', '1', 'proposal', 'negotiation', '2024-02-01 10:00+00', 'anna'),
	ROW('legacy_deals', '2', 'closed_lost', 'lead_generation', '2024-03-01 10:00+00', 'li.wei')
]::stage_move[]);
-- and so does the trigger, once the rows are live (loaded in their current
-- stage with enforcement off, which records nothing): a move dated before
-- the imported history is refused
SET crm_sales.enforce_transitions = off;
INSERT INTO legacy_deals VALUES (1, 'negotiation', '2024-02-01 10:00+00');
RESET crm_sales.enforce_transitions;
UPDATE legacy_deals SET stage = 'closed_won', moved_at = '2024-01-31 00:00+00' WHERE id = 1;
\echo :LAST_ERROR_SQLSTATE
UPDATE legacy_deals SET stage = 'closed_won', moved_at = '2024-02-20 15:00+00' WHERE id = 1;
SELECT entity_id, from_stage, to_stage, changed_at FROM stage_history
 WHERE table_name = 'legacy_deals'::regclass AND changed_at >= '2024-02-01' ORDER BY id;

-- Illegal moves: nothing is imported and the error names the earliest one.
-- Here entity 3's reopen of a won deal (Mar 5) is earlier than entity 4's
-- skip back (Mar 9), though it comes later in the array.
SELECT import_history('crm_sales.sales_stage', ARRAY[
	ROW('legacy_deals', '4', NULL, 'lead_generation', '2024-03-01 00:00+00', NULL),
	ROW('legacy_deals', '4', 'lead_generation', 'proposal', '2024-03-02 00:00+00', NULL),
	ROW('legacy_deals', '4', 'proposal', 'initial_contact', '2024-03-09 00:00+00', NULL),
	ROW('legacy_deals', '3', NULL, 'lead_generation', '2024-03-01 00:00+00', NULL),
	ROW('legacy_deals', '3', 'lead_generation', 'closed_won', '2024-03-03 00:00+00', NULL),
	ROW('legacy_deals', '3', 'closed_won', 'proposal', '2024-03-05 00:00+00', NULL)
]::stage_move[]);
\echo :LAST_ERROR_SQLSTATE
SELECT count(*) AS imported_3_4 FROM stage_history
 WHERE table_name = 'legacy_deals'::regclass AND entity_id IN ('3', '4');
-- a creation that is not allowed
SELECT import_history('crm_sales.sales_stage', ARRAY[
	ROW('legacy_deals', '5', NULL, 'proposal', '2024-03-01 00:00+00', NULL)]::stage_move[]);
-- the chain: a move must start where the previous one ended
SELECT import_history('crm_sales.sales_stage', ARRAY[
	ROW('legacy_deals', '5', NULL, 'lead_generation', '2024-03-01 00:00+00', NULL),
	ROW('legacy_deals', '5', 'initial_contact', 'proposal', '2024-03-02 00:00+00', NULL)]::stage_move[]);
-- ... also after the recorded history (deal 2 is in lead_generation)
SELECT import_history('crm_sales.sales_stage', ARRAY[
	ROW('legacy_deals', '2', 'closed_lost', 'lead_generation', '2024-04-01 00:00+00', NULL)]::stage_move[]);
-- an entity with moves cannot be created again (an import run twice)
SELECT import_history('crm_sales.sales_stage', ARRAY[
	ROW('legacy_deals', '2', NULL, 'lead_generation', '2024-04-01 00:00+00', NULL)]::stage_move[]);
-- an entity without moves starts with its creation
SELECT import_history('crm_sales.sales_stage', ARRAY[
	ROW('legacy_deals', '6', 'lead_generation', 'initial_contact', '2024-03-02 00:00+00', NULL)]::stage_move[]);
-- nothing earlier than the recorded history (deal 2 moved on Mar 1)
SELECT import_history('crm_sales.sales_stage', ARRAY[
	ROW('legacy_deals', '2', 'lead_generation', 'initial_contact', '2024-02-29 23:59+00', NULL)]::stage_move[]);
\echo :LAST_ERROR_SQLSTATE

-- Moves refused on their own, in the order given
SELECT import_history('crm_sales.sales_stage', ARRAY[
	ROW('legacy_deals', '7', NULL, 'lead_generation', '2024-03-01 00:00+00', NULL),
	ROW('legacy_deals', '7', 'lead_generation', 'won', '2024-03-02 00:00+00', NULL)]::stage_move[]);
\echo :LAST_ERROR_SQLSTATE
SELECT import_history('crm_sales.sales_stage', ARRAY[
	ROW('legacy_deals', '7', 'lead', 'proposal', '2024-03-02 00:00+00', NULL)]::stage_move[]);
SELECT import_history('crm_sales.sales_stage', ARRAY[
	ROW('legacy_deals', '7', 'proposal', 'proposal', '2024-03-02 00:00+00', NULL)]::stage_move[]);
\echo :LAST_ERROR_SQLSTATE
SELECT import_history('crm_sales.sales_stage', ARRAY[
	ROW('legacy_deals', '7', NULL, 'lead_generation', '2999-01-01 00:00+00', NULL)]::stage_move[]);
\echo :LAST_ERROR_SQLSTATE
SELECT import_history('crm_sales.sales_stage', ARRAY[
	ROW('legacy_deals', '7', NULL, 'lead_generation', '-infinity', NULL)]::stage_move[]);
\echo :LAST_ERROR_SQLSTATE
SELECT import_history('crm_sales.sales_stage', ARRAY[
	ROW('legacy_deals', '7', NULL, 'lead_generation', '2024-03-01 00:00+00', NULL),
	NULL]::stage_move[]);
\echo :LAST_ERROR_SQLSTATE
SELECT import_history('crm_sales.sales_stage', ARRAY[
	ROW('legacy_deals', NULL, NULL, 'lead_generation', '2024-03-01 00:00+00', NULL)]::stage_move[]);
\echo :LAST_ERROR_SQLSTATE
SELECT import_history('crm_sales.sales_stage', ARRAY[
	ROW('legacy_deals', '7', NULL, NULL, '2024-03-01 00:00+00', NULL)]::stage_move[]);
SELECT import_history('crm_sales.sales_stage', ARRAY[
	ROW('legacy_deals', '7', NULL, 'lead_generation', NULL, NULL)]::stage_move[]);
SELECT import_history('crm_sales.sales_stage', ARRAY[
	ROW(NULL, '7', NULL, 'lead_generation', '2024-03-01 00:00+00', NULL)]::stage_move[]);
SELECT import_history('crm_sales.sales_stage', ARRAY[
	ROW('legacy_deals', '7', NULL, 'lead_generation', '2024-03-01 00:00+00', NULL),
	ROW('legacy_dealz', '7', NULL, 'lead_generation', '2024-03-01 00:00+00', NULL)]::stage_move[]);
\echo :LAST_ERROR_SQLSTATE
SELECT import_history('crm_sales.sales_stage', ARRAY[
	ROW('no_schema.legacy_deals', '7', NULL, 'lead_generation', '2024-03-01 00:00+00', NULL)]::stage_move[]);
SELECT import_history('crm_sales.sales_stage', ARRAY[
	ROW('"legacy_deals', '7', NULL, 'lead_generation', '2024-03-01 00:00+00', NULL)]::stage_move[]);
\echo :LAST_ERROR_SQLSTATE
CREATE VIEW legacy_view AS SELECT * FROM legacy_deals;
SELECT import_history('crm_sales.sales_stage', ARRAY[
	ROW('legacy_view', '7', NULL, 'lead_generation', '2024-03-01 00:00+00', NULL)]::stage_move[]);
\echo :LAST_ERROR_SQLSTATE
DROP VIEW legacy_view;
-- the arguments
SELECT import_history(NULL, ARRAY[]::stage_move[]);
\echo :LAST_ERROR_SQLSTATE
SELECT import_history('crm_sales.sales_stage', NULL);
SELECT import_history('pg_catalog.int4', ARRAY[]::stage_move[]);
\echo :LAST_ERROR_SQLSTATE
CREATE TYPE colour AS ENUM ('red', 'green');
SELECT import_history('colour', ARRAY[]::stage_move[]);
\echo :LAST_ERROR_SQLSTATE
DROP TYPE colour;
SELECT import_history('crm_sales.sales_stage', ARRAY[]::stage_move[]) AS nothing;
SELECT count(*) AS history_rows FROM stage_history WHERE table_name = 'legacy_deals'::regclass;

-- One table, two models: each model's history is a chain of its own
ALTER TABLE legacy_deals ADD COLUMN lifecycle lifecycle_stage;
SELECT import_history('crm_sales.lifecycle_stage', ARRAY[
	ROW('legacy_deals', '1', NULL, 'prospect', '2024-01-01 00:00+00', NULL),
	ROW('legacy_deals', '1', 'prospect', 'new', '2024-02-20 15:00+00', NULL)]::stage_move[]);
SELECT model, from_stage, to_stage, changed_at FROM stage_history
 WHERE table_name = 'legacy_deals'::regclass AND entity_id = '1' ORDER BY model::text, changed_at, id;

-- Who may import: the extension owner, and the roles it grants EXECUTE to,
-- for the tables they may UPDATE
CREATE ROLE regress_importer;
SET ROLE regress_importer;
SELECT import_history('crm_sales.sales_stage', ARRAY[]::stage_move[]);
\echo :LAST_ERROR_SQLSTATE
RESET ROLE;
GRANT EXECUTE ON FUNCTION import_history(regtype, stage_move[]) TO regress_importer;
SET ROLE regress_importer;
SELECT import_history('crm_sales.sales_stage', ARRAY[
	ROW('legacy_deals', '8', NULL, 'lead_generation', '2024-03-01 00:00+00', NULL)]::stage_move[]);
\echo :LAST_ERROR_SQLSTATE
RESET ROLE;
GRANT UPDATE ON legacy_deals TO regress_importer;
SET ROLE regress_importer;
SELECT import_history('crm_sales.sales_stage', ARRAY[
	ROW('legacy_deals', '8', NULL, 'lead_generation', '2024-03-01 00:00+00', NULL)]::stage_move[]);
-- it does not see the history it wrote: it may not SELECT the table
SELECT count(*) FROM stage_history;
RESET ROLE;
SELECT entity_id, to_stage, changed_by FROM stage_history
 WHERE table_name = 'legacy_deals'::regclass AND entity_id = '8';

DROP TABLE legacy_deals;
REVOKE EXECUTE ON FUNCTION import_history(regtype, stage_move[]) FROM regress_importer;
DROP ROLE regress_importer;
DELETE FROM stage_history;
RESET search_path;
RESET TimeZone;
RESET DateStyle;
