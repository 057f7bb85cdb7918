/*
 * transition_matrix.h
 *		Allowed-transition matrix of a stage model, in pure C99.
 *
 * A model with n stages has an (n + 1) x n matrix of flags: row 0 holds the
 * stages an entity may be created in, row i + 1 the stages reachable from
 * stage i (stages are numbered 0 .. n-1 in model order).  The memory is owned
 * by the caller: tm_bytes() says how much to provide, tm_init() lays it out.
 * Nothing here allocates, reports errors or keeps global state.
 */
#ifndef CRM_TRANSITION_MATRIX_H
#define CRM_TRANSITION_MATRIX_H

#include <stddef.h>
#include <stdint.h>

/* stage index that stands for "no stage yet" (creation of the entity) */
#define TM_CREATION (-1)

/* most stages a model may have: enum labels are short, models are small */
#define TM_MAX_STAGES 256

typedef enum tm_status
{
	TM_OK = 0,
	TM_BAD_STAGE,				/* stage index out of range */
	TM_BAD_SIZE					/* stage count out of range */
} tm_status;

typedef struct tm_matrix
{
	int			nstages;
	unsigned char *flags;		/* (nstages + 1) * nstages entries */
} tm_matrix;

extern size_t tm_bytes(int nstages);
extern tm_status tm_init(tm_matrix *m, int nstages, void *mem);
extern tm_status tm_set(tm_matrix *m, int from, int to, int allowed);
extern int	tm_allowed(const tm_matrix *m, int from, int to);
extern int	tm_targets(const tm_matrix *m, int from, int *out, int maxout);
extern size_t tm_format_targets(const tm_matrix *m, int from,
								const char *const *names,
								char *buf, size_t buflen);

/*
 * Sorted-key lookup: keys[] sorted ascending, returns the position of key
 * or -1.  Used to map enum value OIDs to stage indexes.
 */
extern int	tm_find_key(const uint32_t *keys, int nkeys, uint32_t key);

#endif							/* CRM_TRANSITION_MATRIX_H */
