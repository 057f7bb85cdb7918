/*
 * ets.h
 *		State-space exponential smoothing (ETS, Hyndman et al. 2008) fitted by
 *		maximum likelihood, with automatic model choice by AICc, in pure C99.
 *
 * Models ETS(E,T,S): error additive or multiplicative, trend none, additive
 * or additive damped, season none, additive or multiplicative -- the
 * candidates forecast::ets (R package forecast 8.20) considers by default
 * (no multiplicative trend; no additive error with multiplicative season).
 * Start states as forecast::ets' initstate(), then smoothing parameters and
 * initial states estimated together by minimising
 *   -2 log L = n log(sum e^2) + 2 sum log|mu|   (the last term: M error)
 * with the box optimiser of boxmin.c under forecast's "usual" bounds
 * (0.0001 <= alpha <= 0.9999, 0.0001 <= beta <= alpha,
 * 0.0001 <= gamma <= 1 - alpha, 0.8 <= phi <= 0.98).
 *
 * The fitted model is a hw_model (method HW_METHOD_ETS); forecast means and
 * variances come from ets_forecast.
 */
#ifndef CRM_ETS_H
#define CRM_ETS_H

#include "forecast/holtwinters.h"

/* longest season ETS fits (forecast::ets' limit too) */
#define ETS_MAX_SEASON 24

/* most steps the O(h^2) class-2 variance is computed for */
#define ETS_CLASS2_MAX 10000
/* most steps the O(h (2m)^3) class-3 variance is computed for */
#define ETS_CLASS3_MAX 1000

typedef struct ets_spec
{
	hw_error	error;
	hw_trend	trend;
	hw_season	season;
	int			m;				/* season length (1 without season) */
	void		(*poll) (void);	/* as hw_spec.poll; NULL: none */
} ets_spec;

/* What the fit of one candidate gave (for reports and tests). */
typedef struct ets_info
{
	double		lik;			/* -2 log L as forecast computes it */
	double		aicc;
	int			np;				/* estimated values, sigma included */
	int			evals;
	int			candidates;		/* models tried (auto) */
	int			converged;		/* 0: the chosen fit's search hit its iteration limit */
} ets_info;

extern size_t ets_work_doubles(int n, int m);
extern hw_status ets_fit(const ets_spec *spec, const double *y, int n,
						 double *work, hw_model *out, ets_info *info);
extern hw_status ets_auto(const double *y, int n, int m, double *work,
						  hw_model *out, double *season_buf, ets_info *info,
						  void (*poll) (void));
extern int	ets_interval_class(const hw_model *mod);
extern size_t ets_forecast_work_doubles(const hw_model *mod, int h);
extern hw_status ets_forecast(const hw_model *mod, int h, double *mean,
							  double *var, double *work, void (*poll) (void));
extern const char *ets_code(const hw_model *mod, char *buf);
extern int	ets_parse_code(const char *code, size_t len, ets_spec *spec);

#endif							/* CRM_ETS_H */
