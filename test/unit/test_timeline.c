/*
 * test_timeline.c
 *		Unit tests of src/core/funnel/timeline.c.  Expected values: hand
 *		derivations (in the comments), and on random timelines a count of
 *		the stage in force at every unit of time (the stage of the last
 *		point at or before it), independent of the runs.
 */
#include "unit.h"
#include "funnel/timeline.h"

/* A small deterministic generator (xorshift64*). */
static uint64_t tl_rng_state = 0x9E3779B97F4A7C15ULL;

static uint64_t
tl_rng(void)
{
	tl_rng_state ^= tl_rng_state >> 12;
	tl_rng_state ^= tl_rng_state << 25;
	tl_rng_state ^= tl_rng_state >> 27;
	return tl_rng_state * 2685821657736338717ULL;
}

static TlPoint
pt(int64_t ts, int64_t seq, int32_t stage)
{
	TlPoint		p;

	p.ts = ts;
	p.seq = seq;
	p.stage = stage;
	p.pad = 0;
	return p;
}

/* Hand cases: sorting, runs, overlap, one window. */
static void
test_tl_hand(void)
{
	/* stages 0 lead, 1 proposal, 2 won; out of order, with a tie at 10 */
	TlPoint		p[6],
				scratch[6];
	TlRun		r[6];
	size_t		n;
	size_t		cursor = 0;
	uint64_t	dur[3] = {0, 0, 0};
	int64_t		visits[3] = {0, 0, 0};
	int32_t		touched[3];
	int			nt = 0;

	p[0] = pt(10, 2, 2);		/* won at 10, seq 2 */
	p[1] = pt(0, 0, 0);			/* lead at 0 */
	p[2] = pt(10, 1, 1);		/* proposal at 10, seq 1: before won */
	p[3] = pt(4, 0, 1);			/* proposal at 4 */
	p[4] = pt(6, 0, 1);			/* proposal again at 6: same run */
	p[5] = pt(20, 0, 0);		/* lead again at 20 */
	tl_sort(p, 6, scratch);
	CHECK("sorted", p[0].ts == 0 && p[1].ts == 4 && p[2].ts == 6 && p[3].seq == 1 &&
		  p[4].seq == 2 && p[5].ts == 20);
	/* runs: lead [0,4), proposal [4,10), won [10,20), lead [20, 25) */
	n = tl_runs(p, 6, 25, r);
	CHECK("four runs", n == 4);
	CHECK("proposal run spans its two points and the tie", r[1].stage == 1 && r[1].start == 4 && r[1].end == 10);
	CHECK("won after the tie", r[2].stage == 2 && r[2].start == 10 && r[2].end == 20);
	CHECK("last run to the end", r[3].end == 25);
	n = tl_runs(p, 6, -1, r);
	CHECK("last run ends at its point when the end is before it", r[3].end == 20);
	CHECK("overlap inside", tl_overlap(4, 10, 5, 8) == 3);
	CHECK("overlap none", tl_overlap(4, 10, 10, 12) == 0);
	CHECK("overlap over the whole range",
		  tl_overlap(INT64_MIN, INT64_MAX, INT64_MIN, INT64_MAX) == UINT64_MAX);

	/* window [5, 15) over runs ending at 25: proposal 5, won 5; won entered */
	n = tl_runs(p, 6, 25, r);
	tl_window(r, n, &cursor, 5, 15, dur, visits, touched, &nt);
	CHECK("window durations", dur[0] == 0 && dur[1] == 5 && dur[2] == 5);
	CHECK("window visits: only won starts inside", visits[1] == 0 && visits[2] == 1);
	CHECK("window touched", nt == 2 && touched[0] == 1 && touched[1] == 2);
	CHECK("cursor at the proposal run", cursor == 1);
}

/* Random timelines against the stage in force at every unit of time. */
static void
test_tl_random(void)
{
	int			round;
	int			bad_dur = 0,
				bad_vis = 0;

	for (round = 0; round < 5000; round++)
	{
		TlPoint		p[24],
					scratch[24];
		TlRun		r[24];
		size_t		n = 1 + (size_t) (tl_rng() % 20);
		int64_t		end = 40 + (int64_t) (tl_rng() % 10);
		int64_t		w = 1 + (int64_t) (tl_rng() % 9);
		size_t		i,
					nr,
					cursor = 0;
		int64_t		a;

		for (i = 0; i < n; i++)
			p[i] = pt((int64_t) (tl_rng() % 40), (int64_t) (tl_rng() % 2), (int32_t) (tl_rng() % 3));
		tl_sort(p, n, scratch);
		for (i = 1; i < n; i++)
			if (tl_cmp(&p[i - 1], &p[i]) > 0)
				bad_dur++;
		nr = tl_runs(p, n, end, r);
		/* windows [a, a + w) from before the first point to past the end */
		for (a = -5; a < end + 5; a += w)
		{
			uint64_t	dur[3] = {0, 0, 0};
			int64_t		vis[3] = {0, 0, 0};
			uint64_t	want[3] = {0, 0, 0};
			int64_t		wvis[3] = {0, 0, 0};
			int32_t		touched[3];
			int			nt = 0;
			int64_t		t;
			int			s;

			tl_window(r, nr, &cursor, a, a + w, dur, vis, touched, &nt);
			/* unit t in force: the last point at or before t, until end */
			for (t = a; t < a + w; t++)
			{
				int			cur = -1;

				if (t >= end && t >= p[n - 1].ts)
					continue;
				for (i = 0; i < n; i++)
					if (p[i].ts <= t)
						cur = p[i].stage;
				if (cur >= 0)
					want[cur]++;
			}
			/* a visit: a point whose stage differs from the one before */
			for (i = 0; i < n; i++)
				if ((i == 0 || p[i].stage != p[i - 1].stage) && p[i].ts >= a && p[i].ts < a + w)
					wvis[p[i].stage]++;
			for (s = 0; s < 3; s++)
			{
				if (dur[s] != want[s])
					bad_dur++;
				if (vis[s] != wvis[s])
					bad_vis++;
			}
		}
	}
	CHECK("window durations equal the unit count (5,000 timelines)", bad_dur == 0);
	CHECK("window visits equal the points that change stage", bad_vis == 0);
}

/* The timeline group. */
void
test_timeline(void)
{
	test_tl_hand();
	test_tl_random();
}
