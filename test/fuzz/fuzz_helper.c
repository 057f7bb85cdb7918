/*
 * fuzz_helper.c
 *		Test-only functions for the fuzz suite (test/fuzz/fuzz.py): they call
 *		the support functions of aggregates with internal states -- which SQL
 *		cannot call, since no SQL value is of type internal -- under a
 *		minimal aggregate context, so that the fuzzer can hand crafted
 *		serialized states to deserial and then to serial and final.
 *
 * Built by test/fuzz/run.sh next to the extension, loaded by its absolute
 * path into a throwaway server, never installed: it would let any caller
 * of these functions reach internals.
 */
#include "postgres.h"

#include "fmgr.h"
#include "nodes/execnodes.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/regproc.h"

PG_MODULE_MAGIC;

/*
 * An AggState just complete enough for AggCheckCallContext: its current
 * aggregate context is a fresh memory context under the caller's.
 */
static Node *
fake_agg_context(void)
{
	AggState   *aggstate = makeNode(AggState);
	ExprContext *econtext = makeNode(ExprContext);

	econtext->ecxt_per_tuple_memory = AllocSetContextCreate(CurrentMemoryContext,
															"fuzz aggregate context",
															ALLOCSET_DEFAULT_SIZES);
	aggstate->curaggcontext = econtext;
	return (Node *) aggstate;
}

/* Call fn (an OID) with up to two arguments under the fake aggregate context. */
static Datum
call_agg_support(Oid fn, Node *context, int nargs, Datum a0, bool n0,
				 Datum a1, bool n1, bool *isnull)
{
	LOCAL_FCINFO(fcinfo, 2);
	FmgrInfo	flinfo;
	Datum		result;

	fmgr_info(fn, &flinfo);
	InitFunctionCallInfoData(*fcinfo, &flinfo, nargs, InvalidOid, context, NULL);
	fcinfo->args[0].value = a0;
	fcinfo->args[0].isnull = n0;
	fcinfo->args[1].value = a1;
	fcinfo->args[1].isnull = n1;
	result = FunctionCallInvoke(fcinfo);
	*isnull = fcinfo->isnull;
	return result;
}

/*
 * deserial (argument 0, a regprocedure) applied to the bytea argument argno
 * under context; NULL (in *isnull) when deserial returned NULL.
 */
static Datum
deserialized(FunctionCallInfo fcinfo, int argno, Node *context, bool *isnull)
{
	return call_agg_support(PG_GETARG_OID(0), context, 2, PG_GETARG_DATUM(argno), false,
							(Datum) 0, true, isnull);
}

PG_FUNCTION_INFO_V1(fuzz_deserial_serial);

/*
 * fuzz_deserial_serial(deserial regprocedure, serial regprocedure, bytes):
 * serial(deserial(bytes)), or the error deserial raises.
 */
Datum
fuzz_deserial_serial(PG_FUNCTION_ARGS)
{
	Node	   *context = fake_agg_context();
	bool		isnull;
	Datum		state = deserialized(fcinfo, 2, context, &isnull);

	if (!isnull)
		state = call_agg_support(PG_GETARG_OID(1), context, 1, state, false,
								 (Datum) 0, true, &isnull);
	if (isnull)
		PG_RETURN_NULL();
	PG_RETURN_DATUM(state);
}

PG_FUNCTION_INFO_V1(fuzz_deserial_final);

/*
 * fuzz_deserial_final(deserial regprocedure, final regprocedure, bytes):
 * final(deserial(bytes)) as text (the output function of final's result
 * type), or the error either raises.
 */
Datum
fuzz_deserial_final(PG_FUNCTION_ARGS)
{
	Oid			final = PG_GETARG_OID(1);
	Node	   *context = fake_agg_context();
	bool		isnull;
	Datum		out = deserialized(fcinfo, 2, context, &isnull);
	Oid			typoutput;
	bool		typisvarlena;

	if (!isnull)
		out = call_agg_support(final, context, 1, out, false, (Datum) 0, true, &isnull);
	if (isnull)
		PG_RETURN_NULL();
	getTypeOutputInfo(get_func_rettype(final), &typoutput, &typisvarlena);
	PG_RETURN_TEXT_P(cstring_to_text(OidOutputFunctionCall(typoutput, out)));
}

PG_FUNCTION_INFO_V1(fuzz_deserial_combine);

/*
 * fuzz_deserial_combine(deserial, combine, serial regprocedure, a, b bytea):
 * serial(combine(deserial(a), deserial(b))), or the error one raises.
 */
Datum
fuzz_deserial_combine(PG_FUNCTION_ARGS)
{
	Node	   *context = fake_agg_context();
	bool		na,
				nb,
				isnull;
	Datum		a = deserialized(fcinfo, 3, context, &na);
	Datum		b = deserialized(fcinfo, 4, context, &nb);
	Datum		out;

	if (na || nb)
		PG_RETURN_NULL();
	out = call_agg_support(PG_GETARG_OID(1), context, 2, a, false, b, false, &isnull);
	if (!isnull)
		out = call_agg_support(PG_GETARG_OID(2), context, 1, out, false, (Datum) 0, true,
							   &isnull);
	if (isnull)
		PG_RETURN_NULL();
	PG_RETURN_DATUM(out);
}
