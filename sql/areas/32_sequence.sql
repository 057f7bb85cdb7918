-- ---- sequence patterns: sequence_match, sequence_count (src/event_sequence.c)
-- ClickHouse's sequenceMatch / sequenceCount: (?N) an event where condition
-- N holds, "." any event, ".*" any events, (?t<=3600) time conditions.
-- Conditions: 2 to 32 (cond1 boolean, VARIADIC boolean[]).  Internal state:
-- the pattern and 12 bytes per event of the group.
CREATE FUNCTION _sequence_trans(internal, text, timestamptz, boolean, boolean[])
	RETURNS internal AS 'MODULE_PATHNAME', 'crm_sequence_trans'
	LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION _sequence_combine(internal, internal) RETURNS internal
	AS 'MODULE_PATHNAME', 'crm_sequence_combine' LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION _sequence_serial(internal) RETURNS bytea
	AS 'MODULE_PATHNAME', 'crm_sequence_serial' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION _sequence_deserial(bytea, internal) RETURNS internal
	AS 'MODULE_PATHNAME', 'crm_sequence_deserial' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION _sequence_match_final(internal) RETURNS boolean
	AS 'MODULE_PATHNAME', 'crm_sequence_match_final' LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION _sequence_count_final(internal) RETURNS bigint
	AS 'MODULE_PATHNAME', 'crm_sequence_count_final' LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE AGGREGATE sequence_match(text, timestamptz, boolean, VARIADIC boolean[]) (
	SFUNC = _sequence_trans, STYPE = internal, FINALFUNC = _sequence_match_final,
	COMBINEFUNC = _sequence_combine, SERIALFUNC = _sequence_serial,
	DESERIALFUNC = _sequence_deserial, PARALLEL = SAFE);
CREATE AGGREGATE sequence_count(text, timestamptz, boolean, VARIADIC boolean[]) (
	SFUNC = _sequence_trans, STYPE = internal, FINALFUNC = _sequence_count_final,
	COMBINEFUNC = _sequence_combine, SERIALFUNC = _sequence_serial,
	DESERIALFUNC = _sequence_deserial, PARALLEL = SAFE);
COMMENT ON AGGREGATE sequence_match(text, timestamptz, boolean, VARIADIC boolean[]) IS
	'Does the group''s event sequence match the pattern (ClickHouse sequenceMatch: (?N), ., .*, (?t<=3600))';
COMMENT ON AGGREGATE sequence_count(text, timestamptz, boolean, VARIADIC boolean[]) IS
	'Non-overlapping matches of the pattern in the group''s event sequence (ClickHouse sequenceCount)';

