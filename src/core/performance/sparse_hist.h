/*
 * sparse_hist.h
 *		Exact sparse histograms over integer keys, in pure C99: sorted
 *		distinct keys with a count each.
 *
 * deal_stats keeps two: the sales-cycle lengths of won deals in whole days
 * (exact: a day count is an integer, so the histogram holds every value and
 * merging two histograms by adding counts loses nothing), and the won deal
 * sizes as log-scale bucket keys (sh_size_key): a bucket spans a factor of
 * SH_GAMMA, so a bucket's value is within SH_ALPHA of every amount in it.
 * Both merge exactly: a histogram depends only on the multiset of keys.
 * Caller-owned memory, no globals.
 */
#ifndef CRM_SPARSE_HIST_H
#define CRM_SPARSE_HIST_H

#include <stdint.h>

/* bucket growth of the size histogram and its relative accuracy */
#define SH_GAMMA 1.01
#define SH_ALPHA ((SH_GAMMA - 1.0) / (SH_GAMMA + 1.0))

extern int	sh_find(const int32_t *keys, int n, int32_t key, int *pos);
extern int	sh_merge_count(const int32_t *ak, int an, const int32_t *bk, int bn);
extern int	sh_merge(const int32_t *ak, const int64_t *ac, int an,
					 const int32_t *bk, const int64_t *bc, int bn,
					 int32_t *ok, int64_t *oc);
extern int	sh_total(const int64_t *counts, int n, int64_t *total);
extern int32_t sh_key_at_rank(const int32_t *keys, const int64_t *counts, int n,
							  int64_t rank);
extern double sh_percentile_cont(const int32_t *keys, const int64_t *counts,
								 int n, double p);
extern int	sh_percentile_tenths(const int32_t *keys, const int64_t *counts,
								 int n, int num, int den, int64_t *tenths);
extern int	sh_key_sum(const int32_t *keys, const int64_t *counts, int n,
					   __int128 *sum);
extern int32_t sh_size_key(double amount);
extern double sh_size_value(int32_t key);

#endif							/* CRM_SPARSE_HIST_H */
