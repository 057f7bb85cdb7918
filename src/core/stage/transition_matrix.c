/*
 * transition_matrix.c
 *		Allowed-transition matrix of a stage model (see transition_matrix.h).
 */
#include "stage/transition_matrix.h"

#include <string.h>

/* Bytes of caller memory needed for a model of nstages stages (0 if invalid). */
size_t
tm_bytes(int nstages)
{
	if (nstages < 1 || nstages > TM_MAX_STAGES)
		return 0;
	return (size_t) (nstages + 1) * (size_t) nstages;
}

/* Lay out an empty matrix (nothing allowed) in mem, which has tm_bytes(). */
tm_status
tm_init(tm_matrix *m, int nstages, void *mem)
{
	if (nstages < 1 || nstages > TM_MAX_STAGES || mem == NULL)
		return TM_BAD_SIZE;
	m->nstages = nstages;
	m->flags = (unsigned char *) mem;
	memset(m->flags, 0, tm_bytes(nstages));
	return TM_OK;
}

/* Row of the flags array for a source stage (TM_CREATION allowed), or -1. */
static int
tm_row(const tm_matrix *m, int from)
{
	if (from < TM_CREATION || from >= m->nstages)
		return -1;
	return from + 1;
}

/* Allow (allowed != 0) or forbid the move from -> to. */
tm_status
tm_set(tm_matrix *m, int from, int to, int allowed)
{
	int			row = tm_row(m, from);

	if (row < 0 || to < 0 || to >= m->nstages)
		return TM_BAD_STAGE;
	m->flags[(size_t) row * m->nstages + to] = allowed ? 1 : 0;
	return TM_OK;
}

/*
 * Is the move from -> to allowed?  Staying in the same stage always is;
 * out-of-range stages never are.
 */
int
tm_allowed(const tm_matrix *m, int from, int to)
{
	int			row = tm_row(m, from);

	if (row < 0 || to < 0 || to >= m->nstages)
		return 0;
	if (from == to)
		return 1;
	return m->flags[(size_t) row * m->nstages + to] != 0;
}

/*
 * Write up to maxout target stages reachable from "from" into out[], in model
 * order; returns how many targets there are in all (may exceed maxout).
 */
int
tm_targets(const tm_matrix *m, int from, int *out, int maxout)
{
	int			row = tm_row(m, from);
	int			count = 0;
	int			to;

	if (row < 0)
		return 0;
	for (to = 0; to < m->nstages; to++)
	{
		if (to == from || !m->flags[(size_t) row * m->nstages + to])
			continue;
		if (out != NULL && count < maxout)
			out[count] = to;
		count++;
	}
	return count;
}

/*
 * Format the targets reachable from "from" as "a, b, c" (or "none") into
 * buf, always NUL-terminated and never longer than buflen - 1 bytes; a list
 * that does not fit ends in "...".  Returns the length written.
 */
size_t
tm_format_targets(const tm_matrix *m, int from, const char *const *names,
				  char *buf, size_t buflen)
{
	int			row = tm_row(m, from);
	size_t		len = 0;
	int			to;
	int			any = 0;

	if (buf == NULL || buflen == 0)
		return 0;
	buf[0] = '\0';
	if (row < 0)
		return 0;
	for (to = 0; to < m->nstages; to++)
	{
		const char *name;
		size_t		need;

		if (to == from || !m->flags[(size_t) row * m->nstages + to])
			continue;
		name = names[to];
		need = strlen(name) + (any ? 2 : 0);
		/* keep room for a closing ", ..." and the terminating NUL */
		if (len + need + 6 > buflen)
		{
			const char *more = any ? ", ..." : "...";

			if (len + strlen(more) + 1 <= buflen)
			{
				memcpy(buf + len, more, strlen(more));
				len += strlen(more);
			}
			buf[len] = '\0';
			return len;
		}
		if (any)
		{
			memcpy(buf + len, ", ", 2);
			len += 2;
		}
		memcpy(buf + len, name, strlen(name));
		len += strlen(name);
		any = 1;
	}
	if (!any)
	{
		const char *none = "none";

		if (strlen(none) < buflen)
		{
			memcpy(buf, none, strlen(none));
			len = strlen(none);
		}
	}
	buf[len] = '\0';
	return len;
}

/* Binary search of key in the ascending keys[]; position or -1. */
int
tm_find_key(const uint32_t *keys, int nkeys, uint32_t key)
{
	int			lo = 0;
	int			hi = nkeys - 1;

	while (lo <= hi)
	{
		int			mid = lo + (hi - lo) / 2;

		if (keys[mid] == key)
			return mid;
		if (keys[mid] < key)
			lo = mid + 1;
		else
			hi = mid - 1;
	}
	return -1;
}
