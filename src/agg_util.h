/*
 * agg_util.h
 *		Checks shared by the aggregate support functions of every area: the
 *		aggregate-context test, the validation of float8[] transition states
 *		that may come from outside (a direct call, a custom INITCOND, a
 *		shard), and the versioned reader of serialized internal states.
 *
 * Every failure is an ereport with a standard SQLSTATE (0A000 for a call
 * outside an aggregate, 22023 for an invalid state, 22P03 for serialized
 * bytes that are not a state), never an internal error.
 */
#ifndef CRM_AGG_UTIL_H
#define CRM_AGG_UTIL_H

#include "postgres.h"

#include "fmgr.h"
#include "lib/stringinfo.h"
#include "utils/array.h"

extern MemoryContext crm_agg_context(FunctionCallInfo fcinfo, const char *aggname);
extern void crm_agg_invalid_state(const char *aggname, const char *detail) pg_attribute_noreturn();
extern double *crm_float8_state(ArrayType *a, int expected_len, const char *aggname,
								int *len);

extern void crm_serial_begin(StringInfo buf, int32 version);
extern void crm_deserial_begin(StringInfo buf, bytea *b, int32 version,
							   const char *aggname);
extern void crm_deserial_need(StringInfo buf, int64 count, int64 size,
							  const char *aggname);
extern void crm_deserial_end(StringInfo buf, const char *aggname);
extern void crm_deserial_invalid(const char *aggname, const char *detail) pg_attribute_noreturn();

#endif							/* CRM_AGG_UTIL_H */
