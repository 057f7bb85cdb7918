/*
 * bignum.h
 *		Exact unsigned big integers of bounded size and exact decimal scaling
 *		with one final rounding, in pure C99.
 *
 * Currency conversion multiplies an amount by one or two exchange rates and
 * divides by one or two others (inverse and triangulated rates), then rounds
 * once to the target currency's minor units.  Doing that exactly needs
 * integers wider than 128 bits: a bn holds up to BN_LIMBS 32-bit limbs
 * (about 385 decimal digits), little-endian.  Caller-owned memory, no
 * globals, no error reporting: functions return a bn_status.
 */
#ifndef CRM_BIGNUM_H
#define CRM_BIGNUM_H

#include <stddef.h>
#include <stdint.h>

#define BN_LIMBS 40

/* longest decimal text of a bn: digits, point, NUL */
#define BN_TEXT_MAX (BN_LIMBS * 10 + 4)

typedef struct bn
{
	int			n;				/* limbs in use; 0 is the number zero */
	uint32_t	d[BN_LIMBS];	/* least significant limb first */
} bn;

typedef enum bn_status
{
	BN_OK = 0,
	BN_OVERFLOW,				/* a result needs more than BN_LIMBS limbs */
	BN_DIVZERO,					/* division by zero */
	BN_SYNTAX					/* a digit out of range */
} bn_status;

/* how a decimal is rounded to fewer places */
typedef enum bn_rounding
{
	BN_HALF_UP,					/* ties away from zero (PostgreSQL's round()) */
	BN_HALF_EVEN				/* ties to the even neighbour (banker's) */
} bn_rounding;

/* An exact decimal: (-1)^negative * coef / 10^scale. */
typedef struct bn_dec
{
	int			negative;
	int			scale;
	bn			coef;
} bn_dec;

extern void bn_set_u64(bn *a, uint64_t v);
extern int	bn_cmp(const bn *a, const bn *b);
extern bn_status bn_mul_small(bn *a, uint32_t m, uint32_t add);
extern bn_status bn_mul(const bn *a, const bn *b, bn *out);
extern bn_status bn_mul_pow10(bn *a, int k);
extern bn_status bn_divmod(const bn *x, const bn *y, bn *q, bn *r);
extern size_t bn_format(const bn *a, int scale, int negative, char *buf);
extern bn_status bn_dec_from_base10000(int negative, int weight,
									   const int16_t *digits, int ndigits,
									   bn_dec *out);
extern int	bn_to_base10000(const bn *coef, int scale, int16_t *digits, int max,
							int *weight);
extern bn_status bn_dec_scale_ratio(const bn_dec *amount,
									const bn_dec *const *num, int nnum,
									const bn_dec *const *den, int nden,
									int scale, bn_rounding rounding,
									bn_dec *out);

#endif							/* CRM_BIGNUM_H */
