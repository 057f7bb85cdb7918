/*
 * event_funnel.h
 *		Helpers of the event-log aggregates' glue (src/event_funnel.c),
 *		shared with src/event_sequence.c.
 */
#ifndef CRM_EVENT_FUNNEL_H
#define CRM_EVENT_FUNNEL_H

#include "postgres.h"

#include "fmgr.h"
#include "datatype/timestamp.h"

/* The aggregate memory context, or 0A000 when not called as an aggregate. */
extern MemoryContext wf_agg_context(FunctionCallInfo fcinfo, const char *fname);

/* A timestamp as microseconds; infinite ones are refused (22008). */
extern int64 wf_ts(TimestampTz ts);

/* 54000 for a state past the setting guc (bytes > 0: per event). */
extern void wf_too_many(const char *fname, const char *guc, int64 n, int limit,
						int bytes);

/* 22P03 for a serialized state that is malformed (len < 0: no detail). */
extern void wf_bad_state(const char *fname, const char *what, int len);

/* 22P03 unless b is a whole serialized state of this kind (event_log.h). */
struct ElStateHeader;
extern void wf_check_serialized(bytea *b, char kind, int valid_flags,
								struct ElStateHeader *h, const char *fname);

/* Grow or allocate an array to cap elements of width bytes (huge allowed). */
extern void *ev_grow(void *ptr, int64 cap, size_t width);

/* event_sequence.c: define its settings (called from crm_window_funnel_init). */
extern void crm_sequence_init(void);

/* event_sequence.c: crm_sales.sequence_max_events. */
extern int	crm_sequence_max_events(void);

#endif							/* CRM_EVENT_FUNNEL_H */
