/*
 * test_funnel_hist.c
 *		Unit tests of src/core/numeric/decimal128.c and src/core/funnel/funnel_hist.c.
 *		Expected values are worked out by hand from the definitions.
 */
#include "numeric/decimal128.h"
#include "funnel/funnel_hist.h"
#include "unit.h"

/* format helper: the text of v at scale */
static const char *
fmt(dec128 v, int scale)
{
	static char buf[DEC_TEXT_MAX];

	dec_format(v, scale, buf);
	return buf;
}

void
test_decimal128(void)
{
	dec128		v;
	int			scale;
	/* 12345.6789 as numeric stores: weight 1, digits {1, 2345, 6789} */
	const int16_t d1[] = {1, 2345, 6789};
	/* 0.00015 as numeric: weight -1, digits {1, 5000} (0.0001 5000) */
	const int16_t d2[] = {1, 5000};
	/* 10^36 as numeric: weight 9, digits {1} */
	const int16_t d3[] = {1};

	CHECK("parse", dec_parse("-12.50", 6, &v, &scale) == DEC_OK && scale == 2);
	CHECK_STR("format -12.50", fmt(v, scale), "-12.50");
	CHECK("parse int", dec_parse("7", 1, &v, &scale) == DEC_OK && scale == 0 && v == 7);
	CHECK("parse junk", dec_parse("1x", 2, &v, &scale) == DEC_SYNTAX);
	CHECK("parse empty", dec_parse("-", 1, &v, &scale) == DEC_SYNTAX);
	CHECK("parse two points", dec_parse("1.2.3", 5, &v, &scale) == DEC_SYNTAX);
	CHECK("parse 19 decimals", dec_parse("0.1234567890123456789", 21, &v, &scale) == DEC_OVERFLOW);
	CHECK("parse 40 digits", dec_parse("1234567890123456789012345678901234567890", 40, &v, &scale) == DEC_OVERFLOW);
	CHECK_STR("format 0 at 3", fmt(0, 3), "0.000");
	CHECK_STR("format -5 at 3", fmt(-5, 3), "-0.005");
	CHECK_STR("format 123 at 0", fmt(123, 0), "123");

	CHECK("from base 10000", dec_from_base10000(0, 1, d1, 3, 4, &v) == DEC_OK);
	CHECK_STR("12345.6789 at 4", fmt(v, 4), "12345.6789");
	CHECK("scale 2 rounds", dec_from_base10000(1, 1, d1, 3, 2, &v) == DEC_OK);
	CHECK_STR("-12345.6789 at 2", fmt(v, 2), "-12345.68");
	CHECK("scale 0 rounds", dec_from_base10000(0, 1, d1, 3, 0, &v) == DEC_OK);
	CHECK_STR("12345.6789 at 0", fmt(v, 0), "12346");
	CHECK("small", dec_from_base10000(0, -1, d2, 2, 5, &v) == DEC_OK);
	CHECK_STR("0.00015 at 5", fmt(v, 5), "0.00015");
	CHECK("half rounds away", dec_from_base10000(1, -1, d2, 2, 4, &v) == DEC_OK);
	CHECK_STR("-0.00015 at 4", fmt(v, 4), "-0.0002");
	CHECK("1e36 at 2", dec_from_base10000(0, 9, d3, 1, 2, &v) == DEC_OK);
	CHECK_STR("1e36 text", fmt(v, 0), "100000000000000000000000000000000000000");
	CHECK("1e36 at 3 overflows", dec_from_base10000(0, 9, d3, 1, 3, &v) == DEC_OVERFLOW);

	CHECK("rescale", dec_rescale(15, 1, 3, &v) == DEC_OK && v == 1500);
	CHECK("rescale down refused", dec_rescale(15, 3, 1, &v) == DEC_OVERFLOW);
	{
		dec128		big;

		dec_parse("999999999999999999999", 21, &big, &scale);	/* 10^21 - 1 */
		/* (10^21 - 1) * 10^18 > 2^127 - 1 ~ 1.7e38; * 10^17 is below */
		CHECK("rescale overflow", dec_rescale(big, 0, 18, &v) == DEC_OVERFLOW);
		CHECK("rescale fits", dec_rescale(big, 0, 17, &v) == DEC_OK);
		{
			dec128		half = (dec128) 1 << 126;	/* 2^126: twice overflows */
			dec128		sum;

			CHECK("add near max", dec_add(half - 1, half, &sum) == DEC_OK);
			CHECK("add overflow", dec_add(half, half, &sum) == DEC_OVERFLOW);
			CHECK("add underflow", dec_add(-half, -half - 1, &sum) == DEC_OVERFLOW);
		}
	}
	CHECK("sub", dec_sub(5, 7, &v) == DEC_OK && v == -2);
	CHECK("to double", dec_to_double(1250, 3) == 1.25);
}

void
test_funnel_hist(void)
{
	/* path a b c (won) + lost l: at = entities ending at each stage */
	const int64_t at[] = {2, 1, 3, 4};
	const unsigned char off[] = {0, 0, 0, 1};
	int64_t		reached[4];
	int64_t		back[4];
	const int64_t bad[] = {5, 6, 1, 0};
	const int64_t lost_first[] = {3, 4, 2};
	const unsigned char off2[] = {1, 0, 0};
	dec128		amt[] = {10, -5, 7, 1};
	dec128		amt_r[4];
	dec128		amt_back[4];

	CHECK("reached", fc_reached(4, at, off, reached) == 0);
	CHECK("reached a", reached[0] == 6);
	CHECK("reached b", reached[1] == 4);
	CHECK("reached c", reached[2] == 3);
	CHECK("reached lost", reached[3] == 4);
	CHECK("inverse", fc_at_from_reached(4, reached, off, back) == -1);
	CHECK("inverse values", back[0] == 2 && back[1] == 1 && back[2] == 3 && back[3] == 4);
	CHECK("growing path refused at b", fc_at_from_reached(4, bad, off, back) == 1);
	/* an off-path stage first does not take part: the path is 4 -> 2 */
	CHECK("lost first", fc_at_from_reached(3, lost_first, off2, back) == -1);
	CHECK("lost first values", back[0] == 3 && back[1] == 2 && back[2] == 2);
	CHECK("positional", fc_reached(3, at, NULL, reached) == 0 && reached[0] == 6 && reached[2] == 3);
	CHECK("amount reached", fc_amount_reached(4, amt, off, amt_r) == DEC_OK);
	CHECK("amount values", amt_r[0] == 12 && amt_r[1] == 2 && amt_r[2] == 7 && amt_r[3] == 1);
	CHECK("amount inverse", fc_amount_at_from_reached(4, amt_r, off, amt_back) == DEC_OK);
	CHECK("amount inverse values", amt_back[0] == 10 && amt_back[1] == -5 && amt_back[2] == 7 && amt_back[3] == 1);
	{
		const int64_t huge[] = {INT64_MAX, 1};

		CHECK("count overflow", fc_reached(2, huge, NULL, reached) == -1);
	}
}
