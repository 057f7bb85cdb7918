-- The two-step forms docs/scale_out.md recommends where an aggregate's
-- state is unbounded (Citus would gather the rows): the per-entity or
-- per-series step runs on the workers, grouped by the distribution column,
-- and only its small result is combined.  Each result must equal the
-- one-step aggregate over the same rows on a single node.
\set ON_ERROR_STOP on

-- funnel_events over all entities = funnel_agg of each entity's
-- window_funnel level (levels 1..4; entities that never reached step 1
-- count nowhere in either).  Everything runs on the workers: window_funnel
-- per entity, then funnel_agg(integer) as worker_partial_agg.
\set two_step 'SELECT crm_sales.funnel_agg(level) AS f FROM (SELECT entity_id, crm_sales.window_funnel(''2 days'', ts, step = 1, step = 2, step = 3, step = 4) AS level FROM events GROUP BY entity_id) s WHERE level > 0'
SELECT citus_suite.check(
	p LIKE '%Query: SELECT worker_partial_agg(''crm_sales.funnel_agg(integer)''%crm_sales.window_funnel(%GROUP BY events.entity_id%'
	AND p NOT LIKE '%Distributed Subplan%',
	'funnel_events as two steps: window_funnel per entity and funnel_agg of the levels, both on the workers', p)
  FROM citus_suite.plan(:'two_step') AS p;
SELECT citus_suite.check(f::text = (SELECT crm_sales.funnel_events('2 days', entity_id, ts, step)::text FROM events_local),
	'funnel_events as two steps equals funnel_events on a single node', f::text)
  FROM (:two_step) s;
-- the same per region, in strict_increase mode
SELECT citus_suite.check(
	(SELECT array_agg(region || ' ' || f::text ORDER BY region) FROM (
		SELECT region, crm_sales.funnel_agg(level) AS f
		  FROM (SELECT entity_id, region,
					   crm_sales.window_funnel('2 days', 'strict_increase', ts, ARRAY[step = 1, step = 2, step = 3, step = 4]) AS level
				  FROM events GROUP BY entity_id, region) s
		 WHERE level > 0 GROUP BY region) d)
	= (SELECT array_agg(region || ' ' || f::text ORDER BY region) FROM (
		SELECT region, crm_sales.funnel_events('2 days', entity_id, ts, step, 'strict_increase') AS f
		  FROM events_local GROUP BY region) l),
	'funnel_events per region (strict_increase) as two steps equals single node');

-- a Holt-Winters fit of each region's total: the sums per region and month
-- are aggregated on the workers (numeric, so exact in any order), the
-- coordinator fits 4 series of 48 months
\set region_totals 'SELECT region, crm_sales.holt_winters(month, total::float8, 12) AS m FROM (SELECT region, month, sum(value::numeric) AS total FROM series GROUP BY region, month) t GROUP BY region'
SELECT citus_suite.check(
	p LIKE '%Query: SELECT region, month, sum((value)::numeric)%'
	AND p LIKE '%Distributed Subplan%Output: intermediate_result.region, crm_sales.holt_winters((intermediate_result.month)::bigint%',
	'holt_winters of region totals: sums on the workers, the fit on the coordinator', p)
  FROM citus_suite.plan(:'region_totals') AS p;
SELECT citus_suite.check(
	(SELECT array_agg(region || ' ' || m::text ORDER BY region) FROM (:region_totals) d)
	= (SELECT array_agg(region || ' ' || m::text ORDER BY region) FROM (
		SELECT region, crm_sales.holt_winters(month, total::float8, 12) AS m
		  FROM (SELECT region, month, sum(value::numeric) AS total FROM series_local GROUP BY region, month) t
		 GROUP BY region) l),
	'holt_winters of region totals equals single node');

-- deal_stats kept in a rollup (funnels: one deal_stats per account and
-- day, distributed by account): deal_stats_merge of it per region, merged
-- partially on the workers, equals deal_stats over the deals themselves on
-- a single node (compared with deal_stats's own = operator)
SELECT citus_suite.check(
	(SELECT count(*) = 4 AND bool_and(d.s OPERATOR(crm_sales.=) l.s)
	   FROM (SELECT region, crm_sales.deal_stats_merge(ds) AS s FROM funnels GROUP BY region) d
	   JOIN (SELECT region, crm_sales.deal_stats(stage, amount, created_on, closed_on) AS s
			   FROM deals_local GROUP BY region) l USING (region)),
	'deal_stats_merge of a distributed rollup per region equals deal_stats over the rows on a single node');
