-- stage_timeline: mergeable time in stage (docs/funnels.md, "Time in
-- stage").  Expected numbers: the hand-derived example below (each
-- duration worked out in its comment); on 200 generated entities the
-- totals and the monthly durations and visits computed by
-- test/reference/stage_timeline/gen_timeline.py (from the definition: the
-- stage in force at each time, no runs, no code shared with src/), and the
-- totals again by a plain-SQL formulation over the same rows (lead() over
-- the points in order).
\set SHOW_CONTEXT never
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS crm_sales;
SET timezone = 'UTC';
-- the + and = operators of crm_sales.stage_timeline
SET search_path = public, crm_sales;

-- ---- a hand-derived example: one deal
CREATE TABLE st_moves (deal int, ts timestamptz, stage text, id bigint);
INSERT INTO st_moves VALUES
  -- lead 01-30 12:00 .. proposal 02-02 12:00: 3 days of lead, 1 d 12 h in
  -- January (to 02-01 00:00) and 1 d 12 h in February
  (1, '2026-01-30 12:00', 'lead', 1),
  -- proposal 02-02 12:00 .. 02-10 12:00 (a second proposal row on 02-05
  -- keeps the same stretch): 8 days
  (1, '2026-02-02 12:00', 'proposal', 2), (1, '2026-02-05 00:00', 'proposal', 3),
  -- negotiation 02-10 12:00 .. proposal 02-20: 9 d 12 h
  (1, '2026-02-10 12:00', 'negotiation', 4),
  -- back to proposal 02-20 .. 03-03: 11 days (Feb has 28): 2nd visit
  (1, '2026-02-20 00:00', 'proposal', 5),
  -- won 03-03 00:00 and lost in the same instant, id orders them: won
  -- lasts 0 s, lost is the last point
  (1, '2026-03-03 00:00', 'won', 6), (1, '2026-03-03 00:00', 'lost', 7),
  -- rows with a NULL time or stage are skipped
  (1, NULL, 'lead', 8), (1, '2026-01-01', NULL, 9);
CREATE TABLE st_one AS SELECT stage_agg(ts, stage, id) AS t FROM st_moves;
SELECT t FROM st_one;
-- lead 3 d, proposal 8 d + 11 d = 19 d in 2 visits, negotiation 9 d 12 h,
-- won 0 (1 visit), lost 0 (the last point: nothing after it)
SELECT * FROM stage_durations((SELECT t FROM st_one));
SELECT duration_in(t, 'proposal') AS proposal, duration_in(t, 'nowhere') AS unknown_stage,
	   visits(t, 'proposal') AS proposal_visits, visits(t, 'nowhere') AS unknown_visits,
	   stage_at(t, '2026-01-30 11:59') AS before_first, stage_at(t, '2026-02-12') AS on_0212,
	   stage_at(t, '2026-03-03') AS at_the_tie, stage_at(t, '2027-01-01') AS later
  FROM st_one;
SELECT * FROM timeline((SELECT t FROM st_one));
-- February alone: lead 1 d 12 h (from 02-01), proposal 8 d + 9 d (02-20
-- to 03-01); from 02-21 on, proposal 10 d (to 03-03)
SELECT duration_in(t, 'lead', '2026-02-01', '1 month') AS lead_feb,
	   duration_in(t, 'proposal', '2026-02-01', '1 month') AS proposal_feb,
	   duration_in(t, 'proposal', '2026-02-21') AS proposal_from_0221
  FROM st_one;
SELECT t::jsonb FROM st_one;

-- ---- per month in a rollup table, split at the month edges
CREATE TABLE st_monthly AS
SELECT deal, date_trunc('month', ts) AS month, stage_agg(ts, stage, id) AS t
  FROM st_moves WHERE ts IS NOT NULL AND stage IS NOT NULL GROUP BY 1, 2;
-- January: lead 1 d 12 h (to the month's end); February: lead 1 d 12 h carried
-- in, proposal 17 d, negotiation 9 d 12 h; March: proposal 2 d carried
-- in, won 0 s, lost to the month's end (28 d 24 h = 29 d); April (no
-- rows): lost the whole month (30 d)
SELECT m.month, s.stage,
	   interpolated_duration_in(r.t, s.stage, m.month, '1 month',
								(SELECT p.t FROM st_monthly p WHERE p.month < m.month
								  ORDER BY p.month DESC LIMIT 1)) AS duration
  FROM generate_series(timestamptz '2026-01-01', '2026-04-01', '1 month') m(month)
 CROSS JOIN (VALUES ('lead'), ('proposal'), ('negotiation'), ('won'), ('lost')) s(stage)
  LEFT JOIN st_monthly r ON r.month = m.month
 ORDER BY 1, 2;
-- the same from the whole timeline, empty buckets included
SELECT * FROM stage_durations_by_bucket((SELECT t FROM st_one), '1 month', '2026-01-01', '2026-05-01');
SELECT * FROM interpolated_timeline((SELECT t FROM st_monthly WHERE month = '2026-03-01'),
									'2026-03-01', '1 month',
									(SELECT t FROM st_monthly WHERE month = '2026-02-01'));
-- a bucket with no rows: the whole bucket in the previous bucket's last stage
SELECT * FROM interpolated_timeline(NULL, '2026-04-01', '1 month',
									(SELECT t FROM st_monthly WHERE month = '2026-03-01'));
-- without prev the time before the bucket's first point is in no stage
SELECT interpolated_duration_in(t, 'proposal', '2026-03-01', '1 month') AS no_prev
  FROM st_monthly WHERE month = '2026-03-01';
-- the merge of the months is the whole timeline; + merges two
SELECT (SELECT stage_timeline_merge(t) FROM st_monthly) = (SELECT t FROM st_one) AS merge_is_whole,
	   (SELECT t FROM st_monthly WHERE month = '2026-01-01') + (SELECT t FROM st_monthly WHERE month = '2026-02-01')
	 + (SELECT t FROM st_monthly WHERE month = '2026-03-01') = (SELECT t FROM st_one) AS plus_is_merge,
	   (SELECT t FROM st_monthly WHERE month = '2026-01-01') = (SELECT t FROM st_one) AS differ;

-- ---- text form: round trip, any order in, canonical out
SELECT t::text::stage_timeline = t AS text_round_trip FROM st_one;
SELECT '{ b@2026-01-02 00:00:00+01 , a@2026-01-01T23:00:00Z#-5, "x ""y"""@2026-01-01 10:00:00.5-02:30 }'::stage_timeline;
SELECT '{}'::stage_timeline AS empty, (SELECT count(*) FROM stage_durations('{}')) AS no_stages,
	   duration_in('{}', 'a') AS no_time;
SELECT '{""@2026-01-01 00:00:00+00}'::stage_timeline AS empty_name;
SELECT '{a@0099-01-01 00:00:00+00 BC}'::stage_timeline;
-- malformed text: 22P02 with what is wrong
SELECT 'a@2026-01-01 00:00:00+00'::stage_timeline;
SELECT '{a 2026-01-01 00:00:00+00}'::stage_timeline;
SELECT '{@2026-01-01 00:00:00+00}'::stage_timeline;
SELECT '{a@2026-01-01}'::stage_timeline;
SELECT '{a@2026-01-01 00:00}'::stage_timeline;
SELECT '{a@2026-01-01 00:00:00}'::stage_timeline;
SELECT '{a@2026-02-30 00:00:00+00}'::stage_timeline;
SELECT '{a@2026-01-01 00:00:00.1234567+00}'::stage_timeline;
SELECT '{a@2026-01-01 00:00:00+16}'::stage_timeline;
SELECT '{a@0000-01-01 00:00:00+00}'::stage_timeline;
SELECT '{a@300000-01-01 00:00:00+00}'::stage_timeline;
SELECT '{a@2026-01-01 00:00:00+00#}'::stage_timeline;
SELECT '{a@2026-01-01 00:00:00+00#99999999999999999999}'::stage_timeline;
SELECT '{"a@2026-01-01 00:00:00+00}'::stage_timeline;
SELECT '{a@2026-01-01 00:00:00+00;b@2026-01-02 00:00:00+00}'::stage_timeline;
SELECT '{a@2026-01-01 00:00:00+00} x'::stage_timeline;
SELECT ('{' || repeat('a', 256) || '@2026-01-01 00:00:00+00}')::stage_timeline;

-- ---- bad arguments
SELECT stage_agg(ts, s) FROM (VALUES ('infinity'::timestamptz, 'a')) v(ts, s);
SELECT stage_agg(ts, repeat('x', 300)) FROM (VALUES (now())) v(ts);
SELECT stage_agg(ts, s) IS NULL AS no_rows FROM (VALUES (now(), 'a')) v(ts, s) WHERE false;
SELECT interpolated_duration_in(t, 'lead', '2026-01-01', '0 days') FROM st_one;
SELECT interpolated_duration_in(t, 'lead', '2026-01-01', '-1 month') FROM st_one;
SELECT interpolated_duration_in(t, 'lead', 'infinity', '1 month') FROM st_one;
SELECT interpolated_duration_in(t, 'lead', NULL, '1 month') IS NULL AS null_start FROM st_one;
SELECT interpolated_duration_in(NULL, 'lead', '2026-01-01', '1 month') IS NULL AS nothing_known;
SELECT duration_in(t, 'lead', '2026-01-01', '-1 day') FROM st_one;
SELECT * FROM stage_durations_by_bucket((SELECT t FROM st_one), '1 month', '2026-05-01', '2026-01-01');
SELECT * FROM stage_durations_by_bucket((SELECT t FROM st_one), '1 month', '2026-01-01', 'infinity');
SELECT * FROM stage_durations_by_bucket((SELECT t FROM st_one), '1 second', '2026-01-01', '2026-02-01');
SELECT * FROM interpolated_timeline((SELECT t FROM st_one), NULL, '1 month');
SET crm_sales.stage_agg_max_points = 5;
SELECT stage_agg(ts, stage) FROM st_moves;
SELECT '{a@2026-01-01 00:00:00+00,a@2026-01-02 00:00:00+00,a@2026-01-03 00:00:00+00,a@2026-01-04 00:00:00+00,a@2026-01-05 00:00:00+00,a@2026-01-06 00:00:00+00}'::stage_timeline;
SELECT stage_timeline_merge(t) FROM st_monthly;
RESET crm_sales.stage_agg_max_points;
SET crm_sales.stage_agg_max_points = 0;

-- ---- 200 generated entities against gen_timeline.py
CREATE TABLE st_points (entity int, ts bigint, seq bigint, stage text);
\copy st_points FROM 'test/reference/stage_timeline/points.csv' WITH (FORMAT csv, HEADER)
CREATE TABLE st_totals (entity int, stage text, duration_us bigint, visits bigint);
\copy st_totals FROM 'test/reference/stage_timeline/totals.csv' WITH (FORMAT csv, HEADER)
CREATE TABLE st_buckets (entity int, bucket timestamptz, stage text, duration_us bigint, visits bigint);
\copy st_buckets FROM 'test/reference/stage_timeline/buckets.csv' WITH (FORMAT csv, HEADER)
CREATE VIEW st_rows AS
SELECT entity, timestamptz '2026-01-01 00:00+00' + ts * interval '1 microsecond' AS ts, seq, stage
  FROM st_points;
SELECT count(*) AS points, count(DISTINCT entity) AS entities,
	   count(*) - count(DISTINCT (entity, ts)) AS points_sharing_a_time,
	   (SELECT count(*) FROM st_totals) AS reference_totals,
	   (SELECT count(*) FROM st_buckets) AS reference_bucket_rows
  FROM st_points;
CREATE FUNCTION pg_temp.us(interval) RETURNS bigint
	LANGUAGE sql IMMUTABLE AS $$ SELECT (extract(epoch FROM $1) * 1000000)::bigint $$;

CREATE TABLE st_whole AS SELECT entity, stage_agg(ts, stage, seq) AS t FROM st_rows GROUP BY entity;
-- totals: ours against the reference (both ways)
SELECT count(*) AS total_rows,
	   count(*) FILTER (WHERE r.entity IS NULL OR o.entity IS NULL
						OR pg_temp.us(o.duration) <> r.duration_us OR o.visits <> r.visits) AS mismatches
  FROM (SELECT w.entity, d.* FROM st_whole w, stage_durations(w.t) d) o
  FULL JOIN st_totals r ON r.entity = o.entity AND r.stage = o.stage;
-- totals in plain SQL: each point lasts to the next one of the entity in
-- (ts, seq, stage) order; a visit is a point whose predecessor has another
-- stage
SELECT count(*) AS total_rows, count(*) FILTER (WHERE q.duration_us <> r.duration_us OR q.visits <> r.visits
											   OR q.entity IS NULL OR r.entity IS NULL) AS mismatches
  FROM (SELECT entity, stage, sum(coalesce(next_ts - ts, 0))::bigint AS duration_us,
			   count(*) FILTER (WHERE prev_stage IS DISTINCT FROM stage) AS visits
		  FROM (SELECT entity, stage, ts,
					   lead(ts) OVER w AS next_ts, lag(stage) OVER w AS prev_stage
				  FROM st_points
				WINDOW w AS (PARTITION BY entity ORDER BY ts, seq, convert_to(stage, 'UTF8'))) p
		 GROUP BY entity, stage) q
  FULL JOIN st_totals r ON r.entity = q.entity AND r.stage = q.stage;
-- duration_in and visits per stage agree with stage_durations
SELECT count(*) FILTER (WHERE duration_in(w.t, d.stage) <> d.duration OR visits(w.t, d.stage) <> d.visits)
	   AS reader_mismatches
  FROM st_whole w, stage_durations(w.t) d;
-- by month from the whole timeline (last stretch to 2026-07-01)
SELECT count(*) AS bucket_rows,
	   count(*) FILTER (WHERE r.entity IS NULL OR o.entity IS NULL
						OR pg_temp.us(o.duration) <> r.duration_us OR o.visits <> r.visits) AS mismatches
  FROM (SELECT w.entity, b.*
		  FROM st_whole w,
			   stage_durations_by_bucket(w.t, '1 month', '2026-01-01', '2026-07-01') b) o
  FULL JOIN st_buckets r ON r.entity = o.entity AND r.bucket = o.bucket_start AND r.stage = o.stage;

-- a rollup table of one value per entity and month, then per month and
-- stage interpolated_duration_in with prev = the entity's latest earlier
-- month; months with no rows of the entity read prev alone.  The last
-- stretch of an entity lasts to 2026-07-01 (the reference's end) as the
-- last month's bucket ends there.
CREATE TABLE st_rollup AS
SELECT entity, date_trunc('month', ts) AS month, stage_agg(ts, stage, seq) AS t
  FROM st_rows GROUP BY 1, 2;
SELECT count(*) AS rollup_rows FROM st_rollup;
SELECT count(*) AS bucket_rows,
	   count(*) FILTER (WHERE r.entity IS NULL OR o.entity IS NULL
						OR pg_temp.us(o.duration) <> r.duration_us OR o.visits <> r.visits) AS mismatches
  FROM (SELECT * FROM (SELECT e.entity, m.month, s.stage,
			   interpolated_duration_in(r.t, s.stage, m.month, '1 month', p.t) AS duration,
			   coalesce(visits(r.t + coalesce(p.t, '{}'), s.stage) - visits(coalesce(p.t, '{}'), s.stage),
						0) AS visits
		  FROM (SELECT DISTINCT entity FROM st_points) e
		 CROSS JOIN generate_series(timestamptz '2026-01-01', '2026-06-01', '1 month') m(month)
		 CROSS JOIN (SELECT DISTINCT stage FROM st_points) s
		  LEFT JOIN st_rollup r ON r.entity = e.entity AND r.month = m.month
		  LEFT JOIN LATERAL (SELECT stage_timeline_merge(x.t) AS t FROM st_rollup x
							  WHERE x.entity = e.entity AND x.month < m.month) p ON true) o0
		 WHERE duration > '0' OR visits > 0) o
  FULL JOIN st_buckets r ON r.entity = o.entity AND r.bucket = o.month AND r.stage = o.stage;
-- merging the months gives each entity's whole timeline
SELECT count(*) AS entities, count(*) FILTER (WHERE m.t = w.t) AS merge_equals_whole
  FROM (SELECT entity, stage_timeline_merge(t) AS t FROM st_rollup GROUP BY entity) m
  JOIN st_whole w USING (entity);
-- one timeline of everything merged in one step; text I/O of every value
-- (binary I/O: test/clients)
SELECT (SELECT stage_timeline_merge(t) FROM st_rollup) = (SELECT stage_timeline_merge(t) FROM st_whole)
	   AS same_merge,
	   (SELECT count(*) FILTER (WHERE t::text::stage_timeline = t) FROM st_whole) AS text_round_trips;

-- ---- parallel plans: partial aggregates combined by the leader
-- 30 copies of the entities (entity + 1000 * g), each equal to its original
CREATE TABLE st_big AS SELECT entity + 1000 * g AS entity, ts, seq, stage
  FROM st_rows, generate_series(0, 29) g;
ANALYZE st_big;
SET parallel_setup_cost = 0;
SET parallel_tuple_cost = 0;
SET min_parallel_table_scan_size = 0;
SET max_parallel_workers_per_gather = 2;
SET parallel_leader_participation = off;
EXPLAIN (COSTS OFF) SELECT entity, stage_agg(ts, stage, seq) FROM st_big GROUP BY entity;
SELECT count(*) AS entities, count(*) FILTER (WHERE p.t = w.t) AS parallel_equals_serial
  FROM (SELECT entity, stage_agg(ts, stage, seq) AS t FROM st_big GROUP BY entity) p
  JOIN st_whole w ON w.entity = p.entity % 1000;
EXPLAIN (COSTS OFF) SELECT stage_agg(ts, stage, seq) FROM st_big;
SELECT (SELECT stage_agg(ts, stage, seq) FROM st_big)
	 = (SELECT stage_timeline_merge(t) FROM (SELECT t FROM st_whole, generate_series(1, 30)) s)
	   AS parallel_whole_equals_merged_copies;
EXPLAIN (COSTS OFF) SELECT stage_timeline_merge(t) FROM (SELECT t FROM st_rollup, generate_series(1, 3)) s;
SELECT (SELECT stage_timeline_merge(t) FROM (SELECT t FROM st_rollup, generate_series(1, 3)) s)
	 = (SELECT stage_timeline_merge(t) FROM (SELECT t FROM st_whole, generate_series(1, 3)) s)
	   AS parallel_merge_equals_serial;
RESET parallel_setup_cost;
RESET parallel_tuple_cost;
RESET min_parallel_table_scan_size;
RESET max_parallel_workers_per_gather;
RESET parallel_leader_participation;
