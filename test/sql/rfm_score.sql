-- rfm_score() as a window function (quantile and ntile methods), the
-- rfm_model aggregate and scoring with stored edges.
-- Expected values: the small example is worked out by hand in the comments;
-- the CDNOW scores are compared customer by customer with
-- test/data/rfm_cdnow_ref.csv, written by the independent R script
-- test/reference/segment/rfm_cdnow.R, whose printed counts, checksums and
-- edges (test/reference/segment/rfm_cdnow.out) the aggregates below repeat.
-- created by an earlier test; created here when the test runs alone
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS crm_sales;
RESET client_min_messages;
\set SHOW_CONTEXT never
SET search_path = public, crm_sales;
SET extra_float_digits = 0;

-- Ten customers: recency 1..10 days, frequency 10..1, monetary in pairs.
-- quantile, recency: bins of -recency at type-7 quantiles -10, -8.2, -6.4,
--   -4.6, -2.8, -1, so recency 9-10 -> 1, 7-8 -> 2, 5-6 -> 3, 3-4 -> 4, 1-2 -> 5.
-- quantile, frequency 1..10: edges 1, 2.8, 4.6, 6.4, 8.2, 10: 1-2 -> 1 ... 9-10 -> 5.
-- quantile, monetary (10,10,20,20,30,30,40,40,50,50): edges 10, 18, 26, 34,
--   42, 50: 10 -> 1, 20 -> 2, 30 -> 3, 40 -> 4, 50 -> 5.
-- ntile(3), ORDER BY id as tie-breaker: buckets of 4, 3, 3 rows.
--   recency DESC: ids 10..7 -> 1, 6..4 -> 2, 3..1 -> 3; frequency ASC (id 10
--   has the lowest): ids 10..7 -> 1, 6..4 -> 2, 3..1 -> 3; monetary ASC, ties
--   by id: (id 9, 10, 7, 8) -> 1, (5, 6, 3) -> 2, (4, 1, 2) -> 3.
CREATE TEMP TABLE ten AS
SELECT i AS id, i::float8 AS recency, (11 - i)::float8 AS frequency,
       (10 * (6 - (i + 1) / 2))::float8 AS monetary
  FROM generate_series(1, 10) i;
SELECT id, recency, frequency, monetary,
       rfm_score(recency, frequency, monetary) OVER () AS quantile5,
       rfm_score(recency, frequency, monetary, 3, 'ntile') OVER (ORDER BY id) AS ntile3
  FROM ten ORDER BY id;

-- Equal values always share a quantile score: frequency 1,1,1,1,2 gives
-- edges 1, 1.2, 2 (duplicates dropped), so four customers score 1 and one 2;
-- ntile splits the ties by the window's ORDER BY.
SELECT id, rfm_score(0, f, 1) OVER () AS quantile,
       rfm_score(0, f, 1, 5, 'ntile') OVER (ORDER BY id) AS ntile
  FROM (VALUES (1, 1.0), (2, 1), (3, 2), (4, 1), (5, 1)) t(id, f) ORDER BY id;

-- PARTITION BY scores each partition on its own; a NULL value gives NULL and
-- leaves the row out of the bins: group b scores its two other rows as group
-- a does (edges of -recency -2, -1.8, ..., -1: the more recent 5, the other 1;
-- frequency and monetary edges 1, 1.2, ..., 2: 1 -> 1, 2 -> 5)
SELECT g, id, rfm_score(r, f, m) OVER (PARTITION BY g) AS s
  FROM (VALUES ('a', 1, 1.0, 1.0, 1.0), ('a', 2, 2, 2, 2), ('b', 3, 1, 1, 1),
               ('b', 4, 2, 2, 2), ('b', 5, NULL, 2, 2)) t(g, id, r, f, m)
 ORDER BY id;

-- CDNOW 1/10 sample: 2,357 customers, R reference for 3, 5 and 9 buckets
-- (a plain table: test kmeans, which runs next, clusters the same customers)
CREATE TABLE ref (id int, recency float8, frequency float8, monetary float8,
  qr5 int, qf5 int, qm5 int, nr5 int, nf5 int, nm5 int,
  qr3 int, qf3 int, qm3 int, nr3 int, nf3 int, nm3 int,
  qr9 int, qf9 int, qm9 int, nr9 int, nf9 int, nm9 int);
\copy ref from 'test/data/rfm_cdnow_ref.csv' csv header
CREATE TEMP TABLE ours AS
SELECT id,
       rfm_score(recency, frequency, monetary) OVER () AS q5,
       rfm_score(recency, frequency, monetary, method => 'ntile') OVER (ORDER BY id) AS n5,
       rfm_score(recency, frequency, monetary, 3) OVER () AS q3,
       rfm_score(recency, frequency, monetary, 3, 'ntile') OVER (ORDER BY id) AS n3,
       rfm_score(recency, frequency, monetary, 9, 'quantile') OVER () AS q9,
       rfm_score(recency, frequency, monetary, 9, 'ntile') OVER (ORDER BY id) AS n9
  FROM ref;
-- mismatches against R, customer by customer: all 0
SELECT count(*) AS customers,
       count(*) FILTER (WHERE q5 IS DISTINCT FROM rfm(qr5, qf5, qm5)) AS q5_bad,
       count(*) FILTER (WHERE n5 IS DISTINCT FROM rfm(nr5, nf5, nm5)) AS n5_bad,
       count(*) FILTER (WHERE q3 IS DISTINCT FROM rfm(qr3, qf3, qm3, 3)) AS q3_bad,
       count(*) FILTER (WHERE n3 IS DISTINCT FROM rfm(nr3, nf3, nm3, 3)) AS n3_bad,
       count(*) FILTER (WHERE q9 IS DISTINCT FROM rfm(qr9, qf9, qm9, 9)) AS q9_bad,
       count(*) FILTER (WHERE n9 IS DISTINCT FROM rfm(nr9, nf9, nm9, 9)) AS n9_bad
  FROM ref JOIN ours USING (id);
-- checksums as R prints them: sum of r*100+f*10+m
-- (R: q5 746571, n5 784548, q3 507044, n3 523143, q9 1222823, n9 1307691)
SELECT sum(recency_score(q5) * 100 + frequency_score(q5) * 10 + monetary_score(q5)) AS q5,
       sum(recency_score(n5) * 100 + frequency_score(n5) * 10 + monetary_score(n5)) AS n5,
       sum(recency_score(q3) * 100 + frequency_score(q3) * 10 + monetary_score(q3)) AS q3,
       sum(recency_score(n3) * 100 + frequency_score(n3) * 10 + monetary_score(n3)) AS n3,
       sum(recency_score(q9) * 100 + frequency_score(q9) * 10 + monetary_score(q9)) AS q9,
       sum(recency_score(n9) * 100 + frequency_score(n9) * 10 + monetary_score(n9)) AS n9
  FROM ours;
-- score counts (R: qr5 482 471 463 470 471; qf5 1621 358 378 (3 bins: ties);
-- qm5 481 462 472 470 472)
SELECT s, count(*) FILTER (WHERE recency_score(q5) = s) AS r,
       count(*) FILTER (WHERE frequency_score(q5) = s) AS f,
       count(*) FILTER (WHERE monetary_score(q5) = s) AS m
  FROM ours, generate_series(1, 5) s GROUP BY s ORDER BY s;
-- the segments of the quantile scores (R, same grid: rfm_cdnow.out, last lines)
SELECT rfm_segment(q5) AS segment, rfm_lifecycle_stage(q5) AS stage, count(*)
  FROM ours GROUP BY 1, 2 ORDER BY 3 DESC, 1;

-- Stored edges.  R's edges (rfm_cdnow.out, q = 5): -recency -546 -513 -487
-- -443 -153 -1 (stored in recency units, ascending); frequency 1 2 4 44;
-- monetary 0 15.36 31.958 59.25 130.436000000000064 6552.7
SELECT rfm_model(recency, frequency, monetary) FROM ref;
SELECT rfm_model(recency, frequency, monetary, 3)::jsonb FROM ref;
CREATE TEMP TABLE models AS
SELECT rfm_model(recency, frequency, monetary) AS m5,
       rfm_model(recency, frequency, monetary, 9) AS m9 FROM ref;
-- text round trip
SELECT m5::text::rfm_model::text = m5::text AS text_round_trips FROM models;
-- binary round trip (COPY BINARY: rfm_model_send / rfm_model_recv)
SELECT '/tmp/crm_sales_rfm_model_' || pg_backend_pid() || '.bin' AS binfile \gset
COPY models TO :'binfile' (FORMAT binary);
CREATE TEMP TABLE models2 (LIKE models);
COPY models2 FROM :'binfile' (FORMAT binary);
\setenv CRM_BINFILE :binfile
\! rm -f "$CRM_BINFILE"
SELECT o.m5::text = n.m5::text AND o.m9::text = n.m9::text AS binary_round_trips
  FROM models o, models2 n;
-- scoring the same population with the stored edges gives the window's scores
SELECT count(*) FILTER (WHERE rfm_score(m5, recency, frequency, monetary) <> q5) AS m5_bad,
       count(*) FILTER (WHERE rfm_score(m9, recency, frequency, monetary) <> q9) AS m9_bad
  FROM ref JOIN ours USING (id), models;
-- new customers: values beyond the edges go to the end bins
SELECT rfm_score(m5, 0, 100, 99999) AS best, rfm_score(m5, 9999, 0, 0) AS worst,
       rfm_score(m5, 153, 2, 15.36) AS on_edges, rfm_score(m5, 152.5, 2.5, 15.37) AS above_edges
  FROM models;
-- the aggregate in parallel (partial states serialized and combined)
CREATE TABLE rfm_par AS SELECT * FROM ref, generate_series(1, 20) g;
ANALYZE rfm_par;
SET parallel_setup_cost = 0;
SET parallel_tuple_cost = 0;
SET min_parallel_table_scan_size = 0;
SET max_parallel_workers_per_gather = 2;
EXPLAIN (COSTS OFF) SELECT rfm_model(recency, frequency, monetary) FROM rfm_par;
-- parallel (partial states serialized, combined) and serial runs over the
-- same rows give the same edges
SELECT rfm_model(recency, frequency, monetary)::text =
       (SELECT rfm_model(recency, frequency, monetary)::text
          FROM (SELECT * FROM rfm_par ORDER BY id, g) o) AS parallel_same
  FROM rfm_par;
RESET parallel_setup_cost;
RESET parallel_tuple_cost;
RESET min_parallel_table_scan_size;
RESET max_parallel_workers_per_gather;
DROP TABLE rfm_par;
-- negative zero is zero (no "-0" edge); two customers, 2 buckets: edges at
-- the 0, 0.5, 1 quantiles of (0, 1): 0, 0.5, 1
SELECT rfm_model(r, f, m, 2) FROM (VALUES ('-0'::float8, '-0'::float8, 1::float8),
                                          (1, 1, '-0')) t(r, f, m);
SELECT rfm_model(r, f, m) IS NULL AS empty_is_null
  FROM (VALUES (1.0, 1.0, NULL::float8)) t(r, f, m);

-- Bad input
SELECT rfm_score(-1, 1, 1) OVER () FROM ten;
\echo :LAST_ERROR_SQLSTATE
SELECT rfm_score(1, 'NaN', 1) OVER () FROM ten;
\echo :LAST_ERROR_SQLSTATE
SELECT rfm_score(1, 1, 'Infinity') OVER () FROM ten;
\echo :LAST_ERROR_SQLSTATE
SELECT rfm_score(1, 1, 1, 10) OVER () FROM ten;
\echo :LAST_ERROR_SQLSTATE
SELECT rfm_score(1, 1, 1, 1) OVER () FROM ten;
\echo :LAST_ERROR_SQLSTATE
SELECT rfm_score(1, 1, 1, NULL) OVER () FROM ten;
\echo :LAST_ERROR_SQLSTATE
SELECT rfm_score(1, 1, 1, 5, 'median') OVER () FROM ten;
\echo :LAST_ERROR_SQLSTATE
SELECT rfm_score(1, 1, 1, method => NULL) OVER () FROM ten;
\echo :LAST_ERROR_SQLSTATE
SELECT rfm_model(recency, frequency, -monetary) FROM ten;
\echo :LAST_ERROR_SQLSTATE
SELECT rfm_model(recency, frequency, monetary, 0) FROM ten;
\echo :LAST_ERROR_SQLSTATE
SELECT rfm_model(recency, frequency, monetary, (id % 2 + 2)::int) FROM ten;
\echo :LAST_ERROR_SQLSTATE
SELECT rfm_score(m5, 1, 1, 'NaN') FROM models;
\echo :LAST_ERROR_SQLSTATE
SELECT '{"buckets": 5, "recency": [1, 2], "frequency": [3, 1], "monetary": [1]}'::rfm_model;
\echo :LAST_ERROR_SQLSTATE
SELECT '{"buckets": 5, "recency": [1, x], "frequency": [1], "monetary": [1]}'::rfm_model;
\echo :LAST_ERROR_SQLSTATE
SELECT '{"buckets": 5, "frequency": [1], "recency": [1], "monetary": [1]}'::rfm_model;
\echo :LAST_ERROR_SQLSTATE
SELECT '{"buckets": 1, "recency": [1], "frequency": [1], "monetary": [1]}'::rfm_model;
\echo :LAST_ERROR_SQLSTATE
SELECT '{"buckets": 2, "recency": [1, 2, 3, 4], "frequency": [1], "monetary": [1]}'::rfm_model;
\echo :LAST_ERROR_SQLSTATE
SELECT '{"buckets": 2, "recency": [1], "frequency": [1], "monetary": [1]} x'::rfm_model;
\echo :LAST_ERROR_SQLSTATE
SELECT '{ "buckets" : 2 , "recency" : [ 1 , 5 ] , "frequency" : [1], "monetary" : [0.5] }'::rfm_model;
