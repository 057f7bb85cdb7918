/*
 * rate_lookup.h
 *		Which dated exchange rate is in force on a day, in pure C99.
 *
 * A currency pair's rates are kept sorted by the day they take effect
 * (valid_from, as days since any epoch).  The rate in force on day `at` is
 * the one with the latest valid_from <= at; before the first there is none.
 */
#ifndef CRM_RATE_LOOKUP_H
#define CRM_RATE_LOOKUP_H

#include <stdint.h>

extern int	rate_index(const int32_t *valid_from, int n, int32_t at);

#endif							/* CRM_RATE_LOOKUP_H */
