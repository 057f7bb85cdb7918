-- ---- event-log funnels: window_funnel, retention, funnel_events (src/event_funnel.c)
-- window_funnel(window, [mode,] ts, step1, ..., stepN): the deepest step one
-- entity reached (ClickHouse windowFunnel).  PostgreSQL aggregates cannot
-- take a variadic list of booleans, so the DO block below creates one
-- overload per step count, 1 to 32 (the maximum: steps are bits of a
-- 32-bit mask), with and without the mode text; a bool[] form takes the
-- steps as one array.  Internal state: 12 bytes per event of the group.
CREATE FUNCTION window_funnel_combine(internal, internal) RETURNS internal
	AS 'MODULE_PATHNAME', 'crm_window_funnel_combine' LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION window_funnel_serial(internal) RETURNS bytea
	AS 'MODULE_PATHNAME', 'crm_window_funnel_serial' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION window_funnel_deserial(bytea, internal) RETURNS internal
	AS 'MODULE_PATHNAME', 'crm_window_funnel_deserial' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION window_funnel_final(internal) RETURNS integer
	AS 'MODULE_PATHNAME', 'crm_window_funnel_final' LANGUAGE C IMMUTABLE PARALLEL SAFE;

-- retention(cond1, ..., condN), N = 2..32 -> integer[]: state is a bigint (the OR of
-- the conditions seen in the low 32 bits, N above them).
CREATE FUNCTION retention_combine(bigint, bigint) RETURNS bigint
	AS 'MODULE_PATHNAME', 'crm_retention_combine' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION retention_final(bigint) RETURNS integer[]
	AS 'MODULE_PATHNAME', 'crm_retention_final' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

DO $wf$
DECLARE
	n int;
	bools text;
BEGIN
	FOR n IN 1..32 LOOP
		bools := array_to_string(array_fill('boolean'::text, ARRAY[n]), ', ');
		EXECUTE format($f$
			CREATE FUNCTION crm_sales.window_funnel_trans(internal, interval, timestamptz, %1$s)
				RETURNS internal AS 'MODULE_PATHNAME', 'crm_window_funnel_trans'
				LANGUAGE C IMMUTABLE PARALLEL SAFE;
			CREATE AGGREGATE crm_sales.window_funnel(interval, timestamptz, %1$s) (
				SFUNC = crm_sales.window_funnel_trans, STYPE = internal,
				FINALFUNC = crm_sales.window_funnel_final,
				COMBINEFUNC = crm_sales.window_funnel_combine,
				SERIALFUNC = crm_sales.window_funnel_serial,
				DESERIALFUNC = crm_sales.window_funnel_deserial, PARALLEL = SAFE);
			CREATE FUNCTION crm_sales.window_funnel_trans(internal, interval, text, timestamptz, %1$s)
				RETURNS internal AS 'MODULE_PATHNAME', 'crm_window_funnel_mode_trans'
				LANGUAGE C IMMUTABLE PARALLEL SAFE;
			CREATE AGGREGATE crm_sales.window_funnel(interval, text, timestamptz, %1$s) (
				SFUNC = crm_sales.window_funnel_trans, STYPE = internal,
				FINALFUNC = crm_sales.window_funnel_final,
				COMBINEFUNC = crm_sales.window_funnel_combine,
				SERIALFUNC = crm_sales.window_funnel_serial,
				DESERIALFUNC = crm_sales.window_funnel_deserial, PARALLEL = SAFE);
			$f$, bools);
		-- retention takes 2 to 32 conditions, as ClickHouse's does
		CONTINUE WHEN n < 2;
		EXECUTE format($f$
			CREATE FUNCTION crm_sales.retention_trans(bigint, %1$s) RETURNS bigint
				AS 'MODULE_PATHNAME', 'crm_retention_trans'
				LANGUAGE C IMMUTABLE PARALLEL SAFE;
			CREATE AGGREGATE crm_sales.retention(%1$s) (
				SFUNC = crm_sales.retention_trans, STYPE = bigint, INITCOND = '0',
				FINALFUNC = crm_sales.retention_final,
				COMBINEFUNC = crm_sales.retention_combine, PARALLEL = SAFE);
			$f$, bools);
	END LOOP;
END
$wf$;

CREATE FUNCTION window_funnel_trans(internal, interval, timestamptz, boolean[]) RETURNS internal
	AS 'MODULE_PATHNAME', 'crm_window_funnel_arr_trans' LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE AGGREGATE window_funnel(interval, timestamptz, boolean[]) (
	SFUNC = window_funnel_trans, STYPE = internal, FINALFUNC = window_funnel_final,
	COMBINEFUNC = window_funnel_combine, SERIALFUNC = window_funnel_serial,
	DESERIALFUNC = window_funnel_deserial, PARALLEL = SAFE);
CREATE FUNCTION window_funnel_trans(internal, interval, text, timestamptz, boolean[]) RETURNS internal
	AS 'MODULE_PATHNAME', 'crm_window_funnel_mode_arr_trans' LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE AGGREGATE window_funnel(interval, text, timestamptz, boolean[]) (
	SFUNC = window_funnel_trans, STYPE = internal, FINALFUNC = window_funnel_final,
	COMBINEFUNC = window_funnel_combine, SERIALFUNC = window_funnel_serial,
	DESERIALFUNC = window_funnel_deserial, PARALLEL = SAFE);
CREATE FUNCTION retention_trans(bigint, boolean[]) RETURNS bigint
	AS 'MODULE_PATHNAME', 'crm_retention_arr_trans' LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE AGGREGATE retention(boolean[]) (
	SFUNC = retention_trans, STYPE = bigint, INITCOND = '0', FINALFUNC = retention_final,
	COMBINEFUNC = retention_combine, PARALLEL = SAFE);

-- funnel_events(window, entity, ts, step [, mode]) -> funnel: the whole
-- funnel of many entities in one pass, a positional funnel whose stage k is
-- reached by the entities whose deepest step is at least k.  Internal
-- state: 20 bytes per event.
CREATE FUNCTION funnel_events_trans(internal, interval, bigint, timestamptz, integer)
	RETURNS internal AS 'MODULE_PATHNAME', 'crm_funnel_events_trans'
	LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION funnel_events_trans(internal, interval, bigint, timestamptz, integer, text)
	RETURNS internal AS 'MODULE_PATHNAME', 'crm_funnel_events_trans'
	LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION funnel_events_combine(internal, internal) RETURNS internal
	AS 'MODULE_PATHNAME', 'crm_funnel_events_combine' LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION funnel_events_serial(internal) RETURNS bytea
	AS 'MODULE_PATHNAME', 'crm_funnel_events_serial' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION funnel_events_deserial(bytea, internal) RETURNS internal
	AS 'MODULE_PATHNAME', 'crm_funnel_events_deserial' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION funnel_events_final(internal) RETURNS funnel
	AS 'MODULE_PATHNAME', 'crm_funnel_events_final' LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE AGGREGATE funnel_events(interval, bigint, timestamptz, integer) (
	SFUNC = funnel_events_trans, STYPE = internal, FINALFUNC = funnel_events_final,
	COMBINEFUNC = funnel_events_combine, SERIALFUNC = funnel_events_serial,
	DESERIALFUNC = funnel_events_deserial, PARALLEL = SAFE);
CREATE AGGREGATE funnel_events(interval, bigint, timestamptz, integer, text) (
	SFUNC = funnel_events_trans, STYPE = internal, FINALFUNC = funnel_events_final,
	COMBINEFUNC = funnel_events_combine, SERIALFUNC = funnel_events_serial,
	DESERIALFUNC = funnel_events_deserial, PARALLEL = SAFE);

-- (end of funnel section)


