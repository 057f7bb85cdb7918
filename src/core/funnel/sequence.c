/*
 * sequence.c
 *		Event-sequence patterns (ClickHouse sequenceMatch / sequenceCount).
 *
 * The matcher follows ClickHouse's AggregateFunctionSequenceMatch: a
 * pattern starts with an implicit ".*"; patterns with time conditions are
 * matched by backtracking over a stack of (action, event, base event)
 * entries pushed by ".*" and time conditions, where the base event is the
 * one a time condition measures from (the last event consumed; after ".*"
 * the event the star stopped at).  A failing "<" or "<=" backtracks; a
 * failing ">", ">=" or "==" moves on to the next event (so those conditions
 * also skip events).  Actions left when the events run out match if they
 * are ".*", "<", "<=" or ">=0".  Patterns without time conditions are run
 * as a nondeterministic automaton, which gives the same answers without a
 * step limit.  sequence_count repeats the backtracking match from where
 * the previous match ended (at least one event further).
 */
#include "funnel/sequence.h"

#include <string.h>

/* Parse a run of decimal digits at *i; returns 0 when there is none. */
static int
seq_digits(const char *p, size_t len, size_t *i, uint64_t *v)
{
	size_t		start = *i;
	uint64_t	r = 0;

	while (*i < len && p[*i] >= '0' && p[*i] <= '9')
	{
		if (r <= (UINT64_MAX - 9) / 10)
			r = r * 10 + (uint64_t) (p[*i] - '0');
		else
			r = UINT64_MAX;		/* saturate: refused as out of range */
		(*i)++;
	}
	*v = r;
	return *i > start;
}

/* Does the pattern continue with the text s at i? */
static int
seq_at(const char *p, size_t len, size_t i, const char *s)
{
	size_t		n = strlen(s);

	return len - i >= n && memcmp(p + i, s, n) == 0;
}

/* Parse a pattern (see header). */
int
seq_parse(const char *p, size_t len, int nconds, int64_t units_per_second,
		  SeqAction *actions, int *nactions, int *has_time, size_t *err_pos)
{
	size_t		i = 0;
	int			na = 0;

	*has_time = 0;
	actions[na].op = SEQ_STAR;	/* the implicit leading ".*" */
	actions[na++].arg = 0;
	while (i < len)
	{
		if (seq_at(p, len, i, "(?"))
		{
			size_t		open = i;

			i += 2;
			if (i < len && p[i] == 't')
			{
				int			op;
				uint64_t	n;
				uint64_t	mult = 1;
				int			prev = actions[na - 1].op;

				i++;
				if (seq_at(p, len, i, "<="))
					op = SEQ_T_LE, i += 2;
				else if (seq_at(p, len, i, "<"))
					op = SEQ_T_LT, i += 1;
				else if (seq_at(p, len, i, ">="))
					op = SEQ_T_GE, i += 2;
				else if (seq_at(p, len, i, ">"))
					op = SEQ_T_GT, i += 1;
				else if (seq_at(p, len, i, "=="))
					op = SEQ_T_EQ, i += 2;
				else
				{
					*err_pos = i;
					return SEQ_ERR_TIME_OP;
				}
				*err_pos = i;
				if (!seq_digits(p, len, &i, &n))
					return SEQ_ERR_NUMBER;
				if (i < len)
				{
					switch (p[i])
					{
						case 's':
							mult = 1;
							i++;
							break;
						case 'm':
							mult = 60;
							i++;
							break;
						case 'h':
							mult = 3600;
							i++;
							break;
						case 'd':
							mult = 86400;
							i++;
							break;
						case 'w':
							mult = 604800;
							i++;
							break;
						default:
							break;
					}
				}
				/* at most 9e12 seconds (about 285,000 years) */
				if (n > UINT64_C(9000000000000) / mult ||
					n * mult > UINT64_C(9000000000000) ||
					(units_per_second > 0 &&
					 n * mult > (uint64_t) (INT64_MAX / units_per_second)))
					return SEQ_ERR_TIME_RANGE;
				if (prev != SEQ_EVENT && prev != SEQ_ANY && prev != SEQ_STAR)
				{
					*err_pos = open;
					return SEQ_ERR_TIME_PLACE;
				}
				actions[na].op = op;
				actions[na++].arg = (int64_t) (n * mult) * units_per_second;
				*has_time = 1;
			}
			else
			{
				uint64_t	n;

				*err_pos = i;
				if (!seq_digits(p, len, &i, &n))
					return SEQ_ERR_NUMBER;
				if (n < 1 || n > (uint64_t) nconds)
					return SEQ_ERR_COND_RANGE;
				actions[na].op = SEQ_EVENT;
				actions[na++].arg = (int64_t) (n - 1);
			}
			if (i >= len || p[i] != ')')
			{
				*err_pos = i;
				return SEQ_ERR_PAREN;
			}
			i++;
		}
		else if (seq_at(p, len, i, ".*"))
		{
			actions[na].op = SEQ_STAR;
			actions[na++].arg = 0;
			i += 2;
		}
		else if (p[i] == '.')
		{
			actions[na].op = SEQ_ANY;
			actions[na++].arg = 0;
			i++;
		}
		else
		{
			*err_pos = i;
			return SEQ_ERR_SYMBOL;
		}
	}
	*nactions = na;
	return SEQ_OK;
}

/* Does the time condition hold between the base event and event ev? */
static inline int
seq_time_ok(int op, int64_t arg, int64_t tbase, int64_t tev)
{
	/* events are sorted, so tev >= tbase: compare the difference */
	uint64_t	d = (uint64_t) tev - (uint64_t) tbase;
	uint64_t	a = (uint64_t) arg;

	switch (op)
	{
		case SEQ_T_LE:
			return d <= a;
		case SEQ_T_LT:
			return d < a;
		case SEQ_T_GE:
			return d >= a;
		case SEQ_T_GT:
			return d > a;
		default:
			return d == a;
	}
}

/*
 * One backtracking match starting at event *pos (see the file header);
 * *pos ends after the last event consumed (at least one further than it
 * began).  Returns 1 on a match, 0 without, -1 past the step limit.
 */
static int
seq_backtrack(const SeqAction *actions, int nactions, const int64_t *ts,
			  const uint32_t *mask, size_t n, size_t *pos, size_t *stack,
			  size_t stack_cap)
{
	size_t		ev = *pos;
	size_t		begin = ev;
	size_t		base = ev;
	size_t		depth = 0;
	size_t		iters = 0;
	int			a = 0;

/* pop entries until one leaves an event to try; 0 when none does */
#define SEQ_BACKTRACK(ok) \
	do { \
		(ok) = 0; \
		while (depth > 0) \
		{ \
			depth--; \
			a = (int) stack[3 * depth]; \
			ev = stack[3 * depth + 1] + 1; \
			base = stack[3 * depth + 2]; \
			if (ev != n) \
			{ \
				(ok) = 1; \
				break; \
			} \
		} \
	} while (0)
#define SEQ_PUSH() \
	do { \
		if (depth < stack_cap) \
		{ \
			stack[3 * depth] = (size_t) a; \
			stack[3 * depth + 1] = ev; \
			stack[3 * depth + 2] = base; \
			depth++; \
		} \
	} while (0)

	while (a < nactions && ev < n)
	{
		int			op = actions[a].op;
		int			ok;

		if (op == SEQ_EVENT)
		{
			if (mask[ev] & ((uint32_t) 1 << actions[a].arg))
			{
				base = ev;
				a++;
				ev++;
			}
			else
			{
				SEQ_BACKTRACK(ok);
				if (!ok)
					break;
			}
		}
		else if (op == SEQ_ANY)
		{
			base = ev;
			a++;
			ev++;
		}
		else if (op == SEQ_STAR)
		{
			SEQ_PUSH();
			base = ev;
			a++;
		}
		else if (seq_time_ok(op, actions[a].arg, ts[base], ts[ev]))
		{
			SEQ_PUSH();
			base = ev;
			a++;
		}
		else if (op == SEQ_T_LE || op == SEQ_T_LT)
		{
			SEQ_BACKTRACK(ok);
			if (!ok)
				break;
		}
		else if (++ev == n)
		{
			SEQ_BACKTRACK(ok);
			if (!ok)
				break;
		}
		if (++iters > SEQ_MAX_ITERATIONS)
			return -1;
	}
#undef SEQ_BACKTRACK
#undef SEQ_PUSH
	/* actions that match nothing at the end */
	while (a < nactions &&
		   (actions[a].op == SEQ_STAR || actions[a].op == SEQ_T_LE ||
			actions[a].op == SEQ_T_LT ||
			(actions[a].op == SEQ_T_GE && actions[a].arg == 0)))
		a++;
	if (ev == begin)
		ev++;
	*pos = ev;
	return a == nactions;
}

/*
 * The automaton of a pattern without time conditions: state k advances on
 * the k-th event or "." of the pattern; a ".*" lets the state it follows
 * stay active.  states holds 3 * (nactions + 1) bytes.
 */
static int
seq_nfa(const SeqAction *actions, int nactions, const uint32_t *mask,
		size_t n, unsigned char *states)
{
	int			nstates = 1;
	int			k;
	size_t		ev;
	unsigned char *kleene = states;
	unsigned char *active;
	unsigned char *next;
	int			any_active = 1;

	/* the states: kleene[s], and the action that leaves state s */
	memset(states, 0, 3 * (size_t) (nactions + 1));
	kleene[0] = 1;				/* the implicit leading ".*" */
	for (k = 1; k < nactions; k++)
	{
		if (actions[k].op == SEQ_STAR)
			kleene[nstates - 1] = 1;
		else
			nstates++;
	}
	active = states + (nactions + 1);
	next = states + 2 * (nactions + 1);
	active[0] = 1;
	for (ev = 0; ev < n && any_active && !active[nstates - 1]; ev++)
	{
		int			s = 0;

		memset(next, 0, (size_t) nstates);
		any_active = 0;
		/* walk the actions to know each state's transition */
		for (k = 1; k <= nactions; k++)
		{
			int			op = k < nactions ? actions[k].op : -1;

			if (op == SEQ_STAR)
				continue;
			if (active[s])
			{
				if (op == SEQ_ANY ||
					(op == SEQ_EVENT && (mask[ev] & ((uint32_t) 1 << actions[k].arg))))
				{
					next[s + 1] = 1;
					any_active = 1;
				}
				if (kleene[s])
				{
					next[s] = 1;
					any_active = 1;
				}
			}
			s++;
		}
		memcpy(active, next, (size_t) nstates);
	}
	return active[nstates - 1];
}

/* Match (see header). */
int
seq_match(const SeqAction *actions, int nactions, int has_time,
		  const int64_t *ts, const uint32_t *mask, size_t n,
		  size_t *stack, size_t stack_cap, unsigned char *states, int *result)
{
	size_t		pos = 0;
	int			r;

	if (!has_time)
	{
		*result = seq_nfa(actions, nactions, mask, n, states);
		return SEQ_OK;
	}
	r = seq_backtrack(actions, nactions, ts, mask, n, &pos, stack, stack_cap);
	if (r < 0)
		return SEQ_ERR_TOO_HARD;
	*result = r;
	return SEQ_OK;
}

/* Count non-overlapping matches (see header). */
int
seq_count(const SeqAction *actions, int nactions,
		  const int64_t *ts, const uint32_t *mask, size_t n,
		  size_t *stack, size_t stack_cap, int64_t *result)
{
	size_t		pos = 0;
	int64_t		count = 0;

	while (pos < n)
	{
		int			r = seq_backtrack(actions, nactions, ts, mask, n, &pos,
									  stack, stack_cap);

		if (r < 0)
			return SEQ_ERR_TOO_HARD;
		if (r == 0)
			break;
		count++;
	}
	*result = count;
	return SEQ_OK;
}
