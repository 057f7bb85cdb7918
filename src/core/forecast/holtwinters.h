/*
 * holtwinters.h
 *		Exponential smoothing (Holt-Winters family) in pure C99.
 *
 * Simple exponential smoothing, Holt's linear trend, damped trend and
 * additive / multiplicative Holt-Winters seasonality, computed the way R's
 * stats::HoltWinters (R 4.2) computes them: start values from a classical
 * decomposition of the first two seasons and a least-squares line through
 * its trend, the same error-correction recursion and SSE window, and the
 * prediction-interval formula of predict.HoltWinters.  Damped trend (phi) is
 * our extension of that recursion (phi = 1 gives R's).
 *
 * Memory is owned by the caller; nothing here allocates, reports errors or
 * keeps global state.
 */
#ifndef CRM_HOLTWINTERS_H
#define CRM_HOLTWINTERS_H

#include <stddef.h>
#include <stdint.h>

/* largest season length we accept (hourly data with a yearly season fits) */
#define HW_MAX_SEASON 10000

/* largest forecast horizon forecast() accepts */
#define HW_MAX_HORIZON 100000

typedef enum hw_status
{
	HW_OK = 0,
	HW_BAD_SEASON_LENGTH,		/* season_length < 2 (seasonal) or too big */
	HW_TOO_SHORT,				/* fewer observations than the model needs */
	HW_NOT_FINITE,				/* a value is NaN or infinite */
	HW_NOT_POSITIVE,			/* multiplicative model with a value <= 0 */
	HW_BAD_PARAMETER,			/* alpha/beta/gamma/phi outside its range */
	HW_OPTIM_FAILED,			/* no finite SSE anywhere in the box */
	HW_DEGENERATE_START,		/* multiplicative start: zero trend in decomposition */
	HW_BAD_TEXT					/* malformed text form */
} hw_status;

typedef enum hw_trend
{
	HW_TREND_NONE = 0,
	HW_TREND_ADDITIVE = 1,
	HW_TREND_DAMPED = 2
} hw_trend;

typedef enum hw_season
{
	HW_SEASON_NONE = 0,
	HW_SEASON_ADDITIVE = 1,
	HW_SEASON_MULTIPLICATIVE = 2
} hw_season;

/*
 * What to fit.  A parameter that is NaN is estimated (minimum SSE over its
 * range); a given one is used as is.  Parameters of absent components are
 * ignored.
 */
typedef struct hw_spec
{
	hw_trend	trend;
	hw_season	season;
	int			m;				/* season length (ignored without season) */
	double		alpha;
	double		beta;
	double		gamma;
	double		phi;
	/*
	 * Called before every SSE evaluation of the parameter search when not
	 * NULL: the SQL glue checks for query cancel there (it may not return).
	 */
	void		(*poll) (void);
} hw_spec;

/* bounds of the damping parameter when it is estimated (as forecast::ets) */
#define HW_PHI_LOWER 0.8
#define HW_PHI_UPPER 0.98

/*
 * A fitted model: everything forecasts and intervals need.  The seasonal
 * states s[0..m-1] are in forecast order: s[0] applies to the first period
 * after the data (R's coefficients s1..sm).
 */
/* the model family: R's HoltWinters or a state-space ETS model */
typedef enum hw_method
{
	HW_METHOD_HOLT_WINTERS = 0,
	HW_METHOD_ETS = 1
} hw_method;

/* ETS error type (Holt-Winters models count as additive) */
typedef enum hw_error
{
	HW_ERROR_ADDITIVE = 1,
	HW_ERROR_MULTIPLICATIVE = 2
} hw_error;

typedef struct hw_model
{
	hw_method	method;
	hw_error	error;
	hw_trend	trend;
	hw_season	season;
	int32_t		m;				/* season length; 1 without season */
	int32_t		n;				/* observations */
	int32_t		n_fit;			/* observations in the SSE window */
	int64_t		last_period;	/* period of the last observation */
	double		alpha;
	double		beta;
	double		gamma;
	double		phi;
	double		sse;
	double		sigma2;			/* HW: var(residuals), R's var (n_fit - 1
								 * divisor); ETS: sum(e^2) / (n - np) */
	double		aicc;			/* ETS: AICc; NaN for Holt-Winters */
	double		level;
	double		slope;
	double	   *s;				/* m seasonal states (NULL without season) */
} hw_model;

/* Start values and where the recursion starts (0-based index). */
typedef struct hw_start
{
	double		level;
	double		slope;
	double	   *s;				/* m values, caller-owned */
	double	   *trend;			/* 2m values of work space (seasonal only) */
	int			start;			/* first observation inside the SSE window */
} hw_start;

/* Optional per-step output of a fit: arrays of n - start values. */
typedef struct hw_trace
{
	double	   *xhat;
	double	   *level;			/* level before the step (R's fitted level) */
	double	   *slope;
	double	   *season;
} hw_trace;

extern int	hw_min_observations(const hw_spec *spec);
extern void hw_decompose(const double *x, int len, int m, hw_season type,
						 double *trend, int *first, int *count, double *figure);
extern void hw_line(const double *y, int cnt, double *intercept, double *slope);
extern hw_status hw_check(const hw_spec *spec, const double *x, int n);
extern hw_status hw_start_values(const hw_spec *spec, const double *x, int n,
								 hw_start *st);
extern double hw_run(const hw_spec *spec, const hw_start *st,
					 const double *x, int n,
					 double alpha, double beta, double gamma, double phi,
					 double *work, hw_model *out, hw_trace *trace);
extern size_t hw_work_doubles(const hw_spec *spec, int n);
extern size_t hw_fit_work_doubles(const hw_spec *spec);
/* How the parameter search went. */
typedef struct hw_fit_info
{
	int			evals;			/* SSE evaluations */
	int			converged;		/* 0: the best local search hit its iteration limit */
} hw_fit_info;

extern hw_status hw_fit(const hw_spec *spec, const double *x, int n,
						double *work, hw_model *out, hw_fit_info *info);

extern void hw_forecast_point(const hw_model *mod, int h, double *point);
extern void hw_forecast_sd(const hw_model *mod, int h, double *sd,
						   void (*poll) (void));

extern double hw_qnorm(double p);

extern const char *hw_trend_name(hw_trend t);
extern const char *hw_season_name(hw_season s);
extern int	hw_trend_from_name(const char *name, size_t len, hw_trend *t);
extern int	hw_season_from_name(const char *name, size_t len, hw_season *s);

extern size_t hw_format(const hw_model *mod, char *buf, size_t buflen);
extern hw_status hw_parse_header(const char *text, hw_model *mod,
								 const char **season_text);
extern hw_status hw_parse_season(const char *text, hw_model *mod);
extern hw_status hw_validate(const hw_model *mod);
extern hw_status hw_validate_why(const hw_model *mod, const char **why);
extern hw_status hw_parse_options(const char *opt, size_t optlen, hw_spec *spec,
								  const char **bad, size_t *badlen);

#endif							/* CRM_HOLTWINTERS_H */
