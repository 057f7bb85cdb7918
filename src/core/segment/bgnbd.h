/*
 * bgnbd.h
 *		The BG/NBD customer-base model of Fader, Hardie & Lee (2005),
 *		"Counting Your Customers the Easy Way: An Alternative to the
 *		Pareto/NBD Model", Marketing Science 24(2), 275-284.  Pure C99.
 *
 * A customer is summarised by x (repeat purchases), t_x (time of the last
 * purchase, measured from the first) and T (time observed since the first
 * purchase).  Transactions while alive are Poisson(lambda), lambda ~
 * Gamma(r, alpha); after each purchase the customer drops out with
 * probability p, p ~ Beta(a, b).
 *
 * Fitting takes the distinct (x, t_x, T) triples with their counts, sorted
 * by x ascending (so the terms that depend on x alone are computed once per
 * x), and maximises the log-likelihood (eq. 6) over log-parameters.
 */
#ifndef CRM_BGNBD_H
#define CRM_BGNBD_H

#include <stdint.h>

#include "numeric/clv_optim.h"

typedef struct bgnbd_params
{
	double		r;
	double		alpha;
	double		a;
	double		b;
} bgnbd_params;

/* distinct customer histories, sorted by x ascending */
typedef struct bgnbd_data
{
	int64_t		n;
	const double *x;
	const double *tx;
	const double *T;
	const double *w;			/* how many customers share the triple */
	void		(*tick) (void); /* if set, called once per likelihood
								 * evaluation (the server checks for
								 * interrupts there); may not return */
} bgnbd_data;

typedef struct bgnbd_fit_info
{
	clv_opt_result opt;
	double		loglik;
	double		customers;		/* sum of the weights */
} bgnbd_fit_info;

extern int	bgnbd_params_valid(const bgnbd_params *p);
extern int	bgnbd_history_valid(double x, double tx, double T);
extern double bgnbd_loglik(const bgnbd_params *p, const bgnbd_data *d);
extern clv_status bgnbd_fit(const bgnbd_data *d, bgnbd_params *out,
							bgnbd_fit_info *info);
extern double bgnbd_palive(const bgnbd_params *p, double x, double tx, double T);
extern clv_status bgnbd_expected(const bgnbd_params *p, double t, double *out);
extern clv_status bgnbd_conditional(const bgnbd_params *p, double x, double tx,
									double T, double t, double *out);
extern clv_status bgnbd_conditional_by_integration(const bgnbd_params *p,
												   double x, double tx,
												   double T, double t,
												   double *out);

#endif							/* CRM_BGNBD_H */
