-- funnel_timing: time to convert per funnel step (docs/funnels.md, "Time to
-- convert").  Expected numbers: the hand-derived example below (each gap
-- worked out in its comment); on 1,200 generated entities the chains and
-- the sketch quantiles / bins computed by
-- test/reference/funnel_timing/gen_timing.py (a search over every chain for
-- the default mode and ties_descending, its own transcription of the scan
-- for strict modes; no code shared with src/), and the exact count, sum,
-- mean, min, max and percentile_disc computed here in plain SQL over the
-- same per-entity gaps.
\set SHOW_CONTEXT never
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS crm_sales;
SET timezone = 'UTC';
-- the + and = operators of crm_sales.funnel_timing
SET search_path = public, crm_sales;

-- ---- a hand-derived example: four deals, steps lead, contact, proposal, won
CREATE TABLE ft_deals (deal int, ts timestamptz, kind text);
INSERT INTO ft_deals VALUES
  -- deal 1: lead 03-01 09:00, contact 03-02 10:00 (+25 h), proposal 03-20
  -- 16:00 (+18 d 6 h), won 04-15, 45 days after the lead: past the 30-day
  -- window, so level 3
  (1, '2026-03-01 09:00', 'lead'), (1, '2026-03-02 10:00', 'contact'),
  (1, '2026-03-20 16:00', 'proposal'), (1, '2026-04-15 11:00', 'won'),
  -- deal 2: lead, then proposal without contact: level 1
  (2, '2026-03-05 09:00', 'lead'), (2, '2026-03-06 09:00', 'proposal'),
  -- deal 3: lead 03-05 09:00, a second lead 03-05 09:30, contact 10:00,
  -- proposal 03-07 09:00, won 03-09 09:00: the chain starts at the later
  -- lead (the latest step 1 before the contact), so lead -> contact 30 min,
  -- contact -> proposal 1 d 23 h, proposal -> won 2 d, lead -> won
  -- 3 d 23 h 30 min
  (3, '2026-03-05 09:00', 'lead'), (3, '2026-03-05 09:30', 'lead'),
  (3, '2026-03-05 10:00', 'contact'), (3, '2026-03-07 09:00', 'proposal'),
  (3, '2026-03-09 09:00', 'won'),
  -- deal 4: lead and contact in one instant (a tie: steps in ascending
  -- order, so contact follows lead, 0 s), then nothing
  (4, '2026-03-10 12:00', 'lead'), (4, '2026-03-10 12:00', 'contact');

CREATE TABLE ft_per_deal AS
SELECT deal, crm_sales.funnel_timing('30 days', ts, kind = 'lead', kind = 'contact',
									 kind = 'proposal', kind = 'won') AS t
  FROM ft_deals GROUP BY deal;
SELECT deal, t FROM ft_per_deal ORDER BY deal;
-- the population: step 2 reached by deals 1, 3, 4 (25 h, 30 min, 0 s:
-- mean 8 h 30 min, median 30 min), step 3 by 1 and 3 (18 d 6 h and
-- 1 d 23 h: mean 10 d 2 h 30 min; from the lead 19 d 7 h and 2 d 0 h 30 min),
-- step 4 by deal 3 only (2 d; from the lead 3 d 23 h 30 min)
SELECT * FROM crm_sales.funnel_timing_steps((SELECT crm_sales.funnel_timing_merge(t) FROM ft_per_deal));
SELECT crm_sales.funnel_timing_merge(t)::jsonb FROM ft_per_deal;
-- bins of the time from lead to contact: [0, 1 h) holds 30 min and 0 s,
-- [1 h, 1 day) none, [1 day, inf) the 25 h
SELECT * FROM crm_sales.funnel_timing_histogram((SELECT crm_sales.funnel_timing_merge(t) FROM ft_per_deal),
												2, ARRAY['1 hour', '1 day']::interval[]);
SELECT crm_sales.funnel_timing_quantile(crm_sales.funnel_timing_merge(t), 3, 0.5),
	   crm_sales.funnel_timing_quantile(crm_sales.funnel_timing_merge(t), 3, 1),
	   crm_sales.funnel_timing_quantile(crm_sales.funnel_timing_merge(t), 4, 0, true)
  FROM ft_per_deal;
-- + is the merge; the merge of one value is that value
SELECT (SELECT t FROM ft_per_deal WHERE deal = 1) + (SELECT t FROM ft_per_deal WHERE deal = 3)
	 = (SELECT crm_sales.funnel_timing_merge(t) FROM ft_per_deal WHERE deal IN (1, 3)) AS plus_is_merge,
	   (SELECT crm_sales.funnel_timing_merge(t) FROM ft_per_deal WHERE deal = 3)
	 = (SELECT t FROM ft_per_deal WHERE deal = 3) AS merge_of_one;
-- the level equals window_funnel's
SELECT p.deal, (SELECT max(step) FILTER (WHERE reached > 0) FROM crm_sales.funnel_timing_steps(p.t)) AS timing_level,
	   w.level AS window_funnel_level
  FROM ft_per_deal p
  JOIN (SELECT deal, crm_sales.window_funnel('30 days', ts, kind = 'lead', kind = 'contact',
											 kind = 'proposal', kind = 'won') AS level
		  FROM ft_deals GROUP BY deal) w USING (deal)
 ORDER BY 1;

-- ---- 1,200 generated entities, six variants, against gen_timing.py
CREATE TABLE ft_events (entity int, ts bigint, c1 int, c2 int, c3 int, c4 int);
\copy ft_events FROM 'test/reference/funnel_timing/events.csv' WITH (FORMAT csv, HEADER)
CREATE TABLE ft_chains (variant text, entity int, level int, prev2 bigint, prev3 bigint,
						first3 bigint, prev4 bigint, first4 bigint);
\copy ft_chains FROM 'test/reference/funnel_timing/chains.csv' WITH (FORMAT csv, HEADER)
CREATE TABLE ft_sketch (variant text, step int, kind text, n bigint, median bigint, p90 bigint,
						bins bigint[], exact boolean[]);
\copy ft_sketch FROM 'test/reference/funnel_timing/sketch.csv' WITH (FORMAT csv, HEADER)
CREATE TABLE ft_variant (variant text, win interval, mode text);
INSERT INTO ft_variant VALUES ('default_7d', '7 days', 'default'), ('default_30d', '30 days', 'default'),
	('desc_7d', '7 days', 'ties_descending'), ('increase_7d', '7 days', 'strict_increase'),
	('order_30d', '30 days', 'strict_order'), ('dedup_30d', '30 days', 'strict_deduplication');
ANALYZE ft_events, ft_chains, ft_sketch;
SELECT count(*) AS rows, count(DISTINCT entity) AS entities,
	   count(*) FILTER (WHERE c1 + c2 + c3 + c4 > 1) AS multi_step_rows,
	   count(*) FILTER (WHERE c1 + c2 + c3 + c4 = 0) AS no_step_rows,
	   count(*) - count(DISTINCT (entity, ts)) AS rows_sharing_a_time
  FROM ft_events;

CREATE TABLE ft_ours AS
SELECT v.variant, e.entity,
	   crm_sales.funnel_timing(v.win, v.mode, timestamptz '2026-01-01 00:00+00' + e.ts * interval '1 microsecond',
							   e.c1 = 1, e.c2 = 1, e.c3 = 1, e.c4 = 1) AS t,
	   crm_sales.window_funnel(v.win, v.mode, timestamptz '2026-01-01 00:00+00' + e.ts * interval '1 microsecond',
							   e.c1 = 1, e.c2 = 1, e.c3 = 1, e.c4 = 1) AS level
  FROM ft_events e CROSS JOIN ft_variant v
 GROUP BY v.variant, e.entity;

-- per entity: level and every gap as the reference says (a one-entity value
-- holds each gap exactly: its mean)
CREATE TABLE ft_ours_gaps AS
SELECT o.variant, o.entity, o.level AS wf_level,
	   (SELECT max(step) FILTER (WHERE reached > 0) FROM crm_sales.funnel_timing_steps(o.t)) AS level,
	   (SELECT mean FROM crm_sales.funnel_timing_steps(o.t) WHERE step = 2) AS prev2,
	   (SELECT mean FROM crm_sales.funnel_timing_steps(o.t) WHERE step = 3) AS prev3,
	   (SELECT mean_from_first FROM crm_sales.funnel_timing_steps(o.t) WHERE step = 3) AS first3,
	   (SELECT mean FROM crm_sales.funnel_timing_steps(o.t) WHERE step = 4) AS prev4,
	   (SELECT mean_from_first FROM crm_sales.funnel_timing_steps(o.t) WHERE step = 4) AS first4
  FROM ft_ours o;
SELECT c.variant, count(*) AS entities,
	   count(*) FILTER (WHERE coalesce(o.level, 0) IS DISTINCT FROM c.level) AS level_mismatches,
	   count(*) FILTER (WHERE o.wf_level IS DISTINCT FROM c.level) AS window_funnel_mismatches,
	   count(*) FILTER (WHERE o.prev2 IS DISTINCT FROM c.prev2 * interval '1 microsecond'
						   OR o.prev3 IS DISTINCT FROM c.prev3 * interval '1 microsecond'
						   OR o.first3 IS DISTINCT FROM c.first3 * interval '1 microsecond'
						   OR o.prev4 IS DISTINCT FROM c.prev4 * interval '1 microsecond'
						   OR o.first4 IS DISTINCT FROM c.first4 * interval '1 microsecond') AS gap_mismatches,
	   count(*) FILTER (WHERE c.prev2 = 0) AS zero_gaps
  FROM ft_chains c JOIN ft_ours_gaps o USING (variant, entity)
 GROUP BY c.variant ORDER BY c.variant;
-- not vacuous: many entities that got past step 1 have several step-1 rows,
-- so which chain is credited matters
SELECT c.variant, count(*) AS past_step_1, count(*) FILTER (WHERE l.leads > 1) AS with_several_leads
  FROM ft_chains c JOIN (SELECT entity, sum(c1) AS leads FROM ft_events GROUP BY entity) l USING (entity)
 WHERE c.level >= 2 GROUP BY 1 ORDER BY 1;

-- the population per variant: exact numbers against plain SQL over the
-- reference gaps; median and p90 against percentile_disc (within 1/256)
-- and, exactly, against the sketch rule computed by gen_timing.py
CREATE TABLE ft_merged AS
SELECT variant, crm_sales.funnel_timing_merge(t) AS t FROM ft_ours GROUP BY variant;
CREATE TABLE ft_ref_gaps AS
SELECT variant, entity, k.step, k.kind, k.gap
  FROM ft_chains,
	   LATERAL (VALUES (2, 'prev', prev2), (3, 'prev', prev3), (3, 'first', first3),
					   (4, 'prev', prev4), (4, 'first', first4)) AS k(step, kind, gap)
 WHERE k.gap IS NOT NULL;
CREATE TABLE ft_exact AS
SELECT variant, step, kind, count(*) AS n, sum(gap) AS sum, round(avg(gap))::bigint AS mean,
	   min(gap) AS min, max(gap) AS max,
	   percentile_disc(0.5) WITHIN GROUP (ORDER BY gap) AS median,
	   percentile_disc(0.9) WITHIN GROUP (ORDER BY gap) AS p90
  FROM ft_ref_gaps GROUP BY 1, 2, 3;
CREATE TABLE ft_got AS
SELECT m.variant, s.step, k.kind,
	   CASE k.kind WHEN 'prev' THEN s.mean ELSE s.mean_from_first END AS mean,
	   s.min, s.max, s.reached,
	   crm_sales.funnel_timing_quantile(m.t, s.step, 0.5, k.kind = 'first') AS median,
	   crm_sales.funnel_timing_quantile(m.t, s.step, 0.9, k.kind = 'first') AS p90
  FROM ft_merged m, crm_sales.funnel_timing_steps(m.t) s, (VALUES ('prev'), ('first')) k(kind)
 WHERE s.step >= 2 AND (k.kind = 'prev' OR s.step >= 3) AND s.reached > 0;
SELECT x.variant, x.step, x.kind, x.n,
	   g.reached = x.n AS n_exact,
	   g.mean = x.mean * interval '1 microsecond' AS mean_exact,
	   (x.kind = 'first' OR (g.min = x.min * interval '1 microsecond'
							 AND g.max = x.max * interval '1 microsecond')) AS min_max_exact,
	   g.median = r.median * interval '1 microsecond' AND g.p90 = r.p90 * interval '1 microsecond' AS sketch_rule,
	   abs(extract(epoch FROM g.median) * 1e6 - x.median) <= x.median / 256.0 AS median_within_bound,
	   abs(extract(epoch FROM g.p90) * 1e6 - x.p90) <= x.p90 / 256.0 AS p90_within_bound,
	   round((abs(extract(epoch FROM g.median) * 1e6 - x.median) / nullif(x.median, 0))::numeric, 5) AS median_rel_err,
	   round((abs(extract(epoch FROM g.p90) * 1e6 - x.p90) / nullif(x.p90, 0))::numeric, 5) AS p90_rel_err
  FROM ft_exact x
  JOIN ft_got g USING (variant, step, kind)
  JOIN ft_sketch r USING (variant, step, kind)
 ORDER BY 1, 2, 3 DESC;
-- every (variant, step, kind) of the reference is in ours and back
SELECT (SELECT count(*) FROM ft_exact) AS reference_distributions,
	   (SELECT count(*) FROM ft_got) AS ours;
-- the exact 128-bit sums behind the means, read from the text form: each
-- section prevK / firstK holds min,max,sum
SELECT x.variant, count(*) AS distributions,
	   count(*) FILTER (WHERE split_part(split_part(m.t::text, ';' || x.kind || x.step || '=', 2), ',', 3)::numeric
							  = x.sum) AS sums_exact
  FROM ft_exact x JOIN ft_merged m USING (variant)
 GROUP BY 1 ORDER BY 1;

-- bins of 1 min, 1 h, 1 day, 7 days: equal to the sketch rule of
-- gen_timing.py; bins marked exact equal the exact counts (plain SQL);
-- the others differ by at most the durations within 1/128 of an edge
CREATE TABLE ft_bins AS
SELECT m.variant, s.step, k.kind, h.bin, h.entities, h.exact,
	   (SELECT count(*) FROM ft_ref_gaps r
		 WHERE r.variant = m.variant AND r.step = s.step AND r.kind = k.kind
		   AND r.gap >= coalesce(extract(epoch FROM h.lower) * 1e6, 0)
		   AND (h.upper IS NULL OR r.gap < extract(epoch FROM h.upper) * 1e6)) AS exact_count,
	   (SELECT count(*) FROM ft_ref_gaps r
		 WHERE r.variant = m.variant AND r.step = s.step AND r.kind = k.kind
		   AND EXISTS (SELECT FROM unnest(ARRAY[60e6, 3600e6, 86400e6, 604800e6]) e
						WHERE abs(r.gap - e) <= e / 128)) AS near_edges
  FROM ft_merged m, crm_sales.funnel_timing_steps(m.t) s, (VALUES ('prev'), ('first')) k(kind),
	   crm_sales.funnel_timing_histogram(m.t, s.step, ARRAY['1 min', '1 hour', '1 day', '7 days']::interval[],
										 k.kind = 'first') h
 WHERE s.step >= 2 AND (k.kind = 'prev' OR s.step >= 3) AND s.reached > 0;
SELECT b.variant, count(DISTINCT (b.step, b.kind)) AS distributions,
	   bool_and(r.bins[b.bin] = b.entities AND r.exact[b.bin] = b.exact) AS sketch_rule,
	   bool_and(NOT b.exact OR b.entities = b.exact_count) AS exact_bins_exact,
	   count(*) FILTER (WHERE b.exact) AS exact_bins, count(*) FILTER (WHERE NOT b.exact) AS inexact_bins,
	   sum(abs(b.entities - b.exact_count)) AS misplaced,
	   bool_and(abs(b.entities - b.exact_count) <= b.near_edges) AS within_near_edges
  FROM ft_bins b JOIN ft_sketch r USING (variant, step, kind)
 GROUP BY 1 ORDER BY 1;

-- small populations are exact: the first 100 entities (at most 128
-- distinct times per step) give percentile_disc itself
SELECT x.variant, x.step, x.kind, x.n,
	   crm_sales.funnel_timing_quantile(m.t, x.step, 0.5, x.kind = 'first') = x.median * interval '1 microsecond' AS median_exact,
	   crm_sales.funnel_timing_quantile(m.t, x.step, 0.9, x.kind = 'first') = x.p90 * interval '1 microsecond' AS p90_exact,
	   crm_sales.funnel_timing_quantile(m.t, x.step, 0.25, x.kind = 'first') = x.q25 * interval '1 microsecond' AS q25_exact
  FROM (SELECT variant, step, kind, count(*) AS n,
			   percentile_disc(0.5) WITHIN GROUP (ORDER BY gap) AS median,
			   percentile_disc(0.9) WITHIN GROUP (ORDER BY gap) AS p90,
			   percentile_disc(0.25) WITHIN GROUP (ORDER BY gap) AS q25
		  FROM ft_ref_gaps WHERE variant = 'default_30d' AND entity <= 100 GROUP BY 1, 2, 3) x
  JOIN (SELECT variant, crm_sales.funnel_timing_merge(t) AS t FROM ft_ours
		 WHERE variant = 'default_30d' AND entity <= 100 GROUP BY 1) m USING (variant)
 ORDER BY 2, 3 DESC;
-- exact up to 128 distinct durations, buckets from the 129th on, whatever
-- the order and grouping of the merges: 200 entities, step 2 after
-- 1000 * g + 7 microseconds
CREATE TABLE ft_distinct AS
SELECT g, crm_sales.funnel_timing('1 day', ts, ARRAY[s = 1, s = 2]) AS t
  FROM generate_series(1, 200) g,
	   LATERAL (VALUES (1, timestamptz '2026-01-01'), (2, timestamptz '2026-01-01' + (1000 * g + 7) * interval '1 microsecond')) v(s, ts)
 GROUP BY g;
SELECT n, split_part(split_part(t::text, ';prev2=', 2), ',', 4) AS form,
	   crm_sales.funnel_timing_quantile(t, 2, 0.5) AS median,
	   (1000 * ceil(n / 2.0) + 7) * interval '1 microsecond' AS exact_median
  FROM (SELECT n, (SELECT crm_sales.funnel_timing_merge(t) FROM ft_distinct WHERE g <= n) AS t
		  FROM (VALUES (128), (129), (200)) v(n)) s ORDER BY n;
SELECT (SELECT crm_sales.funnel_timing_merge(t ORDER BY g DESC) FROM ft_distinct)
	 = (SELECT crm_sales.funnel_timing_merge(t ORDER BY g) FROM ft_distinct) AS order_free,
	   (SELECT crm_sales.funnel_timing_merge(h) FROM (SELECT crm_sales.funnel_timing_merge(t) AS h FROM ft_distinct GROUP BY g % 2) x)
	 = (SELECT crm_sales.funnel_timing_merge(t) FROM ft_distinct) AS two_exact_halves_make_buckets;

-- ---- merging: any grouping and any order give the same value
-- a rollup per day of the entity's first event, merged again
CREATE TABLE ft_rollup AS
SELECT o.variant, f.day, crm_sales.funnel_timing_merge(o.t) AS t
  FROM ft_ours o
  JOIN (SELECT entity, (min(ts) / 86400000000) AS day FROM ft_events GROUP BY entity) f USING (entity)
 GROUP BY 1, 2;
SELECT (SELECT count(*) FROM ft_rollup) AS rollup_rows,
	   bool_and(r.t = m.t) AS rollup_of_rollups_equals_all
  FROM (SELECT variant, crm_sales.funnel_timing_merge(t ORDER BY day DESC) AS t FROM ft_rollup GROUP BY 1) r
  JOIN ft_merged m USING (variant);
-- + folded in entity order equals the aggregate
WITH RECURSIVE f(i, t) AS (
	SELECT 1, (SELECT t FROM ft_ours WHERE variant = 'default_30d' AND entity = 1)
	UNION ALL
	SELECT i + 1, f.t + (SELECT t FROM ft_ours WHERE variant = 'default_30d' AND entity = i + 1)
	  FROM f WHERE i < 1200)
SELECT (SELECT t FROM f WHERE i = 1200) = (SELECT t FROM ft_merged WHERE variant = 'default_30d') AS fold_equals_aggregate;
-- text round trip of every value
SELECT count(*) AS values, bool_and(t::text::crm_sales.funnel_timing = t) AS text_round_trip,
	   bool_and(t::text = t::text::crm_sales.funnel_timing::text) AS text_stable
  FROM (SELECT t FROM ft_ours UNION ALL SELECT t FROM ft_merged UNION ALL SELECT t FROM ft_rollup) s;

-- ---- parallel plans: the same values as serial ones
SET parallel_setup_cost = 0;
SET parallel_tuple_cost = 0;
SET min_parallel_table_scan_size = 0;
SET max_parallel_workers_per_gather = 2;
SET parallel_leader_participation = off;
CREATE TABLE ft_stored AS SELECT * FROM ft_ours;
ALTER TABLE ft_stored SET (parallel_workers = 2);
EXPLAIN (COSTS OFF) SELECT variant, crm_sales.funnel_timing_merge(t) FROM ft_stored GROUP BY variant;
SELECT count(*) AS variants, bool_and(p.t = m.t) AS parallel_equals_serial
  FROM (SELECT variant, crm_sales.funnel_timing_merge(t) AS t FROM ft_stored GROUP BY variant) p
  JOIN ft_merged m USING (variant);
-- the per-entity aggregate under a parallel plan (internal state: serial /
-- deserial of window_funnel's state)
CREATE TABLE ft_events_ts AS
SELECT entity, timestamptz '2026-01-01 00:00+00' + ts * interval '1 microsecond' AS ts, c1, c2, c3, c4
  FROM ft_events;
ALTER TABLE ft_events_ts SET (parallel_workers = 2);
EXPLAIN (COSTS OFF)
SELECT entity, crm_sales.funnel_timing('30 days', ts, c1 = 1, c2 = 1, c3 = 1, c4 = 1) FROM ft_events_ts GROUP BY entity;
SELECT count(*) AS entities, bool_and(p.t = o.t) AS parallel_equals_serial
  FROM (SELECT entity, crm_sales.funnel_timing('30 days', ts, c1 = 1, c2 = 1, c3 = 1, c4 = 1) AS t
		  FROM ft_events_ts GROUP BY entity) p
  JOIN ft_ours o ON o.entity = p.entity AND o.variant = 'default_30d';
RESET parallel_setup_cost;
RESET parallel_tuple_cost;
RESET min_parallel_table_scan_size;
RESET max_parallel_workers_per_gather;
RESET parallel_leader_participation;

-- ---- the other call forms and modes
-- boolean[] form equals the VARIADIC form
SELECT bool_and(a.t = v.t) AS array_form_equals
  FROM (SELECT deal, crm_sales.funnel_timing('30 days', ts, ARRAY[kind = 'lead', kind = 'contact', kind = 'proposal', kind = 'won']) AS t
		  FROM ft_deals GROUP BY deal) a JOIN ft_per_deal v USING (deal);
-- strict_once: a row matching steps 1 and 2 counts once (level 1, no gap);
-- with two rows at the same instant the gap is 0
SELECT crm_sales.funnel_timing('1 day', 'strict_once', ts, ARRAY[s1, s2])
  FROM (VALUES (timestamptz '2026-01-01', true, true)) v(ts, s1, s2);
SELECT crm_sales.funnel_timing('1 day', 'strict_once', ts, ARRAY[s1, s2])
  FROM (VALUES (timestamptz '2026-01-01', true, false), (timestamptz '2026-01-01', false, true)) v(ts, s1, s2);
-- strict_once keeps every chain: 1@0 1@4h 2@6h 3@9h within 8 h completes
-- through the second lead (4 h -> 6 h -> 9 h)
SELECT * FROM crm_sales.funnel_timing_steps(
	(SELECT crm_sales.funnel_timing('8 hours', 'strict_once', ts, s = 1, s = 2, s = 3)
	   FROM (VALUES (timestamptz '2026-01-01 00:00', 1), ('2026-01-01 04:00', 1),
					('2026-01-01 06:00', 2), ('2026-01-01 09:00', 3)) v(ts, s)));
-- one step: reached count only
SELECT crm_sales.funnel_timing('1 day', ts, ARRAY[true]) FROM generate_series(1, 3) g,
	   LATERAL (SELECT timestamptz '2026-01-01' + g * interval '1 hour') x(ts);
-- a group with rows but no step 1: nothing reached; no rows: NULL
SELECT crm_sales.funnel_timing('1 day', ts, false, true) FROM (VALUES (now())) v(ts);
SELECT crm_sales.funnel_timing('1 day', ts, true, true) FROM (VALUES (now())) v(ts) WHERE false;
-- NULLs: rows with a NULL window, mode or time are skipped, a NULL step is false
SELECT crm_sales.funnel_timing(w, ts, s1, s2)
  FROM (VALUES (interval '1 day', timestamptz '2026-01-01 00:00', true, NULL::boolean),
			   (NULL, '2026-01-01 01:00', false, true),
			   ('1 day', NULL, false, true),
			   ('1 day', '2026-01-01 02:00', NULL, true)) v(w, ts, s1, s2);
-- merging NULLs: skipped; all NULL: NULL
SELECT crm_sales.funnel_timing_merge(t) FROM (VALUES (NULL::crm_sales.funnel_timing)) v(t);
SELECT crm_sales.funnel_timing_merge(t) = (SELECT t FROM ft_per_deal WHERE deal = 3)
  FROM (VALUES (NULL::crm_sales.funnel_timing), ((SELECT t FROM ft_per_deal WHERE deal = 3)), (NULL)) v(t);
-- a histogram of a step nobody reached: zero counts, no share
SELECT * FROM crm_sales.funnel_timing_histogram('{reached=2,0}', 2, ARRAY['1 hour']::interval[]);
SELECT crm_sales.funnel_timing_quantile('{reached=2,0}', 2, 0.5) IS NULL AS no_quantile;

-- ---- errors
-- any_order has no step order
SELECT crm_sales.funnel_timing('1 day', 'any_order', ts, true, false) FROM (VALUES (now())) v(ts);
SELECT crm_sales.funnel_timing('1 day', 'strict', ts, true, false) FROM (VALUES (now())) v(ts);
SELECT crm_sales.funnel_timing('-1 day', ts, true, false) FROM (VALUES (now())) v(ts);
SELECT crm_sales.funnel_timing('1 day', ts, true, false) FROM (VALUES ('infinity'::timestamptz)) v(ts);
SELECT crm_sales.funnel_timing('1 day', ts, ARRAY[]::boolean[]) FROM (VALUES (now())) v(ts);
SELECT crm_sales.funnel_timing('1 day', ts, true, VARIADIC array_fill(true, ARRAY[32])) FROM (VALUES (now())) v(ts);
SELECT crm_sales.funnel_timing(w, ts, true, false)
  FROM (VALUES (interval '1 day', now()), ('2 days', now())) v(w, ts);
-- merging funnels of different lengths
SELECT '{reached=1,0}'::crm_sales.funnel_timing + '{reached=1,0,0}'::crm_sales.funnel_timing;
-- readers
SELECT crm_sales.funnel_timing_quantile(t, 1, 0.5) FROM ft_per_deal WHERE deal = 3;
SELECT crm_sales.funnel_timing_quantile(t, 5, 0.5) FROM ft_per_deal WHERE deal = 3;
SELECT crm_sales.funnel_timing_quantile(t, 2, 1.5) FROM ft_per_deal WHERE deal = 3;
SELECT crm_sales.funnel_timing_quantile(t, 2, 'NaN') FROM ft_per_deal WHERE deal = 3;
SELECT * FROM crm_sales.funnel_timing_histogram((SELECT t FROM ft_per_deal WHERE deal = 3), 2, ARRAY[]::interval[]);
SELECT * FROM crm_sales.funnel_timing_histogram((SELECT t FROM ft_per_deal WHERE deal = 3), 2, ARRAY['1 day', '1 hour']::interval[]);
SELECT * FROM crm_sales.funnel_timing_histogram((SELECT t FROM ft_per_deal WHERE deal = 3), 2, ARRAY['0 s']::interval[]);
SELECT * FROM crm_sales.funnel_timing_histogram((SELECT t FROM ft_per_deal WHERE deal = 3), 2, ARRAY['1 day', NULL]::interval[]);
SELECT * FROM crm_sales.funnel_timing_histogram((SELECT t FROM ft_per_deal WHERE deal = 3), 2,
												ARRAY['178000000 years']::interval[]);
SELECT count(*) FROM crm_sales.funnel_timing_histogram((SELECT t FROM ft_per_deal WHERE deal = 3), 2,
		(SELECT array_agg(g * interval '1 s') FROM generate_series(1, 1001) g));
-- malformed text: each refusal names what is wrong
SELECT ''::crm_sales.funnel_timing;
SELECT '{}'::crm_sales.funnel_timing;
SELECT '{reached=}'::crm_sales.funnel_timing;
SELECT '{reached=-1}'::crm_sales.funnel_timing;
SELECT '{reached=1,2}'::crm_sales.funnel_timing;
SELECT '{reached=1,1}'::crm_sales.funnel_timing;
SELECT '{reached=1,0;prev2=5,5,5,exact,5:1}'::crm_sales.funnel_timing;
SELECT '{reached=1,1;prev2=5,5,5,exact,5:1;prev2=5,5,5,exact,5:1}'::crm_sales.funnel_timing;
SELECT '{reached=1,1;first2=5,5,5,exact,5:1}'::crm_sales.funnel_timing;
SELECT '{reached=1,1,1;prev4=5,5,5,exact,5:1}'::crm_sales.funnel_timing;
SELECT '{reached=1;prev2=5,5,5,exact,5:1}'::crm_sales.funnel_timing;
SELECT '{reached=1,1;next2=5,5,5,exact,5:1}'::crm_sales.funnel_timing;
SELECT '{reached=1,1;prev2=5,5,5,5:1}'::crm_sales.funnel_timing;
SELECT '{reached=1,1;prev2=5,5,5,exact,6:1}'::crm_sales.funnel_timing;
SELECT '{reached=1,1;prev2=5,5,6,exact,5:1}'::crm_sales.funnel_timing;
SELECT '{reached=1,1;prev2=5,5,5,exact,5:2}'::crm_sales.funnel_timing;
SELECT '{reached=1,1;prev2=5,5,5,buckets,4:1}'::crm_sales.funnel_timing;
SELECT '{reached=1,1;prev2=5,5,5,buckets,7296:1}'::crm_sales.funnel_timing;
SELECT '{reached=1,1;prev2=5,5,5,exact}'::crm_sales.funnel_timing;
-- a two-entity value: exact (5 and 9), and the same as buckets (the
-- durations below 256 have a bucket each); the sum of a bucket form must
-- be possible with its min and max (5 + 9 = 14)
SELECT '{reached=2,2;prev2=5,9,14,exact,5:1,9:1}'::crm_sales.funnel_timing::text;
SELECT '{reached=2,2;prev2=5,9,14,buckets,5:1,9:1}'::crm_sales.funnel_timing::text;
SELECT '{reached=2,2;prev2=5,9,13,buckets,5:1,9:1}'::crm_sales.funnel_timing;
SELECT '{reached=2,2;prev2=5,9,14,exact,9:1,5:1}'::crm_sales.funnel_timing;
SELECT '{reached=1,1;prev2=5,5,340282366920938463463374607431768211456,exact,5:1}'::crm_sales.funnel_timing;
SELECT '{reached=1,1;prev2=5,5,5,exact,5:1} '::crm_sales.funnel_timing;
SELECT '{reached=1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1}'::crm_sales.funnel_timing;
SELECT '{reached=99999999999999999999}'::crm_sales.funnel_timing;
SELECT ('{reached=129,129;prev2=0,128,8256,exact,' ||
		(SELECT string_agg(g || ':1', ',') FROM generate_series(0, 128) g) || '}')::crm_sales.funnel_timing;
