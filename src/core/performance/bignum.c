/*
 * bignum.c
 *		Bounded unsigned big integers and exact decimal scaling (see bignum.h).
 */
#include "performance/bignum.h"

#include <string.h>

/* Drop leading zero limbs. */
static void
bn_trim(bn *a)
{
	while (a->n > 0 && a->d[a->n - 1] == 0)
		a->n--;
}

/* a = v */
void
bn_set_u64(bn *a, uint64_t v)
{
	a->d[0] = (uint32_t) v;
	a->d[1] = (uint32_t) (v >> 32);
	a->n = 2;
	bn_trim(a);
}

/* -1, 0 or 1 as a <, = or > b */
int
bn_cmp(const bn *a, const bn *b)
{
	int			i;

	if (a->n != b->n)
		return a->n < b->n ? -1 : 1;
	for (i = a->n - 1; i >= 0; i--)
		if (a->d[i] != b->d[i])
			return a->d[i] < b->d[i] ? -1 : 1;
	return 0;
}

/* a = a * m + add */
bn_status
bn_mul_small(bn *a, uint32_t m, uint32_t add)
{
	uint64_t	carry = add;
	int			i;

	for (i = 0; i < a->n; i++)
	{
		uint64_t	t = (uint64_t) a->d[i] * m + carry;

		a->d[i] = (uint32_t) t;
		carry = t >> 32;
	}
	if (carry != 0)
	{
		if (a->n >= BN_LIMBS)
			return BN_OVERFLOW;
		a->d[a->n++] = (uint32_t) carry;
	}
	bn_trim(a);
	return BN_OK;
}

/* out = a * b (out may not alias a or b) */
bn_status
bn_mul(const bn *a, const bn *b, bn *out)
{
	uint32_t	acc[2 * BN_LIMBS];
	int			n = a->n + b->n;
	int			i,
				j;

	if (a->n == 0 || b->n == 0)
	{
		out->n = 0;
		return BN_OK;
	}
	if (n > BN_LIMBS + 1)
		return BN_OVERFLOW;
	memset(acc, 0, sizeof(uint32_t) * n);
	for (i = 0; i < a->n; i++)
	{
		uint64_t	carry = 0;

		for (j = 0; j < b->n; j++)
		{
			uint64_t	t = (uint64_t) a->d[i] * b->d[j] + acc[i + j] + carry;

			acc[i + j] = (uint32_t) t;
			carry = t >> 32;
		}
		acc[i + b->n] = (uint32_t) carry;
	}
	while (n > 0 && acc[n - 1] == 0)
		n--;
	if (n > BN_LIMBS)
		return BN_OVERFLOW;
	memcpy(out->d, acc, sizeof(uint32_t) * n);
	out->n = n;
	return BN_OK;
}

/* a = a * 10^k, k >= 0 */
bn_status
bn_mul_pow10(bn *a, int k)
{
	while (k >= 9)
	{
		if (bn_mul_small(a, 1000000000u, 0) != BN_OK)
			return BN_OVERFLOW;
		k -= 9;
	}
	if (k > 0)
	{
		uint32_t	m = 1;

		while (k-- > 0)
			m *= 10;
		return bn_mul_small(a, m, 0);
	}
	return BN_OK;
}

/* q = a / m, returns a % m (q may alias a) */
static uint32_t
bn_div_small(const bn *a, uint32_t m, bn *q)
{
	uint64_t	rem = 0;
	int			i;
	int			n = a->n;

	for (i = n - 1; i >= 0; i--)
	{
		uint64_t	cur = (rem << 32) | a->d[i];

		q->d[i] = (uint32_t) (cur / m);
		rem = cur % m;
	}
	q->n = n;
	bn_trim(q);
	return (uint32_t) rem;
}

/* number of leading zero bits of a non-zero 32-bit word */
static int
clz32(uint32_t v)
{
	int			n = 0;

	while ((v & 0x80000000u) == 0)
	{
		v <<= 1;
		n++;
	}
	return n;
}

/*
 * q = x / y, r = x % y (long division in base 2^32, Knuth's algorithm D:
 * estimate each quotient limb from the top two limbs of the normalised
 * divisor, correct it at most twice, multiply and subtract, add back in the
 * rare case the estimate was one too large).
 */
bn_status
bn_divmod(const bn *x, const bn *y, bn *q, bn *r)
{
	uint32_t	un[BN_LIMBS + 1];
	uint32_t	vn[BN_LIMBS];
	int			m = x->n;
	int			n = y->n;
	int			s;
	int			i,
				j;
	bn			qq;

	if (n == 0)
		return BN_DIVZERO;
	if (bn_cmp(x, y) < 0)
	{
		*r = *x;
		q->n = 0;
		return BN_OK;
	}
	if (n == 1)
	{
		uint32_t	rem = bn_div_small(x, y->d[0], &qq);

		*q = qq;
		bn_set_u64(r, rem);
		return BN_OK;
	}

	/* normalise: the divisor's top limb gets its top bit set */
	s = clz32(y->d[n - 1]);
	for (i = n - 1; i > 0; i--)
		vn[i] = (y->d[i] << s) | (s ? (uint32_t) ((uint64_t) y->d[i - 1] >> (32 - s)) : 0);
	vn[0] = y->d[0] << s;
	un[m] = s ? (uint32_t) ((uint64_t) x->d[m - 1] >> (32 - s)) : 0;
	for (i = m - 1; i > 0; i--)
		un[i] = (x->d[i] << s) | (s ? (uint32_t) ((uint64_t) x->d[i - 1] >> (32 - s)) : 0);
	un[0] = x->d[0] << s;

	memset(qq.d, 0, sizeof(qq.d));
	for (j = m - n; j >= 0; j--)
	{
		uint64_t	num = ((uint64_t) un[j + n] << 32) | un[j + n - 1];
		uint64_t	qhat = num / vn[n - 1];
		uint64_t	rhat = num % vn[n - 1];
		int64_t		borrow;
		int64_t		t;

		while (qhat >= ((uint64_t) 1 << 32) ||
			   qhat * vn[n - 2] > ((rhat << 32) | un[j + n - 2]))
		{
			qhat--;
			rhat += vn[n - 1];
			if (rhat >= ((uint64_t) 1 << 32))
				break;
		}
		/* un[j .. j+n] -= qhat * vn */
		borrow = 0;
		for (i = 0; i < n; i++)
		{
			uint64_t	p = qhat * vn[i];

			t = (int64_t) un[i + j] - borrow - (int64_t) (p & 0xFFFFFFFFu);
			un[i + j] = (uint32_t) t;
			borrow = (int64_t) (p >> 32) - (t >> 32);
		}
		t = (int64_t) un[j + n] - borrow;
		un[j + n] = (uint32_t) t;

		if (t < 0)
		{
			/* the estimate was one too large: add the divisor back */
			uint64_t	carry = 0;

			qhat--;
			for (i = 0; i < n; i++)
			{
				uint64_t	sum = (uint64_t) un[i + j] + vn[i] + carry;

				un[i + j] = (uint32_t) sum;
				carry = sum >> 32;
			}
			un[j + n] = (uint32_t) ((uint64_t) un[j + n] + carry);
		}
		qq.d[j] = (uint32_t) qhat;
	}
	qq.n = m - n + 1;
	bn_trim(&qq);

	/* un-normalise the remainder */
	for (i = 0; i < n - 1; i++)
		r->d[i] = (un[i] >> s) | (s ? (uint32_t) ((uint64_t) un[i + 1] << (32 - s)) : 0);
	r->d[n - 1] = un[n - 1] >> s;
	r->n = n;
	bn_trim(r);
	*q = qq;
	return BN_OK;
}

/*
 * Write a as decimal text with scale digits after the point (and a minus
 * sign if negative and non-zero) into buf (BN_TEXT_MAX bytes); length.
 */
size_t
bn_format(const bn *a, int scale, int negative, char *buf)
{
	char		tmp[BN_TEXT_MAX];
	int			nd = 0;
	size_t		len = 0;
	bn			t = *a;
	int			i;

	while (t.n > 0)
	{
		uint32_t	chunk = bn_div_small(&t, 1000000000u, &t);

		for (i = 0; i < 9; i++)
		{
			tmp[nd++] = (char) ('0' + chunk % 10);
			chunk /= 10;
		}
	}
	while (nd > 1 && tmp[nd - 1] == '0')
		nd--;
	while (nd <= scale)
		tmp[nd++] = '0';
	if (negative && a->n > 0)
		buf[len++] = '-';
	for (i = nd - 1; i >= 0; i--)
	{
		buf[len++] = tmp[i];
		if (i == scale && scale > 0)
			buf[len++] = '.';
	}
	buf[len] = '\0';
	return len;
}

/*
 * The exact decimal sum(digits[i] * 10000^(weight - i)), negated if
 * negative: PostgreSQL's numeric storage.  The scale is that of the last
 * stored digit (trailing zero digits are not stored, so it may be less than
 * the numeric's display scale; the value is the same).
 */
bn_status
bn_dec_from_base10000(int negative, int weight, const int16_t *digits,
					  int ndigits, bn_dec *out)
{
	int			i;
	int			exp10;

	out->coef.n = 0;
	out->negative = negative;
	if (ndigits <= 9)
	{
		/* 10000^9 = 10^36 < 2^128: accumulate in one integer */
		unsigned __int128 v = 0;

		for (i = 0; i < ndigits; i++)
		{
			if (digits[i] < 0 || digits[i] > 9999)
				return BN_SYNTAX;
			v = v * 10000 + (uint32_t) digits[i];
		}
		out->coef.n = 4;
		for (i = 0; i < 4; i++)
			out->coef.d[i] = (uint32_t) (v >> (32 * i));
		bn_trim(&out->coef);
	}
	else
		for (i = 0; i < ndigits; i++)
		{
			if (digits[i] < 0 || digits[i] > 9999)
				return BN_SYNTAX;
			if (bn_mul_small(&out->coef, 10000, (uint32_t) digits[i]) != BN_OK)
				return BN_OVERFLOW;
		}
	/* the last digit stands for 10000^(weight - ndigits + 1) */
	exp10 = 4 * (weight - ndigits + 1);
	if (exp10 >= 0)
	{
		out->scale = 0;
		if (bn_mul_pow10(&out->coef, exp10) != BN_OK)
			return BN_OVERFLOW;
	}
	else
		out->scale = -exp10;
	if (out->coef.n == 0)
	{
		out->negative = 0;
		out->scale = 0;
	}
	return BN_OK;
}

/*
 * The base-10000 digits of coef / 10^scale, most significant first, as
 * PostgreSQL's numeric stores them: *weight is the power of 10000 of the
 * first digit; leading and trailing zero digits are dropped.  Returns the
 * number of digits (0 for zero), or -1 if more than max are needed.
 */
int
bn_to_base10000(const bn *coef, int scale, int16_t *digits, int max, int *weight)
{
	int16_t		rev[BN_LIMBS * 3 + 4];
	int			n = 0,
				lead,
				i,
				k;
	bn			t = *coef;
	int			pad = (4 - scale % 4) % 4;

	/* align the point to a digit boundary: scale up to a multiple of 4 */
	if (bn_mul_pow10(&t, pad) != BN_OK)
		return -1;
	if (t.n <= 2)
	{
		/* below 2^64: native arithmetic */
		uint64_t	v = ((uint64_t) (t.n > 1 ? t.d[1] : 0) << 32) | (t.n > 0 ? t.d[0] : 0);

		while (v != 0)
		{
			rev[n++] = (int16_t) (v % 10000);
			v /= 10000;
		}
	}
	else
		while (t.n > 0)
		{
			uint32_t	chunk = bn_div_small(&t, 100000000u, &t);

			rev[n++] = (int16_t) (chunk % 10000);
			rev[n++] = (int16_t) (chunk / 10000);
		}
	while (n > 0 && rev[n - 1] == 0)
		n--;
	if (n == 0)
	{
		*weight = 0;
		return 0;
	}
	*weight = n - 1 - (scale + pad) / 4;
	/* drop trailing zero digits (least significant first in rev) */
	for (lead = 0; lead < n && rev[lead] == 0; lead++)
		;
	if (n - lead > max)
		return -1;
	for (i = n - 1, k = 0; i >= lead; i--)
		digits[k++] = rev[i];
	return k;
}

/* 10^k as a 128-bit integer, k = 0..38 */
static unsigned __int128
pow10_u128(int k)
{
	uint64_t	lo = 1;
	unsigned __int128 v;

	/* up to 10^19 in 64 bits, the rest in 128 */
	while (k > 0 && lo <= UINT64_MAX / 10)
	{
		lo *= 10;
		k--;
	}
	v = lo;
	while (k-- > 0)
		v *= 10;
	return v;
}

/* x * y in 128 bits, false on overflow */
static int
mul128(unsigned __int128 x, unsigned __int128 y, unsigned __int128 *out)
{
	return !__builtin_mul_overflow(x, y, out);
}

/* bn of at most 4 limbs as a 128-bit integer, false if larger */
static int
bn_to_u128(const bn *a, unsigned __int128 *out)
{
	unsigned __int128 v = 0;
	int			i;

	if (a->n > 4)
		return 0;
	for (i = a->n - 1; i >= 0; i--)
		v = (v << 32) | a->d[i];
	*out = v;
	return 1;
}

/*
 * The fast path of bn_dec_scale_ratio: everything in 128-bit integers.
 * Returns 1 with *out set, or 0 if an intermediate would not fit.
 */
static int
scale_ratio_128(const bn_dec *amount, const bn_dec *const *num, int nnum,
				const bn_dec *const *den, int nden, int scale,
				bn_rounding rounding, bn_dec *out)
{
	unsigned __int128 x,
				y = 1,
				t,
				q,
				r;
	int			e = scale - amount->scale;
	int			i;

	if (!bn_to_u128(&amount->coef, &x))
		return 0;
	for (i = 0; i < nnum; i++)
	{
		if (!bn_to_u128(&num[i]->coef, &t) || !mul128(x, t, &x))
			return 0;
		e -= num[i]->scale;
	}
	for (i = 0; i < nden; i++)
	{
		if (!bn_to_u128(&den[i]->coef, &t) || t == 0 || !mul128(y, t, &y))
			return 0;
		e += den[i]->scale;
	}
	if (e > 38 || e < -38)
		return 0;
	if (e > 0 && !mul128(x, pow10_u128(e), &x))
		return 0;
	if (e < 0 && !mul128(y, pow10_u128(-e), &y))
		return 0;
	if ((x >> 64) == 0 && (y >> 64) == 0)
	{
		/* the common case: native 64-bit division */
		uint64_t	x64 = (uint64_t) x,
					y64 = (uint64_t) y;

		q = x64 / y64;
		r = x64 - (uint64_t) q * y64;
	}
	else
	{
		q = x / y;
		r = x - q * y;
	}
	if (r > y - r || (r == y - r && (rounding == BN_HALF_UP || (q & 1))))
		q++;
	out->coef.n = 4;
	for (i = 0; i < 4; i++)
		out->coef.d[i] = (uint32_t) (q >> (32 * i));
	bn_trim(&out->coef);
	out->scale = scale;
	out->negative = amount->negative && out->coef.n > 0;
	return 1;
}

/*
 * out = amount * prod(num) / prod(den), rounded once to scale decimal
 * places.  Every factor is exact; the only rounding is the last step, by
 * the exact remainder.  Factors must be positive (exchange rates).
 */
bn_status
bn_dec_scale_ratio(const bn_dec *amount, const bn_dec *const *num, int nnum,
				   const bn_dec *const *den, int nden, int scale,
				   bn_rounding rounding, bn_dec *out)
{
	bn			x = amount->coef;
	bn			y;
	bn			t;
	bn			q,
				r;
	int			e = scale - amount->scale;
	int			i;
	int			c;

	if (scale_ratio_128(amount, num, nnum, den, nden, scale, rounding, out))
		return BN_OK;
	bn_set_u64(&y, 1);
	for (i = 0; i < nnum; i++)
	{
		if (bn_mul(&x, &num[i]->coef, &t) != BN_OK)
			return BN_OVERFLOW;
		x = t;
		e -= num[i]->scale;
	}
	for (i = 0; i < nden; i++)
	{
		if (den[i]->coef.n == 0)
			return BN_DIVZERO;
		if (bn_mul(&y, &den[i]->coef, &t) != BN_OK)
			return BN_OVERFLOW;
		y = t;
		e += den[i]->scale;
	}
	/* value * 10^scale = x * 10^e / y */
	if (e >= 0)
	{
		if (bn_mul_pow10(&x, e) != BN_OK)
			return BN_OVERFLOW;
	}
	else if (bn_mul_pow10(&y, -e) != BN_OK)
		return BN_OVERFLOW;
	if (bn_divmod(&x, &y, &q, &r) != BN_OK)
		return BN_OVERFLOW;

	/* compare twice the remainder with the divisor */
	if (bn_mul_small(&r, 2, 0) != BN_OK)
		return BN_OVERFLOW;
	c = bn_cmp(&r, &y);
	if (c > 0 || (c == 0 && (rounding == BN_HALF_UP || (q.n > 0 && (q.d[0] & 1)))))
	{
		if (bn_mul_small(&q, 1, 1) != BN_OK)
			return BN_OVERFLOW;
	}
	out->coef = q;
	out->scale = scale;
	out->negative = amount->negative && q.n > 0;
	return BN_OK;
}
