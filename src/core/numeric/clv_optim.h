/*
 * clv_optim.h
 *		A small unconstrained minimiser for the lifetime-value likelihoods:
 *		BFGS with an Armijo backtracking line search on an analytic
 *		gradient, Nelder-Mead as a fallback start, and a final Newton polish
 *		with a finite-difference Hessian of the gradient.  Pure C99.
 *
 * The models are fitted on log-parameters, so the search is unconstrained;
 * a coordinate running past +/- CLV_THETA_MAX means a parameter runs to 0
 * or infinity (the likelihood has no interior maximum for that data), and
 * is reported as such, never returned as a model.
 */
#ifndef CRM_CLV_OPTIM_H
#define CRM_CLV_OPTIM_H

#include <stdint.h>

#define CLV_OPT_MAXDIM 4
#define CLV_THETA_MAX 30.0		/* |log(parameter)| limit: 1e-13 .. 1e13 */
#define CLV_OPT_MAX_EVAL 500	/* objective evaluations per fit (typical
								 * fits take 30 to 150) */

typedef enum clv_opt_status
{
	CLV_OPT_OK = 0,
	CLV_OPT_NOT_FINITE,			/* objective not finite at the start */
	CLV_OPT_DIVERGED,			/* a coordinate ran past CLV_THETA_MAX */
	CLV_OPT_NOT_CONVERGED,		/* gradient still not small at the limit */
	CLV_OPT_FLAT				/* Hessian not positive definite at the end:
								 * the data do not pin down every parameter */
} clv_opt_status;

/* outcome of a model fit, shared by the BG/NBD and Gamma-Gamma code */
typedef enum clv_status
{
	CLV_OK = 0,
	CLV_BAD_INPUT,				/* an argument outside the model's domain */
	CLV_EMPTY,					/* nothing to fit */
	CLV_DIVERGED,				/* MLE at the boundary: a parameter runs to 0/Inf */
	CLV_NOT_CONVERGED,			/* optimiser stopped with a large gradient */
	CLV_NOT_IDENTIFIED,			/* likelihood flat: parameters not identified */
	CLV_NUMERIC,				/* a special function could not be evaluated */
	CLV_OVERFLOW				/* the result does not fit in a double */
} clv_status;

/*
 * Objective: returns f(theta) (to minimise) and, when grad is not NULL,
 * its gradient.  A non-finite return means "outside the usable region".
 */
typedef double (*clv_objective) (const double *theta, double *grad, void *arg);

typedef struct clv_opt_result
{
	clv_opt_status status;
	double		f;				/* objective at theta */
	double		gradmax;		/* largest |gradient| component at theta */
	int			iterations;		/* BFGS iterations, all starts together */
	int			evaluations;	/* objective evaluations */
	int			bad_dim;		/* CLV_OPT_DIVERGED: the coordinate */
	int			bad_high;		/* CLV_OPT_DIVERGED: 1 if it ran to +, 0 to - */
} clv_opt_result;

extern clv_status clv_fit_status(clv_opt_status st);
extern double clv_log_mean(const double *v, const double *w, int64_t n);
extern clv_opt_result clv_minimise(clv_objective fn, void *arg, int dim,
								   double *theta, double gtol);

#endif							/* CRM_CLV_OPTIM_H */
