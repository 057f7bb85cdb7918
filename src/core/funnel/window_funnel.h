/*
 * window_funnel.h
 *		Event-log funnels (ClickHouse windowFunnel / retention semantics):
 *		pure C99, no PostgreSQL headers, caller-owned memory.
 *
 * An event is a timestamp (int64, any unit: the glue uses microseconds) and
 * a bitmask of the funnel steps it matches (bit k-1 = step k, 1 <= k <= 32).
 * A mask of 0 is an event matching no step; it matters only in strict_order
 * mode, where such an event ends the chain.
 */
#ifndef CRM_WINDOW_FUNNEL_H
#define CRM_WINDOW_FUNNEL_H

#include <stddef.h>
#include <stdint.h>

#define WF_MAX_STEPS 32

/* Mode flags (combine with |). */
#define WF_STRICT_ORDER			0x01	/* no other event may intervene */
#define WF_STRICT_DEDUPLICATION	0x02	/* a repeated step ends the search */
#define WF_STRICT_INCREASE		0x04	/* timestamps strictly increase */
#define WF_TIES_DESCENDING		0x08	/* equal timestamps: later steps first */
#define WF_ALLOW_REENTRY		0x10	/* strict_order: a step out of order is
										 * skipped instead of ending the search */
#define WF_STRICT_ONCE			0x20	/* a row counts at most once in a chain */
#define WF_ANY_ORDER			0x40	/* steps in any order within the window */
#define WF_EXCLUSIONS			0x80	/* masks with WF_EXCLUSION_BIT are
										 * exclusion events (set by funnel_events) */
#define WF_ALL_FLAGS			0xFF

/*
 * With WF_EXCLUSIONS, an event whose mask has this bit is an exclusion
 * event: its bit k-1 (k <= 31) says "between step k and step k+1"; a chain
 * that reached step k before it cannot go on to step k+1 (a chain reaching
 * step k again later can).  At one timestamp exclusion events come first.
 */
#define WF_EXCLUSION_BIT		0x80000000u

/* Status codes. */
#define WF_OK				0
#define WF_BAD_MODE			1	/* unknown keyword in a mode text */

/*
 * Parse a mode text: keywords separated by commas and/or spaces, any case;
 * "" and "default" mean no flags.  On WF_BAD_MODE, *bad_pos and *bad_len give
 * the offending keyword inside text.
 */
int			wf_parse_mode(const char *text, size_t len, int *flags,
						  size_t *bad_pos, size_t *bad_len);

/* Write the canonical text of flags into buf (at least 96 bytes). */
void		wf_mode_text(int flags, char *buf, size_t buflen);

/*
 * Sort n events by (timestamp, mask) ascending (wf_level does not depend
 * on the order of equal timestamps; sequence patterns take them in mask
 * order).  scratch_ts and scratch_mask must hold n elements each.  Already
 * sorted input costs one pass.
 */
void		wf_sort(int64_t *ts, uint32_t *mask, size_t n,
					int64_t *scratch_ts, uint32_t *scratch_mask);

/*
 * The deepest funnel level (0..nsteps) reached by one entity's events,
 * which must be sorted by timestamp (wf_sort).  window >= 0 is in the unit
 * of ts; a step k > 1 counts when it follows step k-1 of a chain and is at
 * most window after that chain's step-1 event.  Events at the same
 * timestamp are taken as (ts, step) in ascending step order (descending
 * with WF_TIES_DESCENDING), each row's step once per row; events matching
 * no step first.  Bits above nsteps are ignored.
 */
int			wf_level(const int64_t *ts, const uint32_t *mask, size_t n,
					 int nsteps, int64_t window, int flags);

/*
 * Memory of wf_level_once: room for cap chains (caller-owned arrays of cap
 * elements; path of cap * WF_MAX_STEPS).
 */
typedef struct WfOncePool
{
	size_t		cap;
	int64_t    *first;			/* the chain's step-1 timestamp */
	int64_t    *last;			/* the timestamp of its last step */
	int32_t    *next;			/* next chain of the same level, -1 at the end */
	uint32_t   *path;			/* the row of each step of the chain */
} WfOncePool;

/*
 * wf_level with WF_STRICT_ONCE (current ClickHouse's strict_once): the
 * same rules, except that one row (event) is used at most once in a chain,
 * so a row matching steps 1 and 2 cannot reach step 2 alone.  Every chain
 * is kept (as ClickHouse does), per level; a chain no longer inside the
 * window is dropped when it is met, as long as its level keeps one.
 * Returns the level, or -1 when the pool has room for too few chains
 * (call again with a larger one).
 */
int			wf_level_once(const int64_t *ts, const uint32_t *mask, size_t n,
						  int nsteps, int64_t window, int flags, WfOncePool *pool);

/*
 * One-pass funnel over many entities: events (entity, ts, mask) in three
 * parallel arrays.  wf_group_entities reorders them so that each entity's
 * events are contiguous (a stable LSD radix sort on the entity bytes that
 * vary; one pass when already grouped in ascending entity order); the
 * scratch arrays must hold n elements each.
 */
void		wf_group_entities(int64_t *entity, int64_t *ts, uint32_t *mask,
							  size_t n, int64_t *s_entity, int64_t *s_ts,
							  uint32_t *s_mask);
/*
 * Retention: seen is the OR of the condition masks of an entity's rows.
 * out[0] = cond1 seen; out[k] = cond1 and cond(k+1) seen (k >= 1).
 */
void		wf_retention(uint32_t seen, int nconds, int32_t *out);

#endif							/* CRM_WINDOW_FUNNEL_H */
