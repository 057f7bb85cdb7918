-- crm_sales.mark_churned(): customers whose P(alive) fell below a threshold
-- move to 'churned' through the table's own enforce_transition() trigger,
-- so the lifecycle rules apply and history is written.  P(alive) at the
-- paper's parameters for every history below is in
-- test/reference/clv/bgnbd_gg_reference.out ("churn palive" lines, R):
-- 0.726579, 0.212101, 0.024804, 1, 0.860067, 0.187631 (customers 1-7) and
-- 0.038151 (customer 10).
\set SHOW_CONTEXT never
SET search_path = public, crm_sales;

CREATE TABLE customers (
	id		int PRIMARY KEY,
	stage	lifecycle_stage,
	"x; DROP TABLE customers; --" float8,	-- a hostile column name: quoted, never spliced
	t_x		float8,
	"T"		float8
);
CREATE TRIGGER customers_stage BEFORE INSERT OR UPDATE OF stage ON customers
	FOR EACH ROW EXECUTE FUNCTION crm_sales.enforce_transition('stage', 'id');
INSERT INTO customers VALUES
	(1, 'new', 2, 30.43, 38.86),
	(2, 'new', 1, 1.71, 38.86),
	(3, 'new', 5, 10, 38.86),
	(4, 'new', 0, 0, 38.86),
	(5, 'new', 7, 35.71, 38.86),
	(6, 'new', NULL, NULL, NULL),
	(7, NULL, 1, 1, 38.86);
UPDATE customers SET stage = 'loyal' WHERE id IN (2, 5);
CREATE TABLE m AS SELECT '(r=0.243,alpha=4.414,a=0.793,b=2.426)'::bgnbd_model AS m;
SELECT id, stage, round(p_alive(m, "x; DROP TABLE customers; --", t_x, "T")::numeric, 4) AS p_alive
  FROM customers, m ORDER BY id;

-- below 0.3: customers 2 (loyal, 0.2121) and 3 (new, 0.0248) move;
-- 6 (no history: NULL P(alive)) and 7 (no stage yet) are left alone
SELECT mark_churned('customers', 'stage', 'x; DROP TABLE customers; --', 't_x', 'T', m, 0.3) FROM m;
SELECT id, stage FROM customers ORDER BY id;
SELECT entity_id, from_stage, to_stage FROM crm_sales.stage_history
 WHERE table_name = 'customers'::regclass AND to_stage = 'churned' ORDER BY entity_id;
-- again: nothing left to move
SELECT mark_churned('customers', 'stage', 'x; DROP TABLE customers; --', 't_x', 'T', m, 0.3) FROM m;

-- the model's rules still apply: prospect -> churned is not an allowed
-- move, so the trigger refuses and the whole statement is rolled back
INSERT INTO customers VALUES (8, 'prospect', 1, 1, 38.86);
SELECT mark_churned('customers', 'stage', 'x; DROP TABLE customers; --', 't_x', 'T', m, 0.99) FROM m;
\echo :LAST_ERROR_SQLSTATE
SELECT id, stage FROM customers ORDER BY id;
-- leave prospects out through a view: the UPDATE goes through it to the
-- table, and the table's trigger still checks and records every move
CREATE VIEW paying_customers AS
	SELECT * FROM customers WHERE stage <> 'prospect';
SELECT mark_churned('paying_customers', 'stage', 'x; DROP TABLE customers; --', 't_x', 'T', m, 0.99) FROM m;
SELECT id, stage FROM customers ORDER BY id;
SELECT count(*) AS churn_history_rows FROM crm_sales.stage_history
 WHERE table_name = 'customers'::regclass AND to_stage = 'churned';

-- a move the user forbade is refused too, through the view as well
SELECT crm_sales.forbid_transition('crm_sales.lifecycle_stage', 'new', 'churned');
INSERT INTO customers VALUES (10, 'new', 3, 5, 38.86);
SELECT mark_churned('paying_customers', 'stage', 'x; DROP TABLE customers; --', 't_x', 'T', m, 0.3) FROM m;
\echo :LAST_ERROR_SQLSTATE
SELECT crm_sales.allow_transition('crm_sales.lifecycle_stage', 'new', 'churned');
SELECT mark_churned('paying_customers', 'stage', 'x; DROP TABLE customers; --', 't_x', 'T', m, 0.3) FROM m;
SELECT id, stage FROM customers WHERE id = 10;

-- runs as the caller: a role that may not update the table cannot use it
CREATE ROLE clv_reader;
GRANT USAGE ON SCHEMA crm_sales TO clv_reader;
GRANT SELECT ON customers TO clv_reader;
SET ROLE clv_reader;
SELECT mark_churned('customers', 'stage', 'x; DROP TABLE customers; --', 't_x', 'T',
					'(r=0.243,alpha=4.414,a=0.793,b=2.426)', 0.99);
\echo :LAST_ERROR_SQLSTATE
RESET ROLE;
DROP OWNED BY clv_reader;
DROP ROLE clv_reader;

-- a stage column whose type is a domain over the model's enum (P(alive)
-- 0.726579 and 0.024804 from R, as above): customer 3 moves
CREATE DOMAIN lifecycle_dom AS lifecycle_stage;
CREATE TABLE customers_dom (id int PRIMARY KEY, stage lifecycle_dom, x float8, t_x float8, "T" float8);
CREATE TRIGGER customers_dom_stage BEFORE INSERT OR UPDATE OF stage ON customers_dom
	FOR EACH ROW EXECUTE FUNCTION crm_sales.enforce_transition('stage', 'id');
INSERT INTO customers_dom VALUES (1, 'new', 2, 30.43, 38.86), (3, 'new', 5, 10, 38.86);
SELECT mark_churned('customers_dom', 'stage', 'x', 't_x', 'T', m, 0.3) FROM m;
SELECT id, stage FROM customers_dom ORDER BY id;
SELECT entity_id, from_stage, to_stage FROM crm_sales.stage_history
 WHERE table_name = 'customers_dom'::regclass ORDER BY entity_id, id;

-- misuse
SELECT mark_churned('customers', 'stage', 'nope', 't_x', 'T', m, 0.3) FROM m;
\echo :LAST_ERROR_SQLSTATE
SELECT mark_churned('customers', 't_x', 'x; DROP TABLE customers; --', 't_x', 'T', m, 0.3) FROM m;
\echo :LAST_ERROR_SQLSTATE
SELECT mark_churned('customers', 'stage', 'x; DROP TABLE customers; --', 't_x', 'T', m, 1.5) FROM m;
\echo :LAST_ERROR_SQLSTATE
SELECT mark_churned('customers', 'stage', 'x; DROP TABLE customers; --', 't_x', 'T', m, 0.3, 'gone') FROM m;
\echo :LAST_ERROR_SQLSTATE
SELECT mark_churned('customers_pkey', 'stage', 'x', 't_x', 'T', m, 0.3) FROM m;
\echo :LAST_ERROR_SQLSTATE
-- a bad history in the table is reported by p_alive(), nothing moves
INSERT INTO customers VALUES (9, 'new', 1, 50, 38.86);
SELECT mark_churned('paying_customers', 'stage', 'x; DROP TABLE customers; --', 't_x', 'T', m, 0.3) FROM m;
\echo :LAST_ERROR_SQLSTATE
SELECT mark_churned(NULL, 'stage', 'x', 't_x', 'T', m, 0.3) IS NULL AS strict FROM m;
