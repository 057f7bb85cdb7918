/*
 * clustering.c
 *		The crm_sales.kmeans aggregate and closest_centroid: SQL glue around
 *		src/core/segment/kmeans.c.
 *
 * The aggregate keeps every feature vector (Lloyd's algorithm needs them all)
 * in a state that parallel workers can ship and merge; the final function
 * sorts the points, so the answer for a seed does not depend on the order
 * the rows arrived in, and runs the core's default search (restarts scaled
 * with the problem size, see kmeans_default_nstart()).  kmeans returns the
 * centroids; kmeans_fit the centroids with the clustering's sums of squares
 * and sizes.
 */
#include "postgres.h"

#include <math.h>

#include "catalog/pg_type.h"
#include "fmgr.h"
#include "funcapi.h"
#include "lib/stringinfo.h"
#include "libpq/pqformat.h"
#include "miscadmin.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/float.h"
#include "utils/memutils.h"

#include "segment/kmeans.h"

/* most feature values (rows x dimensions) one aggregate may hold: 1 GB */
#define KM_MAX_VALUES ((Size) 1 << 27)
/* most dimensions and clusters */
#define KM_MAX_DIM 1000
#define KM_MAX_K 10000

typedef struct KmState
{
	int32		k;
	int32		d;				/* 0 until the first vector */
	int64		seed;
	int64		n;
	int64		cap;			/* rows */
	double	   *x;				/* n * d */
} KmState;

/* start of an array's elements (ARR_DATA_PTR without its sign-compare warning) */
static double *
array_values(ArrayType *a)
{
	Size		off = ARR_HASNULL(a) ? (Size) a->dataoffset :
		(Size) ARR_OVERHEAD_NONULLS(ARR_NDIM(a));

	return (double *) ((char *) a + off);
}

/*
 * The values of a 1-D float8[] with no NULLs: returns the element count and
 * points *vals at them.  who names the function in errors.
 */
static int
float8_vector(ArrayType *a, double **vals, const char *who, const char *what)
{
	int			n;

	if (ARR_NDIM(a) > 1)
		ereport(ERROR,
				(errcode(ERRCODE_ARRAY_SUBSCRIPT_ERROR),
				 errmsg("%s: %s must be a one-dimensional array", who, what),
				 errdetail("It has %d dimensions.", ARR_NDIM(a))));
	if (ARR_HASNULL(a) && array_contains_nulls(a))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("%s: %s must not contain NULL elements", who, what),
				 errhint("Impute or drop the missing feature before clustering.")));
	n = ArrayGetNItems(ARR_NDIM(a), ARR_DIMS(a));
	*vals = array_values(a);
	return n;
}

/* Error unless every value is finite; what names the argument. */
static void
check_finite(const double *v, int64 n, const char *who, const char *what)
{
	int64		i;

	for (i = 0; i < n; i++)
		if (!isfinite(v[i]))
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("%s: %s must be finite", who, what),
					 errdetail("Element " INT64_FORMAT " is %s.", i + 1, float8out_internal(v[i]))));
}

/* Error unless k is 1 .. KM_MAX_K. */
static void
check_k(int64 k)
{
	if (k < 1 || k > KM_MAX_K)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("kmeans: k must be between 1 and %d", KM_MAX_K),
				 errdetail("k = " INT64_FORMAT ".", k)));
}

static KmState *
km_new(MemoryContext cxt, int k, int64 seed)
{
	KmState    *st = MemoryContextAllocZero(cxt, sizeof(KmState));

	st->k = k;
	st->seed = seed;
	return st;
}

/* Make room for `more` more rows of st->d values. */
static void
km_reserve(MemoryContext cxt, KmState *st, int64 more)
{
	int64		want = st->n + more;

	if ((Size) want * (Size) st->d > KM_MAX_VALUES)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("kmeans: too many feature values (" INT64_FORMAT " rows of %d)", want, st->d),
				 errdetail("At most %zu values (rows x dimensions) fit in one aggregate.",
						   (Size) KM_MAX_VALUES),
				 errhint("Cluster a sample, then assign every row with closest_centroid().")));
	if (want <= st->cap)
		return;
	want = Max(want, Max(st->cap * 2, 256));
	if ((Size) want * (Size) st->d > KM_MAX_VALUES)
		want = KM_MAX_VALUES / st->d;
	st->x = st->x == NULL ?
		MemoryContextAllocHuge(cxt, sizeof(double) * want * st->d) :
		repalloc_huge(st->x, sizeof(double) * want * st->d);
	st->cap = want;
}

/* Same k, seed and dimension in two states (or rows), or an error. */
static void
km_match(KmState *st, int k, int64 seed, int d)
{
	if (st->k != k || st->seed != seed)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("kmeans: k and seed must be the same for every row"),
				 errdetail("k %d and %d, seed " INT64_FORMAT " and " INT64_FORMAT ".",
						   st->k, k, st->seed, seed)));
	if (st->d != 0 && d != 0 && st->d != d)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("kmeans: feature vectors must all have the same length"),
				 errdetail("Lengths %d and %d.", st->d, d)));
}

PG_FUNCTION_INFO_V1(crm_kmeans_trans);

/*
 * Transition: kmeans(features, k [, seed]).  A NULL vector is skipped; NULL
 * k or seed is an error.
 */
Datum
crm_kmeans_trans(PG_FUNCTION_ARGS)
{
	MemoryContext aggcxt;
	KmState    *st;
	ArrayType  *a;
	double	   *v;
	int			d;
	int64		seed = 0;

	if (!AggCheckCallContext(fcinfo, &aggcxt))
		elog(ERROR, "kmeans transition called in non-aggregate context");
	if (PG_ARGISNULL(2) || (PG_NARGS() >= 4 && PG_ARGISNULL(3)))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("kmeans: k and seed must not be NULL")));
	check_k(PG_GETARG_INT32(2));
	if (PG_NARGS() >= 4)
		seed = PG_GETARG_INT32(3);
	st = PG_ARGISNULL(0) ? km_new(aggcxt, PG_GETARG_INT32(2), seed) :
		(KmState *) PG_GETARG_POINTER(0);
	km_match(st, PG_GETARG_INT32(2), seed, 0);
	if (PG_ARGISNULL(1))
		PG_RETURN_POINTER(st);
	a = PG_GETARG_ARRAYTYPE_P(1);
	d = float8_vector(a, &v, "kmeans", "features");
	if (d < 1 || d > KM_MAX_DIM)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("kmeans: feature vectors must have 1 to %d elements", KM_MAX_DIM),
				 errdetail("This one has %d.", d)));
	km_match(st, st->k, st->seed, d);
	check_finite(v, d, "kmeans", "features");
	st->d = d;
	km_reserve(aggcxt, st, 1);
	memcpy(st->x + st->n * d, v, sizeof(double) * d);
	st->n++;
	PG_RETURN_POINTER(st);
}

PG_FUNCTION_INFO_V1(crm_kmeans_combine);

/* Combine: append the vectors of the second state to the first. */
Datum
crm_kmeans_combine(PG_FUNCTION_ARGS)
{
	MemoryContext aggcxt;
	KmState    *a,
			   *b;

	if (!AggCheckCallContext(fcinfo, &aggcxt))
		elog(ERROR, "kmeans combine called in non-aggregate context");
	if (PG_ARGISNULL(1))
		PG_RETURN_POINTER(PG_ARGISNULL(0) ? NULL : PG_GETARG_POINTER(0));
	b = (KmState *) PG_GETARG_POINTER(1);
	a = PG_ARGISNULL(0) ? km_new(aggcxt, b->k, b->seed) : (KmState *) PG_GETARG_POINTER(0);
	km_match(a, b->k, b->seed, b->d);
	if (b->n > 0)
	{
		a->d = b->d;
		km_reserve(aggcxt, a, b->n);
		memcpy(a->x + a->n * a->d, b->x, sizeof(double) * b->n * b->d);
		a->n += b->n;
	}
	PG_RETURN_POINTER(a);
}

PG_FUNCTION_INFO_V1(crm_kmeans_serial);

/* Serialize: k, d, seed, n, then n * d float8. */
Datum
crm_kmeans_serial(PG_FUNCTION_ARGS)
{
	KmState    *st = (KmState *) PG_GETARG_POINTER(0);
	StringInfoData buf;
	int64		i;

	pq_begintypsend(&buf);
	pq_sendint32(&buf, st->k);
	pq_sendint32(&buf, st->d);
	pq_sendint64(&buf, st->seed);
	pq_sendint64(&buf, st->n);
	for (i = 0; i < st->n * st->d; i++)
		pq_sendfloat8(&buf, st->x[i]);
	PG_RETURN_BYTEA_P(pq_endtypsend(&buf));
}

PG_FUNCTION_INFO_V1(crm_kmeans_deserial);

Datum
crm_kmeans_deserial(PG_FUNCTION_ARGS)
{
	bytea	   *b = PG_GETARG_BYTEA_PP(0);
	MemoryContext aggcxt;
	StringInfoData buf;
	KmState    *st;
	int			k,
				d;
	int64		seed,
				n,
				i;

	if (!AggCheckCallContext(fcinfo, &aggcxt))
		elog(ERROR, "kmeans deserial called in non-aggregate context");
	buf.data = VARDATA_ANY(b);
	buf.len = VARSIZE_ANY_EXHDR(b);
	buf.maxlen = buf.len;
	buf.cursor = 0;
	k = pq_getmsgint(&buf, 4);
	d = pq_getmsgint(&buf, 4);
	seed = pq_getmsgint64(&buf);
	n = pq_getmsgint64(&buf);
	/* n is compared before it is multiplied, so nothing can overflow */
	if (k < 1 || k > KM_MAX_K || d < 0 || d > KM_MAX_DIM || n < 0 ||
		(d == 0 && n > 0) || n > (buf.len - buf.cursor) / 8 ||
		n * d * 8 != buf.len - buf.cursor)
		elog(ERROR, "kmeans: corrupt serialized state");
	st = km_new(aggcxt, k, seed);
	st->d = d;
	if (n > 0)
	{
		km_reserve(aggcxt, st, n);
		for (i = 0; i < n * d; i++)
			st->x[i] = pq_getmsgfloat8(&buf);
	}
	st->n = n;
	PG_RETURN_POINTER(st);
}

/* between k-means iterations: honour a query cancel */
static void
km_interrupt_check(void)
{
	CHECK_FOR_INTERRUPTS();
}

/*
 * Cluster the rows of a state with the core's default search (scaled
 * restarts, Hartigan-Wong, final single-point moves).  Works on a sorted
 * copy, so the answer for a seed does not depend on the order the rows
 * arrived in, and the state stays as it was (a window aggregate may
 * finalize it again).  res gets palloc'd centers (k x d), withinss and sizes
 * (k each); *totss, when not NULL, the total sum of squares.
 */
static void
km_fit_state(KmState *st, kmeans_result *res, double *totss)
{
	double	   *x;
	void	   *work;
	kmeans_config cfg;
	kmeans_status rc;
	bool		ok;
	int64		i;

	if (st->k > st->n)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("kmeans: k is larger than the number of rows"),
				 errdetail("k = %d, rows = " INT64_FORMAT ".", st->k, st->n),
				 errhint("Use at most one cluster per row.")));
	x = MemoryContextAllocHuge(CurrentMemoryContext, sizeof(double) * st->n * st->d);
	memcpy(x, st->x, sizeof(double) * st->n * st->d);
	kmeans_sort_points(x, (size_t) st->n, st->d);
	res->centers = palloc(sizeof(double) * st->k * st->d);
	res->withinss = palloc(sizeof(double) * st->k);
	res->sizes = palloc(sizeof(int64_t) * st->k);
	work = MemoryContextAllocHuge(CurrentMemoryContext,
								  kmeans_work_bytes((size_t) st->n, st->d, st->k));
	kmeans_config_default(&cfg);
	cfg.tick = km_interrupt_check;
	rc = kmeans_fit(x, (size_t) st->n, st->d, st->k, (uint64_t) st->seed,
					&cfg, res, work);
	if (rc == KMEANS_TOO_FEW_DISTINCT)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("kmeans: fewer distinct feature vectors than k = %d", st->k),
				 errdetail("Vectors whose squared distance underflows to zero (closer than about 1e-162) count as equal."),
				 errhint("Lower k, or scale the features.")));
	if (rc != KMEANS_OK)
		elog(ERROR, "kmeans: unexpected status %d", (int) rc);
	if (totss)
		*totss = kmeans_totss(x, (size_t) st->n, st->d);
	/* finite features whose squares or sums overflow give no valid fit */
	ok = isfinite(res->wcss) && (totss == NULL || isfinite(*totss));
	for (i = 0; ok && i < (int64) st->k * st->d; i++)
		ok = isfinite(res->centers[i]);
	if (!ok)
		ereport(ERROR,
				(errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
				 errmsg("kmeans: the sums of squares overflow double precision"),
				 errdetail("The features are too large in magnitude for their squared distances (rows: " INT64_FORMAT ", values per row: %d).",
						   st->n, st->d),
				 errhint("Scale the features first, e.g. to z-scores.")));
	pfree(work);
	pfree(x);
}

/* The state a final function clusters; NULL when no row had features. */
static KmState *
km_final_state(FunctionCallInfo fcinfo)
{
	KmState    *st;

	if (PG_ARGISNULL(0))
		return NULL;
	st = (KmState *) PG_GETARG_POINTER(0);
	return st->n > 0 ? st : NULL;
}

/* The k x d centroid matrix as a float8[] (rows as the core sorted them). */
static ArrayType *
km_centroid_array(const double *centers, int k, int d)
{
	Datum	   *elems = palloc(sizeof(Datum) * k * d);
	int			dims[2] = {k, d},
				lbs[2] = {1, 1};
	int64		i;

	for (i = 0; i < (int64) k * d; i++)
		elems[i] = Float8GetDatum(centers[i]);
	return construct_md_array(elems, NULL, 2, dims, lbs, FLOAT8OID,
							  sizeof(float8), FLOAT8PASSBYVAL, TYPALIGN_DOUBLE);
}

PG_FUNCTION_INFO_V1(crm_kmeans_final);

/*
 * Final: the k centroids as a k x d float8 array, rows in lexicographic
 * order; NULL when no row had features.
 */
Datum
crm_kmeans_final(PG_FUNCTION_ARGS)
{
	KmState    *st = km_final_state(fcinfo);
	kmeans_result res;

	if (st == NULL)
		PG_RETURN_NULL();
	km_fit_state(st, &res, NULL);
	PG_RETURN_ARRAYTYPE_P(km_centroid_array(res.centers, st->k, st->d));
}

PG_FUNCTION_INFO_V1(crm_kmeans_fit_final);

/*
 * Final of kmeans_fit: a crm_sales.kmeans_result (centroids, wcss,
 * withinss, sizes, totss), the per-cluster arrays in the centroids' row
 * order; NULL when no row had features.  The WCSS is that of the clustering
 * the centroids define (every row to its nearest centroid), so users can
 * compare k by it.
 */
Datum
crm_kmeans_fit_final(PG_FUNCTION_ARGS)
{
	KmState    *st = km_final_state(fcinfo);
	kmeans_result res;
	double		totss;
	TupleDesc	tupdesc;
	Datum		values[5];
	bool		nulls[5] = {false, false, false, false, false};
	Datum	   *ws,
			   *sz;
	int			c;

	if (st == NULL)
		PG_RETURN_NULL();
	if (get_call_result_type(fcinfo, NULL, &tupdesc) != TYPEFUNC_COMPOSITE)
		elog(ERROR, "kmeans_fit: return type must be a row type");
	km_fit_state(st, &res, &totss);
	ws = palloc(sizeof(Datum) * st->k);
	sz = palloc(sizeof(Datum) * st->k);
	for (c = 0; c < st->k; c++)
	{
		ws[c] = Float8GetDatum(res.withinss[c]);
		sz[c] = Int64GetDatum(res.sizes[c]);
	}
	values[0] = PointerGetDatum(km_centroid_array(res.centers, st->k, st->d));
	values[1] = Float8GetDatum(res.wcss);
	values[2] = PointerGetDatum(construct_array(ws, st->k, FLOAT8OID, sizeof(float8),
												FLOAT8PASSBYVAL, TYPALIGN_DOUBLE));
	values[3] = PointerGetDatum(construct_array(sz, st->k, INT8OID, sizeof(int64),
												FLOAT8PASSBYVAL, TYPALIGN_DOUBLE));
	values[4] = Float8GetDatum(totss);
	tupdesc = BlessTupleDesc(tupdesc);
	PG_RETURN_DATUM(HeapTupleGetDatum(heap_form_tuple(tupdesc, values, nulls)));
}

/*
 * The centroids argument: a k x d float8 array with no NULLs matching a
 * feature vector of length d.  Returns k.
 */
static int
centroid_matrix(ArrayType *c, int d, double **vals, const char *who)
{
	if (ARR_NDIM(c) != 2)
		ereport(ERROR,
				(errcode(ERRCODE_ARRAY_SUBSCRIPT_ERROR),
				 errmsg("%s: centroids must be a two-dimensional array (one row per centroid)", who),
				 errdetail("It has %d dimensions.", ARR_NDIM(c)),
				 errhint("Pass the result of crm_sales.kmeans().")));
	if (ARR_HASNULL(c) && array_contains_nulls(c))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("%s: centroids must not contain NULL elements", who)));
	if (ARR_DIMS(c)[1] != d)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("%s: features and centroids have different lengths", who),
				 errdetail("features has %d elements, each centroid %d.", d, ARR_DIMS(c)[1])));
	*vals = array_values(c);
	/* a NaN centroid would compare false with every distance */
	check_finite(*vals, (int64) ARR_DIMS(c)[0] * d, who, "centroids");
	return ARR_DIMS(c)[0];
}

/* Shared part of closest_centroid and closest_centroid_distance. */
static void
closest(FunctionCallInfo fcinfo, const char *who, int *idx, double *dist)
{
	ArrayType  *f = PG_GETARG_ARRAYTYPE_P(0);
	ArrayType  *c = PG_GETARG_ARRAYTYPE_P(1);
	double	   *fv,
			   *cv;
	int			d,
				k,
				j,
				e = 0;
	int64		i,
				total;
	double		s = 0.0,
				big = 0.0;

	if (ARR_ELEMTYPE(f) != FLOAT8OID || ARR_ELEMTYPE(c) != FLOAT8OID)
		elog(ERROR, "%s: float8[] arguments expected", who);
	d = float8_vector(f, &fv, who, "features");
	if (d < 1)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("%s: features must not be empty", who)));
	check_finite(fv, d, who, "features");
	k = centroid_matrix(c, d, &cv, who);
	total = (int64) k * d;

	/*
	 * Differences and their squares overflow past about 1e154, which would
	 * make every distance infinite (and the first centroid win): then work
	 * on copies scaled by a power of two, which is exact, and scale the
	 * distance back.
	 */
	for (i = 0; i < d; i++)
		big = Max(big, fabs(fv[i]));
	for (i = 0; i < total; i++)
		big = Max(big, fabs(cv[i]));
	if (big > 1e150)
	{
		double	   *sf = palloc(sizeof(double) * d);
		double	   *sc = palloc(sizeof(double) * total);

		(void) frexp(big, &e);
		for (i = 0; i < d; i++)
			sf[i] = ldexp(fv[i], -e);
		for (i = 0; i < total; i++)
			sc[i] = ldexp(cv[i], -e);
		fv = sf;
		cv = sc;
	}
	*idx = kmeans_closest(fv, cv, k, d);
	for (j = 0; j < d; j++)
	{
		double		t = fv[j] - cv[(size_t) *idx * d + j];

		s += t * t;
	}
	*dist = ldexp(sqrt(s), e);
}

PG_FUNCTION_INFO_V1(crm_closest_centroid);

/* closest_centroid(features, centroids): 1-based row of the nearest centroid. */
Datum
crm_closest_centroid(PG_FUNCTION_ARGS)
{
	int			idx;
	double		dist;

	closest(fcinfo, "closest_centroid", &idx, &dist);
	PG_RETURN_INT32(idx + 1);
}

PG_FUNCTION_INFO_V1(crm_closest_centroid_distance);

/* closest_centroid_distance(features, centroids): Euclidean distance to it. */
Datum
crm_closest_centroid_distance(PG_FUNCTION_ARGS)
{
	int			idx;
	double		dist;

	closest(fcinfo, "closest_centroid_distance", &idx, &dist);
	/* finite inputs, a distance beyond float8: as float8 arithmetic does */
	if (isinf(dist))
		float_overflow_error();
	PG_RETURN_FLOAT8(dist);
}
