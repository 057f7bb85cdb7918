/*
 * template.c
 *		Parser of title templates (see template.h).
 */
#include "automation/template.h"

/* Append one segment, or fail when the caller's array is full. */
static int
push(tpl_segment *segs, int maxsegs, int *n, int is_column, size_t off, size_t len)
{
	if (*n >= maxsegs)
		return 0;
	segs[*n].is_column = is_column;
	segs[*n].off = off;
	segs[*n].len = len;
	(*n)++;
	return 1;
}

/*
 * Split s[0..len) into literal and column segments.  Adjacent literal text
 * is one segment, except that an escaped brace is a one-byte segment of its
 * own (it points at one of the two braces).  On error *errpos is the byte
 * offset of the offending brace.
 */
tpl_status
tpl_parse(const char *s, size_t len, tpl_segment *segs, int maxsegs,
		  int *nsegs, size_t *errpos)
{
	size_t		i = 0;
	size_t		lit = 0;		/* start of the pending literal run */
	int			n = 0;

	*nsegs = 0;
	*errpos = 0;
	while (i < len)
	{
		char		ch = s[i];

		if (ch != '{' && ch != '}')
		{
			i++;
			continue;
		}
		if (i > lit && !push(segs, maxsegs, &n, 0, lit, i - lit))
			return TPL_TOO_MANY;
		if (i + 1 < len && s[i + 1] == ch)
		{
			/* "{{" or "}}": one literal brace */
			if (!push(segs, maxsegs, &n, 0, i, 1))
				return TPL_TOO_MANY;
			i += 2;
			lit = i;
			continue;
		}
		*errpos = i;
		if (ch == '}')
			return TPL_STRAY_CLOSE;
		{
			size_t		j = i + 1;

			while (j < len && s[j] != '}' && s[j] != '{')
				j++;
			if (j >= len || s[j] == '{')
				return TPL_UNCLOSED;
			if (j == i + 1)
				return TPL_EMPTY_NAME;
			if (j - i - 1 > TPL_MAX_NAME)
				return TPL_NAME_TOO_LONG;
			if (!push(segs, maxsegs, &n, 1, i + 1, j - i - 1))
				return TPL_TOO_MANY;
			i = j + 1;
			lit = i;
		}
	}
	if (len > lit && !push(segs, maxsegs, &n, 0, lit, len - lit))
		return TPL_TOO_MANY;
	*nsegs = n;
	return TPL_OK;
}
