-- ====================================================================
-- Customer lifetime value: BG/NBD, Gamma-Gamma, clv, churn (src/clv.c)
-- ====================================================================

--------------------------------------------------------------------------
-- Model types.  Text form: (r=...,alpha=...,a=...,b=...,loglik=...,n=...)
-- and (p=...,q=...,gamma=...,loglik=...,n=...); loglik and n may be left
-- out on input (NaN and 0: a model entered by hand).
--------------------------------------------------------------------------

CREATE TYPE bgnbd_model;
CREATE FUNCTION bgnbd_model_in(cstring) RETURNS bgnbd_model
	AS 'MODULE_PATHNAME', 'crm_bgnbd_model_in' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION bgnbd_model_out(bgnbd_model) RETURNS cstring
	AS 'MODULE_PATHNAME', 'crm_bgnbd_model_out' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION bgnbd_model_recv(internal) RETURNS bgnbd_model
	AS 'MODULE_PATHNAME', 'crm_bgnbd_model_recv' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION bgnbd_model_send(bgnbd_model) RETURNS bytea
	AS 'MODULE_PATHNAME', 'crm_bgnbd_model_send' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE TYPE bgnbd_model (
	INPUT = bgnbd_model_in, OUTPUT = bgnbd_model_out,
	RECEIVE = bgnbd_model_recv, SEND = bgnbd_model_send,
	INTERNALLENGTH = 48, ALIGNMENT = double, STORAGE = plain
);
COMMENT ON TYPE bgnbd_model IS
	'BG/NBD customer-base model (Fader, Hardie & Lee 2005): r, alpha, a, b, log-likelihood, customers fitted';

CREATE FUNCTION bgnbd_model(r float8, alpha float8, a float8, b float8) RETURNS bgnbd_model
	AS 'MODULE_PATHNAME', 'crm_bgnbd_model_make' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION bgnbd_model(float8, float8, float8, float8) IS
	'a BG/NBD model with given parameters (loglik unknown, n = 0)';
CREATE FUNCTION bgnbd_model_jsonb(bgnbd_model) RETURNS jsonb
	AS 'MODULE_PATHNAME', 'crm_bgnbd_model_jsonb' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE CAST (bgnbd_model AS jsonb) WITH FUNCTION bgnbd_model_jsonb(bgnbd_model);

CREATE TYPE gamma_gamma_model;
CREATE FUNCTION gamma_gamma_model_in(cstring) RETURNS gamma_gamma_model
	AS 'MODULE_PATHNAME', 'crm_gg_model_in' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION gamma_gamma_model_out(gamma_gamma_model) RETURNS cstring
	AS 'MODULE_PATHNAME', 'crm_gg_model_out' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION gamma_gamma_model_recv(internal) RETURNS gamma_gamma_model
	AS 'MODULE_PATHNAME', 'crm_gg_model_recv' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION gamma_gamma_model_send(gamma_gamma_model) RETURNS bytea
	AS 'MODULE_PATHNAME', 'crm_gg_model_send' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE TYPE gamma_gamma_model (
	INPUT = gamma_gamma_model_in, OUTPUT = gamma_gamma_model_out,
	RECEIVE = gamma_gamma_model_recv, SEND = gamma_gamma_model_send,
	INTERNALLENGTH = 40, ALIGNMENT = double, STORAGE = plain
);
COMMENT ON TYPE gamma_gamma_model IS
	'Gamma-Gamma spend model (Fader, Hardie & Lee 2005): p, q, gamma, log-likelihood, repeat customers fitted';

CREATE FUNCTION gamma_gamma_model(p float8, q float8, gamma float8) RETURNS gamma_gamma_model
	AS 'MODULE_PATHNAME', 'crm_gg_model_make' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION gamma_gamma_model(float8, float8, float8) IS
	'a Gamma-Gamma model with given parameters (loglik unknown, n = 0)';
CREATE FUNCTION gamma_gamma_model_jsonb(gamma_gamma_model) RETURNS jsonb
	AS 'MODULE_PATHNAME', 'crm_gg_model_jsonb' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE CAST (gamma_gamma_model AS jsonb) WITH FUNCTION gamma_gamma_model_jsonb(gamma_gamma_model);

--------------------------------------------------------------------------
-- Fitting aggregates.  The state keeps each distinct history once with a
-- count (internal, with serial/deserial/combine for parallel query).
--------------------------------------------------------------------------

CREATE FUNCTION _bgnbd_fit_trans(internal, float8, float8, float8) RETURNS internal
	AS 'MODULE_PATHNAME', 'crm_bgnbd_fit_trans' LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION _gamma_gamma_fit_trans(internal, float8, float8) RETURNS internal
	AS 'MODULE_PATHNAME', 'crm_gg_fit_trans' LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION _clv_fit_combine(internal, internal) RETURNS internal
	AS 'MODULE_PATHNAME', 'crm_clv_fit_combine' LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION _clv_fit_serial(internal) RETURNS bytea
	AS 'MODULE_PATHNAME', 'crm_clv_fit_serial' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION _clv_fit_deserial(bytea, internal) RETURNS internal
	AS 'MODULE_PATHNAME', 'crm_clv_fit_deserial' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION _bgnbd_fit_final(internal) RETURNS bgnbd_model
	AS 'MODULE_PATHNAME', 'crm_bgnbd_fit_final' LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION _gamma_gamma_fit_final(internal) RETURNS gamma_gamma_model
	AS 'MODULE_PATHNAME', 'crm_gg_fit_final' LANGUAGE C IMMUTABLE PARALLEL SAFE;

CREATE AGGREGATE bgnbd_fit(frequency float8, recency float8, "T" float8) (
	SFUNC = _bgnbd_fit_trans, STYPE = internal,
	COMBINEFUNC = _clv_fit_combine,
	SERIALFUNC = _clv_fit_serial, DESERIALFUNC = _clv_fit_deserial,
	FINALFUNC = _bgnbd_fit_final,
	PARALLEL = SAFE
);
COMMENT ON AGGREGATE bgnbd_fit(float8, float8, float8) IS
	'maximum-likelihood BG/NBD model of customers (repeat purchases, time of last purchase, time observed); rows with a NULL are skipped';

CREATE AGGREGATE gamma_gamma_fit(frequency float8, monetary_value float8) (
	SFUNC = _gamma_gamma_fit_trans, STYPE = internal,
	COMBINEFUNC = _clv_fit_combine,
	SERIALFUNC = _clv_fit_serial, DESERIALFUNC = _clv_fit_deserial,
	FINALFUNC = _gamma_gamma_fit_final,
	PARALLEL = SAFE
);
COMMENT ON AGGREGATE gamma_gamma_fit(float8, float8) IS
	'maximum-likelihood Gamma-Gamma spend model over repeat customers (frequency > 0; others and NULLs skipped)';

--------------------------------------------------------------------------
-- Functions of a fitted model
--------------------------------------------------------------------------

CREATE FUNCTION p_alive(model bgnbd_model, frequency float8, recency float8, "T" float8)
RETURNS float8
	AS 'MODULE_PATHNAME', 'crm_bgnbd_p_alive' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION p_alive(bgnbd_model, float8, float8, float8) IS
	'probability that a customer with this history is still active at T (BG/NBD)';

CREATE FUNCTION expected_purchases(model bgnbd_model, t float8, frequency float8,
								   recency float8, "T" float8)
RETURNS float8
	AS 'MODULE_PATHNAME', 'crm_bgnbd_expected' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION expected_purchases(bgnbd_model, float8, float8, float8, float8) IS
	'expected purchases in the next t time units of a customer with this history (BG/NBD eq. 10)';

CREATE FUNCTION expected_purchases_new(model bgnbd_model, t float8) RETURNS float8
	AS 'MODULE_PATHNAME', 'crm_bgnbd_expected_new' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION expected_purchases_new(bgnbd_model, float8) IS
	'expected repeat purchases of a new customer in (0, t] (BG/NBD eq. 7)';

CREATE FUNCTION expected_spend(model gamma_gamma_model, frequency float8, monetary_value float8)
RETURNS float8
	AS 'MODULE_PATHNAME', 'crm_gg_expected_spend' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION expected_spend(gamma_gamma_model, float8, float8) IS
	'expected mean spend per transaction of a customer with this history (Gamma-Gamma)';

CREATE FUNCTION clv(purchases bgnbd_model, spend gamma_gamma_model,
					frequency float8, recency float8, "T" float8, monetary_value float8,
					horizon integer, discount_rate float8, time_unit float8 DEFAULT 1)
RETURNS float8
	AS 'MODULE_PATHNAME', 'crm_clv' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION clv(bgnbd_model, gamma_gamma_model, float8, float8, float8, float8, integer, float8, float8) IS
	'discounted customer lifetime value over horizon periods of time_unit model time units';

CREATE FUNCTION mark_churned(customers regclass, stage_column name,
							 frequency_column name, recency_column name, t_column name,
							 model bgnbd_model, threshold float8,
							 to_stage text DEFAULT 'churned')
RETURNS bigint
	AS 'MODULE_PATHNAME', 'crm_mark_churned' LANGUAGE C VOLATILE STRICT PARALLEL UNSAFE;
COMMENT ON FUNCTION mark_churned(regclass, name, name, name, name, bgnbd_model, float8, text) IS
	'move rows whose P(alive) is below threshold to to_stage with one UPDATE, through the table''s triggers; returns the rows moved';


-- (end of clv section)
