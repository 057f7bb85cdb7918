/*
 * regression.h
 *		The crm_sales.linear_model type, shared by src/regression.c and the
 *		functions built on it.
 */
#ifndef CRM_REGRESSION_H
#define CRM_REGRESSION_H

#include "postgres.h"

#include "forecast/ols.h"

/* on-disk form: a header and the ols.h state (see ols.h for its layout) */
typedef struct LinearModel
{
	int32		vl_len_;		/* varlena header */
	int32		kind;			/* OLS_KIND_OLS or OLS_KIND_TSLM */
	int32		season_length;	/* tslm: m; ols: 0 */
	int32		pad;			/* zero */
	float8		first_period;	/* tslm: the period of trend 1; ols: 0 */
	float8		state[FLEXIBLE_ARRAY_MEMBER];
} LinearModel;

#define LM_STATE_LEN(lm) \
	((VARSIZE(lm) - offsetof(LinearModel, state)) / sizeof(float8))
/* detoasted and its layout checked (regression.c) */
extern LinearModel *crm_linear_model_arg(Datum d);

#define DatumGetLinearModelP(d) crm_linear_model_arg(d)
#define PG_GETARG_LINEAR_MODEL_P(n) DatumGetLinearModelP(PG_GETARG_DATUM(n))

#endif							/* CRM_REGRESSION_H */
