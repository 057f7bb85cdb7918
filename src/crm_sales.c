/*
 * crm_sales.c
 *		The module's entry points: PG_MODULE_MAGIC and _PG_init, which defines
 *		every crm_sales.* setting and registers the cache callbacks of each
 *		area.  Areas export an init function (declared in crm_sales.h); no
 *		area calls into another to be initialised.
 */
#include "postgres.h"

#include "fmgr.h"
#include "utils/guc.h"

#include "crm_sales.h"

PG_MODULE_MAGIC;

void		_PG_init(void);

/*
 * Module load: settings and cache callbacks.  The "crm_sales" prefix is
 * reserved last: reserving it removes every crm_sales.* placeholder not yet
 * defined, so a value set before the library loaded (SET, ALTER ROLE/DATABASE
 * SET, postgresql.conf) would be dropped for settings defined after it.
 */
void
_PG_init(void)
{
	crm_enforce_init();
	crm_cache_init();
	crm_window_funnel_init();
	crm_currency_init();
#if PG_VERSION_NUM >= 150000
	MarkGUCPrefixReserved("crm_sales");
#else
	EmitWarningsOnPlaceholders("crm_sales");
#endif
}
