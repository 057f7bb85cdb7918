-- The catalog is documentation (sql/areas/90_catalog_docs.sql): every
-- member object of the extension whose name does not start with "_" has a
-- COMMENT, and aggregate support functions follow one naming style.
-- Both lists below are expected to be empty.
CREATE EXTENSION IF NOT EXISTS crm_sales;

-- user-facing objects without a comment
SELECT pg_describe_object(d.classid, d.objid, d.objsubid) AS without_comment
  FROM pg_depend d
  JOIN pg_extension e ON e.oid = d.refobjid AND e.extname = 'crm_sales'
 WHERE d.refclassid = 'pg_extension'::regclass AND d.deptype = 'e'
   AND obj_description(d.objid, d.classid::regclass::text::name) IS NULL
   AND NOT (d.classid = 'pg_proc'::regclass
			AND (SELECT p.proname FROM pg_proc p WHERE p.oid = d.objid) LIKE '\_%')
 ORDER BY 1;

-- support functions of the extension's aggregates not named
-- _<aggregate>_trans / _combine / _serial / _deserial / _final.  Allowed:
-- funnel_add and deal_stats_add, the functions of the + operators of those
-- types, which merge two values as the merge aggregates' transition and
-- the aggregates' combine function.
SELECT DISTINCT s.fn::regprocedure AS misnamed_support_function
  FROM pg_aggregate a
  JOIN pg_proc ap ON ap.oid = a.aggfnoid
 CROSS JOIN LATERAL (VALUES (a.aggtransfn::oid), (a.aggcombinefn::oid), (a.aggserialfn::oid),
						   (a.aggdeserialfn::oid), (a.aggfinalfn::oid)) s(fn)
  JOIN pg_proc p ON p.oid = s.fn
 WHERE ap.pronamespace = 'crm_sales'::regnamespace
   AND p.pronamespace = 'crm_sales'::regnamespace
   AND p.proname !~ '^_[a-z0-9_]+_(trans|combine|serial|deserial|final)$'
   AND p.proname NOT IN ('funnel_add', 'deal_stats_add')
 ORDER BY 1;

