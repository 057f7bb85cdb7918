-- The crm_sales.rfm type: text and binary forms, accessors, order, hashing,
-- the named segments and the lifecycle stage each suggests.  Expected
-- values follow from the definitions in README "The rfm type" and the
-- segment grid there (each cell checked against the R and FM ranges of the
-- 11-segment table it cites); nothing here was copied from a run.
-- created by an earlier test; created here when the test runs alone
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS crm_sales;
RESET client_min_messages;
\set SHOW_CONTEXT never
SET search_path = public, crm_sales;

-- Text form: 'R-F-M' on 5 buckets, 'R-F-M/N' otherwise; '/5' normalizes away
SELECT v, v::rfm AS parsed, v::rfm::text = v AS round_trips
  FROM (VALUES ('5-4-3'), ('1-1-1'), ('7-2-9/9'), ('2-1-2/2'), ('5-4-3/5')) t(v);

-- Malformed text: 22P02 with the offending text
SELECT ''::rfm;
\echo :LAST_ERROR_SQLSTATE
SELECT '5-4'::rfm;
\echo :LAST_ERROR_SQLSTATE
SELECT '5-4-3-'::rfm;
\echo :LAST_ERROR_SQLSTATE
SELECT ' 5-4-3'::rfm;
\echo :LAST_ERROR_SQLSTATE
SELECT '5 -4-3'::rfm;
\echo :LAST_ERROR_SQLSTATE
SELECT '0-1-1'::rfm;
\echo :LAST_ERROR_SQLSTATE
SELECT '6-1-1'::rfm;
\echo :LAST_ERROR_SQLSTATE
SELECT '10-1-1'::rfm;
\echo :LAST_ERROR_SQLSTATE
SELECT '5-4-3/1'::rfm;
\echo :LAST_ERROR_SQLSTATE
SELECT '5-4-3/10'::rfm;
\echo :LAST_ERROR_SQLSTATE
SELECT '8-4-3/7'::rfm;
\echo :LAST_ERROR_SQLSTATE
SELECT 'a-b-c'::rfm;
\echo :LAST_ERROR_SQLSTATE

-- Constructor and accessors
SELECT rfm(5, 4, 3), rfm(7, 2, 9, 9), rfm(1, 2, 2, 2);
SELECT recency_score(v), frequency_score(v), monetary_score(v), rfm_buckets(v)
  FROM (VALUES ('5-4-3'::rfm), ('7-2-9/9')) t(v);
SELECT rfm(6, 1, 1);
\echo :LAST_ERROR_SQLSTATE
SELECT rfm(0, 1, 1);
\echo :LAST_ERROR_SQLSTATE
SELECT rfm(1, 1, 1, 10);
\echo :LAST_ERROR_SQLSTATE
SELECT rfm(1, 1, 1, 1);
\echo :LAST_ERROR_SQLSTATE
SELECT rfm(NULL, 1, 1) IS NULL AS null_in_null_out;

-- Binary form: four bytes R, F, M, N
SELECT rfm_send('5-4-3'), rfm_send('7-2-9/9');
CREATE TEMP TABLE rfm_bin (v rfm);
INSERT INTO rfm_bin VALUES ('5-4-3'), ('7-2-9/9'), ('1-1-1'), (NULL);
SELECT '/tmp/crm_sales_rfm_type_' || pg_backend_pid() || '.bin' AS binfile \gset
COPY rfm_bin TO :'binfile' (FORMAT binary);
CREATE TEMP TABLE rfm_bin2 (v rfm);
COPY rfm_bin2 FROM :'binfile' (FORMAT binary);
SELECT v FROM rfm_bin2 ORDER BY v NULLS LAST;
\setenv CRM_BINFILE :binfile
\! rm -f "$CRM_BINFILE"

-- Order: by R, then F, then M, then the bucket count
SELECT v FROM (VALUES ('4-5-5'::rfm), ('5-1-1'), ('4-5-4'), ('1-1-1'),
                      ('4-5-5/9'), ('4-4-5'), ('5-1-1/6')) t(v)
 ORDER BY v;
SELECT '5-1-1'::rfm > '4-5-5' AS gt, '4-5-4'::rfm < '4-5-5' AS lt,
       '4-5-5'::rfm <= '4-5-5' AS le, '4-5-5'::rfm >= '4-5-5/9' AS ge,
       '4-5-5'::rfm = '4-5-5/5' AS eq, '4-5-5'::rfm <> '4-5-5/9' AS ne,
       rfm_cmp('1-1-1', '1-1-2') AS cmp_lt, rfm_cmp('3-3-3', '3-3-3') AS cmp_eq,
       rfm_cmp('3-3-3/9', '3-3-3') AS cmp_gt;

-- btree and hash indexes, hash grouping
CREATE TEMP TABLE scored (id int, v rfm);
INSERT INTO scored SELECT i, rfm(1 + i % 5, 1 + (i / 5) % 5, 1 + (i / 25) % 5)
  FROM generate_series(0, 124) i;
CREATE INDEX ON scored (v);
CREATE INDEX ON scored USING hash (v);
SET enable_seqscan = off;
SET enable_bitmapscan = off;
EXPLAIN (COSTS OFF) SELECT id FROM scored WHERE v >= '5-5-4';
SELECT id, v FROM scored WHERE v >= '5-5-4' ORDER BY v;
SET enable_indexscan = off;
SET enable_bitmapscan = on;
EXPLAIN (COSTS OFF) SELECT id FROM scored WHERE v = '3-2-1';
SELECT id FROM scored WHERE v = '3-2-1';
RESET enable_seqscan;
RESET enable_indexscan;
RESET enable_bitmapscan;
SET enable_sort = off;
SELECT count(*) AS groups, sum(n) AS rows
  FROM (SELECT v, count(*) AS n FROM scored GROUP BY v) g;
RESET enable_sort;

-- The named segments: the full 5 x 5 grid of R x FM, FM = round-half-up((F+M)/2)
SELECT * FROM rfm_segments;
-- FM rounding: F 4 and M 5 average 4.5 -> FM 5; F 1 and M 2 average 1.5 -> FM 2
SELECT rfm_segment('1-4-5') AS r1_fm5, rfm_segment('1-1-2') AS r1_fm2,
       rfm_segment('1-3-4') AS r1_fm4, rfm_segment('5-5-5') AS champions,
       rfm_lifecycle_stage('5-5-5') AS stage, pg_typeof(rfm_lifecycle_stage('1-1-1'));
-- the 11 segments with their number of grid cells and their lifecycle stage
SELECT segment, count(*) AS cells, min(lifecycle_stage) AS stage
  FROM rfm_segments GROUP BY segment ORDER BY segment;
-- counts of every 125 score triples per segment (grid cells x the (F, M) pairs
-- of each FM: FM 1: 1 pair, 2: 5, 3: 9, 4: 7, 5: 3), so Champions 2 x (7 + 3) = 20,
-- Potential Loyalist 2 x (5 + 9) = 28, New 1, Promising 2, Need Attention 5,
-- Loyal 9 + 7 + 3 = 19, About To Sleep 6, At Risk 19 + 9 = 28, Lost 1,
-- Hibernating 5, Cannot Lose Them 10
SELECT rfm_segment(v) AS segment, count(*) FROM scored GROUP BY 1 ORDER BY 1;
SELECT rfm_segment('5-4-3/9');
\echo :LAST_ERROR_SQLSTATE
SELECT rfm_lifecycle_stage('5-4-3/6');
\echo :LAST_ERROR_SQLSTATE
