-- Scale-out (80_scale_out.sql, docs/scale_out.md): the history functions
-- also read the distributed stage histories of Citus tables.  _stage_moves
-- and time_in_stage as in 30_funnel.sql; they and the functions over
-- _stage_moves are parallel restricted (a distributed history is read by a
-- Citus query, only in the leader).
CREATE OR REPLACE FUNCTION _stage_moves(model regtype, entity_table regclass,
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
ALTER FUNCTION furthest_stages(regtype, regclass, timestamptz, timestamptz) PARALLEL RESTRICTED;
ALTER FUNCTION history_funnel(regtype, regclass, timestamptz, timestamptz) PARALLEL RESTRICTED;
ALTER FUNCTION stage_conversion(regtype, regclass, timestamptz, timestamptz) PARALLEL RESTRICTED;

CREATE OR REPLACE FUNCTION time_in_stage(model regtype, entity_table regclass DEFAULT NULL,
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
