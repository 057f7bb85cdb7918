/*
 * rfm_bins.h
 *		RFM scoring in pure C99: quantile bin edges (R's quantile type 7, the
 *		same linear interpolation pandas uses), pandas-qcut-style binning with
 *		duplicate edges dropped, SQL-NTILE-style equal-size buckets, and the
 *		named RFM segment grid.
 *
 * Memory belongs to the caller; nothing here allocates, reports errors or
 * keeps global state.
 */
#ifndef CRM_RFM_BINS_H
#define CRM_RFM_BINS_H

#include <stddef.h>
#include <stdint.h>

/* bucket counts the rfm type can hold: one digit per score */
#define RFM_MIN_BUCKETS 2
#define RFM_MAX_BUCKETS 9
#define RFM_DEFAULT_BUCKETS 5

/* number of named segments of rfm_segment_index() */
#define RFM_NSEGMENTS 11

/* one value of a population and its position (the tie-breaker) */
typedef struct rfm_item
{
	double		v;
	int64_t		pos;
} rfm_item;

/* Sort by value, then position (ascending). */
extern void rfm_sort_items(rfm_item *items, size_t n);

/*
 * Quantile bin edges of sorted[0..n-1] (n >= 1) at probabilities k/q,
 * k = 0..q, with R's type-7 arithmetic, duplicates dropped.  edges must have
 * room for q + 1 values; returns how many distinct edges were written (1 ..
 * q + 1).
 */
extern int	rfm_quantile_edges(const rfm_item *sorted, size_t n, int q,
							   double *edges);

/*
 * Bin of v among nedges ascending edges: bins are (e[j-1], e[j]], the first
 * one also holds e[0]; returns 1 .. nedges - 1.  Values below e[0] go to bin
 * 1 and above the last edge to the top bin (new customers scored with stored
 * edges); with a single edge everything is bin 1.
 */
extern int	rfm_bin(const double *edges, int nedges, double v);

/*
 * Quantile scores of a sorted population: score[pos] = bin of the value.
 * Equal values always share a score.
 */
extern void rfm_scores_quantile(const rfm_item *sorted, size_t n,
								const double *edges, int nedges,
								uint8_t *score);

/*
 * Equal-size buckets as SQL NTILE(q) over the sorted order: the first
 * n mod q buckets get one more row.  score[pos] = 1 .. min(q, n).
 */
extern void rfm_scores_ntile(const rfm_item *sorted, size_t n, int q,
							 uint8_t *score);

/*
 * Named segment of 1..5 scores (see the grid in rfm_bins.c and the README):
 * 0 .. RFM_NSEGMENTS - 1, or -1 if a score is out of 1..5.
 */
extern int	rfm_segment_index(int r, int f, int m);
extern const char *rfm_segment_name(int index);
/* lifecycle stage suggested by a segment: "new", "loyal" or "churned" */
extern const char *rfm_segment_stage(int index);

#endif							/* CRM_RFM_BINS_H */
