-- Aggregate support functions and trigger functions of 0.1.0 get the
-- internal "_" names of 0.2.0 (docs/architecture.md, "Names and
-- comments"): one style, _<aggregate>_trans / _combine / _serial /
-- _deserial / _final.  Aggregates and triggers refer to their functions by
-- OID, so renaming changes nothing else; the C symbols stay as they are.
ALTER FUNCTION crm_sales.combine_forecast_combine(double precision[],double precision[]) RENAME TO _combine_forecast_combine;
ALTER FUNCTION crm_sales.combine_forecast_final(double precision[]) RENAME TO _combine_forecast_final;
ALTER FUNCTION crm_sales.combine_forecast_inverse_mse_trans(double precision[],double precision,double precision,double precision,double precision) RENAME TO _combine_forecast_inverse_mse_trans;
ALTER FUNCTION crm_sales.combine_forecast_mean_trans(double precision[],double precision,double precision,double precision) RENAME TO _combine_forecast_mean_trans;
ALTER FUNCTION crm_sales.combine_forecast_weighted_trans(double precision[],double precision,double precision,double precision,double precision) RENAME TO _combine_forecast_weighted_trans;
ALTER FUNCTION crm_sales.config_changed() RENAME TO _config_changed;
ALTER FUNCTION crm_sales.config_restore_merge() RENAME TO _config_restore_merge;
ALTER FUNCTION crm_sales.ets_finalfn(internal) RENAME TO _ets_final;
ALTER FUNCTION crm_sales.ets_transfn(internal,bigint,double precision,integer) RENAME TO _ets_trans;
ALTER FUNCTION crm_sales.ets_transfn(internal,bigint,double precision,integer,text) RENAME TO _ets_trans;
ALTER FUNCTION crm_sales.forecast_accuracy_combinefn(double precision[],double precision[]) RENAME TO _forecast_accuracy_combine;
ALTER FUNCTION crm_sales.forecast_accuracy_finalfn(double precision[]) RENAME TO _forecast_accuracy_final;
ALTER FUNCTION crm_sales.forecast_accuracy_transfn(double precision[],double precision,double precision) RENAME TO _forecast_accuracy_trans;
ALTER FUNCTION crm_sales.forecast_accuracy_transfn(double precision[],double precision,double precision,double precision) RENAME TO _forecast_accuracy_trans;
ALTER FUNCTION crm_sales.funnel_agg_trans(crm_sales.funnel,anyenum) RENAME TO _funnel_agg_trans;
ALTER FUNCTION crm_sales.funnel_agg_trans(crm_sales.funnel,anyenum,numeric) RENAME TO _funnel_agg_trans;
ALTER FUNCTION crm_sales.funnel_agg_trans(crm_sales.funnel,integer) RENAME TO _funnel_agg_trans;
ALTER FUNCTION crm_sales.funnel_agg_trans(crm_sales.funnel,integer,numeric) RENAME TO _funnel_agg_trans;
ALTER FUNCTION crm_sales.holt_winters_combinefn(internal,internal) RENAME TO _holt_winters_combine;
ALTER FUNCTION crm_sales.holt_winters_deserialfn(bytea,internal) RENAME TO _holt_winters_deserial;
ALTER FUNCTION crm_sales.holt_winters_finalfn(internal) RENAME TO _holt_winters_final;
ALTER FUNCTION crm_sales.holt_winters_serialfn(internal) RENAME TO _holt_winters_serial;
ALTER FUNCTION crm_sales.holt_winters_transfn(internal,bigint,double precision,integer) RENAME TO _holt_winters_trans;
ALTER FUNCTION crm_sales.holt_winters_transfn(internal,bigint,double precision,integer,text) RENAME TO _holt_winters_trans;
ALTER FUNCTION crm_sales.ols_combine(double precision[],double precision[]) RENAME TO _ols_combine;
ALTER FUNCTION crm_sales.ols_final(double precision[]) RENAME TO _ols_final;
ALTER FUNCTION crm_sales.ols_trans(double precision[],double precision,double precision[]) RENAME TO _ols_trans;
ALTER FUNCTION crm_sales.tslm_combine(double precision[],double precision[]) RENAME TO _tslm_combine;
ALTER FUNCTION crm_sales.tslm_final(double precision[]) RENAME TO _tslm_final;
ALTER FUNCTION crm_sales.tslm_trans(double precision[],integer,double precision,integer) RENAME TO _tslm_trans;
ALTER FUNCTION crm_sales.weighted_pipeline_combine(crm_sales.pipeline_state,crm_sales.pipeline_state) RENAME TO _weighted_pipeline_combine;
ALTER FUNCTION crm_sales.weighted_pipeline_final(crm_sales.pipeline_state) RENAME TO _weighted_pipeline_final;
ALTER FUNCTION crm_sales.weighted_pipeline_trans(crm_sales.pipeline_state,numeric,anyenum) RENAME TO _weighted_pipeline_trans;
ALTER FUNCTION crm_sales.weighted_pipeline_trans(crm_sales.pipeline_state,numeric,anyenum,numeric,numeric) RENAME TO _weighted_pipeline_trans;
