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

	/* time series */
	test_holtwinters();
	test_ets();
	test_accuracy();

	/* regression */

	/* segmentation */

	/* lifetime value */

	printf("unit: %d passed, %d failed\n", unit_passed, unit_failed);
	return unit_failed == 0 ? 0 : 1;
}
