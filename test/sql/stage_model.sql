-- Stage models: the shipped models and the functions that manage models.
-- Expected values come from the issue text and the README tables (shipped
-- stages, probabilities, transitions), not from running the code.
CREATE EXTENSION crm_sales;
SET client_min_messages = warning;
\set SHOW_CONTEXT never

-- Shipped models, their stages in order with categories, probabilities, labels
SELECT model, kind, label_en, label_zh, origin FROM crm_sales.model ORDER BY model::text;
SELECT model, position, stage, category, probability, label_en, label_zh
  FROM crm_sales.stage ORDER BY model::text, position;

-- Shipped transitions (NULL from = creation)
SELECT model, coalesce(from_stage, '(create)') AS from_stage,
       string_agg(to_stage, ', ' ORDER BY to_stage) AS to_stages
  FROM crm_sales.transition WHERE allowed
 GROUP BY model, from_stage ORDER BY model::text, from_stage NULLS FIRST;

-- sales_stage: 1 creation + forward moves among 5 open stages into later
-- open stages and closed_won (4+3+2+1 open->open + 5 ->won = 15) + 5 ->lost
-- + reopen = 22 rows
SELECT count(*) FROM crm_sales.transition WHERE model = 'crm_sales.sales_stage'::regtype;

-- The enum types back the models
SELECT enum_range(NULL::crm_sales.sales_stage);
SELECT enum_range(NULL::crm_sales.lifecycle_stage);
SELECT enum_range(NULL::crm_sales.contract_status);

-- create_model: type in the caller's current schema by default
CREATE SCHEMA app;
SET search_path = app, public;
SELECT crm_sales.create_model('ticket_stage', ARRAY['open', 'triaged', 'fixed', 'wont_fix'],
                              'other', 'Support ticket', '工单');
SELECT typnamespace::regnamespace FROM pg_type WHERE oid = 'app.ticket_stage'::regtype;
SELECT crm_sales.create_model('deal_stage', ARRAY['new', 'won'], schema_name => 'public');
SELECT 'public.deal_stage'::regtype;
SELECT model, position, stage, category, probability, label_en, label_zh, origin
  FROM crm_sales.stage WHERE model = 'ticket_stage'::regtype ORDER BY position;

-- create_model errors
SELECT crm_sales.create_model('ticket_stage', ARRAY['a']);
SELECT crm_sales.create_model('x_stage', ARRAY[]::text[]);
SELECT crm_sales.create_model('x_stage', NULL);
SELECT crm_sales.create_model('x_stage', ARRAY['a', NULL]);
SELECT crm_sales.create_model('x_stage', ARRAY['a', '']);
SELECT crm_sales.create_model('x_stage', ARRAY['a', 'b', 'a']);
SELECT crm_sales.create_model('', ARRAY['a']);
SELECT crm_sales.create_model(NULL, ARRAY['a']);
SELECT crm_sales.create_model('x_stage', ARRAY['a'], 'funnel');
SELECT crm_sales.create_model('x_stage', ARRAY['a'], schema_name => 'no_such_schema');
SELECT crm_sales.create_model('x_stage', ARRAY['a'], schema_name => NULL);

-- register_model: an existing enum becomes a model
CREATE TYPE app.priority AS ENUM ('low', 'high');
SELECT crm_sales.register_model('priority', 'other');
SELECT stage, position, label_en FROM crm_sales.stage WHERE model = 'priority'::regtype ORDER BY position;
SELECT crm_sales.register_model('priority');
SELECT crm_sales.register_model('int4');
SELECT crm_sales.register_model(NULL);

-- add_stage: at the end, before and after a stage; positions follow enum order
SELECT crm_sales.add_stage('ticket_stage', 'closed', 'won', 1);
SELECT crm_sales.add_stage('ticket_stage', 'in_progress', after_stage => 'triaged',
                           label_zh => '处理中');
SELECT crm_sales.add_stage('ticket_stage', 'new', before_stage => 'open', probability => 0.05);
SELECT position, stage, category, probability, label_en, label_zh
  FROM crm_sales.stage WHERE model = 'ticket_stage'::regtype ORDER BY position;
SELECT enum_range(NULL::ticket_stage);
-- add_stage errors
SELECT crm_sales.add_stage('ticket_stage', 'open');
SELECT crm_sales.add_stage('ticket_stage', '');
SELECT crm_sales.add_stage('ticket_stage', NULL);
SELECT crm_sales.add_stage('ticket_stage', 'x', 'maybe');
SELECT crm_sales.add_stage('ticket_stage', 'x', probability => 1.5);
SELECT crm_sales.add_stage('ticket_stage', 'x', probability => -0.1);
SELECT crm_sales.add_stage('ticket_stage', 'x', probability => 'NaN');
SELECT crm_sales.add_stage('ticket_stage', 'x', before_stage => 'nope');
SELECT crm_sales.add_stage('ticket_stage', 'x', before_stage => 'open', after_stage => 'fixed');
SELECT crm_sales.add_stage('int4', 'x');
SELECT crm_sales.add_stage(NULL, 'x');
SELECT crm_sales.add_stage('no_such_type', 'x');

-- a shipped model's enum belongs to the extension: no new values (pg_dump
-- would not keep them); copy_model gives an editable copy instead
SELECT crm_sales.add_stage('crm_sales.sales_stage', 'on_hold');
SELECT crm_sales.copy_model('crm_sales.sales_stage', 'my_sales_stage');
SELECT crm_sales.add_stage('my_sales_stage', 'on_hold', after_stage => 'negotiation',
                           label_zh => '搁置');
SELECT position, stage, category, probability, label_en, label_zh, origin
  FROM crm_sales.stage WHERE model = 'my_sales_stage'::regtype ORDER BY position;
-- the copy has the 22 allowed moves of the source, with required columns
SELECT count(*) AS moves FROM crm_sales.transition WHERE model = 'my_sales_stage'::regtype;
SELECT from_stage, to_stage, required_columns FROM crm_sales.transition
 WHERE model = 'crm_sales.sales_stage'::regtype AND allowed
EXCEPT
SELECT from_stage, to_stage, required_columns FROM crm_sales.transition
 WHERE model = 'my_sales_stage'::regtype;
SELECT crm_sales.copy_model('crm_sales.sales_stage', 'my_sales_stage');
SELECT crm_sales.copy_model('int4', 'x');
SELECT crm_sales.copy_model(NULL, 'x');
SELECT crm_sales.drop_model('my_sales_stage', drop_type => true);

-- set_probability / set_category / set_labels
SELECT crm_sales.set_probability('ticket_stage', 'fixed', 0.9);
SELECT crm_sales.set_probability('ticket_stage', 'fixed', NULL);
SELECT crm_sales.set_category('ticket_stage', 'wont_fix', 'lost');
SELECT crm_sales.set_labels('ticket_stage', 'wont_fix', 'Won''t fix', '不修复');
SELECT stage, category, probability, label_en, label_zh
  FROM crm_sales.stage WHERE model = 'ticket_stage'::regtype AND stage IN ('fixed', 'wont_fix')
 ORDER BY position;
-- set_labels without a Chinese label keeps it; '' removes it
SELECT crm_sales.set_labels('ticket_stage', 'wont_fix', 'Will not fix');
SELECT label_en, label_zh FROM crm_sales.stage
 WHERE model = 'ticket_stage'::regtype AND stage = 'wont_fix';
SELECT crm_sales.set_labels('ticket_stage', 'wont_fix', 'Won''t fix', '');
SELECT label_en, label_zh IS NULL AS zh_removed FROM crm_sales.stage
 WHERE model = 'ticket_stage'::regtype AND stage = 'wont_fix';
SELECT crm_sales.set_labels('ticket_stage', 'wont_fix', 'Won''t fix', '不修复');
SELECT crm_sales.set_probability(NULL, 'fixed', 0.5);
SELECT crm_sales.set_category('int4', 'fixed', 'won');
SELECT crm_sales.set_probability('ticket_stage', 'fixed', 2);
SELECT crm_sales.set_probability('ticket_stage', 'fixed', 'Infinity');
SELECT crm_sales.set_probability('ticket_stage', 'nope', 0.5);
SELECT crm_sales.set_category('ticket_stage', 'fixed', NULL);
SELECT crm_sales.set_category('ticket_stage', 'fixed', 'closed');
SELECT crm_sales.set_labels('ticket_stage', 'fixed', NULL);
SELECT crm_sales.set_labels('ticket_stage', 'fixed', '');
SELECT crm_sales.set_labels('ticket_stage', NULL, 'x');

-- Changing a shipped row marks it 'modified' (so pg_dump keeps it)
SELECT crm_sales.set_probability('crm_sales.sales_stage', 'proposal', 0.55);
SELECT stage, probability, origin FROM crm_sales.stage
 WHERE model = 'crm_sales.sales_stage'::regtype AND stage IN ('proposal', 'negotiation')
 ORDER BY position;
SELECT crm_sales.set_probability('crm_sales.sales_stage', 'proposal', 0.60);

-- allow_transition / forbid_transition / require_columns
SELECT crm_sales.allow_transition('ticket_stage', NULL, 'new');
SELECT crm_sales.allow_transition('ticket_stage', 'new', 'open');
SELECT crm_sales.allow_transition('ticket_stage', 'open', 'triaged');
SELECT crm_sales.allow_transition('ticket_stage', 'triaged', 'fixed', '{resolution}');
SELECT crm_sales.allow_transition('ticket_stage', 'triaged', 'wont_fix');
SELECT * FROM crm_sales.transitions WHERE model = 'ticket_stage'::regtype
 ORDER BY from_stage NULLS FIRST, to_stage;
SELECT crm_sales.require_columns('ticket_stage', 'triaged', 'wont_fix', '{resolution, owner}');
SELECT crm_sales.require_columns('ticket_stage', 'triaged', 'wont_fix', '{}');
SELECT crm_sales.forbid_transition('ticket_stage', 'triaged', 'wont_fix');
SELECT from_stage, to_stage, required_columns FROM crm_sales.transition
 WHERE model = 'ticket_stage'::regtype ORDER BY from_stage NULLS FIRST, to_stage;
-- errors
SELECT crm_sales.allow_transition('ticket_stage', 'new', 'open');
SELECT crm_sales.allow_transition('ticket_stage', 'open', 'open');
SELECT crm_sales.allow_transition('ticket_stage', 'open', 'reopened');
SELECT crm_sales.allow_transition('ticket_stage', 'gone', 'open');
SELECT crm_sales.allow_transition('ticket_stage', 'open', NULL);
SELECT crm_sales.allow_transition('ticket_stage', 'open', 'fixed', '{NULL}');
SELECT crm_sales.allow_transition('ticket_stage', 'open', 'fixed', NULL);
SELECT crm_sales.allow_transition('int4', 'a', 'b');
SELECT crm_sales.forbid_transition('ticket_stage', 'fixed', 'open');
SELECT crm_sales.forbid_transition('ticket_stage', NULL, 'open');
SELECT crm_sales.require_columns('ticket_stage', 'fixed', 'open', '{x}');
SELECT crm_sales.require_columns('ticket_stage', 'nope', 'open', '{x}');
SELECT crm_sales.require_columns('ticket_stage', 'open', NULL, '{x}');
SELECT crm_sales.allow_transition(NULL, 'open', 'fixed');
SELECT crm_sales.require_columns('ticket_stage', 'open', 'triaged', '{""}');

-- Forbidding a shipped move keeps a row with allowed = false
SELECT crm_sales.forbid_transition('crm_sales.sales_stage', 'lead_generation', 'closed_won');
SELECT from_stage, to_stage, allowed, origin FROM crm_sales.transition
 WHERE model = 'crm_sales.sales_stage'::regtype AND from_stage = 'lead_generation'
   AND to_stage = 'closed_won';
SELECT crm_sales.forbid_transition('crm_sales.sales_stage', 'lead_generation', 'closed_won');
SELECT crm_sales.allow_transition('crm_sales.sales_stage', 'lead_generation', 'closed_won');
SELECT allowed, origin FROM crm_sales.transition
 WHERE model = 'crm_sales.sales_stage'::regtype AND from_stage = 'lead_generation'
   AND to_stage = 'closed_won';

-- A model has 1 to 256 stages
SELECT crm_sales.create_model('huge_stage', (SELECT array_agg('s' || g) FROM generate_series(1, 257) g));
SELECT to_regtype('huge_stage') AS not_created;
SELECT crm_sales.create_model('max_stage', (SELECT array_agg('s' || g) FROM generate_series(1, 256) g));
SELECT crm_sales.add_stage('max_stage', 's257');
SELECT crm_sales.allow_transition('max_stage', 's1', 's256');
SELECT 's1'::max_stage OPERATOR(crm_sales.~>) 's256' AS first_to_last;
CREATE TYPE empty_e AS ENUM ();
SELECT crm_sales.register_model('empty_e');
DROP TYPE empty_e;

-- Dropping a model's type removes its config rows (an event trigger)
SELECT count(*) AS stages_before FROM crm_sales.stage WHERE model = 'max_stage'::regtype;
DROP TYPE max_stage;
SELECT count(*) AS orphan_models FROM crm_sales.model m
 WHERE NOT EXISTS (SELECT 1 FROM pg_type t WHERE t.oid = m.model);
SELECT count(*) AS orphan_stages FROM crm_sales.stage s
 WHERE NOT EXISTS (SELECT 1 FROM pg_type t WHERE t.oid = s.model);
-- also through DROP SCHEMA ... CASCADE, and for an unprivileged owner
CREATE ROLE crm_owner;
CREATE SCHEMA owned AUTHORIZATION crm_owner;
SELECT crm_sales.create_model('owned_stage', ARRAY['a', 'b'], schema_name => 'owned');
ALTER TYPE owned.owned_stage OWNER TO crm_owner;
SET ROLE crm_owner;
DROP SCHEMA owned CASCADE;
RESET ROLE;
SELECT count(*) AS orphan_models FROM crm_sales.model m
 WHERE NOT EXISTS (SELECT 1 FROM pg_type t WHERE t.oid = m.model);
DROP ROLE crm_owner;

-- drop_model
SELECT crm_sales.drop_model('priority', drop_type => true);
SELECT to_regtype('app.priority');
SELECT count(*) FROM crm_sales.stage WHERE model::text = 'priority';
SELECT crm_sales.drop_model('deal_stage');
SELECT 'public.deal_stage'::regtype;
DROP TYPE public.deal_stage;
SELECT crm_sales.drop_model('crm_sales.sales_stage');
SELECT crm_sales.drop_model('priority');
SELECT crm_sales.drop_model(NULL);

-- Config tables are read-only to ordinary users; reading is open
CREATE ROLE crm_reader;
GRANT USAGE ON SCHEMA app TO crm_reader;
SET ROLE crm_reader;
SELECT count(*) > 0 AS can_read FROM crm_sales.transitions;
SELECT crm_sales.allow_transition('ticket_stage', 'fixed', 'open');
RESET ROLE;
REVOKE USAGE ON SCHEMA app FROM crm_reader;
DROP ROLE crm_reader;

-- pg_dump will keep the user rows and the modified shipped rows
SELECT c.relname, x.cond
  FROM pg_extension e,
       unnest(e.extconfig, e.extcondition) AS x(oid, cond)
  JOIN pg_class c ON c.oid = x.oid
 WHERE e.extname = 'crm_sales' ORDER BY c.relname;

RESET search_path;
