/*
 * window_funnel.c
 *		Event-log funnels with ClickHouse windowFunnel / retention semantics.
 *
 * The level search follows ClickHouse's AggregateFunctionWindowFunnel
 * (getEventLevel): events sorted by (timestamp, step) are scanned once;
 * for each level we keep whether it was reached, the timestamp of the
 * step-1 event of the chain that reached it and the timestamp of the
 * event that reached it.  A step-1 event starts a new chain (overwriting
 * level 1), a step k > 1 event extends level k-1's chain when it lies at
 * most `window` after that chain's step-1 event.  The answer is the
 * deepest level reached.
 */
#include "funnel/window_funnel.h"

#include <string.h>

/* Scan state of one entity. */
typedef struct WfScan
{
	int			nsteps;
	int			flags;
	uint64_t	window;
	int			reached;		/* levels 1..reached are reached */
	int			started;		/* a step-1 event was seen */
	uint32_t	blocked;		/* bit k-1: level k's chain met an exclusion */
	int64_t		first[WF_MAX_STEPS];
	int64_t		last[WF_MAX_STEPS];
} WfScan;

/* Result codes of wf_item. */
#define WF_GO_ON	0
#define WF_STOP		1

static const struct
{
	const char *name;
	int			flag;
}			wf_keywords[] =
{
	{"strict_order", WF_STRICT_ORDER},
	{"strict_deduplication", WF_STRICT_DEDUPLICATION},
	{"strict_increase", WF_STRICT_INCREASE},
	{"ties_descending", WF_TIES_DESCENDING},
	{"allow_reentry", WF_ALLOW_REENTRY},
	{"strict_once", WF_STRICT_ONCE},
	{"any_order", WF_ANY_ORDER},
};

#define WF_NKEYWORDS (sizeof(wf_keywords) / sizeof(wf_keywords[0]))

/* A separator blank (ASCII, locale independent). */
static int
wf_space(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

/* ASCII case-insensitive comparison of n bytes (locale independent). */
static int
wf_word_eq(const char *a, const char *b, size_t n)
{
	size_t		i;

	for (i = 0; i < n; i++)
	{
		unsigned char ca = (unsigned char) a[i];
		unsigned char cb = (unsigned char) b[i];

		if (ca >= 'A' && ca <= 'Z')
			ca += 'a' - 'A';
		if (ca != cb)
			return 0;
	}
	return 1;
}

/*
 * Parse a mode text into flags.  Keywords are matched case-insensitively
 * and exactly; separators are commas and white space.
 */
int
wf_parse_mode(const char *text, size_t len, int *flags,
			  size_t *bad_pos, size_t *bad_len)
{
	size_t		i = 0;

	*flags = 0;
	while (i < len)
	{
		size_t		start;
		size_t		wlen;
		size_t		k;
		int			found = 0;

		if (text[i] == ',' || wf_space(text[i]))
		{
			i++;
			continue;
		}
		start = i;
		while (i < len && text[i] != ',' && !wf_space(text[i]))
			i++;
		wlen = i - start;
		if (wlen == 7 && wf_word_eq(text + start, "default", 7))
			continue;
		for (k = 0; k < WF_NKEYWORDS; k++)
		{
			if (strlen(wf_keywords[k].name) == wlen &&
				wf_word_eq(text + start, wf_keywords[k].name, wlen))
			{
				*flags |= wf_keywords[k].flag;
				found = 1;
				break;
			}
		}
		if (!found)
		{
			*bad_pos = start;
			*bad_len = wlen;
			return WF_BAD_MODE;
		}
	}
	return WF_OK;
}

/* Canonical text of a set of flags: keywords in a fixed order, or "default". */
void
wf_mode_text(int flags, char *buf, size_t buflen)
{
	size_t		k;
	size_t		used = 0;

	if (buflen == 0)
		return;
	buf[0] = '\0';
	for (k = 0; k < WF_NKEYWORDS; k++)
	{
		size_t		wlen = strlen(wf_keywords[k].name);

		if (!(flags & wf_keywords[k].flag))
			continue;
		if (used + wlen + 2 > buflen)
			break;
		if (used > 0)
			buf[used++] = ',';
		memcpy(buf + used, wf_keywords[k].name, wlen);
		used += wlen;
		buf[used] = '\0';
	}
	if (used == 0 && buflen > 7)
		memcpy(buf, "default", 8);
}

/*
 * Merge the sorted runs [lo, mid) and [mid, hi) of (ts, mask) through the
 * scratch arrays.
 */
static void
wf_merge(int64_t *ts, uint32_t *mask, size_t lo, size_t mid, size_t hi,
		 int64_t *sts, uint32_t *smask)
{
	size_t		i = lo;
	size_t		j = mid;
	size_t		k = lo;

	while (i < mid && j < hi)
	{
		if (ts[j] < ts[i] || (ts[j] == ts[i] && mask[j] < mask[i]))
		{
			sts[k] = ts[j];
			smask[k++] = mask[j++];
		}
		else
		{
			sts[k] = ts[i];
			smask[k++] = mask[i++];
		}
	}
	while (i < mid)
	{
		sts[k] = ts[i];
		smask[k++] = mask[i++];
	}
	while (j < hi)
	{
		sts[k] = ts[j];
		smask[k++] = mask[j++];
	}
	memcpy(ts + lo, sts + lo, (hi - lo) * sizeof(int64_t));
	memcpy(mask + lo, smask + lo, (hi - lo) * sizeof(uint32_t));
}

/* Insertion sort of (ts, mask)[lo, hi) by (ts, mask). */
static void
wf_insertion_sort(int64_t *ts, uint32_t *mask, size_t lo, size_t hi)
{
	size_t		i;

	for (i = lo + 1; i < hi; i++)
	{
		int64_t		t = ts[i];
		uint32_t	m = mask[i];
		size_t		j = i;

		while (j > lo && (ts[j - 1] > t || (ts[j - 1] == t && mask[j - 1] > m)))
		{
			ts[j] = ts[j - 1];
			mask[j] = mask[j - 1];
			j--;
		}
		ts[j] = t;
		mask[j] = m;
	}
}

/*
 * Sort events by (timestamp, mask): a bottom-up merge sort over
 * insertion-sorted blocks of 16; one pass when the input is already in
 * order.
 */
void
wf_sort(int64_t *ts, uint32_t *mask, size_t n,
		int64_t *scratch_ts, uint32_t *scratch_mask)
{
	size_t		i;
	size_t		width;

	for (i = 1; i < n; i++)
		if (ts[i] < ts[i - 1] || (ts[i] == ts[i - 1] && mask[i] < mask[i - 1]))
			break;
	if (i >= n)
		return;
	for (i = 0; i < n; i += 16)
		wf_insertion_sort(ts, mask, i, i + 16 < n ? i + 16 : n);
	for (width = 16; width < n; width *= 2)
	{
		for (i = 0; i + width < n; i += 2 * width)
		{
			size_t		hi = i + 2 * width < n ? i + 2 * width : n;

			if (ts[i + width] < ts[i + width - 1] ||
				(ts[i + width] == ts[i + width - 1] && mask[i + width] < mask[i + width - 1]))
				wf_merge(ts, mask, i, i + width, hi, scratch_ts, scratch_mask);
		}
	}
}

/* Start the scan of one entity. */
static void
wf_scan_init(WfScan *s, int nsteps, int64_t window, int flags)
{
	s->nsteps = nsteps;
	s->flags = flags;
	s->window = (uint64_t) window;
	s->reached = 0;
	s->started = 0;
	s->blocked = 0;
}

/*
 * Take one (ts, step) item, step 0 meaning an event that matches no step.
 * Returns WF_STOP when the answer is final (s->reached holds it).
 */
static int
wf_item(WfScan *s, int64_t ts, int step)
{
	int			idx = step - 1;

	if (idx < 0)
	{
		/* only strict_order keeps such events: they end a started chain */
		if ((s->flags & WF_STRICT_ORDER) && s->started)
			return WF_STOP;
		return WF_GO_ON;
	}
	if (idx == 0)
	{
		s->first[0] = ts;
		s->last[0] = ts;
		if (s->reached < 1)
			s->reached = 1;
		s->started = 1;
		s->blocked &= ~(uint32_t) 1;
	}
	else if ((s->flags & WF_STRICT_DEDUPLICATION) && s->reached > idx)
		return WF_STOP;			/* this step was already reached: a repeat */
	else if ((s->flags & WF_STRICT_ORDER) && s->started && s->reached < idx)
	{
		/* a step came before its predecessor: the end, or skipped */
		return (s->flags & WF_ALLOW_REENTRY) ? WF_GO_ON : WF_STOP;
	}
	else if (s->reached >= idx && !(s->blocked & ((uint32_t) 1 << (idx - 1))))
	{
		/* ts >= first[idx - 1] here (events come in time order) */
		int			matched = (uint64_t) ts - (uint64_t) s->first[idx - 1] <= s->window;

		if ((s->flags & WF_STRICT_INCREASE) && !(s->last[idx - 1] < ts))
			matched = 0;
		if (matched)
		{
			s->first[idx] = s->first[idx - 1];
			s->last[idx] = ts;
			s->blocked &= ~((uint32_t) 1 << idx);
			if (s->reached < idx + 1)
				s->reached = idx + 1;
			if (idx + 1 == s->nsteps)
				return WF_STOP;
		}
	}
	return WF_GO_ON;
}

/*
 * An exclusion event (WF_EXCLUSIONS): the chains that reached step k
 * (bit k-1 of its mask) cannot go on to step k+1.
 */
static void
wf_exclusion(WfScan *s, uint32_t mask)
{
	uint32_t	m = mask & ~WF_EXCLUSION_BIT;
	int			k;

	for (k = 1; k < s->nsteps && k <= s->reached; k++)
		if (m & ((uint32_t) 1 << (k - 1)))
			s->blocked |= (uint32_t) 1 << (k - 1);
}

/*
 * Steps in any order (WF_ANY_ORDER): the largest number of distinct steps
 * among the events of one window [t, t + window] starting at an event.
 */
static int
wf_level_any_order(const int64_t *ts, const uint32_t *mask, size_t n,
				   int nsteps, uint64_t window, uint32_t valid)
{
	int			count[WF_MAX_STEPS];
	int			distinct = 0;
	int			best = 0;
	size_t		i,
				j = 0;
	int			k;

	for (k = 0; k < WF_MAX_STEPS; k++)
		count[k] = 0;
	for (i = 0; i < n; i++)
	{
		/* add the events within the window of event i */
		while (j < n && (uint64_t) ts[j] - (uint64_t) ts[i] <= window)
		{
			uint32_t	m = mask[j] & valid;

			for (k = 0; m != 0; k++, m >>= 1)
				if ((m & 1) && count[k]++ == 0)
					distinct++;
			j++;
		}
		if (distinct > best)
			best = distinct;
		if (best == nsteps)
			break;
		/* event i leaves the window */
		{
			uint32_t	m = mask[i] & valid;

			for (k = 0; m != 0; k++, m >>= 1)
				if ((m & 1) && --count[k] == 0)
					distinct--;
		}
	}
	return best;
}

/*
 * Feed the items of the events [i, j) sharing one timestamp, in the tie
 * order: events matching no step first, then steps in ascending order (or
 * descending with WF_TIES_DESCENDING), each step once per event having it.
 */
static int
wf_group(WfScan *s, int64_t ts, const uint32_t *mask, size_t i, size_t j)
{
	int			k;
	size_t		r;
	uint32_t	all = 0;

	if (s->flags & WF_EXCLUSIONS)
		for (r = i; r < j; r++)
			if (mask[r] & WF_EXCLUSION_BIT)
				wf_exclusion(s, mask[r]);
	for (r = i; r < j; r++)
	{
		if ((s->flags & WF_EXCLUSIONS) && (mask[r] & WF_EXCLUSION_BIT))
			continue;
		if (mask[r] == 0 && wf_item(s, ts, 0) == WF_STOP)
			return WF_STOP;
		all |= mask[r];
	}
	for (k = 0; k < s->nsteps; k++)
	{
		int			step = (s->flags & WF_TIES_DESCENDING) ? s->nsteps - k : k + 1;
		uint32_t	bit = (uint32_t) 1 << (step - 1);

		if (!(all & bit))
			continue;
		for (r = i; r < j; r++)
			if ((mask[r] & bit) && wf_item(s, ts, step) == WF_STOP)
				return WF_STOP;
	}
	return WF_GO_ON;
}

/* The deepest level of one entity's time-sorted events (see header). */
int
wf_level(const int64_t *ts, const uint32_t *mask, size_t n,
		 int nsteps, int64_t window, int flags)
{
	WfScan		s;
	size_t		i = 0;
	uint32_t	valid;

	if (nsteps < 1 || nsteps > WF_MAX_STEPS || window < 0)
		return 0;
	valid = nsteps == 32 ? 0xFFFFFFFFu : (((uint32_t) 1 << nsteps) - 1);
	if (flags & WF_EXCLUSIONS)
		valid &= ~WF_EXCLUSION_BIT;
	if (flags & WF_ANY_ORDER)
		return wf_level_any_order(ts, mask, n, nsteps, (uint64_t) window, valid);
	wf_scan_init(&s, nsteps, window, flags);
	while (i < n)
	{
		size_t		j = i + 1;

		while (j < n && ts[j] == ts[i])
			j++;
		if (j == i + 1 && (flags & WF_EXCLUSIONS) && (mask[i] & WF_EXCLUSION_BIT))
			wf_exclusion(&s, mask[i]);
		else if (j == i + 1 && (mask[i] & (mask[i] - 1)) == 0)
		{
			/* the common case: one event matching at most one step */
			uint32_t	m = mask[i] & valid;
			int			step = 0;

			if (mask[i] != 0 && m == 0)
			{
				i = j;
				continue;		/* matches only steps beyond nsteps */
			}
			while (m)
			{
				step++;
				m >>= 1;
			}
			if (wf_item(&s, ts[i], step) == WF_STOP)
				break;
		}
		else if (wf_group(&s, ts[i], mask, i, j) == WF_STOP)
			break;
		i = j;
	}
	return s.reached;
}

/* The chains of wf_level_once, per level, in a caller-owned pool. */
typedef struct WfOnce
{
	WfOncePool *pool;
	size_t		used;			/* pool entries handed out */
	int32_t		free_list;		/* dropped entries, chained by next */
	int32_t		head[WF_MAX_STEPS];
	int32_t		tail[WF_MAX_STEPS];
	size_t		count[WF_MAX_STEPS];
} WfOnce;

/* A new chain entry, or -1 when the pool is full. */
static int32_t
wf_once_alloc(WfOnce *o)
{
	int32_t		e;

	if (o->free_list >= 0)
	{
		e = o->free_list;
		o->free_list = o->pool->next[e];
	}
	else if (o->used < o->pool->cap)
		e = (int32_t) o->used++;
	else
		return -1;
	o->pool->next[e] = -1;
	return e;
}

/* Append chain entry e to level k. */
static void
wf_once_append(WfOnce *o, int k, int32_t e)
{
	if (o->tail[k] < 0)
		o->head[k] = e;
	else
		o->pool->next[o->tail[k]] = e;
	o->tail[k] = e;
	o->count[k]++;
}

/* The deepest level with a chain. */
static int
wf_once_deepest(const WfOnce *o, int nsteps)
{
	int			k;

	for (k = nsteps; k > 0; k--)
		if (o->count[k - 1] > 0)
			return k;
	return 0;
}

/*
 * Take one item (ts, step, row) under strict_once.  Returns the final
 * level (>= 0) when the search ends, -1 to go on, -2 when the pool is full.
 */
static int
wf_once_item(WfOnce *o, int nsteps, uint64_t window, int flags, int *started,
			 int64_t ts, int step, uint32_t row)
{
	WfOncePool *pl = o->pool;
	int			idx = step - 1;
	int			k;
	int32_t		e,
				prev = -1;

	if (idx < 0)
	{
		if ((flags & WF_STRICT_ORDER) && *started)
			return wf_once_deepest(o, nsteps);
		return -1;
	}
	if (idx == 0)
	{
		if ((e = wf_once_alloc(o)) < 0)
			return -2;
		pl->first[e] = pl->last[e] = ts;
		pl->path[(size_t) e * WF_MAX_STEPS] = row;
		wf_once_append(o, 0, e);
		*started = 1;
		return nsteps == 1 ? 1 : -1;
	}
	if ((flags & WF_STRICT_DEDUPLICATION) && o->count[idx] > 0)
		return wf_once_deepest(o, nsteps);
	if ((flags & WF_STRICT_ORDER) && *started && o->count[idx - 1] == 0)
	{
		if (flags & WF_ALLOW_REENTRY)
			return -1;
		for (k = 0; k < nsteps; k++)
			if (o->count[k] == 0)
				return k;
		return nsteps;
	}
	e = o->head[idx - 1];
	while (e >= 0)
	{
		int32_t		nx = pl->next[e];
		int			ok = (uint64_t) ts - (uint64_t) pl->first[e] <= window;

		if (!ok && o->count[idx - 1] > 1)
		{
			/* out of the window for good: drop it (the level keeps one) */
			if (prev < 0)
				o->head[idx - 1] = nx;
			else
				pl->next[prev] = nx;
			if (o->tail[idx - 1] == e)
				o->tail[idx - 1] = prev;
			o->count[idx - 1]--;
			pl->next[e] = o->free_list;
			o->free_list = e;
			e = nx;
			continue;
		}
		for (k = 0; ok && k < idx; k++)
			if (pl->path[(size_t) e * WF_MAX_STEPS + k] == row)
				ok = 0;			/* this row is already in the chain */
		if (ok && (flags & WF_STRICT_INCREASE) && !(pl->last[e] < ts))
			ok = 0;
		if (ok)
		{
			int32_t		c = wf_once_alloc(o);

			if (c < 0)
				return -2;
			pl->first[c] = pl->first[e];
			pl->last[c] = ts;
			memcpy(pl->path + (size_t) c * WF_MAX_STEPS,
				   pl->path + (size_t) e * WF_MAX_STEPS, idx * sizeof(uint32_t));
			pl->path[(size_t) c * WF_MAX_STEPS + idx] = row;
			wf_once_append(o, idx, c);
			if (idx + 1 == nsteps)
				return nsteps;
		}
		prev = e;
		e = nx;
	}
	return -1;
}

/*
 * The level under strict_once (see header): items in wf_level's order
 * (per timestamp: rows of no step, then steps ascending, or descending
 * with WF_TIES_DESCENDING, each step's rows in order), the row being its
 * index in the sorted events.
 */
int
wf_level_once(const int64_t *ts, const uint32_t *mask, size_t n,
			  int nsteps, int64_t window, int flags, WfOncePool *pool)
{
	WfOnce		o;
	int			started = 0;
	size_t		i = 0;
	int			k;
	uint32_t	valid;

	if (nsteps < 1 || nsteps > WF_MAX_STEPS || window < 0)
		return 0;
	valid = nsteps == 32 ? 0xFFFFFFFFu : (((uint32_t) 1 << nsteps) - 1);
	o.pool = pool;
	o.used = 0;
	o.free_list = -1;
	for (k = 0; k < WF_MAX_STEPS; k++)
	{
		o.head[k] = o.tail[k] = -1;
		o.count[k] = 0;
	}
	while (i < n)
	{
		size_t		j = i + 1;
		size_t		r;
		int			res;

		while (j < n && ts[j] == ts[i])
			j++;
		for (r = i; r < j; r++)
			if (mask[r] == 0 &&
				(res = wf_once_item(&o, nsteps, (uint64_t) window, flags, &started,
									ts[r], 0, (uint32_t) r)) != -1)
				return res == -2 ? -1 : res;
		for (k = 0; k < nsteps; k++)
		{
			int			step = (flags & WF_TIES_DESCENDING) ? nsteps - k : k + 1;
			uint32_t	bit = (uint32_t) 1 << (step - 1);

			for (r = i; r < j; r++)
				if ((mask[r] & valid & bit) &&
					(res = wf_once_item(&o, nsteps, (uint64_t) window, flags, &started,
										ts[r], step, (uint32_t) r)) != -1)
					return res == -2 ? -1 : res;
		}
		i = j;
	}
	return wf_once_deepest(&o, nsteps);
}

/* Retention array of one entity from the OR of its condition masks. */
void
wf_retention(uint32_t seen, int nconds, int32_t *out)
{
	int			k;
	int			first = (seen & 1u) != 0;

	for (k = 0; k < nconds && k < WF_MAX_STEPS; k++)
		out[k] = first && (seen & ((uint32_t) 1 << k)) != 0;
}

/* Radix key of an entity: sign bit flipped so the key order is numeric. */
static inline uint64_t
wf_key(int64_t e)
{
	return (uint64_t) e ^ ((uint64_t) 1 << 63);
}

/* Group events by entity (see header). */
void
wf_group_entities(int64_t *entity, int64_t *ts, uint32_t *mask,
				  size_t n, int64_t *s_entity, int64_t *s_ts,
				  uint32_t *s_mask)
{
	size_t		i;
	uint64_t	diff = 0;
	int			byte;
	int			in_scratch = 0;
	int64_t    *src_e = entity,
			   *dst_e = s_entity,
			   *src_t = ts,
			   *dst_t = s_ts;
	uint32_t   *src_m = mask,
			   *dst_m = s_mask;

	for (i = 1; i < n; i++)
		if (entity[i] < entity[i - 1])
			break;
	if (i >= n)
		return;					/* already in ascending entity order */
	for (i = 1; i < n; i++)
		diff |= wf_key(entity[i]) ^ wf_key(entity[0]);
	for (byte = 0; byte < 8; byte++)
	{
		size_t		count[256];
		size_t		pos = 0;
		int			shift = byte * 8;
		int			b;

		if (((diff >> shift) & 0xFF) == 0)
			continue;
		memset(count, 0, sizeof(count));
		for (i = 0; i < n; i++)
			count[(wf_key(src_e[i]) >> shift) & 0xFF]++;
		for (b = 0; b < 256; b++)
		{
			size_t		c = count[b];

			count[b] = pos;
			pos += c;
		}
		for (i = 0; i < n; i++)
		{
			size_t		d = count[(wf_key(src_e[i]) >> shift) & 0xFF]++;

			dst_e[d] = src_e[i];
			dst_t[d] = src_t[i];
			dst_m[d] = src_m[i];
		}
		/* swap source and destination */
		{
			int64_t    *te = src_e,
					   *tt = src_t;
			uint32_t   *tm = src_m;

			src_e = dst_e;
			dst_e = te;
			src_t = dst_t;
			dst_t = tt;
			src_m = dst_m;
			dst_m = tm;
			in_scratch = !in_scratch;
		}
	}
	if (in_scratch)
	{
		memcpy(entity, s_entity, n * sizeof(int64_t));
		memcpy(ts, s_ts, n * sizeof(int64_t));
		memcpy(mask, s_mask, n * sizeof(uint32_t));
	}
}
