--------------------------------------------------------------------------
-- The trigger (src/enforce.c); its comment, the helper that creates its
-- triggers and the history it writes: 35_history.sql
--------------------------------------------------------------------------

CREATE FUNCTION enforce_transition() RETURNS trigger
	AS 'MODULE_PATHNAME', 'crm_enforce_transition'
	LANGUAGE C;
