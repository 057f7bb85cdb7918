-- Scale-out helpers on a single node (sql/areas/80_scale_out.sql): the
-- typed funnel_agg / weighted_pipeline overloads per model, the config
-- snapshot and its application, and their refusals.  On a Citus cluster
-- they are tested by test/citus/citus.sh.  Expected numbers are derived by
-- hand in the comments.
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS crm_sales;
RESET client_min_messages;
\set SHOW_CONTEXT never

-- the shipped models have their typed overloads (extension members)
SELECT p.oid::regprocedure AS aggregate,
	   EXISTS (SELECT FROM pg_depend d WHERE d.classid = 'pg_proc'::regclass
				 AND d.objid = p.oid AND d.deptype = 'e') AS member
  FROM pg_proc p
 WHERE p.pronamespace = 'crm_sales'::regnamespace AND p.prokind = 'a'
   AND p.proname IN ('funnel_agg', 'weighted_pipeline')
 ORDER BY p.oid::regprocedure::text;

-- a user model: a -> b -> c -> won, lost; probabilities 0.2, 0.5, 0.9
SELECT crm_sales.create_model('scale_stage', ARRAY['a', 'b', 'c', 'won', 'lost']);
SELECT crm_sales.set_category('scale_stage', 'won', 'won'),
	   crm_sales.set_category('scale_stage', 'lost', 'lost'),
	   crm_sales.set_probability('scale_stage', 'a', 0.2),
	   crm_sales.set_probability('scale_stage', 'b', 0.5),
	   crm_sales.set_probability('scale_stage', 'c', 0.9);
CREATE TABLE scale_deals (stage scale_stage, amount numeric);
INSERT INTO scale_deals VALUES ('a', 10), ('a', 20), ('b', 100), ('c', 1000), ('c', NULL),
	('won', 5000), ('lost', 7), (NULL, 3);
-- reached (cumulative along a, b, c, won; lost counts its own):
--   a: 2 + 1 + 2 + 1 = 6 rows with a path stage, amounts 10+20+100+1000+5000 = 6130
--   b: 4 (b, c, c, won) 6100; c: 3 (c, c, won) 6000; won: 1 5000; lost: 1 7
-- weighted: won 5000 + 0.2 * 30 + 0.5 * 100 + 0.9 * 1000 = 5956; commit
-- (>= 0.8): c 1000; best case (>= 0.5): b 100; pipeline: a 30; omitted 7
CREATE TEMP TABLE before AS
SELECT crm_sales.funnel_agg(stage, amount)::text AS f, crm_sales.weighted_pipeline(amount, stage)::text AS w
  FROM scale_deals;
SELECT * FROM before;

SELECT crm_sales.create_typed_aggregates('scale_stage') AS created;
SELECT crm_sales.create_typed_aggregates('scale_stage') AS created_again;
SELECT p.oid::regprocedure AS aggregate, obj_description(p.oid, 'pg_proc') AS comment
  FROM pg_proc p
 WHERE p.proname IN ('funnel_agg', 'weighted_pipeline')
   AND 'scale_stage'::regtype = ANY (p.proargtypes::oid[])
 ORDER BY 1::text;
-- PostgreSQL now resolves the calls to the typed overloads (the view
-- depends on them) and they give the same results
CREATE VIEW scale_view AS
SELECT crm_sales.funnel_agg(stage, amount)::text AS f, crm_sales.weighted_pipeline(amount, stage)::text AS w
  FROM scale_deals;
SELECT d.refobjid::regprocedure AS uses
  FROM pg_depend d JOIN pg_rewrite r ON r.oid = d.objid
 WHERE r.ev_class = 'scale_view'::regclass AND d.refclassid = 'pg_proc'::regclass
   AND d.refobjid::regprocedure::text ~ '^crm_sales\.(funnel_agg|weighted_pipeline)'
 ORDER BY 1::text;
SELECT v.f = b.f AS same_funnel, v.w = b.w AS same_pipeline FROM scale_view v, before b;
-- with thresholds, grouped, over no rows and with only NULL stages
SELECT crm_sales.weighted_pipeline(amount, stage, 0.5, 0.2) FROM scale_deals;
SELECT stage IS NULL AS null_stage, crm_sales.funnel_agg(stage) FROM scale_deals GROUP BY 1 ORDER BY 1;
SELECT crm_sales.funnel_agg(stage) IS NULL AS no_rows FROM scale_deals WHERE false;
-- a domain over the model resolves to the typed overload too
CREATE DOMAIN scale_domain AS scale_stage;
CREATE VIEW scale_domain_view AS
SELECT crm_sales.funnel_agg(stage::scale_domain, amount)::text AS f FROM scale_deals;
SELECT d.refobjid::regprocedure AS uses
  FROM pg_depend d JOIN pg_rewrite r ON r.oid = d.objid
 WHERE r.ev_class = 'scale_domain_view'::regclass AND d.refclassid = 'pg_proc'::regclass
   AND d.refobjid::regprocedure::text ~ '^crm_sales\.funnel_agg';
SELECT v.f = b.f AS same_funnel FROM scale_domain_view v, before b;
-- the transition functions are for aggregates only
SELECT crm_sales._funnel_agg_typed_trans(NULL, 'a'::scale_stage);
-- a value of an enum that is not a model
CREATE TYPE not_a_model AS ENUM ('x');
SELECT crm_sales.funnel_agg(v) FROM (VALUES ('x'::not_a_model)) t(v);

-- refusals
SELECT crm_sales.create_typed_aggregates(NULL);
-- (terse: the detail lists the models earlier tests left)
\set VERBOSITY terse
SELECT crm_sales.create_typed_aggregates('not_a_model');
SELECT crm_sales.create_typed_aggregates('int4');
\set VERBOSITY default
SELECT crm_sales.drop_typed_aggregates(NULL);
SELECT crm_sales.drop_typed_aggregates('crm_sales.sales_stage');
-- the typed overloads depend on the type: drop them first
DROP VIEW scale_view, scale_domain_view;
DROP TABLE scale_deals;
DROP DOMAIN scale_domain;
SELECT crm_sales.drop_model('scale_stage', drop_type => true);
SELECT crm_sales.drop_typed_aggregates('scale_stage') AS dropped;
SELECT crm_sales.drop_typed_aggregates('scale_stage') AS dropped_again;
SELECT crm_sales.drop_model('scale_stage', drop_type => true);
SELECT to_regtype('scale_stage') IS NULL AS type_gone;
DROP TYPE not_a_model;

-- the config tables copied to every node of a cluster; every other table
-- of the extension stays per node (listed here so that a new table of the
-- extension shows up and gets a decision)
SELECT crm_sales._config_tables();
SELECT c.oid::regclass AS per_node
  FROM pg_class c JOIN pg_depend d ON d.classid = 'pg_class'::regclass AND d.objid = c.oid
 WHERE d.refclassid = 'pg_extension'::regclass AND d.deptype = 'e'
   AND d.refobjid = (SELECT oid FROM pg_extension WHERE extname = 'crm_sales')
   AND c.relkind IN ('r', 'p') AND c.relname <> ALL (crm_sales._config_tables())
 ORDER BY 1::text;

-- the snapshot: the version and one array per table
SELECT jsonb_object_keys(crm_sales._config_snapshot()) AS key ORDER BY 1;
SELECT crm_sales._config_snapshot()->>'version' =
	   (SELECT extversion FROM pg_extension WHERE extname = 'crm_sales') AS version_ok,
	   jsonb_array_length(crm_sales._config_snapshot()->'stage') = (SELECT count(*) FROM crm_sales.stage) AS all_stages;
-- applied to the node it came from it changes nothing (a changed shipped
-- probability and a user model survive as they are)
SELECT crm_sales.copy_model('crm_sales.sales_stage', 'scale_copy');
SELECT crm_sales.set_probability('crm_sales.sales_stage', 'proposal', 0.65);
INSERT INTO crm_sales.lead_score_rule_set VALUES ('scale', 'test');
INSERT INTO crm_sales.lead_score_rule (rule_set, rule_id, attribute, operator, value, points)
VALUES ('scale', 1, '{industry}', '=', '"retail"', 10);
CREATE TEMP TABLE snap AS SELECT crm_sales._config_snapshot() AS s;
SELECT crm_sales._apply_config(s) = (SELECT sum(jsonb_array_length(v))
									   FROM jsonb_each(s) e(k, v) WHERE k <> 'version') AS wrote_all
  FROM snap;
SELECT crm_sales._config_snapshot() = s AS unchanged FROM snap;
SELECT crm_sales.stage_probability('proposal'::crm_sales.sales_stage) AS proposal,
	   'proposal'::scale_copy OPERATOR(crm_sales.~>) 'negotiation' AS copied_moves,
	   crm_sales.lead_score('scale', '{"industry": "retail"}') AS score;
-- a config without the user model removes it from this node's tables (the
-- caches see it at once)
SELECT crm_sales._apply_config(s || jsonb_build_object(
		'model', (SELECT jsonb_agg(m) FROM jsonb_array_elements(s->'model') m WHERE m->>'model' <> 'public.scale_copy'),
		'stage', (SELECT jsonb_agg(m) FROM jsonb_array_elements(s->'stage') m WHERE m->>'model' <> 'public.scale_copy'),
		'transition', (SELECT jsonb_agg(m) FROM jsonb_array_elements(s->'transition') m WHERE m->>'model' <> 'public.scale_copy')))
	   > 0 AS applied
  FROM snap;
SELECT crm_sales.stage_probability('proposal'::scale_copy);
SELECT crm_sales._apply_config(s) > 0 AS restored FROM snap;
SELECT crm_sales.stage_probability('proposal'::scale_copy) AS restored_probability;

-- refusals of _apply_config: nothing is changed
SELECT crm_sales._apply_config(NULL);
SELECT crm_sales._apply_config('[]');
SELECT crm_sales._apply_config(s || '{"version": "0.0.1"}') FROM snap;
SELECT crm_sales._apply_config(s - 'version') FROM snap;
SELECT crm_sales._apply_config(s - 'lead_score_rule') FROM snap;
SELECT crm_sales._apply_config(jsonb_set(s, '{model}', s->'model' || '[{"model": "no_such_type", "kind": "other", "origin": "user"}]'))
  FROM snap;
SELECT crm_sales._config_snapshot() = s AS still_unchanged FROM snap;
-- only the extension owner (and whom it grants) may apply config
CREATE ROLE scale_reader;
SET ROLE scale_reader;
SELECT crm_sales._apply_config(NULL);
RESET ROLE;
DROP ROLE scale_reader;

-- without Citus there is no cluster to apply config to
SELECT * FROM crm_sales.apply_config_cluster_wide();

-- ---- stage history of distributed tables (on a cluster: test/citus) ----
CREATE TABLE scale_hist (id bigint PRIMARY KEY, stage crm_sales.sales_stage, note text);
SELECT crm_sales.distribute_history('scale_hist', 'stage', 'id');
-- the recording trigger works on any table (on Citus only the routing of
-- its INSERT differs): a table with the columns distribute_history() makes
CREATE TABLE scale_hist_history (entity_key bigint NOT NULL,
	id bigint GENERATED BY DEFAULT AS IDENTITY, table_name text NOT NULL,
	entity_id text NOT NULL, model text NOT NULL, from_stage text, to_stage text NOT NULL,
	changed_at timestamptz NOT NULL, changed_by name NOT NULL, PRIMARY KEY (entity_key, id));
CREATE TRIGGER h AFTER INSERT OR UPDATE OF stage ON scale_hist FOR EACH ROW
	EXECUTE FUNCTION crm_sales._distributed_history_record('stage', 'id', 'public.scale_hist_history', 'public.scale_hist');
-- creations (a NULL stage is none), a move, the same stage (no move), a
-- first stage given later (a creation), an UPDATE not of the stage
INSERT INTO scale_hist VALUES (1, 'lead_generation'), (2, NULL), (3, 'initial_contact');
UPDATE scale_hist SET stage = 'proposal' WHERE id = 1;
UPDATE scale_hist SET stage = stage;
UPDATE scale_hist SET stage = 'needs_analysis' WHERE id = 2;
UPDATE scale_hist SET note = 'x';
SELECT entity_key, table_name, entity_id, model, from_stage, to_stage,
	   changed_by = current_user AS by_me, changed_at < statement_timestamp() AS earlier
  FROM scale_hist_history ORDER BY entity_key, id;
-- changed_at is the time of the statement that made the move: 3 statements
SELECT count(DISTINCT changed_at) AS statements FROM scale_hist_history;
-- registered, it is read by the history functions: furthest stages 1
-- proposal, 2 needs_analysis, 3 initial_contact, so reached lead_generation
-- and initial_contact 3, needs_analysis 2, proposal 1
INSERT INTO crm_sales.distributed_history
VALUES ('scale_hist', 'scale_hist_history', 'crm_sales.sales_stage', 'stage', 'id');
SELECT crm_sales.history_funnel('crm_sales.sales_stage', 'scale_hist');
SELECT entity_id, furthest_stage, furthest_position, last_stage, last_category
  FROM crm_sales.furthest_stages('crm_sales.sales_stage', 'scale_hist') ORDER BY entity_id;
-- entered: each stage once (lead_generation by 1, which moved on)
SELECT stage, entered, moved_on, won, lost FROM crm_sales.stage_conversion('crm_sales.sales_stage', 'scale_hist')
 WHERE entered > 0 ORDER BY position;
-- visits: lead_generation ended by the move to proposal; the others open
SELECT stage, visits, open_visits FROM crm_sales.time_in_stage('crm_sales.sales_stage', 'scale_hist')
 WHERE visits > 0 ORDER BY position;
-- a role that may not read the history table sees none of it
CREATE ROLE scale_viewer;
GRANT SELECT ON scale_hist TO scale_viewer;
SET ROLE scale_viewer;
SELECT crm_sales.history_funnel('crm_sales.sales_stage', 'scale_hist') IS NULL AS sees_nothing;
RESET ROLE;
REVOKE SELECT ON scale_hist FROM scale_viewer;
DROP ROLE scale_viewer;
-- while enforce_transitions is off (imports) nothing is recorded
SET crm_sales.enforce_transitions = off;
UPDATE scale_hist SET stage = 'negotiation' WHERE id = 1;
RESET crm_sales.enforce_transitions;
SELECT count(*) AS rows_recorded FROM scale_hist_history;
-- misuse
CREATE TRIGGER bad BEFORE UPDATE ON scale_hist FOR EACH ROW
	EXECUTE FUNCTION crm_sales._distributed_history_record('stage', 'id', 'public.scale_hist_history', 'public.scale_hist');
UPDATE scale_hist SET stage = 'closed_won' WHERE id = 1;
DROP TRIGGER bad ON scale_hist;
CREATE TRIGGER bad AFTER UPDATE ON scale_hist FOR EACH ROW
	EXECUTE FUNCTION crm_sales._distributed_history_record('stage', 'id');
UPDATE scale_hist SET stage = 'closed_won' WHERE id = 1;
DROP TRIGGER bad ON scale_hist;
CREATE TRIGGER bad AFTER UPDATE ON scale_hist FOR EACH ROW
	EXECUTE FUNCTION crm_sales._distributed_history_record('stage', 'id', 'scale_hist_history', 'public.scale_hist');
UPDATE scale_hist SET stage = 'closed_won' WHERE id = 1;
DROP TRIGGER bad ON scale_hist;
CREATE TRIGGER bad AFTER UPDATE ON scale_hist FOR EACH ROW
	EXECUTE FUNCTION crm_sales._distributed_history_record('note', 'id', 'public.scale_hist_history', 'public.scale_hist');
UPDATE scale_hist SET note = 'y' WHERE id = 1;
DROP TRIGGER bad ON scale_hist;
ALTER TABLE scale_hist DROP CONSTRAINT scale_hist_pkey, ALTER COLUMN id DROP NOT NULL;
INSERT INTO scale_hist VALUES (NULL, 'lead_generation');
-- a registered history whose table is gone is skipped
DROP TABLE scale_hist_history;
SELECT crm_sales.history_funnel('crm_sales.sales_stage', 'scale_hist') IS NULL AS nothing_left;
DELETE FROM crm_sales.distributed_history;
DROP TABLE scale_hist;

-- clean up
DELETE FROM crm_sales.lead_score_rule_set WHERE rule_set = 'scale';
SELECT crm_sales.set_probability('crm_sales.sales_stage', 'proposal', 0.6);
SELECT crm_sales.drop_model('scale_copy', drop_type => true);
