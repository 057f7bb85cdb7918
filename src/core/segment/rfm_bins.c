/*
 * rfm_bins.c
 *		RFM binning and the named segment grid (see rfm.h).
 */
#include "segment/rfm_bins.h"

#include <math.h>
#include <stdlib.h>

/* qsort comparator: value, then position */
static int
item_cmp(const void *a, const void *b)
{
	const rfm_item *x = (const rfm_item *) a;
	const rfm_item *y = (const rfm_item *) b;

	if (x->v < y->v)
		return -1;
	if (x->v > y->v)
		return 1;
	return (x->pos > y->pos) - (x->pos < y->pos);
}

/* Sort by value, then position. */
void
rfm_sort_items(rfm_item *items, size_t n)
{
	qsort(items, n, sizeof(rfm_item), item_cmp);
}

/*
 * Quantile edges with R's type-7 arithmetic, step for step as R 4.2's
 * quantile.default does it (index = 1 + (n - 1) p, interpolate only when the
 * neighbours differ), so edges equal R's to the last bit; then the
 * duplicates are dropped as pandas qcut(duplicates = 'drop') and R's
 * unique() do.
 */
int
rfm_quantile_edges(const rfm_item *sorted, size_t n, int q, double *edges)
{
	int			k;
	int			ne = 0;

	for (k = 0; k <= q; k++)
	{
		double		p = (double) k / (double) q;
		double		index = 1.0 + (double) (n - 1) * p;
		double		lo = floor(index);
		double		hi = ceil(index);
		double		qs = sorted[(size_t) lo - 1].v;
		double		xhi = sorted[(size_t) hi - 1].v;

		if (index > lo && xhi != qs)
		{
			double		h = index - lo;

			qs = (1.0 - h) * qs + h * xhi;
		}
		if (ne == 0 || qs != edges[ne - 1])
			edges[ne++] = qs;
	}
	return ne;
}

/* Bin of v: smallest j >= 1 with v <= e[j], clamped to 1 .. nedges - 1. */
int
rfm_bin(const double *edges, int nedges, double v)
{
	int			lo = 1,
				hi = nedges - 1;

	if (nedges < 2)
		return 1;
	if (v > edges[hi])
		return hi;
	while (lo < hi)
	{
		int			mid = lo + (hi - lo) / 2;

		if (v <= edges[mid])
			hi = mid;
		else
			lo = mid + 1;
	}
	return lo;
}

/* Quantile scores in one sweep of the sorted values. */
void
rfm_scores_quantile(const rfm_item *sorted, size_t n,
					const double *edges, int nedges, uint8_t *score)
{
	size_t		i;
	int			bin = 1;

	for (i = 0; i < n; i++)
	{
		while (bin < nedges - 1 && sorted[i].v > edges[bin])
			bin++;
		score[sorted[i].pos] = (uint8_t) bin;
	}
}

/* NTILE(q): bucket sizes n / q, the first n % q buckets one larger. */
void
rfm_scores_ntile(const rfm_item *sorted, size_t n, int q, uint8_t *score)
{
	size_t		per = n / (size_t) q;
	size_t		extra = n % (size_t) q;
	size_t		i = 0;
	int			b;

	for (b = 1; b <= q && i < n; b++)
	{
		size_t		size = per + ((size_t) (b - 1) < extra ? 1 : 0);
		size_t		j;

		for (j = 0; j < size && i < n; j++, i++)
			score[sorted[i].pos] = (uint8_t) b;
	}
}

/*
 * The segment grid: rows R = 5 .. 1, columns FM = 1 .. 5 where
 * FM = round-half-up((F + M) / 2).  Every cell lies inside the R and FM
 * ranges of the widely used 11-segment RFM table (Putler, "RFM Analysis For
 * Successful Customer Segmentation"); where those ranges overlap, the
 * cell was given to one segment as documented in the README.
 */
enum
{
	SEG_CHAMPIONS,
	SEG_LOYAL,
	SEG_POTENTIAL,
	SEG_NEW,
	SEG_PROMISING,
	SEG_ATTENTION,
	SEG_SLEEP,
	SEG_RISK,
	SEG_CANNOT_LOSE,
	SEG_HIBERNATING,
	SEG_LOST
};

static const signed char grid[5][5] = {
	/* R = 5 */ {SEG_NEW, SEG_POTENTIAL, SEG_POTENTIAL, SEG_CHAMPIONS, SEG_CHAMPIONS},
	/* R = 4 */ {SEG_PROMISING, SEG_POTENTIAL, SEG_POTENTIAL, SEG_CHAMPIONS, SEG_CHAMPIONS},
	/* R = 3 */ {SEG_PROMISING, SEG_ATTENTION, SEG_LOYAL, SEG_LOYAL, SEG_LOYAL},
	/* R = 2 */ {SEG_SLEEP, SEG_SLEEP, SEG_RISK, SEG_RISK, SEG_RISK},
	/* R = 1 */ {SEG_LOST, SEG_HIBERNATING, SEG_RISK, SEG_CANNOT_LOSE, SEG_CANNOT_LOSE},
};

static const char *const seg_names[RFM_NSEGMENTS] = {
	"Champions", "Loyal Customers", "Potential Loyalist", "New Customers",
	"Promising", "Need Attention", "About To Sleep", "At Risk",
	"Cannot Lose Them", "Hibernating", "Lost"
};

static const char *const seg_stages[RFM_NSEGMENTS] = {
	"loyal", "loyal", "new", "new", "new", "new", "new", "loyal", "loyal",
	"churned", "churned"
};

/* Segment of 1..5 scores, or -1. */
int
rfm_segment_index(int r, int f, int m)
{
	int			fm;

	if (r < 1 || r > 5 || f < 1 || f > 5 || m < 1 || m > 5)
		return -1;
	fm = (f + m + 1) / 2;
	return grid[5 - r][fm - 1];
}

/* Name of a segment index. */
const char *
rfm_segment_name(int index)
{
	return (index >= 0 && index < RFM_NSEGMENTS) ? seg_names[index] : NULL;
}

/* Lifecycle stage a segment suggests. */
const char *
rfm_segment_stage(int index)
{
	return (index >= 0 && index < RFM_NSEGMENTS) ? seg_stages[index] : NULL;
}
