-- Security of the stage history (issue 9, parts 2 and 4).
--  * The history is written as its owner inside a security-restricted
--    operation with search_path = pg_catalog, pg_temp: a trigger an
--    administrator puts on stage_history cannot be hijacked through the
--    writer's search_path (the superuser escalation of the issue, which
--    succeeded before: the role below became superuser).
--  * Row security: a role sees only the history of tables it may SELECT
--    from, in stage_history, stage_flow and every history function.
-- Expected outcomes follow from the rules stated in docs/security.md.
\set SHOW_CONTEXT never
SET search_path = public, crm_sales;
SET client_min_messages = notice;

CREATE TABLE deals_sec (id int PRIMARY KEY, stage sales_stage);
CREATE TRIGGER deals_sec_stage AFTER INSERT OR UPDATE OF stage ON deals_sec
	FOR EACH ROW EXECUTE FUNCTION crm_sales.enforce_transition('stage', 'id');
-- the BEFORE form takes the same path
CREATE TABLE deals_old (id int PRIMARY KEY, stage sales_stage);
CREATE TRIGGER deals_old_stage BEFORE INSERT OR UPDATE ON deals_old
	FOR EACH ROW EXECUTE FUNCTION crm_sales.enforce_transition('stage', 'id');

-- An audit trigger an administrator adds to the history: it calls lower()
-- without a schema and records the search_path and role it ran with
CREATE TABLE audit_log (entity_id text, to_stage text, path text, as_owner boolean);
CREATE FUNCTION audit_history() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
	INSERT INTO public.audit_log
	VALUES (NEW.entity_id, lower(NEW.to_stage), current_setting('search_path'),
			current_user = (SELECT r.rolname FROM pg_catalog.pg_roles r
							  JOIN pg_catalog.pg_extension e ON e.extowner = r.oid
							 WHERE e.extname = 'crm_sales'));
	RETURN NEW;
END $$;
CREATE TRIGGER audit AFTER INSERT ON crm_sales.stage_history
	FOR EACH ROW EXECUTE FUNCTION audit_history();

-- The attack: an ordinary role that may write deals puts its own lower()
-- first in its search_path, hoping the audit trigger calls it as the owner
CREATE ROLE regress_mallory;
GRANT SELECT, INSERT, UPDATE ON deals_sec, deals_old TO regress_mallory;
CREATE SCHEMA evil AUTHORIZATION regress_mallory;
SET ROLE regress_mallory;
CREATE FUNCTION evil.lower(text) RETURNS text LANGUAGE plpgsql AS $$
BEGIN
	EXECUTE 'ALTER ROLE regress_mallory SUPERUSER';
	RETURN pg_catalog.lower($1) || ' (hijacked)';
END $$;
SET search_path = evil, pg_catalog;
INSERT INTO public.deals_sec VALUES (1, 'lead_generation');
UPDATE public.deals_sec SET stage = 'initial_contact' WHERE id = 1;
INSERT INTO public.deals_old VALUES (1, 'lead_generation');
RESET ROLE;
SET search_path = public, crm_sales;
-- still no superuser; the audit trigger ran as the owner, with the pinned
-- path, so with pg_catalog.lower
SELECT rolsuper FROM pg_roles WHERE rolname = 'regress_mallory';
SELECT * FROM audit_log ORDER BY entity_id, to_stage;

-- Inside the write, the restrictions of a security-restricted operation
-- hold (no SET ROLE, no temporary table), and settings the trigger changes
-- do not outlive the write
CREATE OR REPLACE FUNCTION audit_history() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
	PERFORM pg_catalog.set_config('work_mem', '1234kB', false);
	IF NEW.to_stage = 'proposal' THEN
		EXECUTE 'SET ROLE regress_mallory';
	ELSIF NEW.to_stage = 'closed_lost' THEN
		EXECUTE 'CREATE TEMP TABLE t_audit (x int)';
	END IF;
	RETURN NEW;
END $$;
SET work_mem = '4MB';
UPDATE deals_sec SET stage = 'needs_analysis' WHERE id = 1;
SHOW work_mem;
UPDATE deals_sec SET stage = 'proposal' WHERE id = 1;
\echo :LAST_ERROR_SQLSTATE
UPDATE deals_sec SET stage = 'closed_lost' WHERE id = 1;
\echo :LAST_ERROR_SQLSTATE
RESET work_mem;
DROP TRIGGER audit ON crm_sales.stage_history;
DROP FUNCTION audit_history();
DROP TABLE audit_log;

-- The same with code the row is written through directly (no trigger on
-- the history): a CHECK constraint and an index expression that call
-- lower() without a schema
CREATE FUNCTION stage_ok(s text) RETURNS boolean LANGUAGE plpgsql IMMUTABLE AS
$$BEGIN RETURN lower(s) IS NOT NULL OR s IS NULL; END$$;
ALTER TABLE crm_sales.stage_history ADD CONSTRAINT stage_ok CHECK (public.stage_ok(to_stage));
SET ROLE regress_mallory;
SET search_path = evil, pg_catalog;
UPDATE public.deals_old SET stage = 'initial_contact' WHERE id = 1;
RESET ROLE;
SET search_path = public, crm_sales;
SELECT rolsuper FROM pg_roles WHERE rolname = 'regress_mallory';
ALTER TABLE crm_sales.stage_history DROP CONSTRAINT stage_ok;
CREATE INDEX stage_history_lower ON crm_sales.stage_history (public.stage_ok(from_stage));
SET ROLE regress_mallory;
SET search_path = evil, pg_catalog;
UPDATE public.deals_old SET stage = 'needs_analysis' WHERE id = 1;
RESET ROLE;
SET search_path = public, crm_sales;
SELECT rolsuper FROM pg_roles WHERE rolname = 'regress_mallory';
DROP INDEX crm_sales.stage_history_lower;
DROP FUNCTION stage_ok(text);

-- Row security: another tenant's table
CREATE SCHEMA other;
CREATE TABLE other.secret_deals (id int PRIMARY KEY, stage sales_stage);
CREATE TRIGGER secret_stage AFTER INSERT OR UPDATE OF stage ON other.secret_deals
	FOR EACH ROW EXECUTE FUNCTION crm_sales.enforce_transition('stage', 'id');
INSERT INTO other.secret_deals VALUES (7, 'lead_generation'), (8, 'lead_generation');
UPDATE other.secret_deals SET stage = 'proposal' WHERE id = 7;
UPDATE other.secret_deals SET stage = 'closed_lost' WHERE id = 8;
CREATE ROLE regress_tenant;
GRANT USAGE ON SCHEMA other TO regress_tenant;	-- may name the table, not read it
GRANT SELECT ON deals_sec TO regress_tenant;
SET ROLE regress_tenant;
SELECT table_name, count(*) FROM crm_sales.stage_history GROUP BY 1 ORDER BY 1;
SELECT count(*) FROM crm_sales.stage_history WHERE table_name = 'other.secret_deals'::regclass;
SELECT * FROM furthest_stages('crm_sales.sales_stage', 'other.secret_deals');
SELECT history_funnel('crm_sales.sales_stage', 'other.secret_deals') IS NULL AS no_funnel;
SELECT sum(entered) AS entered FROM stage_conversion('crm_sales.sales_stage', 'other.secret_deals');
SELECT sum(visits) AS visits FROM time_in_stage('crm_sales.sales_stage', 'other.secret_deals');
SELECT count(*) FROM stage_flow WHERE table_name = 'other.secret_deals'::regclass;
-- the planner estimates the share of rows the role may see from the
-- statistics of table_name (3 of the 10 rows), not the default third of a
-- boolean filter
RESET ROLE;
ANALYZE crm_sales.stage_history;
CREATE FUNCTION plan_rows(q text) RETURNS float8 LANGUAGE plpgsql AS $$
DECLARE
	j json;
BEGIN
	EXECUTE 'EXPLAIN (FORMAT JSON) ' || q INTO j;
	RETURN (j -> 0 -> 'Plan' ->> 'Plan Rows')::float8;
END $$;
SELECT plan_rows('SELECT * FROM crm_sales.stage_history') AS estimated_for_superuser;
SET ROLE regress_tenant;
SELECT plan_rows('SELECT * FROM crm_sales.stage_history') AS estimated,
	   (SELECT count(*) FROM crm_sales.stage_history) AS visible;
-- with no table named, only the history of tables it may read
SELECT table_name, entity_id, furthest_stage FROM furthest_stages('crm_sales.sales_stage') ORDER BY 1, 2;
SELECT DISTINCT table_name FROM stage_flow;
-- the same in a parallel plan (the policy's function is parallel safe)
SET max_parallel_workers_per_gather = 2;
SET parallel_setup_cost = 0;
SET parallel_tuple_cost = 0;
SET min_parallel_table_scan_size = 0;
SET force_parallel_mode = on;
SELECT table_name, count(*) FROM crm_sales.stage_history GROUP BY 1 ORDER BY 1;
RESET force_parallel_mode;
RESET max_parallel_workers_per_gather;
RESET parallel_setup_cost;
RESET parallel_tuple_cost;
RESET min_parallel_table_scan_size;
-- nor can it write or change the history
INSERT INTO crm_sales.stage_history (table_name, entity_id, model, to_stage)
	VALUES ('deals_sec', '9', 'crm_sales.sales_stage', 'closed_won');
\echo :LAST_ERROR_SQLSTATE
DELETE FROM crm_sales.stage_history;
\echo :LAST_ERROR_SQLSTATE
SELECT history_visible('deals_sec') AS deals_sec, history_visible('other.secret_deals') AS secret,
	   history_visible(NULL) AS null_table;
-- nor change a model, turn enforcement off, or import history
SELECT set_probability('crm_sales.sales_stage', 'proposal', 0.9);
\echo :LAST_ERROR_SQLSTATE
SET crm_sales.enforce_transitions = off;
\echo :LAST_ERROR_SQLSTATE
SELECT import_history('crm_sales.sales_stage', ARRAY[]::stage_move[]);
\echo :LAST_ERROR_SQLSTATE
RESET ROLE;

-- SELECT on the table shows its history
GRANT SELECT ON other.secret_deals TO regress_tenant;
SET ROLE regress_tenant;
SELECT entity_id, furthest_stage, last_stage FROM furthest_stages('crm_sales.sales_stage', 'other.secret_deals') ORDER BY 1;
RESET ROLE;
-- a column privilege is not enough: the history shows every row's id and stages
REVOKE SELECT ON other.secret_deals FROM regress_tenant;
GRANT SELECT (id) ON other.secret_deals TO regress_tenant;
SET ROLE regress_tenant;
SELECT count(*) FROM crm_sales.stage_history WHERE table_name = 'other.secret_deals'::regclass;
RESET ROLE;
-- members of pg_read_all_data read every table, so every table's history
GRANT pg_read_all_data TO regress_tenant;
SET ROLE regress_tenant;
SELECT count(*) FROM crm_sales.stage_history WHERE table_name = 'other.secret_deals'::regclass;
RESET ROLE;
REVOKE pg_read_all_data FROM regress_tenant;

-- A writer needs no privilege on the history, nor SELECT on its table
CREATE ROLE regress_writer;
GRANT USAGE ON SCHEMA other TO regress_writer;
GRANT INSERT, UPDATE (stage) ON other.secret_deals TO regress_writer;
SET ROLE regress_writer;
INSERT INTO other.secret_deals VALUES (9, 'lead_generation');
SELECT count(*) AS sees FROM crm_sales.stage_history;
RESET ROLE;
SELECT entity_id, from_stage, to_stage, changed_by FROM crm_sales.stage_history
 WHERE table_name = 'other.secret_deals'::regclass AND entity_id = '9';

-- The history of a dropped table is visible to superusers only (and roles
-- with BYPASSRLS): no role may read a table that no longer exists
GRANT SELECT ON deals_old TO regress_tenant;
SET ROLE regress_tenant;
SELECT count(*) AS deals_old_rows FROM crm_sales.stage_history WHERE entity_id = '1' AND to_stage = 'lead_generation';
RESET ROLE;
DROP TABLE deals_old;
SET ROLE regress_tenant;
SELECT count(*) AS deals_old_rows FROM crm_sales.stage_history WHERE entity_id = '1' AND to_stage = 'lead_generation';
RESET ROLE;
SELECT count(*) AS all_rows_for_superuser FROM crm_sales.stage_history WHERE entity_id = '1' AND to_stage = 'lead_generation';

DROP TABLE deals_sec, other.secret_deals;
DROP FUNCTION plan_rows(text);
DROP SCHEMA other, evil CASCADE;
DROP ROLE regress_mallory, regress_tenant, regress_writer;
DELETE FROM crm_sales.stage_history;
RESET search_path;
