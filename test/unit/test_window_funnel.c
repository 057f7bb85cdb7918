/*
 * test_window_funnel.c
 *		Unit tests of src/core/funnel/window_funnel.c.  Expected levels are derived
 *		by hand from ClickHouse's windowFunnel rules (the derivation is in the
 *		comment of each case) and, for the default mode, checked on random
 *		logs against an independent brute force (best chain over every
 *		step-1 start).
 */
#include "unit.h"
#include "funnel/window_funnel.h"

#include <stdlib.h>

#define S(k) ((uint32_t) 1 << ((k) - 1))

/* Sort a copy of the events and return their level. */
static int
level_of(const int64_t *ts_in, const uint32_t *mask_in, size_t n,
		 int nsteps, int64_t window, int flags)
{
	int64_t		ts[64],
				sts[64];
	uint32_t	mask[64],
				smask[64];

	memcpy(ts, ts_in, n * sizeof(int64_t));
	memcpy(mask, mask_in, n * sizeof(uint32_t));
	wf_sort(ts, mask, n, sts, smask);
	return wf_level(ts, mask, n, nsteps, window, flags);
}

/*
 * Brute force of the default mode: expand rows into (ts, step) items in the
 * tie order (ts, step ascending); for every step-1 item take the earliest
 * later item of each next step and keep the chain while it stays within the
 * window of its start.
 */
static int
brute_level(const int64_t *ts, const uint32_t *mask, size_t n,
			int nsteps, int64_t window)
{
	int64_t		its[64 * 4];
	int			istep[64 * 4];
	size_t		ni = 0;
	size_t		a,
				b;
	int			best = 0;

	/* selection of items in (ts, step) order */
	for (;;)
	{
		int64_t		bt = 0;
		int			bs = 0;
		size_t		r;
		int			k;
		int			found = 0;

		for (r = 0; r < n; r++)
			for (k = 1; k <= nsteps; k++)
				if (mask[r] & S(k))
				{
					int			later = 0;
					size_t		q;

					/* skip items already taken: count of taken (ts,k) */
					for (q = 0; q < ni; q++)
						later += (its[q] == ts[r] && istep[q] == k);
					{
						size_t		same = 0;
						size_t		rr;

						for (rr = 0; rr < r; rr++)
							same += (ts[rr] == ts[r] && (mask[rr] & S(k)));
						if ((size_t) later > same)
							continue;
					}
					if (!found || ts[r] < bt || (ts[r] == bt && k < bs))
					{
						bt = ts[r];
						bs = k;
						found = 1;
					}
				}
		if (!found)
			break;
		its[ni] = bt;
		istep[ni++] = bs;
	}
	for (a = 0; a < ni; a++)
	{
		int			level;

		if (istep[a] != 1)
			continue;
		level = 1;
		for (b = a + 1; b < ni && level < nsteps; b++)
			if (istep[b] == level + 1 && its[b] - its[a] <= window)
				level++;
		if (level > best)
			best = level;
	}
	return best;
}

static void
test_wf_default(void)
{
	/* A@0 B@1 C@2 (steps 1..3), window 10: full chain */
	int64_t		t1[] = {0, 1, 2};
	uint32_t	m1[] = {S(1), S(2), S(3)};

	CHECK("chain", level_of(t1, m1, 3, 3, 10, 0) == 3);
	/* C at 2 > 0 + 1: window 1 keeps A,B only; window boundary inclusive */
	CHECK("window cut", level_of(t1, m1, 3, 3, 1, 0) == 2);
	CHECK("window edge", level_of(t1, m1, 3, 3, 2, 0) == 3);
	/* given out of order: sorted first */
	{
		int64_t		t[] = {2, 0, 1};
		uint32_t	m[] = {S(3), S(1), S(2)};

		CHECK("unsorted", level_of(t, m, 3, 3, 10, 0) == 3);
	}
	/* B before A: B@0 A@1 C@2: B has no chain, level 1 */
	{
		int64_t		t[] = {0, 1, 2};
		uint32_t	m[] = {S(2), S(1), S(3)};

		CHECK("order", level_of(t, m, 3, 3, 10, 0) == 1);
	}
	/* A@0 B@5 A@8 C@12 window 10: A@0 chain reaches B, C@12 is 12 > 10 from
	 * A@0; A@8 restarts level 1 only; level 2 keeps start 0: answer 2 */
	{
		int64_t		t[] = {0, 5, 8, 12};
		uint32_t	m[] = {S(1), S(2), S(1), S(3)};

		CHECK("restart", level_of(t, m, 4, 3, 10, 0) == 2);
	}
	/* A@0 A@8 B@9 C@12 window 10: B@9 takes the chain of A@8, C@12 within 10
	 * of 8: level 3 */
	{
		int64_t		t[] = {0, 8, 9, 12};
		uint32_t	m[] = {S(1), S(1), S(2), S(3)};

		CHECK("later start", level_of(t, m, 4, 3, 10, 0) == 3);
	}
	/* one row matching steps 1 and 2 at ts 0: tie order takes step 1 then
	 * step 2, so the row reaches level 2 (ClickHouse today); with
	 * ties_descending step 2 comes first and finds no chain: level 1 (18.16) */
	{
		int64_t		t[] = {0};
		uint32_t	m[] = {S(1) | S(2)};

		CHECK("one row two steps", level_of(t, m, 1, 2, 10, 0) == 2);
		CHECK("one row ties desc", level_of(t, m, 1, 2, 10, WF_TIES_DESCENDING) == 1);
	}
	/* B@5 and A@5 in two rows: same as above, order of rows irrelevant */
	{
		int64_t		t[] = {5, 5};
		uint32_t	m[] = {S(2), S(1)};
		uint32_t	m2[] = {S(1), S(2)};

		CHECK("tie rows", level_of(t, m, 2, 2, 0, 0) == 2);
		CHECK("tie rows swapped", level_of(t, m2, 2, 2, 0, 0) == 2);
		CHECK("tie rows desc", level_of(t, m, 2, 2, 0, WF_TIES_DESCENDING) == 1);
		CHECK("tie rows desc swapped", level_of(t, m2, 2, 2, 0, WF_TIES_DESCENDING) == 1);
	}
	/* empty input and bad parameters give 0 */
	CHECK("empty", wf_level(NULL, NULL, 0, 3, 10, 0) == 0);
	CHECK("negative window", level_of(t1, m1, 3, 3, -1, 0) == 0);
	/* one step: any step-1 event gives 1 */
	CHECK("one step", level_of(t1, m1, 3, 1, 0, 0) == 1);
	/* full int64 range: window check does not overflow */
	{
		/* INT64_MAX / 2 - INT64_MIN / 2 == INT64_MAX: exactly at the edge */
		int64_t		t[] = {INT64_MIN / 2, INT64_MAX / 2};
		uint32_t	m[] = {S(1), S(2)};

		CHECK("range", level_of(t, m, 2, 2, INT64_MAX, 0) == 2);
		CHECK("range edge", level_of(t, m, 2, 2, INT64_MAX - 1, 0) == 1);
		CHECK("range cut", level_of(t, m, 2, 2, 1000, 0) == 1);
	}
	/* 32 steps at ts 0..31 */
	{
		int64_t		t[32];
		uint32_t	m[32];
		int			k;

		for (k = 0; k < 32; k++)
		{
			t[k] = k;
			m[k] = S(k + 1);
		}
		CHECK("32 steps", level_of(t, m, 32, 32, 31, 0) == 32);
		CHECK("32 steps cut", level_of(t, m, 32, 32, 30, 0) == 31);
	}
}

static void
test_wf_modes(void)
{
	/*
	 * strict_deduplication: A@0 B@1 B@2 C@3: the second B repeats level 2,
	 * the search stops at level 2 (default: 3).
	 */
	{
		int64_t		t[] = {0, 1, 2, 3};
		uint32_t	m[] = {S(1), S(2), S(2), S(3)};

		CHECK("dedup", level_of(t, m, 4, 3, 10, WF_STRICT_DEDUPLICATION) == 2);
		CHECK("dedup default", level_of(t, m, 4, 3, 10, 0) == 3);
	}
	/* dedup: a repeated step 1 restarts, it is no repeat: A@0 A@1 B@2 -> 2 */
	{
		int64_t		t[] = {0, 1, 2};
		uint32_t	m[] = {S(1), S(1), S(2)};

		CHECK("dedup step 1", level_of(t, m, 3, 2, 10, WF_STRICT_DEDUPLICATION) == 2);
	}
	/* dedup: C@1 before any B is a repeat only once level 3 is reached: A@0
	 * C@1 B@2 C@3 -> C@1 finds no level 2, nothing; B@2 -> 2; C@3 -> 3 */
	{
		int64_t		t[] = {0, 1, 2, 3};
		uint32_t	m[] = {S(1), S(3), S(2), S(3)};

		CHECK("dedup unreached", level_of(t, m, 4, 3, 10, WF_STRICT_DEDUPLICATION) == 3);
	}

	/*
	 * strict_order: A@0 B@1 D@2 C@3 (D matches no step, mask 0): D ends the
	 * chain at level 2 (default ignores D: 3).
	 */
	{
		int64_t		t[] = {0, 1, 2, 3};
		uint32_t	m[] = {S(1), S(2), 0, S(3)};

		CHECK("order other", level_of(t, m, 4, 3, 10, WF_STRICT_ORDER) == 2);
		CHECK("order other default", level_of(t, m, 4, 3, 10, 0) == 3);
	}
	/* strict_order: other events before step 1 do not matter: D@0 A@1 B@2 */
	{
		int64_t		t[] = {0, 1, 2};
		uint32_t	m[] = {0, S(1), S(2)};

		CHECK("order before", level_of(t, m, 3, 2, 10, WF_STRICT_ORDER) == 2);
	}
	/* strict_order: A@0 C@1 B@2 C@3: C@1 skips level 2 -> stop at 1 */
	{
		int64_t		t[] = {0, 1, 2, 3};
		uint32_t	m[] = {S(1), S(3), S(2), S(3)};

		CHECK("order skip", level_of(t, m, 4, 3, 10, WF_STRICT_ORDER) == 1);
		CHECK("order skip default", level_of(t, m, 4, 3, 10, 0) == 3);
	}
	/* strict_order: B@0 A@1 B@2: B@0 comes before any step 1, ignored -> 2 */
	{
		int64_t		t[] = {0, 1, 2};
		uint32_t	m[] = {S(2), S(1), S(2)};

		CHECK("order early", level_of(t, m, 3, 2, 10, WF_STRICT_ORDER) == 2);
	}
	/* strict_order tie: D and A at 0, B at 1: D (no step) is taken first,
	 * before any step 1, so it does not stop: 2 */
	{
		int64_t		t[] = {0, 0, 1};
		uint32_t	m[] = {S(1), 0, S(2)};

		CHECK("order tie other", level_of(t, m, 3, 2, 10, WF_STRICT_ORDER) == 2);
	}

	/*
	 * strict_increase: A@0 B@0 C@1: B has the timestamp of A, not later:
	 * level 1 (default: 3, ties taken in step order).
	 */
	{
		int64_t		t[] = {0, 0, 1};
		uint32_t	m[] = {S(1), S(2), S(3)};

		CHECK("increase", level_of(t, m, 3, 3, 10, WF_STRICT_INCREASE) == 1);
		CHECK("increase default", level_of(t, m, 3, 3, 10, 0) == 3);
	}
	/* strict_increase compares with the previous step's event: A@0 B@1 C@1
	 * -> C@1 not after B@1: 2 */
	{
		int64_t		t[] = {0, 1, 1};
		uint32_t	m[] = {S(1), S(2), S(3)};

		CHECK("increase prev", level_of(t, m, 3, 3, 10, WF_STRICT_INCREASE) == 2);
	}
	/* strict_increase as ClickHouse: A@0 A@5 B@5: A@5 restarts level 1 at 5
	 * before B@5 is taken, so B@5 is not after it: 1 */
	{
		int64_t		t[] = {0, 5, 5};
		uint32_t	m[] = {S(1), S(1), S(2)};

		CHECK("increase restart", level_of(t, m, 3, 2, 10, WF_STRICT_INCREASE) == 1);
	}
	/* combined: strict_order|strict_deduplication: A B B -> 2 */
	{
		int64_t		t[] = {0, 1, 2};
		uint32_t	m[] = {S(1), S(2), S(2)};

		CHECK("combined", level_of(t, m, 3, 3, 10,
								   WF_STRICT_ORDER | WF_STRICT_DEDUPLICATION) == 2);
	}
}

static void
test_wf_mode_text(void)
{
	int			flags = -1;
	size_t		pos = 0,
				len = 0;
	char		buf[96];
	const char *t1 = "Strict_Order, strict_increase";
	const char *t2 = "strict_order,bogus";

	CHECK("parse", wf_parse_mode(t1, strlen(t1), &flags, &pos, &len) == WF_OK);
	CHECK("parse flags", flags == (WF_STRICT_ORDER | WF_STRICT_INCREASE));
	wf_mode_text(flags, buf, sizeof(buf));
	CHECK_STR("text", buf, "strict_order,strict_increase");
	CHECK("parse empty", wf_parse_mode("", 0, &flags, &pos, &len) == WF_OK && flags == 0);
	CHECK("parse default", wf_parse_mode("default", 7, &flags, &pos, &len) == WF_OK && flags == 0);
	wf_mode_text(0, buf, sizeof(buf));
	CHECK_STR("text default", buf, "default");
	CHECK("parse bad", wf_parse_mode(t2, strlen(t2), &flags, &pos, &len) == WF_BAD_MODE);
	CHECK("bad pos", pos == 13 && len == 5);
	/* not NUL-terminated: only len bytes are read */
	CHECK("parse len", wf_parse_mode("strict_orderX", 12, &flags, &pos, &len) == WF_OK
		  && flags == WF_STRICT_ORDER);
}

/* Random logs: default mode against the brute force, sorting, grouping. */
static void
test_wf_random(void)
{
	unsigned	seed = 12345;
	int			iter;
	int			mismatches = 0;

	for (iter = 0; iter < 20000; iter++)
	{
		int64_t		ts[24];
		uint32_t	mask[24];
		size_t		n;
		size_t		i;
		int			nsteps;
		int64_t		window;

		seed = seed * 1103515245u + 12345u;
		n = (seed >> 16) % 24;
		nsteps = 1 + (int) ((seed >> 8) % 5);
		window = (int64_t) ((seed >> 4) % 8);
		for (i = 0; i < n; i++)
		{
			seed = seed * 1103515245u + 12345u;
			ts[i] = (int64_t) ((seed >> 16) % 12);
			seed = seed * 1103515245u + 12345u;
			mask[i] = ((seed >> 16) % 7 == 0) ? ((seed >> 8) & ((1u << nsteps) - 1))
				: S(1 + (seed >> 8) % nsteps);
			if (mask[i] == 0)
				mask[i] = S(1);
		}
		if (level_of(ts, mask, n, nsteps, window, 0) !=
			brute_level(ts, mask, n, nsteps, window))
			mismatches++;
	}
	CHECK("random vs brute force", mismatches == 0);

	/* grouping and per-entity levels on 3 entities given interleaved */
	{
		int64_t		e[] = {7, -2, 7, 9, -2, 7};
		int64_t		t[] = {2, 5, 0, 1, 3, 1};
		uint32_t	m[] = {S(3), S(2), S(1), S(1), S(1), S(2)};
		int64_t		se[6],
					st[6],
					deepest[3] = {0, 0, 0};
		uint32_t	sm[6];

		wf_group_entities(e, t, m, 6, se, st, sm);
		CHECK("grouped", e[0] == -2 && e[1] == -2 && e[2] == 7 && e[5] == 9);
		CHECK("grouped stable", t[0] == 5 && t[1] == 3 && t[2] == 2 && t[3] == 0);
		/* -2: A@3 B@5 -> 2; 7: A@0 B@1 C@2 -> 3; 9: A@1 -> 1 */
		CHECK("entity levels", level_of(t, m, 2, 3, 10, 0) == 2 &&
			  level_of(t + 2, m + 2, 3, 3, 10, 0) == 3 && level_of(t + 5, m + 5, 1, 3, 10, 0) == 1);
		(void) deepest;
	}

	/* long run: merge sort path on 1000 reversed events */
	{
		static int64_t t[1000],
					st[1000];
		static uint32_t m[1000],
					sm[1000];
		int			ok = 1;
		int			k;

		for (k = 0; k < 1000; k++)
		{
			t[k] = 1000 - k;
			m[k] = (uint32_t) k;
		}
		wf_sort(t, m, 1000, st, sm);
		for (k = 0; k < 1000; k++)
			ok = ok && t[k] == k + 1 && m[k] == (uint32_t) (999 - k);
		CHECK("merge sort", ok);
	}
}

static void
test_wf_retention(void)
{
	int32_t		out[4];

	/* cond1 and cond3 seen: [1,0,1,0] */
	wf_retention(S(1) | S(3), 4, out);
	CHECK("retention", out[0] == 1 && out[1] == 0 && out[2] == 1 && out[3] == 0);
	/* cond1 not seen: all zero even if others were */
	wf_retention(S(2) | S(3), 3, out);
	CHECK("retention no first", out[0] == 0 && out[1] == 0 && out[2] == 0);
}

/*
 * strict_once: hand-derived cases, and a pool too small for the chains
 * (-1) then large enough.
 */
static void
test_wf_strict_once(void)
{
	static int64_t first[64],
				last[64];
	static int32_t next[64];
	static uint32_t path[64 * WF_MAX_STEPS];
	WfOncePool	pool = {64, first, last, next, path};
	WfOncePool	tiny = {2, first, last, next, path};
	int64_t		t1[] = {0};
	uint32_t	m1[] = {S(1) | S(2)};
	int64_t		t2[] = {0, 5};
	uint32_t	m2[] = {S(1), S(1) | S(2)};
	int64_t		t3[] = {0, 1, 2, 3, 4};
	uint32_t	m3[] = {S(1), S(1), S(1), S(2), S(3)};

	CHECK("once: one row, two steps", wf_level_once(t1, m1, 1, 2, 0, WF_STRICT_ONCE, &pool) == 1);
	CHECK("default: one row, two steps", wf_level(t1, m1, 1, 2, 0, 0) == 2);
	CHECK("once: A then AB", wf_level_once(t2, m2, 2, 2, 10, WF_STRICT_ONCE, &pool) == 2);
	CHECK("once: AB out of A's window", wf_level_once(t2, m2, 2, 2, 4, WF_STRICT_ONCE, &pool) == 1);
	/* three step-1 chains, each extended by B: 6 chains do not fit in 2 */
	CHECK("once: pool too small", wf_level_once(t3, m3, 5, 3, 10, WF_STRICT_ONCE, &tiny) == -1);
	CHECK("once: pool large enough", wf_level_once(t3, m3, 5, 3, 10, WF_STRICT_ONCE, &pool) == 3);
}

/* Items of the exclusion brute force: processing order within a timestamp. */
typedef struct ExItem
{
	int64_t		ts;
	int			kind;			/* 0 exclusion, 1 step */
	int			k;				/* the step, or the exclusion's k */
} ExItem;

/*
 * Every chain by depth-first search: from item `from` at level `level`
 * with the chain's start `first`; an exclusion k between the chain's step
 * k and step k + 1 forbids that link.
 */
static int
ex_dfs(const ExItem *it, size_t n, size_t from, int level, int64_t first,
	   int nsteps, int64_t window)
{
	int			best = level;
	size_t		b;

	if (level == nsteps)
		return level;
	for (b = from + 1; b < n; b++)
	{
		size_t		x;
		int			blocked = 0;

		if (it[b].kind != 1 || it[b].k != level + 1 || it[b].ts - first > window)
			continue;
		for (x = from + 1; x < b; x++)
			if (it[x].kind == 0 && it[x].k == level)
				blocked = 1;
		if (!blocked)
		{
			int			l = ex_dfs(it, n, b, level + 1, first, nsteps, window);

			if (l > best)
				best = l;
		}
	}
	return best;
}

/*
 * Exclusion steps and any_order against brute forces on random logs
 * (one step or one exclusion per row, as funnel_events gives them).
 */
static void
test_wf_exclusions_any_order(void)
{
	unsigned	seed = 777;
	int			iter;
	int			mism_ex = 0,
				mism_any = 0,
				blocked_some = 0;

	for (iter = 0; iter < 20000; iter++)
	{
		int64_t		ts[14];
		uint32_t	mask[14];
		ExItem		it[14];
		size_t		n,
					i,
					ni = 0;
		int			nsteps,
					best = 0,
					plain;
		int64_t		window;

		seed = seed * 1103515245u + 12345u;
		n = (seed >> 16) % 14;
		nsteps = 2 + (int) ((seed >> 8) % 3);
		window = (int64_t) ((seed >> 4) % 8);
		for (i = 0; i < n; i++)
		{
			seed = seed * 1103515245u + 12345u;
			ts[i] = (int64_t) ((seed >> 16) % 10);
			seed = seed * 1103515245u + 12345u;
			if ((seed >> 16) % 4 == 0)
				mask[i] = WF_EXCLUSION_BIT | S(1 + (seed >> 8) % (nsteps - 1));
			else
				mask[i] = S(1 + (seed >> 8) % nsteps);
		}
		/* items in processing order: by ts, exclusions first, steps ascending */
		{
			int64_t		t;

			for (t = 0; t < 10; t++)
			{
				int			kind,
							k;

				for (kind = 0; kind < 2; kind++)
					for (k = 1; k <= nsteps; k++)
						for (i = 0; i < n; i++)
							if (ts[i] == t &&
								((kind == 0 && mask[i] == (WF_EXCLUSION_BIT | S(k))) ||
								 (kind == 1 && mask[i] == S(k))))
							{
								it[ni].ts = t;
								it[ni].kind = kind;
								it[ni++].k = k;
							}
			}
		}
		for (i = 0; i < ni; i++)
			if (it[i].kind == 1 && it[i].k == 1)
			{
				int			l = ex_dfs(it, ni, i, 1, it[i].ts, nsteps, window);

				if (l > best)
					best = l;
			}
		if (level_of(ts, mask, n, nsteps, window, WF_EXCLUSIONS) != best)
			mism_ex++;
		/* without the exclusion events the level can only be higher */
		{
			int64_t		t2[14];
			uint32_t	m2[14];
			size_t		n2 = 0;

			for (i = 0; i < n; i++)
				if (!(mask[i] & WF_EXCLUSION_BIT))
				{
					t2[n2] = ts[i];
					m2[n2++] = mask[i];
				}
			plain = level_of(t2, m2, n2, nsteps, window, 0);
			if (plain > best)
				blocked_some++;
			/* any_order: most distinct steps within one window from an event */
			{
				int			want = 0;
				size_t		a,
							b;

				for (a = 0; a < n2; a++)
				{
					uint32_t	seen = 0;
					int			c = 0;

					for (b = 0; b < n2; b++)
						if (t2[b] >= t2[a] && t2[b] - t2[a] <= window)
							seen |= m2[b];
					for (; seen; seen >>= 1)
						c += seen & 1;
					if (c > want)
						want = c;
				}
				if (level_of(t2, m2, n2, nsteps, window, WF_ANY_ORDER) != want)
					mism_any++;
			}
		}
	}
	CHECK("exclusions vs every chain", mism_ex == 0);
	CHECK("exclusions cut some chains", blocked_some > 100);
	CHECK("any_order vs brute force", mism_any == 0);
}

void		test_event_log(void);
void		test_sequence(void);

/* The window_funnel group, with the event log of funnel_events. */
void
test_window_funnel(void)
{
	test_wf_default();
	test_wf_modes();
	test_wf_mode_text();
	test_wf_random();
	test_wf_retention();
	test_wf_strict_once();
	test_wf_exclusions_any_order();
	test_event_log();
	test_sequence();
}
