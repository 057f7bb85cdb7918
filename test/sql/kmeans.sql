-- crm_sales.kmeans() and closest_centroid().  Reference: R's
-- kmeans(x, k, nstart = 10) (Hartigan-Wong) in test/reference/segment/kmeans_ref.R,
-- its output in kmeans_ref.out; our WCSS must be no worse (<= R's + 1e-9).
-- created by an earlier test; created here when the test runs alone
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS crm_sales;
RESET client_min_messages;
\set SHOW_CONTEXT never
SET search_path = public, crm_sales;
SET extra_float_digits = 0;

-- R's iris[, 1:4]
CREATE TEMP TABLE iris (sl float8, sw float8, pl float8, pw float8);
\copy iris from 'test/data/iris.csv' csv header
CREATE TEMP TABLE iris_fit AS
SELECT k, kmeans(ARRAY[sl, sw, pl, pw], k, 1) AS c
  FROM iris, generate_series(2, 5) k GROUP BY k;
-- WCSS against R (kmeans_ref.out): k=2 152.3479517604, k=3 78.8514414261,
-- k=4 57.2284732143, k=5 46.4461820513
SELECT f.k, round(w.wcss::numeric, 6) AS wcss, r.wcss AS r_wcss,
       w.wcss <= r.wcss + 1e-9 AS no_worse_than_r
  FROM iris_fit f
  CROSS JOIN LATERAL (SELECT sum(closest_centroid_distance(ARRAY[sl, sw, pl, pw], f.c) ^ 2) AS wcss
                        FROM iris) w
  JOIN (VALUES (2, 152.3479517604), (3, 78.8514414261), (4, 57.2284732143),
               (5, 46.4461820513)) r(k, wcss) ON r.k = f.k
 ORDER BY f.k;
-- k = 3: R's centres (rows sorted by the first column):
-- 5.006 3.428 1.462 0.246 / 5.901612903 2.748387097 4.393548387 1.433870968 /
-- 6.85 3.073684211 5.742105263 2.071052632
SELECT i, round(c[i][1]::numeric, 6) AS sl, round(c[i][2]::numeric, 6) AS sw,
       round(c[i][3]::numeric, 6) AS pl, round(c[i][4]::numeric, 6) AS pw
  FROM iris_fit, generate_series(1, 3) i WHERE k = 3 ORDER BY i;
-- cluster sizes at k = 3 (R, same order: 50, 62, 38)
SELECT closest_centroid(ARRAY[sl, sw, pl, pw], c) AS cluster, count(*)
  FROM iris, iris_fit WHERE k = 3 GROUP BY 1 ORDER BY 1;

-- CDNOW sample customers (table ref of test rfm_score), z-scored recency,
-- frequency, monetary
CREATE TEMP TABLE z AS
SELECT id, ARRAY[(recency - avg(recency) OVER ()) / stddev_samp(recency) OVER (),
                 (frequency - avg(frequency) OVER ()) / stddev_samp(frequency) OVER (),
                 (monetary - avg(monetary) OVER ()) / stddev_samp(monetary) OVER ()] AS f
  FROM ref;
-- R (kmeans_ref.out): k=3 2215.7931414542, k=4 1786.3534384524, k=6 1277.2326738673
SELECT r.k, w.wcss <= r.wcss + 1e-9 AS no_worse_than_r,
       round(w.wcss::numeric, 4) AS wcss, r.wcss AS r_wcss
  FROM (VALUES (3, 2215.7931414542), (4, 1786.3534384524), (6, 1277.2326738673)) r(k, wcss)
  CROSS JOIN LATERAL (SELECT kmeans(f, r.k, 7) AS c FROM z) fit
  CROSS JOIN LATERAL (SELECT sum(closest_centroid_distance(f, fit.c) ^ 2) AS wcss FROM z) w
 ORDER BY r.k;

-- Deterministic for a seed, whatever the row order; parallel gives the same
SELECT (SELECT kmeans(f, 4, 3) FROM (SELECT * FROM z ORDER BY id) a) =
       (SELECT kmeans(f, 4, 3) FROM (SELECT * FROM z ORDER BY id DESC) b) AS order_independent;
CREATE TABLE km_par AS SELECT * FROM z;
ANALYZE km_par;
SET parallel_setup_cost = 0;
SET parallel_tuple_cost = 0;
SET min_parallel_table_scan_size = 0;
SET max_parallel_workers_per_gather = 2;
EXPLAIN (COSTS OFF) SELECT kmeans(f, 4, 3) FROM km_par;
SELECT kmeans(f, 4, 3) = (SELECT kmeans(f, 4, 3) FROM z) AS parallel_same FROM km_par;
RESET parallel_setup_cost;
RESET parallel_tuple_cost;
RESET min_parallel_table_scan_size;
RESET max_parallel_workers_per_gather;
DROP TABLE km_par;

-- Small cases worked by hand: two pairs -> centres (0, 0.5) and (10, 10.5)
SELECT kmeans(ARRAY[x, y], 2) FROM (VALUES (0.0, 0.0), (0, 1), (10, 10), (10, 11)) t(x, y);
SELECT closest_centroid('{9, 9}', '{{0, 0.5}, {10, 10.5}}') AS c2,
       closest_centroid('{5, 5.5}', '{{0, 0.5}, {10, 10.5}}') AS tie_lowest,
       closest_centroid_distance('{3, 4.5}', '{{0, 0.5}, {10, 10.5}}') AS dist5;
-- k = 1: the mean (1 + 2 + 6) / 3 = 3; NULL vectors are skipped
SELECT kmeans(CASE WHEN x IS NOT NULL THEN ARRAY[x] END, 1)
  FROM (VALUES (1.0), (2), (6), (NULL)) t(x);
SELECT kmeans(v, 1) FROM (VALUES (NULL::float8[])) t(v);
SELECT kmeans(ARRAY[x], 2) IS NULL AS no_rows FROM (SELECT 1.0 AS x WHERE false) t;

-- Bad input
SELECT kmeans(ARRAY[x], 0) FROM (VALUES (1.0), (2)) t(x);
\echo :LAST_ERROR_SQLSTATE
SELECT kmeans(ARRAY[x], 3) FROM (VALUES (1.0), (2)) t(x);
\echo :LAST_ERROR_SQLSTATE
SELECT kmeans(ARRAY[x], 2) FROM (VALUES (1.0), (1), (1)) t(x);
\echo :LAST_ERROR_SQLSTATE
SELECT kmeans(v, 2) FROM (VALUES ('{1, 2}'::float8[]), ('{1, 2, 3}')) t(v);
\echo :LAST_ERROR_SQLSTATE
SELECT kmeans(v, 1) FROM (VALUES ('{1, NULL}'::float8[])) t(v);
\echo :LAST_ERROR_SQLSTATE
SELECT kmeans(v, 1) FROM (VALUES ('{1, NaN}'::float8[])) t(v);
\echo :LAST_ERROR_SQLSTATE
SELECT kmeans(v, 1) FROM (VALUES ('{}'::float8[])) t(v);
\echo :LAST_ERROR_SQLSTATE
SELECT kmeans(v, 1) FROM (VALUES ('{{1, 2}, {3, 4}}'::float8[])) t(v);
\echo :LAST_ERROR_SQLSTATE
SELECT kmeans(ARRAY[x], k) FROM (VALUES (1.0, 1), (2, 2)) t(x, k);
\echo :LAST_ERROR_SQLSTATE
SELECT kmeans(ARRAY[x], NULL) FROM (VALUES (1.0)) t(x);
\echo :LAST_ERROR_SQLSTATE
SELECT kmeans(ARRAY[x], 1, NULL) FROM (VALUES (1.0)) t(x);
\echo :LAST_ERROR_SQLSTATE
SELECT closest_centroid('{1, 2, 3}', '{{0, 0.5}, {10, 10.5}}');
\echo :LAST_ERROR_SQLSTATE
SELECT closest_centroid('{1, 2}', '{0, 0.5}');
\echo :LAST_ERROR_SQLSTATE
SELECT closest_centroid('{1, Infinity}', '{{0, 0.5}}');
\echo :LAST_ERROR_SQLSTATE
SELECT closest_centroid('{1, 2}', '{{0, NULL}}');
\echo :LAST_ERROR_SQLSTATE
SELECT closest_centroid(NULL, '{{0, 1}}') IS NULL AS null_in_null_out;
DROP TABLE ref;
