/*
 * unit.h
 *		A minimal harness for the unit tests of src/core (no server needed).
 */
#ifndef CRM_UNIT_H
#define CRM_UNIT_H

#include <stdio.h>
#include <string.h>

extern int	unit_passed;
extern int	unit_failed;

/* Record one check; print the failing ones with their location. */
#define CHECK(name, cond) \
	do { \
		if (cond) \
			unit_passed++; \
		else \
		{ \
			unit_failed++; \
			printf("FAIL %s (%s:%d): %s\n", (name), __FILE__, __LINE__, #cond); \
		} \
	} while (0)

#define CHECK_STR(name, got, want) \
	do { \
		if (strcmp((got), (want)) == 0) \
			unit_passed++; \
		else \
		{ \
			unit_failed++; \
			printf("FAIL %s (%s:%d): got \"%s\", want \"%s\"\n", \
				   (name), __FILE__, __LINE__, (got), (want)); \
		} \
	} while (0)

void		test_transition_matrix(void);

/* funnel groups */
void		test_decimal128(void);
void		test_funnel_hist(void);

/* event-log funnel groups */
void		test_window_funnel(void);

/* time-series groups */
void		test_holtwinters(void);
void		test_ets(void);
void		test_accuracy(void);

/* regression groups */
void		test_ols(void);

/* segmentation groups */
void		test_rfm(void);
void		test_kmeans(void);

/* lifetime value groups */
void		test_clv(void);

/* sales performance groups */
void		test_performance(void);

#endif
