/*
 * engagement.c
 *		The email_engagement state (see engagement.h).
 */
#include "automation/engagement.h"

#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char *const eng_kind_names[ENG_NKINDS] = {
	"sent", "delivered", "opened", "clicked", "bounced", "unsubscribed"
};

/*
 * Score weight of each kind: an open is worth 1, a click 3 (it shows more
 * intent than an open), a bounce -1 and an unsubscribe -5 (the contact
 * asked to hear less); sending and delivery are the sender's doing, 0.
 */
const double eng_weight[ENG_NKINDS] = {0.0, 0.0, 1.0, 3.0, -1.0, -5.0};

/* the largest |weight|, for the plausibility check of a score */
#define ENG_MAX_WEIGHT 5.0

/* Kind index of a kind name, or -1. */
int
eng_kind_from_name(const char *s, size_t len)
{
	int			k;

	for (k = 0; k < ENG_NKINDS; k++)
		if (strlen(eng_kind_names[k]) == len &&
			memcmp(eng_kind_names[k], s, len) == 0)
			return k;
	return -1;
}

/* An empty state. */
void
eng_init(eng_state *s, int64_t half_life, int has_as_of, int64_t as_of)
{
	memset(s, 0, sizeof(*s));
	s->version = ENG_VERSION;
	s->half_life = half_life;
	if (has_as_of)
	{
		s->flags = ENG_HAS_AS_OF;
		s->as_of = as_of;
	}
}

/*
 * Events counted, saturating at INT64_MAX; a negative count also gives
 * INT64_MAX (only a corrupt state gets either, and eng_check refuses it).
 */
int64_t
eng_total(const eng_state *s)
{
	int64_t		t = 0;
	int			k;

	for (k = 0; k < ENG_NKINDS; k++)
	{
		if (s->n[k] < 0 || s->n[k] > INT64_MAX - t)
			return INT64_MAX;
		t += s->n[k];
	}
	return t;
}

/*
 * Recompute the flags of a one-recipient state from its counts.  Delivered:
 * a delivery event, or (for senders that report none) more sends than
 * bounces.
 */
static void
set_one_recipient(eng_state *s)
{
	int			k;
	int			any = eng_total(s) > 0;

	s->recipients = any ? 1 : 0;
	for (k = 0; k < ENG_NKINDS; k++)
		s->unique[k] = (any && s->n[k] > 0) ? 1 : 0;
	s->unique[ENG_DELIVERED] =
		(any && (s->n[ENG_DELIVERED] > 0 || s->n[ENG_SENT] > s->n[ENG_BOUNCED])) ? 1 : 0;
}

/* 2^(e / h) for times given as int64 microseconds */
static double
decay(int64_t from, int64_t to, int64_t half_life)
{
	return exp2(((double) to - (double) from) / (double) half_life);
}

/* Fold src's score and time span into dst's (before the counts are added). */
static void
merge_score(eng_state *dst, const eng_state *src)
{
	int64_t		last;

	if (eng_total(src) == 0)
		return;
	if (eng_total(dst) == 0)
	{
		dst->first_at = src->first_at;
		dst->last_at = src->last_at;
		dst->score = src->score;
		return;
	}
	last = dst->last_at > src->last_at ? dst->last_at : src->last_at;
	dst->score = dst->score * decay(last, dst->last_at, dst->half_life) +
		src->score * decay(last, src->last_at, dst->half_life);
	dst->last_at = last;
	if (src->first_at < dst->first_at)
		dst->first_at = src->first_at;
}

/* a + b into *out, or 0 on int64 overflow (both are non-negative) */
static int
add_count(int64_t a, int64_t b, int64_t *out)
{
	if (b > INT64_MAX - a)
		return 0;
	*out = a + b;
	return 1;
}

/* Count one event of a one-recipient state. */
eng_status
eng_add(eng_state *s, eng_kind kind, int64_t at)
{
	double		w;

	if ((int) kind < 0 || (int) kind >= ENG_NKINDS)
		return ENG_INVALID;
	if ((s->flags & ENG_HAS_AS_OF) && at > s->as_of)
		return ENG_SKIPPED;
	if (s->recipients > 1)
		return ENG_NOT_ONE;
	if (s->n[kind] == INT64_MAX || eng_total(s) == INT64_MAX)
		return ENG_OVERFLOW;
	w = eng_weight[kind];
	if (eng_total(s) == 0)
	{
		s->first_at = s->last_at = at;
		s->score = w;
	}
	else if (at > s->last_at)
	{
		s->score = s->score * decay(at, s->last_at, s->half_life) + w;
		s->last_at = at;
	}
	else
	{
		s->score += w * decay(s->last_at, at, s->half_life);
		if (at < s->first_at)
			s->first_at = at;
	}
	s->n[kind]++;
	set_one_recipient(s);
	return ENG_OK;
}

/* Do two states use the same half-life and as_of? */
static int
compatible(const eng_state *a, const eng_state *b)
{
	return a->half_life == b->half_life && a->flags == b->flags &&
		a->as_of == b->as_of;
}

/*
 * Combine two states of the same recipient (partial scans of one group):
 * counts add, the flags follow from the sums.
 */
eng_status
eng_combine(eng_state *dst, const eng_state *src)
{
	eng_state	r = *dst;
	int			k;

	if (!compatible(dst, src))
		return ENG_MISMATCH;
	if (dst->recipients > 1 || src->recipients > 1)
		return ENG_NOT_ONE;
	merge_score(&r, src);
	for (k = 0; k < ENG_NKINDS; k++)
		if (!add_count(dst->n[k], src->n[k], &r.n[k]))
			return ENG_OVERFLOW;
	if (eng_total(&r) == INT64_MAX)
		return ENG_OVERFLOW;
	set_one_recipient(&r);
	*dst = r;
	return ENG_OK;
}

/* Merge the states of different recipients: everything adds. */
eng_status
eng_merge(eng_state *dst, const eng_state *src)
{
	eng_state	r = *dst;
	int			k;

	if (!compatible(dst, src))
		return ENG_MISMATCH;
	merge_score(&r, src);
	for (k = 0; k < ENG_NKINDS; k++)
		if (!add_count(dst->n[k], src->n[k], &r.n[k]) ||
			!add_count(dst->unique[k], src->unique[k], &r.unique[k]))
			return ENG_OVERFLOW;
	if (!add_count(dst->recipients, src->recipients, &r.recipients) ||
		eng_total(&r) == INT64_MAX)
		return ENG_OVERFLOW;
	*dst = r;
	return ENG_OK;
}

/*
 * Is this a state the functions above can produce?  (The text and binary
 * inputs accept nothing else.)
 */
eng_status
eng_check(const eng_state *s)
{
	int64_t		total = eng_total(s);
	int			k;

	if (s->version != ENG_VERSION || (s->flags & ~ENG_HAS_AS_OF) != 0 ||
		s->half_life <= 0 || (!(s->flags & ENG_HAS_AS_OF) && s->as_of != 0) ||
		s->recipients < 0 || total == INT64_MAX)
		return ENG_INVALID;
	for (k = 0; k < ENG_NKINDS; k++)
	{
		if (s->n[k] < 0 || s->unique[k] < 0 || s->unique[k] > s->recipients)
			return ENG_INVALID;
		if (k != ENG_DELIVERED && s->unique[k] > s->n[k])
			return ENG_INVALID;
	}
	if ((total == 0) != (s->recipients == 0) || s->recipients > total)
		return ENG_INVALID;
	if (!isfinite(s->score))
		return ENG_INVALID;
	if (total == 0)
		return (s->first_at == 0 && s->last_at == 0 && s->score == 0.0)
			? ENG_OK : ENG_INVALID;
	if (s->first_at > s->last_at ||
		((s->flags & ENG_HAS_AS_OF) && s->last_at > s->as_of))
		return ENG_INVALID;
	/* every term of the sum is at most the largest weight in size */
	if (fabs(s->score) > ENG_MAX_WEIGHT * (double) total * (1.0 + 1e-9) + 1e-9)
		return ENG_INVALID;
	return ENG_OK;
}

/* The score decayed to time t. */
eng_status
eng_score_at(const eng_state *s, int64_t t, double *score)
{
	double		v;

	if (eng_total(s) == 0)
	{
		*score = 0.0;
		return ENG_OK;
	}
	v = s->score * decay(t, s->last_at, s->half_life);
	if (!isfinite(v))
		return ENG_RANGE;
	*score = v;
	return ENG_OK;
}

/* a / b, NaN when b is 0 */
static double
ratio(int64_t a, int64_t b)
{
	return b == 0 ? NAN : (double) a / (double) b;
}

/* The rates of a state. */
void
eng_get_rates(const eng_state *s, eng_rates *r)
{
	r->open_rate = ratio(s->unique[ENG_OPENED], s->unique[ENG_DELIVERED]);
	r->click_rate = ratio(s->unique[ENG_CLICKED], s->unique[ENG_DELIVERED]);
	r->click_to_open = ratio(s->unique[ENG_CLICKED], s->unique[ENG_OPENED]);
	r->bounce_rate = ratio(s->unique[ENG_BOUNCED], s->unique[ENG_SENT]);
	r->unsubscribe_rate = ratio(s->unique[ENG_UNSUBSCRIBED], s->unique[ENG_DELIVERED]);
}

/*
 * The text form:
 *	 v1;hl=H;as_of=T|none;n=S,D,O,C,B,U;r=R;u=S,D,O,C,B,U;first=T|none;last=T|none;score=X
 * (times in microseconds, the score with 17 significant digits, which
 * round-trips a double).  Returns the length written (buflen >= ENG_TEXT_MAX
 * always suffices).
 */
size_t
eng_format(const eng_state *s, char *buf, size_t buflen)
{
	char		asof[32],
				first[32],
				last[32];
	int			len;
	int			any = eng_total(s) > 0;

	if (s->flags & ENG_HAS_AS_OF)
		snprintf(asof, sizeof(asof), "%" PRId64, s->as_of);
	else
		strcpy(asof, "none");
	if (any)
	{
		snprintf(first, sizeof(first), "%" PRId64, s->first_at);
		snprintf(last, sizeof(last), "%" PRId64, s->last_at);
	}
	else
	{
		strcpy(first, "none");
		strcpy(last, "none");
	}
	len = snprintf(buf, buflen,
				   "v%d;hl=%" PRId64 ";as_of=%s"
				   ";n=%" PRId64 ",%" PRId64 ",%" PRId64 ",%" PRId64 ",%" PRId64 ",%" PRId64
				   ";r=%" PRId64
				   ";u=%" PRId64 ",%" PRId64 ",%" PRId64 ",%" PRId64 ",%" PRId64 ",%" PRId64
				   ";first=%s;last=%s;score=%.17g",
				   (int) s->version, s->half_life, asof,
				   s->n[0], s->n[1], s->n[2], s->n[3], s->n[4], s->n[5],
				   s->recipients,
				   s->unique[0], s->unique[1], s->unique[2], s->unique[3],
				   s->unique[4], s->unique[5],
				   first, last, any ? s->score : 0.0);
	return len < 0 ? 0 : (size_t) len;
}

/* A cursor over the text being parsed. */
typedef struct cursor
{
	const char *s;
	size_t		len;
	size_t		pos;
} cursor;

/* Consume the literal lit, or fail. */
static int
expect(cursor *c, const char *lit)
{
	size_t		n = strlen(lit);

	if (c->len - c->pos < n || memcmp(c->s + c->pos, lit, n) != 0)
		return 0;
	c->pos += n;
	return 1;
}

/* An optionally negative decimal int64, no spaces, no overflow. */
static int
parse_int64(cursor *c, int64_t *out)
{
	int			neg = 0;
	uint64_t	v = 0;
	uint64_t	limit;
	size_t		start;

	if (c->pos < c->len && c->s[c->pos] == '-')
	{
		neg = 1;
		c->pos++;
	}
	limit = neg ? (uint64_t) INT64_MAX + 1 : (uint64_t) INT64_MAX;
	start = c->pos;
	while (c->pos < c->len && c->s[c->pos] >= '0' && c->s[c->pos] <= '9')
	{
		unsigned	d = (unsigned) (c->s[c->pos] - '0');

		if (v > (limit - d) / 10)
			return 0;
		v = v * 10 + d;
		c->pos++;
	}
	if (c->pos == start)
		return 0;
	*out = neg ? (v == (uint64_t) INT64_MAX + 1 ? INT64_MIN : -(int64_t) v) : (int64_t) v;
	return 1;
}

/* A time in microseconds or "none". */
static int
parse_time(cursor *c, int64_t *out, int *present)
{
	if (expect(c, "none"))
	{
		*present = 0;
		*out = 0;
		return 1;
	}
	*present = 1;
	return parse_int64(c, out);
}

/* Six comma-separated int64 values. */
static int
parse_six(cursor *c, int64_t *v)
{
	int			k;

	for (k = 0; k < ENG_NKINDS; k++)
		if ((k > 0 && !expect(c, ",")) || !parse_int64(c, &v[k]))
			return 0;
	return 1;
}

/* A finite double written with digits, sign, point and exponent only. */
static int
parse_double(cursor *c, double *out)
{
	char		buf[64];
	size_t		n = 0;
	char	   *end;

	while (c->pos + n < c->len && n < sizeof(buf) - 1 &&
		   strchr("0123456789+-.eE", c->s[c->pos + n]) != NULL &&
		   c->s[c->pos + n] != '\0')
		n++;
	if (n == 0 || n == sizeof(buf) - 1)
		return 0;
	memcpy(buf, c->s + c->pos, n);
	buf[n] = '\0';
	*out = strtod(buf, &end);
	if (end != buf + n || !isfinite(*out))
		return 0;
	c->pos += n;
	return 1;
}

/*
 * Parse the text form (see eng_format) into *s and check it.  ENG_SYNTAX
 * with *errpos at the first byte not understood, or ENG_INVALID for a
 * well-formed text of impossible values.
 */
eng_status
eng_parse(const char *str, size_t len, eng_state *s, size_t *errpos)
{
	cursor		c = {str, len, 0};
	int64_t		version;
	int			has_as_of,
				has_first,
				has_last;
	int64_t		as_of;

	memset(s, 0, sizeof(*s));
	if (!expect(&c, "v") || !parse_int64(&c, &version) ||
		!expect(&c, ";hl=") || !parse_int64(&c, &s->half_life) ||
		!expect(&c, ";as_of=") || !parse_time(&c, &as_of, &has_as_of) ||
		!expect(&c, ";n=") || !parse_six(&c, s->n) ||
		!expect(&c, ";r=") || !parse_int64(&c, &s->recipients) ||
		!expect(&c, ";u=") || !parse_six(&c, s->unique) ||
		!expect(&c, ";first=") || !parse_time(&c, &s->first_at, &has_first) ||
		!expect(&c, ";last=") || !parse_time(&c, &s->last_at, &has_last) ||
		!expect(&c, ";score=") || !parse_double(&c, &s->score) ||
		c.pos != len)
	{
		*errpos = c.pos;
		return ENG_SYNTAX;
	}
	*errpos = 0;
	if (version != ENG_VERSION)
		return ENG_INVALID;
	s->version = ENG_VERSION;
	s->flags = has_as_of ? ENG_HAS_AS_OF : 0;
	s->as_of = as_of;
	/* times are given exactly when there are events */
	if (has_first != has_last || has_first != (eng_total(s) > 0))
		return ENG_INVALID;
	return eng_check(s);
}
