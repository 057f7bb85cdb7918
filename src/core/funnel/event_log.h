/*
 * event_log.h
 *		The compact, byte-order independent event log of funnel_events:
 *		pure C99, no PostgreSQL headers, caller-owned memory.
 *
 * A log is a run of entity records in ascending entity order.  Every number
 * is an unsigned LEB128 varint (7 bits a byte, low bits first), so the bytes
 * mean the same on every machine.  One entity record:
 *
 *	entity		the first record of a log: the entity zigzag-encoded;
 *				later records: the (non-negative) difference to the previous
 *	level		the entity's deepest funnel level from these events alone
 *				(one byte)
 *	nevents		its number of events (>= 1)
 *	width		one byte: low 4 bits 0..8, the bytes of each timestamp
 *				difference; high 4 bits 0..2, the unit of the timestamps
 *				and differences (1, 1000 or 1000000 of the caller's: whole
 *				milliseconds or seconds take fewer bytes)
 *	evbytes		the byte length of the events that follow
 *	events		the first timestamp (zigzag varint), then per event its
 *				step (one byte: 0 none, 1..32 a step, 33..63 an exclusion
 *				event after step byte - 32) followed, from the second event
 *				on, by the difference to the previous timestamp in `width`
 *				bytes, least significant first (the writer sorts the events
 *				by time, so differences are small and non-negative; any
 *				order still round-trips modulo 2^64)
 *
 * An entity that appears in one log only has its final level in the record;
 * the events are there for the entities that several logs (parallel workers)
 * share, whose level is computed again from all their events.
 */
#ifndef CRM_EVENT_LOG_H
#define CRM_EVENT_LOG_H

#include <stddef.h>
#include <stdint.h>

/* Status codes. */
#define EL_OK			0
#define EL_TRUNCATED	1		/* the bytes end inside a record */
#define EL_CORRUPT		2		/* a value out of its range */
#define EL_MORE			3		/* el_merge_levels: call again */
#define EL_BAD_VERSION	4		/* a serialized state of another format version */
#define EL_BAD_KIND		5		/* a serialized state of another aggregate */

/* The largest encoding of one entity record header and of one event. */
#define EL_MAX_HEADER	48
#define EL_MAX_EVENT	9

/* Write v as a varint at p (at most 10 bytes); returns the bytes written. */
size_t		el_put_varint(uint8_t *p, uint64_t v);

/*
 * Read a varint from [*p, end): advances *p; returns EL_TRUNCATED when the
 * bytes end inside it, EL_CORRUPT when it is longer than 10 bytes or does
 * not fit 64 bits.
 */
int			el_get_varint(const uint8_t **p, const uint8_t *end, uint64_t *v);

/*
 * Encode one entity's n >= 1 events (ts[i], mask[i] with at most one bit:
 * bit k-1 for step k, 0 for step 0) as a record
 * after prev_entity (first: 1 when it is the first record of a log) at out,
 * which must hold EL_MAX_HEADER + n * EL_MAX_EVENT bytes (it may write up
 * to 7 bytes past the record's end inside that room).  Returns the bytes
 * written.
 */
size_t		el_put_entity(uint8_t *out, int first, int64_t prev_entity,
						  int64_t entity, int level, const int64_t *ts,
						  const uint32_t *mask, size_t n);

/* One decoded entity record header. */
typedef struct ElEntity
{
	int64_t		entity;
	int			level;
	uint64_t	nevents;
	int			width;			/* bytes per timestamp difference */
	int			scale;			/* unit code 0..2 (1, 1000, 1000000) */
	const uint8_t *events;		/* evbytes bytes of events */
	size_t		evbytes;
} ElEntity;

/*
 * Decode the record header at *p (first: the log's first record) into e,
 * with the entity relative to prev_entity; advances *p past the events.
 * Checks the ranges (level 0..32, nevents >= 1, width 0..8, entities
 * ascending, the events inside the bytes and of the size nevents and width
 * give).
 */
int			el_get_entity(const uint8_t **p, const uint8_t *end, int first,
						  int64_t prev_entity, ElEntity *e);

/*
 * Decode the events of a record into ts[] and mask[] (bit step-1, 0 for
 * step 0, WF_EXCLUSION_BIT with bit k-1 for an exclusion after step k),
 * e->nevents of each.  Returns EL_OK, EL_TRUNCATED or EL_CORRUPT (a step
 * byte above 63, a size that does not match).
 */
int			el_get_events(const ElEntity *e, int64_t *ts, uint32_t *mask);

/*
 * Check a whole log: records well formed, entities ascending.  Adds the
 * events to *nevents and the records to *nentities, and raises *maxevents
 * to the largest event count of one record.
 */
int			el_check_log(const uint8_t *data, size_t len, uint64_t *nevents,
						 uint64_t *nentities, uint64_t *maxevents);

/* A log being read by el_merge_levels. */
typedef struct ElRun
{
	const uint8_t *pos;			/* the next record */
	const uint8_t *end;
	int			first;			/* pos is the log's first record */
	int			has;			/* cur holds the current record */
	int64_t		prev;			/* entity of the previous record */
	ElEntity	cur;
} ElRun;

/* Start reading a log. */
void		el_run_init(ElRun *r, const uint8_t *data, size_t len);

/* A level function (wf_level's arguments); el_merge_levels' default is wf_level. */
typedef int (*ElLevelFn) (void *arg, const int64_t *ts, const uint32_t *mask,
						  size_t n, int nsteps, int64_t window, int flags);

/*
 * Count the deepest level of every entity of k logs into deepest[level-1]
 * (levels >= 1), going through at most `budget` entities per call
 * (EL_MORE: call again; EL_OK: done).  An entity found in one log takes
 * the level of its record; one found in several has its events decoded
 * into the scratch arrays, sorted by time and its level computed with
 * nsteps, window and flags (window_funnel.h).  The scratch arrays hold
 * scratch_cap events each, at least the sum over the logs of their largest
 * record, and twice that for the sort (scratch_ts2, scratch_mask2).  The
 * levels of shared entities come from level_fn(level_arg, ...) when it is
 * not NULL (the glue's, for strict_once), else from wf_level.
 */
int			el_merge_levels(ElRun *runs, int k, int nsteps, int64_t window,
							int flags, int64_t *deepest, size_t budget,
							int64_t *scratch_ts, uint32_t *scratch_mask,
							int64_t *scratch_ts2, uint32_t *scratch_mask2,
							size_t scratch_cap, ElLevelFn level_fn, void *level_arg);

/*
 * Serialized states of window_funnel ('w') and funnel_events ('e'), in
 * network byte order (the glue writes them with pq_send*):
 *	uint8 version (EL_STATE_VERSION), uint8 kind, uint8 set, int32 flags,
 *	int32 nsteps, int64 window (EL_STATE_HEADER bytes), then
 *	'w': int64 n, then n times (int64 ts, uint32 mask);
 *	'e': int64 nevents, int32 nlogs, then per log int64 len and len bytes
 *		 of a log (above); the logs' events add up to nevents;
 *	'm' (sequence_match / sequence_count): uint32 pattern length and the
 *		 pattern's bytes, then as 'w' (nsteps holds the condition count);
 *	'n' (sequence_next_node): int64 n, then per row int64 ts, uint32 event
 *		 mask, uint8 base condition (0/1), uint32 value length and the value
 *		 (flags: direction + 16 * base; nsteps: the event count).
 */
#define EL_STATE_VERSION	1
#define EL_STATE_HEADER		19

typedef struct ElStateHeader
{
	int			version;
	int			set;
	int32_t		flags;
	int32_t		nsteps;
	int64_t		window;
	int64_t		count;			/* 'w': n; 'e': nevents */
	int32_t		nlogs;			/* 'e' */
	uint64_t	maxevents;		/* 'e': largest record of any log */
	uint32_t	pattern_len;	/* 'm': bytes of the pattern (before count) */
} ElStateHeader;

/*
 * Check a whole serialized state of the given kind: EL_OK, EL_TRUNCATED
 * (bytes missing), EL_BAD_VERSION, EL_BAD_KIND or EL_CORRUPT (a value out
 * of range: steps above 32, unknown flags, a negative window, bytes left
 * over, a log whose events do not add up).  Fills h.
 */
int			el_check_state(const uint8_t *data, size_t len, char kind,
						   int valid_flags, ElStateHeader *h);

/*
 * Decode n (int64 ts, uint32 mask) pairs of a 'w' or 'm' state starting at
 * p (checked by el_check_state) into ts[] and mask[].
 */
void		el_get_pairs(const uint8_t *p, size_t n, int64_t *ts, uint32_t *mask);

/* Read a big-endian integer of 8 or 4 bytes. */
static inline uint64_t
el_be64(const uint8_t *p)
{
	return ((uint64_t) p[0] << 56) | ((uint64_t) p[1] << 48) |
		((uint64_t) p[2] << 40) | ((uint64_t) p[3] << 32) |
		((uint64_t) p[4] << 24) | ((uint64_t) p[5] << 16) |
		((uint64_t) p[6] << 8) | (uint64_t) p[7];
}

static inline uint32_t
el_be32(const uint8_t *p)
{
	return ((uint32_t) p[0] << 24) | ((uint32_t) p[1] << 16) |
		((uint32_t) p[2] << 8) | (uint32_t) p[3];
}

#endif							/* CRM_EVENT_LOG_H */
