-- The funnel type, funnel_agg, merging, funnel_steps, conversion_rate,
-- funnel_chart and the jsonb cast.  Every expected number is worked out by
-- hand in the comments from the rows the test inserts (cumulative rule: an
-- entity whose furthest path stage is k has reached path stages 1..k; a
-- lost stage counts only the entities that ended there), or checked against
-- a plain-SQL count over the same rows.
\set SHOW_CONTEXT never
SET search_path = public, crm_sales;

-- ---- text form ----
-- model funnel: reached counts along the path, lost stage on its own
SELECT 'crm_sales.sales_stage{lead_generation=10/500.00,initial_contact=6/300.50,needs_analysis=4/100,proposal=4/100,negotiation=2/50,closed_won=1/20,closed_lost=3/7.5}'::funnel;
-- stages left out have 0, order of entries is free, blanks are allowed
SELECT ' crm_sales.sales_stage { initial_contact = 2 , lead_generation = 5 } '::funnel;
-- positional funnel, with and without amounts
SELECT '{10,7,7,1}'::funnel, '{3/1.5,2/-0.25}'::funnel, '{0}'::funnel;
-- a model with a stage name that needs quoting
SELECT crm_sales.create_model('odd_stage', ARRAY['first step', 'say "hi"', 'done'], schema_name => 'public');
SELECT '{}'::text AS "-", 'odd_stage{"first step"=3,"say ""hi"""=2,done=1}'::funnel;
-- round trip: text out -> in -> out is the same text
SELECT f::text::funnel::text = f::text AS round_trip
  FROM (VALUES ('crm_sales.sales_stage{lead_generation=10/500.00,initial_contact=1/20,needs_analysis=1/20,proposal=1/20,negotiation=1/20,closed_won=1/20,closed_lost=3/7.5}'::funnel),
			   ('odd_stage{"first step"=3,"say ""hi"""=2,done=1}'),
			   ('{3/1.500000000000000001,2/-0.25}'),
			   ('{9223372036854775807}')) AS t(f);

-- malformed text: 22P02 with the text and a detail
SELECT 'sales_stage'::funnel;
\echo :LAST_ERROR_SQLSTATE
SELECT 'crm_sales.sales_stage{lead_generation=10,nowhere=3}'::funnel;
\echo :LAST_ERROR_SQLSTATE
SELECT 'crm_sales.sales_stage{lead_generation=10,lead_generation=3}'::funnel;
SELECT 'crm_sales.sales_stage{lead_generation 10}'::funnel;
SELECT 'crm_sales.sales_stage{lead_generation=3,initial_contact=4}'::funnel;
SELECT '{5/1,3}'::funnel;
SELECT '{5,3'::funnel;
SELECT '{5,3} x'::funnel;
SELECT '{5,-3}'::funnel;
SELECT '{5/1e3}'::funnel;
SELECT '{5/0.1234567890123456789}'::funnel;
SELECT '{99999999999999999999}'::funnel;
SELECT '{}'::funnel;
SELECT 'odd_stage{"first step=3}'::funnel;
SELECT ('{' || repeat('1,', 256) || '1}')::funnel;
SELECT 'no_such_type{a=1}'::funnel;
\echo :LAST_ERROR_SQLSTATE
SELECT 'pg_catalog.int4{a=1}'::funnel;
\echo :LAST_ERROR_SQLSTATE

-- ---- funnel_agg over a deals table ----
CREATE TABLE deals (id int, region text, furthest sales_stage, amount numeric);
INSERT INTO deals VALUES
	(1, 'north', 'lead_generation', 100),
	(2, 'north', 'initial_contact', 200.50),
	(3, 'north', 'proposal', 300),
	(4, 'north', 'closed_won', 1000.25),
	(5, 'north', 'closed_lost', 50),
	(6, 'south', 'lead_generation', NULL),
	(7, 'south', 'negotiation', 700),
	(8, 'south', 'negotiation', 0.001),
	(9, 'south', NULL, 999),		-- skipped: no stage
	(10, 'south', 'closed_won', -20);
-- all: furthest on the path: lead 2, contact 1, proposal 1, negotiation 2,
-- won 2 -> reached lead 8, contact 6, needs 5, proposal 5, negotiation 4,
-- won 2; lost 1.  Amounts of the entities reaching each stage:
-- lead 100+200.50+300+1000.25+0+700+0.001-20 = 2280.751, contact 2180.751,
-- needs/proposal 1980.251, negotiation 1680.251, won 980.25, lost 50.
SELECT funnel_agg(furthest) AS count_only, funnel_agg(furthest, amount) AS with_amount FROM deals;
-- per region: north lead 4 (1,2,3,4) ... south lead 4 (6,7,8,10)
SELECT region, funnel_agg(furthest, amount) FROM deals GROUP BY region ORDER BY region;
-- the same numbers by plain counting (independent of the funnel code)
SELECT s AS stage,
	   count(*) FILTER (WHERE crm_sales.stage_category(furthest) <> 'lost'
						  AND crm_sales.stage_position(furthest) >= crm_sales.stage_position(s)) AS reached
  FROM unnest(enum_range(NULL::sales_stage)) AS s, deals
 WHERE crm_sales.stage_category(s) <> 'lost'
 GROUP BY s ORDER BY s;
-- the per-region funnels merge to the total
SELECT funnel_merge(f) = (SELECT funnel_agg(furthest, amount) FROM deals) AS merged_equals_total
  FROM (SELECT funnel_agg(furthest, amount) AS f FROM deals GROUP BY region) t;
-- no rows, or only NULL stages: NULL, like sum()
SELECT funnel_agg(furthest) IS NULL AS empty_is_null FROM deals WHERE false;
SELECT funnel_agg(furthest) IS NULL AS nulls_only FROM deals WHERE furthest IS NULL;
-- not a model, not an aggregate call
CREATE TYPE not_model AS ENUM ('a', 'b');
SELECT funnel_agg(x) FROM (VALUES ('a'::not_model)) v(x);
\echo :LAST_ERROR_SQLSTATE
SELECT _funnel_agg_trans(NULL, 'lead_generation'::sales_stage);
\echo :LAST_ERROR_SQLSTATE
-- amounts must be finite; NaN is refused
SELECT funnel_agg(furthest, 'NaN'::numeric) FROM deals;
\echo :LAST_ERROR_SQLSTATE
SELECT funnel_agg(furthest, 'Infinity'::numeric) FROM deals;
-- more than 18 decimals: rounded half away from zero at the 18th
SELECT funnel_agg(p, a) FROM (VALUES (1, 0.0000000000000000005), (1, 0.0000000000000000004),
									 (2, -0.0000000000000000015)) v(p, a);
-- exact where float would not be: 0.1 added 10 times, 1e20 + 0.01
SELECT funnel_agg(1, 0.1) FROM generate_series(1, 10);
SELECT funnel_agg(p, a) FROM (VALUES (1, 100000000000000000000), (1, 0.01)) v(p, a);
-- numeric decoding over many shapes (short and long headers, negative
-- weights, negative values, trailing zeros, display scale beyond the digits,
-- 0 to 73 decimals): per group, the amount must equal PostgreSQL's own
-- sum(round(x, 18)) (amounts are rounded at the 18th decimal, see above)
CREATE TEMP TABLE shapes AS
SELECT g % 50 AS k,
	   round(((g * 7919) % 100003 - 50000)::numeric * 10::numeric ^ ((g % 35) - 25),
			 CASE WHEN g % 7 = 0 THEN 64 + g % 10 ELSE g % 40 END) AS x
  FROM generate_series(1, 4000) AS g;
SELECT count(*) AS groups, count(*) FILTER (WHERE a <> s) AS mismatches
  FROM (SELECT k, (SELECT amount FROM funnel_steps(funnel_agg(1, x)) WHERE "position" = 1) AS a,
			   sum(round(x, 18)) AS s
		  FROM shapes GROUP BY k) t;
SELECT (SELECT amount FROM funnel_steps(funnel_agg(1, x)) WHERE "position" = 1) = sum(round(x, 18)) AS total_equal,
	   count(*) FILTER (WHERE scale(x) > 63) AS long_header_values,
	   count(*) FILTER (WHERE x < 0) AS negative_values
  FROM shapes;
-- out of range: sums past 38 digits
SELECT funnel_agg(1, 99999999999999999999999999999999999999::numeric) FROM generate_series(1, 2);
\echo :LAST_ERROR_SQLSTATE

-- positional funnel_agg: furthest step 1..256
SELECT funnel_agg(p) FROM unnest(ARRAY[1, 3, 3, NULL, 2, 5]) p;	-- {5,4,3,1,1}
SELECT funnel_agg(p, p * 1.5) FROM unnest(ARRAY[2, 1]) p;		-- {2/4.5,1/3.0}
SELECT funnel_agg(p) FROM unnest(ARRAY[1, 0]) p;
\echo :LAST_ERROR_SQLSTATE
SELECT funnel_agg(p) FROM unnest(ARRAY[257]) p;

-- ---- merging ----
-- histograms [2,2,1] + [0,0,0,2] = [2,2,1,2] -> reached {7,5,3,2}
SELECT '{5,3,1}'::funnel + '{2,2,2,2}'::funnel;
SELECT '{5/1.5,3/1}'::funnel + '{2/0.25}'::funnel;				-- {7/1.75,3/1.00}
SELECT funnel_merge(f) FROM (VALUES ('{1}'::funnel), (NULL), ('{4,4}')) v(f);	-- {5,4}
SELECT '{5,3,1}'::funnel + 'crm_sales.sales_stage{lead_generation=1}';
\echo :LAST_ERROR_SQLSTATE
SELECT '{5/1,3/1}'::funnel + '{2}'::funnel;
SELECT 'crm_sales.sales_stage{lead_generation=1}'::funnel + 'crm_sales.lifecycle_stage{prospect=1}';
-- equality compares amounts by value, not by scale
SELECT '{2/1.5}'::funnel = '{2/1.50}'::funnel AS same, '{2/1.5}'::funnel = '{2/1.51}'::funnel AS differ,
	   '{2}'::funnel = '{2,0}'::funnel AS longer_differs;

-- a stage added to a user model after a funnel was stored: merge aligns
CREATE TABLE rollup (day int, f funnel);
SELECT crm_sales.create_model('lead_stage', ARRAY['new', 'qualified', 'won'], schema_name => 'public');
SELECT crm_sales.set_category('lead_stage', 'won', 'won');
INSERT INTO rollup SELECT 1, funnel_agg(s) FROM unnest('{new,qualified,won,won}'::lead_stage[]) s;
SELECT crm_sales.add_stage('lead_stage', 'contacted', after_stage => 'new');
INSERT INTO rollup SELECT 2, funnel_agg(s) FROM unnest('{contacted,qualified}'::lead_stage[]) s;
SELECT day, f FROM rollup ORDER BY day;
-- day 1: new 4, qualified 3, won 2; day 2: new 2, contacted 2, qualified 1
-- merged with the model's current stages: new 6, contacted 2 + (3 from day 1
-- reached qualified, so contacted on the path too) = 5, qualified 4, won 2
SELECT funnel_merge(f ORDER BY day) FROM rollup;

-- ---- reading a funnel ----
SELECT * FROM funnel_steps((SELECT funnel_agg(furthest, amount) FROM deals));
SELECT * FROM funnel_steps('{4,2,0,0}');
SELECT conversion_rate(f, 'lead_generation', 'closed_won') AS lead_to_won,		-- 2/8
	   conversion_rate(f, 'proposal'::sales_stage, 'negotiation'::sales_stage) AS prop_to_neg,	-- 4/5
	   conversion_rate(f, 'lead_generation', 'closed_lost') AS lost_share		-- 1/8
  FROM (SELECT funnel_agg(furthest) AS f FROM deals) t;
SELECT conversion_rate('{4,2,0,0}', 1, 2) AS half, conversion_rate('{4,2,0,0}', 3, 4) AS none_reached;
SELECT conversion_rate('{4,2}', 1, 3);
\echo :LAST_ERROR_SQLSTATE
SELECT conversion_rate('crm_sales.sales_stage{lead_generation=1}', 'lead_generation', 'nowhere');
-- an enum value of another model is refused, even when its label names a
-- stage of the funnel's model (lead_stage and lifecycle_stage both have "new")
SELECT conversion_rate('crm_sales.lifecycle_stage{prospect=4,new=2}', 'new'::lead_stage, 'new'::lead_stage);
\echo :LAST_ERROR_SQLSTATE
-- ended_here when path and lost stages together pass the bigint range:
-- at = {max, 0, 0, 0, 0, 0, max}, so lead_generation and closed_lost each
-- end half of the entities and the other stages none (hand derivation)
SELECT stage, reached, ended_here
  FROM funnel_steps('crm_sales.sales_stage{lead_generation=9223372036854775807,closed_lost=9223372036854775807}');
SELECT * FROM funnel_chart((SELECT funnel_agg(furthest) FROM deals), 16);
SELECT * FROM funnel_chart('{4,0}', 8);
SELECT * FROM funnel_chart('{4}', 0);
\echo :LAST_ERROR_SQLSTATE
SELECT jsonb_pretty(('{3/1.5,2/-0.25}'::funnel)::jsonb);
SELECT (f::jsonb) -> 'stages' -> 6 FROM (SELECT funnel_agg(furthest, amount) AS f FROM deals) t;
-- stored size as the README gives it: 24-byte header (so the int64 counts
-- after it are 8-byte aligned) + 8 per stage, + 16 per stage with amounts,
-- + 5 per stage of a model: 24 + 8 = 32; 24 + 24 = 48; 24 + 7 * 13 = 115
SELECT pg_column_size('{1}'::funnel) AS "32", pg_column_size('{1/1}'::funnel) AS "48",
	   pg_column_size('crm_sales.sales_stage{lead_generation=1}'::funnel) AS "115";

-- ---- binary send/receive through COPY ----
CREATE TABLE fb (f funnel);
INSERT INTO fb SELECT funnel_agg(furthest, amount) FROM deals UNION ALL SELECT '{3/1.5,2/0}'::funnel;
COPY fb TO '/tmp/crm_sales_funnel_test.bin' (FORMAT binary);
CREATE TABLE fb2 (f funnel);
COPY fb2 FROM '/tmp/crm_sales_funnel_test.bin' (FORMAT binary);
SELECT count(*) AS same_after_binary FROM fb JOIN fb2 USING (f);
