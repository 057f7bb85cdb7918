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

void
test_kmeans(void)
{
	crm_rng		rng;
	double		x[12] = {0, 0, 0, 1, 1, 0, 10, 10, 10, 11, 11, 10};
	double		c[4],
				c2[4],
				w,
				w2;
	void	   *work = malloc(kmeans_work_bytes(6, 2, 2));
	double		dup[6] = {1, 1, 1, 1, 1, 1};
	double		rows[6] = {3, 1, 1, 2, 1, 1};

	/* splitmix64 from state 0 gives 0xe220a8397b1dcdaf first (Vigna's reference) */
	crm_rng_seed(&rng, 0);
	CHECK("splitmix64 first output", rng.s[0] == UINT64_C(0xe220a8397b1dcdaf));
	CHECK("double in [0,1)", crm_rng_double(&rng) < 1.0);

	/* two blobs: centres (1/3, 1/3) and (31/3, 31/3), WCSS 4 * (2/3) = 8/3 */
	CHECK("fit ok", kmeans_fit(x, 6, 2, 2, 1, 10, 100, c, &w, work, NULL) == KMEANS_OK);
	CHECK("centre 1", fabs(c[0] - 1.0 / 3) < 1e-12 && fabs(c[1] - 1.0 / 3) < 1e-12);
	CHECK("centre 2", fabs(c[2] - 31.0 / 3) < 1e-12 && fabs(c[3] - 31.0 / 3) < 1e-12);
	CHECK("wcss", fabs(w - 8.0 / 3) < 1e-12);
	kmeans_fit(x, 6, 2, 2, 1, 10, 100, c2, &w2, work, NULL);
	kmeans_fit(x, 6, 2, 2, 1, 10, 100, c2, &w2, work, count_tick);
	CHECK("tick called", ticks >= 20);
	/*
	 * Within a pass too: 1000 points, no Lloyd iteration, no Hartigan pass
	 * (max_iter 0): the k-means++ centre and the first assignment pass
	 * (points 0, 256, 512, 768) still tick, so a pass of n * k * d work can
	 * be cancelled.
	 */
	{
		double	   *big = malloc(sizeof(double) * 1000);
		void	   *bw = malloc(kmeans_work_bytes(1000, 1, 2));
		double		cb[2],
					wb;
		int			i;

		for (i = 0; i < 1000; i++)
			big[i] = i;
		ticks = 0;
		kmeans_fit(big, 1000, 1, 2, 1, 1, 0, cb, &wb, bw, count_tick);
		CHECK("tick within a pass", ticks >= 5);
		free(big);
		free(bw);
	}
	CHECK("deterministic", memcmp(c, c2, sizeof(c)) == 0 && w == w2);
	CHECK("closest", kmeans_closest(x + 6, c, 2, 2) == 1 && kmeans_closest(x, c, 2, 2) == 0);
	CHECK("k > n", kmeans_fit(x, 1, 2, 2, 1, 10, 100, c, &w, work, NULL) == KMEANS_BAD_K);
	CHECK("k < 1", kmeans_fit(x, 6, 2, 0, 1, 10, 100, c, &w, work, NULL) == KMEANS_BAD_K);
	CHECK("too few distinct", kmeans_fit(dup, 3, 2, 2, 1, 10, 100, c, &w, work, NULL) ==
		  KMEANS_TOO_FEW_DISTINCT);
	kmeans_sort_points(rows, 3, 2);
	CHECK("sort rows", rows[0] == 1 && rows[1] == 1 && rows[2] == 1 && rows[3] == 2 &&
		  rows[4] == 3 && rows[5] == 1);
	free(work);
}
