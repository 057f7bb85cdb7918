/*
 * crm_sales.h
 *		Declarations shared by the C glue layer of the crm_sales extension.
 */
#ifndef CRM_SALES_H
#define CRM_SALES_H

#include "postgres.h"

#include "common/shortest_dec.h"
#include "lib/stringinfo.h"

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

/* stage_model.c */
extern uint64 crm_cache_generation;
extern void crm_cache_init(void);
extern CrmModel *crm_model_lookup(Oid typid, bool missing_ok);
extern int	crm_stage_index(const CrmModel *model, Oid enum_oid);
extern int	crm_stage_index_checked(const CrmModel *model, Oid enum_oid);
extern CrmRequired crm_required_columns(const CrmModel *model, int from, int to);
extern char *crm_targets_text(const CrmModel *model, int from);
extern Oid	crm_base_enum_type(Oid typid);
extern void crm_config_query(const char *sql, int nargs, Oid *argtypes, Datum *args);

/* enforce.c */
extern bool crm_enforce_transitions;
extern void crm_enforce_init(void);

/* event_funnel.c */
extern void crm_window_funnel_init(void);

/* currency.c */
extern void crm_currency_init(void);

#endif							/* CRM_SALES_H */
