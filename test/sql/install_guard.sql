-- The schema guard of the install and upgrade scripts
-- (sql/areas/01_schema_guard.sql): CREATE EXTENSION and ALTER EXTENSION
-- UPDATE refuse a schema crm_sales in which a role other than a superuser
-- could have placed objects, or which holds functions or operators that
-- are not the extension's.  Runs in a database of its own.
SET client_min_messages = warning;
\set SHOW_CONTEXT never
\set orig_db :DBNAME
CREATE ROLE regress_crm_intruder;
CREATE DATABASE regress_crm_guard TEMPLATE template0;
GRANT CREATE ON DATABASE regress_crm_guard TO regress_crm_intruder;
\c regress_crm_guard
SET client_min_messages = warning;

-- A role with CREATE on the database prepares the schema, with a function
-- that would capture the install script's unqualified array_fill() call (an
-- exact-type overload wins over pg_catalog.array_fill(anyelement, int[])).
SET ROLE regress_crm_intruder;
CREATE SCHEMA crm_sales;
CREATE SCHEMA intruder;
CREATE TABLE intruder.captured (who name);
GRANT INSERT ON intruder.captured TO PUBLIC;
GRANT USAGE ON SCHEMA intruder TO PUBLIC;
CREATE FUNCTION crm_sales.array_fill(text, integer[]) RETURNS text[]
	LANGUAGE sql AS $$ INSERT INTO intruder.captured VALUES (current_user) RETURNING ARRAY[$1] $$;
RESET ROLE;
-- the capture is real: with crm_sales on the path the plant wins
SET search_path = crm_sales, public;
SELECT array_fill('boolean'::text, ARRAY[2]);
SELECT who = current_user AS ran_as_the_caller FROM intruder.captured;
DELETE FROM intruder.captured;
RESET search_path;

-- refused: the schema's owner is not a superuser
CREATE EXTENSION crm_sales;
ALTER SCHEMA crm_sales OWNER TO CURRENT_USER;
-- refused: the schema holds a function that is not the extension's
CREATE EXTENSION crm_sales;
ALTER FUNCTION crm_sales.array_fill(text, integer[]) SET SCHEMA intruder;
-- refused: a role that is not a superuser may create objects in it
GRANT CREATE ON SCHEMA crm_sales TO regress_crm_intruder;
CREATE EXTENSION crm_sales;
GRANT CREATE ON SCHEMA crm_sales TO PUBLIC;
CREATE EXTENSION crm_sales;
REVOKE CREATE ON SCHEMA crm_sales FROM regress_crm_intruder, PUBLIC;
-- now it installs, and the planted function never ran as the superuser
CREATE EXTENSION crm_sales;
SELECT count(*) AS captured_calls FROM intruder.captured;
SELECT extversion FROM pg_extension WHERE extname = 'crm_sales';

-- The same guard in the upgrade script: 0.1.0 installed, then a plant.
DROP EXTENSION crm_sales;
CREATE EXTENSION crm_sales VERSION '0.1.0';
GRANT CREATE ON SCHEMA crm_sales TO regress_crm_intruder;
ALTER EXTENSION crm_sales UPDATE;
REVOKE CREATE ON SCHEMA crm_sales FROM regress_crm_intruder;
CREATE OPERATOR crm_sales.=== (LEFTARG = int, RIGHTARG = int, FUNCTION = int4eq);
ALTER EXTENSION crm_sales UPDATE;
DROP OPERATOR crm_sales.=== (int, int);
ALTER SCHEMA crm_sales OWNER TO regress_crm_intruder;
ALTER EXTENSION crm_sales UPDATE;
ALTER SCHEMA crm_sales OWNER TO CURRENT_USER;
ALTER EXTENSION crm_sales UPDATE;
SELECT extversion FROM pg_extension WHERE extname = 'crm_sales';

\c :orig_db
DROP DATABASE regress_crm_guard;
DROP ROLE regress_crm_intruder;
