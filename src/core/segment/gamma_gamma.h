/*
 * gamma_gamma.h
 *		The Gamma-Gamma model of spend per transaction (Fader, Hardie & Lee
 *		2005, "RFM and CLV: Using Iso-Value Curves for Customer Base
 *		Analysis", Journal of Marketing Research 42(4); Fader & Hardie, "The
 *		Gamma-Gamma Model of Monetary Value", 2013 note).  Pure C99.
 *
 * A repeat customer with x transactions of mean value m: each value is
 * Gamma(p, nu), nu ~ Gamma(q, gamma) across customers.  The density of m
 * given x (the note's eq. 3) is
 *	 G(px+q) / (G(px) G(q)) * gamma^q x^(px) m^(px-1) / (gamma + x m)^(px+q).
 */
#ifndef CRM_GAMMA_GAMMA_H
#define CRM_GAMMA_GAMMA_H

#include <stdint.h>

#include "segment/bgnbd.h"

typedef struct gg_params
{
	double		p;
	double		q;
	double		gamma;
} gg_params;

/* distinct (x, m) pairs of repeat customers, sorted by x ascending */
typedef struct gg_data
{
	int64_t		n;
	const double *x;
	const double *m;
	const double *w;
	void		(*tick) (void); /* as in bgnbd_data */
} gg_data;

typedef struct gg_fit_info
{
	clv_opt_result opt;
	double		loglik;
	double		customers;
} gg_fit_info;

extern int	gg_params_valid(const gg_params *p);
extern double gg_loglik(const gg_params *p, const gg_data *d);
extern clv_status gg_fit(const gg_data *d, gg_params *out, gg_fit_info *info);
extern clv_status gg_expected_spend(const gg_params *p, double x, double m,
									double *out);
extern clv_status clv_value_range(const bgnbd_params *bg, double spend,
								  double x, double tx, double T, int from,
								  int to, double d, double unit,
								  double *prev, double *sum);
extern clv_status clv_value(const bgnbd_params *bg, const gg_params *gg,
							double x, double tx, double T, double m,
							int horizon, double d, double unit, double *out);

#endif							/* CRM_GAMMA_GAMMA_H */
