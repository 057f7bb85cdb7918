-- ====================================================================
-- Segmentation: rfm type and scoring (src/rfm.c)
-- ====================================================================

--------------------------------------------------------------------------
-- rfm: recency, frequency and monetary scores 1..N (N = buckets, 2..9,
-- default 5).  Text form 'R-F-M', or 'R-F-M/N' when N is not 5.
-- Order: by R, then F, then M, then N.
--------------------------------------------------------------------------

CREATE TYPE rfm;
CREATE FUNCTION rfm_in(cstring) RETURNS rfm
	AS 'MODULE_PATHNAME', 'crm_rfm_in' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION rfm_out(rfm) RETURNS cstring
	AS 'MODULE_PATHNAME', 'crm_rfm_out' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION rfm_recv(internal) RETURNS rfm
	AS 'MODULE_PATHNAME', 'crm_rfm_recv' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION rfm_send(rfm) RETURNS bytea
	AS 'MODULE_PATHNAME', 'crm_rfm_send' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE TYPE rfm (
	INPUT = rfm_in, OUTPUT = rfm_out, RECEIVE = rfm_recv, SEND = rfm_send,
	INTERNALLENGTH = 4, PASSEDBYVALUE, ALIGNMENT = int4, STORAGE = plain
);
COMMENT ON TYPE rfm IS 'RFM scores: recency, frequency, monetary, each 1..N (N buckets, 2..9, default 5); text ''5-4-3'' or ''5-4-3/N''';

CREATE FUNCTION rfm(recency_score integer, frequency_score integer,
					monetary_score integer, buckets integer DEFAULT 5) RETURNS rfm
	AS 'MODULE_PATHNAME', 'crm_rfm_make' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

CREATE FUNCTION recency_score(rfm) RETURNS integer
	AS 'MODULE_PATHNAME', 'crm_rfm_recency_score' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION frequency_score(rfm) RETURNS integer
	AS 'MODULE_PATHNAME', 'crm_rfm_frequency_score' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION monetary_score(rfm) RETURNS integer
	AS 'MODULE_PATHNAME', 'crm_rfm_monetary_score' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION rfm_buckets(rfm) RETURNS integer
	AS 'MODULE_PATHNAME', 'crm_rfm_buckets' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

CREATE FUNCTION rfm_eq(rfm, rfm) RETURNS boolean
	AS 'MODULE_PATHNAME', 'crm_rfm_eq' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF;
CREATE FUNCTION rfm_ne(rfm, rfm) RETURNS boolean
	AS 'MODULE_PATHNAME', 'crm_rfm_ne' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF;
CREATE FUNCTION rfm_lt(rfm, rfm) RETURNS boolean
	AS 'MODULE_PATHNAME', 'crm_rfm_lt' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF;
CREATE FUNCTION rfm_le(rfm, rfm) RETURNS boolean
	AS 'MODULE_PATHNAME', 'crm_rfm_le' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF;
CREATE FUNCTION rfm_gt(rfm, rfm) RETURNS boolean
	AS 'MODULE_PATHNAME', 'crm_rfm_gt' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF;
CREATE FUNCTION rfm_ge(rfm, rfm) RETURNS boolean
	AS 'MODULE_PATHNAME', 'crm_rfm_ge' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF;
CREATE FUNCTION rfm_cmp(rfm, rfm) RETURNS integer
	AS 'MODULE_PATHNAME', 'crm_rfm_cmp' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF;
CREATE FUNCTION rfm_hash(rfm) RETURNS integer
	AS 'MODULE_PATHNAME', 'crm_rfm_hash' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF;

CREATE OPERATOR = (LEFTARG = rfm, RIGHTARG = rfm, FUNCTION = rfm_eq,
	COMMUTATOR = =, NEGATOR = <>, RESTRICT = eqsel, JOIN = eqjoinsel, HASHES, MERGES);
CREATE OPERATOR <> (LEFTARG = rfm, RIGHTARG = rfm, FUNCTION = rfm_ne,
	COMMUTATOR = <>, NEGATOR = =, RESTRICT = neqsel, JOIN = neqjoinsel);
CREATE OPERATOR < (LEFTARG = rfm, RIGHTARG = rfm, FUNCTION = rfm_lt,
	COMMUTATOR = >, NEGATOR = >=, RESTRICT = scalarltsel, JOIN = scalarltjoinsel);
CREATE OPERATOR <= (LEFTARG = rfm, RIGHTARG = rfm, FUNCTION = rfm_le,
	COMMUTATOR = >=, NEGATOR = >, RESTRICT = scalarlesel, JOIN = scalarlejoinsel);
CREATE OPERATOR > (LEFTARG = rfm, RIGHTARG = rfm, FUNCTION = rfm_gt,
	COMMUTATOR = <, NEGATOR = <=, RESTRICT = scalargtsel, JOIN = scalargtjoinsel);
CREATE OPERATOR >= (LEFTARG = rfm, RIGHTARG = rfm, FUNCTION = rfm_ge,
	COMMUTATOR = <=, NEGATOR = <, RESTRICT = scalargesel, JOIN = scalargejoinsel);

CREATE OPERATOR CLASS rfm_ops DEFAULT FOR TYPE rfm USING btree AS
	OPERATOR 1 <, OPERATOR 2 <=, OPERATOR 3 =, OPERATOR 4 >=, OPERATOR 5 >,
	FUNCTION 1 rfm_cmp(rfm, rfm);
CREATE OPERATOR CLASS rfm_hash_ops DEFAULT FOR TYPE rfm USING hash AS
	OPERATOR 1 =,
	FUNCTION 1 rfm_hash(rfm);

-- The named segments: grid of R x FM, FM = round-half-up((F + M) / 2)
-- (README "RFM segments"); scores must be on 5 buckets.
CREATE FUNCTION rfm_segment(rfm) RETURNS text
	AS 'MODULE_PATHNAME', 'crm_rfm_segment' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
-- STABLE, not IMMUTABLE: the result is looked up by label in the enum, whose
-- values ALTER TYPE ... RENAME VALUE can rename
CREATE FUNCTION rfm_lifecycle_stage(rfm) RETURNS lifecycle_stage
	AS 'MODULE_PATHNAME', 'crm_rfm_lifecycle_stage' LANGUAGE C STABLE STRICT PARALLEL SAFE;

-- One row per cell of the grid, for reports and joins.
CREATE VIEW rfm_segments AS
SELECT r AS recency_score, fm AS fm_score,
	   crm_sales.rfm_segment(crm_sales.rfm(r, fm, fm)) AS segment,
	   crm_sales.rfm_lifecycle_stage(crm_sales.rfm(r, fm, fm)) AS lifecycle_stage
  FROM generate_series(5, 1, -1) r, generate_series(1, 5) fm;
GRANT SELECT ON rfm_segments TO PUBLIC;

-- Population scoring: a window function; see README for the two methods.
CREATE FUNCTION rfm_score(recency float8, frequency float8, monetary float8,
						  buckets integer DEFAULT 5, method text DEFAULT 'quantile') RETURNS rfm
	AS 'MODULE_PATHNAME', 'crm_rfm_score_window' LANGUAGE C WINDOW IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION rfm_score(float8, float8, float8, integer, text) IS
	'window function: RFM scores of each row within its partition; method quantile (pandas qcut bins) or ntile (equal-size buckets, ties by the window ORDER BY)';

-- Stored thresholds
CREATE TYPE rfm_model;
CREATE FUNCTION rfm_model_in(cstring) RETURNS rfm_model
	AS 'MODULE_PATHNAME', 'crm_rfm_model_in' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION rfm_model_out(rfm_model) RETURNS cstring
	AS 'MODULE_PATHNAME', 'crm_rfm_model_out' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION rfm_model_recv(internal) RETURNS rfm_model
	AS 'MODULE_PATHNAME', 'crm_rfm_model_recv' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION rfm_model_send(rfm_model) RETURNS bytea
	AS 'MODULE_PATHNAME', 'crm_rfm_model_send' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE TYPE rfm_model (
	INPUT = rfm_model_in, OUTPUT = rfm_model_out,
	RECEIVE = rfm_model_recv, SEND = rfm_model_send,
	INTERNALLENGTH = VARIABLE, ALIGNMENT = double, STORAGE = main
);
COMMENT ON TYPE rfm_model IS 'stored RFM bin edges (quantile method), built by the rfm_model aggregate';

CREATE FUNCTION rfm_model_jsonb(rfm_model) RETURNS jsonb
	AS 'MODULE_PATHNAME', 'crm_rfm_model_jsonb' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE CAST (rfm_model AS jsonb) WITH FUNCTION rfm_model_jsonb(rfm_model);

CREATE FUNCTION _rfm_model_trans(internal, float8, float8, float8) RETURNS internal
	AS 'MODULE_PATHNAME', 'crm_rfm_model_trans' LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION _rfm_model_trans(internal, float8, float8, float8, integer) RETURNS internal
	AS 'MODULE_PATHNAME', 'crm_rfm_model_trans' LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION _rfm_model_combine(internal, internal) RETURNS internal
	AS 'MODULE_PATHNAME', 'crm_rfm_model_combine' LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION _rfm_model_serial(internal) RETURNS bytea
	AS 'MODULE_PATHNAME', 'crm_rfm_model_serial' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION _rfm_model_deserial(bytea, internal) RETURNS internal
	AS 'MODULE_PATHNAME', 'crm_rfm_model_deserial' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION _rfm_model_final(internal) RETURNS rfm_model
	AS 'MODULE_PATHNAME', 'crm_rfm_model_final' LANGUAGE C IMMUTABLE PARALLEL SAFE;

CREATE AGGREGATE rfm_model(recency float8, frequency float8, monetary float8) (
	SFUNC = _rfm_model_trans, STYPE = internal, FINALFUNC = _rfm_model_final,
	COMBINEFUNC = _rfm_model_combine, SERIALFUNC = _rfm_model_serial,
	DESERIALFUNC = _rfm_model_deserial, PARALLEL = SAFE
);
CREATE AGGREGATE rfm_model(recency float8, frequency float8, monetary float8, buckets integer) (
	SFUNC = _rfm_model_trans, STYPE = internal, FINALFUNC = _rfm_model_final,
	COMBINEFUNC = _rfm_model_combine, SERIALFUNC = _rfm_model_serial,
	DESERIALFUNC = _rfm_model_deserial, PARALLEL = SAFE
);

CREATE FUNCTION rfm_score(model rfm_model, recency float8, frequency float8,
						  monetary float8) RETURNS rfm
	AS 'MODULE_PATHNAME', 'crm_rfm_score_model' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

