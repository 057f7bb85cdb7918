/*
 * timeline.h
 *		Time in stage from a timeline of (time, stage) points: pure C99, no
 *		PostgreSQL headers, caller-owned memory.
 *
 * A point says "from ts on, the entity is in stage s"; points are ordered
 * by (ts, seq, stage), seq breaking ties of equal times (stage_history's
 * id, say) and the stage number (the rank of its name) ties of equal seq.
 * Consecutive points of one stage form one run (a visit); a run lasts from
 * its first point to the next run's first point, and the last run to an
 * end time the caller gives (its last point, or a bucket's end when the
 * state carries over).  Durations are unsigned 64-bit: the span between
 * two timestamps of PostgreSQL's range may pass INT64_MAX.
 */
#ifndef CRM_TIMELINE_H
#define CRM_TIMELINE_H

#include <stddef.h>
#include <stdint.h>

/* One point of a timeline. */
typedef struct TlPoint
{
	int64_t		ts;
	int64_t		seq;
	int32_t		stage;			/* index into the caller's stage list */
	int32_t		pad;			/* zero */
} TlPoint;

/* One run: a stage from start to end (end >= start). */
typedef struct TlRun
{
	int32_t		stage;
	int64_t		start;
	int64_t		end;
} TlRun;

/* (ts, seq, stage) order: < 0, 0, > 0. */
extern int	tl_cmp(const TlPoint *a, const TlPoint *b);

/*
 * Sort points by (ts, seq, stage): a bottom-up merge sort through scratch
 * (n elements); one pass when already sorted.
 */
extern void tl_sort(TlPoint *p, size_t n, TlPoint *scratch);

/*
 * The runs of sorted points p[0..n) into runs (n elements at most); the
 * last run ends at end_ts, or at the last point when end_ts is before it.
 * Returns the number of runs.
 */
extern size_t tl_runs(const TlPoint *p, size_t n, int64_t end_ts, TlRun *runs);

/* The length of [s, e) within [a, b) (0 when they do not meet). */
extern uint64_t tl_overlap(int64_t s, int64_t e, int64_t a, int64_t b);

/*
 * The time in each stage within [a, b) and the runs starting there, added
 * to dur[stage] and visits[stage] (caller-zeroed, one per stage).  Runs are
 * taken from *cursor on, which ends at the first run that may still
 * overlap a later window: call it for ascending, non-overlapping windows.
 * The stages touched are appended to touched[*ntouched] (each once, as
 * long as the caller zeroes dur and visits of the touched ones between
 * windows).
 */
extern void tl_window(const TlRun *runs, size_t nruns, size_t *cursor,
					  int64_t a, int64_t b, uint64_t *dur, int64_t *visits,
					  int32_t *touched, int *ntouched);

#endif							/* CRM_TIMELINE_H */
