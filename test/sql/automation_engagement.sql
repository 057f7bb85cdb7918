-- Email engagement: the email_engagement type and aggregates, the readers,
-- the campaign view, and the score in lead_score() rules.
--
-- References: the one-contact example is worked out by hand from the
-- definition (score = sum of weight * 2^(-(as_of - at) / half_life), with
-- weights opened 1, clicked 3, bounced -1, unsubscribed -5); the generated
-- data set is checked against plain SQL over the same rows: count(*)
-- FILTER per kind, bool_or / count(DISTINCT contact) for the unique
-- figures, sum(weight * power(2, ...)) for the score.
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS crm_sales;
RESET client_min_messages;
\set SHOW_CONTEXT never
SET search_path = public, crm_sales;
SET TimeZone = 'UTC';
SET extra_float_digits = 0;

-- One contact, half-life 1 day, as of 4 Jan: sent and delivered 1 Jan,
-- opened 2 Jan, clicked 3 Jan, opened again 5 Jan (after as_of: not
-- counted).  Score = 1 * 2^-2 + 3 * 2^-1 = 1.75.
CREATE TEMP TABLE one (kind text, at timestamptz);
INSERT INTO one VALUES ('sent', '2026-01-01'), ('delivered', '2026-01-01'),
	('opened', '2026-01-02'), ('clicked', '2026-01-03'), ('opened', '2026-01-05'),
	(NULL, '2026-01-02'), ('opened', NULL);
SELECT s.* FROM (SELECT email_engagement(kind, at, '2026-01-04', '1 day') AS e FROM one) a,
	   LATERAL email_engagement_stats(a.e) s;
SELECT email_engagement(kind, at, '2026-01-04', '1 day') FROM one;
-- the score read at another time: 2 days later it has halved twice
SELECT email_engagement_score(email_engagement(kind, at, '2026-01-04', '1 day'), '2026-01-06')
  FROM one;
-- without as_of every event counts and the score is read at now() unless given
SELECT (email_engagement_stats(e, '2026-01-05')).opens,
	   email_engagement_score(e, '2026-01-05') AS score_5_jan
  FROM (SELECT email_engagement(kind, at, '2100-01-01', '1 day') AS e FROM one) a;
SELECT email_engagement_score(email_engagement(kind, at)) < 1e-3 AS decayed_by_now FROM one;

-- A generated campaign log: 3 campaigns x 300 contacts, deterministic.
INSERT INTO email_event (campaign, contact, kind, at)
SELECT 'c' || c, 'contact' || i, k.kind,
	   '2026-01-01'::timestamptz + make_interval(days => (i * 7 + c) % 45, hours => k.h)
  FROM generate_series(1, 3) c, generate_series(1, 300) i,
	   LATERAL (VALUES ('sent', 0, true),
					   ('bounced', 1, i % 17 = 0),
					   ('delivered', 1, i % 17 <> 0 AND i % 29 <> 0),
					   ('opened', 5, i % 17 <> 0 AND (i + c) % 3 = 0),
					   ('opened', 30, i % 17 <> 0 AND (i + c) % 6 = 0),
					   ('clicked', 6, i % 17 <> 0 AND (i + c) % 5 = 0),
					   ('clicked', 50, i % 17 <> 0 AND (i + c) % 10 = 0),
					   ('unsubscribed', 60, (i * c) % 23 = 0)) AS k(kind, h, happens)
 WHERE k.happens;
SELECT kind, count(*) FROM email_event GROUP BY kind ORDER BY kind;

-- Per (campaign, contact), as of 1 Feb, half-life 7 days: every figure
-- against plain SQL.
CREATE TEMP TABLE per_contact AS
SELECT campaign, contact, email_engagement(kind, at, '2026-02-01', '7 days') AS e
  FROM email_event GROUP BY campaign, contact;
CREATE TEMP TABLE ref_contact AS
SELECT campaign, contact,
	   count(*) FILTER (WHERE kind = 'sent') AS sent,
	   count(*) FILTER (WHERE kind = 'delivered') AS delivered,
	   count(*) FILTER (WHERE kind = 'opened') AS opens,
	   count(*) FILTER (WHERE kind = 'clicked') AS clicks,
	   count(*) FILTER (WHERE kind = 'bounced') AS bounces,
	   count(*) FILTER (WHERE kind = 'unsubscribed') AS unsubs,
	   sum(CASE kind WHEN 'opened' THEN 1 WHEN 'clicked' THEN 3 WHEN 'bounced' THEN -1
					 WHEN 'unsubscribed' THEN -5 ELSE 0 END
		   * power(2::float8, -extract(epoch FROM '2026-02-01'::timestamptz - at)::float8
								  / (7 * 86400))) AS score,
	   min(at) AS first_at, max(at) AS last_at
  FROM email_event WHERE at <= '2026-02-01' GROUP BY campaign, contact;
-- (a contact whose events all come after as_of has an empty state:
-- 0 recipients, no times, score 0)
SELECT count(*) AS contacts,
	   count(*) FILTER (WHERE r.contact IS NULL) AS only_after_as_of,
	   count(*) FILTER (WHERE s.sent <> coalesce(r.sent, 0) OR s.delivered <> coalesce(r.delivered, 0)
						OR s.opens <> coalesce(r.opens, 0) OR s.clicks <> coalesce(r.clicks, 0)
						OR s.bounces <> coalesce(r.bounces, 0)
						OR s.unsubscribes <> coalesce(r.unsubs, 0)) AS count_mismatches,
	   count(*) FILTER (WHERE s.unique_opens <> (coalesce(r.opens, 0) > 0)::int
						OR s.unique_clicks <> (coalesce(r.clicks, 0) > 0)::int
						OR s.recipients <> (r.contact IS NOT NULL)::int) AS unique_mismatches,
	   count(*) FILTER (WHERE abs(s.score - coalesce(r.score, 0))
							  > 1e-12 * greatest(1, abs(r.score))) AS score_mismatches,
	   count(*) FILTER (WHERE s.first_at IS DISTINCT FROM r.first_at
						OR s.last_at IS DISTINCT FROM r.last_at) AS time_mismatches
  FROM per_contact p
  LEFT JOIN ref_contact r USING (campaign, contact),
	   LATERAL email_engagement_stats(p.e) s;

-- Per campaign, exact: the per-contact states merged (the view does the
-- same over all events).  Reference: distinct contacts per figure; a
-- recipient counts as delivered with a delivery event, or with more sends
-- than bounces when the sender reports no delivery.
CREATE TEMP TABLE ref_campaign AS
SELECT campaign, count(*) AS recipients,
	   count(*) FILTER (WHERE opens > 0) AS uo, count(*) FILTER (WHERE clicks > 0) AS uc,
	   count(*) FILTER (WHERE delivered > 0 OR sent > bounces) AS ud,
	   count(*) FILTER (WHERE sent > 0) AS us, count(*) FILTER (WHERE bounces > 0) AS ub,
	   count(*) FILTER (WHERE unsubs > 0) AS uu,
	   sum(score) AS score
  FROM ref_contact GROUP BY campaign;
SELECT c.campaign, s.recipients, s.unique_opens, s.unique_clicks,
	   round(s.open_rate::numeric, 6) AS open_rate, round(s.click_rate::numeric, 6) AS ctr,
	   round(s.click_to_open_rate::numeric, 6) AS ctor,
	   round(s.bounce_rate::numeric, 6) AS bounce_rate,
	   round(s.unsubscribe_rate::numeric, 6) AS unsub_rate,
	   s.recipients = r.recipients AND s.unique_opens = r.uo AND s.unique_clicks = r.uc
	   AND s.open_rate = r.uo::float8 / r.ud AND s.click_rate = r.uc::float8 / r.ud
	   AND s.click_to_open_rate = r.uc::float8 / r.uo AND s.bounce_rate = r.ub::float8 / r.us
	   AND s.unsubscribe_rate = r.uu::float8 / r.ud
	   AND abs(s.score - r.score) < 1e-9 * abs(r.score) AS matches_reference
  FROM (SELECT campaign, email_engagement_merge(e) AS e FROM per_contact GROUP BY campaign) c
  JOIN ref_campaign r USING (campaign),
	   LATERAL email_engagement_stats(c.e) s
 ORDER BY c.campaign;
-- the view: all events, exact unique counts per campaign
SELECT v.campaign, v.recipients, v.sent, v.unique_opens, v.unique_clicks,
	   v.unique_opens = (SELECT count(DISTINCT contact) FROM email_event x
						  WHERE x.campaign = v.campaign AND x.kind = 'opened') AS uo_exact
  FROM email_campaign_engagement v ORDER BY campaign;
-- grouped by campaign directly, a state is one recipient: event counts and
-- the score are exact, unique counts are 0/1 flags (see docs)
SELECT campaign, s.recipients, s.opens, s.unique_opens,
	   s.opens = (SELECT count(*) FROM email_event x
				   WHERE x.campaign = g.campaign AND x.kind = 'opened') AS opens_exact
  FROM (SELECT campaign, email_engagement(kind, at) AS e FROM email_event GROUP BY campaign) g,
	   LATERAL email_engagement_stats(g.e) s ORDER BY campaign;

-- Two states are the same when every count and time is, and the scores
-- (float sums, whose rounding depends on the order of merging) agree to
-- 1e-12 relative.
CREATE FUNCTION pg_temp.same_state(a email_engagement, b email_engagement) RETURNS boolean
LANGUAGE sql AS $$
	SELECT regexp_replace(a::text, ';score=.*$', '') = regexp_replace(b::text, ';score=.*$', '')
	   AND abs(split_part(a::text, 'score=', 2)::float8 - split_part(b::text, 'score=', 2)::float8)
		   <= 1e-12 * greatest(1, abs(split_part(a::text, 'score=', 2)::float8))
$$;
-- Daily states of one contact combine to the contact's state.
SELECT pg_temp.same_state(
	   (SELECT e FROM (SELECT email_engagement(kind, at, '2026-02-01', '7 days') AS e
						 FROM email_event WHERE contact = 'contact7') x),
	   (SELECT email_engagement_combine(e)
		  FROM (SELECT email_engagement(kind, at, '2026-02-01', '7 days') AS e
				  FROM email_event WHERE contact = 'contact7'
				 GROUP BY date_trunc('day', at)) d)) AS combine_equals_direct;
-- ... but states of several recipients cannot be combined
SELECT email_engagement_combine(e) FROM (SELECT email_engagement_merge(e) AS e FROM per_contact
										  GROUP BY campaign) x;
\echo :LAST_ERROR_SQLSTATE

-- Parallel plans give the same states (combine function, text round trip).
CREATE TEMP TABLE serial AS
SELECT contact, email_engagement(kind, at, '2026-02-01', '7 days')::text AS e
  FROM email_event GROUP BY contact;
SET max_parallel_workers_per_gather = 2;
SET parallel_setup_cost = 0;
SET parallel_tuple_cost = 0;
SET min_parallel_table_scan_size = 0;
SET parallel_leader_participation = off;
SET enable_indexscan = off;
SET enable_bitmapscan = off;
CREATE TABLE email_copy AS SELECT * FROM email_event;
ANALYZE email_copy;
EXPLAIN (COSTS OFF)
SELECT email_engagement(kind, at, '2026-02-01', '7 days') FROM email_copy;
SELECT pg_temp.same_state(
	   (SELECT email_engagement(kind, at, '2026-02-01', '7 days') FROM email_copy
		 WHERE contact = 'contact7'),
	   (SELECT e::email_engagement FROM serial WHERE contact = 'contact7')) AS parallel_one_contact;
SELECT pg_temp.same_state(
	   (SELECT email_engagement_merge(e::email_engagement) FROM serial),
	   (SELECT email_engagement_merge(e) FROM (SELECT email_engagement(kind, at, '2026-02-01', '7 days') AS e
												  FROM email_copy GROUP BY contact) x))
	   AS parallel_merge;
RESET max_parallel_workers_per_gather;
RESET parallel_setup_cost;
RESET parallel_tuple_cost;
RESET min_parallel_table_scan_size;
RESET parallel_leader_participation;
RESET enable_indexscan;
RESET enable_bitmapscan;

-- Text and binary forms round-trip.
SELECT count(*) AS states, count(*) FILTER (WHERE e::email_engagement::text = e) AS text_round_trips
  FROM serial;
CREATE TEMP TABLE eb AS SELECT contact, e::email_engagement AS e FROM serial;
COPY eb TO '/tmp/crm_sales_engagement_test.bin' (FORMAT binary);
CREATE TEMP TABLE eb2 (LIKE eb);
COPY eb2 FROM '/tmp/crm_sales_engagement_test.bin' (FORMAT binary);
SELECT count(*) AS binary_round_trips FROM eb JOIN eb2 USING (contact) WHERE eb.e::text = eb2.e::text;

-- The score in lead scoring: engaged contacts score higher.
INSERT INTO lead_score_rule_set VALUES ('engaged', 'email engagement');
INSERT INTO lead_score_rule (rule_set, rule_id, attribute, operator, value, points, effect) VALUES
	('engaged', 1, '{email,score}', '>=', '1', 10, 'positive'),
	('engaged', 2, '{email,clicks}', '>', '0', 5, 'positive'),
	('engaged', 3, '{email,unsubscribed}', '=', 'true', 20, 'negative');
-- Every contact's document and score; the expected score from the rules
-- applied by hand to the plain-SQL figures (summed over its campaigns: the
-- score's terms add up across campaigns).  A contact with no event as of
-- then, or none at all, has score 0.
CREATE TEMP TABLE scored AS
SELECT c.contact, email_engagement_attributes(c.contact, '2026-02-01', '7 days') AS doc,
	   lead_score('engaged', email_engagement_attributes(c.contact, '2026-02-01', '7 days')) AS score
  FROM (SELECT DISTINCT contact FROM email_event UNION ALL SELECT 'nobody') c;
SELECT count(*) AS contacts,
	   count(*) FILTER (WHERE s.score IS DISTINCT FROM
		   10 * (round(coalesce(r.score, 0)::numeric, 4) >= 1)::int
		   + 5 * (coalesce(r.clicks, 0) > 0)::int - 20 * (coalesce(r.unsubs, 0) > 0)::int)
	   AS score_mismatches,
	   count(*) FILTER (WHERE s.doc->'email'->>'score' IS DISTINCT FROM
						round(coalesce(r.score, 0)::numeric, 4)::text) AS doc_mismatches
  FROM scored s
  LEFT JOIN (SELECT contact, sum(score) AS score, sum(clicks) AS clicks, sum(unsubs) AS unsubs
			   FROM ref_contact GROUP BY contact) r USING (contact);
SELECT * FROM scored WHERE contact IN ('contact7', 'contact23', 'contact30', 'nobody')
 ORDER BY contact;
-- engaged contacts score higher: average email score per lead score
SELECT score, count(*), round(avg((doc->'email'->>'score')::numeric), 3) AS avg_email_score
  FROM scored GROUP BY score ORDER BY score;

-- Refusals
SELECT email_engagement(k, now()) FROM (VALUES ('viewed')) v(k);
\echo :LAST_ERROR_SQLSTATE
SELECT email_engagement('opened', t) FROM (VALUES ('infinity'::timestamptz)) v(t);
\echo :LAST_ERROR_SQLSTATE
SELECT email_engagement('opened', now(), a) FROM (VALUES (NULL::timestamptz)) v(a);
\echo :LAST_ERROR_SQLSTATE
SELECT email_engagement('opened', now(), now(), h) FROM (VALUES ('0'::interval)) v(h);
\echo :LAST_ERROR_SQLSTATE
SELECT email_engagement('opened', now(), now(), h) FROM (VALUES ('-1 day'::interval)) v(h);
\echo :LAST_ERROR_SQLSTATE
SELECT email_engagement('opened', now(), now(), h) FROM (VALUES ('1 month'::interval)) v(h);
\echo :LAST_ERROR_SQLSTATE
SELECT email_engagement('opened', now(), now(), h) FROM (VALUES (NULL::interval)) v(h);
\echo :LAST_ERROR_SQLSTATE
SELECT email_engagement('opened', now(), a) FROM (VALUES (now()), (now() + interval '1 day')) v(a);
\echo :LAST_ERROR_SQLSTATE
SELECT email_engagement_merge(e)
  FROM (SELECT email_engagement('opened', now(), now(), '1 day') AS e
		UNION ALL SELECT email_engagement('opened', now(), now(), '2 days')) x;
\echo :LAST_ERROR_SQLSTATE
SELECT email_engagement_score(e, '-infinity')
  FROM (SELECT email_engagement('opened', now()) AS e) x;
\echo :LAST_ERROR_SQLSTATE
SELECT email_engagement_score(e, '1000-01-01')
  FROM (SELECT email_engagement('opened', '2026-01-01', '2026-01-02', '1 second') AS e) x;
\echo :LAST_ERROR_SQLSTATE
SELECT 'garbage'::email_engagement;
\echo :LAST_ERROR_SQLSTATE
SELECT 'v1;hl=1;as_of=none;n=0,0,1,0,0,0;r=2;u=0,0,1,0,0,0;first=4;last=4;score=1'::email_engagement;
\echo :LAST_ERROR_SQLSTATE
SELECT 'v9;hl=1;as_of=none;n=0,0,0,0,0,0;r=0;u=0,0,0,0,0,0;first=none;last=none;score=0'::email_engagement;
\echo :LAST_ERROR_SQLSTATE
SELECT email_engagement_stats(NULL) IS NULL AS null_state, email_engagement_score(NULL) IS NULL AS null_score;
\set VERBOSITY terse
INSERT INTO email_event (campaign, contact, kind, at) VALUES ('c', 'x', 'viewed', now());
\echo :LAST_ERROR_SQLSTATE
\set VERBOSITY default

DROP TABLE email_copy;
DELETE FROM lead_score_rule_set WHERE rule_set = 'engaged';
DELETE FROM email_event;
