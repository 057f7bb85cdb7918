-- ---- event-log funnels: window_funnel, retention, funnel_events (src/event_funnel.c)
-- window_funnel(window, [mode,] ts, step1, ..., stepN): the deepest step one
-- entity reached (ClickHouse windowFunnel).  One step is its own aggregate;
-- 2 to 32 steps (the maximum: steps are bits of a 32-bit mask) go through
-- one VARIADIC aggregate (step1 boolean, VARIADIC boolean[]), so a call
-- reads as in ClickHouse and the catalog holds 6 aggregates, not 66; a
-- boolean[] form takes the steps as one array.  Internal state: 12 bytes
-- per event of the group.
CREATE FUNCTION _window_funnel_combine(internal, internal) RETURNS internal
	AS 'MODULE_PATHNAME', 'crm_window_funnel_combine' LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION _window_funnel_serial(internal) RETURNS bytea
	AS 'MODULE_PATHNAME', 'crm_window_funnel_serial' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION _window_funnel_deserial(bytea, internal) RETURNS internal
	AS 'MODULE_PATHNAME', 'crm_window_funnel_deserial' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION _window_funnel_final(internal) RETURNS integer
	AS 'MODULE_PATHNAME', 'crm_window_funnel_final' LANGUAGE C IMMUTABLE PARALLEL SAFE;

CREATE FUNCTION _window_funnel_trans(internal, interval, timestamptz, boolean)
	RETURNS internal AS 'MODULE_PATHNAME', 'crm_window_funnel_trans'
	LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE AGGREGATE window_funnel(interval, timestamptz, boolean) (
	SFUNC = _window_funnel_trans, STYPE = internal, FINALFUNC = _window_funnel_final,
	COMBINEFUNC = _window_funnel_combine, SERIALFUNC = _window_funnel_serial,
	DESERIALFUNC = _window_funnel_deserial, PARALLEL = SAFE);
CREATE FUNCTION _window_funnel_trans(internal, interval, text, timestamptz, boolean)
	RETURNS internal AS 'MODULE_PATHNAME', 'crm_window_funnel_mode_trans'
	LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE AGGREGATE window_funnel(interval, text, timestamptz, boolean) (
	SFUNC = _window_funnel_trans, STYPE = internal, FINALFUNC = _window_funnel_final,
	COMBINEFUNC = _window_funnel_combine, SERIALFUNC = _window_funnel_serial,
	DESERIALFUNC = _window_funnel_deserial, PARALLEL = SAFE);
CREATE FUNCTION _window_funnel_trans(internal, interval, timestamptz, boolean, boolean[])
	RETURNS internal AS 'MODULE_PATHNAME', 'crm_window_funnel_var_trans'
	LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE AGGREGATE window_funnel(interval, timestamptz, boolean, VARIADIC boolean[]) (
	SFUNC = _window_funnel_trans, STYPE = internal, FINALFUNC = _window_funnel_final,
	COMBINEFUNC = _window_funnel_combine, SERIALFUNC = _window_funnel_serial,
	DESERIALFUNC = _window_funnel_deserial, PARALLEL = SAFE);
CREATE FUNCTION _window_funnel_trans(internal, interval, text, timestamptz, boolean, boolean[])
	RETURNS internal AS 'MODULE_PATHNAME', 'crm_window_funnel_mode_var_trans'
	LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE AGGREGATE window_funnel(interval, text, timestamptz, boolean, VARIADIC boolean[]) (
	SFUNC = _window_funnel_trans, STYPE = internal, FINALFUNC = _window_funnel_final,
	COMBINEFUNC = _window_funnel_combine, SERIALFUNC = _window_funnel_serial,
	DESERIALFUNC = _window_funnel_deserial, PARALLEL = SAFE);
CREATE FUNCTION _window_funnel_trans(internal, interval, timestamptz, boolean[]) RETURNS internal
	AS 'MODULE_PATHNAME', 'crm_window_funnel_arr_trans' LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE AGGREGATE window_funnel(interval, timestamptz, boolean[]) (
	SFUNC = _window_funnel_trans, STYPE = internal, FINALFUNC = _window_funnel_final,
	COMBINEFUNC = _window_funnel_combine, SERIALFUNC = _window_funnel_serial,
	DESERIALFUNC = _window_funnel_deserial, PARALLEL = SAFE);
CREATE FUNCTION _window_funnel_trans(internal, interval, text, timestamptz, boolean[]) RETURNS internal
	AS 'MODULE_PATHNAME', 'crm_window_funnel_mode_arr_trans' LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE AGGREGATE window_funnel(interval, text, timestamptz, boolean[]) (
	SFUNC = _window_funnel_trans, STYPE = internal, FINALFUNC = _window_funnel_final,
	COMBINEFUNC = _window_funnel_combine, SERIALFUNC = _window_funnel_serial,
	DESERIALFUNC = _window_funnel_deserial, PARALLEL = SAFE);
COMMENT ON AGGREGATE window_funnel(interval, timestamptz, boolean) IS
	'Deepest funnel step reached in order within the window (ClickHouse windowFunnel), one step';
COMMENT ON AGGREGATE window_funnel(interval, text, timestamptz, boolean) IS
	'Deepest funnel step reached in order within the window, with a mode (strict_order, ...), one step';
COMMENT ON AGGREGATE window_funnel(interval, timestamptz, boolean, VARIADIC boolean[]) IS
	'Deepest funnel step reached in order within the window (ClickHouse windowFunnel), 2 to 32 steps';
COMMENT ON AGGREGATE window_funnel(interval, text, timestamptz, boolean, VARIADIC boolean[]) IS
	'Deepest funnel step reached in order within the window, with a mode (strict_order, ...), 2 to 32 steps';
COMMENT ON AGGREGATE window_funnel(interval, timestamptz, boolean[]) IS
	'Deepest funnel step reached in order within the window, steps as one array (1 to 32)';
COMMENT ON AGGREGATE window_funnel(interval, text, timestamptz, boolean[]) IS
	'Deepest funnel step reached in order within the window, with a mode, steps as one array (1 to 32)';

-- retention(cond1, ..., condN), N = 2..32 -> integer[]: state is a bigint (the OR of
-- the conditions seen in the low 32 bits, N above them).
CREATE FUNCTION _retention_combine(bigint, bigint) RETURNS bigint
	AS 'MODULE_PATHNAME', 'crm_retention_combine' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION _retention_final(bigint) RETURNS integer[]
	AS 'MODULE_PATHNAME', 'crm_retention_final' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION _retention_trans(bigint, boolean, boolean[]) RETURNS bigint
	AS 'MODULE_PATHNAME', 'crm_retention_var_trans' LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE AGGREGATE retention(boolean, VARIADIC boolean[]) (
	SFUNC = _retention_trans, STYPE = bigint, INITCOND = '0', FINALFUNC = _retention_final,
	COMBINEFUNC = _retention_combine, PARALLEL = SAFE);
CREATE FUNCTION _retention_trans(bigint, boolean[]) RETURNS bigint
	AS 'MODULE_PATHNAME', 'crm_retention_arr_trans' LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE AGGREGATE retention(boolean[]) (
	SFUNC = _retention_trans, STYPE = bigint, INITCOND = '0', FINALFUNC = _retention_final,
	COMBINEFUNC = _retention_combine, PARALLEL = SAFE);
COMMENT ON AGGREGATE retention(boolean, VARIADIC boolean[]) IS
	'Retention flags (ClickHouse retention): [cond1, cond1 and cond2, ..., cond1 and condN], 2 to 32 conditions';
COMMENT ON AGGREGATE retention(boolean[]) IS
	'Retention flags (ClickHouse retention), conditions as one array (2 to 32)';

-- funnel_events(window, entity, ts, step [, mode]) -> funnel: the whole
-- funnel of many entities in one pass, a positional funnel whose stage k is
-- reached by the entities whose deepest step is at least k.  Internal
-- state: a compact log (src/core/funnel/event_log.h), about 7 bytes per event.
CREATE FUNCTION _funnel_events_trans(internal, interval, bigint, timestamptz, integer)
	RETURNS internal AS 'MODULE_PATHNAME', 'crm_funnel_events_trans'
	LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION _funnel_events_trans(internal, interval, bigint, timestamptz, integer, text)
	RETURNS internal AS 'MODULE_PATHNAME', 'crm_funnel_events_trans'
	LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION _funnel_events_combine(internal, internal) RETURNS internal
	AS 'MODULE_PATHNAME', 'crm_funnel_events_combine' LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION _funnel_events_serial(internal) RETURNS bytea
	AS 'MODULE_PATHNAME', 'crm_funnel_events_serial' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION _funnel_events_deserial(bytea, internal) RETURNS internal
	AS 'MODULE_PATHNAME', 'crm_funnel_events_deserial' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION _funnel_events_final(internal) RETURNS funnel
	AS 'MODULE_PATHNAME', 'crm_funnel_events_final' LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE AGGREGATE funnel_events(interval, bigint, timestamptz, integer) (
	SFUNC = _funnel_events_trans, STYPE = internal, FINALFUNC = _funnel_events_final,
	COMBINEFUNC = _funnel_events_combine, SERIALFUNC = _funnel_events_serial,
	DESERIALFUNC = _funnel_events_deserial, PARALLEL = SAFE);
CREATE AGGREGATE funnel_events(interval, bigint, timestamptz, integer, text) (
	SFUNC = _funnel_events_trans, STYPE = internal, FINALFUNC = _funnel_events_final,
	COMBINEFUNC = _funnel_events_combine, SERIALFUNC = _funnel_events_serial,
	DESERIALFUNC = _funnel_events_deserial, PARALLEL = SAFE);

COMMENT ON AGGREGATE funnel_events(interval, bigint, timestamptz, integer) IS
	'Funnel of many entities in one pass from (entity, ts, step) events: a positional crm_sales.funnel';
COMMENT ON AGGREGATE funnel_events(interval, bigint, timestamptz, integer, text) IS
	'Funnel of many entities in one pass from (entity, ts, step) events, with a mode: a positional crm_sales.funnel';

-- (end of funnel section)


