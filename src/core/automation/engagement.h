/*
 * engagement.h
 *		The state of the email_engagement aggregate, in pure C99: event
 *		counts per kind, per-recipient flags, and a time-decayed score, with
 *		the operations that build, combine, merge, check, read and print it.
 *
 * Recipients.  A state built from event rows (eng_add) describes ONE
 * recipient: recipients is 1 once it holds an event and each unique[k] is
 * 0 or 1 ("did this recipient ever have an event of kind k").  Such states
 * combine (eng_combine: two partial scans of the same rows, as parallel
 * query makes them) by adding the counts and taking the flags anew; states
 * of DIFFERENT recipients merge (eng_merge) by adding everything, so the
 * unique counts of a merged state are exact numbers of recipients.
 *
 * Score.  Each event contributes weight(kind) * 2^(-(t - at) / half_life)
 * at time t.  The state keeps the sum relative to its latest event,
 *		score = sum of weight(kind) * 2^((at - last_at) / half_life),
 * whose terms are at most |weight| in size (no overflow however long the
 * history), and the value at any t >= last_at is score * 2^(-(t - last_at)
 * / half_life).  Times are int64 microseconds on any common origin.
 */
#ifndef CRM_ENGAGEMENT_H
#define CRM_ENGAGEMENT_H

#include <stddef.h>
#include <stdint.h>

#define ENG_VERSION 1
#define ENG_NKINDS 6

typedef enum eng_kind
{
	ENG_SENT = 0,
	ENG_DELIVERED,
	ENG_OPENED,
	ENG_CLICKED,
	ENG_BOUNCED,
	ENG_UNSUBSCRIBED
} eng_kind;

typedef enum eng_status
{
	ENG_OK = 0,
	ENG_SKIPPED,				/* the event is after as_of: not counted */
	ENG_OVERFLOW,				/* a count would overflow int64 */
	ENG_MISMATCH,				/* different half-lives or as_of */
	ENG_NOT_ONE,				/* combine needs one-recipient states */
	ENG_SYNTAX,					/* text form malformed */
	ENG_INVALID,				/* values that no state can hold */
	ENG_RANGE					/* a score beyond double range */
} eng_status;

/* flags */
#define ENG_HAS_AS_OF 1

typedef struct eng_state
{
	int32_t		version;		/* ENG_VERSION */
	int32_t		flags;			/* ENG_HAS_AS_OF */
	int64_t		half_life;		/* microseconds, > 0 */
	int64_t		as_of;			/* events after it are not counted */
	int64_t		n[ENG_NKINDS];	/* events of each kind */
	int64_t		recipients;
	int64_t		unique[ENG_NKINDS]; /* recipients with an event of kind k */
	int64_t		first_at;		/* earliest and latest counted event */
	int64_t		last_at;		/* (0 while there is none) */
	double		score;			/* decayed sum relative to last_at */
} eng_state;

/* the rates, NaN where the denominator is 0 */
typedef struct eng_rates
{
	double		open_rate;		/* unique opens / delivered recipients */
	double		click_rate;		/* unique clicks / delivered recipients */
	double		click_to_open;	/* unique clicks / unique opens */
	double		bounce_rate;	/* bounced recipients / sent recipients */
	double		unsubscribe_rate;	/* unsubscribed / delivered recipients */
} eng_rates;

/* longest text form, with its NUL */
#define ENG_TEXT_MAX 512

extern const char *const eng_kind_names[ENG_NKINDS];
extern const double eng_weight[ENG_NKINDS];

extern int	eng_kind_from_name(const char *s, size_t len);
extern void eng_init(eng_state *s, int64_t half_life, int has_as_of, int64_t as_of);
extern int64_t eng_total(const eng_state *s);
extern eng_status eng_add(eng_state *s, eng_kind kind, int64_t at);
extern eng_status eng_combine(eng_state *dst, const eng_state *src);
extern eng_status eng_merge(eng_state *dst, const eng_state *src);
extern eng_status eng_check(const eng_state *s);
extern eng_status eng_score_at(const eng_state *s, int64_t t, double *score);
extern void eng_get_rates(const eng_state *s, eng_rates *r);
extern size_t eng_format(const eng_state *s, char *buf, size_t buflen);
extern eng_status eng_parse(const char *str, size_t len, eng_state *s,
							size_t *errpos);

#endif							/* CRM_ENGAGEMENT_H */
