/*
 * clv.c
 *		Customer lifetime value: the bgnbd_model and gamma_gamma_model types,
 *		the bgnbd_fit and gamma_gamma_fit aggregates, P(alive), expected
 *		purchases and spend, clv() and mark_churned().  The numerics are in
 *		src/core (bgnbd.c, gamma_gamma.c, hyp2f1.c, clv_optim.c); this file
 *		checks arguments, owns memory and turns core statuses into errors.
 */
#include "postgres.h"

#include <math.h>

#include "catalog/namespace.h"
#include "catalog/pg_class.h"
#include "catalog/pg_type.h"
#include "common/hashfn.h"
#include "common/shortest_dec.h"
#include "executor/spi.h"
#include "fmgr.h"
#include "lib/stringinfo.h"
#include "libpq/pqformat.h"
#include "miscadmin.h"
#include "utils/builtins.h"
#include "utils/float.h"
#include "utils/jsonb.h"
#include "utils/lsyscache.h"

#include "agg_util.h"
#include "crm_sales.h"
#include "segment/bgnbd.h"
#include "segment/gamma_gamma.h"

/*
 * Most distinct histories one aggregate keeps: (x, t_x, T) triples for
 * bgnbd_fit, (x, monetary) pairs for gamma_gamma_fit.  32 bytes each in a
 * table at most half full: 2,000,000 take 128 MB at the end.
 */
#define CLV_MAX_DISTINCT 2000000

/* layout version of the serialized bgnbd_fit / gamma_gamma_fit state */
#define CLV_SERIAL_VERSION 2

/*
 * The aggregate named in the errors of the support functions both fits
 * share (combine, serial, deserial): the state does not say which fit it
 * belongs to, and these functions are reachable only from an aggregate.
 */
#define CLV_SHARED_AGG "bgnbd_fit"

/* ----------------------------------------------------------------------
 * The model types: fixed-size, pass by reference
 * ---------------------------------------------------------------------- */

/* r, alpha, a, b, loglik; n customers fitted (0: entered by hand) */
typedef struct BgnbdModel
{
	double		v[5];
	int64		n;
} BgnbdModel;

/* p, q, gamma, loglik; n repeat customers fitted */
typedef struct GgModel
{
	double		v[4];
	int64		n;
} GgModel;

/* What the generic text/binary/jsonb code needs to know about a type. */
typedef struct ModelDesc
{
	const char *typname;
	int			nparams;		/* positive parameters before loglik */
	int			scale;			/* the parameter in data units (alpha, gamma) */
	const char *const *keys;	/* nparams + 1 names: the params, "loglik" */
} ModelDesc;

static const char *const bgnbd_keys[] = {"r", "alpha", "a", "b", "loglik"};
static const char *const gg_keys[] = {"p", "q", "gamma", "loglik"};
static const ModelDesc bgnbd_desc = {"crm_sales.bgnbd_model", 4, 1, bgnbd_keys};
static const ModelDesc gg_desc = {"crm_sales.gamma_gamma_model", 3, 2, gg_keys};

/* A syntax error in the text form of a model type. */
static void
model_syntax_error(const ModelDesc *d, const char *str, const char *what)
{
	StringInfoData form;
	int			i;

	initStringInfo(&form);
	appendStringInfoChar(&form, '(');
	for (i = 0; i < d->nparams; i++)
		appendStringInfo(&form, "%s%s=...", i ? "," : "", d->keys[i]);
	appendStringInfoString(&form, "[,loglik=...,n=...])");
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_TEXT_REPRESENTATION),
			 errmsg("invalid input syntax for type %s: \"%s\"", d->typname, str),
			 errdetail("%s", what),
			 errhint("The text form is %s.", form.data)));
}

/*
 * Check the parameters of a model: each positive and finite, loglik finite
 * or NaN (unknown), n >= 0.  "where" names the source for the message.
 */
static void
model_check(const ModelDesc *d, const double *v, int64 n, const char *where)
{
	int			i;

	for (i = 0; i < d->nparams; i++)
		if (!(v[i] > 0.0) || isinf(v[i]))
			ereport(ERROR,
					(errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
					 errmsg("%s parameter %s = %s is out of range in %s",
							d->typname, d->keys[i], float8out_internal(v[i]), where),
					 errdetail("Every parameter of the model must be positive and finite."),
					 errhint("Fit the model with the aggregate, or give positive values.")));
	if (isinf(v[d->nparams]) || n < 0)
		ereport(ERROR,
				(errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
				 errmsg("%s loglik = %s, n = " INT64_FORMAT " is out of range in %s",
						d->typname, float8out_internal(v[d->nparams]), n, where),
				 errhint("loglik must be finite or NaN, n zero or positive.")));
}

/*
 * Parse "(k1=v1,k2=v2,...[,loglik=v,n=v])" with the keys in order and
 * optional white space between tokens.  Omitted loglik/n give NaN/0.
 */
static void
model_parse(const ModelDesc *d, char *str, double *v, int64 *n)
{
	char	   *p = str;
	int			nv = d->nparams + 1;
	int			i;
	char		numbuf[64];

	v[d->nparams] = get_float8_nan();
	*n = 0;
	while (isspace((unsigned char) *p))
		p++;
	if (*p++ != '(')
		model_syntax_error(d, str, "It must start with \"(\".");
	for (i = 0; i <= nv; i++)
	{
		const char *key = i < nv ? d->keys[i] : "n";
		size_t		klen = strlen(key);
		char	   *start;
		size_t		len;
		bool		err = false;

		while (isspace((unsigned char) *p))
			p++;
		if (i >= d->nparams && *p == ')')
			break;				/* loglik and n may be left out */
		if (i > 0)
		{
			if (*p++ != ',')
				model_syntax_error(d, str, psprintf("Expected \",\" before \"%s\".", key));
			while (isspace((unsigned char) *p))
				p++;
		}
		if (strncmp(p, key, klen) != 0)
			model_syntax_error(d, str, psprintf("Expected \"%s=\".", key));
		p += klen;
		while (isspace((unsigned char) *p))
			p++;
		if (*p++ != '=')
			model_syntax_error(d, str, psprintf("Expected \"=\" after \"%s\".", key));
		while (isspace((unsigned char) *p))
			p++;
		start = p;
		while (*p != '\0' && *p != ',' && *p != ')' && !isspace((unsigned char) *p))
			p++;
		len = p - start;
		if (len == 0 || len >= sizeof(numbuf))
			model_syntax_error(d, str, psprintf("Bad value of \"%s\".", key));
		memcpy(numbuf, start, len);
		numbuf[len] = '\0';
		if (i < nv)
			v[i] = float8in_internal_opt_error(numbuf, NULL, d->typname, str, &err);
		else
		{
			char	   *end;

			errno = 0;
			*n = strtoi64(numbuf, &end, 10);
			err = (errno != 0 || *end != '\0');
		}
		if (err)
			model_syntax_error(d, str, psprintf("Bad value of \"%s\": \"%s\".", key, numbuf));
	}
	while (isspace((unsigned char) *p))
		p++;
	if (*p++ != ')')
		model_syntax_error(d, str, "Expected \")\".");
	while (isspace((unsigned char) *p))
		p++;
	if (*p != '\0')
		model_syntax_error(d, str, "Unexpected text after \")\".");
	model_check(d, v, *n, "text input");
}

/* The text form, floats in shortest exact (round-trip) notation. */
static char *
model_format(const ModelDesc *d, const double *v, int64 n)
{
	StringInfoData s;
	char		buf[DOUBLE_SHORTEST_DECIMAL_LEN];
	int			i;

	initStringInfo(&s);
	appendStringInfoChar(&s, '(');
	for (i = 0; i <= d->nparams; i++)
	{
		double_to_shortest_decimal_buf(v[i], buf);
		appendStringInfo(&s, "%s%s=%s", i ? "," : "", d->keys[i], buf);
	}
	appendStringInfo(&s, ",n=" INT64_FORMAT ")", n);
	return s.data;
}

/* The model as a jsonb object (loglik NaN as null). */
static Datum
model_jsonb(const ModelDesc *d, const double *v, int64 n)
{
	StringInfoData s;
	char		buf[DOUBLE_SHORTEST_DECIMAL_LEN];
	int			i;

	initStringInfo(&s);
	appendStringInfoChar(&s, '{');
	for (i = 0; i <= d->nparams; i++)
	{
		if (isnan(v[i]))
			strcpy(buf, "null");
		else
			double_to_shortest_decimal_buf(v[i], buf);
		appendStringInfo(&s, "%s\"%s\": %s", i ? ", " : "", d->keys[i], buf);
	}
	appendStringInfo(&s, ", \"n\": " INT64_FORMAT "}", n);
	return DirectFunctionCall1(jsonb_in, CStringGetDatum(s.data));
}

/* Binary form: the floats then n, in network byte order. */
static bytea *
model_send(const ModelDesc *d, const double *v, int64 n)
{
	StringInfoData buf;
	int			i;

	pq_begintypsend(&buf);
	for (i = 0; i <= d->nparams; i++)
		pq_sendfloat8(&buf, v[i]);
	pq_sendint64(&buf, n);
	return pq_endtypsend(&buf);
}

/* Read the binary form and check it like text input. */
static void
model_recv(const ModelDesc *d, StringInfo buf, double *v, int64 *n)
{
	int			i;

	for (i = 0; i <= d->nparams; i++)
		v[i] = pq_getmsgfloat8(buf);
	*n = pq_getmsgint64(buf);
	model_check(d, v, *n, "binary input");
}

/*
 * The SQL-callable functions of one model type: text in/out, binary
 * recv/send, the jsonb cast and the constructor from its parameters (loglik
 * unknown, n = 0).  Both types share the code above; this macro only binds
 * it to a struct and a descriptor.
 */
#define CLV_MODEL_TYPE_FUNCS(prefix, Type, desc) \
PG_FUNCTION_INFO_V1(prefix##_in); \
PG_FUNCTION_INFO_V1(prefix##_out); \
PG_FUNCTION_INFO_V1(prefix##_recv); \
PG_FUNCTION_INFO_V1(prefix##_send); \
PG_FUNCTION_INFO_V1(prefix##_jsonb); \
PG_FUNCTION_INFO_V1(prefix##_make); \
Datum \
prefix##_in(PG_FUNCTION_ARGS) \
{ \
	Type	   *m = palloc(sizeof(Type)); \
	model_parse(&(desc), PG_GETARG_CSTRING(0), m->v, &m->n); \
	PG_RETURN_POINTER(m); \
} \
Datum \
prefix##_out(PG_FUNCTION_ARGS) \
{ \
	Type	   *m = (Type *) PG_GETARG_POINTER(0); \
	model_check(&(desc), m->v, m->n, "a stored value"); \
	PG_RETURN_CSTRING(model_format(&(desc), m->v, m->n)); \
} \
Datum \
prefix##_recv(PG_FUNCTION_ARGS) \
{ \
	Type	   *m = palloc(sizeof(Type)); \
	model_recv(&(desc), (StringInfo) PG_GETARG_POINTER(0), m->v, &m->n); \
	PG_RETURN_POINTER(m); \
} \
Datum \
prefix##_send(PG_FUNCTION_ARGS) \
{ \
	Type	   *m = (Type *) PG_GETARG_POINTER(0); \
	model_check(&(desc), m->v, m->n, "a stored value"); \
	PG_RETURN_BYTEA_P(model_send(&(desc), m->v, m->n)); \
} \
Datum \
prefix##_jsonb(PG_FUNCTION_ARGS) \
{ \
	Type	   *m = (Type *) PG_GETARG_POINTER(0); \
	model_check(&(desc), m->v, m->n, "a stored value"); \
	PG_RETURN_DATUM(model_jsonb(&(desc), m->v, m->n)); \
} \
Datum \
prefix##_make(PG_FUNCTION_ARGS) \
{ \
	Type	   *m = palloc(sizeof(Type)); \
	int			i; \
	for (i = 0; i < (desc).nparams; i++) \
		m->v[i] = PG_GETARG_FLOAT8(i); \
	m->v[(desc).nparams] = get_float8_nan(); \
	m->n = 0; \
	model_check(&(desc), m->v, m->n, psprintf("%s()", (desc).typname)); \
	PG_RETURN_POINTER(m); \
}

CLV_MODEL_TYPE_FUNCS(crm_bgnbd_model, BgnbdModel, bgnbd_desc)
CLV_MODEL_TYPE_FUNCS(crm_gg_model, GgModel, gg_desc)

/*
 * The core parameters of a bgnbd_model datum, checked again (as for every
 * consumer): the numerics assume positive finite parameters.
 */
static void
bgnbd_from_model(const BgnbdModel *m, bgnbd_params *p)
{
	model_check(&bgnbd_desc, m->v, m->n, "a stored value");
	p->r = m->v[0];
	p->alpha = m->v[1];
	p->a = m->v[2];
	p->b = m->v[3];
}

/* The core parameters of a gamma_gamma_model datum, checked again. */
static void
gg_from_model(const GgModel *m, gg_params *p)
{
	model_check(&gg_desc, m->v, m->n, "a stored value");
	p->p = m->v[0];
	p->q = m->v[1];
	p->gamma = m->v[2];
}

/* ----------------------------------------------------------------------
 * Aggregate state: distinct histories with counts, in a hash table
 * ---------------------------------------------------------------------- */

typedef struct ClvEntry
{
	double		k[3];			/* x, t_x, T  or  x, monetary, 0 */
	double		w;				/* customers; 0 = empty slot */
} ClvEntry;

typedef struct ClvState
{
	int64		nentries;
	int64		capacity;		/* power of two */
	ClvEntry   *entries;
} ClvState;

/* A new empty state in the current memory context. */
static ClvState *
clv_state_new(void)
{
	ClvState   *s = palloc(sizeof(ClvState));

	s->nentries = 0;
	s->capacity = 1024;
	s->entries = palloc0(sizeof(ClvEntry) * s->capacity);
	return s;
}

/* Slot of key k: where it is, or the empty slot where it belongs. */
static ClvEntry *
clv_state_slot(ClvState *s, const double *k)
{
	uint64		mask = (uint64) s->capacity - 1;
	uint64		h = hash_bytes_extended((const unsigned char *) k, sizeof(double) * 3, 0);
	ClvEntry   *e;

	for (;;)
	{
		e = &s->entries[h & mask];
		if (e->w == 0.0 || (e->k[0] == k[0] && e->k[1] == k[1] && e->k[2] == k[2]))
			return e;
		h++;
	}
}

/*
 * Add w customers with history k (in the state's memory context).  The
 * table doubles at half full; past CLV_MAX_DISTINCT distinct keys it is an
 * error naming the way out.
 */
static void
clv_state_add(ClvState *s, const double *k, double w, const char *fname)
{
	ClvEntry   *e = clv_state_slot(s, k);

	if (e->w == 0.0)
	{
		if (s->nentries >= CLV_MAX_DISTINCT)
			ereport(ERROR,
					(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
					 errmsg("%s: more than %d distinct customer histories", fname, CLV_MAX_DISTINCT),
					 errdetail("Customers with identical values are counted once; this input has too many different values to keep."),
					 errhint("Round the inputs (for example recency and T to whole days or to two decimals of a week) so that customers share values, or fit on a random sample (TABLESAMPLE).")));
		if ((s->nentries + 1) * 2 > s->capacity)
		{
			ClvEntry   *old = s->entries;
			int64		oldcap = s->capacity,
						i;

			s->capacity *= 2;
			s->entries = palloc0(sizeof(ClvEntry) * s->capacity);
			for (i = 0; i < oldcap; i++)
				if (old[i].w != 0.0)
					*clv_state_slot(s, old[i].k) = old[i];
			pfree(old);
			e = clv_state_slot(s, k);
		}
		memcpy(e->k, k, sizeof(e->k));
		s->nentries++;
	}
	e->w += w;
}

/* Add one history to the state (created on first use) in the agg context. */
static ClvState *
clv_trans_add(FunctionCallInfo fcinfo, const double *k, const char *aggname,
			  const char *fname)
{
	MemoryContext ctx = crm_agg_context(fcinfo, aggname);
	MemoryContext old = MemoryContextSwitchTo(ctx);
	ClvState   *s = PG_ARGISNULL(0) ? clv_state_new() : (ClvState *) PG_GETARG_POINTER(0);

	clv_state_add(s, k, 1.0, fname);
	MemoryContextSwitchTo(old);
	return s;
}

/*
 * An argument of a lifetime-value function outside its domain; the value in
 * float8's own shortest exact form (%g would print 38.8600001 as 38.86).
 */
static void
clv_bad_value(const char *fname, const char *what, double value, const char *hint)
{
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
			 errmsg("%s: %s", fname, what),
			 errdetail("Offending value: %s.", float8out_internal(value)),
			 errhint("%s", hint)));
}

/*
 * Check a customer history (x, t_x, T) for the BG/NBD functions, with a
 * message that names the offending value.
 */
static void
check_history(const char *fname, double x, double tx, double T)
{
	if (!isfinite(x) || x < 0.0 || x != floor(x))
		clv_bad_value(fname, "frequency must be a whole number >= 0", x,
					  "frequency is the number of repeat purchases (the first purchase not counted).");
	if (!isfinite(tx) || tx < 0.0)
		clv_bad_value(fname, "recency must be finite and >= 0", tx,
					  "recency is the time from the first to the last purchase.");
	if (!isfinite(T) || T < 0.0)
		clv_bad_value(fname, "T must be finite and >= 0", T,
					  "T is the time from the first purchase to the end of observation.");
	if (tx > T)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("%s: recency must not exceed T", fname),
				 errdetail("Offending values: recency = %s, T = %s.",
						   float8out_internal(tx), float8out_internal(T)),
				 errhint("Measure both from the customer's first purchase, in the same unit.")));
	if (x == 0.0 && tx != 0.0)
		clv_bad_value(fname, "recency must be 0 when frequency is 0", tx,
					  "A customer without repeat purchases has recency 0.");
}

PG_FUNCTION_INFO_V1(crm_bgnbd_fit_trans);
PG_FUNCTION_INFO_V1(crm_gg_fit_trans);
PG_FUNCTION_INFO_V1(crm_clv_fit_combine);
PG_FUNCTION_INFO_V1(crm_clv_fit_serial);
PG_FUNCTION_INFO_V1(crm_clv_fit_deserial);
PG_FUNCTION_INFO_V1(crm_bgnbd_fit_final);
PG_FUNCTION_INFO_V1(crm_gg_fit_final);

/* bgnbd_fit transition: rows with a NULL are skipped. */
Datum
crm_bgnbd_fit_trans(PG_FUNCTION_ARGS)
{
	double		k[3];

	if (PG_ARGISNULL(1) || PG_ARGISNULL(2) || PG_ARGISNULL(3))
	{
		crm_agg_context(fcinfo, "bgnbd_fit");
		if (PG_ARGISNULL(0))
			PG_RETURN_NULL();
		PG_RETURN_POINTER(PG_GETARG_POINTER(0));
	}
	k[0] = PG_GETARG_FLOAT8(1);
	k[1] = PG_GETARG_FLOAT8(2);
	k[2] = PG_GETARG_FLOAT8(3);
	check_history("crm_sales.bgnbd_fit", k[0], k[1], k[2]);
	/* -0 and 0 are one key */
	k[0] += 0.0;
	k[1] += 0.0;
	k[2] += 0.0;
	PG_RETURN_POINTER(clv_trans_add(fcinfo, k, "bgnbd_fit", "crm_sales.bgnbd_fit"));
}

/*
 * gamma_gamma_fit transition: NULLs and customers without repeat purchases
 * (frequency 0) are skipped; repeat customers need a positive mean spend.
 */
Datum
crm_gg_fit_trans(PG_FUNCTION_ARGS)
{
	const char *fname = "crm_sales.gamma_gamma_fit";
	double		k[3];

	k[0] = PG_ARGISNULL(1) ? 0.0 : PG_GETARG_FLOAT8(1);
	if (!PG_ARGISNULL(1) && (!isfinite(k[0]) || k[0] < 0.0 || k[0] != floor(k[0])))
		clv_bad_value(fname, "frequency must be a whole number >= 0", k[0],
					  "frequency is the number of repeat purchases (the first purchase not counted).");
	if (PG_ARGISNULL(1) || PG_ARGISNULL(2) || k[0] == 0.0)
	{
		crm_agg_context(fcinfo, "gamma_gamma_fit");
		if (PG_ARGISNULL(0))
			PG_RETURN_NULL();
		PG_RETURN_POINTER(PG_GETARG_POINTER(0));
	}
	k[1] = PG_GETARG_FLOAT8(2);
	if (!isfinite(k[1]) || !(k[1] > 0.0))
		clv_bad_value(fname, "monetary value must be positive and finite for a repeat customer", k[1],
					  "monetary_value is the mean value of the repeat purchases; leave out customers whose repeat purchases were all free.");
	k[2] = 0.0;
	PG_RETURN_POINTER(clv_trans_add(fcinfo, k, "gamma_gamma_fit", fname));
}

/* Merge two states (parallel aggregation); the result lives in agg context. */
Datum
crm_clv_fit_combine(PG_FUNCTION_ARGS)
{
	MemoryContext ctx = crm_agg_context(fcinfo, CLV_SHARED_AGG);
	MemoryContext old;
	ClvState   *a = PG_ARGISNULL(0) ? NULL : (ClvState *) PG_GETARG_POINTER(0);
	ClvState   *b = PG_ARGISNULL(1) ? NULL : (ClvState *) PG_GETARG_POINTER(1);
	int64		i;

	if (b == NULL)
	{
		if (a == NULL)
			PG_RETURN_NULL();
		PG_RETURN_POINTER(a);
	}
	old = MemoryContextSwitchTo(ctx);
	if (a == NULL)
		a = clv_state_new();
	for (i = 0; i < b->capacity; i++)
		if (b->entries[i].w != 0.0)
			clv_state_add(a, b->entries[i].k, b->entries[i].w, "crm_sales lifetime-value fit");
	MemoryContextSwitchTo(old);
	PG_RETURN_POINTER(a);
}

/* State to bytea: count, then (k0, k1, k2, w) per entry, network order. */
Datum
crm_clv_fit_serial(PG_FUNCTION_ARGS)
{
	ClvState   *s = (ClvState *) PG_GETARG_POINTER(0);
	StringInfoData buf;
	int64		i;
	int			j;

	crm_agg_context(fcinfo, CLV_SHARED_AGG);
	crm_serial_begin(&buf, CLV_SERIAL_VERSION);
	pq_sendint64(&buf, s->nentries);
	for (i = 0; i < s->capacity; i++)
		if (s->entries[i].w != 0.0)
		{
			for (j = 0; j < 3; j++)
				pq_sendfloat8(&buf, s->entries[i].k[j]);
			pq_sendfloat8(&buf, s->entries[i].w);
		}
	PG_RETURN_BYTEA_P(pq_endtypsend(&buf));
}

/*
 * bytea back to a state, in the aggregate context: version, count, then the
 * entries, each with a count >= 1 and keys the transitions accept (finite).
 */
Datum
crm_clv_fit_deserial(PG_FUNCTION_ARGS)
{
	MemoryContext ctx = crm_agg_context(fcinfo, CLV_SHARED_AGG);
	bytea	   *b = PG_GETARG_BYTEA_PP(0);
	StringInfoData buf;
	MemoryContext old;
	ClvState   *s;
	int64		n,
				i;
	double		k[3],
				w;
	int			j;

	crm_deserial_begin(&buf, b, CLV_SERIAL_VERSION, CLV_SHARED_AGG);
	crm_deserial_need(&buf, 1, sizeof(int64), CLV_SHARED_AGG);
	n = pq_getmsgint64(&buf);
	if (n < 0 || n > CLV_MAX_DISTINCT)
		crm_deserial_invalid(CLV_SHARED_AGG,
							 psprintf(INT64_FORMAT " histories; at most %d.", n, CLV_MAX_DISTINCT));
	crm_deserial_need(&buf, n, 4 * sizeof(double), CLV_SHARED_AGG);
	old = MemoryContextSwitchTo(ctx);
	s = clv_state_new();
	for (i = 0; i < n; i++)
	{
		for (j = 0; j < 3; j++)
		{
			k[j] = pq_getmsgfloat8(&buf);
			if (!isfinite(k[j]))
				crm_deserial_invalid(CLV_SHARED_AGG, "A history has a value that is not finite.");
		}
		w = pq_getmsgfloat8(&buf);
		/* a count of customers: a whole number the transitions can reach */
		if (!(w >= 1.0 && w <= 9007199254740992.0 && w == floor(w)))
			crm_deserial_invalid(CLV_SHARED_AGG,
								 psprintf("A history has a count of %s.", float8out_internal(w)));
		clv_state_add(s, k, w, "crm_sales lifetime-value fit");
	}
	crm_deserial_end(&buf, CLV_SHARED_AGG);
	MemoryContextSwitchTo(old);
	PG_RETURN_POINTER(s);
}

/* qsort order of entries: by x, then the other keys (a deterministic sum) */
static int
clv_entry_cmp(const void *pa, const void *pb)
{
	const ClvEntry *a = (const ClvEntry *) pa;
	const ClvEntry *b = (const ClvEntry *) pb;
	int			j;

	for (j = 0; j < 3; j++)
		if (a->k[j] != b->k[j])
			return a->k[j] < b->k[j] ? -1 : 1;
	return 0;
}

/*
 * The entries of a state as sorted columns (palloc'd in the current
 * context): the fits want them ordered by x.
 */
static void
clv_state_columns(ClvState *s, double **cols, double *total)
{
	ClvEntry   *e = palloc(sizeof(ClvEntry) * Max(s->nentries, 1));
	int64		i,
				n = 0;
	int			j;

	for (i = 0; i < s->capacity; i++)
		if (s->entries[i].w != 0.0)
			e[n++] = s->entries[i];
	qsort(e, n, sizeof(ClvEntry), clv_entry_cmp);
	*total = 0.0;
	for (j = 0; j < 4; j++)
		cols[j] = palloc(sizeof(double) * Max(n, 1));
	for (i = 0; i < n; i++)
	{
		for (j = 0; j < 3; j++)
			cols[j][i] = e[i].k[j];
		cols[3][i] = e[i].w;
		*total += e[i].w;
	}
	pfree(e);
}

/*
 * Shape parameters (not the scale) that ended far from 1 (beyond 1e4 or
 * below 1e-4), as "a = 1.5e+07, b = 4.2e+07", or NULL: the usual sign of a
 * likelihood that keeps rising along a ridge toward the boundary.
 */
static char *
clv_runaway_params(const ModelDesc *d, const double *theta)
{
	StringInfoData s;
	int			i;

	initStringInfo(&s);
	for (i = 0; i < d->nparams; i++)
		if (i != d->scale && (theta[i] > 1e4 || theta[i] < 1e-4))
			appendStringInfo(&s, "%s%s = %g", s.len ? ", " : "", d->keys[i], theta[i]);
	return s.len ? s.data : NULL;
}

/* Turn a failed fit into an error that says why and what to do. */
static void
clv_fit_failed(const char *fname, clv_status st, const clv_opt_result *opt,
			   const ModelDesc *d, const double *theta)
{
	char	   *runaway = clv_runaway_params(d, theta);

	if ((st == CLV_NOT_CONVERGED || st == CLV_NOT_IDENTIFIED) && runaway)
		ereport(ERROR,
				(errcode(ERRCODE_DATA_EXCEPTION),
				 errmsg("%s did not converge: the likelihood keeps rising toward the edge of the parameter space", fname),
				 errdetail("At the best point found %s: the likelihood keeps rising as they go to 0 or infinity, a limiting case of the model rather than a maximum-likelihood model (for BG/NBD, a and b growing together mean one dropout probability for everyone, r and alpha growing together one purchase rate, r toward 0 almost no repeat buying).", runaway),
				 errhint("Fit on more varied data, or on a larger sample.")));
	switch (st)
	{
		case CLV_DIVERGED:
			ereport(ERROR,
					(errcode(ERRCODE_DATA_EXCEPTION),
					 errmsg("%s did not converge: parameter %s runs to %s", fname,
							d->keys[opt->bad_dim], opt->bad_high ? "infinity" : "zero"),
					 errdetail("The likelihood of this data keeps rising toward the edge of the parameter space, so it has no maximum-likelihood model."),
					 errhint("The data may lack variety: for example every customer still buying at the end, or no repeat purchases at all.")));
			break;
		case CLV_NOT_IDENTIFIED:
			ereport(ERROR,
					(errcode(ERRCODE_DATA_EXCEPTION),
					 errmsg("%s did not converge: the data do not determine every parameter", fname),
					 errdetail("The log-likelihood is flat in some direction at the best point found (its Hessian is not positive definite)."),
					 errhint("Fit on more varied data: with no repeat purchase at all a and b cannot be estimated, and with every customer still buying at the end the dropout rate cannot.")));
			break;
		case CLV_NUMERIC:
			ereport(ERROR,
					(errcode(ERRCODE_DATA_EXCEPTION),
					 errmsg("%s: the log-likelihood is not finite at the starting point", fname)));
			break;
		default:
			ereport(ERROR,
					(errcode(ERRCODE_DATA_EXCEPTION),
					 errmsg("%s did not converge", fname),
					 opt->evaluations >= CLV_OPT_MAX_EVAL ?
					 errdetail("The optimiser reached its limit of %d likelihood evaluations without finding a maximum.", CLV_OPT_MAX_EVAL) :
					 errdetail("The optimiser stopped away from a maximum (the Newton step is still large): the likelihood keeps rising toward the edge of the parameter space."),
					 opt->evaluations >= CLV_OPT_MAX_EVAL ?
					 errhint("Check that frequency, recency and T describe the same customers in one time unit, or fit on a sample to see whether a model exists.") :
					 errhint("The data may lack variety: for example every customer still buying at the end.")));
	}
}

/*
 * The number of customers a fit saw, as the model's n: an error past the
 * bigint range (only merged crafted partial states get there).
 */
static int64
clv_customer_count(double total, const char *fname)
{
	if (!(total < 9223372036854775807.0))
		ereport(ERROR,
				(errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
				 errmsg("%s: more customers than bigint can count", fname),
				 errdetail("The partial states add up to %s customers.", float8out_internal(total))));
	return (int64) total;
}

/* Called by the fits once per likelihood evaluation: lets a long fit be cancelled. */
static void
clv_fit_tick(void)
{
	CHECK_FOR_INTERRUPTS();
}

/* bgnbd_fit final: fit the model; NULL for no rows. */
Datum
crm_bgnbd_fit_final(PG_FUNCTION_ARGS)
{
	ClvState   *s;
	double	   *cols[4];
	double		total;
	bgnbd_data	d;
	bgnbd_params p;
	bgnbd_fit_info info;
	clv_status	st;
	BgnbdModel *m;

	crm_agg_context(fcinfo, "bgnbd_fit");
	if (PG_ARGISNULL(0))
		PG_RETURN_NULL();
	s = (ClvState *) PG_GETARG_POINTER(0);
	clv_state_columns(s, cols, &total);
	d.n = s->nentries;
	d.x = cols[0];
	d.tx = cols[1];
	d.T = cols[2];
	d.w = cols[3];
	d.tick = clv_fit_tick;
	st = bgnbd_fit(&d, &p, &info);
	if (st != CLV_OK)
	{
		double		theta[4] = {p.r, p.alpha, p.a, p.b};

		clv_fit_failed("crm_sales.bgnbd_fit", st, &info.opt, &bgnbd_desc, theta);
	}
	m = palloc(sizeof(BgnbdModel));
	m->v[0] = p.r;
	m->v[1] = p.alpha;
	m->v[2] = p.a;
	m->v[3] = p.b;
	m->v[4] = info.loglik;
	m->n = clv_customer_count(total, "crm_sales.bgnbd_fit");
	PG_RETURN_POINTER(m);
}

/* gamma_gamma_fit final: fit the model; NULL if no repeat customer. */
Datum
crm_gg_fit_final(PG_FUNCTION_ARGS)
{
	ClvState   *s;
	double	   *cols[4];
	double		total;
	gg_data		d;
	gg_params	p;
	gg_fit_info info;
	clv_status	st;
	GgModel    *m;

	crm_agg_context(fcinfo, "gamma_gamma_fit");
	if (PG_ARGISNULL(0))
		PG_RETURN_NULL();
	s = (ClvState *) PG_GETARG_POINTER(0);
	clv_state_columns(s, cols, &total);
	d.n = s->nentries;
	d.x = cols[0];
	d.m = cols[1];
	d.w = cols[3];
	d.tick = clv_fit_tick;
	st = gg_fit(&d, &p, &info);
	if (st != CLV_OK)
	{
		double		theta[3] = {p.p, p.q, p.gamma};

		clv_fit_failed("crm_sales.gamma_gamma_fit", st, &info.opt, &gg_desc, theta);
	}
	m = palloc(sizeof(GgModel));
	m->v[0] = p.p;
	m->v[1] = p.q;
	m->v[2] = p.gamma;
	m->v[3] = info.loglik;
	m->n = clv_customer_count(total, "crm_sales.gamma_gamma_fit");
	PG_RETURN_POINTER(m);
}

/* ----------------------------------------------------------------------
 * Scalar functions
 * ---------------------------------------------------------------------- */

/* Check a time horizon argument: finite and >= 0. */
static void
check_horizon(const char *fname, double t)
{
	if (!isfinite(t) || t < 0.0)
		clv_bad_value(fname, "t must be finite and >= 0", t,
					  "t is the length of the period ahead, in the model's time unit.");
}

/* A numeric failure of a special function: never returned as a number. */
static void
clv_numeric_failed(const char *fname)
{
	ereport(ERROR,
			(errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
			 errmsg("%s: the hypergeometric function could not be evaluated for these arguments", fname),
			 errhint("The arguments are too extreme for double precision.")));
}

PG_FUNCTION_INFO_V1(crm_bgnbd_p_alive);
PG_FUNCTION_INFO_V1(crm_bgnbd_expected_new);
PG_FUNCTION_INFO_V1(crm_bgnbd_expected);
PG_FUNCTION_INFO_V1(crm_gg_expected_spend);
PG_FUNCTION_INFO_V1(crm_clv);

/* p_alive(model, frequency, recency, T) */
Datum
crm_bgnbd_p_alive(PG_FUNCTION_ARGS)
{
	bgnbd_params p;
	double		x = PG_GETARG_FLOAT8(1),
				tx = PG_GETARG_FLOAT8(2),
				T = PG_GETARG_FLOAT8(3);

	bgnbd_from_model((BgnbdModel *) PG_GETARG_POINTER(0), &p);
	check_history("crm_sales.p_alive", x, tx, T);
	PG_RETURN_FLOAT8(bgnbd_palive(&p, x, tx, T));
}

/* expected_purchases_new(model, t): E[X(t)] of a new customer */
Datum
crm_bgnbd_expected_new(PG_FUNCTION_ARGS)
{
	bgnbd_params p;
	double		t = PG_GETARG_FLOAT8(1),
				v;

	bgnbd_from_model((BgnbdModel *) PG_GETARG_POINTER(0), &p);
	check_horizon("crm_sales.expected_purchases_new", t);
	if (bgnbd_expected(&p, t, &v) != CLV_OK)
		clv_numeric_failed("crm_sales.expected_purchases_new");
	PG_RETURN_FLOAT8(v);
}

/* expected_purchases(model, t, frequency, recency, T): E[Y(t) | x, t_x, T] */
Datum
crm_bgnbd_expected(PG_FUNCTION_ARGS)
{
	bgnbd_params p;
	double		t = PG_GETARG_FLOAT8(1),
				x = PG_GETARG_FLOAT8(2),
				tx = PG_GETARG_FLOAT8(3),
				T = PG_GETARG_FLOAT8(4),
				v;

	bgnbd_from_model((BgnbdModel *) PG_GETARG_POINTER(0), &p);
	check_horizon("crm_sales.expected_purchases", t);
	check_history("crm_sales.expected_purchases", x, tx, T);
	if (bgnbd_conditional(&p, x, tx, T, t, &v) != CLV_OK)
		clv_numeric_failed("crm_sales.expected_purchases");
	PG_RETURN_FLOAT8(v);
}

/* Check (frequency, monetary) for the spend functions. */
static void
check_spend(const char *fname, const gg_params *p, double x, double m)
{
	if (!isfinite(x) || x < 0.0 || x != floor(x))
		clv_bad_value(fname, "frequency must be a whole number >= 0", x,
					  "frequency is the number of repeat purchases (the first purchase not counted).");
	if (!isfinite(m) || m < 0.0)
		clv_bad_value(fname, "monetary value must be finite and >= 0", m,
					  "monetary_value is the mean value of the repeat purchases.");
	if (!(p->p * x + p->q > 1.0))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("%s: the expected spend does not exist for this model and frequency", fname),
				 errdetail("It needs p * frequency + q > 1; here p = %s, q = %s, frequency = %s.",
						   float8out_internal(p->p), float8out_internal(p->q), float8out_internal(x)),
				 errhint("With q <= 1 the population mean spend is infinite: refit the model on more data.")));
}

/*
 * E(M | x, m) for expected_spend() and clv(), after check_spend(): the
 * value, or an error if it is beyond double range.
 */
static double
spend_or_error(const char *fname, const gg_params *p, double x, double m)
{
	double		v;
	clv_status	st = gg_expected_spend(p, x, m, &v);

	if (st != CLV_OK)
		ereport(ERROR,
				(errcode(st == CLV_OVERFLOW ? ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE :
						 ERRCODE_INVALID_PARAMETER_VALUE),
				 st == CLV_OVERFLOW ?
				 errmsg("%s: the expected spend is out of range for type double precision", fname) :
				 errmsg("%s: the expected spend cannot be computed for these arguments", fname),
				 errdetail("p = %s, q = %s, gamma = %s, frequency = %s, monetary_value = %s.",
						   float8out_internal(p->p), float8out_internal(p->q),
						   float8out_internal(p->gamma), float8out_internal(x),
						   float8out_internal(m)),
				 st == CLV_OVERFLOW ? 0 :
				 errhint("frequency must be a whole number >= 0, monetary_value finite and >= 0, p * frequency + q > 1.")));
	return v;
}

/* expected_spend(model, frequency, monetary): E(M | x, m) */
Datum
crm_gg_expected_spend(PG_FUNCTION_ARGS)
{
	gg_params	p;
	double		x = PG_GETARG_FLOAT8(1),
				m = PG_GETARG_FLOAT8(2);

	gg_from_model((GgModel *) PG_GETARG_POINTER(0), &p);
	check_spend("crm_sales.expected_spend", &p, x, m);
	PG_RETURN_FLOAT8(spend_or_error("crm_sales.expected_spend", &p, x, m));
}

/*
 * clv(bgnbd, gamma_gamma, frequency, recency, T, monetary, horizon,
 *	   discount_rate, time_unit): discounted value of the next horizon
 * periods of time_unit model time units each (see gamma_gamma.c).
 */
Datum
crm_clv(PG_FUNCTION_ARGS)
{
	const char *fname = "crm_sales.clv";
	bgnbd_params bg;
	gg_params	gg;
	double		x = PG_GETARG_FLOAT8(2),
				tx = PG_GETARG_FLOAT8(3),
				T = PG_GETARG_FLOAT8(4),
				m = PG_GETARG_FLOAT8(5);
	int32		horizon = PG_GETARG_INT32(6);
	double		d = PG_GETARG_FLOAT8(7),
				unit = PG_GETARG_FLOAT8(8),
				spend,
				prev = 0.0,
				v = 0.0;
	int			from;

	bgnbd_from_model((BgnbdModel *) PG_GETARG_POINTER(0), &bg);
	gg_from_model((GgModel *) PG_GETARG_POINTER(1), &gg);
	check_history(fname, x, tx, T);
	check_spend(fname, &gg, x, m);
	if (horizon < 0 || horizon > 100000)
		clv_bad_value(fname, "horizon must be between 0 and 100000 periods", horizon,
					  "horizon counts discount periods (months, say) of time_unit model time units each.");
	if (!isfinite(d) || d <= -1.0)
		clv_bad_value(fname, "discount_rate must be finite and > -1", d,
					  "discount_rate is the rate per period, e.g. 0.01 for 1 % a month.");
	if (!isfinite(unit) || !(unit > 0.0))
		clv_bad_value(fname, "time_unit must be finite and > 0", unit,
					  "time_unit is the length of one period in the model's time unit, e.g. 52/12 weeks for a month.");
	spend = spend_or_error(fname, &gg, x, m);
	/* slices of 64 periods, so that a long horizon can be cancelled */
	for (from = 1; from <= horizon; from += 64)
	{
		clv_status	st;

		CHECK_FOR_INTERRUPTS();
		st = clv_value_range(&bg, spend, x, tx, T, from, Min(horizon, from + 63),
							 d, unit, &prev, &v);
		if (st == CLV_OVERFLOW)
			ereport(ERROR,
					(errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
					 errmsg("%s: the lifetime value is out of range for type double precision", fname),
					 errdetail("Expected spend %g per purchase, discount_rate = %g, horizon = %d periods.",
							   spend, d, horizon),
					 errhint("A negative discount rate compounds without bound: use a shorter horizon or a rate >= 0.")));
		if (st != CLV_OK)
			clv_numeric_failed(fname);
	}
	PG_RETURN_FLOAT8(v);
}

/* ----------------------------------------------------------------------
 * mark_churned: lifecycle moves through the table's own trigger
 * ---------------------------------------------------------------------- */

/* Column number of a named column of rel, or an error. */
static AttrNumber
churn_column(Oid relid, Name col, const char *role)
{
	AttrNumber	att = get_attnum(relid, NameStr(*col));

	if (att == InvalidAttrNumber || att < 0)
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_COLUMN),
				 errmsg("column \"%s\" (the %s column) does not exist in relation %s",
						NameStr(*col), role, get_rel_name(relid))));
	return att;
}

PG_FUNCTION_INFO_V1(crm_mark_churned);

/*
 * mark_churned(customers, stage_column, frequency_column, recency_column,
 *				t_column, model, threshold, to_stage): one UPDATE, run as the
 * caller through SPI, that moves every row whose P(alive) is below the
 * threshold to to_stage.  Rows already there or without a stage are left
 * alone; every other row goes through the table's triggers, so the
 * lifecycle rules (and history) apply: a forbidden move fails the whole
 * statement.  Returns the number of rows moved.
 */
Datum
crm_mark_churned(PG_FUNCTION_ARGS)
{
	Oid			relid = PG_GETARG_OID(0);
	Name		stage_col = PG_GETARG_NAME(1);
	Name		x_col = PG_GETARG_NAME(2);
	Name		tx_col = PG_GETARG_NAME(3);
	Name		t_col = PG_GETARG_NAME(4);
	Datum		model = PG_GETARG_DATUM(5);
	double		threshold = PG_GETARG_FLOAT8(6);
	text	   *to_stage = PG_GETARG_TEXT_PP(7);
	char	   *target = text_to_cstring(to_stage);
	CrmModel   *cm;
	char		relkind;
	AttrNumber	stage_att;
	int			i;
	Oid			stage_typ,
				enumtyp,
				model_typ;
	StringInfoData sql;
	Oid			argtypes[3];
	Datum		values[3];
	int			rc;
	uint64		moved;

	if (!(threshold >= 0.0 && threshold <= 1.0))
		clv_bad_value("crm_sales.mark_churned", "threshold must be between 0 and 1", threshold,
					  "threshold is a probability: customers with P(alive) below it are moved.");
	relkind = get_rel_relkind(relid);
	if (relkind != RELKIND_RELATION && relkind != RELKIND_PARTITIONED_TABLE &&
		relkind != RELKIND_VIEW && relkind != RELKIND_FOREIGN_TABLE)
		ereport(ERROR,
				(errcode(ERRCODE_WRONG_OBJECT_TYPE),
				 errmsg("crm_sales.mark_churned: \"%s\" is not a table or view",
						relkind ? get_rel_name(relid) : "?")));
	stage_att = churn_column(relid, stage_col, "stage");
	churn_column(relid, x_col, "frequency");
	churn_column(relid, tx_col, "recency");
	churn_column(relid, t_col, "T");
	stage_typ = get_atttype(relid, stage_att);
	enumtyp = crm_base_enum_type(stage_typ);
	cm = OidIsValid(enumtyp) ? crm_model_lookup(enumtyp, true) : NULL;
	if (cm == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_DATATYPE_MISMATCH),
				 errmsg("column \"%s\" of %s is of type %s, which is not a crm_sales model",
						NameStr(*stage_col), get_rel_name(relid), format_type_be(stage_typ)),
				 errhint("The stage column must be of a model's enum type, such as crm_sales.lifecycle_stage.")));
	for (i = 0; i < cm->nstages; i++)
		if (strcmp(cm->names[i], target) == 0)
			break;
	if (i == cm->nstages)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("crm_sales.mark_churned: \"%s\" is not a stage of model %s", target, cm->name),
				 errhint("Name a stage of the model as to_stage (default 'churned').")));
	model_typ = get_fn_expr_argtype(fcinfo->flinfo, 5);

	/*
	 * Every name quoted, values passed as parameters, never spliced, and
	 * types and operators schema-qualified: the caller's search_path cannot
	 * change what the statement means.  The comparison is made in the base
	 * enum type: a domain over it has no <> operator of its own.
	 */
	initStringInfo(&sql);
	appendStringInfo(&sql,
					 "UPDATE %s SET %s = $1::pg_catalog.text::%s "
					 "WHERE %s::%s OPERATOR(pg_catalog.<>) $1::pg_catalog.text::%s "
					 "AND crm_sales.p_alive($2, %s::pg_catalog.float8, %s::pg_catalog.float8, "
					 "%s::pg_catalog.float8) OPERATOR(pg_catalog.<) $3",
					 quote_qualified_identifier(get_namespace_name(get_rel_namespace(relid)),
												get_rel_name(relid)),
					 quote_identifier(NameStr(*stage_col)),
					 format_type_be_qualified(stage_typ),
					 quote_identifier(NameStr(*stage_col)),
					 format_type_be_qualified(enumtyp),
					 format_type_be_qualified(enumtyp),
					 quote_identifier(NameStr(*x_col)),
					 quote_identifier(NameStr(*tx_col)),
					 quote_identifier(NameStr(*t_col)));
	argtypes[0] = TEXTOID;
	argtypes[1] = model_typ;
	argtypes[2] = FLOAT8OID;
	values[0] = PointerGetDatum(to_stage);
	values[1] = model;
	values[2] = Float8GetDatum(threshold);

	SPI_connect();
	rc = SPI_execute_with_args(sql.data, 3, argtypes, values, NULL, false, 0);
	if (rc != SPI_OK_UPDATE)
		ereport(ERROR,
				(errcode(ERRCODE_WRONG_OBJECT_TYPE),
				 errmsg("crm_sales.mark_churned: the update of %s did not run as an UPDATE",
						get_rel_name(relid)),
				 errdetail("SPI returned %s.", SPI_result_code_string(rc)),
				 errhint("A rule on the table may rewrite the UPDATE into another command; mark churned customers on the table itself.")));
	moved = SPI_processed;
	SPI_finish();
	PG_RETURN_INT64((int64) moved);
}
