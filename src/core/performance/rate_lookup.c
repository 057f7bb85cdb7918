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
