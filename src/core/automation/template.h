/*
 * template.h
 *		Title templates of follow-up rules, in pure C99: literal text with
 *		{column} placeholders that the glue fills from the row.
 *
 * Grammar: "{{" is a literal "{", "}}" a literal "}", and "{name}" names a
 * column (any bytes but braces, 1 to TPL_MAX_NAME bytes, taken verbatim:
 * no quoting, case kept).  Parsing splits the text into segments that point
 * into it; nothing is allocated or copied.
 */
#ifndef CRM_TEMPLATE_H
#define CRM_TEMPLATE_H

#include <stddef.h>

/* longest column name: PostgreSQL's NAMEDATALEN - 1 */
#define TPL_MAX_NAME 63

typedef enum tpl_status
{
	TPL_OK = 0,
	TPL_UNCLOSED,				/* "{" without its "}" */
	TPL_STRAY_CLOSE,			/* "}" that is neither "}}" nor closing */
	TPL_EMPTY_NAME,				/* "{}" */
	TPL_NAME_TOO_LONG,			/* more than TPL_MAX_NAME bytes */
	TPL_TOO_MANY				/* more segments than the caller's array */
} tpl_status;

typedef struct tpl_segment
{
	int			is_column;		/* 1: a column name, 0: literal text */
	size_t		off;			/* where it starts in the template */
	size_t		len;
} tpl_segment;

extern tpl_status tpl_parse(const char *s, size_t len, tpl_segment *segs,
							int maxsegs, int *nsegs, size_t *errpos);

#endif							/* CRM_TEMPLATE_H */
