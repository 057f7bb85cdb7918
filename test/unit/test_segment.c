/*
 * test_segment.c
 *		Unit tests of src/core/segment/rfm_bins.c and src/core/segment/kmeans.c.  Expected values
 *		are worked out by hand or with R (cited at each check).
 */
#include <math.h>
#include <stdlib.h>

#include "segment/kmeans.h"
#include "segment/rfm_bins.h"
#include "unit.h"

/* fill items from values, positions 0..n-1, and sort */
static void
items_of(rfm_item *it, const double *v, size_t n)
{
	size_t		i;

	for (i = 0; i < n; i++)
	{
		it[i].v = v[i];
		it[i].pos = (int64_t) i;
	}
	rfm_sort_items(it, n);
}

void
test_rfm(void)
{
	/* given out of order on purpose */
	double		ten[] = {10, 9, 8, 7, 6, 5, 4, 3, 2, 1};
	double		ties[] = {2, 1, 1, 1, 1};
	double		same[] = {3, 3, 3};
	rfm_item	it[10];
	double		e[10];
	uint8_t		s[10];
	int			ne;
	int			i;

	/* R: quantile(1:10, (0:5)/5, type = 7) = 1 2.8 4.6 6.4 8.2 10 */
	items_of(it, ten, 10);
	ne = rfm_quantile_edges(it, 10, 5, e);
	CHECK("edges 1..10 count", ne == 6);
	CHECK("edges 1..10", e[0] == 1 && fabs(e[1] - 2.8) < 1e-15 &&
		  fabs(e[2] - 4.6) < 1e-15 && fabs(e[3] - 6.4) < 1e-15 &&
		  fabs(e[4] - 8.2) < 1e-15 && e[5] == 10);
	rfm_scores_quantile(it, 10, e, ne, s);
	/* value 10 - i at position i: 1,2 -> 1; 3,4 -> 2; ... 9,10 -> 5 */
	for (i = 0; i < 10; i++)
		CHECK("quantile score 1..10", s[i] == (uint8_t) ((10 - i + 1) / 2));
	rfm_scores_ntile(it, 10, 3, s);
	/* NTILE(3) over 10 rows: sizes 4, 3, 3 */
	CHECK("ntile 10/3", s[9] == 1 && s[6] == 1 && s[5] == 2 && s[3] == 2 &&
		  s[2] == 3 && s[0] == 3);
	rfm_scores_ntile(it, 2, 5, s);
	CHECK("ntile fewer rows than buckets", s[9] == 1 && s[8] == 2);

	/* R: unique(quantile(c(2,1,1,1,1), (0:5)/5)) = 1 1.2 2 */
	items_of(it, ties, 5);
	ne = rfm_quantile_edges(it, 5, 5, e);
	CHECK("edges with ties", ne == 3 && e[0] == 1 && fabs(e[1] - 1.2) < 1e-15 && e[2] == 2);
	rfm_scores_quantile(it, 5, e, ne, s);
	CHECK("equal values equal scores", s[0] == 2 && s[1] == 1 && s[2] == 1 && s[3] == 1 && s[4] == 1);

	items_of(it, same, 3);
	ne = rfm_quantile_edges(it, 3, 5, e);
	CHECK("all equal: one edge", ne == 1);
	rfm_scores_quantile(it, 3, e, ne, s);
	CHECK("all equal: score 1", s[0] == 1 && s[1] == 1 && s[2] == 1);

	/* stored edges: clamping of new values */
	{
		double		ed[] = {0, 10, 20};

		CHECK("bin below", rfm_bin(ed, 3, -5) == 1);
		CHECK("bin lowest edge", rfm_bin(ed, 3, 0) == 1);
		CHECK("bin on edge", rfm_bin(ed, 3, 10) == 1);
		CHECK("bin above edge", rfm_bin(ed, 3, 10.5) == 2);
		CHECK("bin above", rfm_bin(ed, 3, 99) == 2);
		CHECK("bin single edge", rfm_bin(ed, 1, 99) == 1);
	}

	/* the grid (README table): FM = round-half-up((F + M) / 2) */
	CHECK_STR("seg 555", rfm_segment_name(rfm_segment_index(5, 5, 5)), "Champions");
	CHECK_STR("seg 111", rfm_segment_name(rfm_segment_index(1, 1, 1)), "Lost");
	CHECK_STR("seg 154", rfm_segment_name(rfm_segment_index(1, 5, 4)), "Cannot Lose Them");
	CHECK_STR("seg 323", rfm_segment_name(rfm_segment_index(3, 2, 3)), "Loyal Customers");
	CHECK_STR("seg 322", rfm_segment_name(rfm_segment_index(3, 2, 2)), "Need Attention");
	CHECK_STR("seg 511", rfm_segment_name(rfm_segment_index(5, 1, 1)), "New Customers");
	CHECK_STR("seg 412", rfm_segment_name(rfm_segment_index(4, 1, 2)), "Potential Loyalist");
	CHECK_STR("seg 311", rfm_segment_name(rfm_segment_index(3, 1, 1)), "Promising");
	CHECK_STR("seg 221", rfm_segment_name(rfm_segment_index(2, 2, 1)), "About To Sleep");
	CHECK_STR("seg 233", rfm_segment_name(rfm_segment_index(2, 3, 3)), "At Risk");
	CHECK_STR("seg 112", rfm_segment_name(rfm_segment_index(1, 1, 2)), "Hibernating");
	CHECK_STR("stage of Lost", rfm_segment_stage(rfm_segment_index(1, 1, 1)), "churned");
	CHECK("seg out of range", rfm_segment_index(6, 1, 1) == -1 && rfm_segment_index(1, 0, 1) == -1);
}

static int	ticks = 0;

static void
count_tick(void)
{
	ticks++;
}

/* fit with the default configuration but nstart restarts and the given steps */
static kmeans_status
fit_steps(const double *x, size_t n, int d, int k, uint64_t seed, int nstart,
		  unsigned steps, kmeans_tick tick, kmeans_result *res, void *work)
{
	kmeans_config cfg;

	kmeans_config_default(&cfg);
	cfg.nstart = nstart;
	cfg.steps = steps;
	cfg.tick = tick;
	return kmeans_fit(x, n, d, k, seed, &cfg, res, work);
}

/*
 * Whether a result is a Hartigan local optimum of x: its centres are the
 * means of the points nearest them, sizes and sums of squares match, and no
 * single point can move to another cluster and lower the WCSS (the test of
 * Hartigan & Wong: n_b / (n_b + 1) |x - c_b|^2 < n_a / (n_a - 1) |x - c_a|^2).
 */
static int
hartigan_stable(const double *x, size_t n, int d, int k, const kmeans_result *r)
{
	double	   *mean = calloc((size_t) k * d, sizeof(double));
	double	   *ss = calloc((size_t) k, sizeof(double));
	int64_t    *cnt = calloc((size_t) k, sizeof(int64_t));
	double		total = 0.0;
	int			ok = 1;
	size_t		i;
	int			c,
				j;

	for (i = 0; i < n; i++)
	{
		c = kmeans_closest(x + i * d, r->centers, k, d);
		cnt[c]++;
		for (j = 0; j < d; j++)
			mean[(size_t) c * d + j] += x[i * d + j];
	}
	for (c = 0; c < k; c++)
	{
		ok = ok && cnt[c] == r->sizes[c] && cnt[c] > 0;
		for (j = 0; j < d && cnt[c] > 0; j++)
			ok = ok && fabs(mean[(size_t) c * d + j] / cnt[c] - r->centers[(size_t) c * d + j]) <=
				1e-12 * (1.0 + fabs(r->centers[(size_t) c * d + j]));
	}
	for (i = 0; i < n && ok; i++)
	{
		int			a = kmeans_closest(x + i * d, r->centers, k, d);
		double		da = 0.0;

		for (j = 0; j < d; j++)
			da += (x[i * d + j] - r->centers[(size_t) a * d + j]) *
				(x[i * d + j] - r->centers[(size_t) a * d + j]);
		ss[a] += da;
		total += da;
		if (cnt[a] < 2)
			continue;
		for (c = 0; c < k; c++)
		{
			double		db = 0.0;

			if (c == a)
				continue;
			for (j = 0; j < d; j++)
				db += (x[i * d + j] - r->centers[(size_t) c * d + j]) *
					(x[i * d + j] - r->centers[(size_t) c * d + j]);
			if ((double) cnt[c] / (cnt[c] + 1) * db <
				(double) cnt[a] / (cnt[a] - 1) * da * (1.0 - 1e-9))
				ok = 0;
		}
	}
	for (c = 0; c < k && ok; c++)
		ok = fabs(ss[c] - r->withinss[c]) <= 1e-9 * (1.0 + total);
	ok = ok && fabs(total - r->wcss) <= 1e-9 * total;
	free(mean);
	free(ss);
	free(cnt);
	return ok;
}

void
test_kmeans(void)
{
	crm_rng		rng;
	double		x[12] = {0, 0, 0, 1, 1, 0, 10, 10, 10, 11, 11, 10};
	double		c[4],
				c2[4],
				ws[2];
	int64_t		sz[2];
	kmeans_result r = {c, ws, sz, 0, 0, 0};
	kmeans_result r2 = {c2, NULL, NULL, 0, 0, 0};
	kmeans_config cfg;
	void	   *work = malloc(kmeans_work_bytes(6, 2, 2));
	double		dup[6] = {1, 1, 1, 1, 1, 1};
	double		rows[6] = {3, 1, 1, 2, 1, 1};

	/* splitmix64 from state 0 gives 0xe220a8397b1dcdaf first (Vigna's reference) */
	crm_rng_seed(&rng, 0);
	CHECK("splitmix64 first output", rng.s[0] == UINT64_C(0xe220a8397b1dcdaf));
	CHECK("double in [0,1)", crm_rng_double(&rng) < 1.0);

	/* two blobs: centres (1/3, 1/3) and (31/3, 31/3), WCSS 4 * (2/3) = 8/3 */
	CHECK("fit ok", kmeans_fit(x, 6, 2, 2, 1, NULL, &r, work) == KMEANS_OK);
	CHECK("centre 1", fabs(c[0] - 1.0 / 3) < 1e-12 && fabs(c[1] - 1.0 / 3) < 1e-12);
	CHECK("centre 2", fabs(c[2] - 31.0 / 3) < 1e-12 && fabs(c[3] - 31.0 / 3) < 1e-12);
	CHECK("wcss", fabs(r.wcss - 8.0 / 3) < 1e-12);
	CHECK("withinss", fabs(ws[0] - 4.0 / 3) < 1e-12 && fabs(ws[1] - 4.0 / 3) < 1e-12);
	CHECK("sizes", sz[0] == 3 && sz[1] == 3);
	/* 6 points x 2 x 2 = 24 terms: the budget allows the most restarts */
	CHECK("restarts", r.nstart == KMEANS_MAX_NSTART && r.best_found == r.nstart);
	kmeans_config_default(&cfg);
	cfg.tick = count_tick;
	kmeans_fit(x, 6, 2, 2, 1, &cfg, &r2, work);
	CHECK("tick called", ticks >= 20);
	CHECK("deterministic", memcmp(c, c2, sizeof(c)) == 0 && r.wcss == r2.wcss);

	/*
	 * Within a pass too: 1000 points, one restart, no refinement step: the
	 * k-means++ centre and the first assignment pass (points 0, 256, 512,
	 * 768) still tick, so a pass of n * k * d work can be cancelled.
	 */
	{
		double	   *big = malloc(sizeof(double) * 1000);
		void	   *bw = malloc(kmeans_work_bytes(1000, 1, 2));
		double		cb[2];
		kmeans_result rb = {cb, NULL, NULL, 0, 0, 0};
		int			i;

		for (i = 0; i < 1000; i++)
			big[i] = i;
		ticks = 0;
		fit_steps(big, 1000, 1, 2, 1, 1, 0, count_tick, &rb, bw);
		CHECK("tick within a pass", ticks >= 5);
		kmeans_fit(big, 1000, 1, 2, 1, NULL, &rb, bw);
		/* 0..999 in two: 0..499 and 500..999, WCSS 2 * (500^3 - 500) / 12 */
		CHECK("two halves", cb[0] == 249.5 && cb[1] == 749.5 &&
			  fabs(rb.wcss - 2 * (500.0 * 500 * 500 - 500) / 12) < 1e-6);
		free(big);
		free(bw);
	}
	CHECK("closest", kmeans_closest(x + 6, c, 2, 2) == 1 && kmeans_closest(x, c, 2, 2) == 0);
	CHECK("k > n", kmeans_fit(x, 1, 2, 2, 1, NULL, &r, work) == KMEANS_BAD_K);
	CHECK("k < 1", kmeans_fit(x, 6, 2, 0, 1, NULL, &r, work) == KMEANS_BAD_K);
	CHECK("too few distinct", kmeans_fit(dup, 3, 2, 2, 1, NULL, &r, work) ==
		  KMEANS_TOO_FEW_DISTINCT);
	kmeans_sort_points(rows, 3, 2);
	CHECK("sort rows", rows[0] == 1 && rows[1] == 1 && rows[2] == 1 && rows[3] == 2 &&
		  rows[4] == 3 && rows[5] == 1);
	/* totss of the blobs: WCSS 8/3 plus 6 points x 2 coordinates x 5^2 (means 1/3 and 31/3 are 5 from 16/3) */
	CHECK("totss", fabs(kmeans_totss(x, 6, 2) - (8.0 / 3 + 300.0)) < 1e-9);
	free(work);

	/*
	 * A partition Lloyd keeps but Hartigan does not: {0, 2} and {2.95, 3.15}
	 * (means 1 and 3.05; 2 is nearer 1), yet moving 2 lowers the WCSS from
	 * 2.02 to 0.755 ({0} and {2, 2.95, 3.15}, mean 2.7: 0.49 + 0.0625 +
	 * 0.2025), which is the optimum the fit must find.
	 */
	{
		double		lx[4] = {0, 2, 2.95, 3.15};
		double		lc[2] = {1, 3.05},
					lw[2] = {2, 0.02};
		int64_t		ls[2] = {2, 2};
		kmeans_result lr = {lc, lw, ls, 2.02, 1, 1};
		void	   *lwk = malloc(kmeans_work_bytes(4, 1, 2));

		CHECK("checker refuses a Lloyd-only optimum", !hartigan_stable(lx, 4, 1, 2, &lr));
		CHECK("fit 4 points", kmeans_fit(lx, 4, 1, 2, 1, NULL, &lr, lwk) == KMEANS_OK);
		CHECK("fit 4 points optimum", lc[0] == 0 && fabs(lc[1] - 2.7) < 1e-15 &&
			  fabs(lr.wcss - 0.755) < 1e-12 && ls[0] == 1 && ls[1] == 3);
		CHECK("fit 4 points stable", hartigan_stable(lx, 4, 1, 2, &lr));
		free(lwk);
	}

	/* the restart rule: most, a budget in between, R's 10 on large inputs */
	CHECK("nstart small", kmeans_default_nstart(100, 4, 7) == KMEANS_MAX_NSTART);
	CHECK("nstart budget", kmeans_default_nstart(3177, 1, 8) == 393);
	CHECK("nstart large", kmeans_default_nstart(100000, 3, 8) == KMEANS_MIN_NSTART);
	CHECK("nstart huge", kmeans_default_nstart((size_t) 1 << 27, 1000, 10000) == KMEANS_MIN_NSTART);

	/*
	 * Every combination of steps gives a consistent clustering (centres the
	 * means, sizes and sums of squares right); those that end with
	 * Hartigan-Wong or the single-point moves give a Hartigan local optimum.
	 * 600 points in 3-D from a fixed generator, k = 7: many local optima.
	 */
	{
		size_t		n = 600;
		int			d = 3,
					k = 7;
		double	   *px = malloc(sizeof(double) * n * d);
		double		pc[21],
					pw[7],
					best_default;
		int64_t		ps[7];
		kmeans_result pr = {pc, pw, ps, 0, 0, 0};
		void	   *pwk = malloc(kmeans_work_bytes(n, d, k));
		unsigned	steps;
		size_t		i;

		crm_rng_seed(&rng, 20261205);
		for (i = 0; i < n * d; i++)
			px[i] = crm_rng_double(&rng) + (i % 7 == 0 ? 3.0 : 0.0);
		kmeans_sort_points(px, n, d);
		for (steps = 0; steps <= 7; steps++)
		{
			int			stable;

			CHECK("steps fit", fit_steps(px, n, d, k, 3, 5, steps, NULL, &pr, pwk) == KMEANS_OK);
			stable = hartigan_stable(px, n, d, k, &pr);
			if (steps & (KMEANS_STEP_HW | KMEANS_STEP_MOVES))
				CHECK("hartigan local optimum", stable);
			CHECK("sizes add up", ps[0] + ps[1] + ps[2] + ps[3] + ps[4] + ps[5] + ps[6] == (int64_t) n);
		}
		/* the default: every step's own restarts can only be matched or beaten */
		CHECK("default fit", kmeans_fit(px, n, d, k, 3, NULL, &pr, pwk) == KMEANS_OK);
		CHECK("default stable", hartigan_stable(px, n, d, k, &pr));
		best_default = pr.wcss;
		CHECK("default restarts", pr.nstart == kmeans_default_nstart(n, d, k) && pr.nstart > 100);
		for (steps = 1; steps <= 7; steps++)
		{
			fit_steps(px, n, d, k, 3, 10, steps, NULL, &pr, pwk);
			CHECK("default no worse than 10 restarts", best_default <= pr.wcss * (1 + 1e-12));
		}
		free(px);
		free(pwk);
	}
}
