/*
 * kmeans.c
 *		k-means++ / Lloyd / Hartigan-Wong clustering and the xoshiro256**
 *		PRNG (see kmeans.h).
 *
 * One restart: k-means++ seeding, Lloyd iterations (cheap, and they bring
 * the centres near a local optimum), a Hartigan-Wong pass (it escapes many
 * of Lloyd's fixed points: a point moves whenever that lowers the WCSS, not
 * only when another centre is nearer), then single-point moves on exact
 * means until none lowers the WCSS.  The restart with the lowest WCSS wins.
 */
#include "segment/kmeans.h"

#include <float.h>
#include <math.h>
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

/*
 * A move must gain more than this fraction of the point's own cost, so that
 * rounding in the incrementally updated means cannot make moves cycle.
 */
#define MOVE_TOL 1e-12
/* quick-transfer cycles over the points before the stage gives up */
#define QT_MAX_CYCLES 50

/* scratch layout */
typedef struct kwork
{
	double	   *cur;			/* k * d current centres */
	double	   *mind;			/* n: D^2 during seeding */
	int		   *assign;			/* n: cluster of each point */
	int		   *ic2;			/* n: Hartigan-Wong's second-best cluster */
	int		   *best;			/* n: assignment of the best restart */
	size_t	   *cnt;			/* k: cluster sizes */
	double	   *an1;			/* k: n / (n - 1), the removal factor */
	double	   *an2;			/* k: n / (n + 1), the insertion factor */
	uint64_t   *live;			/* k: live in optimal transfer while its clock
								 * is below this */
	uint64_t   *live_qt;		/* k: the same for quick transfer */
	int		   *moved;			/* k: changed in the stage that just ran */
	int		   *order;			/* k: centre rows in sorted order */
} kwork;

static size_t
align8(size_t b)
{
	return (b + 7) & ~(size_t) 7;
}

size_t
kmeans_work_bytes(size_t n, int d, int k)
{
	size_t		kk = (size_t) k;

	return align8(sizeof(double) * kk * d) + align8(sizeof(double) * n) +
		3 * align8(sizeof(int) * n) + align8(sizeof(size_t) * kk) +
		2 * align8(sizeof(double) * kk) + 2 * align8(sizeof(uint64_t) * kk) +
		2 * align8(sizeof(int) * kk);
}

/* carve the scratch space into its arrays */
static void
layout(kwork *w, void *mem, size_t n, int d, int k)
{
	char	   *p = (char *) mem;
	size_t		kk = (size_t) k;

	w->cur = (double *) p;
	p += align8(sizeof(double) * kk * d);
	w->mind = (double *) p;
	p += align8(sizeof(double) * n);
	w->assign = (int *) p;
	p += align8(sizeof(int) * n);
	w->ic2 = (int *) p;
	p += align8(sizeof(int) * n);
	w->best = (int *) p;
	p += align8(sizeof(int) * n);
	w->cnt = (size_t *) p;
	p += align8(sizeof(size_t) * kk);
	w->an1 = (double *) p;
	p += align8(sizeof(double) * kk);
	w->an2 = (double *) p;
	p += align8(sizeof(double) * kk);
	w->live = (uint64_t *) p;
	p += align8(sizeof(uint64_t) * kk);
	w->live_qt = (uint64_t *) p;
	p += align8(sizeof(uint64_t) * kk);
	w->moved = (int *) p;
	p += align8(sizeof(int) * kk);
	w->order = (int *) p;
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

/*
 * Centres as the means of their clusters, summed afresh (free of the
 * rounding of incremental updates); cluster sizes too.  An empty cluster
 * keeps its centre.
 */
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

/* Every point to its nearest centre; returns whether any point changed. */
static int
assign_nearest(const double *x, size_t n, int d, int k, kwork *w,
			   kmeans_tick tick)
{
	size_t		i;
	int			changed = 0;

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
	return changed;
}

/*
 * Every point to its nearest centre (assign) and the second nearest (ic2),
 * in one pass: the start of a Hartigan-Wong run.  Ties go to the lowest
 * index, as in kmeans_closest().
 */
static void
nearest_two(const double *x, size_t n, int d, int k, kwork *w,
			kmeans_tick tick)
{
	size_t		i;

	for (i = 0; i < n; i++)
	{
		const double *p = x + i * d;
		double		d1 = DBL_MAX,
					d2 = DBL_MAX;
		int			c1 = 0,
					c2 = k > 1 ? 1 : 0,
					c;

		tick_every(tick, i);
		for (c = 0; c < k; c++)
		{
			double		dd = dist2(p, w->cur + (size_t) c * d, d);

			if (dd < d1)
			{
				d2 = d1;
				c2 = c1;
				d1 = dd;
				c1 = c;
			}
			else if (dd < d2)
			{
				d2 = dd;
				c2 = c;
			}
		}
		/* the first centre seen is the nearest: c2 is still the default */
		if (c2 == c1)
			c2 = c1 == 0 ? 1 : 0;
		w->assign[i] = c1;
		w->ic2[i] = c2;
	}
}

/* Lloyd iterations until no point changes cluster (or max_iter). */
static void
lloyd(const double *x, size_t n, int d, int k, int max_iter, kwork *w,
	  kmeans_tick tick)
{
	int			it;

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
		if (assign_nearest(x, n, d, k, w, tick))
			changed = 1;
		if (!changed)
			break;
		recompute_centers(x, n, d, k, w);
	}
}

/* Hartigan's factors for cluster c: the cost of taking a point out or in. */
static void
set_factors(kwork *w, int c)
{
	double		m = (double) w->cnt[c];

	w->an1[c] = w->cnt[c] > 1 ? m / (m - 1.0) : 0.0;
	w->an2[c] = m / (m + 1.0);
}

/*
 * Move point i (at p) from cluster a to cluster b, updating both means
 * incrementally, the sizes and the factors.
 */
static void
transfer(const double *p, size_t i, int a, int b, int d, kwork *w)
{
	double	   *ca = w->cur + (size_t) a * d;
	double	   *cb = w->cur + (size_t) b * d;
	double		na = (double) w->cnt[a];
	double		nb = (double) w->cnt[b];
	int			j;

	for (j = 0; j < d; j++)
	{
		ca[j] += (ca[j] - p[j]) / (na - 1.0);
		cb[j] += (p[j] - cb[j]) / (nb + 1.0);
	}
	w->cnt[a]--;
	w->cnt[b]++;
	set_factors(w, a);
	set_factors(w, b);
	w->assign[i] = b;
}

/*
 * Hartigan-Wong's optimal-transfer stage, one pass over the points.  Point
 * i in cluster l1 costs r1 = an1[l1] |x - c1|^2 to remove, and r2 = an2[l]
 * |x - c_l|^2 to add to cluster l; it moves to the cheapest l when that is
 * below r1, i.e. when the move lowers the WCSS.  The live set saves work:
 * a cluster is live while fewer than n optimal-transfer steps (one pass)
 * have gone by since it last changed, or through the whole pass after a
 * quick-transfer stage changed it.  When l1 is live, every cluster is
 * tried; otherwise only the live ones (the others have not changed since
 * this point last looked at them).  The cluster it did not move to, or
 * left, is kept as ic2.  Returns whether any point moved; *clock counts the
 * optimal-transfer steps.
 */
static int
optimal_transfer(const double *x, size_t n, int d, int k, kwork *w,
				 uint64_t *clock, kmeans_tick tick)
{
	size_t		i;
	int			moved = 0;

	for (i = 0; i < n; i++)
	{
		uint64_t	now = (*clock)++;
		const double *p = x + i * d;
		int			l1 = w->assign[i];
		int			l2 = w->ic2[i];
		int			live1 = now < w->live[l1];
		double		r1,
					r2;
		int			l;

		tick_every(tick, i);
		if (w->cnt[l1] < 2)
			continue;
		r1 = w->an1[l1] * dist2(p, w->cur + (size_t) l1 * d, d);
		r2 = w->an2[l2] * dist2(p, w->cur + (size_t) l2 * d, d);
		for (l = 0; l < k; l++)
		{
			double		r;

			if (l == l1 || l == l2 || (!live1 && now >= w->live[l]))
				continue;
			r = w->an2[l] * dist2(p, w->cur + (size_t) l * d, d);
			if (r < r2)
			{
				r2 = r;
				l2 = l;
			}
		}
		if (!(r2 < r1 * (1.0 - MOVE_TOL)))
		{
			w->ic2[i] = l2;
			continue;
		}
		transfer(p, i, l1, l2, d, w);
		w->ic2[i] = l1;
		w->live[l1] = w->live[l2] = now + n;
		w->moved[l1] = w->moved[l2] = 1;
		moved = 1;
	}
	return moved;
}

/*
 * Hartigan-Wong's quick-transfer stage: cycle over the points, trying only
 * the swap of each point between its cluster and ic2, and only when one of
 * the two changed within the last n quick-transfer steps (those the
 * optimal-transfer pass before changed count as changed at the start);
 * stop after n steps without a move (or QT_MAX_CYCLES cycles).  *clock
 * counts the quick-transfer steps.
 */
static void
quick_transfer(const double *x, size_t n, int d, kwork *w, uint64_t *clock,
			   kmeans_tick tick)
{
	size_t		quiet = 0;
	uint64_t	steps = 0;
	size_t		i = 0;

	while (quiet < n && steps < (uint64_t) QT_MAX_CYCLES * n)
	{
		uint64_t	now = (*clock)++;
		const double *p = x + i * d;
		int			l1 = w->assign[i];
		int			l2 = w->ic2[i];

		tick_every(tick, i);
		steps++;
		quiet++;
		if (w->cnt[l1] > 1 && (now < w->live_qt[l1] || now < w->live_qt[l2]))
		{
			double		r1 = w->an1[l1] * dist2(p, w->cur + (size_t) l1 * d, d);
			double		r2 = w->an2[l2] * dist2(p, w->cur + (size_t) l2 * d, d);

			if (r2 < r1 * (1.0 - MOVE_TOL))
			{
				transfer(p, i, l1, l2, d, w);
				w->ic2[i] = l1;
				w->live_qt[l1] = w->live_qt[l2] = now + n;
				w->moved[l1] = w->moved[l2] = 1;
				quiet = 0;
			}
		}
		if (++i == n)
			i = 0;
	}
}

/*
 * Hartigan & Wong's algorithm (AS 136, Applied Statistics 28, 1979), from
 * the assignment in w->assign, the second choices in w->ic2 and the means
 * in w->cur (every cluster non-empty): optimal-transfer
 * passes, each followed by a quick-transfer stage, until a pass moves no
 * point (or max_pass passes).
 */
static void
hartigan_wong(const double *x, size_t n, int d, int k, int max_pass, kwork *w,
			  kmeans_tick tick)
{
	uint64_t	ot_clock = 0,
				qt_clock = 0;
	int			c,
				pass;

	if (k < 2)
		return;
	for (c = 0; c < k; c++)
	{
		set_factors(w, c);
		w->live[c] = n;			/* all live in the first pass */
		w->moved[c] = 0;
	}
	for (pass = 0; pass < max_pass; pass++)
	{
		if (tick)
			tick();
		if (!optimal_transfer(x, n, d, k, w, &ot_clock, tick))
			break;
		/* what the pass changed, quick transfer tries first */
		for (c = 0; c < k; c++)
		{
			w->live_qt[c] = w->moved[c] ? qt_clock + n : 0;
			w->moved[c] = 0;
		}
		quick_transfer(x, n, d, w, &qt_clock, tick);
		/* what quick transfer changed is live through the next pass */
		for (c = 0; c < k; c++)
			if (w->moved[c])
			{
				w->live[c] = ot_clock + n;
				w->moved[c] = 0;
			}
	}
}

/*
 * The final step: on exact means, move each point to the cluster where it
 * lowers the WCSS most (Hartigan's criterion, n_b / (n_b + 1) |x - c_b|^2 <
 * n_a / (n_a - 1) |x - c_a|^2), and repeat until a pass on freshly summed
 * means finds no such move.  Every move lowers the WCSS, so this ends; a
 * partition it leaves has every point strictly nearest its own centre.
 */
static void
single_moves(const double *x, size_t n, int d, int k, int max_pass, kwork *w,
			 kmeans_tick tick)
{
	int			pass;

	recompute_centers(x, n, d, k, w);
	for (pass = 0; pass < max_pass; pass++)
	{
		size_t		i;
		int			moved = 0,
					c;

		if (tick)
			tick();
		for (c = 0; c < k; c++)
			set_factors(w, c);
		for (i = 0; i < n; i++)
		{
			const double *p = x + i * d;
			int			a = w->assign[i];
			double		best;
			int			b,
						bestc = -1;

			tick_every(tick, i);
			if (w->cnt[a] < 2)
				continue;
			best = w->an1[a] * dist2(p, w->cur + (size_t) a * d, d) * (1.0 - MOVE_TOL);
			for (b = 0; b < k; b++)
			{
				double		add;

				if (b == a)
					continue;
				add = w->an2[b] * dist2(p, w->cur + (size_t) b * d, d);
				if (add < best)
				{
					best = add;
					bestc = b;
				}
			}
			if (bestc < 0)
				continue;
			transfer(p, i, a, bestc, d, w);
			moved = 1;
		}
		recompute_centers(x, n, d, k, w);
		if (!moved)
			break;
	}
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

double
kmeans_totss(const double *x, size_t n, int d)
{
	double		s = 0.0;
	size_t		i;
	int			j;

	for (j = 0; j < d; j++)
	{
		double		m = 0.0;

		for (i = 0; i < n; i++)
			m += x[i * d + j];
		m /= (double) n;
		for (i = 0; i < n; i++)
		{
			double		t = x[i * d + j] - m;

			s += t * t;
		}
	}
	return s;
}

/*
 * Restarts by default: as many as a budget of KMEANS_BUDGET point-centre-
 * coordinate terms allows at one assignment pass (n * k * d terms) per
 * restart, at least KMEANS_MIN_NSTART (R's nstart = 10), at most
 * KMEANS_MAX_NSTART.  459 restarts reach, with probability 99%, any local
 * optimum that at least 1% of the restarts end in (0.99^459 < 0.01): on
 * R's data sets the rarest optimum as good as R's best of 10 was reached by
 * 1.6% of our restarts (docs/segmentation.md).  The budget keeps that
 * thoroughness for tables of a few thousand rows and falls back to R's 10
 * restarts on large ones, whose fits cost the most.
 */
int
kmeans_default_nstart(size_t n, int d, int k)
{
	double		r = KMEANS_BUDGET / ((double) n * (double) k * (double) d);

	if (r >= KMEANS_MAX_NSTART)
		return KMEANS_MAX_NSTART;
	if (r <= KMEANS_MIN_NSTART)
		return KMEANS_MIN_NSTART;
	return (int) r;
}

void
kmeans_config_default(kmeans_config *cfg)
{
	cfg->nstart = 0;
	cfg->max_iter = KMEANS_MAX_ITER;
	cfg->steps = KMEANS_STEPS_DEFAULT;
	cfg->tick = NULL;
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

/* sift index i down a max-heap of n indices into rows of x */
static void
sift_down_index(int *idx, const double *x, size_t i, size_t n, int d)
{
	for (;;)
	{
		size_t		c = 2 * i + 1;
		int			t;

		if (c >= n)
			return;
		if (c + 1 < n && row_cmp(x + (size_t) idx[c + 1] * d, x + (size_t) idx[c] * d, d) > 0)
			c++;
		if (row_cmp(x + (size_t) idx[c] * d, x + (size_t) idx[i] * d, d) <= 0)
			return;
		t = idx[c];
		idx[c] = idx[i];
		idx[i] = t;
		i = c;
	}
}

/* idx[0 .. k-1]: the rows of x (k rows of d) in lexicographic order */
static void
sort_index(int *idx, const double *x, int k, int d)
{
	size_t		i;

	for (i = 0; i < (size_t) k; i++)
		idx[i] = (int) i;
	for (i = (size_t) k / 2; i-- > 0;)
		sift_down_index(idx, x, i, (size_t) k, d);
	for (i = (size_t) k - 1; i > 0 && k > 1; i--)
	{
		int			t = idx[0];

		idx[0] = idx[i];
		idx[i] = t;
		sift_down_index(idx, x, 0, i, d);
	}
}

/*
 * Write the best restart's clustering (assignment in w->best) into res:
 * exact means, sizes and sums of squares, centre rows sorted.
 */
static void
write_result(const double *x, size_t n, int d, int k, kwork *w,
			 kmeans_result *res)
{
	size_t		i;
	int			c;

	memcpy(w->assign, w->best, sizeof(int) * n);
	recompute_centers(x, n, d, k, w);
	/* the per-cluster sums go into mind[0 .. k-1] (n >= k) */
	for (c = 0; c < k; c++)
		w->mind[c] = 0.0;
	for (i = 0; i < n; i++)
		w->mind[w->assign[i]] += dist2(x + i * d, w->cur + (size_t) w->assign[i] * d, d);
	sort_index(w->order, w->cur, k, d);
	res->wcss = 0.0;
	for (c = 0; c < k; c++)
	{
		int			o = w->order[c];

		memcpy(res->centers + (size_t) c * d, w->cur + (size_t) o * d, sizeof(double) * d);
		if (res->withinss)
			res->withinss[c] = w->mind[o];
		if (res->sizes)
			res->sizes[c] = (int64_t) w->cnt[o];
		res->wcss += w->mind[o];
	}
}

kmeans_status
kmeans_fit(const double *x, size_t n, int d, int k, uint64_t seed,
		   const kmeans_config *cfg, kmeans_result *res, void *work)
{
	kmeans_config def;
	crm_rng		rng;
	kwork		w;
	int			s;
	int			nstart;
	double		best = DBL_MAX;

	if (k < 1 || (size_t) k > n)
		return KMEANS_BAD_K;
	if (cfg == NULL)
	{
		kmeans_config_default(&def);
		cfg = &def;
	}
	nstart = cfg->nstart > 0 ? cfg->nstart : kmeans_default_nstart(n, d, k);
	layout(&w, work, n, d, k);
	crm_rng_seed(&rng, seed);
	res->best_found = 0;
	for (s = 0; s < nstart; s++)
	{
		double		t;

		if (!seed_plus_plus(x, n, d, k, &rng, &w, cfg->tick))
			return KMEANS_TOO_FEW_DISTINCT;
		/* the seeds are distinct points, so no cluster starts empty */
		nearest_two(x, n, d, k, &w, cfg->tick);
		recompute_centers(x, n, d, k, &w);
		if (cfg->steps & KMEANS_STEP_LLOYD)
		{
			lloyd(x, n, d, k, cfg->max_iter, &w, cfg->tick);
			/* fresh second choices; a final Lloyd step may leave one empty */
			fill_empty(x, n, d, k, &w, cfg->tick);
			nearest_two(x, n, d, k, &w, cfg->tick);
			recompute_centers(x, n, d, k, &w);
		}
		if (cfg->steps & KMEANS_STEP_HW)
			hartigan_wong(x, n, d, k, cfg->max_iter, &w, cfg->tick);
		if (cfg->steps & KMEANS_STEP_MOVES)
			single_moves(x, n, d, k, cfg->max_iter, &w, cfg->tick);
		else
			recompute_centers(x, n, d, k, &w);
		t = total_wcss(x, n, d, &w);
		if (s == 0 || t < best * (1.0 - 1e-12))
		{
			best = t;
			res->best_found = 1;
			memcpy(w.best, w.assign, sizeof(int) * n);
		}
		else if (t <= best * (1.0 + 1e-12))
			res->best_found++;
	}
	res->nstart = nstart;
	write_result(x, n, d, k, &w, res);
	return KMEANS_OK;
}
