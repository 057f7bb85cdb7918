/*
 * accuracy.h
 *		Forecast accuracy sums and measures (forecast::accuracy's definitions),
 *		in pure C99.
 *
 * The state is ACC_NSLOTS doubles of sums, mergeable by adding; the measures
 * come from the sums at the end.  e = actual - predicted.
 */
#ifndef CRM_ACCURACY_H
#define CRM_ACCURACY_H

/* slots of the state */
enum
{
	ACC_N,
	ACC_SUM_E,
	ACC_SUM_E2,
	ACC_SUM_ABS_E,
	ACC_SUM_APE,				/* sum of 100 |e / actual| */
	ACC_SUM_SAPE,				/* sum of 200 |e| / (|actual| + |predicted|) */
	ACC_SCALE,					/* MASE scale */
	ACC_SCALE_SET,				/* 0 unseen, 1 a scale, -1 no scale */
	ACC_NSLOTS
};

/* the measures, in the order of crm_sales.accuracy_measures after n */
typedef struct acc_measures
{
	double		mae;
	double		rmse;
	double		mape;
	double		smape;
	double		bias;
	double		mase;			/* NaN without a scale */
} acc_measures;

extern void acc_add(double *state, double actual, double predicted);
extern void acc_merge(double *into, const double *from);
extern int	acc_finish(const double *state, acc_measures *out);

#endif							/* CRM_ACCURACY_H */
