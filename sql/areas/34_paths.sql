-- ---- path summary: stage_paths (SQL over crm_sales.stage_history)
-- The top N paths of stages (each entity's stages in the order it entered
-- them) with how many entities took each: the data of a Sankey diagram of
-- whole journeys.  Reads the history through _stage_moves, as the other
-- history functions do (so parallel restricted, as they are: see
-- 30_funnel.sql).
CREATE FUNCTION stage_paths(model regtype, entity_table regclass DEFAULT NULL,
	since timestamptz DEFAULT NULL, until timestamptz DEFAULT NULL, top integer DEFAULT 10)
RETURNS TABLE (rank bigint, path text[], entities bigint, share double precision)
LANGUAGE plpgsql STABLE PARALLEL RESTRICTED
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
	IF top IS NULL OR top < 1 THEN
		RAISE EXCEPTION 'stage_paths needs top >= 1'
			USING ERRCODE = 'invalid_parameter_value',
				  DETAIL = format('top is %s.', coalesce(top::text, 'NULL')),
				  HINT = 'Ask for the 10 most frequent paths with top => 10.';
	END IF;
	PERFORM crm_sales._model_check(model);
	RETURN QUERY
	WITH paths AS (
		SELECT array_agg(h.to_stage ORDER BY h.changed_at, h.id) AS p
		  FROM crm_sales._stage_moves(model, entity_table, since, until) AS h
		 GROUP BY h.table_name, h.entity_id
	), counted AS (
		SELECT c.p, count(*) AS n, sum(count(*)) OVER () AS total
		  FROM paths c GROUP BY c.p
	)
	SELECT row_number() OVER (ORDER BY c.n DESC, c.p), c.p, c.n, c.n::float8 / c.total::float8
	  FROM counted c
	 ORDER BY c.n DESC, c.p
	 LIMIT top;
END
$$;
COMMENT ON FUNCTION stage_paths(regtype, regclass, timestamptz, timestamptz, integer) IS
	'Top N paths of stages per entity from crm_sales.stage_history, with entity counts and shares (Sankey data)';

