/*
 * funnel.h
 *		The crm_sales.funnel type: per-stage counts (and amount sums) of the
 *		entities that reached each stage of a model, or of positions 1..n.
 */
#ifndef CRM_FUNNEL_H
#define CRM_FUNNEL_H

#include "postgres.h"

#include "fmgr.h"

#include "numeric/decimal128.h"
#include "funnel/funnel_hist.h"

#define FUNNEL_VERSION		1
#define FUNNEL_HAS_AMOUNT	0x01

/*
 * On-disk layout: this header, then
 *	int64	at[nstages]			entities whose furthest stage is i
 *	dec128	amount[nstages]		their amount sums (if FUNNEL_HAS_AMOUNT),
 *								stored unaligned (read with memcpy)
 *	Oid		stage[nstages]		enum value of each stage (model funnels)
 *	uint8	off_path[nstages]	1 for lost-category stages (model funnels)
 * Stages are in model order; positional funnels (model = InvalidOid) have
 * neither stage nor off_path arrays.
 */
typedef struct FunnelData
{
	int32		vl_len_;		/* varlena header */
	uint8		version;
	uint8		flags;
	int16		scale;			/* decimal places of the amounts */
	int32		nstages;
	Oid			model;			/* enum type, or InvalidOid */
	int32		reserved;
	int32		reserved2;		/* pads the header to 24 bytes, so that the
								 * int64 at[] after it is 8-byte aligned */
} FunnelData;

#define FUNNEL_HDRSZ	((Size) sizeof(FunnelData))

StaticAssertDecl(sizeof(FunnelData) % sizeof(int64) == 0,
				 "the int64 array after the funnel header must be aligned");

/* Build a positional funnel from deepest[k] = entities whose deepest step is k + 1. */
extern Datum crm_funnel_positional(int nsteps, const int64 *deepest);

#endif							/* CRM_FUNNEL_H */
