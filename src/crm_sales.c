/*
 * crm_sales.c
 *		The module's entry points: PG_MODULE_MAGIC and _PG_init, which defines
 *		every crm_sales.* setting and registers the one relcache callback,
 *		which hands each invalidation to every area's config cache.  Areas
 *		export init and invalidation functions (declared in crm_sales.h); no
 *		area calls into another to be initialised.
 */
#include "postgres.h"

#include "fmgr.h"
#include "utils/guc.h"
#include "utils/inval.h"

#include "crm_sales.h"

PG_MODULE_MAGIC;

void		_PG_init(void);

/*
 * The module's one relcache callback.  A backend has room for only ten
 * (MAX_RELCACHE_CALLBACKS, PostgreSQL's utils/cache/inval.c), shared with
 * every other library loaded (Citus registers several), so the areas'
 * config caches share this one instead of taking a slot each.
 */
static void
crm_relcache_dispatch(Datum arg, Oid relid)
{
	crm_model_relcache(relid);
	crm_lead_score_relcache(relid);
	crm_currency_relcache(relid);
	crm_automation_relcache(relid);
}

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
	CacheRegisterRelcacheCallback(crm_relcache_dispatch, (Datum) 0);
	crm_window_funnel_init();
	crm_automation_init();
	crm_stage_timeline_init();
#if PG_VERSION_NUM >= 150000
	MarkGUCPrefixReserved("crm_sales");
#else
	EmitWarningsOnPlaceholders("crm_sales");
#endif
}
