/*
 * test_event_log.c
 *		Unit tests of core/funnel/event_log.c: varints, entity records,
 *		the serialized-state checks (wrong version, truncation at every
 *		length, another aggregate's state) and the merge of several logs,
 *		checked against wf_level over each entity's events directly.
 */
#include "unit.h"

#include <stdint.h>
#include <stdlib.h>

#include "funnel/event_log.h"
#include "funnel/window_funnel.h"

void		test_event_log(void);

/* Varints: round trips at the edges, truncation, overlong encodings. */
static void
test_varints(void)
{
	static const uint64_t vals[] = {0, 1, 127, 128, 16383, 16384,
		(uint64_t) 1 << 62, ((uint64_t) 1 << 63) - 1, (uint64_t) 1 << 63, UINT64_MAX};
	uint8_t		buf[16];
	size_t		i;

	for (i = 0; i < sizeof(vals) / sizeof(vals[0]); i++)
	{
		size_t		n = el_put_varint(buf, vals[i]);
		const uint8_t *p = buf;
		uint64_t	v = 0;

		CHECK("varint length", n >= 1 && n <= 10);
		CHECK("varint round trip", el_get_varint(&p, buf + n, &v) == EL_OK && v == vals[i]);
		CHECK("varint consumed", p == buf + n);
		p = buf;
		CHECK("varint truncated", el_get_varint(&p, buf + n - 1, &v) == EL_TRUNCATED);
	}
	/* 11 continuation bytes: longer than any 64-bit value */
	memset(buf, 0x80, 11);
	buf[11] = 0;
	{
		const uint8_t *p = buf;
		uint64_t	v;

		CHECK("varint overlong", el_get_varint(&p, buf + 12, &v) == EL_CORRUPT);
	}
	/* a 10th byte with bits beyond 64 */
	memset(buf, 0xFF, 9);
	buf[9] = 0x02;
	{
		const uint8_t *p = buf;
		uint64_t	v;

		CHECK("varint beyond 64 bits", el_get_varint(&p, buf + 10, &v) == EL_CORRUPT);
	}
}

/* Encode a log of three entities with extreme values and read it back. */
static size_t
make_log(uint8_t *buf)
{
	static const int64_t ts1[] = {INT64_MIN + 1, INT64_MAX, 0};
	static const uint32_t m1[] = {1, 0, (uint32_t) 1 << 31};
	static const int64_t ts2[] = {5};
	static const uint32_t m2[] = {2};
	static const int64_t ts3[] = {-7, -7};
	static const uint32_t m3[] = {4, 4};
	size_t		n = 0;

	n += el_put_entity(buf + n, 1, 0, INT64_MIN, 3, ts1, m1, 3);
	n += el_put_entity(buf + n, 0, INT64_MIN, -1, 0, ts2, m2, 1);
	n += el_put_entity(buf + n, 0, -1, INT64_MAX, 32, ts3, m3, 2);
	return n;
}

/* Records: round trip, every truncation refused, altered bytes refused. */
static void
test_records(void)
{
	uint8_t		buf[256];
	size_t		n = make_log(buf);
	const uint8_t *p = buf;
	ElEntity	e;
	int64_t		ts[4];
	uint32_t	mask[4];
	uint64_t	nev = 0,
				nent = 0,
				maxev = 0;
	size_t		cut;

	CHECK("record 1", el_get_entity(&p, buf + n, 1, 0, &e) == EL_OK &&
		  e.entity == INT64_MIN && e.level == 3 && e.nevents == 3);
	CHECK("record 1 events", el_get_events(&e, ts, mask) == EL_OK &&
		  ts[0] == INT64_MIN + 1 && ts[1] == INT64_MAX && ts[2] == 0 &&
		  mask[0] == 1 && mask[1] == 0 && mask[2] == (uint32_t) 1 << 31);
	CHECK("record 2", el_get_entity(&p, buf + n, 0, e.entity, &e) == EL_OK &&
		  e.entity == -1 && e.level == 0 && e.nevents == 1);
	CHECK("record 2 events", el_get_events(&e, ts, mask) == EL_OK && ts[0] == 5 && mask[0] == 2);
	CHECK("record 3", el_get_entity(&p, buf + n, 0, e.entity, &e) == EL_OK &&
		  e.entity == INT64_MAX && e.level == 32 && e.nevents == 2);
	CHECK("record 3 events", el_get_events(&e, ts, mask) == EL_OK &&
		  ts[0] == -7 && ts[1] == -7 && mask[1] == 4);
	CHECK("log end", p == buf + n);
	CHECK("log check", el_check_log(buf, n, &nev, &nent, &maxev) == EL_OK &&
		  nev == 6 && nent == 3 && maxev == 3);
	/*
	 * a cut at a record boundary is a shorter valid log (the state's event
	 * count catches it: test_states); every other cut is refused
	 */
	{
		int			refused = 1;
		uint64_t	ok_cuts = 0;

		for (cut = 1; cut < n; cut++)
		{
			nev = nent = maxev = 0;
			if (el_check_log(buf, cut, &nev, &nent, &maxev) == EL_OK)
			{
				ok_cuts++;
				if (nev >= 6)
					refused = 0;
			}
		}
		CHECK("every truncated log refused but at the 2 record boundaries",
			  refused && ok_cuts == 2);
	}
	/* whole seconds and milliseconds are stored in that unit */
	{
		static const int64_t tsec[] = {-2000000, 3000000, 5000000};
		static const int64_t tms[] = {1000, 3000, 3000};
		static const uint32_t k3[] = {1, 2, 4};
		uint8_t		rec[128];
		size_t		m = el_put_entity(rec, 1, 0, 1, 3, tsec, k3, 3);
		const uint8_t *q = rec;

		CHECK("seconds record", el_get_entity(&q, rec + m, 1, 0, &e) == EL_OK &&
			  e.scale == 2 && e.width == 1 && el_get_events(&e, ts, mask) == EL_OK &&
			  ts[0] == -2000000 && ts[1] == 3000000 && ts[2] == 5000000 && mask[2] == 4);
		m = el_put_entity(rec, 1, 0, 1, 3, tms, k3, 3);
		q = rec;
		CHECK("milliseconds record", el_get_entity(&q, rec + m, 1, 0, &e) == EL_OK &&
			  e.scale == 1 && el_get_events(&e, ts, mask) == EL_OK &&
			  ts[0] == 1000 && ts[1] == 3000 && ts[2] == 3000);
		rec[3] = 0x31;			/* unit code 3 */
		q = rec;
		CHECK("unit code 3 refused", el_get_entity(&q, rec + m, 1, 0, &e) == EL_CORRUPT);
	}
	/* entities must ascend: a zero difference is refused */
	{
		uint8_t		bad[64];
		size_t		m = 0;
		static const int64_t t[] = {1};
		static const uint32_t k[] = {1};

		m += el_put_entity(bad + m, 1, 0, 10, 1, t, k, 1);
		m += el_put_entity(bad + m, 0, 10, 10, 1, t, k, 1);
		nev = nent = maxev = 0;
		CHECK("repeated entity refused", el_check_log(bad, m, &nev, &nent, &maxev) == EL_CORRUPT);
	}
	/* a level above 32 and a step above 32 are refused */
	{
		uint8_t		bad[64];
		size_t		m;
		static const int64_t t[] = {1};
		static const uint32_t k[] = {1};

		m = el_put_entity(bad, 1, 0, 10, 1, t, k, 1);
		bad[1] = 33;
		nev = nent = maxev = 0;
		CHECK("level 33 refused", el_check_log(bad, m, &nev, &nent, &maxev) == EL_CORRUPT);
		m = el_put_entity(bad, 1, 0, 10, 1, t, k, 1);
		p = bad;
		CHECK("step record", el_get_entity(&p, bad + m, 1, 0, &e) == EL_OK);
		bad[6] = 64;			/* the event's step byte */
		CHECK("step byte 64 refused", el_get_events(&e, ts, mask) == EL_CORRUPT);
		bad[6] = 35;			/* an exclusion event after step 3 */
		CHECK("exclusion byte", el_get_events(&e, ts, mask) == EL_OK &&
			  mask[0] == (WF_EXCLUSION_BIT | 4));
	}
}

/* Append big-endian integers. */
static size_t
put_be(uint8_t *p, uint64_t v, int bytes)
{
	int			i;

	for (i = 0; i < bytes; i++)
		p[i] = (uint8_t) (v >> (8 * (bytes - 1 - i)));
	return bytes;
}

/* A serialized state header (the glue writes the same with pq_send*). */
static size_t
put_header(uint8_t *p, int version, char kind, int32_t flags, int32_t nsteps, int64_t window)
{
	size_t		n = 0;

	p[n++] = (uint8_t) version;
	p[n++] = (uint8_t) kind;
	p[n++] = 1;
	n += put_be(p + n, (uint32_t) flags, 4);
	n += put_be(p + n, (uint32_t) nsteps, 4);
	n += put_be(p + n, (uint64_t) window, 8);
	return n;
}

/* Serialized states: valid ones pass; wrong version, kind, truncation refused. */
static void
test_states(void)
{
	uint8_t		log[256];
	size_t		loglen = make_log(log);
	uint8_t		st[512];
	size_t		n = 0;
	size_t		cut;
	ElStateHeader h;
	int			all_truncated = 1;

	n += put_header(st, EL_STATE_VERSION, 'e', WF_STRICT_ORDER, 5, 3600);
	n += put_be(st + n, 6, 8);	/* events */
	n += put_be(st + n, 1, 4);	/* logs */
	n += put_be(st + n, loglen, 8);
	memcpy(st + n, log, loglen);
	n += loglen;
	CHECK("state ok", el_check_state(st, n, 'e', WF_ALL_FLAGS, &h) == EL_OK &&
		  h.nsteps == 5 && h.window == 3600 && h.flags == WF_STRICT_ORDER &&
		  h.count == 6 && h.nlogs == 1 && h.maxevents == 3);
	for (cut = 0; cut < n; cut++)
		if (el_check_state(st, cut, 'e', WF_ALL_FLAGS, &h) != EL_TRUNCATED)
			all_truncated = 0;
	CHECK("every truncated state is EL_TRUNCATED", all_truncated);
	CHECK("state with a byte more", el_check_state(st, n + 1, 'e', WF_ALL_FLAGS, &h) != EL_OK);
	CHECK("state of the other aggregate", el_check_state(st, n, 'w', WF_ALL_FLAGS, &h) == EL_BAD_KIND);
	st[0] = 2;
	CHECK("version 2 refused", el_check_state(st, n, 'e', WF_ALL_FLAGS, &h) == EL_BAD_VERSION &&
		  h.version == 2);
	st[0] = 0;
	CHECK("version 0 refused", el_check_state(st, n, 'e', WF_ALL_FLAGS, &h) == EL_BAD_VERSION);
	st[0] = EL_STATE_VERSION;
	/* the header's event count must match the logs */
	put_be(st + EL_STATE_HEADER, 7, 8);
	CHECK("event count mismatch", el_check_state(st, n, 'e', WF_ALL_FLAGS, &h) == EL_CORRUPT);
	put_be(st + EL_STATE_HEADER, 6, 8);
	/* parameters out of range */
	put_be(st + 7, 33, 4);
	CHECK("33 steps refused", el_check_state(st, n, 'e', WF_ALL_FLAGS, &h) == EL_CORRUPT);
	put_be(st + 7, 5, 4);
	put_be(st + 3, 0x100, 4);
	CHECK("unknown flag refused", el_check_state(st, n, 'e', WF_ALL_FLAGS, &h) == EL_CORRUPT);
	put_be(st + 3, 0, 4);
	put_be(st + 11, (uint64_t) -1, 8);
	CHECK("negative window refused", el_check_state(st, n, 'e', WF_ALL_FLAGS, &h) == EL_CORRUPT);

	/* window_funnel: header, n, n * (ts, mask) */
	n = put_header(st, EL_STATE_VERSION, 'w', 0, 3, 10);
	n += put_be(st + n, 2, 8);
	n += put_be(st + n, (uint64_t) -5, 8);
	n += put_be(st + n, 1, 4);
	n += put_be(st + n, 7, 8);
	n += put_be(st + n, 2, 4);
	CHECK("w state ok", el_check_state(st, n, 'w', WF_ALL_FLAGS, &h) == EL_OK && h.count == 2 &&
		  (int64_t) el_be64(st + EL_STATE_HEADER + 8) == -5);
	all_truncated = 1;
	for (cut = 0; cut < n; cut++)
		if (el_check_state(st, cut, 'w', WF_ALL_FLAGS, &h) != EL_TRUNCATED)
			all_truncated = 0;
	CHECK("every truncated w state is EL_TRUNCATED", all_truncated);
	put_be(st + EL_STATE_HEADER, (uint64_t) 1 << 61, 8);
	CHECK("huge count refused without overflow",
		  el_check_state(st, n, 'w', WF_ALL_FLAGS, &h) == EL_TRUNCATED);
}

/* A small deterministic generator (LCG) for the merge test. */
static uint64_t lcg_state = 20261205;

static uint32_t
lcg(uint32_t n)
{
	lcg_state = lcg_state * 6364136223846793005ULL + 1442695040888963407ULL;
	return (uint32_t) ((lcg_state >> 33) % n);
}

#define ME_ENT 300
#define ME_MAX 12

/*
 * Merge: random events of ME_ENT entities spread over three logs (an
 * entity's events split between logs as a parallel scan splits them); the
 * merged level counts must equal wf_level over each entity's whole set of
 * events, in every mode, also when the merge goes in small slices.
 */
static void
test_merge(void)
{
	static int64_t ets[ME_ENT][ME_MAX];
	static uint32_t emask[ME_ENT][ME_MAX];
	static int	en[ME_ENT];
	static int	epart[ME_ENT][ME_MAX];
	static uint8_t logs[3][ME_ENT * (EL_MAX_HEADER + ME_MAX * EL_MAX_EVENT)];
	static const int modes[] = {0, WF_STRICT_ORDER, WF_STRICT_DEDUPLICATION,
	WF_STRICT_INCREASE, WF_TIES_DESCENDING};
	size_t		loglen[3];
	int			mi;
	int			round;

	for (round = 0; round < 4; round++)
	{
		for (mi = 0; mi < 5; mi++)
		{
			int			flags = modes[mi];
			int64_t		want[WF_MAX_STEPS] = {0};
			int64_t		got[WF_MAX_STEPS] = {0};
			int64_t		sts[3 * ME_MAX],
						sts2[3 * ME_MAX];
			uint32_t	smask[3 * ME_MAX],
						smask2[3 * ME_MAX];
			ElRun		runs[3];
			int			e,
						r,
						k,
						rc,
						calls = 0;
			int64_t		window = (int64_t) lcg(6);
			int			same = 1;

			for (e = 0; e < ME_ENT; e++)
			{
				en[e] = 1 + (int) lcg(ME_MAX);
				for (k = 0; k < en[e]; k++)
				{
					ets[e][k] = (int64_t) lcg(10) - 3;
					emask[e][k] = lcg(5) == 0 ? 0 : (uint32_t) 1 << lcg(4);
					/* most entities in one log, some split over several */
					epart[e][k] = lcg(4) == 0 ? (int) lcg(3) : e % 3;
				}
			}
			for (r = 0; r < 3; r++)
			{
				int			first = 1;
				int64_t		prev = 0;

				loglen[r] = 0;
				for (e = 0; e < ME_ENT; e++)
				{
					int64_t		t[ME_MAX],
								t2[ME_MAX];
					uint32_t	m[ME_MAX],
								m2[ME_MAX];
					int			n = 0;
					int			level;
					int64_t		id = (int64_t) e * 1000003 - 150000000;

					for (k = 0; k < en[e]; k++)
						if (epart[e][k] == r)
						{
							t[n] = ets[e][k];
							m[n++] = emask[e][k];
						}
					if (n == 0)
						continue;
					wf_sort(t, m, n, t2, m2);
					level = wf_level(t, m, n, 4, window, flags);
					loglen[r] += el_put_entity(logs[r] + loglen[r], first, prev, id,
											   level, t, m, n);
					first = 0;
					prev = id;
				}
			}
			for (e = 0; e < ME_ENT; e++)
			{
				int64_t		t[ME_MAX],
							t2[ME_MAX];
				uint32_t	m[ME_MAX],
							m2[ME_MAX];
				int			level;

				memcpy(t, ets[e], sizeof(int64_t) * en[e]);
				memcpy(m, emask[e], sizeof(uint32_t) * en[e]);
				wf_sort(t, m, en[e], t2, m2);
				level = wf_level(t, m, en[e], 4, window, flags);
				if (level > 0)
					want[level - 1]++;
			}
			for (r = 0; r < 3; r++)
				el_run_init(&runs[r], logs[r], loglen[r]);
			do
			{
				rc = el_merge_levels(runs, 3, 4, window, flags, got, round == 0 ? 7 : 1000000,
									 sts, smask, sts2, smask2, 3 * ME_MAX, NULL, NULL);
				calls++;
			} while (rc == EL_MORE && calls < 10000);
			CHECK("merge finishes", rc == EL_OK);
			for (k = 0; k < WF_MAX_STEPS; k++)
				if (got[k] != want[k])
					same = 0;
			CHECK("merged levels equal wf_level per entity", same);
			if (round == 0 && mi == 0)
				CHECK("small budget took several calls", calls > 10);
		}
	}
	/* a scratch too small for a shared entity is refused, not overrun */
	{
		static const int64_t t[] = {1, 2};
		static const uint32_t m[] = {1, 2};
		uint8_t		a[64],
					b[64];
		size_t		na = el_put_entity(a, 1, 0, 5, 1, t, m, 2);
		size_t		nb = el_put_entity(b, 1, 0, 5, 1, t, m, 2);
		ElRun		runs[2];
		int64_t		got[WF_MAX_STEPS] = {0};
		int64_t		s1[3],
					s2[3];
		uint32_t	m1[3],
					m2[3];

		el_run_init(&runs[0], a, na);
		el_run_init(&runs[1], b, nb);
		CHECK("scratch overrun refused",
			  el_merge_levels(runs, 2, 2, 10, 0, got, 100, s1, m1, s2, m2, 3, NULL, NULL) == EL_CORRUPT);
	}
}

/* The event-log group, run from test_window_funnel. */
void
test_event_log(void)
{
	test_varints();
	test_records();
	test_states();
	test_merge();
}
