-- ====================================================================
-- Sales funnel: funnel type, funnel aggregates, history-based conversion
-- and time in stage (src/funnel.c)
-- ====================================================================

CREATE TYPE funnel;
CREATE FUNCTION funnel_in(cstring) RETURNS funnel
	AS 'MODULE_PATHNAME', 'crm_funnel_in' LANGUAGE C STABLE STRICT PARALLEL SAFE;
CREATE FUNCTION funnel_out(funnel) RETURNS cstring
	AS 'MODULE_PATHNAME', 'crm_funnel_out' LANGUAGE C STABLE STRICT PARALLEL SAFE;
CREATE FUNCTION funnel_recv(internal) RETURNS funnel
	AS 'MODULE_PATHNAME', 'crm_funnel_recv' LANGUAGE C STABLE STRICT PARALLEL SAFE;
CREATE FUNCTION funnel_send(funnel) RETURNS bytea
	AS 'MODULE_PATHNAME', 'crm_funnel_send' LANGUAGE C STABLE STRICT PARALLEL SAFE;
CREATE TYPE funnel (
	INPUT = funnel_in, OUTPUT = funnel_out,
	RECEIVE = funnel_recv, SEND = funnel_send,
	INTERNALLENGTH = VARIABLE, ALIGNMENT = double, STORAGE = extended
);
COMMENT ON TYPE funnel IS 'crm_sales: per-stage counts and amount sums of the entities that reached each stage of a model (or of positions 1..n); mergeable';

CREATE FUNCTION funnel_add(funnel, funnel) RETURNS funnel
	AS 'MODULE_PATHNAME', 'crm_funnel_add' LANGUAGE C STABLE STRICT PARALLEL SAFE;
CREATE OPERATOR + (LEFTARG = funnel, RIGHTARG = funnel, FUNCTION = funnel_add, COMMUTATOR = +);
CREATE FUNCTION funnel_eq(funnel, funnel) RETURNS boolean
	AS 'MODULE_PATHNAME', 'crm_funnel_eq' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE OPERATOR = (LEFTARG = funnel, RIGHTARG = funnel, FUNCTION = funnel_eq,
	COMMUTATOR = =, RESTRICT = eqsel, JOIN = eqjoinsel);
CREATE FUNCTION funnel_jsonb(funnel) RETURNS jsonb
	AS 'MODULE_PATHNAME', 'crm_funnel_jsonb' LANGUAGE C STABLE STRICT PARALLEL SAFE;
CREATE CAST (funnel AS jsonb) WITH FUNCTION funnel_jsonb(funnel);

-- merge stored funnels (rollups): the transition is the + operator
CREATE AGGREGATE funnel_merge(funnel) (
	SFUNC = funnel_add, STYPE = funnel, COMBINEFUNC = funnel_add, PARALLEL = SAFE
);

-- funnel_agg: snapshot funnel from each entity's furthest stage
CREATE FUNCTION _funnel_agg_trans(funnel, anyenum) RETURNS funnel
	AS 'MODULE_PATHNAME', 'crm_funnel_agg_enum' LANGUAGE C STABLE PARALLEL SAFE;
CREATE FUNCTION _funnel_agg_trans(funnel, anyenum, numeric) RETURNS funnel
	AS 'MODULE_PATHNAME', 'crm_funnel_agg_enum' LANGUAGE C STABLE PARALLEL SAFE;
CREATE FUNCTION _funnel_agg_trans(funnel, integer) RETURNS funnel
	AS 'MODULE_PATHNAME', 'crm_funnel_agg_pos' LANGUAGE C STABLE PARALLEL SAFE;
CREATE FUNCTION _funnel_agg_trans(funnel, integer, numeric) RETURNS funnel
	AS 'MODULE_PATHNAME', 'crm_funnel_agg_pos' LANGUAGE C STABLE PARALLEL SAFE;
CREATE AGGREGATE funnel_agg(anyenum) (
	SFUNC = _funnel_agg_trans, STYPE = funnel, COMBINEFUNC = funnel_add, PARALLEL = SAFE
);
CREATE AGGREGATE funnel_agg(anyenum, numeric) (
	SFUNC = _funnel_agg_trans, STYPE = funnel, COMBINEFUNC = funnel_add, PARALLEL = SAFE
);
CREATE AGGREGATE funnel_agg(integer) (
	SFUNC = _funnel_agg_trans, STYPE = funnel, COMBINEFUNC = funnel_add, PARALLEL = SAFE
);
CREATE AGGREGATE funnel_agg(integer, numeric) (
	SFUNC = _funnel_agg_trans, STYPE = funnel, COMBINEFUNC = funnel_add, PARALLEL = SAFE
);

-- reading a funnel
CREATE FUNCTION conversion_rate(funnel, from_stage text, to_stage text) RETURNS double precision
	AS 'MODULE_PATHNAME', 'crm_funnel_conversion' LANGUAGE C STABLE STRICT PARALLEL SAFE;
CREATE FUNCTION conversion_rate(funnel, from_stage anyenum, to_stage anyenum) RETURNS double precision
	AS 'MODULE_PATHNAME', 'crm_funnel_conversion' LANGUAGE C STABLE STRICT PARALLEL SAFE;
CREATE FUNCTION conversion_rate(funnel, from_position integer, to_position integer) RETURNS double precision
	AS 'MODULE_PATHNAME', 'crm_funnel_conversion' LANGUAGE C STABLE STRICT PARALLEL SAFE;
CREATE FUNCTION funnel_steps(funnel,
	OUT "position" integer, OUT stage text, OUT label_en text, OUT label_zh text,
	OUT category text, OUT reached bigint, OUT amount numeric,
	OUT conversion_from_previous double precision, OUT conversion_from_first double precision,
	OUT drop_off bigint, OUT ended_here double precision)
	RETURNS SETOF record
	AS 'MODULE_PATHNAME', 'crm_funnel_steps' LANGUAGE C STABLE STRICT PARALLEL SAFE ROWS 8;
CREATE FUNCTION funnel_chart(funnel, width integer DEFAULT 40) RETURNS SETOF text
	AS 'MODULE_PATHNAME', 'crm_funnel_chart' LANGUAGE C STABLE STRICT PARALLEL SAFE ROWS 8;

-- ---- funnels from the stage history ----

-- The recorded moves into stages of a model, with the stage's position and
-- category, optionally of one table and within [since, until): those of
-- crm_sales.stage_history and those of the distributed histories of Citus
-- tables (80_scale_out.sql).  Parallel restricted: reading a distributed
-- history is a Citus query, which only the leader may run.
CREATE FUNCTION _stage_moves(model regtype, entity_table regclass,
	since timestamptz, until timestamptz)
RETURNS TABLE (table_name regclass, entity_id text, to_stage text,
	changed_at timestamptz, id bigint, "position" integer, category text)
LANGUAGE sql STABLE PARALLEL RESTRICTED
SET search_path = pg_catalog, pg_temp
AS $$
	SELECT h.table_name, h.entity_id, h.to_stage, h.changed_at, h.id, s.position, s.category
	  FROM crm_sales.stage_history h
	  JOIN crm_sales.stage s ON s.model = h.model AND s.stage = h.to_stage
	 WHERE h.model = $1
	   AND ($2 IS NULL OR h.table_name = $2)
	   AND ($3 IS NULL OR h.changed_at >= $3)
	   AND ($4 IS NULL OR h.changed_at < $4)
	UNION ALL
	SELECT d.table_name, d.entity_id, d.to_stage, d.changed_at, d.id, s.position, s.category
	  FROM crm_sales._distributed_stage_moves($1, $2, $3, $4) d
	  JOIN crm_sales.stage s ON s.model = $1 AND s.stage = d.to_stage
$$;

-- Each entity's furthest stage along the path (open and won stages) among
-- its recorded moves, its last stage, and whether that one is lost.  An
-- entity recorded only in lost stages has its last stage as furthest.
CREATE FUNCTION furthest_stages(model regtype, entity_table regclass DEFAULT NULL,
	since timestamptz DEFAULT NULL, until timestamptz DEFAULT NULL)
RETURNS TABLE (table_name regclass, entity_id text, furthest_stage text,
	furthest_position integer, last_stage text, last_category text)
LANGUAGE sql STABLE PARALLEL RESTRICTED
SET search_path = pg_catalog, pg_temp
AS $$
	SELECT h.table_name, h.entity_id,
		   coalesce((array_agg(h.to_stage ORDER BY h.position DESC) FILTER (WHERE h.category <> 'lost'))[1],
					(array_agg(h.to_stage ORDER BY h.changed_at DESC, h.id DESC))[1]),
		   coalesce(max(h.position) FILTER (WHERE h.category <> 'lost'),
					(array_agg(h.position ORDER BY h.changed_at DESC, h.id DESC))[1]),
		   (array_agg(h.to_stage ORDER BY h.changed_at DESC, h.id DESC))[1],
		   (array_agg(h.category ORDER BY h.changed_at DESC, h.id DESC))[1]
	  FROM crm_sales._stage_moves($1, $2, $3, $4) AS h
	 GROUP BY h.table_name, h.entity_id
$$;

-- The snapshot funnel of the recorded history: funnel_agg over each
-- entity's furthest stage, so lost deals count at the stage they reached.
CREATE FUNCTION history_funnel(model regtype, entity_table regclass DEFAULT NULL,
	since timestamptz DEFAULT NULL, until timestamptz DEFAULT NULL)
RETURNS funnel
LANGUAGE plpgsql STABLE PARALLEL RESTRICTED
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	result crm_sales.funnel;
BEGIN
	PERFORM crm_sales._model_check(model);
	EXECUTE format('SELECT crm_sales.funnel_agg(f.furthest_stage::%s)
					  FROM crm_sales.furthest_stages($1, $2, $3, $4) AS f', model)
	   INTO result USING model, entity_table, since, until;
	RETURN result;
END
$$;

-- Conversion computed from real moves: per stage, the entities that
-- entered it, and of those how many later moved on to a later path stage,
-- were won (entered a won stage then or later) or lost.
CREATE FUNCTION stage_conversion(model regtype, entity_table regclass DEFAULT NULL,
	since timestamptz DEFAULT NULL, until timestamptz DEFAULT NULL)
RETURNS TABLE ("position" integer, stage text, label_en text, label_zh text, category text,
	entered bigint, moved_on bigint, won bigint, lost bigint,
	conversion_to_later double precision, win_rate double precision)
LANGUAGE sql STABLE PARALLEL RESTRICTED
SET search_path = pg_catalog, pg_temp
AS $$
	WITH h AS (
		SELECT h.*,
			   max(h.position) FILTER (WHERE h.category <> 'lost') OVER later AS later_path,
			   bool_or(h.category = 'won') OVER later AS later_won,
			   bool_or(h.category = 'lost') OVER later AS later_lost
		  FROM crm_sales._stage_moves($1, $2, $3, $4) AS h
		WINDOW later AS (PARTITION BY h.table_name, h.entity_id ORDER BY h.changed_at DESC, h.id DESC
						 ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING)
	), first_entry AS (
		SELECT DISTINCT ON (table_name, entity_id, to_stage) *
		  FROM h ORDER BY table_name, entity_id, to_stage, changed_at, id
	)
	SELECT s.position, s.stage, s.label_en, s.label_zh, s.category,
		   count(e.entity_id),
		   count(e.entity_id) FILTER (WHERE e.later_path > e.position),
		   count(e.entity_id) FILTER (WHERE e.category = 'won' OR e.later_won),
		   count(e.entity_id) FILTER (WHERE e.category = 'lost' OR e.later_lost),
		   (count(e.entity_id) FILTER (WHERE e.later_path > e.position))::float8
			 / nullif(count(e.entity_id), 0),
		   (count(e.entity_id) FILTER (WHERE e.category = 'won' OR e.later_won))::float8
			 / nullif(count(e.entity_id), 0)
	  FROM crm_sales.stage s
	  LEFT JOIN first_entry e ON e.to_stage = s.stage
	 WHERE s.model = $1
	 GROUP BY s.position, s.stage, s.label_en, s.label_zh, s.category
	 ORDER BY s.position
$$;

-- Time in stage: a visit starts with a move into the stage and ends with
-- the entity's next move; visits still open are counted but not timed.
-- Over crm_sales.stage_history and the distributed histories.
CREATE FUNCTION time_in_stage(model regtype, entity_table regclass DEFAULT NULL,
	since timestamptz DEFAULT NULL, until timestamptz DEFAULT NULL)
RETURNS TABLE ("position" integer, stage text, label_en text, label_zh text,
	visits bigint, open_visits bigint, mean interval, median interval, p90 interval)
LANGUAGE sql STABLE PARALLEL RESTRICTED
SET search_path = pg_catalog, pg_temp
AS $$
	WITH v AS (
		SELECT h.to_stage, h.changed_at,
			   lead(h.changed_at) OVER (PARTITION BY h.table_name, h.entity_id
										ORDER BY h.changed_at, h.id) - h.changed_at AS spent
		  FROM (SELECT h.table_name, h.entity_id, h.to_stage, h.changed_at, h.id
				  FROM crm_sales.stage_history h
				 WHERE h.model = $1
				   AND ($2 IS NULL OR h.table_name = $2)
				UNION ALL
				SELECT d.table_name, d.entity_id, d.to_stage, d.changed_at, d.id
				  FROM crm_sales._distributed_stage_moves($1, $2, NULL, NULL) d) h
	)
	SELECT s.position, s.stage, s.label_en, s.label_zh,
		   count(v.to_stage), count(v.to_stage) FILTER (WHERE v.spent IS NULL),
		   avg(v.spent),
		   percentile_cont(0.5) WITHIN GROUP (ORDER BY v.spent),
		   percentile_cont(0.9) WITHIN GROUP (ORDER BY v.spent)
	  FROM crm_sales.stage s
	  LEFT JOIN v ON v.to_stage = s.stage
				 AND ($3 IS NULL OR v.changed_at >= $3)
				 AND ($4 IS NULL OR v.changed_at < $4)
	 WHERE s.model = $1
	 GROUP BY s.position, s.stage, s.label_en, s.label_zh
	 ORDER BY s.position
$$;

-- stage_flow, the view of the moves counted: 35_history.sql
