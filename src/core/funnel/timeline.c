/*
 * timeline.c
 *		Runs and time in stage of (time, stage) timelines (timeline.h).
 */
#include "funnel/timeline.h"

#include <string.h>

/* (ts, seq, stage) order. */
int
tl_cmp(const TlPoint *a, const TlPoint *b)
{
	if (a->ts != b->ts)
		return a->ts < b->ts ? -1 : 1;
	if (a->seq != b->seq)
		return a->seq < b->seq ? -1 : 1;
	if (a->stage != b->stage)
		return a->stage < b->stage ? -1 : 1;
	return 0;
}

/* Merge the sorted runs [lo, mid) and [mid, hi) of p through scratch. */
static void
tl_merge(TlPoint *p, size_t lo, size_t mid, size_t hi, TlPoint *scratch)
{
	size_t		i = lo,
				j = mid,
				k = lo;

	while (i < mid && j < hi)
		scratch[k++] = tl_cmp(&p[j], &p[i]) < 0 ? p[j++] : p[i++];
	while (i < mid)
		scratch[k++] = p[i++];
	while (j < hi)
		scratch[k++] = p[j++];
	memcpy(p + lo, scratch + lo, (hi - lo) * sizeof(TlPoint));
}

/* Sort by (ts, seq, stage): insertion-sorted blocks of 16, then merges. */
void
tl_sort(TlPoint *p, size_t n, TlPoint *scratch)
{
	size_t		i,
				width;

	for (i = 1; i < n; i++)
		if (tl_cmp(&p[i], &p[i - 1]) < 0)
			break;
	if (i >= n)
		return;
	for (i = 0; i < n; i += 16)
	{
		size_t		hi = i + 16 < n ? i + 16 : n;
		size_t		a;

		for (a = i + 1; a < hi; a++)
		{
			TlPoint		x = p[a];
			size_t		b = a;

			while (b > i && tl_cmp(&p[b - 1], &x) > 0)
			{
				p[b] = p[b - 1];
				b--;
			}
			p[b] = x;
		}
	}
	for (width = 16; width < n; width *= 2)
		for (i = 0; i + width < n; i += 2 * width)
		{
			size_t		hi = i + 2 * width < n ? i + 2 * width : n;

			if (tl_cmp(&p[i + width], &p[i + width - 1]) < 0)
				tl_merge(p, i, i + width, hi, scratch);
		}
}

/* The runs of sorted points (see timeline.h). */
size_t
tl_runs(const TlPoint *p, size_t n, int64_t end_ts, TlRun *runs)
{
	size_t		i,
				m = 0;

	for (i = 0; i < n; i++)
	{
		if (m > 0 && runs[m - 1].stage == p[i].stage)
			continue;
		if (m > 0)
			runs[m - 1].end = p[i].ts;
		runs[m].stage = p[i].stage;
		runs[m].start = p[i].ts;
		runs[m].end = p[i].ts;
		m++;
	}
	if (m > 0)
		runs[m - 1].end = end_ts > p[n - 1].ts ? end_ts : p[n - 1].ts;
	return m;
}

/* The length of [s, e) within [a, b). */
uint64_t
tl_overlap(int64_t s, int64_t e, int64_t a, int64_t b)
{
	int64_t		lo = s > a ? s : a;
	int64_t		hi = e < b ? e : b;

	return hi > lo ? (uint64_t) hi - (uint64_t) lo : 0;
}

/* Time in stage and visits within one window [a, b) (see timeline.h). */
void
tl_window(const TlRun *runs, size_t nruns, size_t *cursor,
		  int64_t a, int64_t b, uint64_t *dur, int64_t *visits,
		  int32_t *touched, int *ntouched)
{
	size_t		i = *cursor;
	size_t		j;

	/* runs wholly before the window are done for every later window too */
	while (i < nruns && runs[i].end <= a && runs[i].start < a)
		i++;
	*cursor = i;
	for (j = i; j < nruns && runs[j].start < b; j++)
	{
		int32_t		s = runs[j].stage;
		uint64_t	ov = tl_overlap(runs[j].start, runs[j].end, a, b);
		int			entered = runs[j].start >= a;

		if (ov == 0 && !entered)
			continue;
		if (dur[s] == 0 && visits[s] == 0)
			touched[(*ntouched)++] = s;
		dur[s] += ov;
		visits[s] += entered;
	}
}
