/*
 * test_transition_matrix.c
 *		Unit tests of src/core/stage/transition_matrix.c.  Expected values are worked
 *		out by hand from the definitions in transition_matrix.h.
 */
#include <stdlib.h>

#include "stage/transition_matrix.h"
#include "unit.h"

static const char *const names[] = {"lead", "contact", "proposal", "won", "lost"};

/* The shipped sales model in miniature: forward moves, open -> lost, reopen. */
static void
build_sales(tm_matrix *m, unsigned char *mem)
{
	int			from,
				to;

	tm_init(m, 5, mem);
	tm_set(m, TM_CREATION, 0, 1);
	for (from = 0; from < 3; from++)
	{
		for (to = from + 1; to < 4; to++)
			tm_set(m, from, to, 1);
		tm_set(m, from, 4, 1);
	}
	tm_set(m, 4, 0, 1);
}

void
test_transition_matrix(void)
{
	tm_matrix	m;
	unsigned char mem[30];
	int			out[8];
	char		buf[64];
	char		tiny[13];
	uint32_t	keys[] = {3, 8, 21, 40, 41, 1000};

	/* sizes: (n + 1) * n, and nothing for invalid counts */
	CHECK("bytes 5", tm_bytes(5) == 30);
	CHECK("bytes 1", tm_bytes(1) == 2);
	CHECK("bytes 0", tm_bytes(0) == 0);
	CHECK("bytes max", tm_bytes(TM_MAX_STAGES) == (size_t) 257 * 256);
	CHECK("bytes over max", tm_bytes(TM_MAX_STAGES + 1) == 0);
	CHECK("init bad size", tm_init(&m, 0, mem) == TM_BAD_SIZE);
	CHECK("init null mem", tm_init(&m, 3, NULL) == TM_BAD_SIZE);

	build_sales(&m, mem);

	/* creation only as lead */
	CHECK("create lead", tm_allowed(&m, TM_CREATION, 0));
	CHECK("create contact refused", !tm_allowed(&m, TM_CREATION, 1));
	CHECK("create won refused", !tm_allowed(&m, TM_CREATION, 3));
	/* forward one step and skipping ahead */
	CHECK("lead->contact", tm_allowed(&m, 0, 1));
	CHECK("lead->won skip", tm_allowed(&m, 0, 3));
	CHECK("proposal->won", tm_allowed(&m, 2, 3));
	/* backward moves refused */
	CHECK("proposal->contact refused", !tm_allowed(&m, 2, 1));
	CHECK("won->lost refused", !tm_allowed(&m, 3, 4));
	/* reopen */
	CHECK("lost->lead", tm_allowed(&m, 4, 0));
	CHECK("lost->contact refused", !tm_allowed(&m, 4, 1));
	/* staying is always allowed, even where no row allows anything */
	CHECK("won->won", tm_allowed(&m, 3, 3));
	/* out of range never is */
	CHECK("from -2", !tm_allowed(&m, -2, 0));
	CHECK("from 5", !tm_allowed(&m, 5, 0));
	CHECK("to 5", !tm_allowed(&m, 0, 5));
	CHECK("to -1", !tm_allowed(&m, 0, -1));
	CHECK("set bad from", tm_set(&m, 7, 0, 1) == TM_BAD_STAGE);
	CHECK("set bad to", tm_set(&m, 0, -1, 1) == TM_BAD_STAGE);

	/* forbid again */
	tm_set(&m, 0, 3, 0);
	CHECK("forbidden lead->won", !tm_allowed(&m, 0, 3));
	tm_set(&m, 0, 3, 1);

	/* targets in model order; count beyond maxout still reported */
	CHECK("targets lead", tm_targets(&m, 0, out, 8) == 4);
	CHECK("targets lead order", out[0] == 1 && out[1] == 2 && out[2] == 3 && out[3] == 4);
	CHECK("targets truncated count", tm_targets(&m, 0, out, 2) == 4);
	CHECK("targets won none", tm_targets(&m, 3, out, 8) == 0);
	CHECK("targets creation", tm_targets(&m, TM_CREATION, out, 8) == 1 && out[0] == 0);
	CHECK("targets bad from", tm_targets(&m, 9, out, 8) == 0);
	CHECK("targets null out", tm_targets(&m, 1, NULL, 0) == 3);

	/* formatting */
	tm_format_targets(&m, 0, names, buf, sizeof(buf));
	CHECK_STR("format lead", buf, "contact, proposal, won, lost");
	tm_format_targets(&m, 3, names, buf, sizeof(buf));
	CHECK_STR("format none", buf, "none");
	tm_format_targets(&m, TM_CREATION, names, buf, sizeof(buf));
	CHECK_STR("format creation", buf, "lead");
	/*
	 * 13 bytes: "contact" (7) fits with room for ", ..." (5) and the NUL;
	 * ", proposal" (10) does not.  With 12 bytes "contact" itself no longer
	 * leaves that room, so only "..." is written.
	 */
	tm_format_targets(&m, 0, names, tiny, sizeof(tiny));
	CHECK_STR("format truncated", tiny, "contact, ...");
	tm_format_targets(&m, 0, names, tiny, 12);
	CHECK_STR("format truncated 12", tiny, "...");
	CHECK("format truncated length", strlen(tiny) < sizeof(tiny));
	CHECK("format zero buffer", tm_format_targets(&m, 0, names, tiny, 0) == 0);
	tm_format_targets(&m, 0, names, tiny, 4);
	CHECK_STR("format 4 bytes", tiny, "...");
	tm_format_targets(&m, 0, names, tiny, 3);
	CHECK_STR("format 3 bytes", tiny, "");

	/* key lookup */
	CHECK("find first", tm_find_key(keys, 6, 3) == 0);
	CHECK("find last", tm_find_key(keys, 6, 1000) == 5);
	CHECK("find middle", tm_find_key(keys, 6, 40) == 3);
	CHECK("find missing", tm_find_key(keys, 6, 22) == -1);
	CHECK("find below", tm_find_key(keys, 6, 0) == -1);
	CHECK("find above", tm_find_key(keys, 6, 4000000000u) == -1);
	CHECK("find empty", tm_find_key(keys, 0, 3) == -1);

	/* a large model: every pair settable and readable */
	{
		int			n = TM_MAX_STAGES;
		unsigned char *big = malloc(tm_bytes(n));
		int			ok = 1;
		int			i;

		tm_init(&m, n, big);
		for (i = 0; i < n - 1; i++)
			tm_set(&m, i, i + 1, 1);
		for (i = 0; i < n - 1; i++)
			ok &= tm_allowed(&m, i, i + 1) && !tm_allowed(&m, i + 1, i);
		CHECK("big chain", ok);
		CHECK("big targets", tm_targets(&m, n - 1, NULL, 0) == 0);
		free(big);
	}
}
