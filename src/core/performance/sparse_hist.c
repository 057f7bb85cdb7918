/*
 * sparse_hist.c
 *		Exact sparse histograms over integer keys (see sparse_hist.h).
 */
#include "performance/sparse_hist.h"

#include <math.h>

/* key codes of the size histogram: zero, and the base of negative amounts */
#define SH_ZERO_KEY (-500000)
#define SH_NEG_BASE (-1000000)
/* |log_gamma| of the amounts a numeric sum can hold stays far below this */
#define SH_LOG_LIMIT 400000

/*
 * Binary search: 1 and *pos = its index if key is present, else 0 and
 * *pos = where it would be inserted.
 */
int
sh_find(const int32_t *keys, int n, int32_t key, int *pos)
{
	int			lo = 0,
				hi = n;

	while (lo < hi)
	{
		int			mid = lo + (hi - lo) / 2;

		if (keys[mid] < key)
			lo = mid + 1;
		else
			hi = mid;
	}
	*pos = lo;
	return lo < n && keys[lo] == key;
}

/* Number of distinct keys in the union of two sorted key lists. */
int
sh_merge_count(const int32_t *ak, int an, const int32_t *bk, int bn)
{
	int			i = 0,
				j = 0,
				n = 0;

	while (i < an || j < bn)
	{
		if (j >= bn || (i < an && ak[i] < bk[j]))
			i++;
		else if (i >= an || bk[j] < ak[i])
			j++;
		else
		{
			i++;
			j++;
		}
		n++;
	}
	return n;
}

/*
 * Merge two histograms into ok/oc (sized by sh_merge_count); adds the
 * counts of shared keys.  Returns 0, or -1 if a count overflows.
 */
int
sh_merge(const int32_t *ak, const int64_t *ac, int an,
		 const int32_t *bk, const int64_t *bc, int bn,
		 int32_t *ok, int64_t *oc)
{
	int			i = 0,
				j = 0,
				n = 0;

	while (i < an || j < bn)
	{
		if (j >= bn || (i < an && ak[i] < bk[j]))
		{
			ok[n] = ak[i];
			oc[n] = ac[i++];
		}
		else if (i >= an || bk[j] < ak[i])
		{
			ok[n] = bk[j];
			oc[n] = bc[j++];
		}
		else
		{
			if (ac[i] > INT64_MAX - bc[j])
				return -1;
			ok[n] = ak[i];
			oc[n] = ac[i++] + bc[j++];
		}
		n++;
	}
	return 0;
}

/* Sum of the counts; 0, or -1 on overflow. */
int
sh_total(const int64_t *counts, int n, int64_t *total)
{
	int64_t		t = 0;
	int			i;

	for (i = 0; i < n; i++)
	{
		if (counts[i] > INT64_MAX - t)
			return -1;
		t += counts[i];
	}
	*total = t;
	return 0;
}

/* The key of the value at 0-based rank (rank < total count). */
int32_t
sh_key_at_rank(const int32_t *keys, const int64_t *counts, int n, int64_t rank)
{
	int			i;

	for (i = 0; i < n; i++)
	{
		if (rank < counts[i])
			return keys[i];
		rank -= counts[i];
	}
	return keys[n - 1];
}

/*
 * PostgreSQL's percentile_cont(p) of the keys, computed as it computes it
 * in float8 (interpolating between the values at ranks floor and ceil of
 * p * (N - 1)), so both give the same double.  n > 0, 0 <= p <= 1.
 */
double
sh_percentile_cont(const int32_t *keys, const int64_t *counts, int n, double p)
{
	int64_t		total = 0;
	double		pos;
	int64_t		first,
				second;
	double		lo,
				hi;

	(void) sh_total(counts, n, &total);
	pos = p * (double) (total - 1);
	first = (int64_t) floor(pos);
	second = (int64_t) ceil(pos);
	lo = (double) sh_key_at_rank(keys, counts, n, first);
	if (second == first)
		return lo;
	hi = (double) sh_key_at_rank(keys, counts, n, second);
	return lo + (hi - lo) * (pos - (double) first);
}

/*
 * The same percentile for p = num / den (den 1, 2, 5 or 10) computed
 * exactly: ten times the result is an integer, returned in *tenths.
 * Returns 0, or -1 for a bad fraction or an empty histogram.
 */
int
sh_percentile_tenths(const int32_t *keys, const int64_t *counts, int n,
					 int num, int den, int64_t *tenths)
{
	int64_t		total = 0;
	__int128	pos_num;
	int64_t		first,
				rem;
	int64_t		lo,
				hi;

	if (n <= 0 || den <= 0 || 10 % den != 0 || num < 0 || num > den ||
		sh_total(counts, n, &total) != 0 || total == 0)
		return -1;
	/* position p * (N - 1) = first + rem / den */
	pos_num = (__int128) num * (total - 1);
	first = (int64_t) (pos_num / den);
	rem = (int64_t) (pos_num % den);
	lo = sh_key_at_rank(keys, counts, n, first);
	hi = rem == 0 ? lo : sh_key_at_rank(keys, counts, n, first + 1);
	*tenths = 10 * lo + (hi - lo) * (10 / den) * rem;
	return 0;
}

/* Sum of key * count over the histogram, exactly; 0 (or -1 on overflow). */
int
sh_key_sum(const int32_t *keys, const int64_t *counts, int n, __int128 *sum)
{
	__int128	s = 0;
	int			i;

	/* |key| < 2^31 and count < 2^63: each product < 2^94, n < 2^31 */
	for (i = 0; i < n; i++)
		s += (__int128) keys[i] * counts[i];
	*sum = s;
	return 0;
}

/*
 * The bucket key of an amount: ceil(log_gamma |x|) for positive x, a code
 * for zero, and codes below it for negative x, so that keys sort as the
 * amounts do.
 */
int32_t
sh_size_key(double amount)
{
	double		l;

	if (amount == 0.0 || !isfinite(amount))
		return SH_ZERO_KEY;
	l = ceil(log(fabs(amount)) / log(SH_GAMMA));
	if (l > SH_LOG_LIMIT)
		l = SH_LOG_LIMIT;
	if (l < -SH_LOG_LIMIT)
		l = -SH_LOG_LIMIT;
	if (amount > 0)
		return (int32_t) l;
	return SH_NEG_BASE - (int32_t) l;
}

/*
 * The value a bucket key stands for: 2 gamma^k / (gamma + 1), within
 * SH_ALPHA (relative) of every amount in bucket k = (gamma^(k-1), gamma^k].
 */
double
sh_size_value(int32_t key)
{
	int32_t		k;
	double		sign = 1.0;

	if (key == SH_ZERO_KEY)
		return 0.0;
	if (key < SH_ZERO_KEY)
	{
		k = SH_NEG_BASE - key;
		sign = -1.0;
	}
	else
		k = key;
	return sign * 2.0 * pow(SH_GAMMA, (double) k) / (SH_GAMMA + 1.0);
}
