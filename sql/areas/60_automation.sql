--------------------------------------------------------------------------
-- Sales automation (src/automation.c, src/core/automation/): activities,
-- business calendars, follow-up rules, tasks, the outbox, the sweep and its
-- pg_cron schedule, email engagement, contract renewals.  docs/automation.md
-- describes every object.
--------------------------------------------------------------------------

--------------------------------------------------------------------------
-- Business calendars
--------------------------------------------------------------------------

CREATE TABLE business_calendar (
	calendar	text PRIMARY KEY CHECK (calendar <> ''),
	weekend		smallint[] NOT NULL DEFAULT '{6,7}'
		CHECK (array_position(weekend, NULL) IS NULL AND weekend <@ '{1,2,3,4,5,6,7}'),
	time_zone	text,
	description text
);
COMMENT ON TABLE business_calendar IS
	'crm_sales business calendars: the ISO weekdays that are off (1 = Monday .. 7 = Sunday) and the time zone whose dates count';

CREATE TABLE holiday (
	calendar	text NOT NULL REFERENCES business_calendar ON UPDATE CASCADE ON DELETE CASCADE,
	day			date NOT NULL CHECK (isfinite(day)),
	label		text,
	working		boolean NOT NULL DEFAULT false,
	PRIMARY KEY (calendar, day)
);
COMMENT ON TABLE holiday IS
	'crm_sales calendar exceptions: a holiday (working = false) or a working day that falls on a weekend (working = true, 调休)';

--------------------------------------------------------------------------
-- Follow-up rules and the other automation settings (config tables)
--------------------------------------------------------------------------

CREATE TABLE followup_rule (
	rule		text PRIMARY KEY CHECK (rule <> ''),
	kind		text NOT NULL CHECK (kind IN ('stage_entry', 'inactivity', 'date')),
	table_name	regclass NOT NULL,
	model		regtype NOT NULL REFERENCES model ON DELETE CASCADE,
	stage		text,			-- NULL only for date rules: every open stage
	owner_column name,			-- NULL: tasks are unassigned
	title		text NOT NULL CHECK (length(title) BETWEEN 1 AND 1000),
	due_in		interval NOT NULL DEFAULT '0',
	calendar	text REFERENCES business_calendar ON UPDATE CASCADE,
	idle		interval,		-- inactivity: rotting after this long untouched
	escalate_after interval,	-- inactivity: escalation this long after that
	escalate_column name,		-- inactivity: the column naming the manager
	date_column name,			-- date: the date the rule counts from
	date_offset interval,		-- date: fire at date_column + date_offset
	cancel_on_close boolean NOT NULL DEFAULT true,
	enabled		boolean NOT NULL DEFAULT true,
	CHECK (due_in >= '0'),
	CHECK ((kind = 'date') OR stage IS NOT NULL),
	CHECK ((kind = 'inactivity') = (idle IS NOT NULL)),
	CHECK (idle IS NULL OR idle > '0'),
	CHECK (escalate_after IS NULL OR (kind = 'inactivity' AND escalate_after > '0'
									   AND escalate_column IS NOT NULL)),
	CHECK ((kind = 'date') = (date_column IS NOT NULL AND date_offset IS NOT NULL))
);
CREATE INDEX followup_rule_table ON followup_rule (table_name);
COMMENT ON TABLE followup_rule IS
	'crm_sales follow-up rules: a task when an entity enters a stage (stage_entry), stays in one untouched (inactivity), or reaches a date (date)';

-- Tables whose stage moves are written to the outbox as stage_moved events.
CREATE TABLE outbox_publication (
	table_name	regclass PRIMARY KEY
);
COMMENT ON TABLE outbox_publication IS
	'crm_sales: tables whose accepted stage moves are published as stage_moved outbox events';

-- Contract tables the sweep expires and the renewal reports read.
CREATE TABLE contract_table (
	table_name	regclass PRIMARY KEY,
	status_column name NOT NULL,
	id_column	name NOT NULL,
	end_column	name NOT NULL,
	value_column name,
	owner_column name
);
COMMENT ON TABLE contract_table IS
	'crm_sales contract tables (stage column of crm_sales.contract_status): expired by the sweep, read by the renewal reports';

SELECT pg_catalog.pg_extension_config_dump('business_calendar', '');
SELECT pg_catalog.pg_extension_config_dump('holiday', '');
SELECT pg_catalog.pg_extension_config_dump('followup_rule', '');
SELECT pg_catalog.pg_extension_config_dump('outbox_publication', '');
SELECT pg_catalog.pg_extension_config_dump('contract_table', '');
GRANT SELECT ON business_calendar, holiday, followup_rule, outbox_publication,
	contract_table TO PUBLIC;

-- every change reaches the caches of automation.c (see _config_changed)
CREATE TRIGGER business_calendar_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE
	ON business_calendar FOR EACH STATEMENT EXECUTE FUNCTION _config_changed();
CREATE TRIGGER holiday_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE
	ON holiday FOR EACH STATEMENT EXECUTE FUNCTION _config_changed();
CREATE TRIGGER followup_rule_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE
	ON followup_rule FOR EACH STATEMENT EXECUTE FUNCTION _config_changed();
CREATE TRIGGER outbox_publication_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE
	ON outbox_publication FOR EACH STATEMENT EXECUTE FUNCTION _config_changed();
ALTER TABLE business_calendar ENABLE ALWAYS TRIGGER business_calendar_changed;
ALTER TABLE holiday ENABLE ALWAYS TRIGGER holiday_changed;
ALTER TABLE followup_rule ENABLE ALWAYS TRIGGER followup_rule_changed;
ALTER TABLE outbox_publication ENABLE ALWAYS TRIGGER outbox_publication_changed;

--------------------------------------------------------------------------
-- Activities, tasks, the idle clock, the outbox, email events (data)
--------------------------------------------------------------------------

CREATE TABLE activity (
	id			bigint GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
	table_name	regclass NOT NULL,
	entity_id	text NOT NULL,
	kind		text NOT NULL
		CHECK (kind IN ('call', 'email', 'meeting', 'note', 'task_done', 'other')),
	occurred_at timestamptz NOT NULL DEFAULT now(),
	owner		text,
	subject		text,
	payload		jsonb,
	logged_by	name NOT NULL DEFAULT current_user
);
-- "the last activity of X" is the last entry of X here
CREATE INDEX activity_entity ON activity (table_name, entity_id, occurred_at);
COMMENT ON TABLE activity IS
	'crm_sales activities: one row per touch of an entity (call, email, meeting, note, task_done, other); written by crm_sales.log_activity()';

-- One row per entity of a table with an inactivity rule: its stage and
-- when it was last touched (entered the stage, or an activity), kept by the
-- stage trigger and by activities, indexed for "untouched since".
CREATE TABLE entity_touch (
	table_name	regclass NOT NULL,
	entity_id	text NOT NULL,
	model		regtype NOT NULL,
	stage		text NOT NULL,
	entered_at	timestamptz NOT NULL,
	last_touch	timestamptz NOT NULL,
	PRIMARY KEY (table_name, entity_id, model)
);
CREATE INDEX entity_touch_idle ON entity_touch (table_name, model, stage, last_touch);
COMMENT ON TABLE entity_touch IS
	'crm_sales idle clock: per entity of a table with an inactivity rule, its stage, when it entered it and when it was last touched';

CREATE TABLE task (
	id			bigint GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
	rule		text,			-- NULL: added by hand
	table_name	regclass NOT NULL,
	entity_id	text NOT NULL,
	owner		text,
	title		text NOT NULL,
	due_at		timestamptz NOT NULL,
	status		text NOT NULL DEFAULT 'open'
		CHECK (status IN ('open', 'done', 'cancelled', 'snoozed')),
	completed_at timestamptz,
	created_at	timestamptz NOT NULL DEFAULT now(),
	kind		text NOT NULL DEFAULT 'manual'
		CHECK (kind IN ('follow_up', 'reminder', 'escalation', 'date', 'manual')),
	model		regtype,
	stage		text,
	anchor		timestamptz,	-- what the task fired for (see docs)
	cancel_on_close boolean NOT NULL DEFAULT false,
	due_notified_at timestamptz,
	note		text,
	changed_by	name,
	CHECK ((status IN ('done', 'cancelled')) = (completed_at IS NOT NULL))
);
CREATE INDEX task_owner_open ON task (owner, due_at) WHERE status IN ('open', 'snoozed');
CREATE INDEX task_due_open ON task (due_at) WHERE status IN ('open', 'snoozed');
CREATE INDEX task_entity_open ON task (table_name, entity_id) WHERE status IN ('open', 'snoozed');
-- a time-based rule fires once per (rule, entity, kind, anchor)
CREATE UNIQUE INDEX task_once ON task (rule, table_name, entity_id, kind, anchor)
	NULLS NOT DISTINCT WHERE kind IN ('reminder', 'escalation', 'date');
COMMENT ON TABLE task IS
	'crm_sales tasks and reminders: created by follow-up rules (or crm_sales.add_task), changed through complete_task / snooze_task / cancel_task';

-- No primary key index: the ids come from the identity, the events not yet
-- acknowledged are found (claims, acknowledgements, lease expiry) through
-- the unique partial index outbox_event_pending, acknowledged ones (purge)
-- through outbox_event_acked.  That saves an index entry per event written
-- and per acknowledgement, the two hot paths.
CREATE TABLE outbox_event (
	id			bigint GENERATED BY DEFAULT AS IDENTITY,
	kind		text NOT NULL
		CHECK (kind IN ('stage_moved', 'task_created', 'reminder', 'escalation', 'task_due')),
	table_name	regclass,
	entity_id	text,
	payload		jsonb NOT NULL,
	created_at	timestamptz NOT NULL DEFAULT now(),
	deliveries	integer NOT NULL DEFAULT 0,
	claimed_by	text,
	lease_until timestamptz,
	acked_at	timestamptz,
	acked_by	text
) WITH (fillfactor = 80);
-- claims walk the events not yet acknowledged, in id order
CREATE UNIQUE INDEX outbox_event_pending ON outbox_event (id) WHERE acked_at IS NULL;
-- the purge finds acknowledged events by age
CREATE INDEX outbox_event_acked ON outbox_event (acked_at) WHERE acked_at IS NOT NULL;
COMMENT ON TABLE outbox_event IS
	'crm_sales outbox: events written in the transaction that caused them, taken by crm_sales.claim_events() and confirmed by crm_sales.ack_events()';

CREATE TABLE email_event (
	id			bigint GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
	campaign	text NOT NULL,
	contact		text NOT NULL,
	kind		text NOT NULL
		CHECK (kind IN ('sent', 'delivered', 'opened', 'clicked', 'bounced', 'unsubscribed')),
	at			timestamptz NOT NULL CHECK (isfinite(at))
);
CREATE INDEX email_event_contact ON email_event (contact, at);
CREATE INDEX email_event_campaign ON email_event (campaign, contact);
COMMENT ON TABLE email_event IS
	'crm_sales email tracking: one row per sent, delivered, opened, clicked, bounced or unsubscribed event of a campaign to a contact';

COMMENT ON SEQUENCE activity_id_seq IS 'ids of crm_sales.activity rows';
COMMENT ON SEQUENCE task_id_seq IS 'ids of crm_sales.task rows';
COMMENT ON SEQUENCE outbox_event_id_seq IS 'ids of crm_sales.outbox_event rows';
COMMENT ON SEQUENCE email_event_id_seq IS 'ids of crm_sales.email_event rows';

SELECT pg_catalog.pg_extension_config_dump('activity', '');
SELECT pg_catalog.pg_extension_config_dump('activity_id_seq', '');
SELECT pg_catalog.pg_extension_config_dump('entity_touch', '');
SELECT pg_catalog.pg_extension_config_dump('task', '');
SELECT pg_catalog.pg_extension_config_dump('task_id_seq', '');
SELECT pg_catalog.pg_extension_config_dump('outbox_event', '');
SELECT pg_catalog.pg_extension_config_dump('outbox_event_id_seq', '');
SELECT pg_catalog.pg_extension_config_dump('email_event', '');
SELECT pg_catalog.pg_extension_config_dump('email_event_id_seq', '');

-- Reads: tasks, activities and idle clocks like the stage history.  Writes
-- go through the functions below; the outbox and the email events are
-- readable only by the roles the extension owner grants (docs/automation.md).
GRANT SELECT ON activity, entity_touch, task TO PUBLIC;

--------------------------------------------------------------------------
-- C functions (src/automation.c)
--------------------------------------------------------------------------

-- NOTIFY crm_sales_outbox, payload {"id": ..., "kind": ...}, for each event
CREATE FUNCTION _outbox_notify() RETURNS trigger
	AS 'MODULE_PATHNAME', 'crm_outbox_notify' LANGUAGE C;
CREATE TRIGGER outbox_event_notify AFTER INSERT ON outbox_event
	REFERENCING NEW TABLE AS new_events
	FOR EACH STATEMENT EXECUTE FUNCTION _outbox_notify();
ALTER TABLE outbox_event ENABLE ALWAYS TRIGGER outbox_event_notify;

CREATE FUNCTION _outbox_retention() RETURNS interval
	AS 'MODULE_PATHNAME', 'crm_outbox_retention' LANGUAGE C STABLE PARALLEL SAFE;

CREATE FUNCTION template_columns(template text) RETURNS name[]
	AS 'MODULE_PATHNAME', 'crm_template_columns' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION template_columns(text) IS
	'the column names a title template refers to ({column}), in order, without repeats; 22023 for a malformed template';

-- The SQL expression that renders a title template from the row called
-- alias, as render_template() would: format() with the literal parts,
-- then cut to the same length.  Used by the sweep's statements.
CREATE FUNCTION _template_sql(template text, alias name) RETURNS text
	AS 'MODULE_PATHNAME', 'crm_template_sql' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

CREATE FUNCTION _clip_title(title text) RETURNS text
	AS 'MODULE_PATHNAME', 'crm_clip_title' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

CREATE FUNCTION render_template(template text, row_value record) RETURNS text
	AS 'MODULE_PATHNAME', 'crm_render_template' LANGUAGE C STABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION render_template(text, record) IS
	'fill a title template from a row: {column} becomes the column''s text (empty when NULL), {{ and }} literal braces';

CREATE FUNCTION add_business_days(day date, days integer, calendar text) RETURNS date
	AS 'MODULE_PATHNAME', 'crm_add_business_days' LANGUAGE C STABLE PARALLEL SAFE;
COMMENT ON FUNCTION add_business_days(date, integer, text) IS
	'the date that many business days after (or, negative, before) the given day in the calendar; 0 gives the day itself; calendar NULL counts every day';

CREATE FUNCTION add_business_time(start timestamptz, delta interval, calendar text)
RETURNS timestamptz
	AS 'MODULE_PATHNAME', 'crm_add_business_time' LANGUAGE C STABLE PARALLEL SAFE;
COMMENT ON FUNCTION add_business_time(timestamptz, interval, text) IS
	'start + delta, the days of delta counted in business days of the calendar (in its time zone) and the hours added as they are; calendar NULL: plain start + delta';

-- The time before which a touch is idle for that long as of as_of: with a
-- calendar, the start of the day that many business days before as_of's
-- day (whole business days between the touch's day and today), minus the
-- sub-day part; without one, as_of - idle.
CREATE FUNCTION _idle_cutoff(as_of timestamptz, idle interval, calendar text)
RETURNS timestamptz
	AS 'MODULE_PATHNAME', 'crm_idle_cutoff' LANGUAGE C STABLE PARALLEL SAFE;

CREATE FUNCTION is_business_day(day date, calendar text) RETURNS boolean
	AS 'MODULE_PATHNAME', 'crm_is_business_day' LANGUAGE C STABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION is_business_day(date, text) IS 'is the day a business day of the calendar?';

CREATE FUNCTION business_days_between(from_day date, to_day date, calendar text) RETURNS integer
	AS 'MODULE_PATHNAME', 'crm_business_days_between' LANGUAGE C STABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION business_days_between(date, date, text) IS
	'business days after from_day up to and including to_day (negative when to_day is earlier)';

CREATE FUNCTION log_activity(table_name regclass, entity_id text, kind text,
							 subject text DEFAULT NULL, owner text DEFAULT NULL,
							 occurred_at timestamptz DEFAULT now(), payload jsonb DEFAULT NULL)
RETURNS bigint
	AS 'MODULE_PATHNAME', 'crm_log_activity' LANGUAGE C VOLATILE;
COMMENT ON FUNCTION log_activity(regclass, text, text, text, text, timestamptz, jsonb) IS
	'record a touch of an entity (call, email, meeting, note, other) by a role that may read its table; resets its idle clock; returns the activity id';

CREATE FUNCTION add_task(table_name regclass, entity_id text, title text, due_at timestamptz,
						 owner text DEFAULT NULL)
RETURNS bigint
	AS 'MODULE_PATHNAME', 'crm_add_task' LANGUAGE C VOLATILE;
COMMENT ON FUNCTION add_task(regclass, text, text, timestamptz, text) IS
	'add a task by hand (kind manual) on an entity of a table the caller may update; emits a task_created event; returns the task id';

CREATE FUNCTION complete_task(task_id bigint, note text DEFAULT NULL) RETURNS void
	AS 'MODULE_PATHNAME', 'crm_complete_task' LANGUAGE C VOLATILE;
COMMENT ON FUNCTION complete_task(bigint, text) IS
	'mark an open or snoozed task done and log a task_done activity on its entity; allowed to its owner and to roles that may update the entity''s table';

CREATE FUNCTION snooze_task(task_id bigint, until timestamptz) RETURNS void
	AS 'MODULE_PATHNAME', 'crm_snooze_task' LANGUAGE C VOLATILE;
COMMENT ON FUNCTION snooze_task(bigint, timestamptz) IS
	'put an open task aside until a later time (its new due time); the sweep reopens it then';

CREATE FUNCTION cancel_task(task_id bigint, note text DEFAULT NULL) RETURNS void
	AS 'MODULE_PATHNAME', 'crm_cancel_task' LANGUAGE C VOLATILE;
COMMENT ON FUNCTION cancel_task(bigint, text) IS 'cancel an open or snoozed task';

--------------------------------------------------------------------------
-- Activities: the idle clock
--------------------------------------------------------------------------

-- An activity resets the idle clock of its entity (if the table has one).
CREATE FUNCTION _activity_touch() RETURNS trigger
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
BEGIN
	UPDATE crm_sales.entity_touch k
	   SET last_touch = NEW.occurred_at
	 WHERE k.table_name = NEW.table_name AND k.entity_id = NEW.entity_id
	   AND k.last_touch < NEW.occurred_at;
	RETURN NULL;
END $$;
CREATE TRIGGER activity_touch AFTER INSERT ON activity
	FOR EACH ROW EXECUTE FUNCTION _activity_touch();

-- The last touch of an entity: its last activity or stage move, whichever
-- is later (two index probes).
CREATE FUNCTION last_activity(table_name regclass, entity_id text) RETURNS timestamptz
LANGUAGE sql STABLE STRICT PARALLEL SAFE SET search_path = pg_catalog, pg_temp AS $$
	SELECT greatest(
		(SELECT max(a.occurred_at) FROM crm_sales.activity a
		  WHERE a.table_name = $1 AND a.entity_id = $2),
		(SELECT max(h.changed_at) FROM crm_sales.stage_history h
		  WHERE h.table_name = $1 AND h.entity_id = $2));
$$;
COMMENT ON FUNCTION last_activity(regclass, text) IS
	'the time of the last activity or recorded stage move of an entity (NULL if none)';

-- Entities of a table untouched since a time (tables with an inactivity rule).
CREATE FUNCTION idle_entities(table_name regclass, since timestamptz)
RETURNS TABLE (entity_id text, model regtype, stage text, entered_at timestamptz,
			   last_touch timestamptz)
LANGUAGE plpgsql STABLE SET search_path = pg_catalog, pg_temp AS $$
BEGIN
	IF since IS NULL OR table_name IS NULL THEN
		RAISE EXCEPTION 'table_name and since must not be NULL'
			USING ERRCODE = 'null_value_not_allowed';
	END IF;
	IF NOT EXISTS (SELECT 1 FROM crm_sales.followup_rule r
				   WHERE r.table_name = idle_entities.table_name AND r.kind = 'inactivity') THEN
		RAISE EXCEPTION 'table % has no idle clock', table_name
			USING ERRCODE = 'object_not_in_prerequisite_state',
				  DETAIL = 'Idle clocks are kept for the tables that have an inactivity rule.',
				  HINT = 'Add one with crm_sales.add_inactivity_rule().';
	END IF;
	RETURN QUERY
		SELECT k.entity_id, k.model, k.stage, k.entered_at, k.last_touch
		  FROM crm_sales.entity_touch k
		 WHERE k.table_name = idle_entities.table_name AND k.last_touch < since
		 ORDER BY k.last_touch, k.entity_id;
END $$;
COMMENT ON FUNCTION idle_entities(regclass, timestamptz) IS
	'the entities of a table with an inactivity rule that nothing touched since the given time, oldest first';

--------------------------------------------------------------------------
-- Calendars
--------------------------------------------------------------------------

CREATE FUNCTION create_calendar(calendar text, weekend smallint[] DEFAULT '{6,7}',
								time_zone text DEFAULT NULL, description text DEFAULT NULL)
RETURNS void
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
BEGIN
	IF calendar IS NULL OR calendar = '' THEN
		RAISE EXCEPTION 'calendar name must not be NULL or empty'
			USING ERRCODE = 'invalid_parameter_value',
				  HINT = 'Name the calendar, e.g. ''cn''.';
	END IF;
	IF EXISTS (SELECT 1 FROM crm_sales.business_calendar c WHERE c.calendar = create_calendar.calendar) THEN
		RAISE EXCEPTION 'business calendar "%" already exists', calendar
			USING ERRCODE = 'duplicate_object',
				  HINT = 'Change it with UPDATE crm_sales.business_calendar, or pick another name.';
	END IF;
	IF weekend IS NULL OR array_position(weekend, NULL) IS NOT NULL
	   OR NOT weekend <@ '{1,2,3,4,5,6,7}'::smallint[] THEN
		RAISE EXCEPTION 'invalid weekend %', coalesce(weekend::text, 'NULL')
			USING ERRCODE = 'invalid_parameter_value',
				  DETAIL = 'Weekend days are ISO weekdays: 1 = Monday .. 7 = Sunday.',
				  HINT = 'Saturday and Sunday: ''{6,7}''; Friday and Saturday: ''{5,6}''; none: ''{}''.';
	END IF;
	IF cardinality(weekend) > 0 AND
	   (SELECT count(DISTINCT d) FROM unnest(weekend) d) = 7 THEN
		RAISE EXCEPTION 'a calendar whose every weekday is off has no business days'
			USING ERRCODE = 'invalid_parameter_value',
				  DETAIL = format('weekend = %s', weekend),
				  HINT = 'Leave at least one weekday on.';
	END IF;
	IF time_zone IS NOT NULL THEN
		BEGIN
			PERFORM now() AT TIME ZONE time_zone;
		EXCEPTION WHEN invalid_parameter_value THEN
			RAISE EXCEPTION 'unknown time zone "%"', time_zone
				USING ERRCODE = 'invalid_parameter_value',
					  HINT = 'Use a name of pg_timezone_names, such as ''Asia/Shanghai''.';
		END;
	END IF;
	INSERT INTO crm_sales.business_calendar
		VALUES (calendar, (SELECT coalesce(array_agg(DISTINCT d ORDER BY d), '{}')
							 FROM unnest(weekend) d),
				time_zone, description);
END $$;
COMMENT ON FUNCTION create_calendar(text, smallint[], text, text) IS
	'create a business calendar: its weekend days (ISO weekdays, default Saturday and Sunday) and the time zone its dates are in (NULL: the session''s)';

CREATE FUNCTION add_holiday(calendar text, day date, label text DEFAULT NULL,
							working boolean DEFAULT false)
RETURNS void
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
BEGIN
	IF day IS NULL OR working IS NULL THEN
		RAISE EXCEPTION 'day and working must not be NULL'
			USING ERRCODE = 'null_value_not_allowed';
	END IF;
	IF NOT isfinite(day) THEN
		RAISE EXCEPTION 'holiday % is not a finite date', day
			USING ERRCODE = 'invalid_parameter_value';
	END IF;
	PERFORM crm_sales._calendar_check(calendar);
	INSERT INTO crm_sales.holiday AS h VALUES (calendar, day, label, working)
		ON CONFLICT ON CONSTRAINT holiday_pkey
		DO UPDATE SET label = EXCLUDED.label, working = EXCLUDED.working;
END $$;
COMMENT ON FUNCTION add_holiday(text, date, text, boolean) IS
	'list a holiday in a calendar, or (working => true) a weekend day that is worked; listing a day again replaces it';

-- A clear error unless the calendar exists (NULL is fine: no calendar).
CREATE FUNCTION _calendar_check(p_calendar text) RETURNS void
LANGUAGE plpgsql STABLE SET search_path = pg_catalog, pg_temp AS $$
BEGIN
	IF p_calendar IS NOT NULL AND NOT EXISTS
		(SELECT 1 FROM crm_sales.business_calendar c WHERE c.calendar = p_calendar) THEN
		RAISE EXCEPTION 'unknown business calendar "%"', p_calendar
			USING ERRCODE = 'undefined_object',
				  DETAIL = format('Known calendars: %s.',
								  coalesce((SELECT string_agg(c.calendar, ', ' ORDER BY c.calendar)
											  FROM crm_sales.business_calendar c), 'none')),
				  HINT = 'Create it with crm_sales.create_calendar().';
	END IF;
END $$;

--------------------------------------------------------------------------
-- Follow-up rules
--------------------------------------------------------------------------

-- The enforce_transition triggers with history on a table: the model of
-- each, its stage column, id column and the id column's type.
CREATE FUNCTION _stage_triggers(p_table regclass)
RETURNS TABLE (model regtype, stage_column name, id_column name, id_type regtype)
LANGUAGE sql STABLE SET search_path = pg_catalog, pg_temp AS $$
	SELECT DISTINCT m.model, a.stage_col, a.id_col, ida.atttypid::regtype
	  FROM pg_catalog.pg_trigger t
	  -- tgargs holds the arguments NUL-terminated; encode() doubles backslashes
	 CROSS JOIN LATERAL (
		SELECT replace(x.args[1], '\\', '\')::name AS stage_col,
			   replace(x.args[2], '\\', '\')::name AS id_col
		  FROM (SELECT string_to_array(encode(t.tgargs, 'escape'), '\000') AS args) x) a
	  JOIN pg_catalog.pg_attribute sa
		ON sa.attrelid = t.tgrelid AND sa.attname = a.stage_col AND NOT sa.attisdropped
	  JOIN pg_catalog.pg_type ty ON ty.oid = sa.atttypid
	  JOIN crm_sales.model m
		ON m.model = CASE WHEN ty.typtype = 'd' THEN ty.typbasetype ELSE ty.oid END
	  JOIN pg_catalog.pg_attribute ida
		ON ida.attrelid = t.tgrelid AND ida.attname = a.id_col AND NOT ida.attisdropped
	 WHERE t.tgrelid = $1 AND t.tgnargs = 2
	   AND t.tgfoid = 'crm_sales.enforce_transition()'::pg_catalog.regprocedure;
$$;

-- The stage trigger of a table for a model (NULL: the table's only one),
-- or a clear error.
CREATE FUNCTION _rule_target(p_table regclass, p_model regtype,
							 OUT model regtype, OUT stage_column name, OUT id_column name,
							 OUT id_type regtype)
LANGUAGE plpgsql STABLE SET search_path = pg_catalog, pg_temp AS $$
DECLARE
	n integer;
BEGIN
	IF p_table IS NULL THEN
		RAISE EXCEPTION 'table_name must not be NULL'
			USING ERRCODE = 'null_value_not_allowed',
				  HINT = 'Name the table whose rows the rule watches.';
	END IF;
	SELECT count(*) INTO n FROM crm_sales._stage_triggers(p_table) s
	 WHERE p_model IS NULL OR s.model = p_model;
	IF n = 0 THEN
		RAISE EXCEPTION 'table % has no crm_sales.enforce_transition(stage, id) trigger%', p_table,
				CASE WHEN p_model IS NULL THEN '' ELSE format(' for model %s', p_model) END
			USING ERRCODE = 'object_not_in_prerequisite_state',
				  DETAIL = 'Automation works from the stage trigger, which must record history (its id column names the entity).',
				  HINT = format('CREATE TRIGGER ... BEFORE INSERT OR UPDATE ON %s FOR EACH ROW EXECUTE FUNCTION crm_sales.enforce_transition(''stage'', ''id'');', p_table);
	END IF;
	IF n > 1 THEN
		RAISE EXCEPTION 'table % has more than one stage trigger%', p_table,
				CASE WHEN p_model IS NULL THEN '' ELSE format(' for model %s', p_model) END
			USING ERRCODE = 'ambiguous_parameter',
				  DETAIL = format('Stage columns: %s.',
								  (SELECT string_agg(format('%I (%s)', s.stage_column, s.model), ', ')
									 FROM crm_sales._stage_triggers(p_table) s)),
				  HINT = 'Pass the model the rule is about; one trigger per stage column.';
	END IF;
	SELECT s.model, s.stage_column, s.id_column, s.id_type
	  INTO model, stage_column, id_column, id_type
	  FROM crm_sales._stage_triggers(p_table) s
	 WHERE p_model IS NULL OR s.model = p_model;
END $$;

-- A clear error unless the table has the column.
CREATE FUNCTION _column_check(p_table regclass, p_column name, p_what text) RETURNS void
LANGUAGE plpgsql STABLE SET search_path = pg_catalog, pg_temp AS $$
BEGIN
	IF p_column IS NULL THEN
		RETURN;
	END IF;
	IF NOT EXISTS (SELECT 1 FROM pg_catalog.pg_attribute a
				   WHERE a.attrelid = p_table AND a.attname = p_column
					 AND a.attnum > 0 AND NOT a.attisdropped) THEN
		RAISE EXCEPTION 'column "%" named as the % does not exist in table %',
				p_column, p_what, p_table
			USING ERRCODE = 'undefined_column',
				  DETAIL = format('The columns of %s are: %s.', p_table,
								  (SELECT string_agg(quote_ident(a.attname), ', ' ORDER BY a.attnum)
									 FROM pg_catalog.pg_attribute a
									WHERE a.attrelid = p_table AND a.attnum > 0
									  AND NOT a.attisdropped)),
				  HINT = 'Name a column of the table.';
	END IF;
END $$;

-- Common checks of every new rule; returns the rule row to insert.
CREATE FUNCTION _rule_new(p_rule text, p_kind text, p_table regclass, p_model regtype,
						  p_stage text, p_title text, p_owner_column name, p_due_in interval,
						  p_calendar text)
RETURNS crm_sales.followup_rule
LANGUAGE plpgsql STABLE SET search_path = pg_catalog, pg_temp AS $$
DECLARE
	r crm_sales.followup_rule;
	tgt record;
	col name;
BEGIN
	IF p_rule IS NULL OR p_rule = '' THEN
		RAISE EXCEPTION 'rule name must not be NULL or empty'
			USING ERRCODE = 'invalid_parameter_value',
				  HINT = 'Name the rule, e.g. ''proposal_follow_up''.';
	END IF;
	IF EXISTS (SELECT 1 FROM crm_sales.followup_rule f WHERE f.rule = p_rule) THEN
		RAISE EXCEPTION 'follow-up rule "%" already exists', p_rule
			USING ERRCODE = 'duplicate_object',
				  HINT = 'Drop it first with crm_sales.drop_rule(), or pick another name.';
	END IF;
	IF p_model IS NOT NULL THEN
		PERFORM crm_sales._model_check(p_model);
	END IF;
	SELECT * INTO tgt FROM crm_sales._rule_target(p_table, p_model);
	IF p_stage IS NOT NULL OR p_kind <> 'date' THEN
		PERFORM crm_sales._stage_check(tgt.model, p_stage, 'stage');
	END IF;
	IF p_title IS NULL OR p_title = '' THEN
		RAISE EXCEPTION 'title must not be NULL or empty'
			USING ERRCODE = 'invalid_parameter_value',
				  HINT = 'Give a title template such as ''Follow up on {name}''.';
	END IF;
	IF length(p_title) > 1000 THEN
		RAISE EXCEPTION 'title template is % characters long', length(p_title)
			USING ERRCODE = 'program_limit_exceeded',
				  HINT = 'Keep titles to 1000 characters.';
	END IF;
	FOREACH col IN ARRAY crm_sales.template_columns(p_title) LOOP
		PERFORM crm_sales._column_check(p_table, col, 'placeholder {' || col || '} of the title');
	END LOOP;
	PERFORM crm_sales._column_check(p_table, p_owner_column, 'owner column');
	IF p_due_in IS NULL OR p_due_in < '0' THEN
		RAISE EXCEPTION 'due_in must be a non-negative interval, not %', coalesce(p_due_in::text, 'NULL')
			USING ERRCODE = 'invalid_parameter_value',
				  HINT = 'Pass an interval such as ''3 days''; ''0'' makes the task due at once.';
	END IF;
	PERFORM crm_sales._calendar_check(p_calendar);
	IF p_calendar IS NOT NULL AND extract(month FROM p_due_in) + 12 * extract(year FROM p_due_in) <> 0 THEN
		RAISE EXCEPTION 'due_in % has months, which a business calendar cannot count', p_due_in
			USING ERRCODE = 'invalid_parameter_value',
				  HINT = 'Give business time in days and hours, e.g. ''20 days''.';
	END IF;
	r.rule := p_rule;
	r.kind := p_kind;
	r.table_name := p_table;
	r.model := tgt.model;
	r.stage := p_stage;
	r.owner_column := p_owner_column;
	r.title := p_title;
	r.due_in := p_due_in;
	r.calendar := p_calendar;
	r.cancel_on_close := true;
	r.enabled := true;
	RETURN r;
END $$;

CREATE FUNCTION add_stage_rule(rule text, table_name regclass, stage text, title text,
							   due_in interval DEFAULT '0', owner_column name DEFAULT NULL,
							   calendar text DEFAULT NULL, cancel_on_close boolean DEFAULT true,
							   model regtype DEFAULT NULL)
RETURNS void
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE
	r crm_sales.followup_rule := crm_sales._rule_new(rule, 'stage_entry', table_name, model,
		stage, title, owner_column, due_in, calendar);
BEGIN
	r.cancel_on_close := coalesce(cancel_on_close, true);
	INSERT INTO crm_sales.followup_rule SELECT r.*;
END $$;
COMMENT ON FUNCTION add_stage_rule(text, regclass, text, text, interval, name, text, boolean, regtype) IS
	'rule: a row of the table entering the stage gets a task due after due_in (business days with a calendar), in the transaction of the move';

CREATE FUNCTION add_inactivity_rule(rule text, table_name regclass, stage text, idle interval,
									title text, owner_column name DEFAULT NULL,
									escalate_after interval DEFAULT NULL,
									escalate_column name DEFAULT NULL,
									calendar text DEFAULT NULL, due_in interval DEFAULT '0',
									model regtype DEFAULT NULL)
RETURNS void
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE
	r crm_sales.followup_rule := crm_sales._rule_new(rule, 'inactivity', table_name, model,
		stage, title, owner_column, due_in, calendar);
BEGIN
	IF idle IS NULL OR idle <= '0' THEN
		RAISE EXCEPTION 'idle must be a positive interval, not %', coalesce(idle::text, 'NULL')
			USING ERRCODE = 'invalid_parameter_value',
				  HINT = 'Pass the time a row may stay untouched, e.g. ''14 days''.';
	END IF;
	IF escalate_after IS NOT NULL AND escalate_after <= '0' THEN
		RAISE EXCEPTION 'escalate_after must be a positive interval, not %', escalate_after
			USING ERRCODE = 'invalid_parameter_value',
				  HINT = 'Pass how much longer to wait before escalating, e.g. ''7 days''.';
	END IF;
	IF (escalate_after IS NULL) <> (escalate_column IS NULL) THEN
		RAISE EXCEPTION 'escalate_after and escalate_column go together'
			USING ERRCODE = 'invalid_parameter_value',
				  HINT = 'Name the column that holds the manager, and when to escalate to them.';
	END IF;
	IF calendar IS NOT NULL AND
	   (extract(month FROM idle) + 12 * extract(year FROM idle) <> 0 OR
		coalesce(extract(month FROM escalate_after) + 12 * extract(year FROM escalate_after), 0) <> 0) THEN
		RAISE EXCEPTION 'idle and escalate_after cannot have months with a business calendar'
			USING ERRCODE = 'invalid_parameter_value',
				  HINT = 'Give business time in days, e.g. ''10 days''.';
	END IF;
	PERFORM crm_sales._column_check(table_name, escalate_column, 'escalation column');
	r.idle := idle;
	r.escalate_after := escalate_after;
	r.escalate_column := escalate_column;
	-- the table's idle clock: built from its rows, history and activities,
	-- unless another enabled inactivity rule already keeps it
	IF NOT EXISTS (SELECT 1 FROM crm_sales.followup_rule f
				   WHERE f.table_name = r.table_name AND f.model = r.model
					 AND f.kind = 'inactivity' AND f.enabled) THEN
		PERFORM crm_sales._touch_backfill(table_name, r.model);
	END IF;
	INSERT INTO crm_sales.followup_rule SELECT r.*;
END $$;
COMMENT ON FUNCTION add_inactivity_rule(text, regclass, text, interval, text, name, interval, name, text, interval, regtype) IS
	'rule: a row that stays in the stage with no activity or move for idle gets a reminder, and after escalate_after more an escalation to the manager column';

CREATE FUNCTION add_date_rule(rule text, table_name regclass, date_column name,
							  date_offset interval, title text, owner_column name DEFAULT NULL,
							  stage text DEFAULT NULL, due_in interval DEFAULT '0',
							  calendar text DEFAULT NULL, model regtype DEFAULT NULL)
RETURNS void
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE
	r crm_sales.followup_rule := crm_sales._rule_new(rule, 'date', table_name, model,
		stage, title, owner_column, due_in, calendar);
	typ regtype;
BEGIN
	IF date_column IS NULL OR date_offset IS NULL THEN
		RAISE EXCEPTION 'date_column and date_offset must not be NULL'
			USING ERRCODE = 'null_value_not_allowed',
				  HINT = 'E.g. date_column => ''end_date'', date_offset => ''-60 days''.';
	END IF;
	PERFORM crm_sales._column_check(table_name, date_column, 'date column');
	SELECT a.atttypid INTO typ FROM pg_catalog.pg_attribute a
	 WHERE a.attrelid = table_name AND a.attname = date_column AND NOT a.attisdropped;
	IF typ NOT IN ('date'::regtype, 'timestamp'::regtype, 'timestamptz'::regtype) THEN
		RAISE EXCEPTION 'column "%" of % is of type %, not a date or timestamp', date_column, table_name, typ
			USING ERRCODE = 'datatype_mismatch',
				  HINT = 'Date rules count from a date, timestamp or timestamptz column.';
	END IF;
	r.date_column := date_column;
	r.date_offset := date_offset;
	INSERT INTO crm_sales.followup_rule SELECT r.*;
END $$;
COMMENT ON FUNCTION add_date_rule(text, regclass, name, interval, text, name, text, interval, text, regtype) IS
	'rule: a row in the stage (NULL: any open stage) whose date_column + date_offset has passed gets a task, once per date value';

CREATE FUNCTION drop_rule(rule text) RETURNS void
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
BEGIN
	DELETE FROM crm_sales.followup_rule f WHERE f.rule = drop_rule.rule;
	IF NOT FOUND THEN
		RAISE EXCEPTION 'follow-up rule "%" does not exist', rule
			USING ERRCODE = 'undefined_object',
				  HINT = 'See crm_sales.followup_rule.';
	END IF;
END $$;
COMMENT ON FUNCTION drop_rule(text) IS 'remove a follow-up rule (its tasks stay)';

CREATE FUNCTION set_rule_enabled(rule text, enabled boolean) RETURNS void
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE
	r crm_sales.followup_rule;
BEGIN
	IF enabled IS NULL THEN
		RAISE EXCEPTION 'enabled must not be NULL' USING ERRCODE = 'null_value_not_allowed';
	END IF;
	UPDATE crm_sales.followup_rule f SET enabled = set_rule_enabled.enabled
	 WHERE f.rule = set_rule_enabled.rule
	RETURNING f.* INTO r;
	IF NOT FOUND THEN
		RAISE EXCEPTION 'follow-up rule "%" does not exist', rule
			USING ERRCODE = 'undefined_object',
				  HINT = 'See crm_sales.followup_rule.';
	END IF;
	-- a clock not kept while the rule was off (no other enabled inactivity
	-- rule of the table) is rebuilt
	IF enabled AND r.kind = 'inactivity' AND NOT EXISTS
		(SELECT 1 FROM crm_sales.followup_rule f
		  WHERE f.table_name = r.table_name AND f.model = r.model
			AND f.kind = 'inactivity' AND f.enabled AND f.rule <> r.rule) THEN
		PERFORM crm_sales._touch_backfill(r.table_name, r.model);
	END IF;
END $$;
COMMENT ON FUNCTION set_rule_enabled(text, boolean) IS 'switch a follow-up rule off (false) or on (true)';

-- (Re)build the idle clock of a table for a model: current stage from the
-- table, entry time from the history, last touch from history and activity.
CREATE FUNCTION _touch_backfill(p_table regclass, p_model regtype) RETURNS bigint
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE
	tgt record;
	n bigint;
BEGIN
	SELECT * INTO tgt FROM crm_sales._rule_target(p_table, p_model);
	DELETE FROM crm_sales.entity_touch k WHERE k.table_name = p_table AND k.model = p_model;
	-- set-based: the last entry into each (entity, stage) and the last
	-- activity of each entity, joined to the rows (hash joins, one pass each)
	EXECUTE format($q$
		WITH h AS (
			SELECT h.entity_id, h.to_stage, max(h.changed_at) AS entered_at
			  FROM crm_sales.stage_history h
			 WHERE h.table_name = $1 AND h.model = $2
			 GROUP BY h.entity_id, h.to_stage),
		a AS (
			SELECT a.entity_id, max(a.occurred_at) AS last_at
			  FROM crm_sales.activity a WHERE a.table_name = $1
			 GROUP BY a.entity_id)
		INSERT INTO crm_sales.entity_touch (table_name, entity_id, model, stage, entered_at, last_touch)
		SELECT $1, e.id, $2, e.stage, coalesce(h.entered_at, pg_catalog.now()),
			   greatest(coalesce(h.entered_at, pg_catalog.now()), a.last_at)
		  FROM (SELECT t.%2$I::pg_catalog.text AS id, t.%3$I::pg_catalog.text AS stage
				  FROM %1$s t WHERE t.%3$I IS NOT NULL AND t.%2$I IS NOT NULL) e
		  LEFT JOIN h ON h.entity_id = e.id AND h.to_stage = e.stage
		  LEFT JOIN a ON a.entity_id = e.id$q$,
		p_table, tgt.id_column, tgt.stage_column)
		USING p_table, p_model;
	GET DIAGNOSTICS n = ROW_COUNT;
	RETURN n;
END $$;

-- A dropped table takes its rules, publication, contract registration and
-- idle clocks with it; its tasks, activities and events stay (a record of
-- the past, like the stage history).  SECURITY DEFINER: the role dropping
-- its own table need not be able to write the config tables.
CREATE FUNCTION _drop_automation() RETURNS event_trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
	t text;
BEGIN
	FOREACH t IN ARRAY ARRAY['followup_rule', 'outbox_publication', 'contract_table',
							 'entity_touch'] LOOP
		EXECUTE format('DELETE FROM crm_sales.%I x'
					   ' USING pg_catalog.pg_event_trigger_dropped_objects() d'
					   ' WHERE d.classid = ''pg_catalog.pg_class''::pg_catalog.regclass'
					   ' AND d.objsubid = 0 AND x.table_name = d.objid', t);
	END LOOP;
END $$;
REVOKE ALL ON FUNCTION _drop_automation() FROM PUBLIC;
CREATE EVENT TRIGGER crm_sales_drop_automation ON sql_drop
	WHEN TAG IN ('DROP TABLE', 'DROP SCHEMA', 'DROP OWNED', 'DROP FOREIGN TABLE')
	EXECUTE FUNCTION _drop_automation();
COMMENT ON EVENT TRIGGER crm_sales_drop_automation IS
	'removes the follow-up rules, outbox publication, contract registration and idle clocks of a dropped table (its tasks, activities and events stay)';

--------------------------------------------------------------------------
-- Views of tasks and idle entities
--------------------------------------------------------------------------

CREATE VIEW open_tasks AS
SELECT t.owner, t.due_at, t.id AS task_id, t.title, t.kind, t.rule, t.table_name,
	   t.entity_id, t.status, t.due_at < now() AS overdue,
	   row_number() OVER (PARTITION BY t.owner ORDER BY t.due_at, t.id) AS rank_for_owner
  FROM task t
 WHERE t.status = 'open';
COMMENT ON VIEW open_tasks IS
	'crm_sales: open tasks with their rank in each owner''s list by due date (ORDER BY owner, due_at to read it as a to-do list)';

CREATE VIEW overdue_tasks AS
SELECT t.id AS task_id, t.owner, t.title, t.due_at, now() - t.due_at AS overdue_by,
	   t.kind, t.rule, t.table_name, t.entity_id
  FROM task t
 WHERE t.status = 'open' AND t.due_at < now();
COMMENT ON VIEW overdue_tasks IS 'crm_sales: open tasks past their due time';

CREATE VIEW rotting AS
SELECT k.table_name, k.entity_id, k.model, k.stage, r.rule, k.entered_at, k.last_touch,
	   round((extract(epoch FROM now() - k.last_touch) / 86400)::numeric, 1) AS days_idle,
	   r.idle AS rotting_after
  FROM entity_touch k
  JOIN followup_rule r
	ON r.kind = 'inactivity' AND r.enabled AND r.table_name = k.table_name
   AND r.model = k.model AND r.stage = k.stage
 WHERE k.last_touch < now() - r.idle;
COMMENT ON VIEW rotting IS
	'crm_sales: entities idle in a stage longer than its inactivity rule allows, with days idle (calendar days)';
GRANT SELECT ON open_tasks, overdue_tasks, rotting TO PUBLIC;

--------------------------------------------------------------------------
-- The outbox
--------------------------------------------------------------------------

CREATE FUNCTION _consumer_check(p_consumer text) RETURNS void
LANGUAGE plpgsql IMMUTABLE SET search_path = pg_catalog, pg_temp AS $$
BEGIN
	IF p_consumer IS NULL OR p_consumer = '' THEN
		RAISE EXCEPTION 'consumer name must not be NULL or empty'
			USING ERRCODE = 'invalid_parameter_value',
				  HINT = 'Name the consumer, e.g. ''mailer-1''; acknowledgements must use the same name.';
	END IF;
END $$;

CREATE FUNCTION claim_events(consumer text, batch integer DEFAULT 100,
							 lease interval DEFAULT '5 minutes')
RETURNS TABLE (id bigint, kind text, table_name regclass, entity_id text, payload jsonb,
			   created_at timestamptz, deliveries integer)
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
BEGIN
	PERFORM crm_sales._consumer_check(consumer);
	IF batch IS NULL OR batch < 1 OR batch > 10000 THEN
		RAISE EXCEPTION 'batch must be between 1 and 10000, not %', coalesce(batch::text, 'NULL')
			USING ERRCODE = 'invalid_parameter_value',
				  HINT = 'Take at most 10000 events per call.';
	END IF;
	IF lease IS NULL OR lease <= '0' THEN
		RAISE EXCEPTION 'lease must be a positive interval, not %', coalesce(lease::text, 'NULL')
			USING ERRCODE = 'invalid_parameter_value',
				  HINT = 'Pass how long the consumer needs before it acknowledges, e.g. ''5 minutes''.';
	END IF;
	RETURN QUERY
		UPDATE crm_sales.outbox_event e
		   SET claimed_by = consumer, lease_until = clock_timestamp() + lease,
			   deliveries = e.deliveries + 1
		  FROM (SELECT p.id FROM crm_sales.outbox_event p
				 WHERE p.acked_at IS NULL
				   AND (p.lease_until IS NULL OR p.lease_until < clock_timestamp())
				 ORDER BY p.id
				 LIMIT batch
				   FOR UPDATE SKIP LOCKED) c
		 WHERE e.id = c.id AND e.acked_at IS NULL
		RETURNING e.id, e.kind, e.table_name, e.entity_id, e.payload, e.created_at, e.deliveries;
END $$;
COMMENT ON FUNCTION claim_events(text, integer, interval) IS
	'take up to batch events nobody holds, oldest first, leased to the consumer: acknowledge them within the lease or they are delivered again';

CREATE FUNCTION ack_events(consumer text, ids bigint[]) RETURNS integer
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
	n integer;
BEGIN
	PERFORM crm_sales._consumer_check(consumer);
	IF ids IS NULL THEN
		RAISE EXCEPTION 'ids must not be NULL'
			USING ERRCODE = 'null_value_not_allowed',
				  HINT = 'Pass the ids returned by crm_sales.claim_events(), e.g. ARRAY[1, 2].';
	END IF;
	UPDATE crm_sales.outbox_event e
	   SET acked_at = clock_timestamp(), acked_by = consumer, lease_until = NULL
	 WHERE e.id = ANY (ids) AND e.acked_at IS NULL
	   AND e.claimed_by = consumer AND e.lease_until >= clock_timestamp();
	GET DIAGNOSTICS n = ROW_COUNT;
	RETURN n;
END $$;
COMMENT ON FUNCTION ack_events(text, bigint[]) IS
	'confirm events the consumer holds under a running lease; returns how many were acknowledged (an id whose lease ran out, or that another consumer holds, is not)';

CREATE FUNCTION release_events(consumer text, ids bigint[]) RETURNS integer
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
	n integer;
BEGIN
	PERFORM crm_sales._consumer_check(consumer);
	IF ids IS NULL THEN
		RAISE EXCEPTION 'ids must not be NULL' USING ERRCODE = 'null_value_not_allowed';
	END IF;
	UPDATE crm_sales.outbox_event e SET claimed_by = NULL, lease_until = NULL
	 WHERE e.id = ANY (ids) AND e.acked_at IS NULL AND e.claimed_by = consumer;
	GET DIAGNOSTICS n = ROW_COUNT;
	RETURN n;
END $$;
COMMENT ON FUNCTION release_events(text, bigint[]) IS
	'give back events the consumer holds without acknowledging them, so they are delivered again at once';

REVOKE ALL ON FUNCTION claim_events(text, integer, interval), ack_events(text, bigint[]),
	release_events(text, bigint[]) FROM PUBLIC;

CREATE FUNCTION publish_stage_moves(table_name regclass, publish boolean DEFAULT true)
RETURNS void
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
BEGIN
	IF publish IS NULL THEN
		RAISE EXCEPTION 'publish must not be NULL' USING ERRCODE = 'null_value_not_allowed';
	END IF;
	IF publish AND NOT EXISTS (SELECT 1 FROM crm_sales._stage_triggers(table_name)) THEN
		RAISE EXCEPTION 'table % has no crm_sales.enforce_transition(stage, id) trigger',
				coalesce(table_name::text, 'NULL')
			USING ERRCODE = 'object_not_in_prerequisite_state',
				  HINT = 'Moves are published by the stage trigger with history; create it first.';
	END IF;
	IF publish THEN
		INSERT INTO crm_sales.outbox_publication VALUES (table_name) ON CONFLICT DO NOTHING;
	ELSE
		DELETE FROM crm_sales.outbox_publication p WHERE p.table_name = publish_stage_moves.table_name;
	END IF;
END $$;
COMMENT ON FUNCTION publish_stage_moves(regclass, boolean) IS
	'write every accepted stage move of the table to the outbox as a stage_moved event (publish => false stops it)';

--------------------------------------------------------------------------
-- Contracts
--------------------------------------------------------------------------

CREATE FUNCTION register_contracts(table_name regclass, end_column name DEFAULT 'end_date',
								   value_column name DEFAULT NULL, owner_column name DEFAULT NULL)
RETURNS void
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE
	tgt record;
	typ regtype;
BEGIN
	SELECT * INTO tgt FROM crm_sales._rule_target(table_name, 'crm_sales.contract_status'::regtype);
	IF end_column IS NULL THEN
		RAISE EXCEPTION 'end_column must not be NULL' USING ERRCODE = 'null_value_not_allowed';
	END IF;
	PERFORM crm_sales._column_check(table_name, end_column, 'end date column');
	SELECT a.atttypid INTO typ FROM pg_catalog.pg_attribute a
	 WHERE a.attrelid = table_name AND a.attname = end_column AND NOT a.attisdropped;
	IF typ <> 'date'::regtype THEN
		RAISE EXCEPTION 'column "%" of % is of type %, not date', end_column, table_name, typ
			USING ERRCODE = 'datatype_mismatch',
				  HINT = 'A contract ends on a date.';
	END IF;
	PERFORM crm_sales._column_check(table_name, value_column, 'value column');
	PERFORM crm_sales._column_check(table_name, owner_column, 'owner column');
	INSERT INTO crm_sales.contract_table
		VALUES (table_name, tgt.stage_column, tgt.id_column, end_column, value_column, owner_column)
	ON CONFLICT ON CONSTRAINT contract_table_pkey DO UPDATE
		SET status_column = EXCLUDED.status_column, id_column = EXCLUDED.id_column,
			end_column = EXCLUDED.end_column, value_column = EXCLUDED.value_column,
			owner_column = EXCLUDED.owner_column;
END $$;
COMMENT ON FUNCTION register_contracts(regclass, name, name, name) IS
	'declare a table of contracts (status column of crm_sales.contract_status, with the stage trigger): the sweep expires it and the renewal reports read it';

-- Move active contracts whose end date has passed to expired, through the
-- table's stage trigger (checked and recorded like any move).
CREATE FUNCTION expire_contracts(as_of timestamptz DEFAULT now()) RETURNS bigint
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE
	c record;
	n bigint;
	total bigint := 0;
BEGIN
	IF as_of IS NULL THEN
		RAISE EXCEPTION 'as_of must not be NULL' USING ERRCODE = 'null_value_not_allowed';
	END IF;
	FOR c IN SELECT * FROM crm_sales.contract_table t ORDER BY t.table_name::text LOOP
		EXECUTE format('UPDATE %s t SET %I = ''expired'' WHERE t.%I = ''active'' AND t.%I < $1::pg_catalog.date',
					   c.table_name, c.status_column, c.status_column, c.end_column)
			USING as_of;
		GET DIAGNOSTICS n = ROW_COUNT;
		total := total + n;
	END LOOP;
	RETURN total;
END $$;
COMMENT ON FUNCTION expire_contracts(timestamptz) IS
	'move every active contract whose end date is before the as_of date to expired, through the stage trigger; returns how many moved';

-- Every contract of the registered tables with its end date and value.
CREATE FUNCTION _contracts()
RETURNS TABLE (table_name regclass, contract_id text, status text, end_date date,
			   value numeric, owner text)
LANGUAGE plpgsql STABLE SET search_path = pg_catalog, pg_temp AS $$
DECLARE
	c record;
BEGIN
	FOR c IN SELECT * FROM crm_sales.contract_table t ORDER BY t.table_name::text LOOP
		RETURN QUERY EXECUTE format(
			'SELECT $1, t.%I::text, t.%I::text, t.%I, %s, %s FROM %s t',
			c.id_column, c.status_column, c.end_column,
			CASE WHEN c.value_column IS NULL THEN 'NULL::numeric'
				 ELSE format('t.%I::numeric', c.value_column) END,
			CASE WHEN c.owner_column IS NULL THEN 'NULL::text'
				 ELSE format('t.%I::text', c.owner_column) END,
			c.table_name)
			USING c.table_name;
	END LOOP;
END $$;

CREATE FUNCTION renewals_due(within_days integer DEFAULT 90, as_of date DEFAULT current_date)
RETURNS TABLE (table_name regclass, contract_id text, end_date date, days_left integer,
			   value numeric, owner text, status text)
LANGUAGE plpgsql STABLE SET search_path = pg_catalog, pg_temp AS $$
BEGIN
	IF within_days IS NULL OR within_days < 0 THEN
		RAISE EXCEPTION 'within_days must be 0 or more, not %', coalesce(within_days::text, 'NULL')
			USING ERRCODE = 'invalid_parameter_value',
				  HINT = 'E.g. 90 for the contracts ending in the next 90 days.';
	END IF;
	IF as_of IS NULL THEN
		RAISE EXCEPTION 'as_of must not be NULL' USING ERRCODE = 'null_value_not_allowed';
	END IF;
	RETURN QUERY
		SELECT c.table_name, c.contract_id, c.end_date, c.end_date - as_of, c.value, c.owner,
			   c.status
		  FROM crm_sales._contracts() c
		 WHERE c.status = 'active' AND c.end_date >= as_of
		   AND c.end_date <= as_of + within_days
		 ORDER BY c.end_date, c.table_name::text, c.contract_id;
END $$;
COMMENT ON FUNCTION renewals_due(integer, date) IS
	'active contracts of the registered tables ending within the next within_days days (from as_of), soonest first, with their value';

CREATE VIEW contract_renewals AS
SELECT c.table_name, c.contract_id, c.status, c.end_date, c.end_date - current_date AS days_left,
	   c.value, c.owner
  FROM _contracts() c
 WHERE c.status = 'active';
COMMENT ON VIEW contract_renewals IS
	'crm_sales: every active contract of the registered tables with days left to its end date and its value (filter days_left to get those up for renewal)';

CREATE FUNCTION renewal_rate(table_name regclass, from_date date, to_date date,
							 period text DEFAULT 'month')
RETURNS TABLE (period_start date, due bigint, renewed bigint, expired bigint,
			   still_active bigint, renewal_rate float8)
LANGUAGE plpgsql STABLE SET search_path = pg_catalog, pg_temp AS $$
DECLARE
	c crm_sales.contract_table;
BEGIN
	SELECT * INTO c FROM crm_sales.contract_table t WHERE t.table_name = renewal_rate.table_name;
	IF NOT FOUND THEN
		RAISE EXCEPTION 'table % is not a registered contract table', coalesce(table_name::text, 'NULL')
			USING ERRCODE = 'undefined_object',
				  HINT = 'Register it with crm_sales.register_contracts().';
	END IF;
	IF period IS NULL OR period NOT IN ('week', 'month', 'quarter', 'year') THEN
		RAISE EXCEPTION 'invalid period "%"', period
			USING ERRCODE = 'invalid_parameter_value',
				  HINT = 'Use week, month, quarter or year.';
	END IF;
	IF from_date IS NULL OR to_date IS NULL OR from_date > to_date THEN
		RAISE EXCEPTION 'invalid date range % to %', from_date, to_date
			USING ERRCODE = 'invalid_parameter_value',
				  HINT = 'from_date must not be after to_date.';
	END IF;
	-- due: contracts whose term ends in the period and that reached active;
	-- renewed: of those, the ones now renewed or recorded as entering renewed
	RETURN QUERY EXECUTE format($q$
		SELECT g.p, g.due, g.renewed, g.expired, g.active,
			   g.renewed::pg_catalog.float8 / g.due
		  FROM (
		SELECT date_trunc($4, t.%2$I::pg_catalog.timestamp)::pg_catalog.date AS p,
			   count(*) AS due,
			   count(*) FILTER (WHERE t.%1$I::text = 'renewed' OR EXISTS
					(SELECT 1 FROM crm_sales.stage_history h
					  WHERE h.table_name = $1 AND h.entity_id = t.%3$I::text
						AND h.model = 'crm_sales.contract_status'::regtype
						AND h.to_stage = 'renewed')) AS renewed,
			   count(*) FILTER (WHERE t.%1$I::text = 'expired') AS expired,
			   count(*) FILTER (WHERE t.%1$I::text = 'active') AS active
		  FROM %4$s t
		 WHERE t.%2$I >= $2 AND t.%2$I <= $3
		   AND t.%1$I::text IN ('active', 'expired', 'renewed')
		 GROUP BY 1) g
		 ORDER BY g.p$q$,
		c.status_column, c.end_column, c.id_column, c.table_name)
		USING c.table_name, from_date, to_date, period;
END $$;
COMMENT ON FUNCTION renewal_rate(regclass, date, date, text) IS
	'per period of end dates: contracts due (active, expired or renewed), renewed, expired, still active, and renewed / due';

--------------------------------------------------------------------------
-- The sweep and its schedule
--------------------------------------------------------------------------

-- Tasks for the rows of an inactivity or date rule that are due as of a
-- time; kind reminder, escalation or date.  One statement: candidates,
-- INSERT ... ON CONFLICT DO NOTHING against task_once (so concurrent or
-- repeated sweeps add nothing twice), and an event per inserted task.
CREATE FUNCTION _sweep_rule(r crm_sales.followup_rule, p_kind text, p_as_of timestamptz)
RETURNS bigint
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE
	tgt record;
	owner_expr text;
	due_expr text;
	cutoff timestamptz;
	stages text[];
	q text;
	n bigint;
	event_kind text := CASE p_kind WHEN 'date' THEN 'task_created' ELSE p_kind END;
BEGIN
	SELECT * INTO tgt FROM crm_sales._rule_target(r.table_name, r.model);
	owner_expr := CASE
		WHEN p_kind = 'escalation' THEN format('t.%I::pg_catalog.text', r.escalate_column)
		WHEN r.owner_column IS NULL THEN 'NULL::pg_catalog.text'
		ELSE format('t.%I::pg_catalog.text', r.owner_column) END;
	IF p_kind IN ('reminder', 'escalation') THEN
		-- untouched since cutoff (idle, plus escalate_after for escalations)
		cutoff := crm_sales._idle_cutoff(p_as_of,
			CASE WHEN p_kind = 'escalation' THEN r.idle + r.escalate_after ELSE r.idle END,
			r.calendar);
		-- the idle entities from the clock's index, then each one's row by
		-- its key (LATERAL ... LIMIT 1: an index probe per idle entity, never
		-- a scan of the whole table, whatever the estimates say)
		q := format($f$
			WITH c AS (
				SELECT k.entity_id, k.last_touch AS anchor, t.owner, t.title
				  FROM crm_sales.entity_touch k
				 CROSS JOIN LATERAL (
					SELECT %3$s AS owner, %6$s AS title FROM %1$s t
					 WHERE t.%2$I = k.entity_id::%5$s AND t.%4$I::pg_catalog.text = $4
					 LIMIT 1) t
				 WHERE k.table_name = $1 AND k.model = $2 AND k.stage = $4
				   AND k.last_touch < $5)
			$f$, r.table_name, tgt.id_column, owner_expr, tgt.stage_column, tgt.id_type,
			crm_sales._template_sql(r.title, 't'));
		-- due as of the sweep: one time for every row
		due_expr := quote_literal(crm_sales.add_business_time(p_as_of, r.due_in, r.calendar))
					|| '::pg_catalog.timestamptz';
	ELSE
		cutoff := p_as_of - r.date_offset;
		IF r.stage IS NULL THEN
			SELECT array_agg(s.stage) INTO stages FROM crm_sales.stage s
			 WHERE s.model = r.model AND s.category = 'open';
		ELSE
			stages := ARRAY[r.stage];
		END IF;
		q := format($f$
			WITH c AS (
				SELECT t.%2$I::pg_catalog.text AS entity_id,
					   t.%5$I::pg_catalog.timestamptz AS anchor, %3$s AS owner, %6$s AS title
				  FROM %1$s t
				 WHERE t.%5$I <= $5 AND t.%4$I::pg_catalog.text = ANY ($6)
				   AND t.%2$I IS NOT NULL)
			$f$, r.table_name, tgt.id_column, owner_expr, tgt.stage_column, r.date_column,
			crm_sales._template_sql(r.title, 't'));
		-- due after the date: in business days only with a calendar
		due_expr := CASE WHEN r.calendar IS NULL THEN 'c.anchor + $9 + $11'
						 ELSE 'crm_sales.add_business_time(c.anchor + $9, $11, $12)' END;
	END IF;
	q := q || format($f$,
		ins AS (
			INSERT INTO crm_sales.task AS k (rule, table_name, entity_id, owner, title, due_at,
											 kind, model, stage, anchor, cancel_on_close)
			SELECT $7, $1, c.entity_id, c.owner, c.title, %s, $8, $2, $4, c.anchor, $13
			  FROM c
			ON CONFLICT (rule, table_name, entity_id, kind, anchor)
			   WHERE kind IN ('reminder', 'escalation', 'date') DO NOTHING
			RETURNING k.id, k.kind, k.entity_id, k.owner, k.title, k.due_at)
		INSERT INTO crm_sales.outbox_event (kind, table_name, entity_id, payload)
		SELECT $14, $1, ins.entity_id,
			   pg_catalog.jsonb_build_object('task_id', ins.id, 'task_kind', ins.kind,
				   'rule', $7, 'table', $15, 'entity_id', ins.entity_id, 'owner', ins.owner,
				   'title', ins.title, 'due_at', ins.due_at, 'stage', $4)
		  FROM ins$f$, due_expr);
	EXECUTE q USING r.table_name, r.model, r.title, r.stage, cutoff, stages, r.rule, p_kind,
		r.date_offset, p_as_of, r.due_in, r.calendar, r.cancel_on_close, event_kind,
		(SELECT format('%I.%I', ns.nspname, c.relname) FROM pg_catalog.pg_class c
		   JOIN pg_catalog.pg_namespace ns ON ns.oid = c.relnamespace WHERE c.oid = r.table_name);
	GET DIAGNOSTICS n = ROW_COUNT;
	RETURN n;
END $$;


CREATE FUNCTION run_sweep(as_of timestamptz DEFAULT now())
RETURNS TABLE (step text, rows bigint)
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE
	r crm_sales.followup_rule;
	ev record;
	n bigint;
	reminders bigint := 0;
	escalations bigint := 0;
	dated bigint := 0;
	retention interval := crm_sales._outbox_retention();
BEGIN
	IF as_of IS NULL OR NOT isfinite(as_of) THEN
		RAISE EXCEPTION 'as_of must be a finite time, not %', coalesce(as_of::text, 'NULL')
			USING ERRCODE = 'invalid_parameter_value',
				  HINT = 'Leave it out to sweep as of now().';
	END IF;
	step := 'contracts_expired';
	rows := crm_sales.expire_contracts(as_of);
	RETURN NEXT;
	FOR r IN SELECT * FROM crm_sales.followup_rule f
			  WHERE f.enabled AND f.kind IN ('inactivity', 'date') ORDER BY f.rule LOOP
		IF r.kind = 'inactivity' THEN
			reminders := reminders + crm_sales._sweep_rule(r, 'reminder', as_of);
			IF r.escalate_after IS NOT NULL THEN
				escalations := escalations + crm_sales._sweep_rule(r, 'escalation', as_of);
			END IF;
		ELSE
			dated := dated + crm_sales._sweep_rule(r, 'date', as_of);
		END IF;
	END LOOP;
	step := 'reminders';
	rows := reminders;
	RETURN NEXT;
	step := 'escalations';
	rows := escalations;
	RETURN NEXT;
	step := 'date_tasks';
	rows := dated;
	RETURN NEXT;

	-- snoozed tasks whose time has come are open again
	UPDATE crm_sales.task t SET status = 'open'
	 WHERE t.status = 'snoozed' AND t.due_at <= as_of;
	GET DIAGNOSTICS n = ROW_COUNT;
	step := 'tasks_woken';
	rows := n;
	RETURN NEXT;

	-- one task_due event per task reaching its due time
	WITH d AS (
		UPDATE crm_sales.task t SET due_notified_at = now()
		 WHERE t.status = 'open' AND t.due_at <= as_of AND t.due_notified_at IS NULL
		RETURNING t.*)
	INSERT INTO crm_sales.outbox_event (kind, table_name, entity_id, payload)
	SELECT 'task_due', d.table_name, d.entity_id,
		   jsonb_build_object('task_id', d.id, 'task_kind', d.kind, 'rule', d.rule,
							  'table', format('%I.%I', ns.nspname, c.relname),
							  'entity_id', d.entity_id, 'owner', d.owner, 'title', d.title,
							  'due_at', d.due_at, 'stage', d.stage)
	  FROM d
	  LEFT JOIN pg_catalog.pg_class c ON c.oid = d.table_name
	  LEFT JOIN pg_catalog.pg_namespace ns ON ns.oid = c.relnamespace;
	GET DIAGNOSTICS n = ROW_COUNT;
	step := 'tasks_due';
	rows := n;
	RETURN NEXT;

	-- leases that ran out: free the events and wake the consumers
	n := 0;
	FOR ev IN
		WITH e AS (
			UPDATE crm_sales.outbox_event e SET claimed_by = NULL, lease_until = NULL
			 WHERE e.acked_at IS NULL AND e.lease_until < clock_timestamp()
			RETURNING e.id, e.kind)
		SELECT * FROM e ORDER BY e.id
	LOOP
		PERFORM pg_notify('crm_sales_outbox',
						  jsonb_build_object('id', ev.id, 'kind', ev.kind)::text);
		n := n + 1;
	END LOOP;
	step := 'leases_expired';
	rows := n;
	RETURN NEXT;

	DELETE FROM crm_sales.outbox_event e WHERE e.acked_at < as_of - retention;
	GET DIAGNOSTICS n = ROW_COUNT;
	step := 'events_purged';
	rows := n;
	RETURN NEXT;
END $$;
COMMENT ON FUNCTION run_sweep(timestamptz) IS
	'all time-based work as of a time: expire contracts, rotting reminders and escalations, date tasks, snoozed tasks, task_due events, expired leases, purge of old acknowledged events; safe to run concurrently';
REVOKE ALL ON FUNCTION run_sweep(timestamptz), expire_contracts(timestamptz) FROM PUBLIC;

-- The pg_cron schedule text for an interval, or a clear error.
CREATE FUNCTION _cron_schedule(every interval, cron_version text) RETURNS text
LANGUAGE plpgsql IMMUTABLE SET search_path = pg_catalog, pg_temp AS $$
DECLARE
	secs numeric;
BEGIN
	IF every IS NULL OR every <= '0' THEN
		RAISE EXCEPTION 'the sweep interval must be positive, not %', coalesce(every::text, 'NULL')
			USING ERRCODE = 'invalid_parameter_value',
				  HINT = 'E.g. ''1 minute'' or ''15 minutes''.';
	END IF;
	secs := extract(epoch FROM every);
	IF extract(month FROM every) <> 0 OR extract(year FROM every) <> 0 THEN
		secs := -1;
	END IF;
	IF secs >= 1 AND secs < 60 AND secs = trunc(secs) THEN
		-- extversion is like '1.4-1': compare major.minor
		IF coalesce((regexp_match(cron_version, '^(\d+)\.(\d+)'))::int[], '{0,0}') < '{1,5}' THEN
			RAISE EXCEPTION 'pg_cron % schedules at most once a minute', cron_version
				USING ERRCODE = 'feature_not_supported',
					  HINT = 'Sub-minute schedules need pg_cron 1.5 or later; use ''1 minute''.';
		END IF;
		RETURN format('%s seconds', secs::int);
	ELSIF secs >= 60 AND secs < 3600 AND secs % 60 = 0 AND 60 % (secs / 60) = 0 THEN
		RETURN CASE WHEN secs = 60 THEN '* * * * *' ELSE format('*/%s * * * *', (secs / 60)::int) END;
	ELSIF secs >= 3600 AND secs < 86400 AND secs % 3600 = 0 AND 24 % (secs / 3600) = 0 THEN
		RETURN CASE WHEN secs = 3600 THEN '0 * * * *' ELSE format('0 */%s * * *', (secs / 3600)::int) END;
	ELSIF secs = 86400 THEN
		RETURN '0 0 * * *';
	END IF;
	RAISE EXCEPTION 'pg_cron cannot run the sweep every %', every
		USING ERRCODE = 'invalid_parameter_value',
			  HINT = 'Use whole seconds below a minute, minutes that divide an hour, hours that divide a day, or 1 day.';
END $$;

CREATE FUNCTION schedule_sweep(every interval DEFAULT '1 minute') RETURNS bigint
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE
	ver text;
	sched text;
	job bigint;
BEGIN
	SELECT e.extversion INTO ver FROM pg_catalog.pg_extension e WHERE e.extname = 'pg_cron';
	IF ver IS NULL THEN
		-- check the interval first, so its errors come before this one
		PERFORM crm_sales._cron_schedule(every, '1.5');
		RAISE EXCEPTION 'pg_cron is not installed in database %', current_database()
			USING ERRCODE = 'feature_not_supported',
				  DETAIL = 'crm_sales.schedule_sweep() registers the sweep with pg_cron (Debian package postgresql-15-cron, shared_preload_libraries = ''pg_cron'', cron.database_name = this database, CREATE EXTENSION pg_cron).',
				  HINT = format('Without pg_cron, run the sweep from cron instead: * * * * * psql -d %s -c "SELECT crm_sales.run_sweep()"',
								current_database());
	END IF;
	sched := crm_sales._cron_schedule(every, ver);
	EXECUTE 'SELECT cron.schedule($1, $2, $3)'
		INTO job USING 'crm_sales_sweep', sched, 'SELECT crm_sales.run_sweep()';
	RETURN job;
END $$;
COMMENT ON FUNCTION schedule_sweep(interval) IS
	'register crm_sales.run_sweep() with pg_cron (job crm_sales_sweep, run as the calling role) at the given interval; errors clearly where pg_cron is not installed';

CREATE FUNCTION unschedule_sweep() RETURNS boolean
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE
	ok boolean;
BEGIN
	IF NOT EXISTS (SELECT 1 FROM pg_catalog.pg_extension e WHERE e.extname = 'pg_cron') THEN
		RAISE EXCEPTION 'pg_cron is not installed in database %', current_database()
			USING ERRCODE = 'feature_not_supported',
				  HINT = 'Remove the crontab line that runs crm_sales.run_sweep() instead.';
	END IF;
	EXECUTE 'SELECT cron.unschedule($1)' INTO ok USING 'crm_sales_sweep';
	RETURN ok;
END $$;
COMMENT ON FUNCTION unschedule_sweep() IS 'remove the pg_cron job of crm_sales.schedule_sweep()';
REVOKE ALL ON FUNCTION schedule_sweep(interval), unschedule_sweep() FROM PUBLIC;

--------------------------------------------------------------------------
-- Email engagement
--------------------------------------------------------------------------

CREATE TYPE email_engagement;
CREATE FUNCTION email_engagement_in(cstring) RETURNS email_engagement
	AS 'MODULE_PATHNAME', 'crm_engagement_in' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION email_engagement_out(email_engagement) RETURNS cstring
	AS 'MODULE_PATHNAME', 'crm_engagement_out' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION email_engagement_recv(internal) RETURNS email_engagement
	AS 'MODULE_PATHNAME', 'crm_engagement_recv' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION email_engagement_send(email_engagement) RETURNS bytea
	AS 'MODULE_PATHNAME', 'crm_engagement_send' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE TYPE email_engagement (
	INPUT = email_engagement_in, OUTPUT = email_engagement_out,
	RECEIVE = email_engagement_recv, SEND = email_engagement_send,
	INTERNALLENGTH = 152, ALIGNMENT = double, STORAGE = plain
);
COMMENT ON FUNCTION email_engagement_in(cstring) IS 'text input of type crm_sales.email_engagement';
COMMENT ON FUNCTION email_engagement_out(email_engagement) IS 'text output of type crm_sales.email_engagement';
COMMENT ON FUNCTION email_engagement_recv(internal) IS 'binary input (receive) of type crm_sales.email_engagement';
COMMENT ON FUNCTION email_engagement_send(email_engagement) IS 'binary output (send) of type crm_sales.email_engagement';
COMMENT ON TYPE email_engagement IS
	'crm_sales: mergeable email engagement summary (event counts per kind, recipients, unique counts, decayed score); read it with email_engagement_stats()';

CREATE FUNCTION _email_engagement_trans(email_engagement, text, timestamptz) RETURNS email_engagement
	AS 'MODULE_PATHNAME', 'crm_engagement_trans' LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION _email_engagement_trans(email_engagement, text, timestamptz, timestamptz)
RETURNS email_engagement
	AS 'MODULE_PATHNAME', 'crm_engagement_trans' LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION _email_engagement_trans(email_engagement, text, timestamptz, timestamptz, interval)
RETURNS email_engagement
	AS 'MODULE_PATHNAME', 'crm_engagement_trans' LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION _email_engagement_combine(email_engagement, email_engagement) RETURNS email_engagement
	AS 'MODULE_PATHNAME', 'crm_engagement_combine' LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION _email_engagement_merge_trans(email_engagement, email_engagement) RETURNS email_engagement
	AS 'MODULE_PATHNAME', 'crm_engagement_merge' LANGUAGE C IMMUTABLE PARALLEL SAFE;

CREATE AGGREGATE email_engagement(kind text, at timestamptz) (
	SFUNC = _email_engagement_trans, STYPE = email_engagement,
	COMBINEFUNC = _email_engagement_combine, PARALLEL = SAFE
);
CREATE AGGREGATE email_engagement(kind text, at timestamptz, as_of timestamptz) (
	SFUNC = _email_engagement_trans, STYPE = email_engagement,
	COMBINEFUNC = _email_engagement_combine, PARALLEL = SAFE
);
CREATE AGGREGATE email_engagement(kind text, at timestamptz, as_of timestamptz,
								  half_life interval) (
	SFUNC = _email_engagement_trans, STYPE = email_engagement,
	COMBINEFUNC = _email_engagement_combine, PARALLEL = SAFE
);
COMMENT ON AGGREGATE email_engagement(text, timestamptz) IS
	'engagement of ONE recipient''s email events (group by contact): counts, unique flags, decayed score (half-life 14 days)';
COMMENT ON AGGREGATE email_engagement(text, timestamptz, timestamptz) IS
	'email_engagement counting only events at or before as_of, the score decayed to as_of';
COMMENT ON AGGREGATE email_engagement(text, timestamptz, timestamptz, interval) IS
	'email_engagement with as_of and the score''s half-life';

CREATE AGGREGATE email_engagement_merge(email_engagement) (
	SFUNC = _email_engagement_merge_trans, STYPE = email_engagement,
	COMBINEFUNC = _email_engagement_merge_trans, PARALLEL = SAFE
);
COMMENT ON AGGREGATE email_engagement_merge(email_engagement) IS
	'merge the engagement states of DIFFERENT recipients (e.g. per contact into per campaign): unique counts become exact numbers of recipients';

CREATE AGGREGATE email_engagement_combine(email_engagement) (
	SFUNC = _email_engagement_combine, STYPE = email_engagement,
	COMBINEFUNC = _email_engagement_combine, PARALLEL = SAFE
);
COMMENT ON AGGREGATE email_engagement_combine(email_engagement) IS
	'combine engagement states of the SAME recipient (e.g. daily states of one contact)';

CREATE FUNCTION email_engagement_stats(e email_engagement, as_of timestamptz DEFAULT NULL,
	OUT recipients bigint, OUT sent bigint, OUT delivered bigint, OUT opens bigint,
	OUT clicks bigint, OUT bounces bigint, OUT unsubscribes bigint,
	OUT unique_opens bigint, OUT unique_clicks bigint, OUT open_rate float8,
	OUT click_rate float8, OUT click_to_open_rate float8, OUT bounce_rate float8,
	OUT unsubscribe_rate float8, OUT score float8, OUT first_at timestamptz,
	OUT last_at timestamptz)
	AS 'MODULE_PATHNAME', 'crm_engagement_stats' LANGUAGE C STABLE PARALLEL SAFE;
COMMENT ON FUNCTION email_engagement_stats(email_engagement, timestamptz) IS
	'the figures of an engagement state; the score is decayed to as_of (default: the aggregate''s as_of, else now())';

CREATE FUNCTION email_engagement_score(e email_engagement, as_of timestamptz DEFAULT NULL)
RETURNS float8
	AS 'MODULE_PATHNAME', 'crm_engagement_score' LANGUAGE C STABLE PARALLEL SAFE;
COMMENT ON FUNCTION email_engagement_score(email_engagement, timestamptz) IS
	'the time-decayed engagement score of a state at as_of (default: the aggregate''s as_of, else now())';

-- Exact per campaign: per (campaign, contact) first, then merged.
CREATE VIEW email_campaign_engagement AS
SELECT c.campaign, s.*
  FROM (SELECT p.campaign, email_engagement_merge(p.e) AS e
		  FROM (SELECT x.campaign, x.contact, email_engagement(x.kind, x.at) AS e
				  FROM email_event x GROUP BY x.campaign, x.contact) p
		 GROUP BY p.campaign) c
 CROSS JOIN LATERAL email_engagement_stats(c.e) s;
COMMENT ON VIEW email_campaign_engagement IS
	'crm_sales: per campaign, the exact email engagement figures (per-contact states merged)';

-- A contact's engagement as a jsonb document for lead_score() rules; a
-- contact without events (as of then) has score 0 and no opens or clicks.
CREATE FUNCTION email_engagement_attributes(contact text, as_of timestamptz DEFAULT now(),
											half_life interval DEFAULT '14 days')
RETURNS jsonb
LANGUAGE sql STABLE SET search_path = pg_catalog, pg_temp AS $$
	SELECT jsonb_build_object('email', jsonb_build_object(
			   'score', round(coalesce(s.score, 0)::numeric, 4),
			   'opens', coalesce(s.opens, 0), 'clicks', coalesce(s.clicks, 0),
			   'unsubscribed', coalesce(s.unsubscribes > 0, false),
			   'bounced', coalesce(s.bounces > 0, false)))
	  FROM (SELECT crm_sales.email_engagement(x.kind, x.at, $2, $3) AS e
			  FROM crm_sales.email_event x WHERE x.contact = $1) a
	  LEFT JOIN LATERAL crm_sales.email_engagement_stats(a.e) s ON true;
$$;
COMMENT ON FUNCTION email_engagement_attributes(text, timestamptz, interval) IS
	'a contact''s engagement as {"email": {"score", "opens", "clicks", "unsubscribed", "bounced"}}, to merge into the document given to crm_sales.lead_score()';
