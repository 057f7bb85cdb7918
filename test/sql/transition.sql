-- transition_allowed(), the ~> operator and the stage accessors.
-- Expected values follow from the shipped models as the issue defines them
-- (see the README tables): forward moves, open -> closed_lost, reopen, etc.
\set SHOW_CONTEXT never
SET search_path = public, crm_sales;

-- A full matrix of the shipped sales model: row = from (NULL = creation)
SELECT coalesce(f::text, '(create)') AS from_stage,
       string_agg(CASE WHEN f ~> t THEN 'Y' ELSE '.' END, '' ORDER BY t) AS "lic pnwl"
  FROM unnest(array_prepend(NULL, enum_range(NULL::sales_stage))) AS f
 CROSS JOIN unnest(enum_range(NULL::sales_stage)) AS t
 GROUP BY f ORDER BY f NULLS FIRST;

-- lifecycle and contracts
SELECT coalesce(f::text, '(create)') AS from_stage,
       string_agg(CASE WHEN f ~> t THEN 'Y' ELSE '.' END, '' ORDER BY t) AS "pnlc"
  FROM unnest(array_prepend(NULL, enum_range(NULL::lifecycle_stage))) AS f
 CROSS JOIN unnest(enum_range(NULL::lifecycle_stage)) AS t
 GROUP BY f ORDER BY f NULLS FIRST;
SELECT coalesce(f::text, '(create)') AS from_stage,
       allowed_transitions(f) AS targets
  FROM unnest(array_prepend(NULL, enum_range(NULL::contract_status))) AS f
 ORDER BY f NULLS FIRST;

-- Staying is always allowed; NULL target gives NULL
SELECT 'closed_won'::sales_stage ~> 'closed_won' AS stay,
       'proposal'::sales_stage ~> NULL AS to_null,
       transition_allowed(NULL::sales_stage, NULL::sales_stage) AS both_null;

-- allowed_transitions returns an array of the enum type, in model order
SELECT allowed_transitions('needs_analysis'::sales_stage),
       pg_typeof(allowed_transitions('needs_analysis'::sales_stage)),
       allowed_transitions('closed_won'::sales_stage) AS from_won,
       allowed_transitions(NULL::sales_stage) AS creation;

-- Auditing history stored as text: the text form
SELECT transition_allowed('crm_sales.sales_stage', 'proposal', 'closed_won') AS fwd,
       transition_allowed('crm_sales.sales_stage', 'closed_won', 'proposal') AS back,
       transition_allowed('crm_sales.sales_stage', NULL, 'lead_generation') AS create_lead,
       transition_allowed('crm_sales.sales_stage', NULL, 'proposal') AS create_proposal,
       transition_allowed('crm_sales.sales_stage', 'proposal', NULL) AS to_null,
       transition_allowed(NULL, 'proposal', 'closed_won') AS no_model;
SELECT transition_allowed('crm_sales.sales_stage', 'proposal', 'signed');
SELECT transition_allowed('crm_sales.sales_stage', 'won', 'proposal');
SELECT transition_allowed('int4', 'a', 'b');
SELECT transition_allowed('pg_catalog.anyenum', 'a', 'b');

-- Accessors
SELECT s AS stage, stage_position(s) AS pos, stage_category(s) AS category,
       stage_probability(s) AS probability, stage_label(s) AS en,
       stage_label(s, 'zh') AS zh
  FROM unnest(enum_range(NULL::sales_stage)) s;
SELECT stage_probability('loyal'::lifecycle_stage) AS no_probability;
SELECT stage_label('proposal'::sales_stage, 'fr');
SELECT stage_label('proposal'::sales_stage, NULL) AS null_lang,
       stage_category(NULL::sales_stage) AS null_stage;

-- An enum that is not a model
CREATE TYPE colour AS ENUM ('red', 'green');
SELECT 'red'::colour ~> 'green';
SELECT stage_category('red'::colour);
SELECT allowed_transitions('red'::colour);

-- A domain over a model's enum: polymorphic operators need the base type
CREATE DOMAIN deal_stage_d AS sales_stage;
SELECT 'proposal'::deal_stage_d::sales_stage ~> 'negotiation' AS via_domain;

-- Enum values added behind the model's back are reported, not guessed
CREATE TYPE t_stage AS ENUM ('a', 'b');
SELECT crm_sales.register_model('t_stage');
SELECT crm_sales.allow_transition('t_stage', 'a', 'b');
ALTER TYPE t_stage ADD VALUE 'c';
SELECT 'a'::t_stage ~> 'b' AS a_b;
SELECT 'a'::t_stage ~> 'c';
SELECT allowed_transitions('c'::t_stage);

-- The cache follows model changes within the session
SELECT 'b'::t_stage ~> 'a' AS before_allow;
SELECT crm_sales.allow_transition('t_stage', 'b', 'a');
SELECT 'b'::t_stage ~> 'a' AS after_allow;
BEGIN;
SELECT crm_sales.forbid_transition('t_stage', 'b', 'a');
SELECT 'b'::t_stage ~> 'a' AS in_txn_after_forbid;
ROLLBACK;
SELECT 'b'::t_stage ~> 'a' AS after_rollback;

-- Auditing a history table with the operator
CREATE TABLE moves (id int, from_stage sales_stage, to_stage sales_stage);
INSERT INTO moves VALUES (1, NULL, 'lead_generation'), (2, 'lead_generation', 'proposal'),
  (3, 'proposal', 'initial_contact'), (4, 'closed_won', 'closed_lost'), (5, NULL, 'proposal'),
  (6, 'closed_lost', 'lead_generation');
SELECT id, from_stage, to_stage FROM moves WHERE NOT (from_stage ~> to_stage) ORDER BY id;

-- Parallel query: workers load the models too (under the leader's snapshot)
CREATE TABLE many AS
SELECT g AS id, (enum_range(NULL::sales_stage))[1 + g % 7] AS stage
  FROM generate_series(1, 20000) g;
ANALYZE many;
SET max_parallel_workers_per_gather = 2;
SET parallel_setup_cost = 0;
SET parallel_tuple_cost = 0;
SET min_parallel_table_scan_size = 0;
EXPLAIN (COSTS OFF)
SELECT sum(stage_probability(stage)) FROM many WHERE stage ~> 'closed_lost';
-- Expected by hand: closed_lost is reachable from the 5 open stages and from
-- itself, i.e. g % 7 in 0..4 and 6.  g = 1..19999 gives each residue 2857
-- times, g = 20000 adds residue 1.  count = 20000 - 2857 = 17143; weighted =
-- 2857 * (.1+.2+.4+.6+.8+0) + .2 = 5999.9; open = 5 * 2857 + 1 = 14286
SELECT count(*), sum(stage_probability(stage))::numeric(12, 4) AS weighted,
       count(*) FILTER (WHERE stage_category(stage) = 'open') AS open_deals,
       count(*) FILTER (WHERE cardinality(allowed_transitions(stage)) = 0) AS final
  FROM many WHERE stage ~> 'closed_lost';
SET force_parallel_mode = on;
SELECT stage_label('proposal'::sales_stage, 'zh'),
       transition_allowed('crm_sales.sales_stage', 'proposal', 'closed_won');
RESET force_parallel_mode;
RESET max_parallel_workers_per_gather;
RESET parallel_setup_cost;
RESET parallel_tuple_cost;
RESET min_parallel_table_scan_size;
DROP TABLE many;

-- Labels with a SELECT from the config tables (for BI tools)
SELECT stage, label_en, label_zh FROM crm_sales.stage
 WHERE model = 'crm_sales.lifecycle_stage'::regtype ORDER BY position;

DROP TABLE moves;
DROP DOMAIN deal_stage_d;
DROP TYPE colour;
RESET search_path;

-- The model loader does not take operators from the caller's search_path:
-- an always-true "=" on regtype in a schema searched before pg_catalog
-- would make every model's stages look like this model's.
CREATE SCHEMA evil;
CREATE FUNCTION evil.always(regtype, regtype) RETURNS boolean LANGUAGE sql AS 'SELECT true';
CREATE OPERATOR evil.= (LEFTARG = regtype, RIGHTARG = regtype, FUNCTION = evil.always);
SET search_path = evil, pg_catalog, public, crm_sales;
SELECT crm_sales.set_probability('crm_sales.sales_stage', 'proposal', 0.60);	-- its shipped value; reloads the cache
SELECT crm_sales.stage_position('closed_won'::crm_sales.sales_stage) AS won_position,	-- 6
	   crm_sales.allowed_transitions('lead_generation'::crm_sales.sales_stage) AS from_lead;
-- the model's stage list: the 7 sales stages only
SELECT 'crm_sales.sales_stage{}'::crm_sales.funnel;
SELECT crm_sales.transition_allowed('crm_sales.sales_stage', 'prospect', 'new');
RESET search_path;
DROP SCHEMA evil CASCADE;
