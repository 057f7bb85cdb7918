/*
 * student_t.h
 *		Student t distribution, F upper tail and the regularized incomplete
 *		beta function they rest on, in pure C99.
 *
 * Written from the textbook definitions: I_x(a, b) by its continued fraction
 * (DLMF 8.17.22) evaluated with the modified Lentz method, log B(a, b) with
 * Stirling's series for large arguments (DLMF 5.11.1), quantiles by a
 * bracketed Newton iteration on the tail probability.  Relative accuracy,
 * measured against mpmath for t = 0.5 .. 10: 1e-11 or better up to
 * df = 1e6, 4e-10 at 1e7, 8e-10 at 1e8, 3e-8 at 1e9, 6e-5 at 1e12 (the
 * continued fraction for I_x(df/2, 1/2) with x near 1 cancels when df is
 * huge; a uniform asymptotic expansion would be needed there).
 */
#ifndef CRM_STUDENT_T_H
#define CRM_STUDENT_T_H

/* log of the beta function B(a, b), a, b > 0 */
extern double st_lbeta(double a, double b);

/*
 * Regularized incomplete beta I_x(a, b); the caller passes both x and
 * y = 1 - x (and their logs) so that neither loses digits near 0 or 1.
 */
extern double st_incbeta(double a, double b, double x, double y,
						 double logx, double logy);

/* P(T <= t) for T ~ t(df), df > 0 */
extern double st_pt(double t, double df);

/* P(T > |t|), one tail, without cancellation for large |t| */
extern double st_pt_upper(double t, double df);

/* the p-quantile of t(df), 0 < p < 1; NaN for bad arguments */
extern double st_qt(double p, double df);

/* P(F > f) for F ~ F(df1, df2) */
extern double st_pf_upper(double f, double df1, double df2);

#endif							/* CRM_STUDENT_T_H */
