/*
 * kmeans.c
 *		k-means++ / Lloyd / Hartigan clustering and the xoshiro256** PRNG
 *		(see kmeans.h).
 */
#include "segment/kmeans.h"

#include <float.h>
#include <stdlib.h>
#include <string.h>

/* splitmix64 step: spreads a seed over the PRNG state */
static uint64_t
splitmix64(uint64_t *x)
{
	uint64_t	z = (*x += UINT64_C(0x9E3779B97F4A7C15));

	z = (z ^ (z >> 30)) * UINT64_C(0xBF58476D1CE4E5B9);
	z = (z ^ (z >> 27)) * UINT64_C(0x94D049BB133111EB);
	return z ^ (z >> 31);
}

/* Seed the generator (any seed, 0 included, gives a valid state). */
void
crm_rng_seed(crm_rng *rng, uint64_t seed)
{
	int			i;

	for (i = 0; i < 4; i++)
		rng->s[i] = splitmix64(&seed);
}

static uint64_t
rotl(uint64_t x, int k)
{
	return (x << k) | (x >> (64 - k));
}

/* Next 64 bits of xoshiro256** (Blackman & Vigna). */
uint64_t
crm_rng_next(crm_rng *rng)
{
	uint64_t   *s = rng->s;
	uint64_t	result = rotl(s[1] * 5, 7) * 9;
	uint64_t	t = s[1] << 17;

	s[2] ^= s[0];
	s[3] ^= s[1];
	s[1] ^= s[2];
	s[0] ^= s[3];
	s[2] ^= t;
	s[3] = rotl(s[3], 45);
	return result;
}

/* Uniform double in [0, 1) from the top 53 bits. */
double
crm_rng_double(crm_rng *rng)
{
	return (double) (crm_rng_next(rng) >> 11) * (1.0 / 9007199254740992.0);
}

/* squared Euclidean distance */
static double
dist2(const double *a, const double *b, int d)
{
	double		s = 0.0;
	int			j;

	for (j = 0; j < d; j++)
	{
		double		t = a[j] - b[j];

		s += t * t;
	}
	return s;
}

int
kmeans_closest(const double *p, const double *centers, int k, int d)
{
	int			best = 0;
	double		bd = dist2(p, centers, d);
	int			c;

	for (c = 1; c < k; c++)
	{
		double		dd = dist2(p, centers + (size_t) c * d, d);

		if (dd < bd)
		{
			bd = dd;
			best = c;
		}
	}
	return best;
}

/*
 * Within a pass over the points: call tick every 256 points, so that a pass
 * of n * k * d work (large k and d) can be cancelled too.
 */
static void
tick_every(kmeans_tick tick, size_t i)
{
	if (tick != NULL && (i & 255) == 0)
		tick();
}

/* scratch layout */
typedef struct kwork
{
	double	   *cur;			/* k * d current centres */
	double	   *mind;			/* n: D^2 during seeding */
	int		   *assign;			/* n */
	size_t	   *cnt;			/* k */
} kwork;

static size_t
align8(size_t b)
{
	return (b + 7) & ~(size_t) 7;
}

size_t
kmeans_work_bytes(size_t n, int d, int k)
{
	return align8(sizeof(double) * (size_t) k * d) + align8(sizeof(double) * n) +
		align8(sizeof(int) * n) + align8(sizeof(size_t) * (size_t) k);
}

static void
layout(kwork *w, void *mem, size_t n, int d, int k)
{
	char	   *p = (char *) mem;

	w->cur = (double *) p;
	p += align8(sizeof(double) * (size_t) k * d);
	w->mind = (double *) p;
	p += align8(sizeof(double) * n);
	w->assign = (int *) p;
	p += align8(sizeof(int) * n);
	w->cnt = (size_t *) p;
}

/*
 * k-means++ seeding (Arthur & Vassilvitskii 2007): the first centre uniform,
 * each next one drawn with probability proportional to D^2.  Returns 0 when
 * the points have fewer than k distinct values (all D^2 zero).
 */
static int
seed_plus_plus(const double *x, size_t n, int d, int k, crm_rng *rng, kwork *w,
			   kmeans_tick tick)
{
	size_t		i;
	int			c;
	size_t		first = (size_t) (crm_rng_double(rng) * (double) n);

	if (first >= n)
		first = n - 1;
	memcpy(w->cur, x + first * d, sizeof(double) * d);
	for (i = 0; i < n; i++)
		w->mind[i] = dist2(x + i * d, w->cur, d);
	for (c = 1; c < k; c++)
	{
		double		total = 0.0,
					target,
					acc = 0.0;
		size_t		pick = n;

		if (tick)
			tick();
		for (i = 0; i < n; i++)
			total += w->mind[i];
		if (!(total > 0.0))
			return 0;
		target = crm_rng_double(rng) * total;
		for (i = 0; i < n; i++)
		{
			if (w->mind[i] <= 0.0)
				continue;
			acc += w->mind[i];
			pick = i;
			if (acc > target)
				break;
		}
		memcpy(w->cur + (size_t) c * d, x + pick * d, sizeof(double) * d);
		for (i = 0; i < n; i++)
		{
			double		dd = dist2(x + i * d, w->cur + (size_t) c * d, d);

			if (dd < w->mind[i])
				w->mind[i] = dd;
		}
	}
	return 1;
}

/* Centres as the means of their clusters (empty clusters keep their centre). */
static void
recompute_centers(const double *x, size_t n, int d, int k, kwork *w)
{
	size_t		i;
	int			c,
				j;
	for (c = 0; c < k; c++)
		w->cnt[c] = 0;
	for (i = 0; i < n; i++)
		w->cnt[w->assign[i]]++;
	for (c = 0; c < k; c++)
		if (w->cnt[c] > 0)
			for (j = 0; j < d; j++)
				w->cur[(size_t) c * d + j] = 0.0;
	for (i = 0; i < n; i++)
	{
		double	   *ctr = w->cur + (size_t) w->assign[i] * d;

		for (j = 0; j < d; j++)
			ctr[j] += x[i * d + j];
	}
	for (c = 0; c < k; c++)
		if (w->cnt[c] > 0)
			for (j = 0; j < d; j++)
				w->cur[(size_t) c * d + j] /= (double) w->cnt[c];
}

/*
 * An empty cluster takes the point farthest from its own centre (which
 * leaves a cluster of at least two points, so none becomes empty).
 */
static int
fill_empty(const double *x, size_t n, int d, int k, kwork *w, kmeans_tick tick)
{
	int			c;
	int			moved = 0;

	for (c = 0; c < k; c++)
	{
		size_t		i,
					far = n;
		double		fd = -1.0;

		if (w->cnt[c] > 0)
			continue;
		if (tick)
			tick();
		for (i = 0; i < n; i++)
		{
			double		dd;

			if (w->cnt[w->assign[i]] < 2)
				continue;
			dd = dist2(x + i * d, w->cur + (size_t) w->assign[i] * d, d);
			if (dd > fd)
			{
				fd = dd;
				far = i;
			}
		}
		if (far == n)
			continue;
		w->cnt[w->assign[far]]--;
		w->assign[far] = c;
		w->cnt[c] = 1;
		memcpy(w->cur + (size_t) c * d, x + far * d, sizeof(double) * d);
		moved = 1;
	}
	return moved;
}

/* Lloyd iterations until no point changes cluster (or max_iter). */
static void
lloyd(const double *x, size_t n, int d, int k, int max_iter, kwork *w,
	  kmeans_tick tick)
{
	int			it;
	size_t		i;

	for (i = 0; i < n; i++)
	{
		tick_every(tick, i);
		w->assign[i] = kmeans_closest(x + i * d, w->cur, k, d);
	}
	recompute_centers(x, n, d, k, w);
	for (it = 0; it < max_iter; it++)
	{
		int			changed = 0;

		if (tick)
			tick();
		if (fill_empty(x, n, d, k, w, tick))
		{
			recompute_centers(x, n, d, k, w);
			changed = 1;
		}
		for (i = 0; i < n; i++)
		{
			int			c;

			tick_every(tick, i);
			c = kmeans_closest(x + i * d, w->cur, k, d);

			if (c != w->assign[i])
			{
				w->assign[i] = c;
				changed = 1;
			}
		}
		if (!changed)
			break;
		recompute_centers(x, n, d, k, w);
	}
}

/*
 * Hartigan single-point moves: move a point from cluster a to b when
 * n_b / (n_b + 1) |x - c_b|^2 < n_a / (n_a - 1) |x - c_a|^2, i.e. when the
 * move lowers the total within-cluster sum of squares, updating both means.
 * Each move strictly lowers the WCSS, so the passes end; max_pass bounds
 * them anyway.
 */
static void
hartigan(const double *x, size_t n, int d, int k, int max_pass, kwork *w,
		 kmeans_tick tick)
{
	int			pass;

	for (pass = 0; pass < max_pass; pass++)
	{
		size_t		i;
		int			moved = 0;

		if (tick)
			tick();

		for (i = 0; i < n; i++)
		{
			const double *p = x + i * d;
			int			a = w->assign[i];
			double		na = (double) w->cnt[a];
			double		remove,
						best;
			int			b,
						bestc = -1,
						j;

			tick_every(tick, i);
			if (w->cnt[a] < 2)
				continue;
			remove = na / (na - 1.0) * dist2(p, w->cur + (size_t) a * d, d);
			best = remove;
			for (b = 0; b < k; b++)
			{
				double		nb,
							add;

				if (b == a)
					continue;
				nb = (double) w->cnt[b];
				add = nb / (nb + 1.0) * dist2(p, w->cur + (size_t) b * d, d);
				/* a clear gain only, so rounding cannot make it cycle */
				if (add < best * (1.0 - 1e-12))
				{
					best = add;
					bestc = b;
				}
			}
			if (bestc < 0)
				continue;
			b = bestc;
			for (j = 0; j < d; j++)
			{
				double	   *ca = w->cur + (size_t) a * d;
				double	   *cb = w->cur + (size_t) b * d;
				double		nb = (double) w->cnt[b];

				ca[j] = (ca[j] * na - p[j]) / (na - 1.0);
				cb[j] = (cb[j] * nb + p[j]) / (nb + 1.0);
			}
			w->cnt[a]--;
			w->cnt[b]++;
			w->assign[i] = b;
			moved = 1;
		}
		if (!moved)
			break;
	}
	/* exact means again, free of the incremental updates' rounding */
	recompute_centers(x, n, d, k, w);
}

/* total within-cluster sum of squares of the current assignment */
static double
total_wcss(const double *x, size_t n, int d, kwork *w)
{
	double		s = 0.0;
	size_t		i;

	for (i = 0; i < n; i++)
		s += dist2(x + i * d, w->cur + (size_t) w->assign[i] * d, d);
	return s;
}

/* lexicographic comparison of two rows of length d */
static int
row_cmp(const double *x, const double *y, int d)
{
	int			j;

	for (j = 0; j < d; j++)
	{
		if (x[j] < y[j])
			return -1;
		if (x[j] > y[j])
			return 1;
	}
	return 0;
}

static void
row_swap(double *x, double *y, int d)
{
	int			j;

	for (j = 0; j < d; j++)
	{
		double		t = x[j];

		x[j] = y[j];
		y[j] = t;
	}
}

/* sift row i down a max-heap of n rows */
static void
sift_down(double *x, size_t i, size_t n, int d)
{
	for (;;)
	{
		size_t		c = 2 * i + 1;

		if (c >= n)
			return;
		if (c + 1 < n && row_cmp(x + (c + 1) * d, x + c * d, d) > 0)
			c++;
		if (row_cmp(x + c * d, x + i * d, d) <= 0)
			return;
		row_swap(x + c * d, x + i * d, d);
		i = c;
	}
}

/*
 * Sort rows lexicographically (heapsort: in place, no recursion, no
 * comparator context).  The aggregate sorts its input with it so the result
 * does not depend on the order rows arrived in.
 */
void
kmeans_sort_points(double *x, size_t n, int d)
{
	size_t		i;

	if (n < 2)
		return;
	for (i = n / 2; i-- > 0;)
		sift_down(x, i, n, d);
	for (i = n - 1; i > 0; i--)
	{
		row_swap(x, x + i * d, d);
		sift_down(x, 0, i, d);
	}
}

kmeans_status
kmeans_fit(const double *x, size_t n, int d, int k, uint64_t seed,
		   int nstart, int max_iter, double *centers, double *wcss, void *work,
		   kmeans_tick tick)
{
	crm_rng		rng;
	kwork		w;
	int			s;
	int			found = 0;
	double		best = DBL_MAX;

	if (k < 1 || (size_t) k > n)
		return KMEANS_BAD_K;
	layout(&w, work, n, d, k);
	crm_rng_seed(&rng, seed);
	for (s = 0; s < nstart; s++)
	{
		double		t;

		if (!seed_plus_plus(x, n, d, k, &rng, &w, tick))
			return KMEANS_TOO_FEW_DISTINCT;
		lloyd(x, n, d, k, max_iter, &w, tick);
		hartigan(x, n, d, k, max_iter, &w, tick);
		t = total_wcss(x, n, d, &w);
		if (!found || t < best)
		{
			best = t;
			found = 1;
			memcpy(centers, w.cur, sizeof(double) * (size_t) k * d);
		}
	}
	kmeans_sort_points(centers, (size_t) k, d);
	*wcss = best;
	return KMEANS_OK;
}
