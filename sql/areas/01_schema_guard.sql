--------------------------------------------------------------------------
-- Schema guard (docs/architecture.md, "Who may install crm_sales").
--
-- CREATE EXTENSION and ALTER EXTENSION UPDATE run their script as a
-- superuser with the schema crm_sales first on the search_path after
-- pg_catalog.  A function or operator that someone else placed in that
-- schema beforehand could capture a reference of the script (an exact-type
-- overload wins over pg_catalog's polymorphic one) and would run with
-- superuser rights.  So the script goes on only when nobody but superusers
-- can have placed objects there: the schema belongs to a superuser, no
-- other role may create objects in it, and it holds no function or
-- operator that is not the extension's own.  This guard is the same file
-- in the install script and in every upgrade script; every name in it is
-- schema-qualified, so it cannot be captured itself.
--------------------------------------------------------------------------

DO $guard$
DECLARE
	v_owner		pg_catalog.name;
	v_super		pg_catalog.bool;
	v_creators	pg_catalog.text;
	v_foreign	pg_catalog.text;
BEGIN
	SELECT r.rolname, r.rolsuper INTO v_owner, v_super
	  FROM pg_catalog.pg_namespace n
	  JOIN pg_catalog.pg_roles r ON r.oid OPERATOR(pg_catalog.=) n.nspowner
	 WHERE n.nspname OPERATOR(pg_catalog.=) 'crm_sales'::pg_catalog.name;
	IF NOT v_super THEN
		RAISE EXCEPTION 'schema crm_sales is owned by role %, which is not a superuser', v_owner
			USING ERRCODE = 'insufficient_privilege',
				  DETAIL = 'The extension script runs as a superuser with crm_sales on its search_path, so the owner of the schema could place objects there that the script would run.',
				  HINT = 'Drop the schema if it holds nothing of value, or give it to a superuser: ALTER SCHEMA crm_sales OWNER TO CURRENT_USER;';
	END IF;

	SELECT pg_catalog.string_agg(CASE WHEN a.grantee OPERATOR(pg_catalog.=) 0 THEN 'PUBLIC'
									  ELSE r.rolname::pg_catalog.text END, ', '
								ORDER BY a.grantee OPERATOR(pg_catalog.=) 0, r.rolname)
	  INTO v_creators
	  FROM pg_catalog.pg_namespace n
	 CROSS JOIN LATERAL pg_catalog.aclexplode(n.nspacl) a
	  LEFT JOIN pg_catalog.pg_roles r ON r.oid OPERATOR(pg_catalog.=) a.grantee
	 WHERE n.nspname OPERATOR(pg_catalog.=) 'crm_sales'::pg_catalog.name
	   AND a.privilege_type OPERATOR(pg_catalog.=) 'CREATE'::pg_catalog.text
	   AND NOT coalesce(r.rolsuper, false);
	IF v_creators IS NOT NULL THEN
		RAISE EXCEPTION 'roles that are not superusers may create objects in schema crm_sales: %', v_creators
			USING ERRCODE = 'insufficient_privilege',
				  DETAIL = 'The extension script runs as a superuser with crm_sales on its search_path, so objects those roles place there could be run by it.',
				  HINT = 'REVOKE CREATE ON SCHEMA crm_sales FROM those roles.';
	END IF;

	SELECT pg_catalog.string_agg(o.what, ', ' ORDER BY o.what) INTO v_foreign
	  FROM (SELECT 'function ' OPERATOR(pg_catalog.||) p.oid::pg_catalog.regprocedure::pg_catalog.text AS what,
				   'pg_catalog.pg_proc'::pg_catalog.regclass AS classid, p.oid AS objid
			  FROM pg_catalog.pg_proc p
			 WHERE p.pronamespace OPERATOR(pg_catalog.=) 'crm_sales'::pg_catalog.regnamespace
			UNION ALL
			SELECT 'operator ' OPERATOR(pg_catalog.||) o.oid::pg_catalog.regoperator::pg_catalog.text,
				   'pg_catalog.pg_operator'::pg_catalog.regclass, o.oid
			  FROM pg_catalog.pg_operator o
			 WHERE o.oprnamespace OPERATOR(pg_catalog.=) 'crm_sales'::pg_catalog.regnamespace) o
	 WHERE NOT EXISTS (
			SELECT FROM pg_catalog.pg_depend d
			  JOIN pg_catalog.pg_extension e ON e.oid OPERATOR(pg_catalog.=) d.refobjid
			 WHERE d.classid OPERATOR(pg_catalog.=) o.classid
			   AND d.objid OPERATOR(pg_catalog.=) o.objid
			   AND d.refclassid OPERATOR(pg_catalog.=) 'pg_catalog.pg_extension'::pg_catalog.regclass
			   AND d.deptype OPERATOR(pg_catalog.=) 'e'::pg_catalog.char
			   AND e.extname OPERATOR(pg_catalog.=) 'crm_sales'::pg_catalog.name);
	IF v_foreign IS NOT NULL THEN
		RAISE EXCEPTION 'schema crm_sales holds objects that are not part of the extension: %', v_foreign
			USING ERRCODE = 'object_in_use',
				  DETAIL = 'The extension script runs with crm_sales on its search_path, so these could capture its references.',
				  HINT = 'Move them to another schema (ALTER FUNCTION ... SET SCHEMA) or drop them, then try again.';
	END IF;
END
$guard$;
