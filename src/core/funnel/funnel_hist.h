/*
 * funnel_hist.h
 *		Pure-C99 arithmetic of the funnel type: from the histogram it stores to
 *		the "reached" counts users read, and back.
 *
 * A funnel over n stages stores, per stage i, at[i] = the number of entities
 * whose furthest stage is i (and the sum of their amounts).  Stages are
 * either on the path (open and won stages, in model order) or off it (lost
 * stages).  An entity whose furthest stage is a path stage k has reached
 * every path stage up to k, so
 *		reached[k] = sum of at[j] over path stages j at or after k,
 * while an off-path stage's reached is its own at[].  Storing the histogram
 * makes the aggregate one increment per row and merging one addition per
 * stage; the cumulative form is computed on output.
 */
#ifndef CRM_FUNNEL_HIST_H
#define CRM_FUNNEL_HIST_H

#include <stdint.h>

#include "numeric/decimal128.h"

/* most stages (or steps) of a funnel: the limit of a stage model */
#define FUNNEL_MAX_STAGES 256

extern int	fc_reached(int n, const int64_t *at, const unsigned char *off_path,
					   int64_t *reached);
extern int	fc_at_from_reached(int n, const int64_t *reached,
							   const unsigned char *off_path, int64_t *at);
extern dec_status fc_amount_reached(int n, const dec128 *at,
									const unsigned char *off_path, dec128 *reached);
extern dec_status fc_amount_at_from_reached(int n, const dec128 *reached,
											const unsigned char *off_path,
											dec128 *at);

#endif							/* CRM_FUNNEL_HIST_H */
