/*
 * calendar.c
 *		Business-day arithmetic (see calendar.h).
 *
 * Counting is closed-form over whole weeks, corrected by the listed days
 * inside the range; adding n business days is a binary search for the
 * first day whose count reaches n, so the cost is logarithmic in n (times
 * the listed days in range), whatever n is.
 */
#include "automation/calendar.h"

#include <stddef.h>

/* |n| larger than this is refused: no calendar spans it, and it keeps the
 * search bounds far from int64 overflow */
#define BCAL_MAX_STEP ((int64_t) 1 << 40)

/* x mod 7 in 0..6, also for negative x */
static int
mod7(int64_t x)
{
	int			r = (int) (x % 7);

	return r < 0 ? r + 7 : r;
}

/* ISO weekday (1 = Monday .. 7 = Sunday) of a day. */
int
bcal_isodow(const bcal *cal, int64_t day)
{
	return mod7((int64_t) (cal->day0_isodow - 1) + mod7(day)) + 1;
}

/* Is the weekday of this day a weekend day? */
static int
on_weekend(const bcal *cal, int64_t day)
{
	return (cal->weekend >> bcal_isodow(cal, day)) & 1u;
}

/* Position of the first element > key in a sorted list (upper bound). */
static int
upper_bound(const int32_t *list, int n, int64_t key)
{
	int			lo = 0,
				hi = n;

	while (lo < hi)
	{
		int			mid = lo + (hi - lo) / 2;

		if ((int64_t) list[mid] <= key)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/* Is key in the sorted list? */
static int
listed(const int32_t *list, int n, int64_t key)
{
	int			i = upper_bound(list, n, key);

	return i > 0 && (int64_t) list[i - 1] == key;
}

/* A strictly ascending list? */
static int
sorted_unique(const int32_t *list, int n)
{
	int			i;

	if (n < 0 || (n > 0 && list == NULL))
		return 0;
	for (i = 1; i < n; i++)
		if (list[i] <= list[i - 1])
			return 0;
	return 1;
}

/*
 * Check a calendar: weekday of day 0 in 1..7, weekend bits only for 1..7,
 * both lists strictly ascending, and no day listed as both a holiday and a
 * working day.
 */
bcal_status
bcal_check(const bcal *cal)
{
	int			i = 0,
				j = 0;

	if (cal->day0_isodow < 1 || cal->day0_isodow > 7 ||
		(cal->weekend & ~0xFEu) != 0 ||
		!sorted_unique(cal->holidays, cal->nholidays) ||
		!sorted_unique(cal->workdays, cal->nworkdays))
		return BCAL_BAD_CALENDAR;
	while (i < cal->nholidays && j < cal->nworkdays)
	{
		if (cal->holidays[i] == cal->workdays[j])
			return BCAL_BAD_CALENDAR;
		if (cal->holidays[i] < cal->workdays[j])
			i++;
		else
			j++;
	}
	return BCAL_OK;
}

/* Is this day a business day of the calendar? */
int
bcal_is_business_day(const bcal *cal, int64_t day)
{
	if (listed(cal->workdays, cal->nworkdays, day))
		return 1;
	if (listed(cal->holidays, cal->nholidays, day))
		return 0;
	return !on_weekend(cal, day);
}

/* Number of ISO weekdays that are not weekend days. */
static int
week_business_days(const bcal *cal)
{
	int			d,
				k = 0;

	for (d = 1; d <= 7; d++)
		if (!((cal->weekend >> d) & 1u))
			k++;
	return k;
}

/* Business days in (a, b], a <= b. */
static int64_t
count_forward(const bcal *cal, int64_t a, int64_t b)
{
	int64_t		span = b - a;
	int64_t		weeks = span / 7;
	int64_t		n = weeks * week_business_days(cal);
	int64_t		d;
	int			i;

	/* the days after the whole weeks */
	for (d = a + weeks * 7 + 1; d <= b; d++)
		if (!on_weekend(cal, d))
			n++;
	/* holidays on weekdays take a day away ... */
	for (i = upper_bound(cal->holidays, cal->nholidays, a);
		 i < cal->nholidays && (int64_t) cal->holidays[i] <= b; i++)
		if (!on_weekend(cal, cal->holidays[i]))
			n--;
	/* ... working days on weekend days add one */
	for (i = upper_bound(cal->workdays, cal->nworkdays, a);
		 i < cal->nworkdays && (int64_t) cal->workdays[i] <= b; i++)
		if (on_weekend(cal, cal->workdays[i]))
			n++;
	return n;
}

/*
 * Business days in (a, b] when a <= b; minus the business days in (b, a]
 * when a > b.
 */
int64_t
bcal_count(const bcal *cal, int64_t a, int64_t b)
{
	return a <= b ? count_forward(cal, a, b) : -count_forward(cal, b, a);
}

/*
 * The day n business days after start (n > 0: the n-th business day after
 * it), before it (n < 0: the |n|-th business day before it), or start itself
 * (n = 0).  The result must lie in [min_day, max_day].
 */
bcal_status
bcal_add(const bcal *cal, int64_t start, int64_t n,
		 int64_t min_day, int64_t max_day, int64_t *out)
{
	int			k = week_business_days(cal);
	int64_t		m = n < 0 ? -n : n;
	int64_t		lo,
				hi;

	if (bcal_check(cal) != BCAL_OK)
		return BCAL_BAD_CALENDAR;
	if (n == 0)
	{
		if (start < min_day || start > max_day)
			return BCAL_RANGE;
		*out = start;
		return BCAL_OK;
	}
	if (m > BCAL_MAX_STEP || start < min_day - 1 || start > max_day + 1)
		return BCAL_RANGE;

	if (k == 0)
	{
		/* only the listed working days are business days */
		int			i = upper_bound(cal->workdays, cal->nworkdays,
									n > 0 ? start : start - 1);
		int64_t		idx = n > 0 ? i + m - 1 : i - m;

		if (idx < 0 || idx >= cal->nworkdays)
			return BCAL_NO_BUSINESS_DAYS;
		*out = cal->workdays[idx];
		return (*out < min_day || *out > max_day) ? BCAL_RANGE : BCAL_OK;
	}

	if (n > 0)
	{
		/* enough whole weeks to hold m business days despite every holiday */
		hi = start + 7 * ((m + cal->nholidays) / k + 2);
		if (hi > max_day)
		{
			hi = max_day;
			if (hi <= start || count_forward(cal, start, hi) < m)
				return BCAL_RANGE;
		}
		/* count(start, lo) < m <= count(start, hi) */
		lo = start;
		while (hi - lo > 1)
		{
			int64_t		mid = lo + (hi - lo) / 2;

			if (count_forward(cal, start, mid) >= m)
				hi = mid;
			else
				lo = mid;
		}
		*out = hi;
		return BCAL_OK;
	}

	/* business days in [e, start) = count(e - 1, start - 1) */
	lo = start - 7 * ((m + cal->nholidays) / k + 2);
	if (lo < min_day)
	{
		lo = min_day;
		if (lo >= start || count_forward(cal, lo - 1, start - 1) < m)
			return BCAL_RANGE;
	}
	/* count(lo - 1, start - 1) >= m > count(hi - 1, start - 1) */
	hi = start;
	while (hi - lo > 1)
	{
		int64_t		mid = lo + (hi - lo) / 2;

		if (count_forward(cal, mid - 1, start - 1) >= m)
			lo = mid;
		else
			hi = mid;
	}
	*out = lo;
	return BCAL_OK;
}
