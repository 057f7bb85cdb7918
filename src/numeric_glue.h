/*
 * numeric_glue.h
 *		Reading PostgreSQL numerics without numeric arithmetic, and making
 *		them from exact decimals: shared by the areas that keep exact amounts
 *		(funnel, deal_stats, currency conversion).
 */
#ifndef CRM_NUMERIC_GLUE_H
#define CRM_NUMERIC_GLUE_H

#include "postgres.h"

#include "fmgr.h"
#include "utils/builtins.h"
#include "utils/numeric.h"

#include "numeric/decimal128.h"

/* A numeric's stored form: sign, weight, display scale, base-10000 digits. */
typedef struct CrmNumericDigits
{
	bool		special;		/* NaN or +-Infinity: no digits */
	bool		negative;
	int			weight;			/* power of 10000 of digits[0] */
	int			dscale;			/* display scale */
	const int16 *digits;
	int			ndigits;
} CrmNumericDigits;

/*
 * Decode a (detoasted) numeric from its header words, PostgreSQL's stable
 * on-disk format, so that no numeric arithmetic runs per row.
 */
static inline void
crm_numeric_digits(Numeric num, CrmNumericDigits *out)
{
	const uint16 *p = (const uint16 *) VARDATA_ANY(num);
	Size		len = VARSIZE_ANY_EXHDR(num);
	uint16		h = p[0];

	out->special = (h & 0xC000) == 0xC000;
	if (out->special)
	{
		out->negative = false;
		out->weight = out->dscale = out->ndigits = 0;
		out->digits = NULL;
	}
	else if (h & 0x8000)
	{
		/* short header: sign, display scale and weight in one word */
		out->negative = (h & 0x2000) != 0;
		out->dscale = (h & 0x1F80) >> 7;
		out->weight = (h & 0x0040) ? (int) (int16) (h | 0xFFC0) : (int) (h & 0x003F);
		out->digits = (const int16 *) (p + 1);
		out->ndigits = (int) ((len - sizeof(uint16)) / sizeof(int16));
	}
	else
	{
		out->negative = (h & 0xC000) == 0x4000;
		out->dscale = h & 0x3FFF;
		out->weight = (int16) p[1];
		out->digits = (const int16 *) (p + 2);
		out->ndigits = (int) ((len - 2 * sizeof(uint16)) / sizeof(int16));
	}
}

/* The numeric of decimal text (exact). */
static inline Datum
crm_numeric_from_text(const char *text)
{
	return DirectFunctionCall3(numeric_in, CStringGetDatum(text),
							   ObjectIdGetDatum(InvalidOid), Int32GetDatum(-1));
}

/* The numeric value of a dec128 at a scale (exact: through its text). */
static inline Datum
crm_dec_numeric(dec128 v, int scale)
{
	char		tmp[DEC_TEXT_MAX];

	dec_format(v, scale, tmp);
	return crm_numeric_from_text(tmp);
}

/*
 * A numeric built directly from its base-10000 digits (most significant
 * first, no leading or trailing zero digit), in the long on-disk format
 * that every PostgreSQL version reads; no text parsing.
 */
static inline Datum
crm_numeric_from_digits(bool negative, int weight, int dscale,
						const int16 *digits, int ndigits)
{
	Size		len = VARHDRSZ + 2 * sizeof(uint16) + sizeof(int16) * ndigits;
	uint16	   *p = palloc(len);

	SET_VARSIZE(p, len);
	p[2] = (uint16) ((negative && ndigits > 0 ? 0x4000 : 0x0000) | (dscale & 0x3FFF));
	p[3] = (uint16) (int16) (ndigits > 0 ? weight : 0);
	if (ndigits > 0)
		memcpy(p + 4, digits, sizeof(int16) * ndigits);
	return PointerGetDatum(p);
}

/* A numeric's text, for error details. */
static inline char *
crm_numeric_text(Numeric num)
{
	return DatumGetCString(DirectFunctionCall1(numeric_out, NumericGetDatum(num)));
}

#endif							/* CRM_NUMERIC_GLUE_H */
