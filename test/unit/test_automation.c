/*
 * test_automation.c
 *		Unit tests of src/core/automation: the business calendar, title
 *		templates and the email_engagement state.
 *
 * References: calendar dates are worked out by hand from a wall calendar
 * (2026-06-05 is a Friday) and, for many random calendars, checked against
 * a naive day-by-day walk written here independently of calendar.c; day
 * numbers come from days_from_civil() below (Howard Hinnant's civil-date
 * algorithm), not from the code under test.  Engagement scores are
 * computed by hand from the definition sum w * 2^(-(t - at) / h).
 */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>

#include "automation/calendar.h"
#include "automation/engagement.h"
#include "automation/template.h"
#include "unit.h"

/* Days from 2000-01-01 to y-m-d (proleptic Gregorian). */
static int64_t
days_from_civil(int y, int m, int d)
{
	int64_t		era,
				yoe,
				doy,
				doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = y - era * 400;
	doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	/* 719468 = days from 0000-03-01 to 1970-01-01; 10957 from 1970 to 2000 */
	return era * 146097 + doe - 719468 - 10957;
}

/* Mon-Fri calendar with optional lists; day 0 = 2000-01-01, a Saturday. */
static bcal
week_cal(const int32_t *hol, int nhol, const int32_t *work, int nwork)
{
	bcal		c;

	c.weekend = (1u << 6) | (1u << 7);
	c.day0_isodow = 6;
	c.holidays = hol;
	c.nholidays = nhol;
	c.workdays = work;
	c.nworkdays = nwork;
	return c;
}

/* The naive reference: walk day by day. */
static int
naive_business(const bcal *c, int64_t d)
{
	int			i;

	for (i = 0; i < c->nworkdays; i++)
		if (c->workdays[i] == d)
			return 1;
	for (i = 0; i < c->nholidays; i++)
		if (c->holidays[i] == d)
			return 0;
	return !((c->weekend >> bcal_isodow(c, d)) & 1u);
}

static int64_t
naive_add(const bcal *c, int64_t start, int64_t n)
{
	int64_t		d = start;
	int64_t		left = n < 0 ? -n : n;

	while (left > 0)
	{
		d += n > 0 ? 1 : -1;
		if (naive_business(c, d))
			left--;
	}
	return d;
}

static int64_t
naive_count(const bcal *c, int64_t a, int64_t b)
{
	int64_t		n = 0,
				d;

	if (a > b)
		return -naive_count(c, b, a);
	for (d = a + 1; d <= b; d++)
		n += naive_business(c, d);
	return n;
}

static int
cmp_i32(const void *a, const void *b)
{
	int32_t		x = *(const int32_t *) a,
				y = *(const int32_t *) b;

	return (x > y) - (x < y);
}

static void
test_calendar(void)
{
	int64_t		fri = days_from_civil(2026, 6, 5);
	int64_t		out;
	bcal		c = week_cal(NULL, 0, NULL, 0);
	int32_t		hol[1],
				work[1],
				both[1];
	int			round;

	CHECK("civil 2000-01-01", days_from_civil(2000, 1, 1) == 0);
	CHECK("civil 2026-06-05", fri == 9652);
	CHECK("Friday is ISO 5", bcal_isodow(&c, fri) == 5);
	CHECK("day -1 is a Friday", bcal_isodow(&c, -1) == 5);
	CHECK("day -7 is a Saturday", bcal_isodow(&c, -7) == 6);

	/* Friday + 3 business days = Wednesday 2026-06-10 */
	CHECK("fri + 3", bcal_add(&c, fri, 3, -100000, 100000, &out) == BCAL_OK &&
		  out == days_from_civil(2026, 6, 10));
	/* Wednesday - 3 = the Friday before */
	CHECK("wed - 3", bcal_add(&c, fri + 5, -3, -100000, 100000, &out) == BCAL_OK &&
		  out == fri);
	/* Saturday + 1 = Monday; Sunday - 1 = Friday */
	CHECK("sat + 1", bcal_add(&c, fri + 1, 1, -100000, 100000, &out) == BCAL_OK &&
		  out == fri + 3);
	CHECK("sun - 1", bcal_add(&c, fri + 2, -1, -100000, 100000, &out) == BCAL_OK &&
		  out == fri);
	/* + 0 keeps the day, even a Saturday */
	CHECK("sat + 0", bcal_add(&c, fri + 1, 0, -100000, 100000, &out) == BCAL_OK &&
		  out == fri + 1);
	/* 2600 business days after a Monday: 520 whole weeks, a Monday again */
	CHECK("mon + 2600", bcal_add(&c, fri + 3, 2600, -100000, 100000, &out) == BCAL_OK &&
		  out == fri + 3 + 7 * 520);
	CHECK("mon - 2600", bcal_add(&c, fri + 3, -2600, -100000, 100000, &out) == BCAL_OK &&
		  out == fri + 3 - 7 * 520);

	/* Monday 2026-06-08 a holiday: Friday + 3 = Thursday 2026-06-11 */
	hol[0] = (int32_t) days_from_civil(2026, 6, 8);
	c = week_cal(hol, 1, NULL, 0);
	CHECK("fri + 3 over a holiday", bcal_add(&c, fri, 3, -100000, 100000, &out) == BCAL_OK &&
		  out == days_from_civil(2026, 6, 11));
	CHECK("holiday is off", !bcal_is_business_day(&c, hol[0]));
	CHECK("count fri..thu", bcal_count(&c, fri, fri + 6) == 3);
	CHECK("count backwards", bcal_count(&c, fri + 6, fri) == -3);

	/* Saturday 2026-06-06 a make-up working day (调休): Friday + 3 = Tuesday */
	work[0] = (int32_t) (fri + 1);
	c = week_cal(NULL, 0, work, 1);
	CHECK("fri + 3 over a working Saturday",
		  bcal_add(&c, fri, 3, -100000, 100000, &out) == BCAL_OK &&
		  out == days_from_civil(2026, 6, 9));
	CHECK("working saturday is on", bcal_is_business_day(&c, fri + 1));

	/* a day both off and on is a broken calendar */
	both[0] = (int32_t) fri;
	c = week_cal(both, 1, both, 1);
	CHECK("holiday and workday", bcal_check(&c) == BCAL_BAD_CALENDAR &&
		  bcal_add(&c, fri, 1, -100000, 100000, &out) == BCAL_BAD_CALENDAR);
	{
		int32_t		unsorted[2] = {5, 3};

		c = week_cal(unsorted, 2, NULL, 0);
		CHECK("unsorted holidays", bcal_check(&c) == BCAL_BAD_CALENDAR);
	}
	c = week_cal(NULL, 0, NULL, 0);
	c.day0_isodow = 8;
	CHECK("weekday 8", bcal_check(&c) == BCAL_BAD_CALENDAR);
	c = week_cal(NULL, 0, NULL, 0);
	c.weekend |= 1u;
	CHECK("weekend bit 0", bcal_check(&c) == BCAL_BAD_CALENDAR);

	/* every day a weekend day: only listed working days count */
	c = week_cal(NULL, 0, work, 1);
	c.weekend = 0xFEu;
	CHECK("all weekend, one workday", bcal_add(&c, fri, 1, -100000, 100000, &out) == BCAL_OK &&
		  out == fri + 1);
	CHECK("all weekend, two needed",
		  bcal_add(&c, fri, 2, -100000, 100000, &out) == BCAL_NO_BUSINESS_DAYS);
	CHECK("all weekend, before", bcal_add(&c, fri + 5, -1, -100000, 100000, &out) == BCAL_OK &&
		  out == fri + 1);
	CHECK("all weekend, none before",
		  bcal_add(&c, fri + 1, -1, -100000, 100000, &out) == BCAL_NO_BUSINESS_DAYS);

	/* range */
	c = week_cal(NULL, 0, NULL, 0);
	CHECK("past max", bcal_add(&c, fri, 10, -100000, fri + 5, &out) == BCAL_RANGE);
	CHECK("up to max", bcal_add(&c, fri, 3, -100000, fri + 5, &out) == BCAL_OK &&
		  out == fri + 5);
	CHECK("before min", bcal_add(&c, fri, -10, fri - 5, 100000, &out) == BCAL_RANGE);
	CHECK("huge n", bcal_add(&c, fri, (int64_t) 1 << 50, INT32_MIN, INT32_MAX, &out) == BCAL_RANGE);
	CHECK("int32 span", bcal_add(&c, 0, 1000000000, INT32_MIN, INT32_MAX, &out) == BCAL_OK &&
		  bcal_count(&c, 0, out) == 1000000000 && bcal_is_business_day(&c, out));

	/* random calendars against the naive walk */
	srand(20260605);
	for (round = 0; round < 300; round++)
	{
		int32_t		h[40],
					w[40];
		int			nh = 0,
					nw = 0,
					i,
					trial;
		bcal		r;

		r.day0_isodow = 6;
		r.weekend = (unsigned) (rand() % 128) << 1;
		if (r.weekend == 0xFEu)
			r.weekend = 0;
		for (i = 0; i < 40; i++)
		{
			int32_t		d = (int32_t) (rand() % 400) - 200;

			if (rand() % 2)
				h[nh++] = d;
			else
				w[nw++] = d;
		}
		qsort(h, nh, sizeof(int32_t), cmp_i32);
		qsort(w, nw, sizeof(int32_t), cmp_i32);
		/* unique, and a day in both lists stays a working day only */
		{
			int			a = 0,
						j;

			for (j = 0; j < nh; j++)
			{
				int			k,
							dup = (a > 0 && h[a - 1] == h[j]);

				for (k = 0; k < nw && !dup; k++)
					dup = (w[k] == h[j]);
				if (!dup)
					h[a++] = h[j];
			}
			nh = a;
			a = 0;
			for (j = 0; j < nw; j++)
				if (a == 0 || w[a - 1] != w[j])
					w[a++] = w[j];
			nw = a;
		}
		r.holidays = h;
		r.nholidays = nh;
		r.workdays = w;
		r.nworkdays = nw;
		CHECK("random calendar valid", bcal_check(&r) == BCAL_OK);
		for (trial = 0; trial < 20; trial++)
		{
			int64_t		start = rand() % 300 - 150;
			int64_t		n = rand() % 61 - 30;
			int64_t		b = rand() % 300 - 150;

			CHECK("random count", bcal_count(&r, start, b) == naive_count(&r, start, b));
			if (bcal_add(&r, start, n, -100000, 100000, &out) != BCAL_OK)
			{
				CHECK("random add ok", 0);
				continue;
			}
			if (out != naive_add(&r, start, n))
				printf("  calendar weekend %x start %lld n %lld: got %lld want %lld\n",
					   r.weekend, (long long) start, (long long) n, (long long) out,
					   (long long) naive_add(&r, start, n));
			CHECK("random add", out == naive_add(&r, start, n));
		}
	}
}

static void
test_template(void)
{
	tpl_segment segs[16];
	int			n;
	size_t		pos;
	const char *t1 = "Follow up on {name} ({amount})";
	const char *t2 = "{{literal}} {x}}}";

	CHECK("parse t1", tpl_parse(t1, strlen(t1), segs, 16, &n, &pos) == TPL_OK && n == 5);
	CHECK("t1 seg0", !segs[0].is_column && segs[0].off == 0 && segs[0].len == 13);
	CHECK("t1 seg1", segs[1].is_column && segs[1].off == 14 && segs[1].len == 4);
	CHECK("t1 seg2", !segs[2].is_column && segs[2].len == 2);
	CHECK("t1 seg3", segs[3].is_column && strncmp(t1 + segs[3].off, "amount", 6) == 0);
	CHECK("t1 seg4", !segs[4].is_column && segs[4].len == 1 && t1[segs[4].off] == ')');
	/* "{{literal}} {x}}}" = "{" "literal" "}" " " {x} "}" */
	CHECK("parse t2", tpl_parse(t2, strlen(t2), segs, 16, &n, &pos) == TPL_OK && n == 6);
	CHECK("t2 brace", !segs[0].is_column && segs[0].len == 1 && t2[segs[0].off] == '{');
	CHECK("t2 column", segs[4].is_column && segs[4].len == 1 && t2[segs[4].off] == 'x');
	CHECK("t2 close", !segs[5].is_column && t2[segs[5].off] == '}');
	CHECK("empty", tpl_parse("", 0, segs, 16, &n, &pos) == TPL_OK && n == 0);
	CHECK("unclosed", tpl_parse("a {b", 4, segs, 16, &n, &pos) == TPL_UNCLOSED && pos == 2);
	CHECK("nested", tpl_parse("{a{b}}", 6, segs, 16, &n, &pos) == TPL_UNCLOSED && pos == 0);
	CHECK("stray", tpl_parse("a } b", 5, segs, 16, &n, &pos) == TPL_STRAY_CLOSE && pos == 2);
	CHECK("empty name", tpl_parse("{}", 2, segs, 16, &n, &pos) == TPL_EMPTY_NAME);
	{
		char		longname[80];

		memset(longname, 'x', sizeof(longname));
		longname[0] = '{';
		longname[65] = '}';
		CHECK("64-byte name", tpl_parse(longname, 66, segs, 16, &n, &pos) == TPL_NAME_TOO_LONG);
		longname[64] = '}';
		CHECK("63-byte name", tpl_parse(longname, 65, segs, 16, &n, &pos) == TPL_OK &&
			  n == 1 && segs[0].len == 63);
	}
	CHECK("too many", tpl_parse("{a}{b}{c}", 9, segs, 2, &n, &pos) == TPL_TOO_MANY);
	CHECK("spaces kept", tpl_parse("{ a b }", 7, segs, 16, &n, &pos) == TPL_OK &&
		  n == 1 && segs[0].len == 5);
}

#define DAY ((int64_t) 86400000000)

static void
test_engagement(void)
{
	eng_state	a,
				b,
				m;
	double		score;
	char		buf[ENG_TEXT_MAX];
	size_t		pos;
	eng_rates	r;

	CHECK("kind name", eng_kind_from_name("clicked", 7) == ENG_CLICKED);
	CHECK("kind unknown", eng_kind_from_name("click", 5) == -1);

	/*
	 * One contact, half-life 1 day, as of day 3: sent and delivered at day
	 * 0, opened at day 1, clicked at day 2, opened again at day 4 (after
	 * as_of: skipped).  Score at day 3 = 1 * 2^-2 + 3 * 2^-1 = 1.75.
	 */
	eng_init(&a, DAY, 1, 3 * DAY);
	CHECK("add sent", eng_add(&a, ENG_SENT, 0) == ENG_OK);
	CHECK("add delivered", eng_add(&a, ENG_DELIVERED, 0) == ENG_OK);
	CHECK("add clicked", eng_add(&a, ENG_CLICKED, 2 * DAY) == ENG_OK);
	CHECK("add opened (out of order)", eng_add(&a, ENG_OPENED, DAY) == ENG_OK);
	CHECK("after as_of", eng_add(&a, ENG_OPENED, 4 * DAY) == ENG_SKIPPED);
	CHECK("one recipient", a.recipients == 1 && a.unique[ENG_OPENED] == 1 &&
		  a.unique[ENG_CLICKED] == 1 && a.unique[ENG_BOUNCED] == 0);
	CHECK("score", eng_score_at(&a, 3 * DAY, &score) == ENG_OK && fabs(score - 1.75) < 1e-12);
	CHECK("times", a.first_at == 0 && a.last_at == 2 * DAY);
	CHECK("check a", eng_check(&a) == ENG_OK);

	/* the same rows split in two partial states and combined */
	eng_init(&b, DAY, 1, 3 * DAY);
	eng_init(&m, DAY, 1, 3 * DAY);
	eng_add(&b, ENG_SENT, 0);
	eng_add(&b, ENG_CLICKED, 2 * DAY);
	eng_add(&m, ENG_DELIVERED, 0);
	eng_add(&m, ENG_OPENED, DAY);
	CHECK("combine", eng_combine(&b, &m) == ENG_OK);
	CHECK("combined counts", memcmp(b.n, a.n, sizeof(a.n)) == 0 && b.recipients == 1 &&
		  memcmp(b.unique, a.unique, sizeof(a.unique)) == 0);
	CHECK("combined score", eng_score_at(&b, 3 * DAY, &score) == ENG_OK &&
		  fabs(score - 1.75) < 1e-12);

	/*
	 * A second contact: sent at day 0, bounced at day 0 (not delivered),
	 * score -1 * 2^-3 = -0.125 at day 3.  Merged: 2 recipients, 1 opened,
	 * delivered 1 -> open rate 1, bounce rate 1/2, score 1.625.
	 */
	eng_init(&m, DAY, 1, 3 * DAY);
	eng_add(&m, ENG_SENT, 0);
	eng_add(&m, ENG_BOUNCED, 0);
	CHECK("bounced not delivered", m.unique[ENG_DELIVERED] == 0);
	b = a;
	CHECK("merge", eng_merge(&b, &m) == ENG_OK);
	CHECK("merged recipients", b.recipients == 2 && b.unique[ENG_SENT] == 2 &&
		  b.unique[ENG_DELIVERED] == 1 && b.unique[ENG_OPENED] == 1);
	CHECK("merged score", eng_score_at(&b, 3 * DAY, &score) == ENG_OK &&
		  fabs(score - 1.625) < 1e-12);
	eng_get_rates(&b, &r);
	CHECK("open rate", r.open_rate == 1.0 && r.bounce_rate == 0.5 &&
		  r.click_to_open == 1.0 && r.unsubscribe_rate == 0.0);
	CHECK("combine refuses 2 recipients", eng_combine(&b, &a) == ENG_NOT_ONE);
	CHECK("add refuses 2 recipients", eng_add(&b, ENG_OPENED, 0) == ENG_NOT_ONE);
	eng_init(&m, 2 * DAY, 1, 3 * DAY);
	CHECK("half-life mismatch", eng_merge(&b, &m) == ENG_MISMATCH);
	eng_init(&m, DAY, 0, 0);
	CHECK("as_of mismatch", eng_merge(&b, &m) == ENG_MISMATCH);

	/* no delivery events: delivered = more sends than bounces */
	eng_init(&m, DAY, 0, 0);
	eng_add(&m, ENG_SENT, 0);
	CHECK("sent only counts as delivered", m.unique[ENG_DELIVERED] == 1);
	eng_get_rates(&m, &r);
	CHECK("rates of no opens", r.open_rate == 0.0 && isnan(r.click_to_open));

	/* empty state */
	eng_init(&m, DAY, 0, 0);
	CHECK("empty check", eng_check(&m) == ENG_OK && eng_score_at(&m, 0, &score) == ENG_OK &&
		  score == 0.0);
	eng_get_rates(&m, &r);
	CHECK("empty rates NaN", isnan(r.open_rate) && isnan(r.bounce_rate));

	/* text round trip */
	eng_format(&b, buf, sizeof(buf));
	CHECK_STR("text", buf,
			  "v1;hl=86400000000;as_of=259200000000;n=2,1,1,1,1,0;r=2;u=2,1,1,1,1,0;"
			  "first=0;last=172800000000;score=3.25");
	CHECK("parse", eng_parse(buf, strlen(buf), &m, &pos) == ENG_OK &&
		  memcmp(&m, &b, sizeof(m)) == 0);
	eng_format(&a, buf, sizeof(buf));
	CHECK("parse a", eng_parse(buf, strlen(buf), &m, &pos) == ENG_OK &&
		  memcmp(&m, &a, sizeof(m)) == 0);
	eng_init(&m, DAY, 0, 0);
	eng_format(&m, buf, sizeof(buf));
	CHECK_STR("empty text", buf,
			  "v1;hl=86400000000;as_of=none;n=0,0,0,0,0,0;r=0;u=0,0,0,0,0,0;"
			  "first=none;last=none;score=0");
	/* malformed and impossible texts */
	{
		static const char *const bad_syntax[] = {
			"", "v1", "v1;hl=1;as_of=none;n=0,0,0,0,0;r=0;u=0,0,0,0,0,0;first=none;last=none;score=0",
			"v1;hl=1;as_of=none;n=0,0,0,0,0,0;r=0;u=0,0,0,0,0,0;first=none;last=none;score=0 ",
			"v1;hl=1;as_of=none;n=0,0,0,0,0,0;r=0;u=0,0,0,0,0,0;first=none;last=none;score=nan",
			"v1;hl=1;as_of=none;n=0,0,0,0,0,0;r=0;u=0,0,0,0,0,0;first=none;last=none;score=1e999",
			"v1;hl=99999999999999999999;as_of=none;n=0,0,0,0,0,0;r=0;u=0,0,0,0,0,0;first=none;last=none;score=0",
			"v1;hl= 1;as_of=none;n=0,0,0,0,0,0;r=0;u=0,0,0,0,0,0;first=none;last=none;score=0",
		};
		static const char *const bad_values[] = {
			"v2;hl=1;as_of=none;n=0,0,0,0,0,0;r=0;u=0,0,0,0,0,0;first=none;last=none;score=0",
			"v1;hl=0;as_of=none;n=0,0,0,0,0,0;r=0;u=0,0,0,0,0,0;first=none;last=none;score=0",
			"v1;hl=1;as_of=none;n=-1,0,0,0,0,0;r=0;u=0,0,0,0,0,0;first=none;last=none;score=0",
			"v1;hl=1;as_of=none;n=1,0,0,0,0,0;r=2;u=1,0,0,0,0,0;first=0;last=0;score=0",
			"v1;hl=1;as_of=none;n=1,0,0,0,0,0;r=1;u=1,0,1,0,0,0;first=0;last=0;score=0",
			"v1;hl=1;as_of=none;n=1,0,0,0,0,0;r=1;u=1,0,0,0,0,0;first=none;last=none;score=0",
			"v1;hl=1;as_of=none;n=0,0,1,0,0,0;r=1;u=0,0,1,0,0,0;first=5;last=4;score=1",
			"v1;hl=1;as_of=3;n=0,0,1,0,0,0;r=1;u=0,0,1,0,0,0;first=4;last=4;score=1",
			"v1;hl=1;as_of=none;n=0,0,1,0,0,0;r=1;u=0,0,1,0,0,0;first=4;last=4;score=6",
			"v1;hl=1;as_of=none;n=0,0,0,0,0,0;r=0;u=0,0,0,0,0,0;first=none;last=none;score=1",
			"v1;hl=1;as_of=none;n=9223372036854775807,1,0,0,0,0;r=1;u=1,1,0,0,0,0;first=0;last=0;score=0",
		};
		size_t		i;

		for (i = 0; i < sizeof(bad_syntax) / sizeof(bad_syntax[0]); i++)
			CHECK("bad syntax", eng_parse(bad_syntax[i], strlen(bad_syntax[i]), &m, &pos) == ENG_SYNTAX);
		for (i = 0; i < sizeof(bad_values) / sizeof(bad_values[0]); i++)
		{
			eng_status	st = eng_parse(bad_values[i], strlen(bad_values[i]), &m, &pos);

			if (st != ENG_INVALID)
				printf("  bad value %zu parsed with status %d\n", i, (int) st);
			CHECK("bad values", st == ENG_INVALID);
		}
	}

	/* a very old event underflows to 0, never to NaN */
	eng_init(&m, DAY, 0, 0);
	eng_add(&m, ENG_OPENED, 0);
	eng_add(&m, ENG_OPENED, 100000 * DAY);
	CHECK("old event decayed away", fabs(m.score - 1.0) < 1e-12 && m.n[ENG_OPENED] == 2);
	CHECK("far future read", eng_score_at(&m, INT64_MAX, &score) == ENG_OK && score == 0.0);
	CHECK("far past read overflows", eng_score_at(&m, INT64_MIN, &score) == ENG_RANGE);
}

void
test_automation(void)
{
	test_calendar();
	test_template();
	test_engagement();
}
