/*
 * calendar.h
 *		Business-day arithmetic in pure C99: "3 business days after Friday",
 *		with weekend days, listed holidays and listed make-up working days.
 *
 * Days are integers counted from any fixed origin (the glue uses
 * PostgreSQL's DateADT, days since 2000-01-01); the caller says which ISO
 * weekday (1 = Monday .. 7 = Sunday) day 0 is.  A day is a business day
 * when it is listed as a working day, else when it is not listed as a
 * holiday and its weekday is not a weekend day.  The holiday and working-
 * day lists are owned by the caller, sorted ascending, without duplicates;
 * nothing here allocates or keeps global state.
 */
#ifndef CRM_CALENDAR_H
#define CRM_CALENDAR_H

#include <stdint.h>

typedef enum bcal_status
{
	BCAL_OK = 0,
	BCAL_BAD_CALENDAR,			/* weekday out of 1..7, lists not sorted */
	BCAL_NO_BUSINESS_DAYS,		/* the result would need more business days
								 * than the calendar has */
	BCAL_RANGE					/* the result is outside the caller's range */
} bcal_status;

typedef struct bcal
{
	unsigned	weekend;		/* bit d set (d = 1..7, ISO): weekday d is off */
	int			day0_isodow;	/* ISO weekday of day 0 */
	const int32_t *holidays;	/* days off, sorted ascending */
	int			nholidays;
	const int32_t *workdays;	/* days on despite the weekend, sorted */
	int			nworkdays;
} bcal;

extern bcal_status bcal_check(const bcal *cal);
extern int	bcal_isodow(const bcal *cal, int64_t day);
extern int	bcal_is_business_day(const bcal *cal, int64_t day);
extern int64_t bcal_count(const bcal *cal, int64_t a, int64_t b);
extern bcal_status bcal_add(const bcal *cal, int64_t start, int64_t n,
							int64_t min_day, int64_t max_day, int64_t *out);

#endif							/* CRM_CALENDAR_H */
