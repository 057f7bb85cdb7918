/*
 * test_main.c
 *		Runs every unit test group of src/core and prints one summary line.
 */
#include "unit.h"

int			unit_passed = 0;
int			unit_failed = 0;

int
main(void)
{
	test_transition_matrix();
	/* funnel */
	test_decimal128();
	test_funnel_hist();

	/* event-log funnel groups */
	test_window_funnel();

	/* time series */
	test_holtwinters();
	test_ets();
	test_accuracy();

	/* regression */
	test_ols();

	/* segmentation */
	test_rfm();
	test_kmeans();

	/* lifetime value */
	test_clv();

	/* sales performance */
	test_performance();

	printf("unit: %d passed, %d failed\n", unit_passed, unit_failed);
	return unit_failed == 0 ? 0 : 1;
}
