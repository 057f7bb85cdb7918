-- Helpers of the citus suite, created on the coordinator in the schema
-- citus_suite: comparing results with a tolerance, reading plan shapes from
-- EXPLAIN VERBOSE, and checking one aggregate on a distributed table.
\set ON_ERROR_STOP on
CREATE SCHEMA citus_suite;

-- Are the text forms a and b the same result?  With rel NULL: equal text.
-- Otherwise the text around the numbers must be equal and each pair of
-- numbers equal within rel relative to the larger magnitude (NaN and
-- Infinity must match exactly).
CREATE FUNCTION citus_suite.same(a text, b text, rel float8) RETURNS boolean
LANGUAGE plpgsql IMMUTABLE AS $$
DECLARE
	num constant text := '-?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][-+]?[0-9]+)?|NaN|-?Infinity';
	na text[];
	nb text[];
	x float8;
	y float8;
BEGIN
	IF a IS NULL OR b IS NULL THEN
		RETURN a IS NULL AND b IS NULL;
	END IF;
	IF rel IS NULL OR a = b THEN
		RETURN a = b;
	END IF;
	IF regexp_replace(a, num, '#', 'g') <> regexp_replace(b, num, '#', 'g') THEN
		RETURN false;
	END IF;
	na := ARRAY(SELECT m[1] FROM regexp_matches(a, '(' || num || ')', 'g') AS m);
	nb := ARRAY(SELECT m[1] FROM regexp_matches(b, '(' || num || ')', 'g') AS m);
	IF cardinality(na) <> cardinality(nb) THEN
		RETURN false;
	END IF;
	FOR i IN 1 .. cardinality(na) LOOP
		CONTINUE WHEN na[i] = nb[i];
		x := na[i]::float8;
		y := nb[i]::float8;
		IF x = y THEN
			CONTINUE;
		END IF;
		IF x <> x OR y <> y OR abs(x) = 'Infinity' OR abs(y) = 'Infinity'
			OR abs(x - y) > rel * greatest(abs(x), abs(y)) THEN
			RETURN false;
		END IF;
	END LOOP;
	RETURN true;
END $$;

-- EXPLAIN (VERBOSE, COSTS OFF) of q as one text, lines joined by newlines.
CREATE FUNCTION citus_suite.plan(q text) RETURNS text
LANGUAGE plpgsql AS $$
DECLARE
	line text;
	result text := '';
BEGIN
	FOR line IN EXECUTE 'EXPLAIN (VERBOSE, COSTS OFF) ' || q LOOP
		result := result || line || E'\n';
	END LOOP;
	RETURN result;
END $$;

-- The shape of the plan p of a query calling aggregate agg (its name
-- without schema): 'full' (the workers run it, the coordinator only
-- gathers), 'partial' (worker_partial_agg on the workers, coord_combine_agg
-- on the coordinator), 'gather' (the workers send rows, the coordinator
-- runs it), or 'other: ...'.
CREATE FUNCTION citus_suite.shape(p text, agg text) RETURNS text
LANGUAGE plpgsql IMMUTABLE AS $$
DECLARE
	worker text := coalesce(substring(p from 'Query: ([^\n]*)'), '');
	coordinator text := split_part(p, 'Custom Scan (Citus Adaptive)', 1);
	call text := 'crm_sales.' || agg || '(';
BEGIN
	IF position('Custom Scan (Citus Adaptive)' IN p) = 0 THEN
		RETURN 'other: not a Citus plan';
	ELSIF position('worker_partial_agg(''' || call IN worker) > 0
		AND position('coord_combine_agg(' IN coordinator) > 0 THEN
		RETURN 'partial';
	ELSIF position(call IN worker) > 0 AND position('Aggregate' IN coordinator) = 0 THEN
		RETURN 'full';
	ELSIF position(call IN worker) = 0 AND position('worker_partial_agg' IN worker) = 0
		AND position(call IN coordinator) > 0 THEN
		RETURN 'gather';
	END IF;
	RETURN 'other: ' || p;
END $$;

-- The rows of query q (columns g text, r text) as "g => r" lines sorted by g.
CREATE FUNCTION citus_suite.rows(q text) RETURNS text[]
LANGUAGE plpgsql AS $$
DECLARE
	rec record;
	result text[] := '{}';
BEGIN
	FOR rec IN EXECUTE q LOOP
		result := result || (coalesce(rec.g, 'NULL') || ' => ' || coalesce(rec.r, 'NULL'));
	END LOOP;
	RETURN ARRAY(SELECT x FROM unnest(result) AS x ORDER BY x);
END $$;

-- Check aggregate call `call` on distributed table tbl against tbl_local:
-- grouped by the distribution column (expect full push-down), by region
-- and without GROUP BY (expect other_shape: 'partial' or 'gather').  Rows
-- must be equal (compare 'exact') or equal within 1e-12 relative ('float').
-- One row per check: ok, description, detail when not ok.
CREATE FUNCTION citus_suite.check_aggregate(tbl text, call text, compare text, other_shape text)
RETURNS TABLE (ok boolean, description text, detail text)
LANGUAGE plpgsql AS $$
DECLARE
	agg text := substring(call from 'crm_sales\.([a-z_0-9]+)\(');
	key text := (SELECT distribution_column FROM public.citus_tables
				  WHERE table_name = tbl::regclass);
	rel float8 := CASE compare WHEN 'exact' THEN NULL WHEN 'float' THEN 1e-12 END;
	grouping text;
	want text;
	q text;
	got text;
	dist text[];
	single text[];
	bad text;
BEGIN
	IF agg IS NULL OR key IS NULL OR compare NOT IN ('exact', 'float')
		OR other_shape NOT IN ('partial', 'gather') THEN
		RAISE EXCEPTION 'bad aggregate line: % | % | % | %', tbl, call, compare, other_shape;
	END IF;
	FOREACH grouping IN ARRAY ARRAY[key, 'region', ''] LOOP
		want := CASE grouping WHEN key THEN 'full' ELSE other_shape END;
		-- the table name goes where {tbl} is (the call may contain % signs)
		q := format('SELECT %s AS g, (%s)::text AS r FROM {tbl}%s',
					CASE grouping WHEN '' THEN '''all''::text' ELSE grouping || '::text' END,
					call, CASE grouping WHEN '' THEN '' ELSE ' GROUP BY ' || grouping END);
		description := format('%s on %s %s', call, tbl,
							  CASE grouping WHEN '' THEN 'without GROUP BY'
							  ELSE 'GROUP BY ' || grouping END);
		got := citus_suite.shape(citus_suite.plan(replace(q, '{tbl}', quote_ident(tbl))), agg);
		ok := got = want;
		detail := CASE WHEN ok THEN NULL ELSE 'plan shape ' || got END;
		description := description || ': ' || want ||
			CASE want WHEN 'full' THEN ' push-down' WHEN 'partial' THEN ' aggregation on workers'
			ELSE ' of rows to the coordinator' END;
		RETURN NEXT;
		description := split_part(description, ': ', 1) || ': equals single node';
		dist := citus_suite.rows(replace(q, '{tbl}', quote_ident(tbl)));
		single := citus_suite.rows(replace(q, '{tbl}', quote_ident(tbl || '_local')));
		bad := NULL;
		IF cardinality(dist) <> cardinality(single) THEN
			bad := format('%s groups distributed, %s single node', cardinality(dist), cardinality(single));
		ELSE
			FOR i IN 1 .. cardinality(dist) LOOP
				IF NOT citus_suite.same(dist[i], single[i], rel) THEN
					bad := format('distributed %s, single node %s', dist[i], single[i]);
					EXIT;
				END IF;
			END LOOP;
		END IF;
		ok := bad IS NULL;
		detail := bad;
		RETURN NEXT;
	END LOOP;
END $$;

-- One check as a line for test/citus/citus.sh: "ok|description" or
-- "not ok|description|detail".
CREATE FUNCTION citus_suite.check(good boolean, description text, detail text DEFAULT NULL)
RETURNS text LANGUAGE sql IMMUTABLE AS $$
	SELECT CASE WHEN good THEN 'ok|' || description
		   ELSE 'not ok|' || description || '|' || replace(coalesce(detail, 'NULL'), E'\n', ' \n ') END
$$;

-- A digest of the crm_sales config tables (crm_sales._config_tables()) on
-- this node, to compare nodes.
CREATE FUNCTION citus_suite.config_digest() RETURNS text
LANGUAGE plpgsql STABLE AS $$
DECLARE
	t text;
	d text := '';
	part text;
BEGIN
	FOREACH t IN ARRAY crm_sales._config_tables() LOOP
		EXECUTE format('SELECT %L || '':'' || count(*) || '':'' || md5(coalesce(string_agg(c::text, '','' ORDER BY c::text), ''''))
						  FROM crm_sales.%I c', t, t) INTO part;
		d := d || part || ' ';
	END LOOP;
	RETURN d;
END $$;
