/*
 * timing.h
 *		Distributions of durations (time to convert between funnel steps) as
 *		exact sums plus a log-linear histogram: pure C99 (and the __int128
 *		type of GCC and Clang), no PostgreSQL headers, caller-owned memory.
 *
 * A duration is an int64 >= 0 (the glue uses microseconds).  A distribution
 * keeps, exactly, how many durations it holds, their sum (128 bits: it
 * cannot overflow for fewer than 2^64 durations), their minimum and their
 * maximum; and, for quantiles and histograms, either
 *
 *	- exactly: each distinct duration with its count, while there are at
 *	  most FT_EXACT_MAX distinct durations (a small population: one sales
 *	  rep's month, a rollup row), or
 *	- a histogram: how many fall in each bucket of a fixed log-linear grid:
 *	  durations 0 .. 2 * FT_SUB - 1 have a bucket each (exact); above, each
 *	  power of two [2^k, 2^(k+1)) is cut into FT_SUB buckets of equal width
 *	  2^(k - FT_SUB_BITS), so a bucket is never wider than 1/FT_SUB of its
 *	  lower bound.
 *
 * A bucket's representative is its midpoint (clamped to [min, max]); it is
 * within 1 / (2 * FT_SUB) of every duration in the bucket, relative to that
 * duration, so a quantile estimate is within that relative error of the
 * exact order statistic.  The grid is integer arithmetic (no log()), so
 * every server puts a duration in the same bucket, and merging two
 * distributions gives exactly the distribution of the union: exact when the
 * union has at most FT_EXACT_MAX distinct durations, else the histogram of
 * the union.  So the result never depends on the order of merges or on a
 * parallel plan.  Both forms are sparse lists: ascending keys (durations,
 * or bucket numbers) with positive counts.
 */
#ifndef CRM_TIMING_H
#define CRM_TIMING_H

#include <stddef.h>
#include <stdint.h>

#define FT_SUB_BITS		7
#define FT_SUB			(1 << FT_SUB_BITS)	/* buckets per power of two: 128 */
#define FT_LINEAR		(2 * FT_SUB)	/* durations below this: exact */
/* durations < 2^63: powers 2^8 .. 2^62 above the linear part */
#define FT_NBUCKETS		(FT_LINEAR + (62 - FT_SUB_BITS) * FT_SUB)	/* 7296 */
/* most distinct durations kept exactly */
#define FT_EXACT_MAX	128

/*
 * Declared 8-byte aligned, as dec128 (numeric/decimal128.h): palloc() and
 * malloc() guarantee no more, and with the default 16 a struct holding one
 * (a parsed section of the text input) was misaligned (UBSan).
 */
typedef unsigned __int128 ft_u128 __attribute__((aligned(8)));

/* One distribution, as views of caller-owned arrays. */
typedef struct FtDist
{
	int64_t		n;				/* durations held (sum of cnt[]) */
	int64_t		min;
	int64_t		max;
	ft_u128		sum;
	int			exact;			/* keys are durations, else bucket numbers */
	int32_t		nb;				/* keys */
	const int64_t *key;			/* ascending */
	const int64_t *cnt;			/* their counts, > 0 */
} FtDist;

/* Status codes of ft_check. */
#define FT_OK			0
#define FT_BAD_BUCKET	1		/* key out of range or not ascending, or too many */
#define FT_BAD_COUNT	2		/* a count <= 0, or counts do not add up to n */
#define FT_BAD_RANGE	3		/* min/max not in the first/last bucket, or min > max */
#define FT_BAD_SUM		4		/* sum outside what min, max and n allow (exact: not the sum) */

/* The bucket of duration v (v >= 0). */
extern int	ft_bucket(int64_t v);

/* The smallest and the largest duration of bucket i (0 <= i < FT_NBUCKETS). */
extern int64_t ft_bucket_lo(int i);
extern int64_t ft_bucket_hi(int i);

/* Is d consistent (n >= 1)?  FT_OK or the first problem found. */
extern int	ft_check(const FtDist *d);

/* The mean, rounded to the nearest unit (halves up); n >= 1. */
extern int64_t ft_mean(const FtDist *d);

/*
 * The p-quantile (0 <= p <= 1) in the sense of percentile_disc: the r-th
 * smallest duration with r = ceil(p * n) (at least 1).  Exact for an exact
 * distribution, for r = 1 (min), r = n (max) and buckets of width 1;
 * otherwise the representative of the bucket holding it.  n >= 1.
 */
extern int64_t ft_quantile(const FtDist *d, double p);

/*
 * Counts per bin of edges e[0] < ... < e[m-1] (m >= 1): bin 0 is [0, e[0]),
 * bin j is [e[j-1], e[j]), bin m is [e[m-1], infinity).  Exact for an exact
 * distribution.  Otherwise a bucket lying in one bin counts there exactly;
 * a bucket across an edge counts in the bin of its representative, and the
 * bins on both sides of that edge are marked inexact (exact[j] = 0).
 * counts and exact have m + 1 elements.
 */
extern void ft_histogram(const FtDist *d, const int64_t *edges, int m,
						 int64_t *counts, unsigned char *exact);

/* The number of distinct keys of two ascending key lists. */
extern int32_t ft_union_size(const int64_t *ka, int32_t na,
							 const int64_t *kb, int32_t nb);

/*
 * Merge two sparse lists into (ko, co), which may be a's own arrays with
 * room for the union: the merge runs from the last element down, so
 * ko == ka and co == ca are allowed (in-place merge).  Returns the union
 * size, or -1 if a count overflows int64.
 */
extern int32_t ft_merge_buckets(const int64_t *ka, const int64_t *ca, int32_t na,
								const int64_t *kb, const int64_t *cb, int32_t nb,
								int64_t *ko, int64_t *co);

/*
 * Add count c to key k of a sparse list with room for cap entries: a
 * binary search, then an insertion that shifts the later entries.
 * Returns 0, -1 when a new entry does not fit (nothing changed), -2 when
 * the count overflows int64.
 */
extern int	ft_add_bucket(int64_t *key, int64_t *cnt, int32_t *nb, int32_t cap,
						  int64_t k, int64_t c);

/*
 * Exact durations (ascending, with counts) -> their histogram, into
 * (ko, co), which may be (vals, cnt) themselves.  Returns the number of
 * buckets.
 */
extern int32_t ft_to_buckets(const int64_t *vals, const int64_t *cnt, int32_t n,
							 int64_t *ko, int64_t *co);

/* 128-bit sum as decimal text (at most 40 bytes with the NUL). */
extern void ft_u128_format(ft_u128 v, char *buf);

/* Parse decimal digits s[0..len) into *v; 0 on success, -1 on junk or overflow. */
extern int	ft_u128_parse(const char *s, size_t len, ft_u128 *v);

#endif							/* CRM_TIMING_H */
