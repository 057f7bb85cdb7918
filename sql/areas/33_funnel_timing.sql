-- ---- time to convert per funnel step (src/funnel_timing.c, core/funnel/timing.c)
-- funnel_timing: per step, how many entities reached it, and per step k >= 2
-- the distribution of the time from step k-1 (and from step 1) to step k
-- over the entities that reached it: exact count, sum, min, max, and a
-- log-linear histogram (buckets at most 1/128 wide) for quantiles and bins.
-- Bounded (at most 7,296 buckets per distribution), so it is a real type
-- that rollup tables store and parallel query / Citus combine.
CREATE TYPE funnel_timing;
CREATE FUNCTION funnel_timing_in(cstring) RETURNS funnel_timing
	AS 'MODULE_PATHNAME', 'crm_funnel_timing_in' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION funnel_timing_out(funnel_timing) RETURNS cstring
	AS 'MODULE_PATHNAME', 'crm_funnel_timing_out' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION funnel_timing_recv(internal) RETURNS funnel_timing
	AS 'MODULE_PATHNAME', 'crm_funnel_timing_recv' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION funnel_timing_send(funnel_timing) RETURNS bytea
	AS 'MODULE_PATHNAME', 'crm_funnel_timing_send' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE TYPE funnel_timing (
	INPUT = funnel_timing_in, OUTPUT = funnel_timing_out,
	RECEIVE = funnel_timing_recv, SEND = funnel_timing_send,
	INTERNALLENGTH = VARIABLE, ALIGNMENT = double, STORAGE = extended
);
COMMENT ON TYPE funnel_timing IS 'crm_sales: time to convert per funnel step (reached counts; per step the exact count, sum, min, max and a log-linear histogram of the time from the previous step and from step 1); mergeable';
COMMENT ON FUNCTION funnel_timing_in(cstring) IS 'text input of crm_sales.funnel_timing';
COMMENT ON FUNCTION funnel_timing_out(funnel_timing) IS 'text output of crm_sales.funnel_timing';
COMMENT ON FUNCTION funnel_timing_recv(internal) IS 'binary input of crm_sales.funnel_timing';
COMMENT ON FUNCTION funnel_timing_send(funnel_timing) IS 'binary output of crm_sales.funnel_timing';

CREATE FUNCTION funnel_timing_add(funnel_timing, funnel_timing) RETURNS funnel_timing
	AS 'MODULE_PATHNAME', 'crm_funnel_timing_add' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE OPERATOR + (LEFTARG = funnel_timing, RIGHTARG = funnel_timing,
	FUNCTION = funnel_timing_add, COMMUTATOR = +);
CREATE FUNCTION funnel_timing_eq(funnel_timing, funnel_timing) RETURNS boolean
	AS 'MODULE_PATHNAME', 'crm_funnel_timing_eq' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE OPERATOR = (LEFTARG = funnel_timing, RIGHTARG = funnel_timing, FUNCTION = funnel_timing_eq,
	COMMUTATOR = =, RESTRICT = eqsel, JOIN = eqjoinsel);
CREATE FUNCTION funnel_timing_jsonb(funnel_timing) RETURNS jsonb
	AS 'MODULE_PATHNAME', 'crm_funnel_timing_jsonb' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE CAST (funnel_timing AS jsonb) WITH FUNCTION funnel_timing_jsonb(funnel_timing);
COMMENT ON FUNCTION funnel_timing_add(funnel_timing, funnel_timing) IS
	'merge two funnel timings of the same number of steps (the + operator)';
COMMENT ON OPERATOR + (funnel_timing, funnel_timing) IS
	'merge two funnel timings of the same number of steps';
COMMENT ON FUNCTION funnel_timing_eq(funnel_timing, funnel_timing) IS
	'equal steps, reached counts and distributions (the = operator)';
COMMENT ON OPERATOR = (funnel_timing, funnel_timing) IS
	'equal steps, reached counts and distributions';
COMMENT ON FUNCTION funnel_timing_jsonb(funnel_timing) IS
	'funnel_timing as jsonb for BI tools: reached counts, per step mean / min / median / p90 / max in seconds from the previous step and from step 1';
COMMENT ON CAST (funnel_timing AS jsonb) IS
	'funnel_timing as jsonb for BI tools (funnel_timing_jsonb)';

-- funnel_timing_merge: the rollup of stored values; the state is the type
-- itself, updated in place, and the final function returns it compact
CREATE FUNCTION _funnel_timing_merge_trans(funnel_timing, funnel_timing) RETURNS funnel_timing
	AS 'MODULE_PATHNAME', 'crm_funnel_timing_merge_trans' LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION _funnel_timing_merge_combine(funnel_timing, funnel_timing) RETURNS funnel_timing
	AS 'MODULE_PATHNAME', 'crm_funnel_timing_merge_trans' LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION _funnel_timing_merge_final(funnel_timing) RETURNS funnel_timing
	AS 'MODULE_PATHNAME', 'crm_funnel_timing_merge_final' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE AGGREGATE funnel_timing_merge(funnel_timing) (
	SFUNC = _funnel_timing_merge_trans, STYPE = funnel_timing,
	FINALFUNC = _funnel_timing_merge_final,
	COMBINEFUNC = _funnel_timing_merge_combine, PARALLEL = SAFE
);
COMMENT ON AGGREGATE funnel_timing_merge(funnel_timing) IS
	'merge stored funnel timings (rollups): reached counts add, distributions merge exactly';

-- funnel_timing(window, [mode,] ts, steps...): one entity (GROUP BY it): the
-- chain window_funnel credits it with, and the times between its steps.
-- The state is window_funnel's (12 bytes per event): its combine, serial
-- and deserial functions under this aggregate's names.
CREATE FUNCTION _funnel_timing_combine(internal, internal) RETURNS internal
	AS 'MODULE_PATHNAME', 'crm_window_funnel_combine' LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION _funnel_timing_serial(internal) RETURNS bytea
	AS 'MODULE_PATHNAME', 'crm_window_funnel_serial' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION _funnel_timing_deserial(bytea, internal) RETURNS internal
	AS 'MODULE_PATHNAME', 'crm_window_funnel_deserial' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION _funnel_timing_final(internal) RETURNS funnel_timing
	AS 'MODULE_PATHNAME', 'crm_funnel_timing_final' LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION _funnel_timing_trans(internal, interval, timestamptz, boolean, boolean[])
	RETURNS internal AS 'MODULE_PATHNAME', 'crm_funnel_timing_var_trans'
	LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE AGGREGATE funnel_timing(interval, timestamptz, boolean, VARIADIC boolean[]) (
	SFUNC = _funnel_timing_trans, STYPE = internal, FINALFUNC = _funnel_timing_final,
	COMBINEFUNC = _funnel_timing_combine, SERIALFUNC = _funnel_timing_serial,
	DESERIALFUNC = _funnel_timing_deserial, PARALLEL = SAFE);
CREATE FUNCTION _funnel_timing_trans(internal, interval, text, timestamptz, boolean, boolean[])
	RETURNS internal AS 'MODULE_PATHNAME', 'crm_funnel_timing_mode_var_trans'
	LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE AGGREGATE funnel_timing(interval, text, timestamptz, boolean, VARIADIC boolean[]) (
	SFUNC = _funnel_timing_trans, STYPE = internal, FINALFUNC = _funnel_timing_final,
	COMBINEFUNC = _funnel_timing_combine, SERIALFUNC = _funnel_timing_serial,
	DESERIALFUNC = _funnel_timing_deserial, PARALLEL = SAFE);
CREATE FUNCTION _funnel_timing_trans(internal, interval, timestamptz, boolean[])
	RETURNS internal AS 'MODULE_PATHNAME', 'crm_funnel_timing_arr_trans'
	LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE AGGREGATE funnel_timing(interval, timestamptz, boolean[]) (
	SFUNC = _funnel_timing_trans, STYPE = internal, FINALFUNC = _funnel_timing_final,
	COMBINEFUNC = _funnel_timing_combine, SERIALFUNC = _funnel_timing_serial,
	DESERIALFUNC = _funnel_timing_deserial, PARALLEL = SAFE);
CREATE FUNCTION _funnel_timing_trans(internal, interval, text, timestamptz, boolean[])
	RETURNS internal AS 'MODULE_PATHNAME', 'crm_funnel_timing_mode_arr_trans'
	LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE AGGREGATE funnel_timing(interval, text, timestamptz, boolean[]) (
	SFUNC = _funnel_timing_trans, STYPE = internal, FINALFUNC = _funnel_timing_final,
	COMBINEFUNC = _funnel_timing_combine, SERIALFUNC = _funnel_timing_serial,
	DESERIALFUNC = _funnel_timing_deserial, PARALLEL = SAFE);
COMMENT ON AGGREGATE funnel_timing(interval, timestamptz, boolean, VARIADIC boolean[]) IS
	'Time to convert of one entity: the steps window_funnel credits it with and the times between them, 2 to 32 steps';
COMMENT ON AGGREGATE funnel_timing(interval, text, timestamptz, boolean, VARIADIC boolean[]) IS
	'Time to convert of one entity, with a window_funnel mode (strict_order, ...; not any_order), 2 to 32 steps';
COMMENT ON AGGREGATE funnel_timing(interval, timestamptz, boolean[]) IS
	'Time to convert of one entity, steps as one array (1 to 32)';
COMMENT ON AGGREGATE funnel_timing(interval, text, timestamptz, boolean[]) IS
	'Time to convert of one entity, with a window_funnel mode, steps as one array (1 to 32)';

-- reading a funnel_timing
CREATE FUNCTION funnel_timing_steps(funnel_timing,
	OUT step integer, OUT reached bigint, OUT conversion_from_previous double precision,
	OUT mean interval, OUT median interval, OUT p90 interval, OUT min interval, OUT max interval,
	OUT mean_from_first interval, OUT median_from_first interval, OUT p90_from_first interval)
	RETURNS SETOF record
	AS 'MODULE_PATHNAME', 'crm_funnel_timing_steps' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE ROWS 8;
CREATE FUNCTION funnel_timing_quantile(funnel_timing, step integer, quantile double precision,
	from_first boolean DEFAULT false) RETURNS interval
	AS 'MODULE_PATHNAME', 'crm_funnel_timing_quantile' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION funnel_timing_histogram(funnel_timing, step integer, edges interval[],
	from_first boolean DEFAULT false,
	OUT bin integer, OUT lower interval, OUT upper interval, OUT entities bigint,
	OUT share double precision, OUT exact boolean)
	RETURNS SETOF record
	AS 'MODULE_PATHNAME', 'crm_funnel_timing_histogram' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE ROWS 10;
COMMENT ON FUNCTION funnel_timing_steps(funnel_timing) IS
	'one row per step: reached, conversion from the previous step, mean / median / p90 / min / max time from the previous step, mean / median / p90 time from step 1';
COMMENT ON FUNCTION funnel_timing_quantile(funnel_timing, integer, double precision, boolean) IS
	'quantile (percentile_disc sense, within 1/256) of the time to reach a step from the previous step, or from step 1';
COMMENT ON FUNCTION funnel_timing_histogram(funnel_timing, integer, interval[], boolean) IS
	'entities per bin [0, e1), [e1, e2), ..., [en, infinity) of the time to reach a step, with shares and whether each count is exact';
