/*
 * rate_lookup.c
 *		The dated exchange rate in force on a day (see rate_lookup.h).
 */
#include "performance/rate_lookup.h"

/* Index of the latest valid_from <= at in the ascending array, or -1. */
int
rate_index(const int32_t *valid_from, int n, int32_t at)
{
	int			lo = 0,
				hi = n;

	if (n == 0 || at < valid_from[0])
		return -1;
	/* a rate for every day (the usual daily feed): the index is the offset */
	if ((int64_t) valid_from[n - 1] - valid_from[0] == n - 1)
		return (int64_t) at - valid_from[0] >= n ? n - 1 : (int) (at - valid_from[0]);

	/* first index whose valid_from > at */
	while (lo < hi)
	{
		int			mid = lo + (hi - lo) / 2;

		if (valid_from[mid] <= at)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo - 1;
}
