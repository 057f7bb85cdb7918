--------------------------------------------------------------------------
-- Scale-out on Citus (src/scale_out.c, docs/scale_out.md)
--------------------------------------------------------------------------

-- Citus aggregates on its workers (worker_partial_agg) only an aggregate
-- whose declared argument types equal the call's, never one over anyenum.
-- So each model gets funnel_agg and weighted_pipeline overloads over its
-- own enum type, which PostgreSQL prefers to the anyenum ones; their
-- transition functions find the enum type without an expression tree.
CREATE FUNCTION funnel_agg_typed_trans(funnel, anyenum) RETURNS funnel
	AS 'MODULE_PATHNAME', 'crm_funnel_agg_typed_trans' LANGUAGE C STABLE PARALLEL SAFE;
CREATE FUNCTION funnel_agg_typed_trans(funnel, anyenum, numeric) RETURNS funnel
	AS 'MODULE_PATHNAME', 'crm_funnel_agg_typed_trans' LANGUAGE C STABLE PARALLEL SAFE;
CREATE FUNCTION weighted_pipeline_typed_trans(pipeline_state, numeric, anyenum)
RETURNS pipeline_state
	AS 'MODULE_PATHNAME', 'crm_weighted_pipeline_typed_trans' LANGUAGE C STABLE PARALLEL SAFE;
CREATE FUNCTION weighted_pipeline_typed_trans(pipeline_state, numeric, anyenum, numeric, numeric)
RETURNS pipeline_state
	AS 'MODULE_PATHNAME', 'crm_weighted_pipeline_typed_trans' LANGUAGE C STABLE PARALLEL SAFE;
COMMENT ON FUNCTION funnel_agg_typed_trans(funnel, anyenum) IS
	'crm_sales: transition of funnel_agg over a model''s own enum type (also without an expression tree, as Citus calls it)';
COMMENT ON FUNCTION funnel_agg_typed_trans(funnel, anyenum, numeric) IS
	'crm_sales: transition of funnel_agg over a model''s own enum type, with amounts (also without an expression tree, as Citus calls it)';
COMMENT ON FUNCTION weighted_pipeline_typed_trans(pipeline_state, numeric, anyenum) IS
	'crm_sales: transition of weighted_pipeline over a model''s own enum type (also without an expression tree, as Citus calls it)';
COMMENT ON FUNCTION weighted_pipeline_typed_trans(pipeline_state, numeric, anyenum, numeric, numeric) IS
	'crm_sales: transition of weighted_pipeline over a model''s own enum type, with thresholds (also without an expression tree, as Citus calls it)';

-- Create the model's typed overloads in the schema crm_sales (those that do
-- not exist yet); returns how many were created.
CREATE FUNCTION create_typed_aggregates(model regtype) RETURNS integer
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE
	r crm_sales.model := crm_sales._model_check(model);
	created integer := 0;
	a record;
BEGIN
	FOR a IN
		SELECT * FROM (VALUES
			('funnel_agg', '%1$s', 'funnel_agg_typed_trans', 'funnel', 'funnel_add', NULL,
			 'crm_sales: funnel_agg over %1$s, which Citus can aggregate on its workers'),
			('funnel_agg', '%1$s, numeric', 'funnel_agg_typed_trans', 'funnel', 'funnel_add', NULL,
			 'crm_sales: funnel_agg over %1$s with amounts, which Citus can aggregate on its workers'),
			('weighted_pipeline', 'numeric, %1$s', 'weighted_pipeline_typed_trans',
			 'pipeline_state', 'weighted_pipeline_combine', 'weighted_pipeline_final',
			 'crm_sales: weighted_pipeline over %1$s, which Citus can aggregate on its workers'),
			('weighted_pipeline', 'numeric, %1$s, numeric, numeric', 'weighted_pipeline_typed_trans',
			 'pipeline_state', 'weighted_pipeline_combine', 'weighted_pipeline_final',
			 'crm_sales: weighted_pipeline over %1$s with thresholds, which Citus can aggregate on its workers'))
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
	'crm_sales: create funnel_agg and weighted_pipeline overloads over a model''s own enum type (Citus aggregates those on its workers, not the anyenum ones); returns how many were created';

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
		   AND p.proname IN ('funnel_agg', 'weighted_pipeline')
		   AND drop_typed_aggregates.model = ANY (p.proargtypes::oid[])
		 ORDER BY p.oid
	LOOP
		EXECUTE format('DROP AGGREGATE %s', f);
		dropped := dropped + 1;
	END LOOP;
	RETURN dropped;
END $$;
COMMENT ON FUNCTION drop_typed_aggregates(regtype) IS
	'crm_sales: drop the funnel_agg and weighted_pipeline overloads over a model''s own enum type (before dropping the type); returns how many were dropped';
