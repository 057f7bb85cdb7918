-- ---- event-log funnels (sql/areas/31_event_funnel.sql)
-- window_funnel with 2 to 32 separate step arguments and retention with 2 to
-- 32 conditions become one VARIADIC aggregate each (step1 boolean, VARIADIC
-- boolean[]); the one-step and boolean[] forms stay as they are.  A view or
-- function of the user that calls one of the old overloads depends on it by
-- OID and would block the DROP with PostgreSQL's hint "use DROP ... CASCADE"
-- (which would drop the user's view): refuse first with the list and the fix.
DO $upgrade$
DECLARE
	deps text;
BEGIN
	SELECT string_agg(DISTINCT pg_describe_object(d.classid, d.objid, d.objsubid), ', ')
	  INTO deps
	  FROM pg_depend d
	  JOIN pg_proc p ON d.refclassid = 'pg_proc'::regclass AND d.refobjid = p.oid
	 WHERE p.pronamespace = 'crm_sales'::regnamespace
	   AND ((p.proname = 'window_funnel' AND p.pronargs >= 4
			 AND p.proargtypes[p.pronargs - 1] = 'boolean'::regtype
			 AND p.proargtypes[p.pronargs - 2] = 'boolean'::regtype)
			OR (p.proname = 'retention' AND p.pronargs >= 2
				AND p.proargtypes[0] = 'boolean'::regtype))
	   AND d.deptype = 'n';
	IF deps IS NOT NULL THEN
		RAISE EXCEPTION 'crm_sales 0.2.0 replaces window_funnel with 2 to 32 step arguments and retention by VARIADIC aggregates, and these objects depend on the old ones: %', deps
			USING ERRCODE = 'dependent_objects_still_exist',
				  HINT = 'Save their definitions (pg_get_viewdef, pg_get_functiondef), drop them, run ALTER EXTENSION crm_sales UPDATE, and create them again from the same SQL text: the calls then resolve to the VARIADIC aggregates.';
	END IF;
END
$upgrade$;

DO $upgrade$
DECLARE
	n int;
	bools text;
BEGIN
	FOR n IN 2..32 LOOP
		bools := array_to_string(array_fill('boolean'::text, ARRAY[n]), ', ');
		EXECUTE format($f$
			DROP AGGREGATE crm_sales.window_funnel(interval, timestamptz, %1$s);
			DROP FUNCTION crm_sales.window_funnel_trans(internal, interval, timestamptz, %1$s);
			DROP AGGREGATE crm_sales.window_funnel(interval, text, timestamptz, %1$s);
			DROP FUNCTION crm_sales.window_funnel_trans(internal, interval, text, timestamptz, %1$s);
			DROP AGGREGATE crm_sales.retention(%1$s);
			DROP FUNCTION crm_sales.retention_trans(bigint, %1$s);
			$f$, bools);
	END LOOP;
END
$upgrade$;

-- The support functions that stay get the internal "_" names of 0.2.0
-- (docs/architecture.md, "Names and comments"); aggregates refer to them by
-- OID, so nothing else changes, and the C symbols stay.
ALTER FUNCTION window_funnel_combine(internal, internal) RENAME TO _window_funnel_combine;
ALTER FUNCTION window_funnel_serial(internal) RENAME TO _window_funnel_serial;
ALTER FUNCTION window_funnel_deserial(bytea, internal) RENAME TO _window_funnel_deserial;
ALTER FUNCTION window_funnel_final(internal) RENAME TO _window_funnel_final;
ALTER FUNCTION window_funnel_trans(internal, interval, timestamptz, boolean) RENAME TO _window_funnel_trans;
ALTER FUNCTION window_funnel_trans(internal, interval, text, timestamptz, boolean) RENAME TO _window_funnel_trans;
ALTER FUNCTION window_funnel_trans(internal, interval, timestamptz, boolean[]) RENAME TO _window_funnel_trans;
ALTER FUNCTION window_funnel_trans(internal, interval, text, timestamptz, boolean[]) RENAME TO _window_funnel_trans;
ALTER FUNCTION retention_combine(bigint, bigint) RENAME TO _retention_combine;
ALTER FUNCTION retention_final(bigint) RENAME TO _retention_final;
ALTER FUNCTION retention_trans(bigint, boolean[]) RENAME TO _retention_trans;
ALTER FUNCTION funnel_events_trans(internal, interval, bigint, timestamptz, integer) RENAME TO _funnel_events_trans;
ALTER FUNCTION funnel_events_trans(internal, interval, bigint, timestamptz, integer, text) RENAME TO _funnel_events_trans;
ALTER FUNCTION funnel_events_combine(internal, internal) RENAME TO _funnel_events_combine;
ALTER FUNCTION funnel_events_serial(internal) RENAME TO _funnel_events_serial;
ALTER FUNCTION funnel_events_deserial(bytea, internal) RENAME TO _funnel_events_deserial;
ALTER FUNCTION funnel_events_final(internal) RENAME TO _funnel_events_final;

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
CREATE FUNCTION _retention_trans(bigint, boolean, boolean[]) RETURNS bigint
	AS 'MODULE_PATHNAME', 'crm_retention_var_trans' LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE AGGREGATE retention(boolean, VARIADIC boolean[]) (
	SFUNC = _retention_trans, STYPE = bigint, INITCOND = '0', FINALFUNC = _retention_final,
	COMBINEFUNC = _retention_combine, PARALLEL = SAFE);

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
COMMENT ON AGGREGATE retention(boolean, VARIADIC boolean[]) IS
	'Retention flags (ClickHouse retention): [cond1, cond1 and cond2, ..., cond1 and condN], 2 to 32 conditions';
COMMENT ON AGGREGATE retention(boolean[]) IS
	'Retention flags (ClickHouse retention), conditions as one array (2 to 32)';
COMMENT ON AGGREGATE funnel_events(interval, bigint, timestamptz, integer) IS
	'Funnel of many entities in one pass from (entity, ts, step) events: a positional crm_sales.funnel';
COMMENT ON AGGREGATE funnel_events(interval, bigint, timestamptz, integer, text) IS
	'Funnel of many entities in one pass from (entity, ts, step) events, with a mode: a positional crm_sales.funnel';
