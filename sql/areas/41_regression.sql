-- ====================================================================
-- Forecasting, regression: ols, predict, tslm (src/regression.c)
-- ====================================================================

--------------------------------------------------------------------------
-- linear_model: a fitted least-squares model (src/regression.c)
--------------------------------------------------------------------------

CREATE TYPE linear_model;

CREATE FUNCTION linear_model_in(cstring) RETURNS linear_model
	AS 'MODULE_PATHNAME', 'crm_linear_model_in'
	LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION linear_model_out(linear_model) RETURNS cstring
	AS 'MODULE_PATHNAME', 'crm_linear_model_out'
	LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION linear_model_recv(internal) RETURNS linear_model
	AS 'MODULE_PATHNAME', 'crm_linear_model_recv'
	LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION linear_model_send(linear_model) RETURNS bytea
	AS 'MODULE_PATHNAME', 'crm_linear_model_send'
	LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

CREATE TYPE linear_model (
	INPUT = linear_model_in,
	OUTPUT = linear_model_out,
	RECEIVE = linear_model_recv,
	SEND = linear_model_send,
	INTERNALLENGTH = VARIABLE,
	ALIGNMENT = double,
	STORAGE = extended
);
COMMENT ON TYPE linear_model IS
	'crm_sales: a least-squares model y = b0 + b1 x1 + ... (ols) or trend + season (tslm); text form ols(p=..,n=..,mean=[..],r=[..])';

CREATE FUNCTION linear_model_jsonb(linear_model) RETURNS jsonb
	AS 'MODULE_PATHNAME', 'crm_linear_model_jsonb'
	LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE CAST (linear_model AS jsonb) WITH FUNCTION linear_model_jsonb(linear_model);

CREATE FUNCTION coefficients(model linear_model,
							 OUT term text, OUT estimate float8, OUT std_error float8,
							 OUT t_value float8, OUT p_value float8)
RETURNS SETOF record
	AS 'MODULE_PATHNAME', 'crm_linear_model_coefficients'
	LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE ROWS 8;
COMMENT ON FUNCTION coefficients(linear_model) IS
	'crm_sales: the coefficient table of a linear model, as R''s summary.lm';

CREATE FUNCTION predict(model linear_model, x float8[], level float8 DEFAULT 0.95,
						OUT point float8, OUT lower float8, OUT upper float8,
						OUT se_fit float8)
	AS 'MODULE_PATHNAME', 'crm_linear_model_predict'
	LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION predict(linear_model, float8[], float8) IS
	'crm_sales: prediction, prediction interval and standard error of the fit at x (the regressors, without the intercept), as R''s predict.lm(interval = ''prediction'', se.fit = TRUE)';

-- ols(y, x[]): least squares with an intercept (added by the aggregate)
CREATE FUNCTION _ols_trans(float8[], float8, float8[]) RETURNS float8[]
	AS 'MODULE_PATHNAME', 'crm_ols_trans'
	LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION _ols_combine(float8[], float8[]) RETURNS float8[]
	AS 'MODULE_PATHNAME', 'crm_ols_combine'
	LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION _ols_final(float8[]) RETURNS linear_model
	AS 'MODULE_PATHNAME', 'crm_ols_final'
	LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE AGGREGATE ols(y float8, x float8[]) (
	SFUNC = _ols_trans,
	STYPE = float8[],
	COMBINEFUNC = _ols_combine,
	FINALFUNC = _ols_final,
	PARALLEL = SAFE
);
COMMENT ON AGGREGATE ols(float8, float8[]) IS
	'crm_sales: least-squares fit of y on the regressors x plus an intercept (rows with NULLs skipped)';

-- tslm(period, value, season_length): y ~ trend + season, as forecast::tslm
CREATE FUNCTION _tslm_trans(float8[], integer, float8, integer) RETURNS float8[]
	AS 'MODULE_PATHNAME', 'crm_tslm_trans'
	LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION _tslm_combine(float8[], float8[]) RETURNS float8[]
	AS 'MODULE_PATHNAME', 'crm_tslm_combine'
	LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION _tslm_final(float8[]) RETURNS linear_model
	AS 'MODULE_PATHNAME', 'crm_tslm_final'
	LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE AGGREGATE tslm(period integer, value float8, season_length integer) (
	SFUNC = _tslm_trans,
	STYPE = float8[],
	COMBINEFUNC = _tslm_combine,
	FINALFUNC = _tslm_final,
	PARALLEL = SAFE
);
COMMENT ON AGGREGATE tslm(integer, float8, integer) IS
	'crm_sales: trend + seasonal-dummies regression of a series (R''s forecast::tslm(y ~ trend + season)); season = period mod season_length';

CREATE FUNCTION tslm_forecast(model linear_model, horizon integer,
							  levels float8[] DEFAULT '{0.8,0.95}')
RETURNS TABLE (step integer, period integer, level float8,
			   point float8, lower float8, upper float8)
	AS 'MODULE_PATHNAME', 'crm_tslm_forecast'
	LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE ROWS 24;
COMMENT ON FUNCTION tslm_forecast(linear_model, integer, float8[]) IS
	'crm_sales: forecasts of a tslm model for horizon periods, one row per step and level, as forecast(tslm(...), h, level)';

