-- ---- mergeable time in stage (src/stage_timeline.c, core/funnel/timeline.c)
-- stage_timeline: the (time, stage) points of one entity (or of anything
-- that is in one stage at a time), from which the readers compute the time
-- in each stage, the visits and the runs.  It keeps every point, so values
-- of different time buckets (or of parallel workers) merge exactly, and a
-- stage that spans a bucket's edge is split there by the interpolated_*
-- readers, which carry the previous bucket's last stage into the next (as
-- TimescaleDB's state_agg with interpolated_duration_in).
CREATE TYPE stage_timeline;
CREATE FUNCTION stage_timeline_in(cstring) RETURNS stage_timeline
	AS 'MODULE_PATHNAME', 'crm_stage_timeline_in' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION stage_timeline_out(stage_timeline) RETURNS cstring
	AS 'MODULE_PATHNAME', 'crm_stage_timeline_out' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION stage_timeline_recv(internal) RETURNS stage_timeline
	AS 'MODULE_PATHNAME', 'crm_stage_timeline_recv' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION stage_timeline_send(stage_timeline) RETURNS bytea
	AS 'MODULE_PATHNAME', 'crm_stage_timeline_send' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE TYPE stage_timeline (
	INPUT = stage_timeline_in, OUTPUT = stage_timeline_out,
	RECEIVE = stage_timeline_recv, SEND = stage_timeline_send,
	INTERNALLENGTH = VARIABLE, ALIGNMENT = double, STORAGE = extended
);
COMMENT ON TYPE stage_timeline IS 'crm_sales: the (time, stage) points of a timeline, for time in stage, visits and runs; mergeable across time buckets';
COMMENT ON FUNCTION stage_timeline_in(cstring) IS 'text input of crm_sales.stage_timeline';
COMMENT ON FUNCTION stage_timeline_out(stage_timeline) IS 'text output of crm_sales.stage_timeline';
COMMENT ON FUNCTION stage_timeline_recv(internal) IS 'binary input of crm_sales.stage_timeline';
COMMENT ON FUNCTION stage_timeline_send(stage_timeline) IS 'binary output of crm_sales.stage_timeline';

CREATE FUNCTION stage_timeline_add(stage_timeline, stage_timeline) RETURNS stage_timeline
	AS 'MODULE_PATHNAME', 'crm_stage_timeline_add' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE OPERATOR + (LEFTARG = stage_timeline, RIGHTARG = stage_timeline,
	FUNCTION = stage_timeline_add, COMMUTATOR = +);
CREATE FUNCTION stage_timeline_eq(stage_timeline, stage_timeline) RETURNS boolean
	AS 'MODULE_PATHNAME', 'crm_stage_timeline_eq' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE OPERATOR = (LEFTARG = stage_timeline, RIGHTARG = stage_timeline, FUNCTION = stage_timeline_eq,
	COMMUTATOR = =, RESTRICT = eqsel, JOIN = eqjoinsel);
CREATE FUNCTION stage_timeline_jsonb(stage_timeline) RETURNS jsonb
	AS 'MODULE_PATHNAME', 'crm_stage_timeline_jsonb' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE CAST (stage_timeline AS jsonb) WITH FUNCTION stage_timeline_jsonb(stage_timeline);
COMMENT ON FUNCTION stage_timeline_add(stage_timeline, stage_timeline) IS
	'the timeline of the points of both (the + operator)';
COMMENT ON OPERATOR + (stage_timeline, stage_timeline) IS
	'the timeline of the points of both';
COMMENT ON FUNCTION stage_timeline_eq(stage_timeline, stage_timeline) IS
	'the same points of the same stages (the = operator)';
COMMENT ON OPERATOR = (stage_timeline, stage_timeline) IS
	'the same points of the same stages';
COMMENT ON FUNCTION stage_timeline_jsonb(stage_timeline) IS
	'stage_timeline as jsonb for BI tools: the runs (stage, start, end) and per stage its time in seconds and visits';
COMMENT ON CAST (stage_timeline AS jsonb) IS
	'stage_timeline as jsonb for BI tools (stage_timeline_jsonb)';

-- stage_agg(ts, stage [, seq]): the timeline of the rows; seq orders points
-- of equal times (a history id, say).  The state is the type itself,
-- appended to in place; the final function returns it in canonical form.
CREATE FUNCTION _stage_agg_trans(stage_timeline, timestamptz, text) RETURNS stage_timeline
	AS 'MODULE_PATHNAME', 'crm_stage_agg_trans' LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION _stage_agg_trans(stage_timeline, timestamptz, text, bigint) RETURNS stage_timeline
	AS 'MODULE_PATHNAME', 'crm_stage_agg_trans' LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION _stage_agg_combine(stage_timeline, stage_timeline) RETURNS stage_timeline
	AS 'MODULE_PATHNAME', 'crm_stage_timeline_merge_trans' LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION _stage_agg_final(stage_timeline) RETURNS stage_timeline
	AS 'MODULE_PATHNAME', 'crm_stage_timeline_final' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE AGGREGATE stage_agg(ts timestamptz, stage text) (
	SFUNC = _stage_agg_trans, STYPE = stage_timeline, FINALFUNC = _stage_agg_final,
	COMBINEFUNC = _stage_agg_combine, PARALLEL = SAFE);
CREATE AGGREGATE stage_agg(ts timestamptz, stage text, seq bigint) (
	SFUNC = _stage_agg_trans, STYPE = stage_timeline, FINALFUNC = _stage_agg_final,
	COMBINEFUNC = _stage_agg_combine, PARALLEL = SAFE);
COMMENT ON AGGREGATE stage_agg(timestamptz, text) IS
	'the timeline of (time, stage) rows: from each time on, the row''s stage holds; rows with a NULL time or stage are skipped';
COMMENT ON AGGREGATE stage_agg(timestamptz, text, bigint) IS
	'the timeline of (time, stage) rows, seq ordering rows of equal times (a history id)';

-- stage_timeline_merge: the rollup of stored timelines (time buckets)
CREATE FUNCTION _stage_timeline_merge_trans(stage_timeline, stage_timeline) RETURNS stage_timeline
	AS 'MODULE_PATHNAME', 'crm_stage_timeline_merge_trans' LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION _stage_timeline_merge_combine(stage_timeline, stage_timeline) RETURNS stage_timeline
	AS 'MODULE_PATHNAME', 'crm_stage_timeline_merge_trans' LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION _stage_timeline_merge_final(stage_timeline) RETURNS stage_timeline
	AS 'MODULE_PATHNAME', 'crm_stage_timeline_final' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE AGGREGATE stage_timeline_merge(stage_timeline) (
	SFUNC = _stage_timeline_merge_trans, STYPE = stage_timeline,
	FINALFUNC = _stage_timeline_merge_final,
	COMBINEFUNC = _stage_timeline_merge_combine, PARALLEL = SAFE);
COMMENT ON AGGREGATE stage_timeline_merge(stage_timeline) IS
	'merge stored timelines (rollups of time buckets): the timeline of all their points';

-- readers
CREATE FUNCTION duration_in(stage_timeline, stage text) RETURNS interval
	AS 'MODULE_PATHNAME', 'crm_stage_duration_in' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION duration_in(stage_timeline, stage text, start timestamptz, length interval DEFAULT NULL)
	RETURNS interval
	AS 'MODULE_PATHNAME', 'crm_stage_duration_in_range' LANGUAGE C STABLE PARALLEL SAFE;
CREATE FUNCTION interpolated_duration_in(stage_timeline, stage text, start timestamptz,
	length interval, prev stage_timeline DEFAULT NULL) RETURNS interval
	AS 'MODULE_PATHNAME', 'crm_stage_interpolated_duration_in' LANGUAGE C STABLE PARALLEL SAFE;
CREATE FUNCTION visits(stage_timeline, stage text) RETURNS bigint
	AS 'MODULE_PATHNAME', 'crm_stage_visits' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION stage_at(stage_timeline, at timestamptz) RETURNS text
	AS 'MODULE_PATHNAME', 'crm_stage_at' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION timeline(stage_timeline)
	RETURNS TABLE (stage text, start_time timestamptz, end_time timestamptz)
	AS 'MODULE_PATHNAME', 'crm_stage_timeline_rows' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE ROWS 20;
CREATE FUNCTION interpolated_timeline(stage_timeline, start timestamptz, length interval,
	prev stage_timeline DEFAULT NULL)
	RETURNS TABLE (stage text, start_time timestamptz, end_time timestamptz)
	AS 'MODULE_PATHNAME', 'crm_stage_interpolated_timeline' LANGUAGE C STABLE PARALLEL SAFE ROWS 20;
CREATE FUNCTION stage_durations(stage_timeline)
	RETURNS TABLE (stage text, duration interval, visits bigint)
	AS 'MODULE_PATHNAME', 'crm_stage_durations' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE ROWS 8;
CREATE FUNCTION stage_durations_by_bucket(stage_timeline, bucket interval, since timestamptz,
	until timestamptz)
	RETURNS TABLE (bucket_start timestamptz, stage text, duration interval, visits bigint)
	AS 'MODULE_PATHNAME', 'crm_stage_durations_by_bucket' LANGUAGE C STABLE STRICT PARALLEL SAFE ROWS 100;
COMMENT ON FUNCTION duration_in(stage_timeline, text) IS
	'time in the stage: each run lasts to the next point, the last run ends at the last point';
COMMENT ON FUNCTION duration_in(stage_timeline, text, timestamptz, interval) IS
	'time in the stage within [start, start + length) (to the end when length is NULL); the last run ends at the last point';
COMMENT ON FUNCTION interpolated_duration_in(stage_timeline, text, timestamptz, interval, stage_timeline) IS
	'time in the stage within the bucket [start, start + length): the last run lasts to the bucket''s end, and the bucket starts in the last stage of prev (the previous bucket''s timeline)';
COMMENT ON FUNCTION visits(stage_timeline, text) IS
	'how many times the timeline entered the stage (runs of it)';
COMMENT ON FUNCTION stage_at(stage_timeline, timestamptz) IS
	'the stage in force at a time (of the last point at or before it); NULL before the first point';
COMMENT ON FUNCTION timeline(stage_timeline) IS
	'the runs: one row per stretch in one stage (stage, start_time, end_time); the last ends at the last point';
COMMENT ON FUNCTION interpolated_timeline(stage_timeline, timestamptz, interval, stage_timeline) IS
	'the runs within the bucket [start, start + length), the last lasting to its end, the first starting at start in prev''s last stage';
COMMENT ON FUNCTION stage_durations(stage_timeline) IS
	'per stage its time and visits (the last run ends at the last point)';
COMMENT ON FUNCTION stage_durations_by_bucket(stage_timeline, interval, timestamptz, timestamptz) IS
	'per bucket since + k * bucket before until and per stage: the time in it within the bucket and the runs starting there; the last run lasts to until';
