-- Rule-based lead scoring: crm_sales.lead_score(), lead_score_explain(), the
-- rule tables and the per-backend rule cache.  Every expected score is the
-- sum of the points of the rules that match by the README's operator table,
-- worked out in the comments.
-- created by an earlier test; created here when the test runs alone
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS crm_sales;
RESET client_min_messages;
\set SHOW_CONTEXT never
SET search_path = public, crm_sales;

-- no rule set exists yet: the error says so (later: it lists them)
SELECT lead_score('b2b', '{}');

INSERT INTO lead_score_rule_set VALUES ('b2b', 'B2B inbound leads');
INSERT INTO lead_score_rule (rule_set, rule_id, attribute, operator, value, points, effect) VALUES
	('b2b', 1, '{company,size}', '>=', '100', 20, 'positive'),
	('b2b', 2, '{email}', 'contains', '"@gmail."', 10, 'negative'),
	('b2b', 3, '{country}', 'in', '["DE", "FR"]', 5, 'positive'),
	('b2b', 4, '{phone}', 'exists', NULL, 3, 'positive'),
	('b2b', 5, '{tags}', 'contains', '"webinar"', 7, 'positive'),
	('b2b', 6, '{title}', '=', '"CEO"', 15, 'positive'),
	('b2b', 7, '{company,industry}', '<>', '"education"', 4, 'positive'),
	('b2b', 8, '{visits}', '<', '2', 6, 'negative'),
	('b2b', 9, '{visits}', '>', '10', 8, 'positive'),
	('b2b', 10, '{budget}', '<=', '1000', 9, 'negative'),
	('b2b', 11, '{email}', 'not_exists', NULL, 12, 'negative'),
	('b2b', 12, '{tags,0}', '=', '"referral"', 11, 'positive'),
	('b2b', 13, '{source}', 'not_in', '["ads", "cold"]', 2, 'positive'),
	('b2b', 14, '{signup}', '>=', '"2026-01-01"', 1, 'positive'),
	('b2b', 15, '{notes}', 'not_contains', '"spam"', 1, 'positive');

CREATE TEMP TABLE leads (id int, doc jsonb);
INSERT INTO leads VALUES
 -- 1: size 250 >= 100 (+20), gmail (-10), DE (+5), phone null = absent (0),
 --    tags has webinar (+7), CEO (+15), industry absent (0), visits 12 > 10
 --    (+8), budget absent, email present, tags[0] referral (+11), source
 --    absent (0), signup 2026-03-01 >= 2026-01-01 (+1), notes absent (0): 57
 (1, '{"company": {"size": 250}, "email": "x@GMAIL.com", "country": "DE",
       "tags": ["referral", "webinar"], "title": "CEO", "phone": null,
       "visits": 12, "signup": "2026-03-01"}'),
 -- 2: size 99 (0), no email (-12), US (0), phone (+3), industry retail (+4),
 --    visits 1 < 2 (-6), budget 1000 <= 1000 (-9), source web not in list
 --    (+2), notes without spam (+1): -17
 (2, '{"company": {"size": 99, "industry": "retail"}, "country": "US",
       "phone": "+1 555", "visits": 1, "budget": 1000, "source": "web",
       "notes": "asked for a demo"}'),
 -- 3: empty document: only not_exists email (-12): -12
 (3, '{}'),
 -- 4: mismatched types never match: size "big" is no number, title 5 is no
 --    string, visits "12" is no number; source ads is in the list (0); notes
 --    contain SPAM (case-insensitive, 0): 0
 (4, '{"company": {"size": "big"}, "title": 5, "visits": "12", "source": "ads",
       "email": "a@b.c", "notes": "SPAM bot"}'),
 -- 5: a scalar document has no attributes: not_exists email (-12): -12
 (5, '"just text"');
SELECT id, lead_score('b2b', doc) FROM leads ORDER BY id;
-- the explain rows sum to the score
SELECT * FROM lead_score_explain('b2b', (SELECT doc FROM leads WHERE id = 1));
SELECT * FROM lead_score_explain('b2b', (SELECT doc FROM leads WHERE id = 2));
SELECT l.id, lead_score('b2b', l.doc) = (SELECT coalesce(sum(points), 0)
                                           FROM lead_score_explain('b2b', l.doc)) AS sums_match
  FROM leads l ORDER BY l.id;

-- The cache follows changes (same session, next statement)
UPDATE lead_score_rule SET points = 50 WHERE rule_set = 'b2b' AND rule_id = 1;
SELECT lead_score('b2b', doc) FROM leads WHERE id = 1;	-- 57 + 30 = 87
DELETE FROM lead_score_rule WHERE rule_set = 'b2b' AND rule_id = 2;
SELECT lead_score('b2b', doc) FROM leads WHERE id = 1;	-- 87 + 10 = 97
BEGIN;
UPDATE lead_score_rule SET effect = 'negative' WHERE rule_set = 'b2b' AND rule_id = 6;
SELECT lead_score('b2b', doc) FROM leads WHERE id = 1;	-- 97 - 30 = 67
ROLLBACK;
SELECT lead_score('b2b', doc) FROM leads WHERE id = 1;	-- back to 97
-- renaming the rule set carries its rules along (ON UPDATE CASCADE)
UPDATE lead_score_rule_set SET rule_set = 'b2b_v2' WHERE rule_set = 'b2b';
SELECT lead_score('b2b_v2', doc) FROM leads WHERE id = 1;	-- 97
SELECT lead_score('b2b', '{}');
\echo :LAST_ERROR_SQLSTATE
-- an empty rule set scores 0; TRUNCATE empties the cache too
INSERT INTO lead_score_rule_set VALUES ('empty');
SELECT lead_score('empty', '{"a": 1}');
TRUNCATE lead_score_rule;
SELECT lead_score('b2b_v2', doc) FROM leads WHERE id = 1;	-- 0

-- NULL in, NULL out
SELECT lead_score(NULL, '{}') IS NULL AS n1, lead_score('empty', NULL) IS NULL AS n2;

-- Bad rules are refused by the table
INSERT INTO lead_score_rule VALUES ('empty', 1, '{a}', 'like', '"x"', 1);
\echo :LAST_ERROR_SQLSTATE
INSERT INTO lead_score_rule VALUES ('empty', 1, '{a}', '=', NULL, 1);
\echo :LAST_ERROR_SQLSTATE
INSERT INTO lead_score_rule VALUES ('empty', 1, '{a}', 'in', '"x"', 1);
\echo :LAST_ERROR_SQLSTATE
INSERT INTO lead_score_rule VALUES ('empty', 1, '{a}', '=', '1', -5);
\echo :LAST_ERROR_SQLSTATE
INSERT INTO lead_score_rule VALUES ('empty', 1, '{}', '=', '1', 5);
\echo :LAST_ERROR_SQLSTATE
INSERT INTO lead_score_rule VALUES ('nope', 1, '{a}', '=', '1', 5);
\echo :LAST_ERROR_SQLSTATE
INSERT INTO lead_score_rule VALUES ('empty', 1, '{a}', '=', '1', 5, 'neutral');
\echo :LAST_ERROR_SQLSTATE

-- A rule whose CHECK was bypassed (constraint dropped) is reported at scoring
ALTER TABLE lead_score_rule DROP CONSTRAINT lead_score_rule_operator_check;
INSERT INTO lead_score_rule VALUES ('empty', 1, '{a}', 'like', '"x"', 1);
SELECT lead_score('empty', '{"a": "x"}');
\echo :LAST_ERROR_SQLSTATE
DELETE FROM lead_score_rule WHERE rule_set = 'empty';
ALTER TABLE lead_score_rule ADD CONSTRAINT lead_score_rule_operator_check
	CHECK (operator IN ('=', '<>', '<', '<=', '>', '>=', 'contains', 'not_contains',
						'exists', 'not_exists', 'in', 'not_in'));

-- Scores beyond integer: 22003
INSERT INTO lead_score_rule VALUES ('empty', 1, '{a}', 'exists', NULL, 2000000000),
	('empty', 2, '{b}', 'exists', NULL, 2000000000);
SELECT lead_score('empty', '{"a": 1, "b": 2}');
\echo :LAST_ERROR_SQLSTATE
SELECT lead_score('empty', '{"a": 1}');

-- Parallel workers load the rules too.  A rule set of its own: v = i % 10 > 5
-- holds for 4 rows in 10, 3 points each: 10,000 leads -> 4,000 x 3 = 12,000
INSERT INTO lead_score_rule_set VALUES ('par');
INSERT INTO lead_score_rule VALUES ('par', 1, '{v}', '>', '5', 3);
CREATE TABLE lead_par AS SELECT jsonb_build_object('v', i % 10) AS d
  FROM generate_series(1, 10000) i;
ANALYZE lead_par;
SET parallel_setup_cost = 0;
SET parallel_tuple_cost = 0;
SET min_parallel_table_scan_size = 0;
SET max_parallel_workers_per_gather = 2;
EXPLAIN (COSTS OFF) SELECT sum(lead_score('par', d)) FROM lead_par;
SELECT sum(lead_score('par', d)) FROM lead_par;
RESET parallel_setup_cost;
RESET parallel_tuple_cost;
RESET min_parallel_table_scan_size;
RESET max_parallel_workers_per_gather;
DROP TABLE lead_par;

-- The loader's queries do not take operators from the caller's search_path:
-- with a schema whose text = text is always true listed before pg_catalog,
-- rule set sp1 (one rule: a exists, +5) still scores 5.  The loader used to
-- read every rule of every set, all as negative: -2000000105 here (sp1's 5,
-- sp2's 100 and set empty's 2000000000 on a), and kept that in the cache
-- after the search_path was reset.
CREATE SCHEMA ls_evil;
CREATE FUNCTION ls_evil.texteq(text, text) RETURNS boolean
	LANGUAGE sql IMMUTABLE AS 'SELECT true';
CREATE OPERATOR ls_evil.= (LEFTARG = text, RIGHTARG = text, FUNCTION = ls_evil.texteq);
INSERT INTO lead_score_rule_set VALUES ('sp1'), ('sp2');
INSERT INTO lead_score_rule VALUES ('sp1', 1, '{a}', 'exists', NULL, 5),
	('sp2', 1, '{a}', 'exists', NULL, 100);
SET search_path = ls_evil, pg_catalog;
SELECT crm_sales.lead_score('sp1', '{"a": 1}') AS sp1_evil_path;
SET search_path = public, crm_sales;
SELECT lead_score('sp1', '{"a": 1}') AS sp1;
SET client_min_messages = warning;
DROP SCHEMA ls_evil CASCADE;
RESET client_min_messages;

-- pg_dump keeps the rules: both tables are extension config tables
SELECT c.relname FROM pg_extension e, unnest(e.extconfig) r(oid)
  JOIN pg_class c ON c.oid = r.oid
 WHERE e.extname = 'crm_sales' AND c.relname LIKE 'lead_score%' ORDER BY 1;
DELETE FROM lead_score_rule_set;
