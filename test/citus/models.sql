-- A user model on the cluster (after data.sql and checks.sql): the enum
-- type reaches the workers with Citus's DDL propagation, its config rows
-- and changed shipped rows with crm_sales.apply_config_cluster_wide(), and
-- its typed aggregates are aggregated on the workers.  Each check prints a
-- line "ok|..." or "not ok|...|detail" (citus_suite.check).
\set ON_ERROR_STOP on

SELECT crm_sales.copy_model('crm_sales.sales_stage', 'deal_stage') IS NOT NULL AS copied \gset
SELECT crm_sales.set_probability('deal_stage', 'proposal', 0.55);
SELECT crm_sales.set_probability('crm_sales.sales_stage', 'negotiation', 0.85);
SELECT crm_sales.forbid_transition('deal_stage', 'lead_generation', 'closed_won');
INSERT INTO crm_sales.lead_score_rule_set VALUES ('citus', 'rules for the citus suite');
INSERT INTO crm_sales.lead_score_rule (rule_set, rule_id, attribute, operator, value, points)
VALUES ('citus', 1, '{industry}', '=', '"retail"', 10);
-- a rate, a team tree, a member and a quota (performance and currency config)
INSERT INTO crm_sales.exchange_rate VALUES ('EUR', 'USD', '2026-01-01', 1.0850);
INSERT INTO crm_sales.sales_team VALUES ('emea', NULL, 'EMEA', NULL), ('dach', 'emea', 'DACH', NULL);
INSERT INTO crm_sales.team_member VALUES ('anna', 'dach', '2026-01-01', NULL);
INSERT INTO crm_sales.quota VALUES ('anna', NULL, 'month', '2026-03-01', 50000, 'EUR');

CREATE TABLE user_deals_local AS
SELECT account_id, deal_id, region, stage::text::deal_stage AS stage, amount, created_on, closed_on
  FROM deals_local;
CREATE TABLE user_deals (LIKE user_deals_local);
SELECT create_distributed_table('user_deals', 'account_id') IS NULL AS distributed \gset
INSERT INTO user_deals SELECT * FROM user_deals_local;

SELECT citus_suite.check(
	(SELECT count(*) FROM run_command_on_workers($$SELECT 'deal_stage'::regtype$$) WHERE success) = 2,
	'the user model''s enum type reached both workers (Citus DDL propagation)');
SELECT citus_suite.check(
	(SELECT count(*) FROM run_command_on_workers('SELECT citus_suite.config_digest()')
	  WHERE result = citus_suite.config_digest()) = 0,
	'before apply_config_cluster_wide() the workers have the shipped config only');
-- the workers compute with the probability they have: the old one
SELECT citus_suite.check(
	(SELECT crm_sales.weighted_pipeline(amount, stage)::text FROM deals)
	<> (SELECT crm_sales.weighted_pipeline(amount, stage)::text FROM deals_local),
	'before apply_config_cluster_wide() weighted_pipeline on the workers used the old probability');

-- the workers have no EUR->USD rate yet
SELECT citus_suite.check(
	(SELECT count(*) FROM run_command_on_workers(
		$$SELECT crm_sales.to_currency(100, 'EUR', 'USD', date '2026-03-01')$$) WHERE NOT success) = 2,
	'before apply_config_cluster_wide() to_currency on the workers finds no EUR->USD rate');

-- without typed overloads Citus cannot aggregate funnel_agg(anyenum) on
-- the workers, and the workers do not know the model yet
CREATE FUNCTION citus_suite.error_of(q text) RETURNS text LANGUAGE plpgsql AS $$
BEGIN
	EXECUTE q;
	RETURN 'no error';
EXCEPTION WHEN OTHERS THEN
	RETURN SQLERRM;
END $$;
SELECT citus_suite.check(e = 'worker_partial_agg_sfunc could not confirm type correctness',
	'before apply_config_cluster_wide(): funnel_agg(anyenum) over the user model fails in Citus''s worker_partial_agg', e)
  FROM citus_suite.error_of('SELECT crm_sales.funnel_agg(stage) FROM user_deals') AS e;
SELECT citus_suite.check(e = 'type public.deal_stage is not a crm_sales model',
	'before apply_config_cluster_wide(): pushed down to the workers, funnel_agg finds no such model there', e)
  FROM citus_suite.error_of('SELECT account_id, crm_sales.funnel_agg(stage) FROM user_deals GROUP BY 1') AS e;

SELECT citus_suite.check(
	(SELECT array_agg(rows_applied ORDER BY node_port) FROM crm_sales.apply_config_cluster_wide())
	= array_fill((SELECT sum(n) FROM (SELECT count(*) AS n FROM crm_sales.model UNION ALL
								   SELECT count(*) FROM crm_sales.stage UNION ALL
								   SELECT count(*) FROM crm_sales.transition UNION ALL
								   SELECT count(*) FROM crm_sales.lead_score_rule_set UNION ALL
								   SELECT count(*) FROM crm_sales.lead_score_rule UNION ALL
								   SELECT count(*) FROM crm_sales.forecast_adjustment UNION ALL
								   SELECT count(*) FROM crm_sales.currency UNION ALL
								   SELECT count(*) FROM crm_sales.exchange_rate UNION ALL
								   SELECT count(*) FROM crm_sales.corporate_currency UNION ALL
								   SELECT count(*) FROM crm_sales.sales_team UNION ALL
								   SELECT count(*) FROM crm_sales.team_member UNION ALL
								   SELECT count(*) FROM crm_sales.quota) c)::bigint, ARRAY[2]),
	'apply_config_cluster_wide() wrote every config row on each worker');
SELECT citus_suite.check(
	(SELECT count(*) FROM run_command_on_workers('SELECT citus_suite.config_digest()')
	  WHERE result = citus_suite.config_digest()) = 2,
	'after apply_config_cluster_wide() the config tables are identical on all three nodes',
	(SELECT string_agg(result, E'\n') FROM run_command_on_workers('SELECT citus_suite.config_digest()')));
SELECT citus_suite.check(
	(SELECT count(*) FROM run_command_on_workers(
		$$SELECT count(*) FROM pg_proc WHERE proname IN ('funnel_agg', 'weighted_pipeline', 'deal_stats')
			AND 'deal_stage'::regtype = ANY (proargtypes)$$) WHERE result = '7') = 2,
	'the typed aggregates of the user model exist on both workers');
-- 100 EUR at 1.0850 = 108.50 USD (USD has 2 minor units)
SELECT citus_suite.check(
	(SELECT count(*) FROM run_command_on_workers(
		$$SELECT crm_sales.to_currency(100, 'EUR', 'USD', date '2026-03-01')$$) WHERE result = '108.50') = 2,
	'after apply_config_cluster_wide() to_currency on both workers uses the coordinator''s rate',
	(SELECT string_agg(result, E'\n') FROM run_command_on_workers(
		$$SELECT crm_sales.to_currency(100, 'EUR', 'USD', date '2026-03-01')$$)));
-- a second call changes nothing
SELECT citus_suite.check(
	(SELECT count(*) FROM crm_sales.apply_config_cluster_wide()) = 2
	AND (SELECT count(*) FROM run_command_on_workers('SELECT citus_suite.config_digest()')
		  WHERE result = citus_suite.config_digest()) = 2,
	'apply_config_cluster_wide() again: still identical');

-- the model's rules now hold on the workers: a query pushed down to them
-- sees the changed probabilities and the forbidden move
SELECT citus_suite.check(
	(SELECT crm_sales.weighted_pipeline(amount, stage)::text FROM deals)
	= (SELECT crm_sales.weighted_pipeline(amount, stage)::text FROM deals_local),
	'after apply_config_cluster_wide() weighted_pipeline on the workers equals single node');
SELECT citus_suite.check(
	(SELECT array_agg(DISTINCT ok) FROM (
		SELECT account_id, bool_and(NOT (NULL::deal_stage OPERATOR(crm_sales.~>) 'closed_won'::deal_stage)
								AND NOT ('lead_generation'::deal_stage OPERATOR(crm_sales.~>) 'closed_won'::deal_stage)
								AND crm_sales.stage_probability('proposal'::deal_stage) = 0.55
								AND crm_sales.lead_score('citus', '{"industry": "retail"}') = 10) AS ok
		  FROM user_deals GROUP BY account_id) s) = '{t}',
	'the workers read the user model''s moves and probabilities and the lead-scoring rules');

-- a model whose enum type did not reach the workers (created with DDL
-- propagation off): apply_config_cluster_wide() creates its typed
-- aggregates, and Citus creates the type on the workers as their
-- dependency, so the config applies
SET citus.enable_ddl_propagation = off;
CREATE TYPE local_stage AS ENUM ('open', 'done');
RESET citus.enable_ddl_propagation;
SELECT crm_sales.register_model('local_stage') IS NULL AS registered \gset
SELECT citus_suite.check(
	(SELECT count(*) FROM run_command_on_workers($$SELECT to_regtype('local_stage')$$) WHERE result = '') = 2,
	'a type created with DDL propagation off is not on the workers');
SELECT citus_suite.check(e = 'no error'
	AND (SELECT count(*) FROM run_command_on_workers('SELECT citus_suite.config_digest()')
		  WHERE result = citus_suite.config_digest()) = 2,
	'apply_config_cluster_wide() brings it there with its typed aggregates and applies', e)
  FROM citus_suite.error_of('SELECT * FROM crm_sales.apply_config_cluster_wide()') AS e;

-- a worker where the config cannot be applied (here: a constraint added on
-- worker 1 only): the call fails naming it, worker 1 keeps its config,
-- worker 2 has the new one; once fixed, a second call brings both
SELECT nodeport AS worker1 FROM pg_dist_node WHERE groupid > 0 ORDER BY nodeport LIMIT 1 \gset
SELECT citus_suite.check(success, 'a constraint on worker 1 refusing more than 5 points', result)
  FROM master_run_on_worker(ARRAY['127.0.0.1'], ARRAY[:worker1],
	ARRAY['ALTER TABLE crm_sales.lead_score_rule ADD CONSTRAINT citus_suite_cap CHECK (points <= 5) NOT VALID'], false);
UPDATE crm_sales.lead_score_rule SET points = 12 WHERE rule_set = 'citus';
SELECT citus_suite.check(
	e ~ '^crm_sales config could not be applied on 1 of 2 workers',
	'apply_config_cluster_wide() fails on worker 1 only and says so', e)
  FROM citus_suite.error_of('SELECT * FROM crm_sales.apply_config_cluster_wide()') AS e;
SELECT citus_suite.check(
	array_agg(result ORDER BY nodeport) = '{10,12}',
	'worker 1 kept its config (10 points), worker 2 has the new one (12)',
	array_agg(result ORDER BY nodeport)::text)
  FROM run_command_on_workers($$SELECT points FROM crm_sales.lead_score_rule WHERE rule_set = 'citus'$$);
SELECT citus_suite.check(success, 'the constraint on worker 1 dropped', result)
  FROM master_run_on_worker(ARRAY['127.0.0.1'], ARRAY[:worker1],
	ARRAY['ALTER TABLE crm_sales.lead_score_rule DROP CONSTRAINT citus_suite_cap'], false);
SELECT citus_suite.check(
	(SELECT count(*) FROM crm_sales.apply_config_cluster_wide()) = 2
	AND (SELECT count(*) FROM run_command_on_workers('SELECT citus_suite.config_digest()')
		  WHERE result = citus_suite.config_digest()) = 2,
	'called again, it applies on both workers: identical everywhere');
