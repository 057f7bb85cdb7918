/*
 * accuracy.c
 *		Forecast accuracy measures from running sums (see accuracy.h).
 *
 * Definitions as R's forecast::accuracy (forecast 8.20): MAE = mean |e|,
 * RMSE = sqrt(mean e^2), MAPE = mean 100 |e / actual|, ME (our bias) =
 * mean e, MASE = MAE / scale; sMAPE = mean 200 |e| / (|actual| + |predicted|)
 * (Hyndman & Koehler 2006; forecast 8.20 does not report it).  Plain IEEE
 * arithmetic as in R: an actual of 0 makes MAPE infinite.
 */
#include "forecast/accuracy.h"

#include <math.h>

/* Add one pair to the sums. */
void
acc_add(double *state, double actual, double predicted)
{
	double		e = actual - predicted;

	state[ACC_N] += 1.0;
	state[ACC_SUM_E] += e;
	state[ACC_SUM_E2] += e * e;
	state[ACC_SUM_ABS_E] += fabs(e);
	state[ACC_SUM_APE] += 100.0 * fabs(e / actual);
	state[ACC_SUM_SAPE] += 200.0 * fabs(e) / (fabs(actual) + fabs(predicted));
}

/* Add the sums of another state (the scale slots are the caller's business). */
void
acc_merge(double *into, const double *from)
{
	int			i;

	for (i = ACC_N; i <= ACC_SUM_SAPE; i++)
		into[i] += from[i];
}

/* The measures; returns 0 (and leaves out alone) when there are no pairs. */
int
acc_finish(const double *state, acc_measures *out)
{
	double		n = state[ACC_N];

	if (n == 0.0)
		return 0;
	out->mae = state[ACC_SUM_ABS_E] / n;
	out->rmse = sqrt(state[ACC_SUM_E2] / n);
	out->mape = state[ACC_SUM_APE] / n;
	out->smape = state[ACC_SUM_SAPE] / n;
	out->bias = state[ACC_SUM_E] / n;
	out->mase = state[ACC_SCALE_SET] > 0.0 ? out->mae / state[ACC_SCALE] : NAN;
	return 1;
}
