-- ---- next-step analysis: sequence_next_node (src/event_next_node.c)
-- ClickHouse's sequenceNextNode(direction, base)(ts, value, base_condition,
-- event1, ...): the value of the node after (forward) or before (backward)
-- the events matched from the base node.  0, 1, or 2 to 32 events.
-- Internal state: every row of the group (24 bytes + the value).
CREATE FUNCTION _sequence_next_node_trans(internal, text, text, timestamptz, text, boolean)
	RETURNS internal AS 'MODULE_PATHNAME', 'crm_next_node_trans'
	LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION _sequence_next_node_trans(internal, text, text, timestamptz, text, boolean, boolean)
	RETURNS internal AS 'MODULE_PATHNAME', 'crm_next_node_trans'
	LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION _sequence_next_node_trans(internal, text, text, timestamptz, text, boolean, boolean, boolean[])
	RETURNS internal AS 'MODULE_PATHNAME', 'crm_next_node_trans'
	LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION _sequence_next_node_combine(internal, internal) RETURNS internal
	AS 'MODULE_PATHNAME', 'crm_next_node_combine' LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION _sequence_next_node_serial(internal) RETURNS bytea
	AS 'MODULE_PATHNAME', 'crm_next_node_serial' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION _sequence_next_node_deserial(bytea, internal) RETURNS internal
	AS 'MODULE_PATHNAME', 'crm_next_node_deserial' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION _sequence_next_node_final(internal) RETURNS text
	AS 'MODULE_PATHNAME', 'crm_next_node_final' LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE AGGREGATE sequence_next_node(text, text, timestamptz, text, boolean) (
	SFUNC = _sequence_next_node_trans, STYPE = internal, FINALFUNC = _sequence_next_node_final,
	COMBINEFUNC = _sequence_next_node_combine, SERIALFUNC = _sequence_next_node_serial,
	DESERIALFUNC = _sequence_next_node_deserial, PARALLEL = SAFE);
CREATE AGGREGATE sequence_next_node(text, text, timestamptz, text, boolean, boolean) (
	SFUNC = _sequence_next_node_trans, STYPE = internal, FINALFUNC = _sequence_next_node_final,
	COMBINEFUNC = _sequence_next_node_combine, SERIALFUNC = _sequence_next_node_serial,
	DESERIALFUNC = _sequence_next_node_deserial, PARALLEL = SAFE);
CREATE AGGREGATE sequence_next_node(text, text, timestamptz, text, boolean, boolean, VARIADIC boolean[]) (
	SFUNC = _sequence_next_node_trans, STYPE = internal, FINALFUNC = _sequence_next_node_final,
	COMBINEFUNC = _sequence_next_node_combine, SERIALFUNC = _sequence_next_node_serial,
	DESERIALFUNC = _sequence_next_node_deserial, PARALLEL = SAFE);
COMMENT ON AGGREGATE sequence_next_node(text, text, timestamptz, text, boolean) IS
	'Value of the first (head, forward) or last (tail, backward) event when it meets the base condition (ClickHouse sequenceNextNode, no event)';
COMMENT ON AGGREGATE sequence_next_node(text, text, timestamptz, text, boolean, boolean) IS
	'Value of the event after (forward) or before (backward) the matched event 1 (ClickHouse sequenceNextNode)';
COMMENT ON AGGREGATE sequence_next_node(text, text, timestamptz, text, boolean, boolean, VARIADIC boolean[]) IS
	'Value of the event after (forward) or before (backward) the matched events 1..N (ClickHouse sequenceNextNode)';

