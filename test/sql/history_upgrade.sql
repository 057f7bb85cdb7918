-- A 0.1.0 install with history rows, updated (ALTER EXTENSION crm_sales
-- UPDATE): every row is kept, and from then on each role reads the
-- history of the tables it may SELECT from (under 0.1.0 everyone read all
-- of it).  The triggers of 0.1.0 keep checking and recording; adding the
-- AFTER partner (enforce_stages) makes their history exact.  Runs in a
-- database of its own.
\set SHOW_CONTEXT never
\set regress_db :DBNAME
SET client_min_messages = warning;
CREATE DATABASE crm_history_upgrade;
\c crm_history_upgrade
SET client_min_messages = warning;
CREATE EXTENSION crm_sales VERSION '0.1.0';
CREATE SCHEMA sales;
CREATE TABLE sales.deals (id int PRIMARY KEY, stage crm_sales.sales_stage);
CREATE TABLE sales.secret_deals (id int PRIMARY KEY, stage crm_sales.sales_stage);
CREATE TRIGGER deals_stage BEFORE INSERT OR UPDATE ON sales.deals
	FOR EACH ROW EXECUTE FUNCTION crm_sales.enforce_transition('stage', 'id');
CREATE TRIGGER secret_stage BEFORE INSERT OR UPDATE ON sales.secret_deals
	FOR EACH ROW EXECUTE FUNCTION crm_sales.enforce_transition('stage', 'id');
INSERT INTO sales.deals VALUES (1, 'lead_generation'), (2, 'lead_generation');
UPDATE sales.deals SET stage = 'proposal' WHERE id = 1;
INSERT INTO sales.secret_deals VALUES (1, 'lead_generation');
UPDATE sales.secret_deals SET stage = 'closed_won' WHERE id = 1;
CREATE ROLE regress_upgrade_reader;
GRANT USAGE ON SCHEMA sales TO regress_upgrade_reader;
GRANT SELECT ON sales.deals TO regress_upgrade_reader;
SET ROLE regress_upgrade_reader;
SELECT table_name, count(*) FROM crm_sales.stage_history GROUP BY 1 ORDER BY 1;
RESET ROLE;

ALTER EXTENSION crm_sales UPDATE;
SELECT extversion <> '0.1.0' AS updated FROM pg_extension WHERE extname = 'crm_sales';
-- every row is still there
SELECT table_name, entity_id, from_stage, to_stage FROM crm_sales.stage_history ORDER BY id;
-- a reader now sees the history of sales.deals only, through every way in
SET ROLE regress_upgrade_reader;
SELECT table_name, count(*) FROM crm_sales.stage_history GROUP BY 1 ORDER BY 1;
SELECT table_name, from_stage, to_stage, moves FROM crm_sales.stage_flow
 ORDER BY 1, 2 NULLS FIRST, 3;
SELECT table_name, entity_id, furthest_stage FROM crm_sales.furthest_stages('crm_sales.sales_stage') ORDER BY 1, 2;
RESET ROLE;

-- the 0.1.0 trigger goes on recording; enforce_stages() adds the AFTER
-- partner, after which the old trigger only checks; run again, it replaces
-- its own triggers and names the old one, which may now be dropped
UPDATE sales.deals SET stage = 'negotiation' WHERE id = 1;
SELECT crm_sales.enforce_stages('sales.deals', 'stage', 'id');
SET client_min_messages = notice;
SELECT crm_sales.enforce_stages('sales.deals', 'stage', 'id');
SET client_min_messages = warning;
INSERT INTO sales.deals VALUES (3, 'lead_generation') ON CONFLICT DO NOTHING;
INSERT INTO sales.deals VALUES (1, 'lead_generation') ON CONFLICT DO NOTHING;
UPDATE sales.deals SET stage = 'closed_won' WHERE id = 1;
SELECT entity_id, from_stage, to_stage FROM crm_sales.stage_history
 WHERE table_name = 'sales.deals'::regclass ORDER BY id;

\c :regress_db
DROP DATABASE crm_history_upgrade;
DROP ROLE regress_upgrade_reader;
