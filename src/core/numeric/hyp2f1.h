/*
 * hyp2f1.h
 *		Gauss hypergeometric function 2F1(a, b; c; z) for real arguments and
 *		z < 1, and the special functions the lifetime-value models need
 *		(digamma, log|Gamma| with sign), in pure C99.
 *
 * Evaluation (see hyp2f1.c for the details):
 *	 0 <= z <= 1/2: the power series, summed until a term no longer changes
 *		the sum;
 *	 1/2 < z < 1: the linear transformation to 1 - z (Abramowitz & Stegun
 *		15.3.6), both series in 1 - z < 1/2, every Gamma factor in log space;
 *		when c - a - b is within 1e-5 of an integer (where that formula has
 *		a removable singularity) the value is the mean of the function at
 *		a +/- 1e-5, exact to about 1e-10 relative;
 *	 z < 0: Pfaff's transformation 2F1(a, b; c; z) =
 *		(1 - z)^-a 2F1(a, c - b; c; z / (z - 1)), which maps z to [0, 1).
 * hyp2f1_scaled() returns exp(lscale) * 2F1 so that a large factor such as
 * (1 - z)^a can be applied in log space before anything overflows, and a
 * bound on its rounding error; either function reports HYP_LOSS rather
 * than return a value whose bound exceeds 1e-8 of it.
 */
#ifndef CRM_HYP2F1_H
#define CRM_HYP2F1_H

typedef enum hyp_status
{
	HYP_OK = 0,
	HYP_DOMAIN,					/* z >= 1, NaN input, c a non-positive integer */
	HYP_NO_CONVERGENCE,			/* a series did not settle in HYP_MAX_TERMS */
	HYP_RANGE,					/* the result overflows a double */
	HYP_LOSS					/* cancellation: fewer than 8 digits left */
} hyp_status;

/* most terms one series may take */
#define HYP_MAX_TERMS 200000

extern double clv_digamma(double x);
extern double clv_lgamma_sign(double x, int *sign);
extern hyp_status hyp2f1_series(double a, double b, double c, double z,
								double *sum, double *maxterm);
extern hyp_status hyp2f1_scaled(double a, double b, double c, double z,
								double lscale, double *out, double *err);
extern hyp_status hyp2f1(double a, double b, double c, double z, double *out);

#endif							/* CRM_HYP2F1_H */
