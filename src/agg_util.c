/*
 * agg_util.c
 *		Checks shared by the aggregate support functions (see agg_util.h).
 *
 * Support functions are ordinary SQL functions: a role can call them
 * directly, hand a custom aggregate a crafted INITCOND, or (with internal
 * states) receive serialized bytes from another process.  These helpers turn
 * each of those into a clear error with a standard SQLSTATE.
 */
#include "postgres.h"

#include "catalog/pg_type.h"
#include "libpq/pqformat.h"

#include "agg_util.h"

/*
 * The aggregate memory context, or an error when the support function of
 * aggregate aggname runs outside an aggregate (a direct call): its state
 * would otherwise be updated in place or allocated in the wrong context.
 */
MemoryContext
crm_agg_context(FunctionCallInfo fcinfo, const char *aggname)
{
	MemoryContext aggcxt;

	if (!AggCheckCallContext(fcinfo, &aggcxt))
		ereport(ERROR,
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg("%s called in non-aggregate context", aggname),
				 errdetail("The function is a support function of the aggregate crm_sales.%s.",
						   aggname),
				 errhint("Call the aggregate, e.g. SELECT crm_sales.%s(...) FROM ...", aggname)));
	return aggcxt;
}

/*
 * Refuse a transition state that the aggregate cannot have made (22023):
 * detail says what is wrong with it.
 */
void
crm_agg_invalid_state(const char *aggname, const char *detail)
{
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
			 errmsg("%s: invalid aggregate state", aggname),
			 errdetail("%s", detail),
			 errhint("Pass only states made by crm_sales.%s itself (its transition or combine function).",
					 aggname)));
}

/*
 * The doubles of a float8[] transition state: one dimension, no NULLs,
 * expected_len elements (any length when expected_len < 0; *len, when not
 * NULL, gets the count).  Anything else is an invalid state.
 */
double *
crm_float8_state(ArrayType *a, int expected_len, const char *aggname, int *len)
{
	int			n;

	if (ARR_ELEMTYPE(a) != FLOAT8OID || ARR_NDIM(a) != 1 || ARR_HASNULL(a))
		crm_agg_invalid_state(aggname,
							  "The state must be a one-dimensional float8[] without NULLs.");
	n = ARR_DIMS(a)[0];
	if (expected_len >= 0 && n != expected_len)
		crm_agg_invalid_state(aggname,
							  psprintf("The state has %d elements, %d expected.",
									   n, expected_len));
	if (len)
		*len = n;
	return (double *) ((char *) a + ARR_OVERHEAD_NONULLS(1));
}

/* Start a serialized state: pq_begintypsend, then the layout version. */
void
crm_serial_begin(StringInfo buf, int32 version)
{
	pq_begintypsend(buf);
	pq_sendint32(buf, version);
}

/* Refuse serialized bytes that are not a state of aggregate aggname. */
void
crm_deserial_invalid(const char *aggname, const char *detail)
{
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_BINARY_REPRESENTATION),
			 errmsg("%s: invalid serialized aggregate state", aggname),
			 errdetail("%s", detail),
			 errhint("Partial states are exchanged only between processes running the same crm_sales library.")));
}

/*
 * Read serialized state b through buf (no copy), checking the layout
 * version written by crm_serial_begin.
 */
void
crm_deserial_begin(StringInfo buf, bytea *b, int32 version, const char *aggname)
{
	int32		v;

	buf->data = VARDATA_ANY(b);
	buf->len = VARSIZE_ANY_EXHDR(b);
	buf->maxlen = buf->len;
	buf->cursor = 0;
	crm_deserial_need(buf, 1, sizeof(int32), aggname);
	v = pq_getmsgint(buf, 4);
	if (v != version)
		crm_deserial_invalid(aggname,
							 psprintf("The layout version is %d; this library reads version %d.",
									  v, version));
}

/*
 * Error unless count items of size bytes each remain to be read (count is
 * compared before it is multiplied, so nothing overflows).
 */
void
crm_deserial_need(StringInfo buf, int64 count, int64 size, const char *aggname)
{
	int64		left = buf->len - buf->cursor;

	if (count < 0 || count > left / size)
		crm_deserial_invalid(aggname,
							 psprintf("The bytes end early: " INT64_FORMAT " items of " INT64_FORMAT " bytes expected, " INT64_FORMAT " bytes left.",
									  count, size, left));
}

/* Error unless every byte of the serialized state was read. */
void
crm_deserial_end(StringInfo buf, const char *aggname)
{
	if (buf->cursor != buf->len)
		crm_deserial_invalid(aggname,
							 psprintf("%d bytes are left over after the state.",
									  buf->len - buf->cursor));
}
