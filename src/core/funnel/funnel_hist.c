/*
 * funnel_hist.c
 *		Histogram <-> reached counts of a funnel (see funnel_hist.h).
 */
#include "funnel/funnel_hist.h"

#include <stddef.h>

/*
 * reached[] from at[].  off_path may be NULL (every stage on the path).
 * Returns 0, or -1 if a sum would overflow int64.
 */
int
fc_reached(int n, const int64_t *at, const unsigned char *off_path,
		   int64_t *reached)
{
	int64_t		run = 0;
	int			i;

	for (i = n - 1; i >= 0; i--)
	{
		if (off_path != NULL && off_path[i])
		{
			reached[i] = at[i];
			continue;
		}
		if (at[i] > INT64_MAX - run)
			return -1;
		run += at[i];
		reached[i] = run;
	}
	return 0;
}

/*
 * at[] from reached[]: the inverse of fc_reached().  Returns -1 if it worked,
 * else the index of the first stage whose reached count is negative or
 * exceeds that of the path stage before it (a cumulative funnel cannot grow
 * along the path).
 */
int
fc_at_from_reached(int n, const int64_t *reached,
				   const unsigned char *off_path, int64_t *at)
{
	int			next = -1;		/* next path stage after i */
	int			i;

	for (i = n - 1; i >= 0; i--)
	{
		if (reached[i] < 0)
			return i;
		if (off_path != NULL && off_path[i])
		{
			at[i] = reached[i];
			continue;
		}
		if (next >= 0)
		{
			if (reached[next] > reached[i])
				return next;
			at[i] = reached[i] - reached[next];
		}
		else
			at[i] = reached[i];
		next = i;
	}
	return -1;
}

/* Amount sums of the entities that reached each stage (like fc_reached). */
dec_status
fc_amount_reached(int n, const dec128 *at, const unsigned char *off_path,
				  dec128 *reached)
{
	dec128		run = 0;
	int			i;

	for (i = n - 1; i >= 0; i--)
	{
		if (off_path != NULL && off_path[i])
		{
			reached[i] = at[i];
			continue;
		}
		if (dec_add(run, at[i], &run) != DEC_OK)
			return DEC_OVERFLOW;
		reached[i] = run;
	}
	return DEC_OK;
}

/* The inverse of fc_amount_reached() (amounts may be of any sign). */
dec_status
fc_amount_at_from_reached(int n, const dec128 *reached,
						  const unsigned char *off_path, dec128 *at)
{
	int			next = -1;
	int			i;

	for (i = n - 1; i >= 0; i--)
	{
		if ((off_path != NULL && off_path[i]) || next < 0)
			at[i] = reached[i];
		else if (dec_sub(reached[i], reached[next], &at[i]) != DEC_OK)
			return DEC_OVERFLOW;
		if (off_path == NULL || !off_path[i])
			next = i;
	}
	return DEC_OK;
}
