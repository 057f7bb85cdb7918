-- sequence_next_node: ClickHouse's sequenceNextNode.  ClickHouse 18.16 has
-- no such function, so the expected values come from an independent Python
-- transcription of current ClickHouse's algorithm
-- (test/reference/clickhouse/next_node/next_node_reference.py: generated
-- rows with ties in time and values that are prefixes of each other), plus
-- hand-derived cases, NULLs, errors and a parallel plan.
\set SHOW_CONTEXT never
SET search_path = crm_sales, public;
CREATE TABLE nn_rows (entity int, ts int, value text, base int, c1 int, c2 int, c3 int);
\copy nn_rows FROM 'test/reference/clickhouse/next_node/rows.csv' WITH (FORMAT csv, HEADER)
CREATE TABLE nn_expected (direction text, base text, nevents int, entity int, value text);
\copy nn_expected FROM 'test/reference/clickhouse/next_node/expected.csv' WITH (FORMAT csv, HEADER, NULL '\N')
SELECT count(*) AS rows, count(DISTINCT entity) AS entities FROM nn_rows;
CREATE TABLE nn_ours AS
SELECT c.direction, c.base, 0 AS nevents, r.entity,
	   sequence_next_node(c.direction, c.base, to_timestamp(r.ts), r.value, r.base = 1) AS value
  FROM nn_rows r CROSS JOIN (VALUES ('forward', 'head'), ('backward', 'tail')) c(direction, base)
 GROUP BY 1, 2, 3, 4
UNION ALL
SELECT c.direction, c.base, 1, r.entity,
	   sequence_next_node(c.direction, c.base, to_timestamp(r.ts), r.value, r.base = 1, r.c1 = 1)
  FROM nn_rows r CROSS JOIN (SELECT DISTINCT direction, base FROM nn_expected) c
 GROUP BY 1, 2, 3, 4
UNION ALL
SELECT c.direction, c.base, 2, r.entity,
	   sequence_next_node(c.direction, c.base, to_timestamp(r.ts), r.value, r.base = 1, r.c1 = 1, r.c2 = 1)
  FROM nn_rows r CROSS JOIN (SELECT DISTINCT direction, base FROM nn_expected) c
 GROUP BY 1, 2, 3, 4
UNION ALL
SELECT c.direction, c.base, 3, r.entity,
	   sequence_next_node(c.direction, c.base, to_timestamp(r.ts), r.value, r.base = 1,
						  r.c1 = 1, r.c2 = 1, r.c3 = 1)
  FROM nn_rows r CROSS JOIN (SELECT DISTINCT direction, base FROM nn_expected) c
 GROUP BY 1, 2, 3, 4;
-- every (direction, base, events, entity): 0 mismatches; answers not all NULL
SELECT x.direction, x.base, x.nevents, count(*) AS compared,
	   count(*) FILTER (WHERE o.value IS DISTINCT FROM x.value) AS mismatches,
	   count(x.value) AS answers
  FROM nn_expected x FULL JOIN nn_ours o USING (direction, base, nevents, entity)
 GROUP BY 1, 2, 3 ORDER BY 1, 2, 3;

-- parallel plan: partial states cross processes, same answers
SET parallel_setup_cost = 0;
SET parallel_tuple_cost = 0;
SET min_parallel_table_scan_size = 0;
SET max_parallel_workers_per_gather = 2;
SET enable_hashagg = off;
EXPLAIN (COSTS OFF)
SELECT entity, sequence_next_node('backward', 'last_match', to_timestamp(ts), value, base = 1, c1 = 1, c2 = 1)
  FROM nn_rows GROUP BY entity;
SELECT count(*) AS compared, count(*) FILTER (WHERE o.v IS DISTINCT FROM x.value) AS mismatches
  FROM (SELECT entity, sequence_next_node('backward', 'last_match', to_timestamp(ts), value, base = 1,
										  c1 = 1, c2 = 1) AS v
		  FROM nn_rows GROUP BY entity) o
  JOIN nn_expected x ON x.entity = o.entity AND x.direction = 'backward' AND x.base = 'last_match'
					AND x.nevents = 2;
RESET parallel_setup_cost;
RESET parallel_tuple_cost;
RESET min_parallel_table_scan_size;
RESET max_parallel_workers_per_gather;
RESET enable_hashagg;

-- Hand-derived: a deal's stages lead@1 contact@2 proposal@3 lost@4 (base
-- condition true everywhere).  What follows contact?  forward first_match
-- with event1 = contact: node after contact = proposal.  What came before
-- lost?  backward last_match with event1 = lost: proposal.  After
-- lead -> contact?  forward head, events lead, contact: proposal.  The
-- first stage?  forward head, no event: lead; the last: backward tail: lost.
CREATE TABLE nn_deal (at int, stage text);
INSERT INTO nn_deal VALUES (1, 'lead'), (2, 'contact'), (3, 'proposal'), (4, 'lost');
SELECT sequence_next_node('forward', 'first_match', to_timestamp(at), stage, true, stage = 'contact') AS "proposal",
	   sequence_next_node('backward', 'last_match', to_timestamp(at), stage, true, stage = 'lost') AS "proposal ",
	   sequence_next_node('forward', 'head', to_timestamp(at), stage, true, stage = 'lead', stage = 'contact') AS "proposal  ",
	   sequence_next_node('forward', 'head', to_timestamp(at), stage, true) AS "lead",
	   sequence_next_node('backward', 'tail', to_timestamp(at), stage, true) AS "lost",
	   -- backward from lost through proposal: events lost, proposal -> contact
	   sequence_next_node('backward', 'tail', to_timestamp(at), stage, true,
						  stage = 'lost', stage = 'proposal') AS "contact",
	   -- head is lead, which is not contact: no answer
	   sequence_next_node('forward', 'head', to_timestamp(at), stage, true, stage = 'contact') IS NULL AS "null",
	   -- the chain reaches the end: no node after lost
	   sequence_next_node('forward', 'first_match', to_timestamp(at), stage, true, stage = 'lost') IS NULL AS "null ",
	   -- the base condition restricts the base: first_match among at >= 2
	   sequence_next_node('forward', 'first_match', to_timestamp(at), stage, at >= 2, true) AS "proposal   "
  FROM nn_deal;
-- equal timestamps sort by value: 'B'@1 'A'@1 -> A first; head forward -> A
SELECT sequence_next_node('forward', 'head', to_timestamp(t), v, true) AS "A"
  FROM (VALUES (1, 'B'), (1, 'A'), (2, 'C')) x(t, v);
-- NULLs: a NULL value or timestamp skips the row, a NULL condition is
-- false; no rows: NULL
SELECT sequence_next_node('forward', 'first_match', t, v, true, c) AS "C"
  FROM (VALUES (timestamptz '2026-01-01 00:00:01+00', 'A', true), (NULL, 'X', true),
			   ('2026-01-01 00:00:02+00', NULL, NULL), ('2026-01-01 00:00:03+00', 'C', NULL)) x(t, v, c);
SELECT sequence_next_node('forward', 'head', now(), 'a', true) FILTER (WHERE false) IS NULL AS "true";
-- errors
SELECT sequence_next_node('backward', 'head', now(), 'a', true);
\echo :LAST_ERROR_SQLSTATE
SELECT sequence_next_node('forward', 'tail', now(), 'a', true, true);
\echo :LAST_ERROR_SQLSTATE
SELECT sequence_next_node('forward', 'first_match', now(), 'a', true);
\echo :LAST_ERROR_SQLSTATE
SELECT sequence_next_node('sideways', 'head', now(), 'a', true);
\echo :LAST_ERROR_SQLSTATE
SELECT sequence_next_node('forward', 'Head', now(), 'a', true);
\echo :LAST_ERROR_SQLSTATE
SELECT sequence_next_node('forward', 'head', now(), 'a', true, true, VARIADIC array_fill(true, ARRAY[32]));
\echo :LAST_ERROR_SQLSTATE
SELECT sequence_next_node(CASE WHEN g = 1 THEN 'forward' ELSE 'backward' END, 'first_match', now(), 'a', true, true)
  FROM generate_series(1, 2) g;
\echo :LAST_ERROR_SQLSTATE
SELECT sequence_next_node('forward', 'head', 'infinity', 'a', true);
\echo :LAST_ERROR_SQLSTATE
SET crm_sales.sequence_max_events = 2;
SELECT sequence_next_node('forward', 'head', to_timestamp(g), g::text, true) FROM generate_series(1, 3) g;
\echo :LAST_ERROR_SQLSTATE
RESET crm_sales.sequence_max_events;
DROP TABLE nn_rows, nn_expected, nn_ours, nn_deal;
