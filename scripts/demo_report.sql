-- demo_report.sql: a short report on the data of scripts/demo_data.sql.
-- Prints nothing that depends on the time of day.

\set ON_ERROR_STOP on
\pset footer off
\pset null '-'
SET client_min_messages = warning;

\echo
\echo '== crm_sales demo (database crm_demo) =='
SELECT (SELECT count(*) FROM demo.customers) AS customers,
	   (SELECT count(*) FROM demo.deals) AS deals,
	   (SELECT count(*) FROM crm_sales.stage_history) AS "stage changes recorded",
	   (SELECT count(*) FROM demo.refused) AS "moves refused";

\echo
\echo '== Deals by current stage / 销售漏斗 =='
SELECT coalesce(s.label_en, 'Total') AS stage, coalesce(s.label_zh, '合计') AS "阶段",
	   count(d.id) AS deals,
	   coalesce(round(sum(d.amount)), 0) AS amount,
	   coalesce(round(sum(d.amount * crm_sales.stage_probability(d.stage)::numeric)), 0)
		   AS weighted
  FROM crm_sales.stage s
  LEFT JOIN demo.deals d ON d.stage::text = s.stage
 WHERE s.model = 'crm_sales.sales_stage'::regtype
 GROUP BY GROUPING SETS ((s.position, s.label_en, s.label_zh), ())
 ORDER BY s.position NULLS LAST;

\echo
\echo '== Customers by lifecycle stage / 客户生命周期 =='
SELECT coalesce(s.label_en, 'Total') AS stage, coalesce(s.label_zh, '合计') AS "阶段",
	   count(c.id) AS customers,
	   round(100.0 * count(c.id) / (SELECT count(*) FROM demo.customers), 1) AS "%",
	   coalesce(sum(w.won), 0) AS "won deals",
	   coalesce(round(sum(w.won_amount)), 0) AS "won amount"
  FROM crm_sales.stage s
  LEFT JOIN demo.customers c ON c.lifecycle::text = s.stage
  LEFT JOIN (SELECT customer_id, count(*) AS won, sum(amount) AS won_amount
			   FROM demo.deals WHERE stage = 'closed_won'
			  GROUP BY customer_id) w ON w.customer_id = c.id
 WHERE s.model = 'crm_sales.lifecycle_stage'::regtype
 GROUP BY GROUPING SETS ((s.position, s.label_en, s.label_zh), ())
 ORDER BY s.position NULLS LAST;

\echo
\echo '== Moves refused by the trigger, by SQLSTATE and reason =='
SELECT sqlstate, message AS reason, count(*) AS tries
  FROM demo.refused
 GROUP BY sqlstate, message
 ORDER BY sqlstate, count(*) DESC, message;

\echo
\echo '== Funnel conversion from crm_sales.stage_history =='
WITH h AS (
	SELECT DISTINCT entity_id, to_stage
	  FROM crm_sales.stage_history
	 WHERE table_name = 'demo.deals'::regclass
), won AS (
	SELECT entity_id FROM h WHERE to_stage = 'closed_won'
)
SELECT s.label_en AS "entered stage", s.label_zh AS "阶段",
	   count(h.entity_id) AS deals,
	   count(won.entity_id) AS "later won",
	   round(100.0 * count(won.entity_id) / nullif(count(h.entity_id), 0), 1) AS "won %"
  FROM crm_sales.stage s
  LEFT JOIN h ON h.to_stage = s.stage
  LEFT JOIN won ON won.entity_id = h.entity_id
 WHERE s.model = 'crm_sales.sales_stage'::regtype
 GROUP BY s.position, s.label_en, s.label_zh
 ORDER BY s.position;
