--------------------------------------------------------------------------
-- Scale-out on Citus (src/scale_out.c, docs/scale_out.md)
--------------------------------------------------------------------------

-- Citus aggregates on its workers (worker_partial_agg) only an aggregate
-- whose declared argument types equal the call's, never one over anyenum.
-- So each model gets funnel_agg and weighted_pipeline overloads over its
-- own enum type, which PostgreSQL prefers to the anyenum ones; their
-- transition functions find the enum type without an expression tree.
CREATE FUNCTION _funnel_agg_typed_trans(funnel, anyenum) RETURNS funnel
	AS 'MODULE_PATHNAME', 'crm_funnel_agg_typed_trans' LANGUAGE C STABLE PARALLEL SAFE;
CREATE FUNCTION _funnel_agg_typed_trans(funnel, anyenum, numeric) RETURNS funnel
	AS 'MODULE_PATHNAME', 'crm_funnel_agg_typed_trans' LANGUAGE C STABLE PARALLEL SAFE;
CREATE FUNCTION _weighted_pipeline_typed_trans(pipeline_state, numeric, anyenum)
RETURNS pipeline_state
	AS 'MODULE_PATHNAME', 'crm_weighted_pipeline_typed_trans' LANGUAGE C STABLE PARALLEL SAFE;
CREATE FUNCTION _weighted_pipeline_typed_trans(pipeline_state, numeric, anyenum, numeric, numeric)
RETURNS pipeline_state
	AS 'MODULE_PATHNAME', 'crm_weighted_pipeline_typed_trans' LANGUAGE C STABLE PARALLEL SAFE;
COMMENT ON FUNCTION _funnel_agg_typed_trans(funnel, anyenum) IS
	'crm_sales: transition of funnel_agg over a model''s own enum type (also without an expression tree, as Citus calls it)';
COMMENT ON FUNCTION _funnel_agg_typed_trans(funnel, anyenum, numeric) IS
	'crm_sales: transition of funnel_agg over a model''s own enum type, with amounts (also without an expression tree, as Citus calls it)';
COMMENT ON FUNCTION _weighted_pipeline_typed_trans(pipeline_state, numeric, anyenum) IS
	'crm_sales: transition of weighted_pipeline over a model''s own enum type (also without an expression tree, as Citus calls it)';
COMMENT ON FUNCTION _weighted_pipeline_typed_trans(pipeline_state, numeric, anyenum, numeric, numeric) IS
	'crm_sales: transition of weighted_pipeline over a model''s own enum type, with thresholds (also without an expression tree, as Citus calls it)';

-- Create the model's typed overloads (funnel_agg, weighted_pipeline,
-- deal_stats) in the schema crm_sales, those that do not exist yet; returns
-- how many were created.
CREATE FUNCTION create_typed_aggregates(model regtype) RETURNS integer
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE
	r crm_sales.model := crm_sales._model_check(model);
	created integer := 0;
	a record;
BEGIN
	FOR a IN
		SELECT * FROM (VALUES
			('funnel_agg', '%1$s', '_funnel_agg_typed_trans', 'funnel', 'funnel_add', NULL,
			 'crm_sales: funnel_agg over %1$s, which Citus can aggregate on its workers'),
			('funnel_agg', '%1$s, numeric', '_funnel_agg_typed_trans', 'funnel', 'funnel_add', NULL,
			 'crm_sales: funnel_agg over %1$s with amounts, which Citus can aggregate on its workers'),
			('weighted_pipeline', 'numeric, %1$s', '_weighted_pipeline_typed_trans',
			 'pipeline_state', '_weighted_pipeline_combine', '_weighted_pipeline_final',
			 'crm_sales: weighted_pipeline over %1$s, which Citus can aggregate on its workers'),
			('weighted_pipeline', 'numeric, %1$s, numeric, numeric', '_weighted_pipeline_typed_trans',
			 'pipeline_state', '_weighted_pipeline_combine', '_weighted_pipeline_final',
			 'crm_sales: weighted_pipeline over %1$s with thresholds, which Citus can aggregate on its workers'),
			-- _deal_stats_trans finds the enum type itself (performance.c)
			('deal_stats', '%1$s, numeric, date, date', '_deal_stats_trans', 'deal_stats', 'deal_stats_add', NULL,
			 'crm_sales: deal_stats over %1$s (dates), which Citus can aggregate on its workers'),
			('deal_stats', '%1$s, numeric, timestamptz, timestamptz', '_deal_stats_trans', 'deal_stats',
			 'deal_stats_add', NULL,
			 'crm_sales: deal_stats over %1$s (timestamptz), which Citus can aggregate on its workers'),
			('deal_stats', '%1$s, numeric, timestamp, timestamp', '_deal_stats_trans', 'deal_stats',
			 'deal_stats_add', NULL,
			 'crm_sales: deal_stats over %1$s (timestamp), which Citus can aggregate on its workers'))
			AS v(name, args, sfunc, stype, combine, final, comment)
	LOOP
		CONTINUE WHEN to_regprocedure(format('crm_sales.%s(%s)', a.name, format(a.args, model)))
			IS NOT NULL;
		EXECUTE format('CREATE AGGREGATE crm_sales.%I(%s) (SFUNC = crm_sales.%I, STYPE = crm_sales.%I, '
					   'COMBINEFUNC = crm_sales.%I, %s PARALLEL = SAFE)',
					   a.name, format(a.args, model), a.sfunc, a.stype, a.combine,
					   CASE WHEN a.final IS NULL THEN ''
					   ELSE format('FINALFUNC = crm_sales.%I, INITCOND = %L, ', a.final,
								   '(0,0,0,0,0,0,0,0,0,0,0,0,0)') END);
		EXECUTE format('COMMENT ON AGGREGATE crm_sales.%I(%s) IS %L',
					   a.name, format(a.args, model), format(a.comment, model));
		created := created + 1;
	END LOOP;
	RETURN created;
END $$;
COMMENT ON FUNCTION create_typed_aggregates(regtype) IS
	'crm_sales: create funnel_agg, weighted_pipeline and deal_stats overloads over a model''s own enum type (Citus aggregates those on its workers, not the anyenum ones); returns how many were created';

SELECT create_typed_aggregates(m)
  FROM unnest('{crm_sales.sales_stage, crm_sales.lifecycle_stage, crm_sales.contract_status}'::regtype[]) AS m;

-- Drop the model's typed overloads (they depend on its enum type, so
-- DROP TYPE and drop_model(..., drop_type => true) need them gone first);
-- returns how many were dropped.  Works for a type that is no model any
-- more, too.
CREATE FUNCTION drop_typed_aggregates(model regtype) RETURNS integer
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE
	f regprocedure;
	dropped integer := 0;
BEGIN
	IF model IS NULL THEN
		RAISE EXCEPTION 'model must not be NULL'
			USING ERRCODE = 'null_value_not_allowed',
				  HINT = 'Pass the enum type of the model, e.g. ''public.deal_stage''.';
	END IF;
	IF EXISTS (SELECT FROM crm_sales.model m
				WHERE m.model = drop_typed_aggregates.model AND m.origin <> 'user') THEN
		RAISE EXCEPTION 'the typed aggregates of model % are shipped with crm_sales', model
			USING ERRCODE = 'feature_not_supported',
				  HINT = 'Only the typed aggregates of your own models can be dropped.';
	END IF;
	FOR f IN
		SELECT p.oid FROM pg_proc p
		 WHERE p.pronamespace = 'crm_sales'::regnamespace AND p.prokind = 'a'
		   AND p.proname IN ('funnel_agg', 'weighted_pipeline', 'deal_stats')
		   AND drop_typed_aggregates.model = ANY (p.proargtypes::oid[])
		 ORDER BY p.oid
	LOOP
		EXECUTE format('DROP AGGREGATE %s', f);
		dropped := dropped + 1;
	END LOOP;
	RETURN dropped;
END $$;
COMMENT ON FUNCTION drop_typed_aggregates(regtype) IS
	'crm_sales: drop the funnel_agg, weighted_pipeline and deal_stats overloads over a model''s own enum type (before dropping the type); returns how many were dropped';

-- The config tables that must be the same on every node of a cluster (the
-- models, lead-scoring rules, forecast adjustments, currencies and rates,
-- teams and quotas that crm_sales functions read wherever a query runs),
-- parents before children.
CREATE FUNCTION _config_tables() RETURNS text[]
LANGUAGE sql IMMUTABLE PARALLEL SAFE SET search_path = pg_catalog, pg_temp AS $$
	SELECT '{model, stage, transition, lead_score_rule_set, lead_score_rule, forecast_adjustment,
			 currency, exchange_rate, corporate_currency, sales_team, team_member, quota}'::text[]
$$;
COMMENT ON FUNCTION _config_tables() IS
	'crm_sales: the config tables apply_config_cluster_wide() copies to the workers, parents first';

-- On a worker: make the config tables hold exactly the rows of config (made
-- by apply_config_cluster_wide on the coordinator), in one transaction.
CREATE FUNCTION _apply_config(config jsonb) RETURNS bigint
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE
	tables constant text[] := crm_sales._config_tables();
	here constant text := (SELECT extversion FROM pg_extension WHERE extname = 'crm_sales');
	n bigint;
	total bigint := 0;
BEGIN
	IF config IS NULL OR jsonb_typeof(config) <> 'object' THEN
		RAISE EXCEPTION 'config must be a jsonb object'
			USING ERRCODE = 'invalid_parameter_value',
				  HINT = 'Call crm_sales.apply_config_cluster_wide() on the coordinator; it passes the config.';
	END IF;
	IF config->>'version' IS DISTINCT FROM here THEN
		RAISE EXCEPTION 'config of crm_sales version % cannot be applied to version %',
						coalesce(config->>'version', 'NULL'), here
			USING ERRCODE = 'object_not_in_prerequisite_state',
				  HINT = 'Update the extension to the same version on every node (ALTER EXTENSION crm_sales UPDATE on the coordinator).';
	END IF;
	FOR i IN 1 .. cardinality(tables) LOOP
		IF jsonb_typeof(config->tables[i]) IS DISTINCT FROM 'array' THEN
			RAISE EXCEPTION 'config has no rows of table crm_sales.%', tables[i]
				USING ERRCODE = 'invalid_parameter_value',
					  DETAIL = format('It has: %s.', (SELECT string_agg(k, ', ' ORDER BY k)
														FROM jsonb_object_keys(config) AS k)),
					  HINT = 'Pass the config made by crm_sales.apply_config_cluster_wide().';
		END IF;
	END LOOP;
	-- children first (the foreign keys cascade anyway), then parents first
	FOR i IN REVERSE cardinality(tables) .. 1 LOOP
		EXECUTE format('DELETE FROM crm_sales.%I', tables[i]);
	END LOOP;
	FOR i IN 1 .. cardinality(tables) LOOP
		EXECUTE format('INSERT INTO crm_sales.%1$I SELECT * FROM jsonb_populate_recordset(NULL::crm_sales.%1$I, $1)',
					   tables[i])
			USING config->tables[i];
		GET DIAGNOSTICS n = ROW_COUNT;
		total := total + n;
	END LOOP;
	RETURN total;
END $$;
REVOKE ALL ON FUNCTION _apply_config(jsonb) FROM PUBLIC;
COMMENT ON FUNCTION _apply_config(jsonb) IS
	'crm_sales: on a Citus worker, replace the rows of the config tables by those of the coordinator (called by apply_config_cluster_wide); returns the rows written';

-- The rows of the config tables as one jsonb object (one array per table,
-- in a canonical order, and the extension version), as _apply_config takes
-- them.
CREATE FUNCTION _config_snapshot() RETURNS jsonb
LANGUAGE plpgsql STABLE SET search_path = pg_catalog, pg_temp AS $$
DECLARE
	config jsonb := jsonb_build_object('version',
		(SELECT extversion FROM pg_extension WHERE extname = 'crm_sales'));
	rows jsonb;
	t text;
BEGIN
	FOREACH t IN ARRAY crm_sales._config_tables() LOOP
		EXECUTE format('SELECT coalesce(jsonb_agg(to_jsonb(c) ORDER BY to_jsonb(c)::text), ''[]'') FROM crm_sales.%I c', t)
			INTO rows;
		config := config || jsonb_build_object(t, rows);
	END LOOP;
	RETURN config;
END $$;
COMMENT ON FUNCTION _config_snapshot() IS
	'crm_sales: the rows of the config tables and the extension version as one jsonb object (what apply_config_cluster_wide() sends to the workers)';

-- On the coordinator of a Citus cluster: give every model its typed
-- aggregates (Citus propagates the CREATE AGGREGATE) and copy the config
-- tables to every worker.  One row per worker.
CREATE FUNCTION apply_config_cluster_wide()
RETURNS TABLE (node_name text, node_port integer, rows_applied bigint)
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE
	config jsonb;
	r record;
	failures text[] := '{}';
	names text[] := '{}';
	ports integer[] := '{}';
	counts bigint[] := '{}';
BEGIN
	IF NOT EXISTS (SELECT FROM pg_extension WHERE extname = 'citus') THEN
		RAISE EXCEPTION 'crm_sales.apply_config_cluster_wide() needs Citus'
			USING ERRCODE = 'object_not_in_prerequisite_state',
				  DETAIL = 'The extension citus is not installed in this database.',
				  HINT = 'Call it on the coordinator of a Citus cluster; a single node has nothing to apply.';
	END IF;
	EXECUTE 'SELECT pg_catalog.citus_is_coordinator()' INTO r;
	IF r IS NULL OR NOT r.citus_is_coordinator THEN
		RAISE EXCEPTION 'crm_sales.apply_config_cluster_wide() must run on the coordinator'
			USING ERRCODE = 'object_not_in_prerequisite_state',
				  HINT = 'Connect to the coordinator, change the models there, and call it there.';
	END IF;
	PERFORM crm_sales.create_typed_aggregates(m.model) FROM crm_sales.model m;
	config := crm_sales._config_snapshot();
	FOR r IN EXECUTE 'SELECT nodename, nodeport, success, result FROM pg_catalog.run_command_on_workers($1)'
		USING format('SELECT crm_sales._apply_config(%L)', config)
	LOOP
		IF r.success THEN
			names := names || r.nodename;
			ports := ports || r.nodeport;
			counts := counts || r.result::bigint;
		ELSE
			failures := failures || format('%s:%s: %s', r.nodename, r.nodeport, r.result);
		END IF;
	END LOOP;
	IF cardinality(failures) > 0 THEN
		RAISE EXCEPTION 'crm_sales config could not be applied on % of % workers',
						cardinality(failures), cardinality(failures) + cardinality(names)
			USING ERRCODE = 'object_not_in_prerequisite_state',
				  DETAIL = array_to_string(failures, E'\n'),
				  HINT = 'Fix the cause on those workers and call crm_sales.apply_config_cluster_wide() again; the other workers already have the new config.';
	END IF;
	RETURN QUERY SELECT * FROM unnest(names, ports, counts);
END $$;
COMMENT ON FUNCTION apply_config_cluster_wide() IS
	'crm_sales: on a Citus coordinator, create every model''s typed aggregates and copy the config tables (models, stages, transitions, lead-scoring rules, forecast adjustments, currencies, exchange rates, teams, quotas) to every worker; one row per worker';

--------------------------------------------------------------------------
-- Stage history of distributed tables (docs/scale_out.md).
--
-- crm_sales.stage_history cannot be a Citus table: its primary key (id)
-- does not hold an entity key, its entity_id is text (so it could not be
-- co-located with an entity table keyed by a number), and its regclass and
-- regtype columns hold OIDs, which differ between nodes (Citus sends a
-- regclass constant to the workers as an OID).  So a distributed entity
-- table gets a history table of its own, distributed by the entity key and
-- co-located with it, with names as text; the trigger records into it on
-- the worker, next to the entity's row, and the history functions read it.
--------------------------------------------------------------------------

CREATE TABLE distributed_history (
	entity_table	regclass PRIMARY KEY,
	history_table	regclass NOT NULL UNIQUE,
	model			regtype NOT NULL,
	stage_column	name NOT NULL,
	id_column		name NOT NULL
);
COMMENT ON TABLE distributed_history IS
	'crm_sales: the distributed tables whose stage history is kept in a co-located history table (made by distribute_history(); on the coordinator)';
SELECT pg_catalog.pg_extension_config_dump('distributed_history', '');
GRANT SELECT ON distributed_history TO PUBLIC;

CREATE FUNCTION _distributed_history_record() RETURNS trigger
	AS 'MODULE_PATHNAME', 'crm_distributed_history_record'
	LANGUAGE C;
COMMENT ON FUNCTION _distributed_history_record() IS
	'AFTER INSERT OR UPDATE row trigger made by distribute_history(): records the stage changes of a distributed table in its co-located history table';

-- Raise a clear error unless Citus is there and this is its coordinator.
CREATE FUNCTION _require_citus_coordinator(what text) RETURNS void
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE
	coordinator boolean;
BEGIN
	IF NOT EXISTS (SELECT FROM pg_extension WHERE extname = 'citus') THEN
		RAISE EXCEPTION '% needs Citus', what
			USING ERRCODE = 'object_not_in_prerequisite_state',
				  DETAIL = 'The extension citus is not installed in this database.',
				  HINT = 'Call it on the coordinator of a Citus cluster.';
	END IF;
	EXECUTE 'SELECT pg_catalog.citus_is_coordinator()' INTO coordinator;
	IF coordinator IS NOT TRUE THEN
		RAISE EXCEPTION '% must run on the coordinator', what
			USING ERRCODE = 'object_not_in_prerequisite_state',
				  HINT = 'Connect to the coordinator and call it there.';
	END IF;
END $$;
COMMENT ON FUNCTION _require_citus_coordinator(text) IS
	'crm_sales: raise 55000 unless Citus is installed and this node is its coordinator';

-- Give a hash-distributed entity table its stage history: a table
-- <entity>_stage_history (or history_table) in the entity's schema,
-- distributed by the entity key and co-located with the entity table, and
-- an AFTER trigger that records each stage change there.  The id column
-- must be the distribution column.  Returns the history table.
CREATE FUNCTION distribute_history(entity_table regclass, stage_column name, id_column name,
								   history_table name DEFAULT NULL)
RETURNS regclass
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
SET citus.enable_unsafe_triggers = on
AS $$
DECLARE
	dist record;
	stage_type oid;
	model regtype;
	key_type oid;
	nsp name;
	hist_name name;
	hist regclass;
BEGIN
	PERFORM crm_sales._require_citus_coordinator('crm_sales.distribute_history()');
	IF entity_table IS NULL OR stage_column IS NULL OR id_column IS NULL THEN
		RAISE EXCEPTION 'entity_table, stage_column and id_column must not be NULL'
			USING ERRCODE = 'null_value_not_allowed',
				  HINT = 'Example: SELECT crm_sales.distribute_history(''deals'', ''stage'', ''id'').';
	END IF;
	EXECUTE 'SELECT p.partmethod, pg_catalog.column_to_column_name(p.logicalrelid, p.partkey) AS col
			   FROM pg_catalog.pg_dist_partition p WHERE p.logicalrelid = $1'
		INTO dist USING entity_table;
	IF dist IS NULL OR dist.partmethod IS DISTINCT FROM 'h' THEN
		RAISE EXCEPTION 'table % is not hash-distributed by Citus', entity_table
			USING ERRCODE = 'object_not_in_prerequisite_state',
				  HINT = format('Distribute it by its id column first: SELECT create_distributed_table(%L, %L).',
								entity_table::text, id_column);
	END IF;
	IF dist.col IS DISTINCT FROM id_column THEN
		RAISE EXCEPTION 'the id column "%" of table % is not its distribution column', id_column, entity_table
			USING ERRCODE = 'invalid_parameter_value',
				  DETAIL = format('The table is distributed by "%s". Each history row is kept in the shard next to its entity''s row, so the history is distributed by the same key.', dist.col),
				  HINT = 'Pass the distribution column as the id column.';
	END IF;
	SELECT a.atttypid INTO stage_type FROM pg_attribute a
	 WHERE a.attrelid = entity_table AND a.attname = stage_column AND a.attnum > 0 AND NOT a.attisdropped;
	IF NOT FOUND THEN
		RAISE EXCEPTION 'column "%" does not exist in table %', stage_column, entity_table
			USING ERRCODE = 'undefined_column';
	END IF;
	SELECT CASE WHEN t.typtype = 'd' THEN t.typbasetype ELSE t.oid END INTO model
	  FROM pg_type t WHERE t.oid = stage_type;
	PERFORM crm_sales._model_check(model);
	SELECT a.atttypid INTO key_type FROM pg_attribute a
	 WHERE a.attrelid = entity_table AND a.attname = id_column AND a.attnum > 0 AND NOT a.attisdropped;
	IF EXISTS (SELECT FROM crm_sales.distributed_history d WHERE d.entity_table = distribute_history.entity_table) THEN
		RAISE EXCEPTION 'table % already has a distributed stage history', entity_table
			USING ERRCODE = 'duplicate_object',
				  DETAIL = format('It is %s.', (SELECT d.history_table FROM crm_sales.distributed_history d
												  WHERE d.entity_table = distribute_history.entity_table));
	END IF;
	SELECT c.relnamespace::regnamespace::name INTO nsp FROM pg_class c WHERE c.oid = entity_table;
	hist_name := coalesce(history_table, left((SELECT c.relname FROM pg_class c WHERE c.oid = entity_table), 49) || '_stage_history');

	EXECUTE format('CREATE TABLE %I.%I (
						entity_key %s NOT NULL,
						id bigint GENERATED BY DEFAULT AS IDENTITY,
						table_name text NOT NULL,
						entity_id text NOT NULL,
						model text NOT NULL,
						from_stage text,
						to_stage text NOT NULL,
						changed_at timestamptz NOT NULL DEFAULT statement_timestamp(),
						changed_by name NOT NULL DEFAULT current_user,
						PRIMARY KEY (entity_key, id))',
				   nsp, hist_name, format_type(key_type, NULL));
	hist := format('%I.%I', nsp, hist_name)::regclass;
	EXECUTE format('CREATE INDEX %I ON %s (entity_key, changed_at)', left(hist_name, 57) || '_entity', hist);
	EXECUTE format('COMMENT ON TABLE %s IS %L', hist,
				   format('crm_sales: stage history of %s (moves of %s.%s), distributed and co-located with it',
						  entity_table, entity_table, stage_column));
	EXECUTE format('ALTER TABLE %s OWNER TO %I', hist,
				   (SELECT c.relowner::regrole::name FROM pg_class c WHERE c.oid = entity_table));
	EXECUTE 'SELECT pg_catalog.create_distributed_table($1, ''entity_key'', colocate_with => $2)'
		USING hist, entity_table::text;
	EXECUTE format('CREATE TRIGGER crm_sales_history AFTER INSERT OR UPDATE OF %I ON %s
					FOR EACH ROW EXECUTE FUNCTION crm_sales._distributed_history_record(%L, %L, %L, %L)',
				   stage_column, entity_table, stage_column, id_column, hist::text, entity_table::text);
	INSERT INTO crm_sales.distributed_history VALUES (entity_table, hist, model, stage_column, id_column);
	RETURN hist;
END $$;
COMMENT ON FUNCTION distribute_history(regclass, name, name, name) IS
	'crm_sales: on a Citus coordinator, give a hash-distributed table (by its id column) a stage history: a co-located history table and an AFTER trigger that records each stage change there; history_funnel, stage_conversion and the other history functions read it';

-- The recorded moves of the distributed histories of a model (of one
-- entity table, within [since, until)) that the role may read, as
-- _stage_moves takes them.  The entity table comes from the registry, on
-- this node: the history's own text names are not converted on a worker.
CREATE FUNCTION _distributed_stage_moves(model regtype, entity_table regclass,
	since timestamptz, until timestamptz)
RETURNS TABLE (table_name regclass, entity_id text, to_stage text,
	changed_at timestamptz, id bigint)
LANGUAGE plpgsql STABLE PARALLEL RESTRICTED
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	d record;
	h record;
BEGIN
	FOR d IN
		SELECT r.entity_table, r.history_table
		  FROM crm_sales.distributed_history r
		  JOIN pg_class e ON e.oid = r.entity_table
		  JOIN pg_class c ON c.oid = r.history_table
		 WHERE r.model = $1 AND ($2 IS NULL OR r.entity_table = $2)
		   AND has_table_privilege(r.entity_table, 'SELECT')
		   AND has_table_privilege(r.history_table, 'SELECT')
		 ORDER BY r.entity_table::text
	LOOP
		table_name := d.entity_table;
		FOR h IN EXECUTE format('SELECT h.entity_id, h.to_stage, h.changed_at, h.id FROM %s h
								  WHERE h.model = $1 AND ($2 IS NULL OR h.changed_at >= $2)
									AND ($3 IS NULL OR h.changed_at < $3)', d.history_table)
			USING model::text, since, until
		LOOP
			entity_id := h.entity_id;
			to_stage := h.to_stage;
			changed_at := h.changed_at;
			id := h.id;
			RETURN NEXT;
		END LOOP;
	END LOOP;
END $$;
COMMENT ON FUNCTION _distributed_stage_moves(regtype, regclass, timestamptz, timestamptz) IS
	'crm_sales: the recorded moves of the distributed stage histories of a model (distribute_history()), for _stage_moves';
