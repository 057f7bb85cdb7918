-- Enforced stage transitions on a distributed table (after models.sql,
-- whose user model deal_stage, applied cluster-wide, forbids
-- lead_generation -> closed_won).  The same statements run against
-- "pipeline", distributed over 32 shards with enforce_transition checking
-- on the workers and distribute_history() recording there, and against
-- "pipeline_local", a plain table whose enforce_transition records in
-- crm_sales.stage_history: the history functions must give the same
-- answers.  Each check prints "ok|..." or "not ok|...|detail".
\set ON_ERROR_STOP on

SET citus.enable_unsafe_triggers = on;
CREATE TABLE pipeline (id bigint PRIMARY KEY, region text, amount numeric,
					   stage deal_stage NOT NULL DEFAULT 'lead_generation');
CREATE TRIGGER pipeline_stage BEFORE INSERT OR UPDATE OF stage ON pipeline
	FOR EACH ROW EXECUTE FUNCTION crm_sales.enforce_transition('stage');
SELECT create_distributed_table('pipeline', 'id') IS NULL AS distributed \gset
RESET citus.enable_unsafe_triggers;
SELECT crm_sales.distribute_history('pipeline', 'stage', 'id') AS history_table \gset
CREATE TABLE pipeline_local (LIKE pipeline INCLUDING DEFAULTS);
CREATE TRIGGER pipeline_stage BEFORE INSERT OR UPDATE OF stage ON pipeline_local
	FOR EACH ROW EXECUTE FUNCTION crm_sales.enforce_transition('stage', 'id');

SELECT citus_suite.check(:'history_table' = 'pipeline_stage_history'
	AND (SELECT colocation_id FROM public.citus_tables WHERE table_name = 'pipeline'::regclass)
		= (SELECT colocation_id FROM public.citus_tables WHERE table_name = 'pipeline_stage_history'::regclass),
	'distribute_history() made pipeline_stage_history, distributed and co-located with pipeline');

-- the same legal moves on both tables, statement by statement
CREATE FUNCTION citus_suite.both(stmt text) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
	EXECUTE replace(stmt, '{t}', 'pipeline');
	EXECUTE replace(stmt, '{t}', 'pipeline_local');
END $$;
SELECT citus_suite.both($$INSERT INTO {t} (id, region, amount)
	SELECT i, (ARRAY['north', 'east', 'south', 'west'])[1 + i % 4], i * 10 FROM generate_series(1, 400) i$$);
SELECT citus_suite.both($$UPDATE {t} SET stage = 'initial_contact' WHERE id % 10 < 8$$);
SELECT citus_suite.both($$UPDATE {t} SET stage = 'closed_lost' WHERE id % 10 = 8$$);
SELECT citus_suite.both($$UPDATE {t} SET stage = 'needs_analysis' WHERE id % 10 < 6$$);
SELECT citus_suite.both($$UPDATE {t} SET stage = 'proposal' WHERE id % 10 < 4$$);
SELECT citus_suite.both($$UPDATE {t} SET stage = 'closed_lost' WHERE id % 10 = 4$$);
SELECT citus_suite.both($$UPDATE {t} SET stage = 'negotiation' WHERE id % 10 < 2$$);
SELECT citus_suite.both($$UPDATE {t} SET stage = 'closed_won' WHERE id % 10 = 0 AND id % 20 = 0$$);
SELECT citus_suite.both($$UPDATE {t} SET stage = 'closed_lost' WHERE id % 10 = 1$$);
SELECT citus_suite.both($$UPDATE {t} SET stage = 'lead_generation' WHERE id % 10 = 8$$);
SELECT citus_suite.both($$UPDATE {t} SET stage = 'closed_won' WHERE id % 10 = 2 AND id % 3 = 0$$);
-- staying in a stage is no move
SELECT citus_suite.both($$UPDATE {t} SET stage = stage WHERE id <= 50$$);

-- illegal moves, refused on the workers and reported on the coordinator:
-- lead_generation -> closed_won is forbidden in deal_stage only by the
-- config apply_config_cluster_wide() brought to the workers; closed_won is
-- final in every model
CREATE FUNCTION citus_suite.sqlstate_of(q text) RETURNS text LANGUAGE plpgsql AS $$
BEGIN
	EXECUTE q;
	RETURN 'no error';
EXCEPTION WHEN OTHERS THEN
	RETURN SQLSTATE || ' ' || SQLERRM;
END $$;
SELECT citus_suite.check(e = '23514 stage transition from "lead_generation" to "closed_won" is not allowed',
	'a move forbidden by the user model''s cluster-wide config is refused with 23514', e)
  FROM citus_suite.sqlstate_of($$UPDATE pipeline SET stage = 'closed_won' WHERE id = 9$$) AS e;
SELECT citus_suite.check(e = '23514 stage transition from "closed_won" to "proposal" is not allowed',
	'a move out of a final stage is refused with 23514', e)
  FROM citus_suite.sqlstate_of($$UPDATE pipeline SET stage = 'proposal' WHERE id = 20$$) AS e;
SELECT citus_suite.check(e LIKE '23514 %',
	'a multi-shard UPDATE with one illegal move is refused whole', e)
  FROM citus_suite.sqlstate_of($$UPDATE pipeline SET stage = 'closed_won' WHERE id IN (3, 9, 13)$$) AS e;
SELECT citus_suite.check(e = '23514 a row cannot be created in stage "proposal"',
	'an INSERT in a stage that is no creation stage is refused with 23514', e)
  FROM citus_suite.sqlstate_of($$INSERT INTO pipeline (id, stage) VALUES (1000, 'proposal')$$) AS e;
SELECT citus_suite.check(
	(SELECT array_agg(stage::text ORDER BY id) FROM pipeline WHERE id IN (3, 9, 13, 20)) = '{proposal,lead_generation,proposal,closed_won}'
	AND NOT EXISTS (SELECT 1 FROM pipeline WHERE id = 1000),
	'the refused rows are unchanged');

-- legal moves recorded, on the workers, one row per move: 400 creations;
-- then by id % 10 (40 deals each): initial_contact 0-7 (320), closed_lost
-- 8 (40), needs_analysis 0-5 (240), proposal 0-3 (160), closed_lost 4
-- (40), negotiation 0-1 (80), closed_won 0 with id % 20 = 0 (20),
-- closed_lost 1 (40), lead_generation 8 (40), closed_won 2 with id % 3 = 0
-- (ids 12, 42, ..., 372: 13): 993 moves
SELECT citus_suite.check(
	(SELECT count(*) FROM pipeline_stage_history)
	= (SELECT count(*) FROM crm_sales.stage_history WHERE table_name = 'pipeline_local'::regclass)
	AND (SELECT count(*) FROM pipeline_stage_history) = 1393,
	'every legal move recorded once: as many history rows as on a single node (400 creations + 993 moves)',
	(SELECT count(*) FROM pipeline_stage_history)::text);
SELECT citus_suite.check(
	(SELECT sum(result::bigint) FROM run_command_on_shards('pipeline_stage_history', 'SELECT count(*) FROM %s'))
	= (SELECT count(*) FROM pipeline_stage_history)
	AND (SELECT array_agg(result) FROM run_command_on_workers('SELECT count(*) FROM crm_sales.stage_history')) = '{0,0}',
	'the history rows are in the worker shards of pipeline_stage_history (none in the workers'' own stage_history)');
SELECT citus_suite.check(
	(SELECT count(*) FROM pipeline p JOIN pipeline_stage_history h ON h.entity_key = p.id
	  WHERE h.id = (SELECT max(id) FROM pipeline_stage_history h2 WHERE h2.entity_key = p.id)
		AND h.to_stage = p.stage::text) = 400,
	'each deal''s last history row is its current stage');
SELECT citus_suite.check(
	(SELECT array_agg(DISTINCT table_name || ' ' || model) FROM pipeline_stage_history) = '{"public.pipeline public.deal_stage"}',
	'history rows name the distributed table and the model, not a shard');

-- the history functions over the distributed history equal single node
SELECT citus_suite.check(
	crm_sales.history_funnel('deal_stage', 'pipeline') OPERATOR(crm_sales.=)
	crm_sales.history_funnel('deal_stage', 'pipeline_local'),
	'history_funnel over the distributed history equals single node',
	crm_sales.history_funnel('deal_stage', 'pipeline')::text || ' vs '
	|| crm_sales.history_funnel('deal_stage', 'pipeline_local')::text);
SELECT citus_suite.check(
	(SELECT array_agg(c::text ORDER BY c.position) FROM crm_sales.stage_conversion('deal_stage', 'pipeline') c)
	= (SELECT array_agg(c::text ORDER BY c.position) FROM crm_sales.stage_conversion('deal_stage', 'pipeline_local') c),
	'stage_conversion over the distributed history equals single node',
	(SELECT string_agg(c::text, E'\n' ORDER BY c.position) FROM crm_sales.stage_conversion('deal_stage', 'pipeline') c));
SELECT citus_suite.check(
	(SELECT array_agg(row(f.entity_id, f.furthest_stage, f.furthest_position, f.last_stage, f.last_category)::text
					  ORDER BY f.entity_id)
	   FROM crm_sales.furthest_stages('deal_stage', 'pipeline') f)
	= (SELECT array_agg(row(f.entity_id, f.furthest_stage, f.furthest_position, f.last_stage, f.last_category)::text
						ORDER BY f.entity_id)
		 FROM crm_sales.furthest_stages('deal_stage', 'pipeline_local') f),
	'furthest_stages over the distributed history equals single node');
SELECT citus_suite.check(
	(SELECT array_agg(row(t.stage, t.visits, t.open_visits)::text ORDER BY t.position)
	   FROM crm_sales.time_in_stage('deal_stage', 'pipeline') t)
	= (SELECT array_agg(row(t.stage, t.visits, t.open_visits)::text ORDER BY t.position)
		 FROM crm_sales.time_in_stage('deal_stage', 'pipeline_local') t),
	'time_in_stage visits over the distributed history equal single node (durations are the workers'' statement times)');
SELECT citus_suite.check(
	(SELECT array_agg(p::text ORDER BY p.rank) FROM crm_sales.stage_paths('deal_stage', 'pipeline', top => 20) p)
	= (SELECT array_agg(p::text ORDER BY p.rank) FROM crm_sales.stage_paths('deal_stage', 'pipeline_local', top => 20) p),
	'stage_paths over the distributed history equals single node');
-- hand count of the funnel (the moves above): every deal's furthest path
-- stage is lead_generation or later, so reached lead_generation: 400;
-- initial_contact: classes 0-7 (320); needs_analysis 0-5 (240); proposal
-- 0-3 (160); negotiation 0-1 (80) and, reached counts being cumulative, the
-- 13 of class 2 won straight from proposal (93); closed_won 20 + 13 = 33;
-- closed_lost
-- counts deals whose furthest stage is lost: none (classes 1 and 4 reached
-- path stages first, class 8 was reopened)
SELECT citus_suite.check(
	crm_sales.history_funnel('deal_stage', 'pipeline')::text
	= 'public.deal_stage{lead_generation=400,initial_contact=320,needs_analysis=240,proposal=160,negotiation=93,closed_won=33,closed_lost=0}',
	'history_funnel equals the hand count', crm_sales.history_funnel('deal_stage', 'pipeline')::text);

-- refusals of distribute_history()
SELECT citus_suite.check(e LIKE '55000 table public.pipeline_local is not hash-distributed by Citus',
	'distribute_history() of a plain table: 55000', e)
  FROM citus_suite.sqlstate_of($$SELECT crm_sales.distribute_history('pipeline_local', 'stage', 'id')$$) AS e;
SELECT citus_suite.check(e = '42710 table public.pipeline already has a distributed stage history',
	'distribute_history() twice: 42710', e)
  FROM citus_suite.sqlstate_of($$SELECT crm_sales.distribute_history('pipeline', 'stage', 'id')$$) AS e;
SELECT citus_suite.check(e = '22023 the id column "deal_id" of table public.user_deals is not its distribution column',
	'distribute_history() with an id column that is not the distribution column: 22023', e)
  FROM citus_suite.sqlstate_of($$SELECT crm_sales.distribute_history('user_deals', 'stage', 'deal_id')$$) AS e;
SELECT citus_suite.check(e = '42704 type text is not a crm_sales model',
	'distribute_history() of a column that is not a model''s: 42704', e)
  FROM citus_suite.sqlstate_of($$SELECT crm_sales.distribute_history('user_deals', 'region', 'account_id')$$) AS e;
SELECT citus_suite.check(e = '42703 column "no_such" does not exist in table public.user_deals',
	'distribute_history() of a missing column: 42703', e)
  FROM citus_suite.sqlstate_of($$SELECT crm_sales.distribute_history('user_deals', 'no_such', 'account_id')$$) AS e;
SELECT citus_suite.check(e LIKE '55000 crm_sales.distribute_history() must run on the coordinator',
	'distribute_history() on a worker: 55000', e)
  FROM (SELECT result AS e FROM run_command_on_workers(
		$$SELECT citus_suite.sqlstate_of('SELECT crm_sales.distribute_history(''pipeline'', ''stage'', ''id'')')$$)
		 LIMIT 1) w;
