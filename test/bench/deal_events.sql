-- Deterministic generator of the deal-event table used by the funnel
-- benchmarks (test/bench/funnel_bench.sh, test/bench/event_funnel_bench.sh).
--   psql -v rows=1000000 -f test/bench/deal_events.sql
-- Columns: entity (deal id), ts (event time), step (1..5, the funnel step the
-- event marks), region (8 values), amount (numeric(12,2)).  Each deal has 5
-- event slots; about 70 % of events follow the deal's progression (slot k is
-- step k+1) and the rest are random steps, so the event log has repeats and
-- out-of-order steps like a real one.  Event times of one deal are spread
-- over a start in 2026 plus up to 3 days per slot, in whole seconds (as
-- ClickHouse's DateTime keeps them).  The numbers come from
-- hashint8 of the row number: the same rows on every run of a PostgreSQL 15.
\set ON_ERROR_STOP 1
DROP TABLE IF EXISTS deal_events;
CREATE UNLOGGED TABLE deal_events AS
SELECT i / 5 + 1 AS entity,
	   date_trunc('second', timestamptz '2026-01-01 00:00:00+00'
		 + (h3 * 365) * interval '1 day'
		 + (i % 5) * (h4 * 3) * interval '1 day') AS ts,
	   CASE WHEN h1 < 0.7 THEN (i % 5)::int + 1 ELSE 1 + floor(h2 * 5)::int END AS step,
	   'r' || ((i / 5) % 8) AS region,
	   round((h5 * 10000)::numeric, 2) AS amount
  FROM generate_series(0, :rows - 1) AS i,
	   LATERAL (SELECT (hashint8(i * 5 + 1)::float8 + 2147483648) / 4294967296 AS h1,
					   (hashint8(i * 5 + 2)::float8 + 2147483648) / 4294967296 AS h2,
					   (hashint8(i / 5 * 5 + 3)::float8 + 2147483648) / 4294967296 AS h3,
					   (hashint8(i / 5 * 5 + 4)::float8 + 2147483648) / 4294967296 AS h4,
					   (hashint8(i * 5 + 5)::float8 + 2147483648) / 4294967296 AS h5) AS h;
ANALYZE deal_events;
