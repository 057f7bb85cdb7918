/*
 * boxmin.h
 *		Minimisation of a smooth function of a few variables inside a box
 *		(lower <= x <= upper), in pure C99.
 *
 * A projected quasi-Newton method: BFGS updates of an inverse Hessian on the
 * free variables, variables at a bound whose gradient points out of the box
 * held fixed (the active set of Bertsekas' projected Newton method, 1982),
 * an Armijo backtracking search along the projected path, and central
 * finite-difference gradients (one-sided at a bound).  Written for
 * exponential-smoothing parameters and initial states (at most BM_MAX_DIM).
 */
#ifndef CRM_BOXMIN_H
#define CRM_BOXMIN_H

#define BM_MAX_DIM 32

typedef double (*bm_func) (const double *x, void *arg);

typedef struct bm_result
{
	double		f;				/* value at the returned point */
	int			evals;			/* function evaluations used */
	int			iters;			/* quasi-Newton iterations */
	int			converged;		/* 1: stopped by a tolerance, 0: by maxit */
} bm_result;

extern int	bm_minimize(bm_func fn, void *arg, int d,
						const double *lower, const double *upper,
						double *x, int maxit, bm_result *res);

#endif							/* CRM_BOXMIN_H */
