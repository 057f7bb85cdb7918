--------------------------------------------------------------------------
-- Combined forecasts (src/combine_forecast.c)
--------------------------------------------------------------------------

CREATE TYPE combined_forecast AS (point float8, lower float8, upper float8, models integer);

CREATE FUNCTION _combine_forecast_mean_trans(float8[], float8, float8, float8) RETURNS float8[]
	AS 'MODULE_PATHNAME', 'crm_combine_forecast_mean_trans'
	LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION _combine_forecast_weighted_trans(float8[], float8, float8, float8, float8) RETURNS float8[]
	AS 'MODULE_PATHNAME', 'crm_combine_forecast_weighted_trans'
	LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION _combine_forecast_inverse_mse_trans(float8[], float8, float8, float8, float8) RETURNS float8[]
	AS 'MODULE_PATHNAME', 'crm_combine_forecast_inverse_mse_trans'
	LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION _combine_forecast_combine(float8[], float8[]) RETURNS float8[]
	AS 'MODULE_PATHNAME', 'crm_combine_forecast_combine'
	LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION _combine_forecast_final(float8[]) RETURNS combined_forecast
	AS 'MODULE_PATHNAME', 'crm_combine_forecast_final'
	LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

CREATE AGGREGATE combine_forecast(point float8, lower float8, upper float8) (
	SFUNC = _combine_forecast_mean_trans, STYPE = float8[],
	COMBINEFUNC = _combine_forecast_combine, FINALFUNC = _combine_forecast_final,
	PARALLEL = SAFE
);
CREATE AGGREGATE combine_forecast(point float8, lower float8, upper float8, weight float8) (
	SFUNC = _combine_forecast_weighted_trans, STYPE = float8[],
	COMBINEFUNC = _combine_forecast_combine, FINALFUNC = _combine_forecast_final,
	PARALLEL = SAFE
);
CREATE AGGREGATE combine_forecast_inverse_mse(point float8, lower float8, upper float8,
											  in_sample_mse float8) (
	SFUNC = _combine_forecast_inverse_mse_trans, STYPE = float8[],
	COMBINEFUNC = _combine_forecast_combine, FINALFUNC = _combine_forecast_final,
	PARALLEL = SAFE
);
COMMENT ON AGGREGATE combine_forecast(float8, float8, float8) IS
	'crm_sales: equal-weight combination of several models'' forecasts of one step (bounds averaged)';
COMMENT ON AGGREGATE combine_forecast(float8, float8, float8, float8) IS
	'crm_sales: weighted combination of several models'' forecasts of one step (weights normalised, bounds averaged)';
COMMENT ON AGGREGATE combine_forecast_inverse_mse(float8, float8, float8, float8) IS
	'crm_sales: combination of forecasts weighted by 1 / in-sample MSE (bounds averaged)';

-- (end of regression/pipeline section)


