-- Security of the stage history (issue 9, part 2).
--  * The history is written as its owner inside a security-restricted
--    operation with search_path = pg_catalog, pg_temp: a trigger an
--    administrator puts on stage_history cannot be hijacked through the
--    writer's search_path (the superuser escalation of the issue, which
--    succeeded before: the role below became superuser).
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

DROP TABLE deals_sec, deals_old;
DROP SCHEMA evil CASCADE;
DROP ROLE regress_mallory;
DELETE FROM crm_sales.stage_history;
RESET search_path;
