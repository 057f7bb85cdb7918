/*
 * bfgs.h
 *		The quasi-Newton core shared by the two minimisers of src/core:
 *		boxmin.c (projected BFGS inside a box, finite-difference gradients:
 *		exponential smoothing) and clv_optim.c (unconstrained BFGS on an
 *		analytic gradient with a Newton polish: lifetime-value likelihoods).
 *		Pure C99.
 *
 * What the two share is the algebra of BFGS: the search direction from the
 * inverse-Hessian approximation, and its rank-two update.  What differs
 * stays with each driver, because it follows from the problem: the line
 * search (a projected path and an active set in a box; a step cap and a
 * divergence test for log-parameters), the restarts, and the stopping
 * rules.  H is a dense n x n matrix in row-major order.
 */
#ifndef CRM_BFGS_H
#define CRM_BFGS_H

/* H = scale * I */
extern void bfgs_identity(int n, double *H, double scale);

/*
 * dir = -H g over the free coordinates (freev[i] != 0; NULL: all), 0 on the
 * others.  Returns the slope g . dir (negative for a descent direction).
 */
extern double bfgs_direction(int n, const double *H, const double *g,
							 const int *freev, double *dir);

/*
 * The BFGS update of the inverse Hessian from the step s and the gradient
 * change y, with sy = s . y > 0 (the caller decides whether the pair is
 * usable):
 *	 H += ((sy + y'Hy) s s') / sy^2 - (H y s' + s y'H) / sy
 * Hy is caller-provided scratch of n doubles.
 */
extern void bfgs_update(int n, double *H, const double *s, const double *y,
						double sy, double *Hy);

#endif							/* CRM_BFGS_H */
