/*
 * crm_sales.h
 *		Declarations shared by the C glue layer of the crm_sales extension.
 */
#ifndef CRM_SALES_H
#define CRM_SALES_H

#include "postgres.h"

#include <math.h>

#include "common/shortest_dec.h"
#include "access/htup.h"
#include "datatype/timestamp.h"
#include "lib/stringinfo.h"
#include "utils/fmgrprotos.h"
#include "utils/relcache.h"
#include "utils/timestamp.h"

#include "stage/transition_matrix.h"

/* Stage categories, as stored in crm_sales.stage.category */
typedef enum CrmCategory
{
	CRM_CAT_OPEN = 'o',
	CRM_CAT_WON = 'w',
	CRM_CAT_LOST = 'l'
} CrmCategory;

/* One stage of a cached model */
typedef struct CrmStage
{
	Oid			enum_oid;		/* OID of the pg_enum row */
	char	   *name;			/* enum label */
	char	   *label_en;
	char	   *label_zh;		/* NULL if none */
	CrmCategory category;
	bool		has_probability;
	double		probability;
	int			position;		/* 1-based position in the model */
} CrmStage;

/* Columns required to make one move: a NULL-terminated array of names */
typedef char **CrmRequired;

/* A cached model; lives in the cache context until the next invalidation */
typedef struct CrmModel
{
	Oid			typid;			/* hash key: the enum type */
	bool		is_model;		/* false: negative entry, not a model */
	char	   *name;			/* printable type name */
	int			nstages;
	CrmStage   *stages;			/* model order */
	const char **names;			/* stage labels, model order */
	uint32_t   *sorted_oids;	/* enum OIDs ascending ... */
	int		   *sorted_idx;		/* ... and their stage indexes */
	tm_matrix	matrix;
	CrmRequired *required;		/* (nstages + 1) * nstages, row 0 creation */
} CrmModel;

/*
 * Append v in PostgreSQL's shortest exact (round-trip) form, whatever
 * extra_float_digits says: the text forms of our types must round-trip.
 */
static inline void
crm_append_float8(StringInfo buf, double v)
{
	char		tmp[DOUBLE_SHORTEST_DECIMAL_LEN];

	double_to_shortest_decimal_buf(v, tmp);
	appendStringInfoString(buf, tmp);
}

/*
 * A timestamptz as text (DateStyle, TimeZone), palloc'd: unlike
 * timestamptz_to_str's static buffer, several may appear in one message.
 */
static inline char *
crm_time_text(TimestampTz t)
{
	return pstrdup(timestamptz_to_str(t));
}

/*
 * JSON (every jsonb cast of the extension's types is built with these two):
 * a float8 as its shortest round-trip decimal, and NaN, Infinity and
 * -Infinity, which JSON has no numbers for, as null -- one policy for every
 * type (docs/architecture.md, "JSON").
 */
static inline void
crm_json_float8(StringInfo buf, double v)
{
	if (isnan(v) || isinf(v))
		appendStringInfoString(buf, "null");
	else
		crm_append_float8(buf, v);
}

/* The JSON text built in buf as a jsonb datum (the end of every builder). */
static inline Datum
crm_jsonb_from_buf(StringInfo buf)
{
	return DirectFunctionCall1(jsonb_in, CStringGetDatum(buf->data));
}

/* stage_model.c */
extern uint64 crm_cache_generation;
extern void crm_model_relcache(Oid relid);
extern CrmModel *crm_model_lookup(Oid typid, bool missing_ok);
extern int	crm_stage_index(const CrmModel *model, Oid enum_oid);
extern int	crm_stage_index_checked(const CrmModel *model, Oid enum_oid);
extern int	crm_stage_by_name(const CrmModel *model, const char *name);
extern CrmRequired crm_required_columns(const CrmModel *model, int from, int to);
extern char *crm_targets_text(const CrmModel *model, int from);
extern Oid	crm_base_enum_type(Oid typid);
extern void crm_config_query(const char *sql, int nargs, Oid *argtypes, Datum *args);

/*
 * One accepted move of an entity, as crm_sales.stage_history records it.
 * The strings are the caller's (they may point into the model cache).
 */
typedef struct CrmMove
{
	Oid			relid;			/* the entity's table */
	const char *entity_id;		/* its id, as text */
	Oid			model;			/* the model's enum type */
	const char *from_stage;		/* NULL: the entity was created */
	const char *to_stage;
	TimestampTz changed_at;		/* when the move took effect */
	const char *changed_by;		/* who made it */
} CrmMove;

/* history.c */
extern void crm_history_record(const CrmMove *move);
extern bool crm_history_last_move(Oid relid, const char *entity_id, Oid model,
								  char **to_stage, TimestampTz *changed_at);

/* enforce.c */
extern bool crm_enforce_transitions;
extern void crm_enforce_init(void);

/* lead_score.c */
extern void crm_lead_score_relcache(Oid relid);

/* automation.c */
extern void crm_automation_init(void);
extern void crm_automation_relcache(Oid relid);
extern void crm_automation_on_move(Relation rel, HeapTuple newtup, Oid model_typid,
								   Oid from_enum, Oid to_enum, const char *id,
								   TimestampTz at);

/* event_funnel.c */
extern void crm_window_funnel_init(void);

/* currency.c */
extern void crm_currency_relcache(Oid relid);

/* funnel.c: a stage name in a text form, double-quoted unless a plain word */
extern void crm_append_stage_name(StringInfo buf, const char *name);

/* stage_timeline.c */
extern void crm_stage_timeline_init(void);

#endif							/* CRM_SALES_H */
