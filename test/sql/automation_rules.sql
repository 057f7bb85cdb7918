-- Follow-up rules: title templates, add_stage_rule, add_inactivity_rule,
-- add_date_rule, drop_rule, set_rule_enabled, and every refusal with its
-- SQLSTATE.
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS crm_sales;
RESET client_min_messages;
\set SHOW_CONTEXT never
-- its own schema: other tests leave tables named deals in public
CREATE SCHEMA auto_rules;
SET search_path = auto_rules, public, crm_sales;

-- Templates: {column} placeholders, {{ and }} for literal braces.
SELECT template_columns('Follow up on {name} ({amount}), {name} again; {{literal}}');
SELECT template_columns('no placeholders'), template_columns('');
SELECT render_template('Call {name} about {amount} {{EUR}} by {due}', r)
  FROM (SELECT 'Acme' AS name, 12.5 AS amount, NULL::date AS due) r;
SELECT render_template('{ spaced name }', r) FROM (SELECT 1 AS " spaced name ") r;
SELECT render_template('{missing}', r) FROM (SELECT 1 AS x) r;
\echo :LAST_ERROR_SQLSTATE
SELECT template_columns('Follow up on {name');
\echo :LAST_ERROR_SQLSTATE
SELECT template_columns('a } b');
\echo :LAST_ERROR_SQLSTATE
SELECT template_columns('{}');
\echo :LAST_ERROR_SQLSTATE
SELECT template_columns('{' || repeat('x', 64) || '}');
\echo :LAST_ERROR_SQLSTATE
SELECT template_columns('{' || repeat('x', 63) || '}') = ARRAY[repeat('x', 63)]::name[] AS ok_63;
SELECT template_columns(repeat('{a}', 33334));
\echo :LAST_ERROR_SQLSTATE
SELECT cardinality(template_columns(repeat('{a}{b}', 16666))) AS columns_of_a_long_template;
-- the sweep renders titles in SQL: format() with the literal parts
SELECT _template_sql('Call {name} about {amount}: 100% {{sure}}', 't'),
	   _template_sql('No columns, 50%', 't'), _template_sql('{Mixed Case}', 'x');
SELECT format('Call %s about %s: 100%% {sure}', r.name, r.amount) =
	   render_template('Call {name} about {amount}: 100% {{sure}}', r) AS same_as_render
  FROM (SELECT 'Acme' AS name, NULL::numeric AS amount) r;
-- a long title is cut at 2000 bytes on a character boundary (3-byte 合)
SELECT octet_length(render_template('{t}', r)), length(render_template('{t}', r)),
	   render_template('{t}', r) = _clip_title(r.t) AS clip_same
  FROM (SELECT repeat('合', 1000) AS t) r;
SELECT _clip_title('short') AS short;

CREATE TABLE deals (
	id		bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	name	text NOT NULL,
	owner	text,
	manager text,
	amount	numeric,
	expected_close date,
	stage	sales_stage NOT NULL DEFAULT 'lead_generation'
);
CREATE TRIGGER deals_stage BEFORE INSERT OR UPDATE OF stage ON deals
	FOR EACH ROW EXECUTE FUNCTION enforce_transition('stage', 'id');
CREATE TABLE leads_nohistory (id int, stage sales_stage);
CREATE TRIGGER leads_stage BEFORE INSERT OR UPDATE ON leads_nohistory
	FOR EACH ROW EXECUTE FUNCTION enforce_transition('stage');
CREATE TABLE plain (id int, name text);
SELECT create_calendar('rules_cal');

SELECT add_stage_rule('proposal_follow_up', 'deals', 'proposal', 'Follow up on {name}',
					  '3 days', 'owner', calendar => 'rules_cal');
SELECT add_inactivity_rule('proposal_rotting', 'deals', 'proposal', '14 days',
						   'Deal {name} is rotting', 'owner', '7 days', 'manager');
SELECT add_date_rule('past_close', 'deals', 'expected_close', '1 day',
					 '{name} is past its expected close', 'owner');
SELECT add_stage_rule('won_thanks', 'deals', 'closed_won', 'Thank {name}',
					  cancel_on_close => false, model => 'sales_stage');
SELECT rule, kind, table_name, model, stage, owner_column, title, due_in, calendar, idle,
	   escalate_after, escalate_column, date_column, date_offset, cancel_on_close, enabled
  FROM followup_rule ORDER BY rule;
SELECT set_rule_enabled('won_thanks', false);
SELECT rule, enabled FROM followup_rule WHERE rule = 'won_thanks';
SELECT drop_rule('won_thanks');

-- Refusals
SELECT add_stage_rule('proposal_follow_up', 'deals', 'proposal', 'x');
\echo :LAST_ERROR_SQLSTATE
SELECT add_stage_rule(NULL, 'deals', 'proposal', 'x');
\echo :LAST_ERROR_SQLSTATE
SELECT add_stage_rule('r', NULL, 'proposal', 'x');
\echo :LAST_ERROR_SQLSTATE
SELECT add_stage_rule('r', 'plain', 'proposal', 'x');
\echo :LAST_ERROR_SQLSTATE
SELECT add_stage_rule('r', 'leads_nohistory', 'proposal', 'x');
\echo :LAST_ERROR_SQLSTATE
SELECT add_stage_rule('r', 'deals', 'proposal', 'x', model => 'lifecycle_stage');
\echo :LAST_ERROR_SQLSTATE
\set VERBOSITY terse
SELECT add_stage_rule('r', 'deals', 'proposal', 'x', model => 'int4');
\echo :LAST_ERROR_SQLSTATE
\set VERBOSITY default
SELECT add_stage_rule('r', 'deals', 'proposals', 'x');
\echo :LAST_ERROR_SQLSTATE
SELECT add_stage_rule('r', 'deals', NULL, 'x');
\echo :LAST_ERROR_SQLSTATE
SELECT add_stage_rule('r', 'deals', 'proposal', 'x', owner_column => 'rep');
\echo :LAST_ERROR_SQLSTATE
SELECT add_stage_rule('r', 'deals', 'proposal', NULL);
\echo :LAST_ERROR_SQLSTATE
SELECT add_stage_rule('r', 'deals', 'proposal', '');
\echo :LAST_ERROR_SQLSTATE
SELECT add_stage_rule('r', 'deals', 'proposal', repeat('x', 1001));
\echo :LAST_ERROR_SQLSTATE
SELECT add_stage_rule('r', 'deals', 'proposal', 'Call {name');
\echo :LAST_ERROR_SQLSTATE
SELECT add_stage_rule('r', 'deals', 'proposal', 'Call {customer}');
\echo :LAST_ERROR_SQLSTATE
SELECT add_stage_rule('r', 'deals', 'proposal', 'x', '-1 day');
\echo :LAST_ERROR_SQLSTATE
SELECT add_stage_rule('r', 'deals', 'proposal', 'x', NULL);
\echo :LAST_ERROR_SQLSTATE
SELECT add_stage_rule('r', 'deals', 'proposal', 'x', calendar => 'nope');
\echo :LAST_ERROR_SQLSTATE
SELECT add_stage_rule('r', 'deals', 'proposal', 'x', '1 month', calendar => 'rules_cal');
\echo :LAST_ERROR_SQLSTATE
SELECT add_inactivity_rule('r', 'deals', 'proposal', NULL, 'x');
\echo :LAST_ERROR_SQLSTATE
SELECT add_inactivity_rule('r', 'deals', 'proposal', '0', 'x');
\echo :LAST_ERROR_SQLSTATE
SELECT add_inactivity_rule('r', 'deals', 'proposal', '-3 days', 'x');
\echo :LAST_ERROR_SQLSTATE
SELECT add_inactivity_rule('r', 'deals', 'proposal', '3 days', 'x', escalate_after => '1 day');
\echo :LAST_ERROR_SQLSTATE
SELECT add_inactivity_rule('r', 'deals', 'proposal', '3 days', 'x', escalate_after => '-1 day',
						   escalate_column => 'manager');
\echo :LAST_ERROR_SQLSTATE
SELECT add_inactivity_rule('r', 'deals', 'proposal', '3 days', 'x', escalate_after => '1 day',
						   escalate_column => 'boss');
\echo :LAST_ERROR_SQLSTATE
SELECT add_inactivity_rule('r', 'deals', 'proposal', '1 month', 'x', calendar => 'rules_cal');
\echo :LAST_ERROR_SQLSTATE
SELECT add_date_rule('r', 'deals', NULL, '1 day', 'x');
\echo :LAST_ERROR_SQLSTATE
SELECT add_date_rule('r', 'deals', 'closing', '1 day', 'x');
\echo :LAST_ERROR_SQLSTATE
SELECT add_date_rule('r', 'deals', 'name', '1 day', 'x');
\echo :LAST_ERROR_SQLSTATE
SELECT add_date_rule('r', 'deals', 'expected_close', NULL, 'x');
\echo :LAST_ERROR_SQLSTATE
SELECT add_date_rule('r', 'deals', 'expected_close', '1 day', 'x', stage => 'nope');
\echo :LAST_ERROR_SQLSTATE
SELECT drop_rule('nope');
\echo :LAST_ERROR_SQLSTATE
SELECT set_rule_enabled('nope', true);
\echo :LAST_ERROR_SQLSTATE
SELECT set_rule_enabled('proposal_rotting', NULL);
\echo :LAST_ERROR_SQLSTATE
-- direct writes meet the table's checks
INSERT INTO followup_rule (rule, kind, table_name, model, stage, title, idle)
VALUES ('bad', 'stage_entry', 'deals', 'sales_stage', 'proposal', 'x', '1 day');
\echo :LAST_ERROR_SQLSTATE
INSERT INTO followup_rule (rule, kind, table_name, model, stage, title, due_in)
VALUES ('bad', 'stage_entry', 'deals', 'sales_stage', 'proposal', 'x', '-1 day');
\echo :LAST_ERROR_SQLSTATE

-- Two stage columns: the model must be named.
CREATE TABLE accounts (
	id		int PRIMARY KEY,
	name	text,
	deal_stage sales_stage,
	life	lifecycle_stage
);
CREATE TRIGGER accounts_deal BEFORE INSERT OR UPDATE ON accounts
	FOR EACH ROW EXECUTE FUNCTION enforce_transition('deal_stage', 'id');
CREATE TRIGGER accounts_life BEFORE INSERT OR UPDATE ON accounts
	FOR EACH ROW EXECUTE FUNCTION enforce_transition('life', 'id');
SELECT add_stage_rule('win_back', 'accounts', 'churned', 'Win back {name}');
\echo :LAST_ERROR_SQLSTATE
SELECT add_stage_rule('win_back', 'accounts', 'churned', 'Win back {name}',
					  model => 'lifecycle_stage');
SELECT rule, model, stage FROM followup_rule WHERE table_name = 'accounts'::regclass;

-- A dropped model takes its rules with it (the config rows cascade).
SELECT create_model('ticket_stage', ARRAY['open', 'closed'], schema_name => 'public');
SELECT allow_transition('ticket_stage', NULL, 'open');
CREATE TABLE tickets (id int PRIMARY KEY, stage ticket_stage);
CREATE TRIGGER tickets_stage BEFORE INSERT OR UPDATE ON tickets
	FOR EACH ROW EXECUTE FUNCTION enforce_transition('stage', 'id');
SELECT add_stage_rule('ticket_opened', 'tickets', 'open', 'Triage ticket {id}');
DROP TABLE tickets;
SELECT drop_model('ticket_stage', drop_type => true);
SELECT count(*) AS ticket_rules FROM followup_rule WHERE rule = 'ticket_opened';

DROP TABLE accounts, deals, leads_nohistory, plain;
DELETE FROM followup_rule;
DELETE FROM business_calendar WHERE calendar = 'rules_cal';
DELETE FROM entity_touch;
RESET search_path;
DROP SCHEMA auto_rules CASCADE;
