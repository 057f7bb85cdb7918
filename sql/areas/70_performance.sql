-- ====================================================================
-- Sales performance: the deal_stats type and aggregates (src/performance.c),
-- targets and attainment through a team hierarchy, conversion per owner,
-- team and creation cohort, growth, customer flow and revenue retention
-- (SQL below).  Multi-currency is 71_currency.sql.
-- ====================================================================

CREATE TYPE deal_stats;
CREATE FUNCTION deal_stats_in(cstring) RETURNS deal_stats
	AS 'MODULE_PATHNAME', 'crm_deal_stats_in' LANGUAGE C STABLE STRICT PARALLEL SAFE;
CREATE FUNCTION deal_stats_out(deal_stats) RETURNS cstring
	AS 'MODULE_PATHNAME', 'crm_deal_stats_out' LANGUAGE C STABLE STRICT PARALLEL SAFE;
CREATE FUNCTION deal_stats_recv(internal) RETURNS deal_stats
	AS 'MODULE_PATHNAME', 'crm_deal_stats_recv' LANGUAGE C STABLE STRICT PARALLEL SAFE;
CREATE FUNCTION deal_stats_send(deal_stats) RETURNS bytea
	AS 'MODULE_PATHNAME', 'crm_deal_stats_send' LANGUAGE C STABLE STRICT PARALLEL SAFE;
CREATE TYPE deal_stats (
	INPUT = deal_stats_in, OUTPUT = deal_stats_out,
	RECEIVE = deal_stats_recv, SEND = deal_stats_send,
	INTERNALLENGTH = VARIABLE, ALIGNMENT = double, STORAGE = extended
);
COMMENT ON FUNCTION deal_stats_in(cstring) IS 'text input of deal_stats: model{won=deals/with_amount/amount;lost=...;open=...;cycle=day:count,...;sizes=bucket:count,...}';
COMMENT ON FUNCTION deal_stats_out(deal_stats) IS 'text output of deal_stats (round-trips through deal_stats_in)';
COMMENT ON FUNCTION deal_stats_recv(internal) IS 'binary input of deal_stats (versioned, network byte order)';
COMMENT ON FUNCTION deal_stats_send(deal_stats) IS 'binary output of deal_stats (versioned, network byte order, the model by name)';
COMMENT ON TYPE deal_stats IS 'crm_sales: won/lost/open deal counts and exact amounts, won cycle lengths (exact day histogram) and won sizes of a set of deals; mergeable';

CREATE FUNCTION deal_stats_add(deal_stats, deal_stats) RETURNS deal_stats
	AS 'MODULE_PATHNAME', 'crm_deal_stats_add' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION deal_stats_add(deal_stats, deal_stats) IS 'the deal_stats of both sets of deals (the + operator)';
CREATE OPERATOR + (LEFTARG = deal_stats, RIGHTARG = deal_stats, FUNCTION = deal_stats_add, COMMUTATOR = +);
COMMENT ON OPERATOR + (deal_stats, deal_stats) IS 'merge two deal_stats';
CREATE FUNCTION deal_stats_eq(deal_stats, deal_stats) RETURNS boolean
	AS 'MODULE_PATHNAME', 'crm_deal_stats_eq' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION deal_stats_eq(deal_stats, deal_stats) IS 'same model, counts, amounts (by value) and histograms';
CREATE OPERATOR = (LEFTARG = deal_stats, RIGHTARG = deal_stats, FUNCTION = deal_stats_eq,
	COMMUTATOR = =, RESTRICT = eqsel, JOIN = eqjoinsel);
COMMENT ON OPERATOR = (deal_stats, deal_stats) IS 'deal_stats equal by value';
CREATE FUNCTION deal_stats_jsonb(deal_stats) RETURNS jsonb
	AS 'MODULE_PATHNAME', 'crm_deal_stats_jsonb' LANGUAGE C STABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION deal_stats_jsonb(deal_stats) IS 'counts, amounts and every KPI of a deal_stats as jsonb';
CREATE CAST (deal_stats AS jsonb) WITH FUNCTION deal_stats_jsonb(deal_stats);
COMMENT ON CAST (deal_stats AS jsonb) IS 'every KPI of the deal_stats as a jsonb object (for BI tools)';

CREATE AGGREGATE deal_stats_merge(deal_stats) (
	SFUNC = deal_stats_add, STYPE = deal_stats, COMBINEFUNC = deal_stats_add, PARALLEL = SAFE
);
COMMENT ON AGGREGATE deal_stats_merge(deal_stats) IS 'merge stored deal_stats (rollups)';

CREATE FUNCTION _deal_stats_trans(deal_stats, anyenum, numeric, date, date) RETURNS deal_stats
	AS 'MODULE_PATHNAME', 'crm_deal_stats_trans' LANGUAGE C STABLE PARALLEL SAFE;
CREATE FUNCTION _deal_stats_trans(deal_stats, anyenum, numeric, timestamptz, timestamptz) RETURNS deal_stats
	AS 'MODULE_PATHNAME', 'crm_deal_stats_trans_ts' LANGUAGE C STABLE PARALLEL SAFE;
CREATE FUNCTION _deal_stats_trans(deal_stats, anyenum, numeric, timestamp, timestamp) RETURNS deal_stats
	AS 'MODULE_PATHNAME', 'crm_deal_stats_trans_ts' LANGUAGE C STABLE PARALLEL SAFE;
COMMENT ON FUNCTION _deal_stats_trans(deal_stats, anyenum, numeric, date, date) IS
	'transition function of deal_stats over dates (use it to declare deal_stats over a model type of your own)';
COMMENT ON FUNCTION _deal_stats_trans(deal_stats, anyenum, numeric, timestamptz, timestamptz) IS
	'transition function of deal_stats over timestamptz';
COMMENT ON FUNCTION _deal_stats_trans(deal_stats, anyenum, numeric, timestamp, timestamp) IS
	'transition function of deal_stats over timestamp';
CREATE AGGREGATE deal_stats(stage anyenum, amount numeric, created_at date, closed_at date) (
	SFUNC = _deal_stats_trans, STYPE = deal_stats, COMBINEFUNC = deal_stats_add, PARALLEL = SAFE
);
CREATE AGGREGATE deal_stats(stage anyenum, amount numeric, created_at timestamptz, closed_at timestamptz) (
	SFUNC = _deal_stats_trans, STYPE = deal_stats, COMBINEFUNC = deal_stats_add, PARALLEL = SAFE
);
CREATE AGGREGATE deal_stats(stage anyenum, amount numeric, created_at timestamp, closed_at timestamp) (
	SFUNC = _deal_stats_trans, STYPE = deal_stats, COMBINEFUNC = deal_stats_add, PARALLEL = SAFE
);
COMMENT ON AGGREGATE deal_stats(anyenum, numeric, date, date) IS
	'deal_stats of deals: stage (won/lost/open by the model''s categories), amount, created and closed dates';
COMMENT ON AGGREGATE deal_stats(anyenum, numeric, timestamptz, timestamptz) IS
	'deal_stats of deals: stage, amount, created and closed times (cycle = whole 24-hour periods)';
COMMENT ON AGGREGATE deal_stats(anyenum, numeric, timestamp, timestamp) IS
	'deal_stats of deals: stage, amount, created and closed times (cycle = whole 24-hour periods)';

-- The same over the shipped pipeline's own type.  Calls with
-- crm_sales.sales_stage pick these (an exact match wins over anyenum), and
-- Citus pushes partial aggregation to its workers only for aggregates whose
-- declared argument types are the actual ones (its worker_partial_agg
-- refuses polymorphic ones).  For a model of your own, declare the same
-- three lines with your enum type (docs/performance.md).
CREATE AGGREGATE deal_stats(stage sales_stage, amount numeric, created_at date, closed_at date) (
	SFUNC = _deal_stats_trans, STYPE = deal_stats, COMBINEFUNC = deal_stats_add, PARALLEL = SAFE
);
CREATE AGGREGATE deal_stats(stage sales_stage, amount numeric, created_at timestamptz, closed_at timestamptz) (
	SFUNC = _deal_stats_trans, STYPE = deal_stats, COMBINEFUNC = deal_stats_add, PARALLEL = SAFE
);
CREATE AGGREGATE deal_stats(stage sales_stage, amount numeric, created_at timestamp, closed_at timestamp) (
	SFUNC = _deal_stats_trans, STYPE = deal_stats, COMBINEFUNC = deal_stats_add, PARALLEL = SAFE
);
COMMENT ON AGGREGATE deal_stats(sales_stage, numeric, date, date) IS
	'deal_stats of crm_sales.sales_stage deals (a concrete signature, which Citus can push down)';
COMMENT ON AGGREGATE deal_stats(sales_stage, numeric, timestamptz, timestamptz) IS
	'deal_stats of crm_sales.sales_stage deals (a concrete signature, which Citus can push down)';
COMMENT ON AGGREGATE deal_stats(sales_stage, numeric, timestamp, timestamp) IS
	'deal_stats of crm_sales.sales_stage deals (a concrete signature, which Citus can push down)';

-- Accessors.  The category argument of the internal C functions: 0 won, 1 lost, 2 open.
CREATE FUNCTION _ds_deals(deal_stats, integer) RETURNS bigint
	AS 'MODULE_PATHNAME', 'crm_ds_deals' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION _ds_amount(deal_stats, integer) RETURNS numeric
	AS 'MODULE_PATHNAME', 'crm_ds_amount' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION won_deals(deal_stats) RETURNS bigint
	LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE SET search_path = pg_catalog, pg_temp
	AS $$ SELECT crm_sales._ds_deals($1, 0) $$;
CREATE FUNCTION lost_deals(deal_stats) RETURNS bigint
	LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE SET search_path = pg_catalog, pg_temp
	AS $$ SELECT crm_sales._ds_deals($1, 1) $$;
CREATE FUNCTION open_deals(deal_stats) RETURNS bigint
	LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE SET search_path = pg_catalog, pg_temp
	AS $$ SELECT crm_sales._ds_deals($1, 2) $$;
CREATE FUNCTION won_amount(deal_stats) RETURNS numeric
	LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE SET search_path = pg_catalog, pg_temp
	AS $$ SELECT crm_sales._ds_amount($1, 0) $$;
CREATE FUNCTION lost_amount(deal_stats) RETURNS numeric
	LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE SET search_path = pg_catalog, pg_temp
	AS $$ SELECT crm_sales._ds_amount($1, 1) $$;
CREATE FUNCTION open_amount(deal_stats) RETURNS numeric
	LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE SET search_path = pg_catalog, pg_temp
	AS $$ SELECT crm_sales._ds_amount($1, 2) $$;
COMMENT ON FUNCTION won_deals(deal_stats) IS 'deals in a won stage';
COMMENT ON FUNCTION lost_deals(deal_stats) IS 'deals in a lost stage';
COMMENT ON FUNCTION open_deals(deal_stats) IS 'deals in an open stage';
COMMENT ON FUNCTION won_amount(deal_stats) IS 'exact sum of the won deals'' amounts';
COMMENT ON FUNCTION lost_amount(deal_stats) IS 'exact sum of the lost deals'' amounts';
COMMENT ON FUNCTION open_amount(deal_stats) IS 'exact sum of the open deals'' amounts (the pipeline)';

CREATE FUNCTION win_rate(deal_stats) RETURNS double precision
	AS 'MODULE_PATHNAME', 'crm_ds_win_rate' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION win_rate(deal_stats) IS 'won / (won + lost) deals; NULL if none is closed';
CREATE FUNCTION win_rate_by_amount(deal_stats) RETURNS double precision
	AS 'MODULE_PATHNAME', 'crm_ds_win_rate_amount' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION win_rate_by_amount(deal_stats) IS 'won amount / (won + lost amount); NULL if that is 0';
CREATE FUNCTION avg_won_size(deal_stats) RETURNS numeric
	AS 'MODULE_PATHNAME', 'crm_ds_avg_won_size' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION avg_won_size(deal_stats) IS 'average amount of the won deals with an amount (as avg() computes it)';
CREATE FUNCTION median_won_size(deal_stats) RETURNS numeric
	AS 'MODULE_PATHNAME', 'crm_ds_median_won_size' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION median_won_size(deal_stats) IS 'median amount of the won deals, within 0.5 % (log-scale buckets)';
CREATE FUNCTION cycle_days_mean(deal_stats) RETURNS numeric
	AS 'MODULE_PATHNAME', 'crm_ds_cycle_mean' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION cycle_days_mean(deal_stats) IS 'mean sales cycle of the won deals in days (exact, as avg() of the day counts)';
CREATE FUNCTION cycle_days_median(deal_stats) RETURNS numeric
	AS 'MODULE_PATHNAME', 'crm_ds_cycle_median' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION cycle_days_median(deal_stats) IS 'median sales cycle of the won deals in days (exact, percentile_cont(0.5))';
CREATE FUNCTION cycle_days_p90(deal_stats) RETURNS numeric
	AS 'MODULE_PATHNAME', 'crm_ds_cycle_p90' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION cycle_days_p90(deal_stats) IS '90th percentile of the won deals'' sales cycle in days (exact, percentile_cont(0.9))';
CREATE FUNCTION cycle_days_percentile(deal_stats, fraction double precision) RETURNS double precision
	AS 'MODULE_PATHNAME', 'crm_ds_cycle_percentile' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION cycle_days_percentile(deal_stats, double precision) IS 'percentile_cont(fraction) of the won deals'' sales cycle in days';
CREATE FUNCTION cycle_days_count(deal_stats) RETURNS bigint
	AS 'MODULE_PATHNAME', 'crm_ds_cycle_count' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION cycle_days_count(deal_stats) IS 'won deals with both a created and a closed time (those the cycle statistics describe)';
CREATE FUNCTION sales_velocity(deal_stats) RETURNS numeric
	AS 'MODULE_PATHNAME', 'crm_ds_velocity' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION sales_velocity(deal_stats) IS 'open deals * average won size * win rate / mean cycle days: expected won amount per day';

-- Every KPI of a deal_stats in one row (use it in FROM or LATERAL).
CREATE FUNCTION deal_kpis(deal_stats,
	OUT won_deals bigint, OUT lost_deals bigint, OUT open_deals bigint,
	OUT won_amount numeric, OUT lost_amount numeric, OUT open_amount numeric,
	OUT win_rate double precision, OUT win_rate_by_amount double precision,
	OUT avg_won_size numeric, OUT median_won_size numeric,
	OUT cycle_days_mean numeric, OUT cycle_days_median numeric, OUT cycle_days_p90 numeric,
	OUT sales_velocity numeric)
	LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE SET search_path = pg_catalog, pg_temp
	AS $$ SELECT crm_sales.won_deals($1), crm_sales.lost_deals($1), crm_sales.open_deals($1),
				 crm_sales.won_amount($1), crm_sales.lost_amount($1), crm_sales.open_amount($1),
				 crm_sales.win_rate($1), crm_sales.win_rate_by_amount($1),
				 crm_sales.avg_won_size($1), crm_sales.median_won_size($1),
				 crm_sales.cycle_days_mean($1), crm_sales.cycle_days_median($1),
				 crm_sales.cycle_days_p90($1), crm_sales.sales_velocity($1) $$;
COMMENT ON FUNCTION deal_kpis(deal_stats) IS 'every KPI of a deal_stats as one row';

-- ---- deal_stats from the stage history ----

-- Per entity of a model's history: its last stage, when it was created
-- (first recorded move) and closed (its move into that last stage, if the
-- stage is won or lost).  Join it to the entity table for amounts.
CREATE FUNCTION deal_history(model regtype, entity_table regclass DEFAULT NULL,
	since timestamptz DEFAULT NULL, until timestamptz DEFAULT NULL)
RETURNS TABLE (table_name regclass, entity_id text, stage text, category text,
	created_at timestamptz, closed_at timestamptz)
LANGUAGE sql STABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
	SELECT h.table_name, h.entity_id,
		   (array_agg(h.to_stage ORDER BY h.changed_at DESC, h.id DESC))[1],
		   (array_agg(h.category ORDER BY h.changed_at DESC, h.id DESC))[1],
		   min(h.changed_at),
		   CASE WHEN (array_agg(h.category ORDER BY h.changed_at DESC, h.id DESC))[1] <> 'open'
				THEN max(h.changed_at) END
	  FROM crm_sales._stage_moves($1, $2, $3, $4) AS h
	 GROUP BY h.table_name, h.entity_id
$$;
COMMENT ON FUNCTION deal_history(regtype, regclass, timestamptz, timestamptz) IS
	'per entity of the stage history: last stage, its category, created_at (first move) and closed_at (move into a won or lost last stage)';

-- The deal_stats of the recorded history (counts and cycle lengths; no amounts).
CREATE FUNCTION history_deal_stats(model regtype, entity_table regclass DEFAULT NULL,
	since timestamptz DEFAULT NULL, until timestamptz DEFAULT NULL)
RETURNS deal_stats
LANGUAGE plpgsql STABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	result crm_sales.deal_stats;
BEGIN
	PERFORM crm_sales._model_check(model);
	EXECUTE format('SELECT crm_sales.deal_stats(h.stage::%s, NULL::numeric, h.created_at, h.closed_at)
					  FROM crm_sales.deal_history($1, $2, $3, $4) AS h', model)
	   INTO result USING model, entity_table, since, until;
	RETURN result;
END
$$;
COMMENT ON FUNCTION history_deal_stats(regtype, regclass, timestamptz, timestamptz) IS
	'deal_stats of the entities in the stage history: win rate, cycle lengths (no amounts)';

-- ====================================================================
-- Targets and attainment: teams (a tree), members (dated), quotas
-- ====================================================================

CREATE TABLE sales_team (
	team		text PRIMARY KEY CHECK (team <> ''),
	parent_team text REFERENCES sales_team ON UPDATE CASCADE,	-- NULL: a root
	label_en	text,
	label_zh	text
);
COMMENT ON TABLE sales_team IS 'crm_sales: sales teams, a tree of any depth (parent_team NULL for a root); cycles are refused';

-- owner belongs to team from valid_from (inclusive) to valid_to (exclusive;
-- NULL: still a member); an owner's periods never overlap.
CREATE TABLE team_member (
	owner		text NOT NULL CHECK (owner <> ''),
	team		text NOT NULL REFERENCES sales_team ON UPDATE CASCADE,
	valid_from	date NOT NULL,
	valid_to	date,
	PRIMARY KEY (owner, valid_from),
	CHECK (valid_to IS NULL OR valid_to > valid_from)
);
COMMENT ON TABLE team_member IS 'crm_sales: which team a sales owner belongs to, from valid_from to valid_to (exclusive, NULL = still); no overlaps per owner';

-- A quota per owner or per team for a month, quarter or year, in a currency.
CREATE TABLE quota (
	owner		text CHECK (owner <> ''),
	team		text REFERENCES sales_team ON UPDATE CASCADE,
	period		text NOT NULL CHECK (period IN ('month', 'quarter', 'year')),
	period_start date NOT NULL,
	amount		numeric NOT NULL CHECK (amount >= 0 AND amount < 'Infinity'),
	currency	text NOT NULL,		-- references currency: see 71_currency.sql
	CHECK ((owner IS NULL) <> (team IS NULL)),
	CHECK (period_start = date_trunc(period, period_start)::date),
	UNIQUE NULLS NOT DISTINCT (owner, team, period, period_start)
);
COMMENT ON TABLE quota IS 'crm_sales: sales quotas per owner or team (one of the two) for a month, quarter or year starting at period_start, in a currency';

SELECT pg_catalog.pg_extension_config_dump('sales_team', '');
SELECT pg_catalog.pg_extension_config_dump('team_member', '');
SELECT pg_catalog.pg_extension_config_dump('quota', '');
GRANT SELECT ON sales_team, team_member, quota TO PUBLIC;

-- Refuse a parent that makes a team its own ancestor.  The table lock makes
-- concurrent changes of the tree wait for each other (the second then sees
-- the first), so two transactions cannot close a cycle together.
CREATE FUNCTION _sales_team_check() RETURNS trigger
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE
	path text[];
BEGIN
	LOCK TABLE crm_sales.sales_team IN SHARE ROW EXCLUSIVE MODE;
	WITH RECURSIVE up(team, parent, path) AS (
		SELECT t.team, t.parent_team, ARRAY[t.team]
		  FROM crm_sales.sales_team t WHERE t.team = NEW.team
		UNION ALL
		SELECT t.team, t.parent_team, up.path || t.team
		  FROM up JOIN crm_sales.sales_team t ON t.team = up.parent
		 WHERE t.team <> ALL (up.path[2:]) AND up.team <> NEW.team OR up.path = ARRAY[NEW.team] AND t.team = up.parent
	)
	SELECT u.path INTO path FROM up u WHERE u.parent = NEW.team LIMIT 1;
	IF path IS NOT NULL THEN
		RAISE EXCEPTION 'team "%" cannot be its own ancestor', NEW.team
			USING ERRCODE = 'check_violation',
				  DETAIL = format('The parent chain would be a cycle: %s.',
								  array_to_string(array_append(path, NEW.team), ' -> ')),
				  HINT = 'Give the team a parent that is not one of its own sub-teams.';
	END IF;
	RETURN NULL;
END $$;
CREATE TRIGGER sales_team_check AFTER INSERT OR UPDATE OF team, parent_team ON sales_team
	FOR EACH ROW EXECUTE FUNCTION _sales_team_check();

-- Refuse overlapping memberships of one owner (the lock as above).
CREATE FUNCTION _team_member_check() RETURNS trigger
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE
	other crm_sales.team_member;
BEGIN
	LOCK TABLE crm_sales.team_member IN SHARE ROW EXCLUSIVE MODE;
	SELECT * INTO other FROM crm_sales.team_member m
	 WHERE m.owner = NEW.owner AND m.valid_from <> NEW.valid_from
	   AND daterange(m.valid_from, m.valid_to) && daterange(NEW.valid_from, NEW.valid_to)
	 ORDER BY m.valid_from LIMIT 1;
	IF FOUND THEN
		RAISE EXCEPTION 'membership of "%" in team "%" overlaps another of its memberships', NEW.owner, NEW.team
			USING ERRCODE = 'exclusion_violation',
				  DETAIL = format('[%s, %s) in team "%s" overlaps [%s, %s) in team "%s".',
								  NEW.valid_from, coalesce(NEW.valid_to::text, 'open'), NEW.team,
								  other.valid_from, coalesce(other.valid_to::text, 'open'), other.team),
				  HINT = 'End the earlier membership (valid_to, exclusive) on or before the day the next one starts.';
	END IF;
	RETURN NULL;
END $$;
CREATE TRIGGER team_member_check AFTER INSERT OR UPDATE ON team_member
	FOR EACH ROW EXECUTE FUNCTION _team_member_check();

-- A period name of the analysis functions, checked.
CREATE FUNCTION _period_check(p_period text, p_allowed text[]) RETURNS interval
LANGUAGE plpgsql IMMUTABLE SET search_path = pg_catalog, pg_temp AS $$
BEGIN
	IF p_period IS NULL OR NOT (p_period = ANY (p_allowed)) THEN
		RAISE EXCEPTION 'unknown period "%"', coalesce(p_period, 'NULL')
			USING ERRCODE = 'invalid_parameter_value',
				  HINT = format('Use one of: %s.', array_to_string(p_allowed, ', '));
	END IF;
	RETURN CASE p_period WHEN 'quarter' THEN interval '3 months' ELSE ('1 ' || p_period)::interval END;
END $$;

-- Raise 42703 unless every named column exists in the relation.
CREATE FUNCTION _columns_check(p_rel regclass, p_columns name[]) RETURNS void
LANGUAGE plpgsql STABLE SET search_path = pg_catalog, pg_temp AS $$
DECLARE
	missing name;
BEGIN
	SELECT c INTO missing FROM unnest(p_columns) AS c
	 WHERE c IS NOT NULL AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_attribute a
										   WHERE a.attrelid = p_rel AND a.attname = c
											 AND a.attnum > 0 AND NOT a.attisdropped)
	 LIMIT 1;
	IF missing IS NOT NULL THEN
		RAISE EXCEPTION 'column "%" does not exist in %', missing, p_rel
			USING ERRCODE = 'undefined_column',
				  HINT = 'Name the columns of the relation that hold what the function reads.';
	END IF;
END $$;

-- The team of an owner on a day (NULL if none).
CREATE FUNCTION team_of(owner text, day date) RETURNS text
LANGUAGE sql STABLE PARALLEL SAFE SET search_path = pg_catalog, pg_temp AS $$
	SELECT m.team FROM crm_sales.team_member m
	 WHERE m.owner = $1 AND m.valid_from <= $2 AND (m.valid_to IS NULL OR $2 < m.valid_to)
$$;
COMMENT ON FUNCTION team_of(text, date) IS 'the team an owner belongs to on a day (crm_sales.team_member), or NULL';

-- Quota attainment for one period, per owner and per team (rolled up
-- through the tree), with pacing and the rank within the parent team.
CREATE FUNCTION attainment(period text, period_start date, deals regclass,
	owner_column name DEFAULT 'owner', amount_column name DEFAULT 'amount',
	closed_column name DEFAULT 'closed_at', stage_column name DEFAULT 'stage',
	currency_column name DEFAULT NULL, as_of date DEFAULT NULL,
	report_currency text DEFAULT NULL, history_periods integer DEFAULT 4)
RETURNS TABLE (level text, name text, parent_team text, depth integer,
	won numeric, quota numeric, currency text, attainment_pct numeric, gap numeric,
	elapsed_share numeric, expected_linear numeric, pace_linear numeric,
	seasonal_share numeric, expected_seasonal numeric, pace_seasonal numeric,
	rank_in_parent bigint)
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
-- the recursive team closure makes the planner's cost estimates huge, and
-- JIT compiling the query would then take seconds for a few config rows
SET jit = off
AS $$
DECLARE
	step interval := crm_sales._period_check(period, ARRAY['month', 'quarter', 'year']);
	p_end date;
	days_total integer;
	days_elapsed integer;
	rc text;
	amount_sql text;
BEGIN
	IF period_start IS NULL OR deals IS NULL OR owner_column IS NULL OR amount_column IS NULL
	   OR closed_column IS NULL OR stage_column IS NULL OR history_periods IS NULL THEN
		RAISE EXCEPTION 'attainment() arguments must not be NULL (except currency_column, as_of and report_currency)'
			USING ERRCODE = 'null_value_not_allowed';
	END IF;
	IF period_start <> date_trunc(period, period_start)::date THEN
		RAISE EXCEPTION '% does not start a %', period_start, period
			USING ERRCODE = 'invalid_parameter_value',
				  HINT = format('Pass the first day of the %s, e.g. %s.', period, date_trunc(period, period_start)::date);
	END IF;
	IF history_periods < 0 OR history_periods > 100 THEN
		RAISE EXCEPTION 'history_periods % is out of range', history_periods
			USING ERRCODE = 'numeric_value_out_of_range',
				  HINT = 'Use 0 (no seasonal profile) to 100 past periods.';
	END IF;
	p_end := (period_start + step)::date;
	days_total := p_end - period_start;
	as_of := coalesce(as_of, least(current_date, p_end - 1));
	days_elapsed := greatest(0, least(days_total, as_of - period_start + 1));
	rc := coalesce(report_currency, crm_sales.corporate_currency(),
				   (SELECT min(q.currency) FROM crm_sales.quota q
					 WHERE q.period = attainment.period AND q.period_start = attainment.period_start
					HAVING count(DISTINCT q.currency) = 1));
	IF rc IS NULL THEN
		RAISE EXCEPTION 'attainment() needs a report currency'
			USING ERRCODE = 'invalid_parameter_value',
				  HINT = 'Pass report_currency, or set a corporate currency with crm_sales.set_corporate_currency().';
	END IF;
	PERFORM crm_sales.to_currency(0, rc, rc, period_start);	-- checks the code
	PERFORM crm_sales._columns_check(deals, ARRAY[owner_column, amount_column, closed_column,
												   stage_column, currency_column]);
	amount_sql := CASE WHEN currency_column IS NULL THEN format('d.%I::numeric', amount_column)
				  ELSE format('crm_sales.to_currency(d.%I, d.%I::text, $5, d.%I::date)',
							  amount_column, currency_column, closed_column) END;

	RETURN QUERY EXECUTE format($q$
	WITH periods AS (
		SELECT k, ($1 - k * $3)::date AS s, ($1 - (k - 1) * $3)::date AS e
		  FROM generate_series(0, $6) AS k
	), won AS (
		SELECT d.%1$I::text AS owner, d.%2$I::date AS day, %3$s AS amount
		  FROM %4$s d
		 WHERE d.%5$I IS NOT NULL AND crm_sales.stage_category(d.%5$I) = 'won'
		   AND d.%2$I IS NOT NULL AND d.%1$I IS NOT NULL
		   AND d.%2$I::date >= ($1 - $6 * $3)::date AND d.%2$I::date < $2
	), won_k AS (
		SELECT w.owner, w.amount, p.k, w.day - p.s AS off, crm_sales.team_of(w.owner, w.day) AS team
		  FROM won w JOIN periods p ON w.day >= p.s AND w.day < p.e
		 WHERE p.k > 0 OR w.day <= $4
	), explicit AS (
		SELECT q.team, sum(crm_sales.to_currency(q.amount, q.currency, $5, $1)) AS quota
		  FROM crm_sales.quota q
		 WHERE q.team IS NOT NULL
		   AND (q.period = %6$L AND q.period_start = $1
				OR q.period = 'month' AND %6$L <> 'month' AND q.period_start >= $1 AND q.period_start < $2
				   AND NOT EXISTS (SELECT 1 FROM crm_sales.quota x WHERE x.team = q.team
								   AND x.period = %6$L AND x.period_start = $1))
		 GROUP BY q.team
	), owner_quota AS (
		SELECT q.owner, sum(crm_sales.to_currency(q.amount, q.currency, $5, $1)) AS quota
		  FROM crm_sales.quota q
		 WHERE q.owner IS NOT NULL
		   AND (q.period = %6$L AND q.period_start = $1
				OR q.period = 'month' AND %6$L <> 'month' AND q.period_start >= $1 AND q.period_start < $2
				   AND NOT EXISTS (SELECT 1 FROM crm_sales.quota x WHERE x.owner = q.owner
								   AND x.period = %6$L AND x.period_start = $1))
		 GROUP BY q.owner
	), owners AS (
		SELECT o.owner, crm_sales.team_of(o.owner, least($4, $2 - 1)) AS team
		  FROM (SELECT owner FROM owner_quota
				UNION SELECT owner FROM won_k WHERE k = 0
				UNION SELECT m.owner FROM crm_sales.team_member m
					   WHERE m.valid_from <= least($4, $2 - 1)
						 AND (m.valid_to IS NULL OR least($4, $2 - 1) < m.valid_to)) o
	), closure AS (
		WITH RECURSIVE c(anc, node, blocked) AS (
			SELECT t.team, t.team, false FROM crm_sales.sales_team t
			UNION ALL
			SELECT c.anc, t.team,
				   c.blocked OR (c.node <> c.anc AND c.node IN (SELECT team FROM explicit))
			  FROM c JOIN crm_sales.sales_team t ON t.parent_team = c.node
		)
		SELECT * FROM c
	), depth AS (
		WITH RECURSIVE d(team, depth) AS (
			SELECT t.team, 0 FROM crm_sales.sales_team t WHERE t.parent_team IS NULL
			UNION ALL
			SELECT t.team, d.depth + 1 FROM d JOIN crm_sales.sales_team t ON t.parent_team = d.team
		)
		SELECT * FROM d
	), member_quota AS (
		SELECT o.team, sum(oq.quota) AS quota
		  FROM owners o JOIN owner_quota oq USING (owner) WHERE o.team IS NOT NULL
		 GROUP BY o.team
	), team_rows AS (
		SELECT t.team AS name, t.parent_team AS parent, dp.depth,
			   coalesce((SELECT sum(w.amount) FROM won_k w JOIN closure c ON c.node = w.team
						  WHERE c.anc = t.team AND w.k = 0), 0) AS won,
			   coalesce((SELECT e.quota FROM explicit e WHERE e.team = t.team),
						(SELECT sum(CASE WHEN c.node <> c.anc AND e.quota IS NOT NULL THEN e.quota
										 ELSE mq.quota END)
						   FROM closure c
						   LEFT JOIN explicit e ON e.team = c.node
						   LEFT JOIN member_quota mq ON mq.team = c.node
						  WHERE c.anc = t.team AND NOT c.blocked)) AS quota,
			   (SELECT sum(w.amount) FILTER (WHERE w.off < $7) / nullif(sum(w.amount), 0)
				  FROM won_k w JOIN closure c ON c.node = w.team
				 WHERE c.anc = t.team AND w.k > 0) AS share
		  FROM crm_sales.sales_team t LEFT JOIN depth dp ON dp.team = t.team
	), owner_rows AS (
		SELECT o.owner AS name, o.team AS parent,
			   (SELECT dp.depth + 1 FROM depth dp WHERE dp.team = o.team) AS depth,
			   coalesce((SELECT sum(w.amount) FROM won_k w WHERE w.owner = o.owner AND w.k = 0), 0) AS won,
			   (SELECT oq.quota FROM owner_quota oq WHERE oq.owner = o.owner) AS quota,
			   (SELECT sum(w.amount) FILTER (WHERE w.off < $7) / nullif(sum(w.amount), 0)
				  FROM won_k w WHERE w.owner = o.owner AND w.k > 0) AS share
		  FROM owners o
	), all_rows AS (
		SELECT 'team'::text AS level, * FROM team_rows
		UNION ALL
		SELECT 'owner', * FROM owner_rows
	)
	SELECT a.level, a.name, a.parent, a.depth, a.won, a.quota, $5,
		   round(100 * a.won / nullif(a.quota, 0), 2),
		   a.quota - a.won,
		   round($7::numeric / $8, 4),
		   a.quota * $7 / $8,
		   round(a.won / nullif(a.quota * $7 / $8, 0), 4),
		   round(a.share, 4),
		   a.quota * a.share,
		   round(a.won / nullif(a.quota * a.share, 0), 4),
		   rank() OVER (PARTITION BY a.level, a.parent
						ORDER BY a.won / nullif(a.quota, 0) DESC NULLS LAST, a.won DESC)
	  FROM all_rows a
	$q$, owner_column, closed_column, amount_sql, deals, stage_column, period)
	USING period_start, p_end, step, as_of, rc, history_periods, days_elapsed, days_total;
END
$$;
COMMENT ON FUNCTION attainment(text, date, regclass, name, name, name, name, name, date, text, integer) IS
	'quota attainment for one month/quarter/year per owner and per team (rolled up through crm_sales.sales_team), pacing (linear and seasonal) and rank within the parent team';

-- Conversion per creation cohort from the stage history: of the deals
-- first recorded in each period, how many reached each path stage (that
-- stage or a later one) and how many were won; per owner, per team (the
-- owner's team on the day the deal was created) or all together.
CREATE FUNCTION cohort_conversion(model regtype, deals regclass, period text DEFAULT 'month',
	id_column name DEFAULT 'id', owner_column name DEFAULT 'owner', group_by text DEFAULT 'owner',
	since timestamptz DEFAULT NULL, until timestamptz DEFAULT NULL)
RETURNS TABLE (cohort date, group_name text, "position" integer, stage text, created bigint,
	reached bigint, reached_share double precision, won bigint, win_rate double precision)
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
	PERFORM crm_sales._model_check(model);
	PERFORM crm_sales._period_check(period, ARRAY['day', 'week', 'month', 'quarter', 'year']);
	IF deals IS NULL OR id_column IS NULL OR group_by IS NULL
	   OR group_by NOT IN ('owner', 'team', 'all') THEN
		RAISE EXCEPTION 'group_by must be owner, team or all, with deals and id_column given'
			USING ERRCODE = 'invalid_parameter_value',
				  DETAIL = format('group_by = %s', coalesce(group_by, 'NULL'));
	END IF;
	IF group_by <> 'all' AND owner_column IS NULL THEN
		RAISE EXCEPTION 'group_by % needs owner_column', group_by
			USING ERRCODE = 'invalid_parameter_value';
	END IF;
	PERFORM crm_sales._columns_check(deals, ARRAY[id_column, owner_column]);
	RETURN QUERY EXECUTE format($q$
	WITH moves AS (
		SELECT h.entity_id, h.changed_at, h.position, h.category
		  FROM crm_sales._stage_moves($1, $2, $3, $4) h
	), ent AS (
		SELECT m.entity_id, min(m.changed_at) AS created_at,
			   max(m.position) FILTER (WHERE m.category <> 'lost') AS furthest,
			   bool_or(m.category = 'won') AS won
		  FROM moves m GROUP BY m.entity_id
	), grouped AS (
		SELECT date_trunc(%3$L, e.created_at)::date AS cohort,
			   CASE %4$L WHEN 'all' THEN 'all'
						 WHEN 'owner' THEN d.%2$I::text
						 ELSE crm_sales.team_of(d.%2$I::text, e.created_at::date) END AS grp,
			   e.furthest, e.won
		  FROM ent e JOIN %5$s d ON d.%1$I::text = e.entity_id
	)
	SELECT g.cohort, g.grp, s.position, s.stage, count(*),
		   count(*) FILTER (WHERE g.furthest >= s.position),
		   (count(*) FILTER (WHERE g.furthest >= s.position))::float8 / count(*),
		   count(*) FILTER (WHERE g.won),
		   (count(*) FILTER (WHERE g.won))::float8 / count(*)
	  FROM grouped g CROSS JOIN crm_sales.stage s
	 WHERE s.model = $1 AND s.category <> 'lost'
	 GROUP BY g.cohort, g.grp, s.position, s.stage
	 ORDER BY g.cohort, g.grp, s.position
	$q$, id_column, owner_column, period, group_by, deals)
	USING model, deals, since, until;
END
$$;
COMMENT ON FUNCTION cohort_conversion(regtype, regclass, text, name, name, text, timestamptz, timestamptz) IS
	'per creation cohort (period of the first recorded move) and owner, team or all: deals created, reaching each path stage, and won';

-- ====================================================================
-- Growth and customer flow
-- ====================================================================

-- Compound annual growth rate: (end / begin)^(1 / years) - 1.
CREATE FUNCTION cagr(begin_value numeric, end_value numeric, years numeric)
RETURNS double precision
LANGUAGE plpgsql IMMUTABLE STRICT PARALLEL SAFE SET search_path = pg_catalog, pg_temp AS $$
BEGIN
	IF years <= 0 OR years = 'NaN'::numeric OR years = 'Infinity'::numeric THEN
		RAISE EXCEPTION 'cagr needs a positive finite number of years, not %', years
			USING ERRCODE = 'invalid_parameter_value';
	END IF;
	IF begin_value <= 0 OR end_value < 0 OR begin_value = 'NaN'::numeric OR end_value = 'NaN'::numeric
	   OR begin_value = 'Infinity'::numeric OR end_value = 'Infinity'::numeric THEN
		RETURN NULL;		-- not defined from zero, negative or infinite values
	END IF;
	RETURN power((end_value / begin_value)::float8, 1.0 / years::float8) - 1;
END $$;
COMMENT ON FUNCTION cagr(numeric, numeric, numeric) IS
	'compound annual growth rate (end / begin)^(1 / years) - 1; NULL for a non-positive begin or negative end';

-- Period-over-period growth of a sum over a gap-filled series of periods.
CREATE FUNCTION period_growth(period text, since date, until date, source regclass,
	date_column name DEFAULT 'closed_at', amount_column name DEFAULT 'amount')
RETURNS TABLE (period_start date, amount numeric, previous numeric, growth_pct numeric,
	year_ago numeric, yoy_growth_pct numeric, cagr_pct numeric)
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	step interval := crm_sales._period_check(period, ARRAY['day', 'week', 'month', 'quarter', 'year']);
	per_year integer := CASE period WHEN 'month' THEN 12 WHEN 'quarter' THEN 4 WHEN 'year' THEN 1 END;
BEGIN
	IF since IS NULL OR until IS NULL OR source IS NULL OR date_column IS NULL OR amount_column IS NULL THEN
		RAISE EXCEPTION 'period_growth() arguments must not be NULL'
			USING ERRCODE = 'null_value_not_allowed';
	END IF;
	IF until < since THEN
		RAISE EXCEPTION 'until % is before since %', until, since
			USING ERRCODE = 'invalid_parameter_value';
	END IF;
	PERFORM crm_sales._columns_check(source, ARRAY[date_column, amount_column]);
	RETURN QUERY EXECUTE format($q$
	WITH series AS (
		SELECT g::date AS p FROM generate_series(date_trunc(%3$L, $1::timestamp),
												 date_trunc(%3$L, $2::timestamp), %4$L::interval) g
	), sums AS (
		SELECT date_trunc(%3$L, s.%1$I::timestamp)::date AS p, sum(s.%2$I)::numeric AS amount
		  FROM %5$s s
		 WHERE s.%1$I IS NOT NULL
		   AND s.%1$I::date >= (date_trunc(%3$L, $1::timestamp) - interval '1 year')::date
		   AND s.%1$I::date < (date_trunc(%3$L, $2::timestamp) + %4$L::interval)::date
		 GROUP BY 1
	), filled AS (
		SELECT x.p, coalesce(sm.amount, 0) AS amount
		  FROM (SELECT g::date AS p FROM generate_series(date_trunc(%3$L, $1::timestamp) - interval '1 year',
														 date_trunc(%3$L, $2::timestamp), %4$L::interval) g) x
		  LEFT JOIN sums sm ON sm.p = x.p
	), w AS (
		SELECT f.p, f.amount,
			   lag(f.amount) OVER (ORDER BY f.p) AS previous,
			   (SELECT y.amount FROM filled y WHERE y.p = (f.p - interval '1 year')::date) AS year_ago
		  FROM filled f
	)
	SELECT w.p, w.amount, w.previous,
		   round(100 * (w.amount - w.previous) / nullif(w.previous, 0), 2),
		   w.year_ago,
		   round(100 * (w.amount - w.year_ago) / nullif(w.year_ago, 0), 2),
		   CASE WHEN $3 IS NOT NULL AND w.p > date_trunc(%3$L, $1::timestamp)::date THEN
				round(100 * crm_sales.cagr(
					(SELECT f.amount FROM filled f WHERE f.p = date_trunc(%3$L, $1::timestamp)::date),
					w.amount,
					(SELECT count(*) FROM filled f WHERE f.p > date_trunc(%3$L, $1::timestamp)::date AND f.p <= w.p)::numeric / $3
				)::numeric, 2) END
	  FROM w JOIN series s ON s.p = w.p
	 ORDER BY w.p
	$q$, date_column, amount_column, period, step, source)
	USING since, until, per_year;
END
$$;
COMMENT ON FUNCTION period_growth(text, date, date, regclass, name, name) IS
	'per period from since to until (gaps are 0): the sum, the previous period, growth %, the same period a year ago, year-over-year growth %, CAGR % since the first period';

-- True, or an error when until is before since.
CREATE FUNCTION _range_check(p_since date, p_until date) RETURNS boolean
LANGUAGE plpgsql IMMUTABLE SET search_path = pg_catalog, pg_temp AS $$
BEGIN
	IF p_until < p_since THEN
		RAISE EXCEPTION 'until % is before since %', p_until, p_since
			USING ERRCODE = 'invalid_parameter_value';
	END IF;
	RETURN true;
END $$;

-- Per customer and period with orders up to until: the period's revenue.
-- Checks the arguments of customer_flow() and revenue_retention().
CREATE FUNCTION _customer_periods(p_period text, p_since date, p_until date, p_orders regclass,
	p_customer name, p_date name, p_amount name)
RETURNS TABLE (customer text, p date, revenue numeric)
LANGUAGE plpgsql STABLE SET search_path = pg_catalog, pg_temp AS $$
DECLARE
	step interval := crm_sales._period_check(p_period, ARRAY['day', 'week', 'month', 'quarter', 'year']);
BEGIN
	IF p_since IS NULL OR p_until IS NULL OR p_orders IS NULL OR p_customer IS NULL
	   OR p_date IS NULL OR p_amount IS NULL THEN
		RAISE EXCEPTION 'period, since, until, orders and the column names must not be NULL'
			USING ERRCODE = 'null_value_not_allowed';
	END IF;
	IF p_until < p_since THEN
		RAISE EXCEPTION 'until % is before since %', p_until, p_since
			USING ERRCODE = 'invalid_parameter_value';
	END IF;
	PERFORM crm_sales._columns_check(p_orders, ARRAY[p_customer, p_date, p_amount]);
	RETURN QUERY EXECUTE format(
		'SELECT o.%1$I::text, date_trunc(%4$L, o.%2$I::timestamp)::date, coalesce(sum(o.%3$I), 0)::numeric
		   FROM %5$s o
		  WHERE o.%1$I IS NOT NULL AND o.%2$I IS NOT NULL
			AND o.%2$I::date < (date_trunc(%4$L, $1::timestamp) + $2)::date
		  GROUP BY 1, 2', p_customer, p_date, p_amount, p_period, p_orders)
	USING p_until, step;
END $$;

-- Customer flow per period from orders: every customer active in a period
-- (ordered in it) is new (first order ever), returning (also ordered in the
-- previous period) or resurrected (not in the previous period, but
-- before); a customer active in the previous period and not in this one
-- is dormant.  Revenue: the period's orders of new, returning and
-- resurrected customers; for dormant ones, what they spent in the
-- previous period (the revenue that did not come back).
CREATE FUNCTION customer_flow(period text, since date, until date, orders regclass,
	customer_column name DEFAULT 'customer_id', date_column name DEFAULT 'ordered_at',
	amount_column name DEFAULT 'amount')
RETURNS TABLE (period_start date, class text, customers bigint, revenue numeric)
LANGUAGE sql STABLE STRICT
SET search_path = pg_catalog, pg_temp
AS $$
	WITH seq AS (
		SELECT a.*, lag(a.p) OVER w AS prev_p, lead(a.p) OVER w AS next_p,
			   min(a.p) OVER (PARTITION BY a.customer) AS first_p
		  FROM crm_sales._customer_periods($1, $2, $3, $4, $5, $6, $7) a
		WINDOW w AS (PARTITION BY a.customer ORDER BY a.p)
	), classified AS (
		SELECT s.p, CASE WHEN s.p = s.first_p THEN 'new'
						 WHEN s.prev_p = (s.p - crm_sales._period_check($1, ARRAY[$1]))::date THEN 'returning'
						 ELSE 'resurrected' END AS class,
			   s.revenue
		  FROM seq s
		UNION ALL			-- dormant in the period after an active one
		SELECT (s.p + crm_sales._period_check($1, ARRAY[$1]))::date, 'dormant', s.revenue
		  FROM seq s
		 WHERE s.next_p IS DISTINCT FROM (s.p + crm_sales._period_check($1, ARRAY[$1]))::date
	), periods AS (
		SELECT g::date AS p
		  FROM generate_series(date_trunc($1, $2::timestamp),
							   CASE WHEN crm_sales._range_check($2, $3) THEN date_trunc($1, $3::timestamp) END,
							   crm_sales._period_check($1, ARRAY[$1])) g
	), classes AS (
		SELECT * FROM unnest(ARRAY['new', 'returning', 'resurrected', 'dormant']) WITH ORDINALITY AS c(class, ord)
	)
	SELECT pr.p, cl.class, count(c.p), coalesce(sum(c.revenue), 0)
	  FROM periods pr CROSS JOIN classes cl
	  LEFT JOIN classified c ON c.p = pr.p AND c.class = cl.class
	 GROUP BY pr.p, cl.class, cl.ord
	 ORDER BY pr.p, cl.ord
$$;
COMMENT ON FUNCTION customer_flow(text, date, date, regclass, name, name, name) IS
	'per period: customers and revenue that are new, returning, resurrected, and dormant (active last period, not now; revenue = last period''s)';

-- Net revenue retention per cohort (customers whose first order falls in
-- the period): revenue of the cohort in each later period over its revenue
-- in its first period.
CREATE FUNCTION revenue_retention(period text, since date, until date, orders regclass,
	customer_column name DEFAULT 'customer_id', date_column name DEFAULT 'ordered_at',
	amount_column name DEFAULT 'amount')
RETURNS TABLE (cohort date, period_start date, period_number integer, cohort_customers bigint,
	active_customers bigint, revenue numeric, net_revenue_retention numeric)
LANGUAGE sql STABLE STRICT
SET search_path = pg_catalog, pg_temp
AS $$
	WITH active AS MATERIALIZED (
		SELECT * FROM crm_sales._customer_periods($1, $2, $3, $4, $5, $6, $7)
	), firsts AS (
		SELECT a.customer, min(a.p) AS cohort FROM active a GROUP BY a.customer
	), cohorts AS (
		SELECT f.cohort, count(*) AS n, sum(a.revenue) AS base
		  FROM firsts f JOIN active a ON a.customer = f.customer AND a.p = f.cohort
		 WHERE f.cohort >= date_trunc($1, $2::timestamp)::date
		 GROUP BY f.cohort
	), periods AS (
		SELECT g::date AS p, row_number() OVER (ORDER BY g) AS i
		  FROM generate_series(date_trunc($1, (SELECT min(cohort) FROM cohorts)::timestamp),
							   CASE WHEN crm_sales._range_check($2, $3) THEN date_trunc($1, $3::timestamp) END,
							   crm_sales._period_check($1, ARRAY[$1])) g
	)
	SELECT c.cohort, pr.p, (pr.i - pc.i)::int,
		   c.n, count(a.customer), coalesce(sum(a.revenue), 0),
		   round(coalesce(sum(a.revenue), 0) / nullif(c.base, 0), 4)
	  FROM cohorts c
	  JOIN periods pc ON pc.p = c.cohort
	  JOIN periods pr ON pr.p >= c.cohort
	  LEFT JOIN (active a JOIN firsts f ON f.customer = a.customer)
			 ON f.cohort = c.cohort AND a.p = pr.p
	 GROUP BY c.cohort, pr.p, pr.i, pc.i, c.n, c.base
	 ORDER BY c.cohort, pr.p
$$;
COMMENT ON FUNCTION revenue_retention(text, date, date, regclass, name, name, name) IS
	'per cohort (first-order period) and later period: active customers, revenue, and net revenue retention = revenue / the cohort''s first-period revenue';
