/*
 * forecast.c
 *		SQL glue of the time-series forecasts: the forecast_model type, the
 *		holt_winters aggregate, forecast() and forecast_accuracy().
 *
 * The numerics live in src/core/forecast/holtwinters.c; this file checks arguments,
 * manages memory and turns status codes into SQL errors.
 */
#include "postgres.h"

#include <float.h>
#include <math.h>

#include "access/htup_details.h"
#include "catalog/pg_type.h"
#include "fmgr.h"
#include "funcapi.h"
#include "lib/stringinfo.h"
#include "libpq/pqformat.h"
#include "miscadmin.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/float.h"
#include "utils/jsonb.h"
#include "utils/memutils.h"
#include "utils/tuplestore.h"

#include "agg_util.h"
#include "crm_sales.h"
#include "forecast/accuracy.h"
#include "forecast/ets.h"
#include "forecast/holtwinters.h"

/* most observations one group may hold (16 bytes each: 160 MB) */
#define HW_MAX_POINTS 10000000

/* version tag of the stored forecast_model layout */
#define FM_VERSION 1

/* layout version of the serialized holt_winters / ets state */
#define HW_SERIAL_VERSION 2

/*
 * The stored form of a forecast_model: a fixed header and the seasonal
 * states (m doubles with a season, none without).
 */
typedef struct ForecastModel
{
	int32		vl_len_;
	int32		version;
	int32		method;
	int32		error;
	int32		trend;
	int32		season;
	int32		m;
	int32		n;
	int32		n_fit;
	int64		last_period;
	double		alpha;
	double		beta;
	double		gamma;
	double		phi;
	double		sse;
	double		sigma2;
	double		aicc;
	double		level;
	double		slope;
	double		s[FLEXIBLE_ARRAY_MEMBER];
} ForecastModel;

#define FM_NSEASON(mod) ((mod)->season == HW_SEASON_NONE ? 0 : (mod)->m)
#define DatumGetForecastModel(d) ((ForecastModel *) PG_DETOAST_DATUM(d))

/* Build the stored form of a core model. */
static ForecastModel *
fm_from_core(const hw_model *mod)
{
	int			ns = FM_NSEASON(mod);
	Size		sz = offsetof(ForecastModel, s) + sizeof(double) * ns;
	ForecastModel *fm = (ForecastModel *) palloc0(sz);

	SET_VARSIZE(fm, sz);
	fm->version = FM_VERSION;
	fm->method = mod->method;
	fm->error = mod->error;
	fm->trend = mod->trend;
	fm->season = mod->season;
	fm->m = mod->m;
	fm->n = mod->n;
	fm->n_fit = mod->n_fit;
	fm->last_period = mod->last_period;
	fm->alpha = mod->alpha;
	fm->beta = mod->beta;
	fm->gamma = mod->gamma;
	fm->phi = mod->phi;
	fm->sse = mod->sse;
	fm->sigma2 = mod->sigma2;
	fm->aicc = mod->aicc;
	fm->level = mod->level;
	fm->slope = mod->slope;
	if (ns > 0)
		memcpy(fm->s, mod->s, sizeof(double) * ns);
	return fm;
}

/*
 * A core view of a stored model (the seasonal states are not copied),
 * checked before any consumer trusts it: the layout (a corrupt datum), then
 * the rules of hw_validate_why (a value stored by an older version whose
 * input was laxer).
 */
static void
fm_to_core(ForecastModel *fm, hw_model *mod)
{
	const char *why;

	if (VARSIZE(fm) < offsetof(ForecastModel, s) || fm->version != FM_VERSION ||
		fm->season < HW_SEASON_NONE || fm->season > HW_SEASON_MULTIPLICATIVE ||
		fm->m < 1 || fm->m > HW_MAX_SEASON ||
		VARSIZE(fm) != offsetof(ForecastModel, s) +
		sizeof(double) * (fm->season == HW_SEASON_NONE ? 0 : fm->m))
		ereport(ERROR,
				(errcode(ERRCODE_DATA_CORRUPTED),
				 errmsg("corrupt forecast_model value"),
				 errdetail("%u bytes, layout version %d.", (unsigned) VARSIZE(fm),
						   VARSIZE(fm) >= offsetof(ForecastModel, method) ? fm->version : -1)));
	mod->method = (hw_method) fm->method;
	mod->error = (hw_error) fm->error;
	mod->trend = (hw_trend) fm->trend;
	mod->season = (hw_season) fm->season;
	mod->m = fm->m;
	mod->n = fm->n;
	mod->n_fit = fm->n_fit;
	mod->last_period = fm->last_period;
	mod->alpha = fm->alpha;
	mod->beta = fm->beta;
	mod->gamma = fm->gamma;
	mod->phi = fm->phi;
	mod->sse = fm->sse;
	mod->sigma2 = fm->sigma2;
	mod->aicc = fm->aicc;
	mod->level = fm->level;
	mod->slope = fm->slope;
	mod->s = fm->s;
	if (hw_validate_why(mod, &why) != HW_OK)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("invalid forecast_model value"),
				 errdetail("%s", why),
				 errhint("The value was stored by an older version that accepted it; refit the model with holt_winters() or ets().")));
}

/* The model's text form in a palloc'd string. */
static char *
fm_text(const hw_model *mod)
{
	size_t		len = hw_format(mod, NULL, 0);
	char	   *buf = palloc(len + 1);

	hw_format(mod, buf, len + 1);
	return buf;
}

/* Raise the 22P02 error of forecast_model_in, with an optional detail. */
static void
fm_bad_text(const char *str, const char *detail)
{
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_TEXT_REPRESENTATION),
			 errmsg("invalid input syntax for type forecast_model: \"%s\"", str),
			 detail ? errdetail_internal("%s", detail) : 0,
			 errhint("The text form is \"method=holt_winters|ets error=... trend=... seasonal=... season_length=... n=... n_fit=... last_period=... alpha=... beta=... gamma=... phi=... sse=... sigma2=... aicc=... level=... slope=... season=s1,s2,...\".")));
}

PG_FUNCTION_INFO_V1(crm_forecast_model_in);
/*
 * Text input: the form hw_format writes, with the values a fit can produce
 * (hw_validate_why); anything else is 22P02.
 */
Datum
crm_forecast_model_in(PG_FUNCTION_ARGS)
{
	char	   *str = PG_GETARG_CSTRING(0);
	hw_model	mod;
	const char *season_text;
	const char *why;

	if (hw_parse_header(str, &mod, &season_text) != HW_OK)
		fm_bad_text(str, "The fields must come in the order of the text form, each a known word or a number in range (season_length 1 to 10000; numbers within double precision).");
	if (mod.season == HW_SEASON_NONE && mod.m != 1)
		fm_bad_text(str, "A model without season has season_length=1.");
	mod.s = palloc(sizeof(double) * mod.m);
	if (hw_parse_season(season_text, &mod) != HW_OK)
		fm_bad_text(str, "The season list must hold season_length numbers separated by commas (none without season).");
	if (hw_validate_why(&mod, &why) != HW_OK)
		fm_bad_text(str, why);
	PG_RETURN_POINTER(fm_from_core(&mod));
}

PG_FUNCTION_INFO_V1(crm_forecast_model_out);
/* Text output (17 significant digits: exact round trip). */
Datum
crm_forecast_model_out(PG_FUNCTION_ARGS)
{
	ForecastModel *fm = DatumGetForecastModel(PG_GETARG_DATUM(0));
	hw_model	mod;

	fm_to_core(fm, &mod);
	PG_RETURN_CSTRING(fm_text(&mod));
}

PG_FUNCTION_INFO_V1(crm_forecast_model_send);
/* Binary output: version, integers, then the doubles in order. */
Datum
crm_forecast_model_send(PG_FUNCTION_ARGS)
{
	ForecastModel *fm = DatumGetForecastModel(PG_GETARG_DATUM(0));
	hw_model	mod;
	StringInfoData buf;
	int			i;

	fm_to_core(fm, &mod);
	pq_begintypsend(&buf);
	pq_sendint32(&buf, FM_VERSION);
	pq_sendint32(&buf, mod.method);
	pq_sendint32(&buf, mod.error);
	pq_sendint32(&buf, mod.trend);
	pq_sendint32(&buf, mod.season);
	pq_sendint32(&buf, mod.m);
	pq_sendint32(&buf, mod.n);
	pq_sendint32(&buf, mod.n_fit);
	pq_sendint64(&buf, mod.last_period);
	pq_sendfloat8(&buf, mod.alpha);
	pq_sendfloat8(&buf, mod.beta);
	pq_sendfloat8(&buf, mod.gamma);
	pq_sendfloat8(&buf, mod.phi);
	pq_sendfloat8(&buf, mod.sse);
	pq_sendfloat8(&buf, mod.sigma2);
	pq_sendfloat8(&buf, mod.aicc);
	pq_sendfloat8(&buf, mod.level);
	pq_sendfloat8(&buf, mod.slope);
	for (i = 0; i < FM_NSEASON(&mod); i++)
		pq_sendfloat8(&buf, mod.s[i]);
	PG_RETURN_BYTEA_P(pq_endtypsend(&buf));
}

PG_FUNCTION_INFO_V1(crm_forecast_model_recv);
/* Binary input: the send form, validated like text input. */
Datum
crm_forecast_model_recv(PG_FUNCTION_ARGS)
{
	StringInfo	buf = (StringInfo) PG_GETARG_POINTER(0);
	hw_model	mod;
	const char *why;
	int			version,
				i;

	version = pq_getmsgint(buf, 4);
	if (version != FM_VERSION)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_BINARY_REPRESENTATION),
				 errmsg("unsupported forecast_model binary version %d", version),
				 errhint("This library reads version %d.", FM_VERSION)));
	mod.method = (hw_method) pq_getmsgint(buf, 4);
	mod.error = (hw_error) pq_getmsgint(buf, 4);
	mod.trend = (hw_trend) pq_getmsgint(buf, 4);
	mod.season = (hw_season) pq_getmsgint(buf, 4);
	mod.m = pq_getmsgint(buf, 4);
	mod.n = pq_getmsgint(buf, 4);
	mod.n_fit = pq_getmsgint(buf, 4);
	mod.last_period = pq_getmsgint64(buf);
	mod.alpha = pq_getmsgfloat8(buf);
	mod.beta = pq_getmsgfloat8(buf);
	mod.gamma = pq_getmsgfloat8(buf);
	mod.phi = pq_getmsgfloat8(buf);
	mod.sse = pq_getmsgfloat8(buf);
	mod.sigma2 = pq_getmsgfloat8(buf);
	mod.aicc = pq_getmsgfloat8(buf);
	mod.level = pq_getmsgfloat8(buf);
	mod.slope = pq_getmsgfloat8(buf);
	if (mod.m < 1 || mod.m > HW_MAX_SEASON ||
		(int) mod.season < HW_SEASON_NONE || mod.season > HW_SEASON_MULTIPLICATIVE)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_BINARY_REPRESENTATION),
				 errmsg("invalid season in binary forecast_model"),
				 errdetail("season_length %d, seasonal component %d.", mod.m, (int) mod.season),
				 errhint("season_length is 1 to 10000, the seasonal component 0 (none), 1 (additive) or 2 (multiplicative).")));
	mod.s = palloc(sizeof(double) * mod.m);
	for (i = 0; i < FM_NSEASON(&mod); i++)
		mod.s[i] = pq_getmsgfloat8(buf);
	if (hw_validate_why(&mod, &why) != HW_OK)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_BINARY_REPRESENTATION),
				 errmsg("invalid binary forecast_model"),
				 errdetail("%s", why),
				 errhint("Send values received from forecast_model_send.")));
	PG_RETURN_POINTER(fm_from_core(&mod));
}

/*
 * Append "key": number to a JSON object: null for an absent component and
 * for NaN and Infinity (aicc), which JSON lacks.
 */
static void
json_number(StringInfo buf, const char *key, double v, bool present)
{
	appendStringInfo(buf, ", \"%s\": ", key);
	if (!present || !isfinite(v))
		appendStringInfoString(buf, "null");
	else
		crm_append_float8(buf, v);
}

PG_FUNCTION_INFO_V1(crm_forecast_model_jsonb);
/*
 * Cast to jsonb: method, components, parameters (null where the component is
 * absent), fit statistics and final states.
 */
Datum
crm_forecast_model_jsonb(PG_FUNCTION_ARGS)
{
	ForecastModel *fm = DatumGetForecastModel(PG_GETARG_DATUM(0));
	hw_model	mod;
	StringInfoData buf;
	bool		has_trend,
				has_season;
	int			i;

	fm_to_core(fm, &mod);
	has_trend = mod.trend != HW_TREND_NONE;
	has_season = mod.season != HW_SEASON_NONE;
	initStringInfo(&buf);
	appendStringInfo(&buf,
					 "{\"method\": \"%s\", \"error\": \"%s\", \"trend\": \"%s\", \"seasonal\": \"%s\", "
					 "\"season_length\": %d, \"n\": %d, \"n_fit\": %d, \"last_period\": " INT64_FORMAT,
					 mod.method == HW_METHOD_ETS ? "ets" : "holt_winters",
					 mod.error == HW_ERROR_MULTIPLICATIVE ? "multiplicative" : "additive",
					 hw_trend_name(mod.trend), hw_season_name(mod.season),
					 mod.m, mod.n, mod.n_fit, mod.last_period);
	json_number(&buf, "alpha", mod.alpha, true);
	json_number(&buf, "beta", mod.beta, has_trend);
	json_number(&buf, "gamma", mod.gamma, has_season);
	json_number(&buf, "phi", mod.phi, mod.trend == HW_TREND_DAMPED);
	json_number(&buf, "sse", mod.sse, true);
	json_number(&buf, "sigma2", mod.sigma2, true);
	json_number(&buf, "aicc", mod.aicc, mod.method == HW_METHOD_ETS);
	if (mod.method == HW_METHOD_ETS)
	{
		char		code[8];

		appendStringInfo(&buf, ", \"model\": \"ETS(%c,%s,%c)\"",
						 mod.error == HW_ERROR_MULTIPLICATIVE ? 'M' : 'A',
						 mod.trend == HW_TREND_NONE ? "N" : mod.trend == HW_TREND_DAMPED ? "Ad" : "A",
						 ets_code(&mod, code)[strlen(code) - 1]);
	}
	json_number(&buf, "level", mod.level, true);
	json_number(&buf, "slope", mod.slope, has_trend);
	appendStringInfoString(&buf, ", \"season\": ");
	if (!has_season)
		appendStringInfoString(&buf, "null");
	else
	{
		appendStringInfoChar(&buf, '[');
		for (i = 0; i < mod.m; i++)
		{
			if (i > 0)
				appendStringInfoString(&buf, ", ");
			crm_append_float8(&buf, mod.s[i]);
		}
		appendStringInfoChar(&buf, ']');
	}
	appendStringInfoChar(&buf, '}');
	PG_RETURN_DATUM(DirectFunctionCall1(jsonb_in, CStringGetDatum(buf.data)));
}

/* ---------------------------------------------------------------------
 * The holt_winters aggregate
 * ---------------------------------------------------------------------
 */

typedef struct HwPoint
{
	int64		period;
	double		value;
} HwPoint;

/*
 * Transition state: the options (season length and option text, fixed for
 * the group) and the points seen, unordered.  Memory: one series.
 */
typedef struct HwState
{
	int32		kind;			/* HW_METHOD_HOLT_WINTERS or HW_METHOD_ETS */
	int32		season_length;
	char	   *options;		/* NUL-terminated copy */
	int			optlen;
	int64		n;
	int64		cap;
	HwPoint    *points;
} HwState;

/* Parse options into a spec; errors name the offending item. */
static void
hw_spec_from_options(int32 season_length, const char *options, int optlen,
					 hw_spec *spec)
{
	const char *bad = NULL;
	size_t		badlen = 0;

	spec->trend = HW_TREND_ADDITIVE;
	spec->season = season_length >= 2 ? HW_SEASON_ADDITIVE : HW_SEASON_NONE;
	spec->m = season_length;
	spec->alpha = spec->beta = spec->gamma = spec->phi = NAN;
	spec->poll = NULL;
	if (hw_parse_options(options, optlen, spec, &bad, &badlen) != HW_OK)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("invalid holt_winters option \"%.*s\"", (int) badlen, bad),
				 errhint("Options are a list of additive, multiplicative, none, damped, seasonal=..., trend=none|additive|damped, alpha=, beta=, gamma=, phi= (numbers).")));
	if (spec->season != HW_SEASON_NONE && season_length < 2)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("season_length must be at least 2 for a seasonal model"),
				 errdetail("season_length is %d, seasonal is %s.", season_length,
						   hw_season_name(spec->season)),
				 errhint("Pass the number of periods per season (12 for monthly data), or the option 'none' for a model without season.")));
	if (season_length < 1 || season_length > HW_MAX_SEASON)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("season_length must be between 1 and %d", HW_MAX_SEASON),
				 errdetail("season_length is %d.", season_length)));
	if (spec->season == HW_SEASON_NONE)
		spec->m = 1;
	/* a parameter of a component the model lacks would be ignored silently */
	if ((!isnan(spec->beta) && spec->trend == HW_TREND_NONE) ||
		(!isnan(spec->gamma) && spec->season == HW_SEASON_NONE) ||
		(!isnan(spec->phi) && spec->trend != HW_TREND_DAMPED))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("holt_winters: %s is given but the model has no %s",
						!isnan(spec->beta) && spec->trend == HW_TREND_NONE ? "beta" :
						!isnan(spec->gamma) && spec->season == HW_SEASON_NONE ? "gamma" : "phi",
						!isnan(spec->beta) && spec->trend == HW_TREND_NONE ? "trend" :
						!isnan(spec->gamma) && spec->season == HW_SEASON_NONE ? "season" : "damped trend"),
				 errdetail("The options are \"%.*s\", season_length is %d.", optlen, options, season_length),
				 errhint("Remove the parameter, or add the component (trend=additive, a seasonal option with season_length >= 2, damped).")));
	if (!isnan(spec->alpha) && !(spec->alpha > 0.0 && spec->alpha <= 1.0))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("alpha must be in (0, 1]"),
				 errdetail("alpha is %g.", spec->alpha)));
	if ((!isnan(spec->beta) && !(spec->beta >= 0.0 && spec->beta <= 1.0)) ||
		(!isnan(spec->gamma) && !(spec->gamma >= 0.0 && spec->gamma <= 1.0)))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("beta and gamma must be in [0, 1]"),
				 errdetail("beta is %g, gamma is %g.", spec->beta, spec->gamma)));
	if (!isnan(spec->phi) && !(spec->phi > 0.0 && spec->phi <= 1.0))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("phi must be in (0, 1]"),
				 errdetail("phi is %g.", spec->phi)));
}

/* The SQL name of the aggregate a state belongs to, for messages. */
#define STATE_FNAME(st) ((st)->kind == HW_METHOD_ETS ? "ets" : "holt_winters")

/* A new, empty state in the aggregate context. */
static HwState *
hw_state_new(MemoryContext aggcxt, int32 kind, int32 season_length,
			 const char *opt, int optlen)
{
	HwState    *st = MemoryContextAllocZero(aggcxt, sizeof(HwState));

	st->kind = kind;
	st->season_length = season_length;
	st->options = MemoryContextAlloc(aggcxt, optlen + 1);
	memcpy(st->options, opt, optlen);
	st->options[optlen] = '\0';
	st->optlen = optlen;
	st->cap = 64;
	st->points = MemoryContextAlloc(aggcxt, sizeof(HwPoint) * st->cap);
	return st;
}

/* Make room for extra more points (the state's memory context). */
static void
hw_state_reserve(HwState *st, int64 extra)
{
	int64		need = st->n + extra;

	if (need > HW_MAX_POINTS)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("%s: more than %d observations in one series",
						STATE_FNAME(st), HW_MAX_POINTS),
				 errhint("Group the query so that each group is one series.")));
	if (need > st->cap)
	{
		int64		cap = st->cap;

		while (cap < need)
			cap *= 2;
		if (cap > HW_MAX_POINTS)
			cap = HW_MAX_POINTS;
		st->points = repalloc(st->points, sizeof(HwPoint) * cap);
		st->cap = cap;
	}
}

/* The same options for every row of a group, or an error. */
static void
hw_check_same_options(HwState *st, int32 season_length, const char *opt, int optlen)
{
	if (st->season_length != season_length || st->optlen != optlen ||
		memcmp(st->options, opt, optlen) != 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("%s: season_length and options must be the same for every row of a group",
						STATE_FNAME(st)),
				 errdetail("Found %d '%s' and %d '%.*s'.", st->season_length,
						   st->options, season_length, optlen, opt)));
}

/*
 * ETS options: empty or "auto" for the automatic choice, else a model code
 * ("ANN", "AAdA", "MAM", ...).  Returns false for auto; errors name the text.
 */
static bool
ets_spec_from_options(int32 season_length, const char *opt, int optlen,
					  ets_spec *spec)
{
	int			b = 0,
				e = optlen;

	while (b < e && (opt[b] == ' ' || opt[b] == '\t'))
		b++;
	while (e > b && (opt[e - 1] == ' ' || opt[e - 1] == '\t'))
		e--;
	if (season_length < 1 || season_length > HW_MAX_SEASON)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("season_length must be between 1 and %d", HW_MAX_SEASON),
				 errdetail("season_length is %d.", season_length)));
	if (e == b || (e - b == 4 && memcmp(opt + b, "auto", 4) == 0))
		return false;
	if (!ets_parse_code(opt + b, e - b, spec))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("invalid ets model \"%.*s\"", optlen, opt),
				 errhint("Write 'auto', or a model code: error A|M, trend N|A|Ad, season N|A|M, e.g. 'MAdM'.")));
	if (spec->error == HW_ERROR_ADDITIVE && spec->season == HW_SEASON_MULTIPLICATIVE)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("ets model %.*s is not supported", optlen, opt),
				 errdetail("Additive errors with a multiplicative season can give infinite forecast variances; forecast::ets excludes them too.")));
	spec->m = spec->season == HW_SEASON_NONE ? 1 : season_length;
	if (spec->season != HW_SEASON_NONE &&
		(season_length < 2 || season_length > ETS_MAX_SEASON))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("ets: a seasonal model needs season_length between 2 and %d", ETS_MAX_SEASON),
				 errdetail("season_length is %d.", season_length)));
	return true;
}

/*
 * Shared transition of holt_winters and ets: (period, value, season_length
 * [, options]).  Rows with a NULL period or value are skipped (a NULL value
 * then shows up as a missing period); season_length must not be NULL.
 */
static Datum
series_transfn(FunctionCallInfo fcinfo, int32 kind)
{
	MemoryContext aggcxt;
	HwState    *st;
	int64		period;
	double		value;
	int32		season_length;
	const char *opt = "";
	int			optlen = 0;
	const char *fname = kind == HW_METHOD_ETS ? "ets" : "holt_winters";

	aggcxt = crm_agg_context(fcinfo, fname);
	st = PG_ARGISNULL(0) ? NULL : (HwState *) PG_GETARG_POINTER(0);
	if (PG_ARGISNULL(3))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("%s: season_length must not be NULL", fname)));
	season_length = PG_GETARG_INT32(3);
	if (PG_NARGS() > 4 && !PG_ARGISNULL(4))
	{
		text	   *t = PG_GETARG_TEXT_PP(4);

		opt = VARDATA_ANY(t);
		optlen = VARSIZE_ANY_EXHDR(t);
	}
	if (st == NULL)
	{
		/* check the options once per group, at its first row */
		if (kind == HW_METHOD_ETS)
		{
			ets_spec	espec;

			(void) ets_spec_from_options(season_length, opt, optlen, &espec);
		}
		else
		{
			hw_spec		spec;

			hw_spec_from_options(season_length, opt, optlen, &spec);
		}
		st = hw_state_new(aggcxt, kind, season_length, opt, optlen);
	}
	else
		hw_check_same_options(st, season_length, opt, optlen);
	if (PG_ARGISNULL(1) || PG_ARGISNULL(2))
		PG_RETURN_POINTER(st);
	period = PG_GETARG_INT64(1);
	value = PG_GETARG_FLOAT8(2);
	if (!isfinite(value))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("%s: value at period " INT64_FORMAT " is not finite", fname, period),
				 errdetail("The value is %s.", float8out_internal(value)),
				 errhint("Remove or replace NaN and infinite values before fitting.")));
	if (st->n == st->cap)
	{
		MemoryContext old = MemoryContextSwitchTo(aggcxt);

		hw_state_reserve(st, 1);
		MemoryContextSwitchTo(old);
	}
	st->points[st->n].period = period;
	st->points[st->n].value = value;
	st->n++;
	PG_RETURN_POINTER(st);
}

PG_FUNCTION_INFO_V1(crm_hw_transfn);
/* Transition of holt_winters(period, value, season_length [, options]). */
Datum
crm_hw_transfn(PG_FUNCTION_ARGS)
{
	return series_transfn(fcinfo, HW_METHOD_HOLT_WINTERS);
}

PG_FUNCTION_INFO_V1(crm_ets_transfn);
/* Transition of ets(period, value, season_length [, model]). */
Datum
crm_ets_transfn(PG_FUNCTION_ARGS)
{
	return series_transfn(fcinfo, HW_METHOD_ETS);
}

PG_FUNCTION_INFO_V1(crm_hw_combinefn);
/* Combine: concatenate the points of two partial states. */
Datum
crm_hw_combinefn(PG_FUNCTION_ARGS)
{
	MemoryContext aggcxt;
	HwState    *a,
			   *b;
	MemoryContext old;

	aggcxt = crm_agg_context(fcinfo, "holt_winters");
	a = PG_ARGISNULL(0) ? NULL : (HwState *) PG_GETARG_POINTER(0);
	b = PG_ARGISNULL(1) ? NULL : (HwState *) PG_GETARG_POINTER(1);
	if (b == NULL)
		PG_RETURN_POINTER(a);
	if (a == NULL)
	{
		a = hw_state_new(aggcxt, b->kind, b->season_length, b->options, b->optlen);
	}
	else
		hw_check_same_options(a, b->season_length, b->options, b->optlen);
	old = MemoryContextSwitchTo(aggcxt);
	hw_state_reserve(a, b->n);
	MemoryContextSwitchTo(old);
	memcpy(a->points + a->n, b->points, sizeof(HwPoint) * b->n);
	a->n += b->n;
	PG_RETURN_POINTER(a);
}

PG_FUNCTION_INFO_V1(crm_hw_serialfn);
/*
 * Serialise: layout version, kind, season_length, options, count, then
 * (period, value) pairs.
 */
Datum
crm_hw_serialfn(PG_FUNCTION_ARGS)
{
	HwState    *st = (HwState *) PG_GETARG_POINTER(0);
	StringInfoData buf;
	int64		i;

	crm_agg_context(fcinfo, "holt_winters");
	crm_serial_begin(&buf, HW_SERIAL_VERSION);
	pq_sendint32(&buf, st->kind);
	pq_sendint32(&buf, st->season_length);
	pq_sendint32(&buf, st->optlen);
	pq_sendbytes(&buf, st->options, st->optlen);
	pq_sendint64(&buf, st->n);
	for (i = 0; i < st->n; i++)
	{
		pq_sendint64(&buf, st->points[i].period);
		pq_sendfloat8(&buf, st->points[i].value);
	}
	PG_RETURN_BYTEA_P(pq_endtypsend(&buf));
}

PG_FUNCTION_INFO_V1(crm_hw_deserialfn);
/*
 * Deserialise what crm_hw_serialfn wrote; anything else (another version,
 * truncated bytes, an unknown kind, a count past the limit, a non-finite
 * value) is refused.
 */
Datum
crm_hw_deserialfn(PG_FUNCTION_ARGS)
{
	bytea	   *b = PG_GETARG_BYTEA_PP(0);
	MemoryContext aggcxt = crm_agg_context(fcinfo, "holt_winters");
	StringInfoData buf;
	HwState    *st;
	int32		kind,
				season_length,
				optlen;
	int64		n,
				i;
	MemoryContext old;

	crm_deserial_begin(&buf, b, HW_SERIAL_VERSION, "holt_winters");
	crm_deserial_need(&buf, 3, sizeof(int32), "holt_winters");
	kind = pq_getmsgint(&buf, 4);
	season_length = pq_getmsgint(&buf, 4);
	optlen = pq_getmsgint(&buf, 4);
	if (kind != HW_METHOD_HOLT_WINTERS && kind != HW_METHOD_ETS)
		crm_deserial_invalid("holt_winters", psprintf("Unknown aggregate kind %d.", kind));
	if (season_length < 1 || season_length > HW_MAX_SEASON)
		crm_deserial_invalid("holt_winters",
							 psprintf("season_length %d is outside 1 .. %d.", season_length,
									  HW_MAX_SEASON));
	crm_deserial_need(&buf, optlen, 1, "holt_winters");
	st = hw_state_new(aggcxt, kind, season_length, buf.data + buf.cursor, optlen);
	buf.cursor += optlen;
	crm_deserial_need(&buf, 1, sizeof(int64), "holt_winters");
	n = pq_getmsgint64(&buf);
	if (n < 0 || n > HW_MAX_POINTS)
		crm_deserial_invalid("holt_winters",
							 psprintf("The point count " INT64_FORMAT " is outside 0 .. %d.",
									  n, HW_MAX_POINTS));
	crm_deserial_need(&buf, n, sizeof(int64) + sizeof(double), "holt_winters");
	old = MemoryContextSwitchTo(aggcxt);
	hw_state_reserve(st, n);
	MemoryContextSwitchTo(old);
	for (i = 0; i < n; i++)
	{
		st->points[i].period = pq_getmsgint64(&buf);
		st->points[i].value = pq_getmsgfloat8(&buf);
		if (!isfinite(st->points[i].value))
			crm_deserial_invalid("holt_winters", "A value is not finite.");
	}
	st->n = n;
	crm_deserial_end(&buf, "holt_winters");
	PG_RETURN_POINTER(st);
}

/* qsort order of points: by period */
static int
hw_point_cmp(const void *a, const void *b)
{
	int64		pa = ((const HwPoint *) a)->period;
	int64		pb = ((const HwPoint *) b)->period;

	return pa < pb ? -1 : pa > pb ? 1 : 0;
}

/* Turn a core status into the SQL error it stands for. */
static void
hw_report(hw_status rc, const char *fname, int need, const HwState *st)
{
	int			n = (int) st->n;
	int64		i;

	switch (rc)
	{
		case HW_OK:
			return;
		case HW_TOO_SHORT:
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("%s: too few observations for the model", fname),
					 need > 0 ?
					 errdetail("The series has %d observations; this model needs at least %d (two full seasons with a season, 4 with a trend, 3 for simple smoothing).",
							   n, need) :
					 errdetail("The series has %d observations; ETS needs more than the number of its parameters + 4, and three full seasons for a seasonal model.", n),
					 errhint("Use a longer series, or a model without season (option 'none').")));
			break;
		case HW_NOT_POSITIVE:
			/* name the first offending period (the points are sorted) */
			for (i = 0; i < st->n - 1 && st->points[i].value > 0.0; i++)
				;
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("%s: a multiplicative model needs values greater than zero", fname),
					 errdetail("The value at period " INT64_FORMAT " is %s.",
							   st->points[i].period, float8out_internal(st->points[i].value)),
					 errhint("Use an additive model for series with zero or negative values.")));
			break;
		case HW_OPTIM_FAILED:
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("%s: parameter estimation failed: no parameters give a finite fit criterion", fname),
					 strcmp(fname, "ets") == 0 ?
					 errhint("Use model 'auto' or another model code ('auto' handles a constant series).") :
					 errhint("Give the parameters explicitly, or use an additive model.")));
			break;
		case HW_DEGENERATE_START:
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("%s: the start values from the first two seasons are not finite", fname)));
			break;
		default:
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("%s: invalid input (status %d)", fname, (int) rc)));
	}
}

/*
 * The series of a state in period order (sorting the state in place does
 * not change what it holds), checked: periods must be consecutive integers.
 * Returns a palloc'd array of st->n values.
 */
static double *
series_from_state(HwState *st)
{
	double	   *x;
	int64		i;

	qsort(st->points, st->n, sizeof(HwPoint), hw_point_cmp);
	x = palloc(sizeof(double) * st->n);
	for (i = 0; i < st->n; i++)
	{
		if (i > 0 && st->points[i].period == st->points[i - 1].period)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("%s: duplicate period " INT64_FORMAT,
							STATE_FNAME(st), st->points[i].period),
					 errhint("Aggregate the series to one value per period first.")));
		if (i > 0 && st->points[i].period != st->points[i - 1].period + 1)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("%s: missing period " INT64_FORMAT,
							STATE_FNAME(st), st->points[i - 1].period + 1),
					 errdetail("Periods must be consecutive integers; the next period present is " INT64_FORMAT ".",
							   st->points[i].period),
					 errhint("Fill gaps first (e.g. with generate_series and coalesce(value, 0)); rows with a NULL value count as missing.")));
		x[i] = st->points[i].value;
	}
	return x;
}

/*
 * Poll of the parameter searches (hw_spec.poll): a fit of a long series can
 * take minutes, so let it be cancelled.
 */
static void
fit_poll(void)
{
	CHECK_FOR_INTERRUPTS();
}

/*
 * A fit whose best local search stopped at its iteration limit: keep the
 * model (the best point found) but say so, as R warns of "optimization
 * difficulties".
 */
static void
search_warning(const char *fname, const HwState *st)
{
	ereport(WARNING,
			(errmsg("%s: the parameter search stopped at its iteration limit", fname),
			 errdetail("Series ending at period " INT64_FORMAT ": the model is the best point found, which may not be the optimum.",
					   st->points[st->n - 1].period),
			 errhint("Give some parameters explicitly, or check the series for outliers.")));
}

/*
 * The stored form of a fitted model, checked like input: a fit whose
 * numbers left double range (a residual variance that overflows) must not
 * become a value that text input would refuse.
 */
static Datum
fitted_model(const char *fname, hw_model *mod, const HwState *st)
{
	const char *why;

	mod->last_period = st->points[st->n - 1].period;
	if (hw_validate_why(mod, &why) != HW_OK)
		ereport(ERROR,
				(errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
				 errmsg("%s: the fitted model is out of range", fname),
				 errdetail("%s", why),
				 errhint("Rescale the series (e.g. to thousands) before fitting.")));
	return PointerGetDatum(fm_from_core(mod));
}

PG_FUNCTION_INFO_V1(crm_hw_finalfn);
/* Final of holt_winters: fit and return the model (NULL without rows). */
Datum
crm_hw_finalfn(PG_FUNCTION_ARGS)
{
	HwState    *st;
	hw_spec		spec;
	hw_model	mod;
	hw_fit_info info;
	double	   *x,
			   *work;
	hw_status	rc;

	if (PG_ARGISNULL(0))
		PG_RETURN_NULL();
	st = (HwState *) PG_GETARG_POINTER(0);
	if (st->n == 0)
		PG_RETURN_NULL();
	hw_spec_from_options(st->season_length, st->options, st->optlen, &spec);
	spec.poll = fit_poll;
	x = series_from_state(st);
	work = palloc(sizeof(double) * hw_fit_work_doubles(&spec));
	mod.s = palloc(sizeof(double) * (spec.season == HW_SEASON_NONE ? 1 : spec.m));
	rc = hw_fit(&spec, x, (int) st->n, work, &mod, &info);
	hw_report(rc, "holt_winters", hw_min_observations(&spec), st);
	if (!info.converged)
		search_warning("holt_winters", st);
	PG_RETURN_DATUM(fitted_model("holt_winters", &mod, st));
}

PG_FUNCTION_INFO_V1(crm_ets_finalfn);
/*
 * Final of ets: fit the given model, or choose by AICc among the candidates
 * (ets.h); return it (NULL without rows).
 */
Datum
crm_ets_finalfn(PG_FUNCTION_ARGS)
{
	HwState    *st;
	ets_spec	spec;
	hw_model	mod;
	ets_info	info;
	double	   *x,
			   *work;
	hw_status	rc;
	int			m;
	bool		given;

	if (PG_ARGISNULL(0))
		PG_RETURN_NULL();
	st = (HwState *) PG_GETARG_POINTER(0);
	if (st->n == 0)
		PG_RETURN_NULL();
	/* the options first: they bound season_length, which sizes the work */
	given = ets_spec_from_options(st->season_length, st->options, st->optlen, &spec);
	x = series_from_state(st);
	m = st->season_length;
	work = palloc(sizeof(double) * ets_work_doubles((int) st->n, m));
	mod.s = palloc(sizeof(double) * m);
	memset(&info, 0, sizeof(info));
	if (given)
	{
		spec.poll = fit_poll;
		rc = ets_fit(&spec, x, (int) st->n, work, &mod, &info);
	}
	else
		rc = ets_auto(x, (int) st->n, m, work, &mod,
					  palloc(sizeof(double) * m), &info, fit_poll);
	if (rc == HW_BAD_SEASON_LENGTH)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("ets: a seasonal model needs season_length between 2 and %d", ETS_MAX_SEASON)));
	hw_report(rc, "ets", 0, st);
	if (!info.converged)
		search_warning("ets", st);
	PG_RETURN_DATUM(fitted_model("ets", &mod, st));
}

/* ---------------------------------------------------------------------
 * forecast(model, horizon [, level | levels])
 * ---------------------------------------------------------------------
 */

/* Check one confidence level. */
static void
check_level(double level)
{
	if (!(level > 0.0 && level < 1.0))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("forecast: level must be between 0 and 1 (exclusive)"),
				 errdetail("level is %s.", float8out_internal(level)),
				 errhint("Write 0.95 for a 95%% interval.")));
}

/* Poll of the forecast loops: a long horizon can be cancelled. */
static void
forecast_poll(void)
{
	CHECK_FOR_INTERRUPTS();
}

PG_FUNCTION_INFO_V1(crm_forecast);
/*
 * forecast(model, horizon, level float8 | levels float8[]): one row per step
 * and level: (step, period, point, lower, upper, level).  lower/upper are
 * NULL where the interval is undefined (R's NA).  Memory: O(horizon +
 * season_length) doubles (ETS: plus 10 (2 m)^2 <= 23,040 for the class-3
 * variances); the rows go to a tuplestore, which spills to disk past
 * work_mem.
 */
Datum
crm_forecast(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	ForecastModel *fm = DatumGetForecastModel(PG_GETARG_DATUM(0));
	int32		horizon = PG_GETARG_INT32(1);
	hw_model	mod;
	double	   *levels;
	int			nlevels,
				h,
				l;
	double	   *point,
			   *sd;

	fm_to_core(fm, &mod);
	if (horizon < 1 || horizon > HW_MAX_HORIZON)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("forecast: horizon must be between 1 and %d", HW_MAX_HORIZON),
				 errdetail("horizon is %d.", horizon)));
	if (mod.last_period > PG_INT64_MAX - horizon)
		ereport(ERROR,
				(errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
				 errmsg("forecast: period out of range for bigint"),
				 errdetail("The model's last period is " INT64_FORMAT "; %d steps past it exceed the bigint range.",
						   mod.last_period, horizon),
				 errhint("Number the periods of the series from a smaller start (e.g. month_number(date)).")));
	if (get_fn_expr_argtype(fcinfo->flinfo, 2) == FLOAT8ARRAYOID)
	{
		ArrayType  *arr = PG_GETARG_ARRAYTYPE_P(2);
		Datum	   *elems;
		bool	   *nulls;

		if (ARR_NDIM(arr) > 1)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("forecast: levels must be a one-dimensional array")));
		deconstruct_array(arr, FLOAT8OID, 8, FLOAT8PASSBYVAL, TYPALIGN_DOUBLE,
						  &elems, &nulls, &nlevels);
		if (nlevels == 0)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("forecast: levels must not be empty")));
		levels = palloc(sizeof(double) * nlevels);
		for (l = 0; l < nlevels; l++)
		{
			if (nulls[l])
				ereport(ERROR,
						(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
						 errmsg("forecast: levels must not contain NULL")));
			levels[l] = DatumGetFloat8(elems[l]);
			check_level(levels[l]);
		}
	}
	else
	{
		nlevels = 1;
		levels = palloc(sizeof(double));
		levels[0] = PG_GETARG_FLOAT8(2);
		check_level(levels[0]);
	}

	InitMaterializedSRF(fcinfo, 0);
	point = palloc(sizeof(double) * horizon);
	sd = palloc(sizeof(double) * horizon);
	if (mod.method == HW_METHOD_ETS)
	{
		int			h;

		/* fm_to_core checked m <= ETS_MAX_SEASON: the work is bounded */
		if (ets_forecast(&mod, horizon, point, sd,
						 palloc(sizeof(double) * ets_forecast_work_doubles(&mod, horizon)),
						 forecast_poll) != HW_OK)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("forecast: an ets model has season_length at most %d", ETS_MAX_SEASON),
					 errdetail("season_length is %d.", mod.m)));
		for (h = 0; h < horizon; h++)
			sd[h] = sd[h] >= 0.0 ? sqrt(sd[h]) : NAN;
	}
	else
	{
		hw_forecast_point(&mod, horizon, point);
		hw_forecast_sd(&mod, horizon, sd, forecast_poll);
	}
	for (h = 0; h < horizon; h++)
	{
		for (l = 0; l < nlevels; l++)
		{
			Datum		values[6];
			bool		nulls[6] = {false, false, false, false, false, false};
			double		half = hw_qnorm((1.0 + levels[l]) / 2.0) * sd[h];

			/* horizon x levels rows can be many: stay cancellable */
			CHECK_FOR_INTERRUPTS();

			values[0] = Int32GetDatum(h + 1);
			values[1] = Int64GetDatum(mod.last_period + h + 1);
			values[2] = Float8GetDatum(point[h]);
			if (isnan(half))
				nulls[3] = nulls[4] = true;
			else
			{
				values[3] = Float8GetDatum(point[h] - half);
				values[4] = Float8GetDatum(point[h] + half);
			}
			values[5] = Float8GetDatum(levels[l]);
			tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
		}
	}
	return (Datum) 0;
}

/* ---------------------------------------------------------------------
 * forecast_accuracy(actual, predicted [, naive_scale])
 * ---------------------------------------------------------------------
 */

/*
 * The state array's values, checked against what the transition and combine
 * functions can make (the state is a plain float8[]: a direct call or a
 * custom INITCOND may pass anything): n a whole number 0 .. 2^53 with zero
 * sums when 0; |sum e| <= sum |e| (rounding keeps it: each |e| is the
 * rounded e's), sum e NaN only after sums that overflowed; sum e^2, sum |e|,
 * sum APE >= 0 (sum APE may be Infinity or NaN where an actual is 0); sum
 * sAPE within 0 .. 200 n up to the rounding of n terms (or NaN: actual =
 * predicted = 0); the scale unseen (0, 0), absent (-1, 0) or a positive
 * finite number (1, scale).
 */
static double *
fa_values(ArrayType *arr)
{
	double	   *v = crm_float8_state(arr, ACC_NSLOTS, "forecast_accuracy", NULL);
	double		n = v[ACC_N];
	const char *why = NULL;
	int			i;

	if (!(n >= 0.0 && n <= 9007199254740992.0 && n == floor(n)))
		why = "The count must be a whole number >= 0.";
	else if (n == 0.0)
	{
		for (i = ACC_SUM_E; i <= ACC_SUM_SAPE; i++)
			if (v[i] != 0.0)
				why = "A state without pairs has zero sums.";
	}
	else if (!(v[ACC_SUM_E2] >= 0.0) || !(v[ACC_SUM_ABS_E] >= 0.0) ||
			 v[ACC_SUM_APE] < 0.0 || v[ACC_SUM_SAPE] < 0.0 ||
			 v[ACC_SUM_SAPE] > 200.0 * n * (1.0 + (n + 4.0) * DBL_EPSILON) ||
			 fabs(v[ACC_SUM_E]) > v[ACC_SUM_ABS_E] ||
			 (isnan(v[ACC_SUM_E]) && isfinite(v[ACC_SUM_ABS_E])))
		why = "The sums are not those of any set of (actual, predicted) pairs.";
	if (why == NULL &&
		!(v[ACC_SCALE_SET] == 0.0 && v[ACC_SCALE] == 0.0) &&
		!(v[ACC_SCALE_SET] == -1.0 && v[ACC_SCALE] == 0.0) &&
		!(v[ACC_SCALE_SET] == 1.0 && v[ACC_SCALE] > 0.0 && isfinite(v[ACC_SCALE])))
		why = "The naive_scale slots must be (0, 0), (-1, 0) or (1, a positive finite scale).";
	if (why)
		crm_agg_invalid_state("forecast_accuracy", why);
	return v;
}

/* Record the scale of a row or partial state; all must agree. */
static void
fa_scale(double *v, double flag, double scale)
{
	if (v[ACC_SCALE_SET] == 0.0)
	{
		v[ACC_SCALE_SET] = flag;
		v[ACC_SCALE] = scale;
	}
	else if (flag != 0.0 &&
			 (v[ACC_SCALE_SET] != flag || (flag > 0.0 && v[ACC_SCALE] != scale)))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("forecast_accuracy: naive_scale must be the same for every row of a group"),
				 errdetail("Found %s and %s.",
						   v[ACC_SCALE_SET] > 0 ? float8out_internal(v[ACC_SCALE]) : "NULL",
						   flag > 0 ? float8out_internal(scale) : "NULL")));
}

PG_FUNCTION_INFO_V1(crm_fa_transfn);
/*
 * Transition: add one (actual, predicted) pair; rows with a NULL actual or
 * prediction are skipped.  Updates the state array in place when called as
 * an aggregate (as float8_accum does).
 */
Datum
crm_fa_transfn(PG_FUNCTION_ARGS)
{
	ArrayType  *arr;
	double	   *v;
	double		a,
				f;

	crm_agg_context(fcinfo, "forecast_accuracy");
	arr = PG_GETARG_ARRAYTYPE_P(0);
	v = fa_values(arr);
	if (PG_NARGS() > 3)
	{
		if (PG_ARGISNULL(3))
			fa_scale(v, -1.0, 0.0);
		else
		{
			double		scale = PG_GETARG_FLOAT8(3);

			if (!(isfinite(scale) && scale > 0.0))
				ereport(ERROR,
						(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
						 errmsg("forecast_accuracy: naive_scale must be positive and finite"),
						 errdetail("naive_scale is %s.", float8out_internal(scale)),
						 errhint("naive_scale is the in-sample mean absolute error of the (seasonal) naive forecast.")));
			fa_scale(v, 1.0, scale);
		}
	}
	else
		fa_scale(v, -1.0, 0.0);
	if (PG_ARGISNULL(1) || PG_ARGISNULL(2))
		PG_RETURN_ARRAYTYPE_P(arr);
	a = PG_GETARG_FLOAT8(1);
	f = PG_GETARG_FLOAT8(2);
	if (!isfinite(a) || !isfinite(f))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("forecast_accuracy: actual and predicted values must be finite"),
				 errdetail("actual is %s, predicted is %s.", float8out_internal(a),
						   float8out_internal(f))));
	if (!isfinite(a - f))
		ereport(ERROR,
				(errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
				 errmsg("forecast_accuracy: the error actual - predicted is out of range for type double precision"),
				 errdetail("actual is %s, predicted is %s.", float8out_internal(a),
						   float8out_internal(f)),
				 errhint("Rescale both series (e.g. to thousands).")));
	acc_add(v, a, f);
	PG_RETURN_ARRAYTYPE_P(arr);
}

PG_FUNCTION_INFO_V1(crm_fa_combinefn);
/* Combine: add the sums of two partial states (a copy: never in place). */
Datum
crm_fa_combinefn(PG_FUNCTION_ARGS)
{
	ArrayType  *a = PG_GETARG_ARRAYTYPE_P_COPY(0);
	ArrayType  *b = PG_GETARG_ARRAYTYPE_P(1);
	double	   *va = fa_values(a);
	double	   *vb = fa_values(b);

	acc_merge(va, vb);
	if (vb[ACC_SCALE_SET] != 0.0)
		fa_scale(va, vb[ACC_SCALE_SET], vb[ACC_SCALE]);
	PG_RETURN_ARRAYTYPE_P(a);
}

PG_FUNCTION_INFO_V1(crm_fa_finalfn);
/*
 * Final: (n, mae, rmse, mape, smape, bias, mase) as forecast::accuracy
 * defines them (percentages for MAPE and sMAPE); NULL measures for n = 0,
 * NULL mase without a scale.
 */
Datum
crm_fa_finalfn(PG_FUNCTION_ARGS)
{
	ArrayType  *arr = PG_GETARG_ARRAYTYPE_P(0);
	double	   *v = fa_values(arr);
	TupleDesc	tupdesc;
	Datum		values[7];
	bool		nulls[7] = {false, false, false, false, false, false, false};
	acc_measures am;
	int			i;

	if (get_call_result_type(fcinfo, NULL, &tupdesc) != TYPEFUNC_COMPOSITE)
		ereport(ERROR,
				(errcode(ERRCODE_DATATYPE_MISMATCH),
				 errmsg("forecast_accuracy: return type must be a row type"),
				 errdetail("The function was declared with a result type other than crm_sales.accuracy_measures."),
				 errhint("Use the function as crm_sales declares it.")));
	tupdesc = BlessTupleDesc(tupdesc);
	values[0] = Int64GetDatum((int64) v[ACC_N]);
	if (!acc_finish(v, &am))
	{
		for (i = 1; i < 7; i++)
			nulls[i] = true;
	}
	else
	{
		values[1] = Float8GetDatum(am.mae);
		values[2] = Float8GetDatum(am.rmse);
		values[3] = Float8GetDatum(am.mape);
		values[4] = Float8GetDatum(am.smape);
		values[5] = Float8GetDatum(am.bias);
		values[6] = Float8GetDatum(am.mase);
		nulls[6] = isnan(am.mase);
	}
	PG_RETURN_DATUM(HeapTupleGetDatum(heap_form_tuple(tupdesc, values, nulls)));
}
