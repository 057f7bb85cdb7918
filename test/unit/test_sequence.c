/*
 * test_sequence.c
 *		Unit tests of core/funnel/sequence.c: the pattern parser (every error
 *		with its byte offset), the tie order of seq_sort, and matches derived
 *		by hand from ClickHouse's sequenceMatch / sequenceCount rules (the
 *		generated-log comparison with ClickHouse 18.16 is in
 *		test/sql/sequence_match.sql).
 */
#include "unit.h"

#include <stdint.h>

#include "funnel/sequence.h"
#include "funnel/window_funnel.h"

void		test_sequence(void);

/* Parse pat for 3 conditions; return the status and the error offset. */
static int
parse(const char *pat, size_t *pos, SeqAction *a, int *na, int *ht)
{
	*pos = 999;
	return seq_parse(pat, strlen(pat), 3, 1, a, na, ht, pos);
}

static void
test_seq_parse(void)
{
	SeqAction	a[64];
	int			na,
				ht;
	size_t		pos;

	CHECK("parse ok", parse("(?1).*(?t<=5)(?2).(?3)", &pos, a, &na, &ht) == SEQ_OK &&
		  na == 7 && ht == 1 && a[0].op == SEQ_STAR && a[1].op == SEQ_EVENT && a[1].arg == 0 &&
		  a[2].op == SEQ_STAR && a[3].op == SEQ_T_LE && a[3].arg == 5 &&
		  a[4].op == SEQ_EVENT && a[4].arg == 1 && a[5].op == SEQ_ANY && a[6].arg == 2);
	CHECK("parse empty", parse("", &pos, a, &na, &ht) == SEQ_OK && na == 1 && ht == 0);
	CHECK("units", parse("(?1)(?t<2d)(?2)(?t>=3m)(?3)", &pos, a, &na, &ht) == SEQ_OK &&
		  a[2].arg == 172800 && a[4].arg == 180);
	CHECK("==", parse("(?1)(?t==4)(?2)", &pos, a, &na, &ht) == SEQ_OK && a[2].op == SEQ_T_EQ);
	CHECK("blank", parse("(?1) (?2)", &pos, a, &na, &ht) == SEQ_ERR_SYMBOL && pos == 4);
	CHECK("no paren", parse("(?1", &pos, a, &na, &ht) == SEQ_ERR_PAREN && pos == 3);
	CHECK("no number", parse("(?x)", &pos, a, &na, &ht) == SEQ_ERR_NUMBER && pos == 2);
	CHECK("cond 0", parse("(?0)", &pos, a, &na, &ht) == SEQ_ERR_COND_RANGE && pos == 2);
	CHECK("cond 4 of 3", parse("(?4)", &pos, a, &na, &ht) == SEQ_ERR_COND_RANGE);
	CHECK("cond huge", parse("(?99999999999999999999999)", &pos, a, &na, &ht) == SEQ_ERR_COND_RANGE);
	CHECK("time op", parse("(?1)(?t=4)", &pos, a, &na, &ht) == SEQ_ERR_TIME_OP && pos == 7);
	CHECK("time number", parse("(?1)(?t<)", &pos, a, &na, &ht) == SEQ_ERR_NUMBER && pos == 8);
	CHECK("time twice", parse("(?1)(?t<5)(?t>1)", &pos, a, &na, &ht) == SEQ_ERR_TIME_PLACE && pos == 10);
	CHECK("time range", parse("(?1)(?t<9000000000001)", &pos, a, &na, &ht) == SEQ_ERR_TIME_RANGE);
	CHECK("time at start", parse("(?t<5)(?1)", &pos, a, &na, &ht) == SEQ_OK);
	/* microsecond units: 9e12 s is 9e18 us, still an int64; one more is refused */
	pos = 0;
	CHECK("usec edge", seq_parse("(?1)(?t<9000000000000)", 22, 3, 1000000, a, &na, &ht, &pos)
		  == SEQ_OK && a[2].arg == INT64_C(9000000000000000000));
	CHECK("usec range", seq_parse("(?1)(?t<9000000000001)", 22, 3, 1000000, a, &na, &ht, &pos)
		  == SEQ_ERR_TIME_RANGE);
	CHECK("usec ok", seq_parse("(?1)(?t<9000000)", 16, 3, 1000000, a, &na, &ht, &pos) == SEQ_OK &&
		  a[2].arg == INT64_C(9000000000000));
}

/* Run pat over (ts, mask) events: match and count (events sorted first). */
static void
run(const char *pat, int64_t *ts, uint32_t *mask, size_t n, int *m, int64_t *c)
{
	SeqAction	a[64];
	int			na,
				ht;
	size_t		pos;
	size_t		stack[3 * 64];
	unsigned char states[3 * 65];
	int64_t		sts[32];
	uint32_t	sm[32];

	*m = -1;
	*c = -1;
	if (seq_parse(pat, strlen(pat), 3, 1, a, &na, &ht, &pos) != SEQ_OK)
		return;
	wf_sort(ts, mask, n, sts, sm);
	seq_match(a, na, ht, ts, mask, n, stack, 64, states, m);
	seq_count(a, na, ts, mask, n, stack, 64, c);
}

static void
test_seq_match(void)
{
	int			m;
	int64_t		c;

	/* ties sort by mask: b@5 a@5 -> a, b */
	{
		int64_t		t[] = {5, 5};
		uint32_t	k[] = {2, 1};

		run("(?1)(?2)", t, k, 2, &m, &c);
		CHECK("tie a then b", m == 1 && c == 1 && k[0] == 1);
	}
	/* time conditions skip events: a@0 c@1 b@2 with (?t<=3) */
	{
		int64_t		t[] = {0, 1, 2};
		uint32_t	k[] = {1, 4, 2};

		run("(?1)(?t<=3)(?2)", t, k, 3, &m, &c);
		CHECK("<= skips", m == 1 && c == 1);
		run("(?1)(?2)", t, k, 3, &m, &c);
		CHECK("adjacent fails", m == 0 && c == 0);
		run("(?1).(?2)", t, k, 3, &m, &c);
		CHECK(". takes c", m == 1 && c == 1);
	}
	/* a@0 b@10: > and >= at the edge */
	{
		int64_t		t[] = {0, 10};
		uint32_t	k[] = {1, 2};

		run("(?1)(?t>10)(?2)", t, k, 2, &m, &c);
		CHECK("> edge", m == 0 && c == 0);
		run("(?1)(?t>=10)(?2)", t, k, 2, &m, &c);
		CHECK(">= edge", m == 1 && c == 1);
		run("(?1)(?t<10)(?2)", t, k, 2, &m, &c);
		CHECK("< edge", m == 0 && c == 0);
		run("(?1)(?t==10)(?2)", t, k, 2, &m, &c);
		CHECK("== edge", m == 1 && c == 1);
	}
	/* counting: a b a b a -> (?1)(?2) twice; .* counts events */
	{
		int64_t		t[] = {1, 2, 3, 4, 5};
		uint32_t	k[] = {1, 2, 1, 2, 1};

		run("(?1)(?2)", t, k, 5, &m, &c);
		CHECK("count 2", m == 1 && c == 2);
		run(".*", t, k, 5, &m, &c);
		CHECK(".* counts events", m == 1 && c == 5);
	}
	/* no events: the empty pattern matches, counts 0 */
	{
		run("", NULL, NULL, 0, &m, &c);
		CHECK("empty log", m == 1 && c == 0);
		run("(?1)", NULL, NULL, 0, &m, &c);
		CHECK("empty log no match", m == 0 && c == 0);
	}
}

/* The sequence group, run from test_window_funnel. */
void
test_sequence(void)
{
	test_seq_parse();
	test_seq_match();
}
