--------------------------------------------------------------------------
-- The trigger (src/enforce.c)
--------------------------------------------------------------------------

CREATE FUNCTION enforce_transition() RETURNS trigger
	AS 'MODULE_PATHNAME', 'crm_enforce_transition'
	LANGUAGE C;
COMMENT ON FUNCTION enforce_transition() IS
	'BEFORE INSERT OR UPDATE row trigger: enforce_transition(stage_column [, id_column]) checks moves against the model and, with an id column, records them in crm_sales.stage_history';

