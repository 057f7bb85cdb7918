--------------------------------------------------------------------------
-- Rule-based lead scoring (src/lead_score.c)
--------------------------------------------------------------------------

CREATE TABLE lead_score_rule_set (
	rule_set	text PRIMARY KEY CHECK (rule_set <> ''),
	description text
);
COMMENT ON TABLE lead_score_rule_set IS 'crm_sales lead scoring: one row per rule set';

CREATE TABLE lead_score_rule (
	rule_set	text NOT NULL REFERENCES lead_score_rule_set ON UPDATE CASCADE ON DELETE CASCADE,
	rule_id		integer NOT NULL,
	attribute	text[] NOT NULL
		CHECK (cardinality(attribute) >= 1 AND array_position(attribute, NULL) IS NULL),
	operator	text NOT NULL
		CHECK (operator IN ('=', '<>', '<', '<=', '>', '>=', 'contains', 'not_contains',
							'exists', 'not_exists', 'in', 'not_in')),
	value		jsonb,
	points		integer NOT NULL CHECK (points >= 0),
	effect		text NOT NULL DEFAULT 'positive' CHECK (effect IN ('positive', 'negative')),
	description text,
	PRIMARY KEY (rule_set, rule_id),
	CHECK ((operator IN ('exists', 'not_exists')) = (value IS NULL)),
	CHECK (operator NOT IN ('in', 'not_in') OR jsonb_typeof(value) = 'array')
);
COMMENT ON TABLE lead_score_rule IS 'crm_sales lead scoring rules: when the attribute (a path in the lead''s jsonb document) matches, add (positive) or subtract (negative) the points';

SELECT pg_catalog.pg_extension_config_dump('lead_score_rule_set', '');
SELECT pg_catalog.pg_extension_config_dump('lead_score_rule', '');
GRANT SELECT ON lead_score_rule_set, lead_score_rule TO PUBLIC;

CREATE TRIGGER lead_score_rule_set_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE
	ON lead_score_rule_set FOR EACH STATEMENT EXECUTE FUNCTION _config_changed();
CREATE TRIGGER lead_score_rule_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE
	ON lead_score_rule FOR EACH STATEMENT EXECUTE FUNCTION _config_changed();
ALTER TABLE lead_score_rule_set ENABLE ALWAYS TRIGGER lead_score_rule_set_changed;
ALTER TABLE lead_score_rule ENABLE ALWAYS TRIGGER lead_score_rule_changed;

CREATE FUNCTION lead_score(rule_set text, attributes jsonb) RETURNS integer
	AS 'MODULE_PATHNAME', 'crm_lead_score' LANGUAGE C STABLE STRICT PARALLEL SAFE;
CREATE FUNCTION lead_score_explain(rule_set text, attributes jsonb,
	OUT rule_id integer, OUT attribute text[], OUT operator text, OUT value jsonb,
	OUT points integer) RETURNS SETOF record
	AS 'MODULE_PATHNAME', 'crm_lead_score_explain' LANGUAGE C STABLE STRICT PARALLEL SAFE;

-- (end of rfm/lead/kmeans section)


