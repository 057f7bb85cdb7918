/*
 * sequence.h
 *		Event-sequence patterns with ClickHouse's sequenceMatch /
 *		sequenceCount language and semantics: pure C99, no PostgreSQL
 *		headers, caller-owned memory.
 *
 * Pattern language (ClickHouse's; no blanks):
 *	(?N)		an event for which condition N (1-based) holds
 *	.			any one event
 *	.*			any number of events (also none)
 *	(?tOPn)		a time condition between the event matched before it and
 *				the next one: OP is <, <=, >, >= or ==, n a whole number of
 *				seconds, optionally followed by a unit: s, m (minutes), h,
 *				d or w (our extension; ClickHouse takes seconds only)
 * Events are the rows where at least one condition holds (other rows are
 * not events), sorted by time; equal times in ascending order of their
 * condition bit mask (ClickHouse leaves that order unspecified).
 */
#ifndef CRM_SEQUENCE_H
#define CRM_SEQUENCE_H

#include <stddef.h>
#include <stdint.h>

#define SEQ_MAX_CONDS 32

/* Actions of a parsed pattern. */
#define SEQ_EVENT		0		/* arg = condition index (0-based) */
#define SEQ_ANY			1
#define SEQ_STAR		2
#define SEQ_T_LE		3		/* arg = duration in timestamp units */
#define SEQ_T_LT		4
#define SEQ_T_GE		5
#define SEQ_T_GT		6
#define SEQ_T_EQ		7

typedef struct SeqAction
{
	int			op;
	int64_t		arg;
} SeqAction;

/* Parse errors (the position is a byte offset into the pattern). */
#define SEQ_OK					0
#define SEQ_ERR_SYMBOL			1	/* unexpected symbol */
#define SEQ_ERR_NUMBER			2	/* a number was expected */
#define SEQ_ERR_COND_RANGE		3	/* condition number 0 or above nconds */
#define SEQ_ERR_TIME_OP			4	/* unknown time comparison */
#define SEQ_ERR_PAREN			5	/* ")" expected */
#define SEQ_ERR_TIME_PLACE		6	/* time condition not after an event, "." or ".*" */
#define SEQ_ERR_TIME_RANGE		7	/* duration too large */
/* Match errors. */
#define SEQ_ERR_TOO_HARD		8	/* more than SEQ_MAX_ITERATIONS steps */

/* ClickHouse's sequence_match_max_iterations. */
#define SEQ_MAX_ITERATIONS 1000000

/*
 * Parse a pattern of len bytes for nconds conditions; units_per_second
 * converts durations (1000000 for microsecond timestamps).  actions must
 * hold len + 1 entries; the first is an implicit ".*" (a match may start
 * at any event).  On error, *err_pos is the byte offset of the problem.
 */
int			seq_parse(const char *pattern, size_t len, int nconds,
					  int64_t units_per_second, SeqAction *actions,
					  int *nactions, int *has_time, size_t *err_pos);

/*
 * Does the pattern match the events, sorted by (ts, mask) with wf_sort
 * (window_funnel.h; rows with mask 0 must have been left out)?  Patterns without time conditions are run as an NFA (no
 * limit), others by backtracking; *result = 0 or 1.  Returns SEQ_OK or
 * SEQ_ERR_TOO_HARD.  stack holds stack_cap entries of three size_t values
 * (nactions entries are enough: an entry per action at most), states
 * 3 * (nactions + 1) bytes.
 */
int			seq_match(const SeqAction *actions, int nactions, int has_time,
					  const int64_t *ts, const uint32_t *mask, size_t n,
					  size_t *stack, size_t stack_cap, unsigned char *states,
					  int *result);

/* The number of non-overlapping matches (ClickHouse sequenceCount). */
int			seq_count(const SeqAction *actions, int nactions,
					  const int64_t *ts, const uint32_t *mask, size_t n,
					  size_t *stack, size_t stack_cap, int64_t *result);

#endif							/* CRM_SEQUENCE_H */
