-- ====================================================================
-- Stage history: who may read it, how triggers record it, imports of past
-- moves (src/history.c, src/enforce.c).
--
-- The table itself is made in 10_stage_model.sql and its reading functions
-- in 30_funnel.sql.  This file holds only statements that are right both
-- in a fresh install and on a 0.1.0 install, so it is also the upgrade
-- fragment sql/upgrade/0.1.0--0.2.0/20_history.sql (a symbolic link).
-- ====================================================================

COMMENT ON COLUMN stage_history.table_name IS 'the table of the entity that moved';
COMMENT ON COLUMN stage_history.entity_id IS 'the id of the entity (the trigger''s id column, as text)';
COMMENT ON COLUMN stage_history.model IS 'the model (enum type) of the stage column';
COMMENT ON COLUMN stage_history.from_stage IS 'the stage left; NULL: the entity was created in to_stage';
COMMENT ON COLUMN stage_history.to_stage IS 'the stage entered';
COMMENT ON COLUMN stage_history.changed_at IS 'when the move took effect: the statement''s time, or the effective time the row or import gave';
COMMENT ON COLUMN stage_history.changed_by IS 'the role that made the move (or that an import names)';

--------------------------------------------------------------------------
-- Who reads it: everyone may query stage_history (granted in
-- 10_stage_model.sql), but row security shows a role only the history of
-- the tables it may SELECT from.  The owner of stage_history, as whom the
-- trigger writes and looks up moves, is not bound by it (no FORCE).
--------------------------------------------------------------------------

CREATE FUNCTION history_visible_support(internal) RETURNS internal
	AS 'MODULE_PATHNAME', 'crm_history_visible_support'
	LANGUAGE C STRICT;
COMMENT ON FUNCTION history_visible_support(internal) IS
	'planner support of crm_sales.history_visible(): the share of history rows the role may see, from the statistics';
CREATE FUNCTION history_visible(regclass) RETURNS boolean
	AS 'MODULE_PATHNAME', 'crm_history_visible'
	LANGUAGE C STABLE STRICT PARALLEL SAFE
	SUPPORT history_visible_support;
COMMENT ON FUNCTION history_visible(regclass) IS
	'may the current role SELECT from this table? (the row-security policy of crm_sales.stage_history)';

ALTER TABLE stage_history ENABLE ROW LEVEL SECURITY;
CREATE POLICY history_of_readable_tables ON stage_history
	USING (crm_sales.history_visible(table_name))
	WITH CHECK (crm_sales.history_visible(table_name));
COMMENT ON POLICY history_of_readable_tables ON stage_history IS
	'a role sees (and, if granted, changes) the history of the tables it may SELECT from';

-- Every recorded move, counted: for Sankey diagrams and transition matrices.
-- security_invoker: the reader's row security on stage_history applies (a
-- view otherwise reads as its owner, who is not bound by it).
CREATE OR REPLACE VIEW stage_flow WITH (security_invoker = true) AS
SELECT model, table_name, from_stage, to_stage,
	   count(*) AS moves, count(DISTINCT entity_id) AS entities,
	   min(changed_at) AS first_move, max(changed_at) AS last_move
  FROM stage_history
 GROUP BY model, table_name, from_stage, to_stage;
GRANT SELECT ON stage_flow TO PUBLIC;
COMMENT ON VIEW stage_flow IS
	'crm_sales: recorded moves counted per model, table and (from, to) stage pair, of the history the reader may see';

COMMENT ON FUNCTION _stage_moves(regtype, regclass, timestamptz, timestamptz) IS
	'internal: the recorded moves into stages of a model, with the stage position and category';
COMMENT ON FUNCTION furthest_stages(regtype, regclass, timestamptz, timestamptz) IS
	'per entity in the history: furthest path stage reached, last stage and its category';
COMMENT ON FUNCTION history_funnel(regtype, regclass, timestamptz, timestamptz) IS
	'the funnel of the recorded history: funnel_agg over each entity''s furthest stage';
COMMENT ON FUNCTION stage_conversion(regtype, regclass, timestamptz, timestamptz) IS
	'per stage, from real moves: entities that entered it, moved on, were won or lost';
COMMENT ON FUNCTION time_in_stage(regtype, regclass, timestamptz, timestamptz) IS
	'per stage: visits, open visits, mean, median and p90 time spent, from the recorded moves';

--------------------------------------------------------------------------
-- How triggers record it
--------------------------------------------------------------------------

COMMENT ON FUNCTION enforce_transition() IS
	'INSERT OR UPDATE row trigger enforce_transition(stage_column [, id_column [, effective_time_column]]): checks moves against the model; with an id column an AFTER trigger (or a BEFORE trigger without that AFTER partner) records them in crm_sales.stage_history';

-- The recommended form in one step: a BEFORE trigger that refuses illegal
-- moves before the row is written and, with an id column, an AFTER trigger
-- with the same arguments that records exactly the rows written.
CREATE FUNCTION enforce_stages(entity_table regclass, stage_column name,
							   id_column name DEFAULT NULL,
							   effective_time_column name DEFAULT NULL)
RETURNS void
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE
	args text;
	other text;
BEGIN
	IF entity_table IS NULL OR stage_column IS NULL THEN
		RAISE EXCEPTION '% must not be NULL',
				CASE WHEN entity_table IS NULL THEN 'entity_table' ELSE 'stage_column' END
			USING ERRCODE = 'null_value_not_allowed',
				  HINT = 'Usage: crm_sales.enforce_stages(''deals'', ''stage'', ''id'').';
	END IF;
	IF effective_time_column IS NOT NULL AND id_column IS NULL THEN
		RAISE EXCEPTION 'an effective time column needs an id column'
			USING ERRCODE = 'invalid_parameter_value',
				  DETAIL = format('effective_time_column = %s', effective_time_column),
				  HINT = 'Name the id column too: effective times date the moves recorded in the history.';
	END IF;
	IF octet_length(stage_column) > 55 THEN
		RAISE EXCEPTION 'stage column name "%" is too long to name its triggers', stage_column
			USING ERRCODE = 'name_too_long',
				  HINT = 'Create the two triggers with CREATE TRIGGER (see docs/stage_models.md).';
	END IF;
	args := quote_literal(stage_column)
		|| coalesce(', ' || quote_literal(id_column), '')
		|| coalesce(', ' || quote_literal(effective_time_column), '');
	EXECUTE format('CREATE OR REPLACE TRIGGER %I BEFORE INSERT OR UPDATE OF %I ON %s'
				   ' FOR EACH ROW EXECUTE FUNCTION crm_sales.enforce_transition(%s)',
				   stage_column || '_check', stage_column, entity_table, args);
	IF id_column IS NOT NULL THEN
		EXECUTE format('CREATE OR REPLACE TRIGGER %I AFTER INSERT OR UPDATE OF %I ON %s'
					   ' FOR EACH ROW EXECUTE FUNCTION crm_sales.enforce_transition(%s)',
					   stage_column || '_history', stage_column, entity_table, args);
	END IF;
	-- an older trigger of the same column would check (and maybe record) twice
	SELECT string_agg(quote_ident(t.tgname), ', ' ORDER BY t.tgname) INTO other
	  FROM pg_catalog.pg_trigger t
	 WHERE t.tgrelid = entity_table
	   AND t.tgfoid = 'crm_sales.enforce_transition()'::pg_catalog.regprocedure
	   AND NOT t.tgisinternal
	   AND t.tgname NOT IN (stage_column || '_check', stage_column || '_history')
	   AND t.tgnargs >= 1
	   AND pg_catalog.split_part(pg_catalog.encode(t.tgargs, 'escape'), E'\\000', 1) = stage_column;
	IF other IS NOT NULL THEN
		RAISE NOTICE 'table % also has crm_sales.enforce_transition() trigger(s) on column "%": %',
				entity_table, stage_column, other
			USING HINT = 'Drop them: the triggers just created replace them.';
	END IF;
END $$;
COMMENT ON FUNCTION enforce_stages(regclass, name, name, name) IS
	'enforce a model on a stage column: a BEFORE trigger <column>_check refuses illegal moves; with an id column an AFTER trigger <column>_history records exactly the rows written in crm_sales.stage_history';

-- One historical move, for import_history().
CREATE TYPE stage_move AS (
	table_name	text,			-- as regclass input reads it: 'deals', 'sales.deals'
	entity_id	text,
	from_stage	text,			-- NULL: the entity was created in to_stage
	to_stage	text,
	changed_at	timestamptz,
	changed_by	name			-- NULL: the importing role
);
COMMENT ON TYPE stage_move IS
	'crm_sales: one historical stage move (table, entity, from, to, at, by) for crm_sales.import_history()';

-- Historical moves, checked against the model per entity in time order
-- after the entity's recorded history, appended all or nothing.  Only the
-- extension owner may run it, and the roles it grants EXECUTE to.
CREATE FUNCTION import_history(model regtype, moves stage_move[]) RETURNS bigint
	AS 'MODULE_PATHNAME', 'crm_import_history'
	LANGUAGE C VOLATILE;
REVOKE ALL ON FUNCTION import_history(regtype, stage_move[]) FROM PUBLIC;
COMMENT ON FUNCTION import_history(regtype, stage_move[]) IS
	'append historical moves to crm_sales.stage_history after checking them against the model per entity in time order; all or nothing; returns the number of moves (extension owner, and roles granted EXECUTE)';
