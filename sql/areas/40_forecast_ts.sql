-- ====================================================================
-- Forecasting, time series: Holt-Winters, ETS, forecast_model (src/forecast.c)
-- ====================================================================

-- A fitted exponential-smoothing model: method, parameters, final states,
-- SSE, residual variance, n (README "Forecasting: time series").
CREATE TYPE forecast_model;
CREATE FUNCTION forecast_model_in(cstring) RETURNS forecast_model
    AS 'MODULE_PATHNAME', 'crm_forecast_model_in' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION forecast_model_out(forecast_model) RETURNS cstring
    AS 'MODULE_PATHNAME', 'crm_forecast_model_out' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION forecast_model_recv(internal) RETURNS forecast_model
    AS 'MODULE_PATHNAME', 'crm_forecast_model_recv' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION forecast_model_send(forecast_model) RETURNS bytea
    AS 'MODULE_PATHNAME', 'crm_forecast_model_send' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE TYPE forecast_model (
    INPUT = forecast_model_in, OUTPUT = forecast_model_out,
    RECEIVE = forecast_model_recv, SEND = forecast_model_send,
    INTERNALLENGTH = VARIABLE, ALIGNMENT = double, STORAGE = extended);
COMMENT ON TYPE forecast_model IS 'fitted exponential-smoothing (Holt-Winters) model';

CREATE FUNCTION forecast_model_jsonb(forecast_model) RETURNS jsonb
    AS 'MODULE_PATHNAME', 'crm_forecast_model_jsonb' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE CAST (forecast_model AS jsonb) WITH FUNCTION forecast_model_jsonb(forecast_model);

-- holt_winters(period, value, season_length [, options]): one series per
-- group.  Aggregate calls cannot take named arguments, so the model is
-- chosen by an options text ('multiplicative', 'none, alpha=0.3', ...).
CREATE FUNCTION _holt_winters_trans(internal, int8, float8, int4) RETURNS internal
    AS 'MODULE_PATHNAME', 'crm_hw_transfn' LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION _holt_winters_trans(internal, int8, float8, int4, text) RETURNS internal
    AS 'MODULE_PATHNAME', 'crm_hw_transfn' LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION _holt_winters_combine(internal, internal) RETURNS internal
    AS 'MODULE_PATHNAME', 'crm_hw_combinefn' LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION _holt_winters_serial(internal) RETURNS bytea
    AS 'MODULE_PATHNAME', 'crm_hw_serialfn' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION _holt_winters_deserial(bytea, internal) RETURNS internal
    AS 'MODULE_PATHNAME', 'crm_hw_deserialfn' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION _holt_winters_final(internal) RETURNS forecast_model
    AS 'MODULE_PATHNAME', 'crm_hw_finalfn' LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE AGGREGATE holt_winters(period int8, value float8, season_length int4) (
    SFUNC = _holt_winters_trans, STYPE = internal, FINALFUNC = _holt_winters_final,
    COMBINEFUNC = _holt_winters_combine, SERIALFUNC = _holt_winters_serial,
    DESERIALFUNC = _holt_winters_deserial, PARALLEL = SAFE);
CREATE AGGREGATE holt_winters(period int8, value float8, season_length int4, options text) (
    SFUNC = _holt_winters_trans, STYPE = internal, FINALFUNC = _holt_winters_final,
    COMBINEFUNC = _holt_winters_combine, SERIALFUNC = _holt_winters_serial,
    DESERIALFUNC = _holt_winters_deserial, PARALLEL = SAFE);

-- ets(period, value, season_length [, model]): state-space ETS by maximum
-- likelihood; model 'auto' (default: AICc choice) or a code such as 'MAdM'.
CREATE FUNCTION _ets_trans(internal, int8, float8, int4) RETURNS internal
    AS 'MODULE_PATHNAME', 'crm_ets_transfn' LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION _ets_trans(internal, int8, float8, int4, text) RETURNS internal
    AS 'MODULE_PATHNAME', 'crm_ets_transfn' LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION _ets_final(internal) RETURNS forecast_model
    AS 'MODULE_PATHNAME', 'crm_ets_finalfn' LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE AGGREGATE ets(period int8, value float8, season_length int4) (
    SFUNC = _ets_trans, STYPE = internal, FINALFUNC = _ets_final,
    COMBINEFUNC = _holt_winters_combine, SERIALFUNC = _holt_winters_serial,
    DESERIALFUNC = _holt_winters_deserial, PARALLEL = SAFE);
CREATE AGGREGATE ets(period int8, value float8, season_length int4, model text) (
    SFUNC = _ets_trans, STYPE = internal, FINALFUNC = _ets_final,
    COMBINEFUNC = _holt_winters_combine, SERIALFUNC = _holt_winters_serial,
    DESERIALFUNC = _holt_winters_deserial, PARALLEL = SAFE);

-- A month as a consecutive integer period (year * 12 + month - 1).
CREATE FUNCTION month_number(d date) RETURNS int8
    LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
    SET search_path = pg_catalog
    AS $$ SELECT (extract(year FROM d)::int8 * 12 + extract(month FROM d)::int8 - 1) $$;

-- forecast(model, horizon [, level | levels]): point forecasts and
-- prediction intervals (predict.HoltWinters' formula).
CREATE FUNCTION forecast(model forecast_model, horizon int4, level float8 DEFAULT 0.95,
                         OUT step int4, OUT period int8, OUT point float8,
                         OUT lower float8, OUT upper float8, OUT level float8)
    RETURNS SETOF record
    AS 'MODULE_PATHNAME', 'crm_forecast' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE ROWS 12;
CREATE FUNCTION forecast(model forecast_model, horizon int4, levels float8[],
                         OUT step int4, OUT period int8, OUT point float8,
                         OUT lower float8, OUT upper float8, OUT level float8)
    RETURNS SETOF record
    AS 'MODULE_PATHNAME', 'crm_forecast' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE ROWS 24;

-- forecast_accuracy(actual, predicted [, naive_scale]): forecast::accuracy's
-- measures; a bounded float8[] state, so partial states are plain arrays.
CREATE TYPE accuracy_measures AS (
    n int8, mae float8, rmse float8, mape float8, smape float8, bias float8, mase float8);
CREATE FUNCTION _forecast_accuracy_trans(float8[], float8, float8) RETURNS float8[]
    AS 'MODULE_PATHNAME', 'crm_fa_transfn' LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION _forecast_accuracy_trans(float8[], float8, float8, float8) RETURNS float8[]
    AS 'MODULE_PATHNAME', 'crm_fa_transfn' LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION _forecast_accuracy_combine(float8[], float8[]) RETURNS float8[]
    AS 'MODULE_PATHNAME', 'crm_fa_combinefn' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION _forecast_accuracy_final(float8[]) RETURNS accuracy_measures
    AS 'MODULE_PATHNAME', 'crm_fa_finalfn' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE AGGREGATE forecast_accuracy(actual float8, predicted float8) (
    SFUNC = _forecast_accuracy_trans, STYPE = float8[], FINALFUNC = _forecast_accuracy_final,
    COMBINEFUNC = _forecast_accuracy_combine, INITCOND = '{0,0,0,0,0,0,0,0}', PARALLEL = SAFE);
CREATE AGGREGATE forecast_accuracy(actual float8, predicted float8, naive_scale float8) (
    SFUNC = _forecast_accuracy_trans, STYPE = float8[], FINALFUNC = _forecast_accuracy_final,
    COMBINEFUNC = _forecast_accuracy_combine, INITCOND = '{0,0,0,0,0,0,0,0}', PARALLEL = SAFE);

-- backtest_holt_winters: fit on all but the last h periods, forecast them,
-- score the forecasts (MASE scaled by the seasonal naive in-sample MAE).
CREATE FUNCTION backtest_holt_winters(periods int8[], vals float8[], season_length int4,
                                      h int4, options text DEFAULT '')
    RETURNS accuracy_measures
    LANGUAGE plpgsql STABLE PARALLEL SAFE
    SET search_path = crm_sales, pg_catalog
    AS $$
DECLARE
    n int := cardinality(periods);
    result accuracy_measures;
BEGIN
    IF periods IS NULL OR vals IS NULL OR season_length IS NULL OR h IS NULL THEN
        RETURN NULL;
    END IF;
    IF n IS DISTINCT FROM cardinality(vals) THEN
        RAISE EXCEPTION 'backtest_holt_winters: periods and vals have different lengths'
            USING ERRCODE = '22023', DETAIL = format('%s periods, %s values.', n, cardinality(vals));
    END IF;
    IF h < 1 OR h >= n THEN
        RAISE EXCEPTION 'backtest_holt_winters: h must be between 1 and the number of observations - 1'
            USING ERRCODE = '22023', DETAIL = format('h is %s, there are %s observations.', h, n);
    END IF;
    WITH d AS (SELECT p, v FROM unnest(periods, vals) AS u(p, v) WHERE p IS NOT NULL),
    cut AS (SELECT max(p) - h AS last_train FROM d),
    train AS (SELECT d.p, d.v FROM d, cut WHERE d.p <= cut.last_train),
    held AS (SELECT d.p, d.v FROM d, cut WHERE d.p > cut.last_train),
    fit AS (SELECT holt_winters(p, v, season_length, coalesce(options, '')) AS model FROM train),
    naive AS (SELECT avg(abs(v - prev)) AS scale
                FROM (SELECT v, lag(v, greatest(season_length, 1)) OVER (ORDER BY p) AS prev
                        FROM train) q
               WHERE prev IS NOT NULL),
    fc AS (SELECT f.* FROM fit, forecast(fit.model, h) f)
    SELECT (forecast_accuracy(held.v, fc.point, nullif(naive.scale, 0))).*
      INTO result
      FROM held JOIN fc ON fc.period = held.p CROSS JOIN naive;
    RETURN result;
END
$$;

-- (end of time-series section)


