/*
 * decimal128.c
 *		Exact fixed-point decimals in 128-bit integers (see decimal128.h).
 */
#include "numeric/decimal128.h"

#include <string.h>

#define DEC128_MAX ((dec128) (((unsigned __int128) 1 << 127) - 1))
#define DEC128_MIN (-DEC128_MAX - 1)

/* 10^k for k = 0..38 (10^38 < 2^127 < 10^39) */
static dec128
pow10_128(int k)
{
	dec128		r = 1;

	while (k-- > 0)
		r *= 10;
	return r;
}

/* a + b, or DEC_OVERFLOW */
dec_status
dec_add(dec128 a, dec128 b, dec128 *out)
{
	if ((b > 0 && a > DEC128_MAX - b) || (b < 0 && a < DEC128_MIN - b))
		return DEC_OVERFLOW;
	*out = a + b;
	return DEC_OK;
}

/* a - b, or DEC_OVERFLOW */
dec_status
dec_sub(dec128 a, dec128 b, dec128 *out)
{
	if ((b < 0 && a > DEC128_MAX + b) || (b > 0 && a < DEC128_MIN + b))
		return DEC_OVERFLOW;
	*out = a - b;
	return DEC_OK;
}

/* v at from_scale expressed at a larger (or equal) to_scale */
dec_status
dec_rescale(dec128 v, int from_scale, int to_scale, dec128 *out)
{
	dec128		m;

	if (to_scale < from_scale || to_scale > DEC_MAX_SCALE)
		return DEC_OVERFLOW;
	m = pow10_128(to_scale - from_scale);
	if (v != 0 && (v > DEC128_MAX / m || v < DEC128_MIN / m))
		return DEC_OVERFLOW;
	*out = v * m;
	return DEC_OK;
}

/*
 * The value sum(digits[i] * 10000^(weight - i)), negated if negative, at
 * the given scale.  This is how PostgreSQL's numeric stores a number; digits
 * below the scale are rounded half away from zero.
 */
dec_status
dec_from_base10000(int negative, int weight, const int16_t *digits,
				   int ndigits, int scale, dec128 *out)
{
	dec128		acc = 0;
	int			round_up = 0;
	int			i;

	if (scale < 0 || scale > DEC_MAX_SCALE)
		return DEC_OVERFLOW;
	for (i = 0; i < ndigits; i++)
	{
		int			exp10 = 4 * (weight - i) + scale;	/* power of 10 of digit */
		int			d = digits[i];

		if (d < 0 || d > 9999)
			return DEC_SYNTAX;
		if (exp10 >= 0)
		{
			dec128		m;

			if (exp10 > 38)
			{
				if (d != 0)
					return DEC_OVERFLOW;
				continue;
			}
			m = pow10_128(exp10);
			if (d != 0 && (dec128) d > DEC128_MAX / m)
				return DEC_OVERFLOW;
			if (dec_add(acc, (dec128) d * m, &acc) != DEC_OK)
				return DEC_OVERFLOW;
		}
		else
		{
			/* digit partly or wholly below the scale: it decides rounding */
			if (exp10 > -4)
			{
				int			div = 1;
				int			k;

				for (k = 0; k < -exp10; k++)
					div *= 10;
				if (dec_add(acc, (dec128) (d / div), &acc) != DEC_OK)
					return DEC_OVERFLOW;
				round_up = (d % div) * 2 >= div;
			}
			else if (exp10 == -4)
				round_up = d >= 5000;
			break;
		}
	}
	if (round_up && dec_add(acc, 1, &acc) != DEC_OK)
		return DEC_OVERFLOW;
	*out = negative ? -acc : acc;
	return DEC_OK;
}

/* Write v at scale as decimal text into buf (DEC_TEXT_MAX bytes); length. */
size_t
dec_format(dec128 v, int scale, char *buf)
{
	char		tmp[DEC_TEXT_MAX];
	int			n = 0;
	size_t		len = 0;
	unsigned __int128 u;
	int			i;

	u = v < 0 ? (unsigned __int128) (-(v + 1)) + 1 : (unsigned __int128) v;
	do
	{
		tmp[n++] = (char) ('0' + (int) (u % 10));
		u /= 10;
	} while (u != 0 || n <= scale);
	if (v < 0)
		buf[len++] = '-';
	for (i = n - 1; i >= 0; i--)
	{
		buf[len++] = tmp[i];
		if (i == scale && scale > 0)
			buf[len++] = '.';
	}
	buf[len] = '\0';
	return len;
}

/*
 * Parse [+-]digits[.digits] (no exponent, no spaces) of length len.  The
 * scale is the number of digits after the point (at most DEC_MAX_SCALE).
 */
dec_status
dec_parse(const char *s, size_t len, dec128 *out, int *scale)
{
	size_t		i = 0;
	int			negative = 0;
	int			ndigits = 0;
	int			sc = -1;
	dec128		acc = 0;

	if (i < len && (s[i] == '+' || s[i] == '-'))
		negative = s[i++] == '-';
	for (; i < len; i++)
	{
		char		c = s[i];

		if (c == '.' && sc < 0)
		{
			sc = 0;
			continue;
		}
		if (c < '0' || c > '9')
			return DEC_SYNTAX;
		if (acc > (DEC128_MAX - 9) / 10)
			return DEC_OVERFLOW;
		acc = acc * 10 + (c - '0');
		ndigits++;
		if (sc >= 0 && ++sc > DEC_MAX_SCALE)
			return DEC_OVERFLOW;
	}
	if (ndigits == 0)
		return DEC_SYNTAX;
	*out = negative ? -acc : acc;
	*scale = sc < 0 ? 0 : sc;
	return DEC_OK;
}

/* Nearest double (for ratios and charts only, never for sums). */
double
dec_to_double(dec128 v, int scale)
{
	double		d = (double) v;
	int			i;

	for (i = 0; i < scale; i++)
		d /= 10.0;
	return d;
}
