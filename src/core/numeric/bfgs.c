/*
 * bfgs.c
 *		Search direction and inverse-Hessian update of BFGS (see bfgs.h).
 */
#include "numeric/bfgs.h"

#include <string.h>

/* H = scale * I */
void
bfgs_identity(int n, double *H, double scale)
{
	int			i;

	memset(H, 0, sizeof(double) * n * n);
	for (i = 0; i < n; i++)
		H[i * n + i] = scale;
}

/* dir = -H g on the free coordinates; returns g . dir. */
double
bfgs_direction(int n, const double *H, const double *g, const int *freev,
			   double *dir)
{
	double		slope = 0.0;
	int			i,
				j;

	for (i = 0; i < n; i++)
	{
		dir[i] = 0.0;
		if (freev && !freev[i])
			continue;
		for (j = 0; j < n; j++)
			if (!freev || freev[j])
				dir[i] -= H[i * n + j] * g[j];
	}
	for (i = 0; i < n; i++)
		slope += g[i] * dir[i];
	return slope;
}

/* The rank-two BFGS update of the inverse Hessian (sy = s . y > 0). */
void
bfgs_update(int n, double *H, const double *s, const double *y, double sy,
			double *Hy)
{
	double		yHy = 0.0;
	int			i,
				j;

	for (i = 0; i < n; i++)
	{
		Hy[i] = 0.0;
		for (j = 0; j < n; j++)
			Hy[i] += H[i * n + j] * y[j];
		yHy += y[i] * Hy[i];
	}
	for (i = 0; i < n; i++)
		for (j = 0; j < n; j++)
			H[i * n + j] += ((sy + yHy) * s[i] * s[j]) / (sy * sy)
				- (Hy[i] * s[j] + s[i] * Hy[j]) / sy;
}
