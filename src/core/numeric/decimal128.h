/*
 * decimal128.h
 *		Exact fixed-point decimal sums in a 128-bit integer, in pure C99 (plus
 *		the __int128 type of GCC and Clang).
 *
 * A value v at scale s stands for v / 10^s.  The funnel type keeps its
 * per-stage amount sums this way: adding is one integer addition, nothing
 * is rounded, and overflow is detected instead of wrapping.  Inputs with
 * more than DEC_MAX_SCALE decimal places are rounded half away from zero to
 * DEC_MAX_SCALE places (the only rounding anywhere).  Caller-owned memory,
 * no globals, no error reporting: functions return a dec_status.
 */
#ifndef CRM_DECIMAL128_H
#define CRM_DECIMAL128_H

#include <stddef.h>
#include <stdint.h>

/*
 * Declared 8-byte aligned: palloc() and malloc() of arrays guarantee no more,
 * and with the default 16 the compiler may use aligned SSE moves that fault.
 */
typedef __int128 dec128 __attribute__((aligned(8)));

/* most decimal places kept: 10^18 * 1.7e20 still fits in 127 bits */
#define DEC_MAX_SCALE 18

/* longest text a dec128 formats to: sign, 39 digits, point, NUL */
#define DEC_TEXT_MAX 48

typedef enum dec_status
{
	DEC_OK = 0,
	DEC_OVERFLOW,				/* result out of the 128-bit range */
	DEC_SYNTAX					/* text is not a decimal number */
} dec_status;

extern dec_status dec_add(dec128 a, dec128 b, dec128 *out);
extern dec_status dec_sub(dec128 a, dec128 b, dec128 *out);
extern dec_status dec_rescale(dec128 v, int from_scale, int to_scale, dec128 *out);
extern dec_status dec_from_base10000(int negative, int weight,
									 const int16_t *digits, int ndigits,
									 int scale, dec128 *out);
extern size_t dec_format(dec128 v, int scale, char *buf);
extern dec_status dec_parse(const char *s, size_t len, dec128 *out, int *scale);
extern double dec_to_double(dec128 v, int scale);

#endif							/* CRM_DECIMAL128_H */
