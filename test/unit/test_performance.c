/*
 * test_performance.c
 *		Unit tests of src/core/performance: bignum arithmetic and exact
 *		decimal scaling (currency conversion), sparse histograms (deal_stats
 *		cycle days and won sizes), rate lookup.  Expected values: products and
 *		quotients from Python's arbitrary-precision integers (the command is
 *		in each comment), conversions worked out by hand, percentiles by hand
 *		from their definition (PostgreSQL's percentile_cont).
 */
#include <math.h>

#include "performance/bignum.h"
#include "performance/rate_lookup.h"
#include "performance/sparse_hist.h"
#include "unit.h"

/* a bn from decimal text (digits only) */
static bn
bn_of(const char *s)
{
	bn			a;

	a.n = 0;
	for (; *s; s++)
		(void) bn_mul_small(&a, 10, (uint32_t) (*s - '0'));
	return a;
}

static const char *
bn_text(const bn *a)
{
	static char buf[BN_TEXT_MAX];

	bn_format(a, 0, 0, buf);
	return buf;
}

/* a decimal from text like "-12.345" */
static bn_dec
dec_of(const char *s)
{
	bn_dec		d;
	int			seen_point = 0;

	d.negative = 0;
	d.scale = 0;
	d.coef.n = 0;
	if (*s == '-')
	{
		d.negative = 1;
		s++;
	}
	for (; *s; s++)
	{
		if (*s == '.')
		{
			seen_point = 1;
			continue;
		}
		(void) bn_mul_small(&d.coef, 10, (uint32_t) (*s - '0'));
		if (seen_point)
			d.scale++;
	}
	return d;
}

static const char *
dec_text(const bn_dec *d)
{
	static char buf[BN_TEXT_MAX];

	bn_format(&d->coef, d->scale, d->negative, buf);
	return buf;
}

/* amount * num / den at scale, as text */
static const char *
convert(const char *amount, const char *n1, const char *n2,
		const char *d1, const char *d2, int scale, bn_rounding rnd)
{
	bn_dec		a = dec_of(amount);
	bn_dec		nv[2],
				dv[2];
	const bn_dec *np[2],
			   *dp[2];
	int			nn = 0,
				nd = 0;
	static bn_dec out;

	if (n1)
	{
		nv[nn] = dec_of(n1);
		np[nn] = &nv[nn];
		nn++;
	}
	if (n2)
	{
		nv[nn] = dec_of(n2);
		np[nn] = &nv[nn];
		nn++;
	}
	if (d1)
	{
		dv[nd] = dec_of(d1);
		dp[nd] = &dv[nd];
		nd++;
	}
	if (d2)
	{
		dv[nd] = dec_of(d2);
		dp[nd] = &dv[nd];
		nd++;
	}
	if (bn_dec_scale_ratio(&a, np, nn, dp, nd, scale, rnd, &out) != BN_OK)
		return "error";
	return dec_text(&out);
}

static void
test_bignum(void)
{
	bn			a = bn_of("123456789012345678901234567890");
	bn			b = bn_of("987654321098765432109876543210");
	bn			p,
				q,
				r,
				t;
	uint64_t	seed = 88172645463325252ULL;
	int			i,
				bad = 0;
	bn_dec		d;
	const int16_t digits[] = {12, 3456, 7800};

	/* python3 -c 'print(123456789012345678901234567890*987654321098765432109876543210)' */
	CHECK("mul ok", bn_mul(&a, &b, &p) == BN_OK);
	CHECK_STR("mul", bn_text(&p),
			  "121932631137021795226185032733622923332237463801111263526900");
	/* python3 -c 'print(divmod(10**60+1, 10**30-1))' */
	a = bn_of("1000000000000000000000000000000000000000000000000000000000001");
	b = bn_of("999999999999999999999999999999");
	CHECK("divmod ok", bn_divmod(&a, &b, &q, &r) == BN_OK);
	CHECK_STR("quotient", bn_text(&q), "1000000000000000000000000000001");
	CHECK_STR("remainder", bn_text(&r), "2");
	/* python3: x=(2**200+12345)*3**50+7; y=2**97+3**20; divmod(x, y) */
	a = bn_of("1153617588319010271378133306175011326520419737189530113849840286117485064367506286536");
	b = bn_of("158456325028528675190574685073");
	CHECK("divmod 2 ok", bn_divmod(&a, &b, &q, &r) == BN_OK);
	CHECK_STR("quotient 2", bn_text(&q), "7280350520001719818501866267954485597461050671907196190");
	CHECK_STR("remainder 2", bn_text(&r), "117212525669327852175830814666");
	t.n = 0;
	CHECK("divide by zero", bn_divmod(&a, &t, &q, &r) == BN_DIVZERO);

	/*
	 * Property: q * y + r == x and r < y, over pseudo-random operands
	 * (xorshift), including divisors whose top limb is small or all ones
	 * and dividends with runs of zero limbs, which make algorithm D's
	 * estimate too large and take the add-back step.
	 */
	for (i = 0; i < 4000; i++)
	{
		bn			x,
					y;
		int			k;

		x.n = 1 + (int) (seed % 12);
		y.n = 1 + (int) ((seed >> 8) % 6);
		for (k = 0; k < x.n; k++)
		{
			seed ^= seed << 13;
			seed ^= seed >> 7;
			seed ^= seed << 17;
			x.d[k] = (i % 3 == 0 && k % 2 == 0) ? 0 : (uint32_t) seed;
		}
		for (k = 0; k < y.n; k++)
		{
			seed ^= seed << 13;
			seed ^= seed >> 7;
			seed ^= seed << 17;
			y.d[k] = (i % 5 == 0) ? 0xFFFFFFFFu : (uint32_t) seed;
		}
		if (i % 7 == 0)
			y.d[y.n - 1] = 1 + (uint32_t) (seed % 3);
		if (i % 11 == 0 && x.n >= 3)
		{
			x.d[x.n - 1] = 0x7FFFFFFFu;
			x.d[x.n - 2] = 0x80000000u;
			y.d[y.n - 1] = 0x80000000u;
		}
		while (x.n > 0 && x.d[x.n - 1] == 0)
			x.n--;
		while (y.n > 0 && y.d[y.n - 1] == 0)
			y.n--;
		if (y.n == 0)
			continue;
		if (bn_divmod(&x, &y, &q, &r) != BN_OK || bn_cmp(&r, &y) >= 0 ||
			bn_mul(&q, &y, &t) != BN_OK)
		{
			bad++;
			continue;
		}
		/* t + r == x ? (add r limb by limb) */
		{
			uint64_t	carry = 0;
			int			n = t.n > r.n ? t.n : r.n;
			bn			s;

			for (k = 0; k < n; k++)
			{
				uint64_t	v = (uint64_t) (k < t.n ? t.d[k] : 0) +
					(k < r.n ? r.d[k] : 0) + carry;

				s.d[k] = (uint32_t) v;
				carry = v >> 32;
			}
			s.n = n;
			if (carry)
				s.d[s.n++] = (uint32_t) carry;
			while (s.n > 0 && s.d[s.n - 1] == 0)
				s.n--;
			if (bn_cmp(&s, &x) != 0)
				bad++;
		}
	}
	CHECK("divmod property over 4000 operand pairs", bad == 0);

	/* overflow is reported, not wrapped */
	a = bn_of("1");
	CHECK("10^380 fits", bn_mul_pow10(&a, 380) == BN_OK);
	CHECK("10^390 overflows", bn_mul_pow10(&a, 10) == BN_OVERFLOW);

	/* numeric 123456.78: weight 1, digits {12, 3456, 7800} */
	CHECK("from base 10000", bn_dec_from_base10000(1, 1, digits, 3, &d) == BN_OK);
	CHECK_STR("-123456.78", dec_text(&d), "-123456.7800");
	CHECK("from base 10000, weight 3", bn_dec_from_base10000(0, 3, digits, 1, &d) == BN_OK);
	CHECK_STR("12 * 10000^3", dec_text(&d), "12000000000000");
}

static void
test_conversion(void)
{
	/* direct: 100.00 EUR * 1.0823 = 108.230000 -> 108.23 */
	CHECK_STR("direct", convert("100.00", "1.0823", NULL, NULL, NULL, 2, BN_HALF_UP), "108.23");
	/* 10.125 * 1 at 2 places: a tie: half up 10.13, half even 10.12 */
	CHECK_STR("tie half up", convert("10.125", "1", NULL, NULL, NULL, 2, BN_HALF_UP), "10.13");
	CHECK_STR("tie half even", convert("10.125", "1", NULL, NULL, NULL, 2, BN_HALF_EVEN), "10.12");
	/* 10.135: half even goes up to the even 10.14 */
	CHECK_STR("tie half even up", convert("10.135", "1", NULL, NULL, NULL, 2, BN_HALF_EVEN), "10.14");
	/* negative ties round away from zero with half up */
	CHECK_STR("negative tie", convert("-0.5", "1", NULL, NULL, NULL, 0, BN_HALF_UP), "-1");
	CHECK_STR("negative tie even", convert("-0.5", "1", NULL, NULL, NULL, 0, BN_HALF_EVEN), "0");
	CHECK_STR("negative", convert("-2.5", "3", NULL, NULL, NULL, 0, BN_HALF_EVEN), "-8");
	/* inverse: 100 USD -> EUR with EUR->USD 1.0823: 100 / 1.0823 = 92.3958237...  -> 92.40 */
	CHECK_STR("inverse", convert("100", NULL, NULL, "1.0823", NULL, 2, BN_HALF_UP), "92.40");
	/*
	 * triangulated EUR -> JPY via USD: 1000 * 1.0823 * 151.37 = 163827.751,
	 * JPY has 0 minor units -> 163828 (one rounding, at the end)
	 */
	CHECK_STR("triangulated", convert("1000", "1.0823", "151.37", NULL, NULL, 0, BN_HALF_UP), "163828");
	/*
	 * JPY -> KWD via USD, both rates quoted from USD (USD->JPY 151.37,
	 * USD->KWD 0.3075): 50000 / 151.37 * 0.3075 = 1537500 / 15137
	 * = 101.5723062...  -> 101.572 (KWD has 3 minor units)
	 */
	CHECK_STR("triangulated inverse", convert("50000", "0.3075", NULL, "151.37", NULL, 3, BN_HALF_UP), "101.572");
	/* 1 / 3 at 4 places: 0.3333; 2 / 3: 0.6667 */
	CHECK_STR("third", convert("1", NULL, NULL, "3", NULL, 4, BN_HALF_EVEN), "0.3333");
	CHECK_STR("two thirds", convert("2", NULL, NULL, "3", NULL, 4, BN_HALF_EVEN), "0.6667");
	/* an exact tie reached only through division: 1 / 8 = 0.125 -> 0.12 / 0.13 */
	CHECK_STR("division tie even", convert("1", NULL, NULL, "8", NULL, 2, BN_HALF_EVEN), "0.12");
	CHECK_STR("division tie up", convert("1", NULL, NULL, "8", NULL, 2, BN_HALF_UP), "0.13");
	/* zero stays zero, and is not negative */
	CHECK_STR("zero", convert("-0.001", "1", NULL, NULL, NULL, 2, BN_HALF_UP), "0.00");
	/* more places than the input: exact */
	CHECK_STR("widen", convert("7", "0.5", NULL, NULL, NULL, 3, BN_HALF_UP), "3.500");
	/* a 38-digit amount times a 20-digit rate, both ways (exact) */
	CHECK_STR("big", convert("12345678901234567890123456789012345678", "1.0000000000000000001", NULL, NULL, NULL, 0, BN_HALF_UP),
			  "12345678901234567891358024679135802467");
}

static void
test_sparse_hist(void)
{
	int32_t		keys[] = {3, 5, 12, 40};
	int64_t		counts[] = {2, 1, 3, 1};
	int32_t		k2[] = {1, 5, 50};
	int64_t		c2[] = {1, 4, 2};
	int32_t		mk[8];
	int64_t		mc[8];
	int			pos;
	int64_t		tenths;
	__int128	sum;

	CHECK("find present", sh_find(keys, 4, 12, &pos) == 1 && pos == 2);
	CHECK("find absent", sh_find(keys, 4, 13, &pos) == 0 && pos == 3);
	CHECK("find first", sh_find(keys, 4, 0, &pos) == 0 && pos == 0);
	CHECK("find last", sh_find(keys, 4, 41, &pos) == 0 && pos == 4);
	CHECK("merge count", sh_merge_count(keys, 4, k2, 3) == 6);
	CHECK("merge", sh_merge(keys, counts, 4, k2, c2, 3, mk, mc) == 0);
	CHECK("merged", mk[0] == 1 && mc[0] == 1 && mk[1] == 3 && mc[1] == 2 &&
		  mk[2] == 5 && mc[2] == 5 && mk[3] == 12 && mc[3] == 3 &&
		  mk[4] == 40 && mc[4] == 1 && mk[5] == 50 && mc[5] == 2);

	/*
	 * values 3 3 5 12 12 12 40 (N = 7): median = rank 3 = 12;
	 * p90: position 0.9 * 6 = 5.4 -> 12 + (40 - 12) * 0.4 = 23.2
	 */
	CHECK("median", sh_percentile_tenths(keys, counts, 4, 1, 2, &tenths) == 0 && tenths == 120);
	CHECK("p90", sh_percentile_tenths(keys, counts, 4, 9, 10, &tenths) == 0 && tenths == 232);
	CHECK("p90 cont", fabs(sh_percentile_cont(keys, counts, 4, 0.9) - 23.2) < 1e-12);
	CHECK("min", sh_percentile_cont(keys, counts, 4, 0.0) == 3.0);
	CHECK("max", sh_percentile_cont(keys, counts, 4, 1.0) == 40.0);
	/* values 1 5 5 5 5 50 50 (N = 7) with counts 1, 4, 2: median 5 */
	CHECK("median 2", sh_percentile_tenths(k2, c2, 3, 1, 2, &tenths) == 0 && tenths == 50);
	/* even N: 3 3 5 12 12 12 40 40 -> median (12 + 12) / 2; 3 5 -> 4 */
	{
		int32_t		k3[] = {3, 5};
		int64_t		c3[] = {1, 1};

		CHECK("median of two", sh_percentile_tenths(k3, c3, 2, 1, 2, &tenths) == 0 && tenths == 40);
		/* p90 of 3, 5: 3 + 2 * 0.9 = 4.8 */
		CHECK("p90 of two", sh_percentile_tenths(k3, c3, 2, 9, 10, &tenths) == 0 && tenths == 48);
		CHECK("bad fraction", sh_percentile_tenths(k3, c3, 2, 1, 3, &tenths) == -1);
	}
	CHECK("key sum", sh_key_sum(keys, counts, 4, &sum) == 0 && sum == 6 + 5 + 36 + 40);

	/* size buckets: order kept, value within alpha */
	CHECK("size keys order", sh_size_key(-5.0) < sh_size_key(-0.5) &&
		  sh_size_key(-0.5) < sh_size_key(0.0) && sh_size_key(0.0) < sh_size_key(0.001) &&
		  sh_size_key(0.001) < sh_size_key(1.0) && sh_size_key(1.0) < sh_size_key(2.0) &&
		  sh_size_key(2.0) < sh_size_key(1e12));
	{
		double		xs[] = {0.01, 1.0, 3.5, 1234.56, 98765.4321, 7e12, -42.0};
		int			i,
					ok = 1;

		for (i = 0; i < 7; i++)
		{
			double		v = sh_size_value(sh_size_key(xs[i]));

			if (fabs(v - xs[i]) > SH_ALPHA * fabs(xs[i]) * (1 + 1e-9))
				ok = 0;
		}
		CHECK("size value within alpha", ok);
		CHECK("zero value", sh_size_value(sh_size_key(0.0)) == 0.0);
	}
}

static void
test_rate_lookup(void)
{
	int32_t		days[] = {10, 20, 30};

	CHECK("before first", rate_index(days, 3, 9) == -1);
	CHECK("on first", rate_index(days, 3, 10) == 0);
	CHECK("between", rate_index(days, 3, 25) == 1);
	CHECK("on last", rate_index(days, 3, 30) == 2);
	CHECK("after last", rate_index(days, 3, 1000) == 2);
	CHECK("empty", rate_index(days, 0, 1000) == -1);
	{
		/* a rate for every day: looked up by offset */
		int32_t		daily[] = {10, 11, 12, 13};

		CHECK("daily before", rate_index(daily, 4, 9) == -1);
		CHECK("daily first", rate_index(daily, 4, 10) == 0);
		CHECK("daily middle", rate_index(daily, 4, 12) == 2);
		CHECK("daily after", rate_index(daily, 4, 100) == 3);
	}
}

static void
test_base10000(void)
{
	int16_t		d[16];
	int			w = 99;
	bn			a;

	/* 12345.67 = 1 * 10000 + 2345 + 0.67: digits {1, 2345, 6700}, weight 1 */
	bn_set_u64(&a, 1234567);
	CHECK("12345.67", bn_to_base10000(&a, 2, d, 16, &w) == 3 && w == 1 &&
		  d[0] == 1 && d[1] == 2345 && d[2] == 6700);
	/* 0.005 = 50 * 10000^-1 */
	bn_set_u64(&a, 5);
	CHECK("0.005", bn_to_base10000(&a, 3, d, 16, &w) == 1 && w == -1 && d[0] == 50);
	/* 0 has no digits */
	a.n = 0;
	CHECK("zero", bn_to_base10000(&a, 2, d, 16, &w) == 0);
	/* 10^30 = 100 * 10000^7 (trailing zero digits dropped) */
	bn_set_u64(&a, 1);
	(void) bn_mul_pow10(&a, 30);
	CHECK("10^30", bn_to_base10000(&a, 0, d, 16, &w) == 1 && w == 7 && d[0] == 100);
	/* 2^64 + 1 = 18446744073709551617 at scale 4: 1844674407370955.1617 */
	bn_set_u64(&a, UINT64_MAX);
	(void) bn_mul_small(&a, 1, 2);
	CHECK("2^64 + 1", bn_to_base10000(&a, 4, d, 16, &w) == 5 && w == 3 &&
		  d[0] == 1844 && d[1] == 6744 && d[2] == 737 && d[3] == 955 && d[4] == 1617);
	CHECK("too few slots", bn_to_base10000(&a, 4, d, 2, &w) == -1);
}

void
test_performance(void)
{
	test_bignum();
	test_conversion();
	test_sparse_hist();
	test_rate_lookup();
	test_base10000();
}
