/*
 * timing.c
 *		Distributions of durations: exact count, sum, min and max, plus a
 *		log-linear histogram for quantiles and binned counts (timing.h).
 */
#include "funnel/timing.h"

#include <math.h>
#include <string.h>

/* floor(log2(v)) for v >= 1. */
static int
ft_log2(uint64_t v)
{
	int			k = 0;

	while (v >> 1)
	{
		v >>= 1;
		k++;
	}
	return k;
}

/* The bucket of duration v (see timing.h). */
int
ft_bucket(int64_t v)
{
	int			k;
	int			shift;

	if (v < FT_LINEAR)
		return v < 0 ? 0 : (int) v;
	k = ft_log2((uint64_t) v);
	shift = k - FT_SUB_BITS;
	return FT_LINEAR + (k - FT_SUB_BITS - 1) * FT_SUB +
		(int) (((uint64_t) v >> shift) - FT_SUB);
}

/* The smallest duration of bucket i. */
int64_t
ft_bucket_lo(int i)
{
	int			j,
				k;

	if (i < FT_LINEAR)
		return i;
	j = i - FT_LINEAR;
	k = FT_SUB_BITS + 1 + j / FT_SUB;
	return (int64_t) ((uint64_t) (FT_SUB + j % FT_SUB) << (k - FT_SUB_BITS));
}

/* The largest duration of bucket i. */
int64_t
ft_bucket_hi(int i)
{
	int			k;

	if (i < FT_LINEAR)
		return i;
	k = FT_SUB_BITS + 1 + (i - FT_LINEAR) / FT_SUB;
	return ft_bucket_lo(i) + (int64_t) (((uint64_t) 1 << (k - FT_SUB_BITS)) - 1);
}

/* Check a distribution before trusting it (see timing.h). */
int
ft_check(const FtDist *d)
{
	int64_t		total = 0;
	int32_t		i;
	ft_u128		lo,
				hi,
				exact_sum = 0;

	if (d->n < 1 || d->nb < 1)
		return FT_BAD_COUNT;
	if (d->nb > (d->exact ? FT_EXACT_MAX : FT_NBUCKETS))
		return FT_BAD_BUCKET;
	for (i = 0; i < d->nb; i++)
	{
		if (d->key[i] < 0 || (!d->exact && d->key[i] >= FT_NBUCKETS) ||
			(i > 0 && d->key[i] <= d->key[i - 1]))
			return FT_BAD_BUCKET;
		if (d->cnt[i] <= 0 || d->cnt[i] > INT64_MAX - total)
			return FT_BAD_COUNT;
		total += d->cnt[i];
		/* below 2^63 * 2^63: no overflow while the total stays below 2^63 */
		exact_sum += (ft_u128) d->key[i] * (ft_u128) d->cnt[i];
	}
	if (total != d->n)
		return FT_BAD_COUNT;
	if (d->min < 0 || d->min > d->max)
		return FT_BAD_RANGE;
	if (d->exact ? (d->key[0] != d->min || d->key[d->nb - 1] != d->max) :
		(ft_bucket(d->min) != d->key[0] || ft_bucket(d->max) != d->key[d->nb - 1]))
		return FT_BAD_RANGE;
	/* n == 1: the one duration is min == max == sum */
	if (d->n == 1 && d->min != d->max)
		return FT_BAD_RANGE;
	if (d->exact)
		return d->sum == exact_sum ? FT_OK : FT_BAD_SUM;
	lo = (ft_u128) d->n * (ft_u128) d->min;
	hi = (ft_u128) d->n * (ft_u128) d->max;
	if (d->sum < lo || d->sum > hi)
		return FT_BAD_SUM;
	/* with n >= 2 the sum holds min and max once each at least */
	if (d->n >= 2 && d->sum < (ft_u128) d->min * (ft_u128) (d->n - 1) + (ft_u128) d->max)
		return FT_BAD_SUM;
	if (d->n >= 2 && d->sum > (ft_u128) d->max * (ft_u128) (d->n - 1) + (ft_u128) d->min)
		return FT_BAD_SUM;
	return FT_OK;
}

/* The mean, rounded half up. */
int64_t
ft_mean(const FtDist *d)
{
	ft_u128		n = (ft_u128) d->n;

	return (int64_t) ((d->sum + n / 2) / n);
}

/* The representative of bucket i: its midpoint, within [min, max]. */
static int64_t
ft_rep(const FtDist *d, int i)
{
	int64_t		lo = ft_bucket_lo(i);
	int64_t		mid = lo + (ft_bucket_hi(i) - lo) / 2;

	if (mid < d->min)
		return d->min;
	if (mid > d->max)
		return d->max;
	return mid;
}

/* The p-quantile in the sense of percentile_disc (see timing.h). */
int64_t
ft_quantile(const FtDist *d, double p)
{
	int64_t		r;
	int64_t		seen = 0;
	int32_t		i;

	/* the rank percentile_disc takes: ceil(p * n), at least 1 */
	r = (int64_t) ceil(p * (double) d->n);
	if (r <= 1)
		return d->min;
	if (r >= d->n)
		return d->max;
	for (i = 0; i < d->nb; i++)
	{
		seen += d->cnt[i];
		if (seen >= r)
			return d->exact ? d->key[i] : ft_rep(d, (int) d->key[i]);
	}
	return d->max;
}

/* Binned counts over edges (see timing.h). */
void
ft_histogram(const FtDist *d, const int64_t *edges, int m,
			 int64_t *counts, unsigned char *exact)
{
	int32_t		i;
	int			j;

	for (j = 0; j <= m; j++)
	{
		counts[j] = 0;
		exact[j] = 1;
	}
	j = 0;
	for (i = 0; i < d->nb; i++)
	{
		int64_t		lo = d->exact ? d->key[i] : ft_bucket_lo((int) d->key[i]);
		int64_t		hi = d->exact ? d->key[i] : ft_bucket_hi((int) d->key[i]);
		int64_t		rep = d->exact ? d->key[i] : ft_rep(d, (int) d->key[i]);
		int			b;
		int			e;

		/* the durations of this bucket lie in [max(lo, min), min(hi, max)] */
		if (lo < d->min)
			lo = d->min;
		if (hi > d->max)
			hi = d->max;
		/* bin of rep: the number of edges <= rep (buckets come ascending) */
		while (j < m && edges[j] <= rep)
			j++;
		b = j;
		counts[b] += d->cnt[i];
		/* every edge strictly inside (lo, hi] splits the bucket */
		for (e = 0; e < m; e++)
			if (edges[e] > lo && edges[e] <= hi)
			{
				exact[e] = 0;
				exact[e + 1] = 0;
			}
	}
}

/* The first position of ascending keys k[0..n) whose key is >= x. */
static int32_t
ft_lower_bound(const int64_t *k, int32_t n, int64_t x)
{
	int32_t		lo = 0,
				hi = n;

	while (lo < hi)
	{
		int32_t		mid = lo + (hi - lo) / 2;

		if (k[mid] < x)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/* Is key x in the ascending list ia[0..na)? */
static int
ft_has_key(const int64_t *ia, int32_t na, int64_t x)
{
	int32_t		lo = ft_lower_bound(ia, na, x);

	return lo < na && ia[lo] == x;
}

/*
 * Size of the union of two ascending index lists: a binary search per
 * element of b when b is much shorter (one entity's value merged into a
 * population's), a linear merge otherwise.
 */
int32_t
ft_union_size(const int64_t *ia, int32_t na, const int64_t *ib, int32_t nb)
{
	int32_t		i = 0,
				j = 0,
				n = 0;

	if ((int64_t) nb * 16 < na)
	{
		n = na;
		for (j = 0; j < nb; j++)
			n += !ft_has_key(ia, na, ib[j]);
		return n;
	}
	while (i < na && j < nb)
	{
		if (ia[i] == ib[j])
			i++, j++;
		else if (ia[i] < ib[j])
			i++;
		else
			j++;
		n++;
	}
	return n + (na - i) + (nb - j);
}

/* Merge two sparse lists, from the end down (in place allowed, see timing.h). */
int32_t
ft_merge_buckets(const int64_t *ia, const int64_t *ca, int32_t na,
				 const int64_t *ib, const int64_t *cb, int32_t nb,
				 int64_t *io, int64_t *co)
{
	int32_t		n = ft_union_size(ia, na, ib, nb);
	int32_t		i = na - 1,
				j = nb - 1,
				k = n - 1;

	while (j >= 0)
	{
		if (i >= 0 && ia[i] == ib[j])
		{
			if (ca[i] > INT64_MAX - cb[j])
				return -1;
			io[k] = ia[i];
			co[k--] = ca[i--] + cb[j--];
		}
		else if (i >= 0 && ia[i] > ib[j])
		{
			io[k] = ia[i];
			co[k--] = ca[i--];
		}
		else
		{
			io[k] = ib[j];
			co[k--] = cb[j--];
		}
	}
	/* a's remaining entries: already in place when io == ia */
	if (io != ia || co != ca)
		while (i >= 0)
		{
			io[k] = ia[i];
			co[k--] = ca[i--];
		}
	return n;
}

/* Add c to bucket i of a sparse list with room for cap entries. */
int
ft_add_bucket(int64_t *idx, int64_t *cnt, int32_t *nb, int32_t cap, int64_t i, int64_t c)
{
	int32_t		lo = ft_lower_bound(idx, *nb, i);

	if (lo < *nb && idx[lo] == i)
	{
		if (cnt[lo] > INT64_MAX - c)
			return -2;
		cnt[lo] += c;
		return 0;
	}
	if (*nb >= cap)
		return -1;
	memmove(idx + lo + 1, idx + lo, (size_t) (*nb - lo) * sizeof(int64_t));
	memmove(cnt + lo + 1, cnt + lo, (size_t) (*nb - lo) * sizeof(int64_t));
	idx[lo] = i;
	cnt[lo] = c;
	(*nb)++;
	return 0;
}

/*
 * Exact durations -> buckets: buckets of ascending durations are ascending
 * too, so equal neighbours add up; writes never pass reads (in place).
 */
int32_t
ft_to_buckets(const int64_t *vals, const int64_t *cnt, int32_t n,
			  int64_t *ko, int64_t *co)
{
	int32_t		i,
				m = 0;

	for (i = 0; i < n; i++)
	{
		int64_t		b = ft_bucket(vals[i]);
		int64_t		c = cnt[i];

		if (m > 0 && ko[m - 1] == b)
			co[m - 1] += c;
		else
		{
			ko[m] = b;
			co[m++] = c;
		}
	}
	return m;
}

/* 128-bit unsigned as decimal text. */
void
ft_u128_format(ft_u128 v, char *buf)
{
	char		tmp[41];
	int			n = 0;
	int			i;

	do
	{
		tmp[n++] = (char) ('0' + (int) (v % 10));
		v /= 10;
	} while (v != 0);
	for (i = 0; i < n; i++)
		buf[i] = tmp[n - 1 - i];
	buf[n] = '\0';
}

/* Decimal digits -> 128-bit unsigned, refusing junk and overflow. */
int
ft_u128_parse(const char *s, size_t len, ft_u128 *v)
{
	ft_u128		r = 0;
	ft_u128		max = ~(ft_u128) 0;
	size_t		i;

	if (len == 0 || len > 39)
		return -1;
	for (i = 0; i < len; i++)
	{
		unsigned	d;

		if (s[i] < '0' || s[i] > '9')
			return -1;
		d = (unsigned) (s[i] - '0');
		if (r > (max - d) / 10)
			return -1;
		r = r * 10 + d;
	}
	*v = r;
	return 0;
}
