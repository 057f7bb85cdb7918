/*
 * test_accuracy.c
 *		Unit tests of src/core/forecast/accuracy.c against forecast::accuracy
 *		(test/reference/forecast_ts/accuracy_reference.R, part 1, and its
 *		output accuracy_reference.out).
 */
#include <math.h>

#include "forecast/accuracy.h"
#include "unit.h"

static int
near(double a, double b)
{
	return fabs(a - b) <= 1e-15 * fabs(b);
}

void
test_accuracy(void)
{
	static const double actual[6] = {112, 118, 132, 129, 121, 135};
	static const double pred[6] = {110, 120, 130, 131, 125, 130};
	double		all[ACC_NSLOTS] = {0},
				half1[ACC_NSLOTS] = {0},
				half2[ACC_NSLOTS] = {0};
	acc_measures m;
	int			i;

	CHECK("empty state", acc_finish(all, &m) == 0);
	for (i = 0; i < 6; i++)
	{
		acc_add(all, actual[i], pred[i]);
		acc_add(i < 3 ? half1 : half2, actual[i], pred[i]);
	}
	all[ACC_SCALE] = 7.5;
	all[ACC_SCALE_SET] = 1.0;
	CHECK("finish", acc_finish(all, &m) == 1);
	/* R: ME 0.16666666666666666, RMSE 3.082207001484488, MAE 2.8333333333333335,
	 * MAPE 2.2592762466121599; sMAPE 2.2622117654013989; MASE (7.5) 0.37777777777777782 */
	CHECK("mae", near(m.mae, 2.8333333333333335));
	CHECK("rmse", near(m.rmse, 3.082207001484488));
	CHECK("mape", near(m.mape, 2.2592762466121599));
	CHECK("smape", near(m.smape, 2.2622117654013989));
	CHECK("bias", fabs(m.bias - 0.16666666666666666) < 1e-14);
	CHECK("mase", near(m.mase, 0.37777777777777782));
	/* merged halves give the same sums; no scale, no MASE */
	acc_merge(half1, half2);
	half1[ACC_SCALE_SET] = -1.0;
	acc_finish(half1, &m);
	CHECK("merged mae", near(m.mae, 2.8333333333333335));
	CHECK("no scale", isnan(m.mase));
	/* actual 0: infinite MAPE, as R */
	{
		double		z[ACC_NSLOTS] = {0};

		acc_add(z, 0.0, 1.0);
		acc_finish(z, &m);
		CHECK("mape with zero actual", isinf(m.mape));
	}
}
