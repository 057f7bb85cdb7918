-- ====================================================================
-- Sales performance: the deal_stats type and aggregates (src/performance.c),
-- targets and attainment through a team hierarchy, conversion per owner,
-- team and creation cohort, growth, customer flow and revenue retention
-- (SQL below).  Multi-currency is 71_currency.sql.
-- ====================================================================

CREATE TYPE deal_stats;
CREATE FUNCTION deal_stats_in(cstring) RETURNS deal_stats
	AS 'MODULE_PATHNAME', 'crm_deal_stats_in' LANGUAGE C STABLE STRICT PARALLEL SAFE;
CREATE FUNCTION deal_stats_out(deal_stats) RETURNS cstring
	AS 'MODULE_PATHNAME', 'crm_deal_stats_out' LANGUAGE C STABLE STRICT PARALLEL SAFE;
CREATE FUNCTION deal_stats_recv(internal) RETURNS deal_stats
	AS 'MODULE_PATHNAME', 'crm_deal_stats_recv' LANGUAGE C STABLE STRICT PARALLEL SAFE;
CREATE FUNCTION deal_stats_send(deal_stats) RETURNS bytea
	AS 'MODULE_PATHNAME', 'crm_deal_stats_send' LANGUAGE C STABLE STRICT PARALLEL SAFE;
CREATE TYPE deal_stats (
	INPUT = deal_stats_in, OUTPUT = deal_stats_out,
	RECEIVE = deal_stats_recv, SEND = deal_stats_send,
	INTERNALLENGTH = VARIABLE, ALIGNMENT = double, STORAGE = extended
);
COMMENT ON TYPE deal_stats IS 'crm_sales: won/lost/open deal counts and exact amounts, won cycle lengths (exact day histogram) and won sizes of a set of deals; mergeable';

CREATE FUNCTION deal_stats_add(deal_stats, deal_stats) RETURNS deal_stats
	AS 'MODULE_PATHNAME', 'crm_deal_stats_add' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION deal_stats_add(deal_stats, deal_stats) IS 'the deal_stats of both sets of deals (the + operator)';
CREATE OPERATOR + (LEFTARG = deal_stats, RIGHTARG = deal_stats, FUNCTION = deal_stats_add, COMMUTATOR = +);
COMMENT ON OPERATOR + (deal_stats, deal_stats) IS 'merge two deal_stats';
CREATE FUNCTION deal_stats_eq(deal_stats, deal_stats) RETURNS boolean
	AS 'MODULE_PATHNAME', 'crm_deal_stats_eq' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION deal_stats_eq(deal_stats, deal_stats) IS 'same model, counts, amounts (by value) and histograms';
CREATE OPERATOR = (LEFTARG = deal_stats, RIGHTARG = deal_stats, FUNCTION = deal_stats_eq,
	COMMUTATOR = =, RESTRICT = eqsel, JOIN = eqjoinsel);
COMMENT ON OPERATOR = (deal_stats, deal_stats) IS 'deal_stats equal by value';
CREATE FUNCTION deal_stats_jsonb(deal_stats) RETURNS jsonb
	AS 'MODULE_PATHNAME', 'crm_deal_stats_jsonb' LANGUAGE C STABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION deal_stats_jsonb(deal_stats) IS 'counts, amounts and every KPI of a deal_stats as jsonb';
CREATE CAST (deal_stats AS jsonb) WITH FUNCTION deal_stats_jsonb(deal_stats);

CREATE AGGREGATE deal_stats_merge(deal_stats) (
	SFUNC = deal_stats_add, STYPE = deal_stats, COMBINEFUNC = deal_stats_add, PARALLEL = SAFE
);
COMMENT ON AGGREGATE deal_stats_merge(deal_stats) IS 'merge stored deal_stats (rollups)';

CREATE FUNCTION deal_stats_trans(deal_stats, anyenum, numeric, date, date) RETURNS deal_stats
	AS 'MODULE_PATHNAME', 'crm_deal_stats_trans' LANGUAGE C STABLE PARALLEL SAFE;
CREATE FUNCTION deal_stats_trans(deal_stats, anyenum, numeric, timestamptz, timestamptz) RETURNS deal_stats
	AS 'MODULE_PATHNAME', 'crm_deal_stats_trans' LANGUAGE C STABLE PARALLEL SAFE;
CREATE FUNCTION deal_stats_trans(deal_stats, anyenum, numeric, timestamp, timestamp) RETURNS deal_stats
	AS 'MODULE_PATHNAME', 'crm_deal_stats_trans' LANGUAGE C STABLE PARALLEL SAFE;
CREATE AGGREGATE deal_stats(stage anyenum, amount numeric, created_at date, closed_at date) (
	SFUNC = deal_stats_trans, STYPE = deal_stats, COMBINEFUNC = deal_stats_add, PARALLEL = SAFE
);
CREATE AGGREGATE deal_stats(stage anyenum, amount numeric, created_at timestamptz, closed_at timestamptz) (
	SFUNC = deal_stats_trans, STYPE = deal_stats, COMBINEFUNC = deal_stats_add, PARALLEL = SAFE
);
CREATE AGGREGATE deal_stats(stage anyenum, amount numeric, created_at timestamp, closed_at timestamp) (
	SFUNC = deal_stats_trans, STYPE = deal_stats, COMBINEFUNC = deal_stats_add, PARALLEL = SAFE
);
COMMENT ON AGGREGATE deal_stats(anyenum, numeric, date, date) IS
	'deal_stats of deals: stage (won/lost/open by the model''s categories), amount, created and closed dates';
COMMENT ON AGGREGATE deal_stats(anyenum, numeric, timestamptz, timestamptz) IS
	'deal_stats of deals: stage, amount, created and closed times (cycle = whole 24-hour periods)';
COMMENT ON AGGREGATE deal_stats(anyenum, numeric, timestamp, timestamp) IS
	'deal_stats of deals: stage, amount, created and closed times (cycle = whole 24-hour periods)';

-- Accessors.  The category argument of the internal C functions: 0 won, 1 lost, 2 open.
CREATE FUNCTION _ds_deals(deal_stats, integer) RETURNS bigint
	AS 'MODULE_PATHNAME', 'crm_ds_deals' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION _ds_amount(deal_stats, integer) RETURNS numeric
	AS 'MODULE_PATHNAME', 'crm_ds_amount' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION won_deals(deal_stats) RETURNS bigint
	LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE SET search_path = pg_catalog, pg_temp
	AS $$ SELECT crm_sales._ds_deals($1, 0) $$;
CREATE FUNCTION lost_deals(deal_stats) RETURNS bigint
	LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE SET search_path = pg_catalog, pg_temp
	AS $$ SELECT crm_sales._ds_deals($1, 1) $$;
CREATE FUNCTION open_deals(deal_stats) RETURNS bigint
	LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE SET search_path = pg_catalog, pg_temp
	AS $$ SELECT crm_sales._ds_deals($1, 2) $$;
CREATE FUNCTION won_amount(deal_stats) RETURNS numeric
	LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE SET search_path = pg_catalog, pg_temp
	AS $$ SELECT crm_sales._ds_amount($1, 0) $$;
CREATE FUNCTION lost_amount(deal_stats) RETURNS numeric
	LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE SET search_path = pg_catalog, pg_temp
	AS $$ SELECT crm_sales._ds_amount($1, 1) $$;
CREATE FUNCTION open_amount(deal_stats) RETURNS numeric
	LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE SET search_path = pg_catalog, pg_temp
	AS $$ SELECT crm_sales._ds_amount($1, 2) $$;
COMMENT ON FUNCTION won_deals(deal_stats) IS 'deals in a won stage';
COMMENT ON FUNCTION lost_deals(deal_stats) IS 'deals in a lost stage';
COMMENT ON FUNCTION open_deals(deal_stats) IS 'deals in an open stage';
COMMENT ON FUNCTION won_amount(deal_stats) IS 'exact sum of the won deals'' amounts';
COMMENT ON FUNCTION lost_amount(deal_stats) IS 'exact sum of the lost deals'' amounts';
COMMENT ON FUNCTION open_amount(deal_stats) IS 'exact sum of the open deals'' amounts (the pipeline)';

CREATE FUNCTION win_rate(deal_stats) RETURNS double precision
	AS 'MODULE_PATHNAME', 'crm_ds_win_rate' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION win_rate(deal_stats) IS 'won / (won + lost) deals; NULL if none is closed';
CREATE FUNCTION win_rate_by_amount(deal_stats) RETURNS double precision
	AS 'MODULE_PATHNAME', 'crm_ds_win_rate_amount' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION win_rate_by_amount(deal_stats) IS 'won amount / (won + lost amount); NULL if that is 0';
CREATE FUNCTION avg_won_size(deal_stats) RETURNS numeric
	AS 'MODULE_PATHNAME', 'crm_ds_avg_won_size' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION avg_won_size(deal_stats) IS 'average amount of the won deals with an amount (as avg() computes it)';
CREATE FUNCTION median_won_size(deal_stats) RETURNS numeric
	AS 'MODULE_PATHNAME', 'crm_ds_median_won_size' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION median_won_size(deal_stats) IS 'median amount of the won deals, within 0.5 % (log-scale buckets)';
CREATE FUNCTION cycle_days_mean(deal_stats) RETURNS numeric
	AS 'MODULE_PATHNAME', 'crm_ds_cycle_mean' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION cycle_days_mean(deal_stats) IS 'mean sales cycle of the won deals in days (exact, as avg() of the day counts)';
CREATE FUNCTION cycle_days_median(deal_stats) RETURNS numeric
	AS 'MODULE_PATHNAME', 'crm_ds_cycle_median' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION cycle_days_median(deal_stats) IS 'median sales cycle of the won deals in days (exact, percentile_cont(0.5))';
CREATE FUNCTION cycle_days_p90(deal_stats) RETURNS numeric
	AS 'MODULE_PATHNAME', 'crm_ds_cycle_p90' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION cycle_days_p90(deal_stats) IS '90th percentile of the won deals'' sales cycle in days (exact, percentile_cont(0.9))';
CREATE FUNCTION cycle_days_percentile(deal_stats, fraction double precision) RETURNS double precision
	AS 'MODULE_PATHNAME', 'crm_ds_cycle_percentile' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION cycle_days_percentile(deal_stats, double precision) IS 'percentile_cont(fraction) of the won deals'' sales cycle in days';
CREATE FUNCTION cycle_days_count(deal_stats) RETURNS bigint
	AS 'MODULE_PATHNAME', 'crm_ds_cycle_count' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION cycle_days_count(deal_stats) IS 'won deals with both a created and a closed time (those the cycle statistics describe)';
CREATE FUNCTION sales_velocity(deal_stats) RETURNS numeric
	AS 'MODULE_PATHNAME', 'crm_ds_velocity' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION sales_velocity(deal_stats) IS 'open deals * average won size * win rate / mean cycle days: expected won amount per day';

-- Every KPI of a deal_stats in one row (use it in FROM or LATERAL).
CREATE FUNCTION deal_kpis(deal_stats,
	OUT won_deals bigint, OUT lost_deals bigint, OUT open_deals bigint,
	OUT won_amount numeric, OUT lost_amount numeric, OUT open_amount numeric,
	OUT win_rate double precision, OUT win_rate_by_amount double precision,
	OUT avg_won_size numeric, OUT median_won_size numeric,
	OUT cycle_days_mean numeric, OUT cycle_days_median numeric, OUT cycle_days_p90 numeric,
	OUT sales_velocity numeric)
	LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE SET search_path = pg_catalog, pg_temp
	AS $$ SELECT crm_sales.won_deals($1), crm_sales.lost_deals($1), crm_sales.open_deals($1),
				 crm_sales.won_amount($1), crm_sales.lost_amount($1), crm_sales.open_amount($1),
				 crm_sales.win_rate($1), crm_sales.win_rate_by_amount($1),
				 crm_sales.avg_won_size($1), crm_sales.median_won_size($1),
				 crm_sales.cycle_days_mean($1), crm_sales.cycle_days_median($1),
				 crm_sales.cycle_days_p90($1), crm_sales.sales_velocity($1) $$;
COMMENT ON FUNCTION deal_kpis(deal_stats) IS 'every KPI of a deal_stats as one row';

-- ---- deal_stats from the stage history ----

-- Per entity of a model's history: its last stage, when it was created
-- (first recorded move) and closed (its move into that last stage, if the
-- stage is won or lost).  Join it to the entity table for amounts.
CREATE FUNCTION deal_history(model regtype, entity_table regclass DEFAULT NULL,
	since timestamptz DEFAULT NULL, until timestamptz DEFAULT NULL)
RETURNS TABLE (table_name regclass, entity_id text, stage text, category text,
	created_at timestamptz, closed_at timestamptz)
LANGUAGE sql STABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
	SELECT h.table_name, h.entity_id,
		   (array_agg(h.to_stage ORDER BY h.changed_at DESC, h.id DESC))[1],
		   (array_agg(h.category ORDER BY h.changed_at DESC, h.id DESC))[1],
		   min(h.changed_at),
		   CASE WHEN (array_agg(h.category ORDER BY h.changed_at DESC, h.id DESC))[1] <> 'open'
				THEN max(h.changed_at) END
	  FROM crm_sales._stage_moves($1, $2, $3, $4) AS h
	 GROUP BY h.table_name, h.entity_id
$$;
COMMENT ON FUNCTION deal_history(regtype, regclass, timestamptz, timestamptz) IS
	'per entity of the stage history: last stage, its category, created_at (first move) and closed_at (move into a won or lost last stage)';

-- The deal_stats of the recorded history (counts and cycle lengths; no amounts).
CREATE FUNCTION history_deal_stats(model regtype, entity_table regclass DEFAULT NULL,
	since timestamptz DEFAULT NULL, until timestamptz DEFAULT NULL)
RETURNS deal_stats
LANGUAGE plpgsql STABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	result crm_sales.deal_stats;
BEGIN
	PERFORM crm_sales._model_check(model);
	EXECUTE format('SELECT crm_sales.deal_stats(h.stage::%s, NULL::numeric, h.created_at, h.closed_at)
					  FROM crm_sales.deal_history($1, $2, $3, $4) AS h', model)
	   INTO result USING model, entity_table, since, until;
	RETURN result;
END
$$;
COMMENT ON FUNCTION history_deal_stats(regtype, regclass, timestamptz, timestamptz) IS
	'deal_stats of the entities in the stage history: win rate, cycle lengths (no amounts)';
