--------------------------------------------------------------------------
-- The catalog as documentation (docs/architecture.md, "Names and comments").
--
-- Every object of the extension whose name does not start with "_" is
-- user-facing and has a COMMENT, so \df+, \dT+, \dv+ and BI tools' catalog
-- browsers describe it; "_" marks internals (aggregate support functions,
-- helpers of the PL/pgSQL functions), not for direct calls.  Aggregate
-- support functions are named _<aggregate>_trans / _combine / _serial /
-- _deserial / _final.
--
-- This part gives a comment to the objects of 0.1.0 that had none.  A new
-- object carries its COMMENT in its own area file, next to its definition;
-- so that one never fights another, a comment here is set only when the
-- object exists and has no comment yet.  The same file is the upgrade
-- fragment 90_catalog_docs.sql.  test/sql/catalog_docs.sql lists every
-- member object without a comment (none).
--------------------------------------------------------------------------

DO $docs$
DECLARE
	r		record;
	v_oid	pg_catalog.oid;
	v_class	pg_catalog.regclass;
	v_stmt	pg_catalog.text;
BEGIN
	FOR r IN SELECT * FROM (VALUES
	-- types
	('type', 'crm_sales.sales_stage', 'shipped stage model of the sales pipeline: lead_generation → initial_contact → needs_analysis → proposal → negotiation → closed_won, or closed_lost; see crm_sales.stage for labels and probabilities'),
	('type', 'crm_sales.lifecycle_stage', 'shipped stage model of the customer lifecycle: prospect → new → loyal → churned, with churned → new as win-back'),
	('type', 'crm_sales.contract_status', 'shipped stage model of contracts: draft → pending_approval → signed → active → expired / renewed / terminated'),
	('type', 'crm_sales.accuracy_measures', 'result of forecast_accuracy: n, mae, rmse, mape, smape, bias, mase (as R''s forecast::accuracy)'),
	('type', 'crm_sales.combined_forecast', 'result of combine_forecast: weighted point, weighted bounds, number of models'),
	-- views and sequences
	('view', 'crm_sales.transitions', 'the allowed moves of every model, with the English and Chinese labels of both stages and the required columns'),
	('view', 'crm_sales.stage_flow', 'every recorded move of crm_sales.stage_history counted per model, table, from and to stage: moves, entities, first and last (for Sankey diagrams)'),
	('view', 'crm_sales.rfm_segments', 'the named RFM segment and lifecycle stage of each cell of the 5 x 5 recency / frequency-monetary grid'),
	('sequence', 'crm_sales.stage_history_id_seq', 'ids of crm_sales.stage_history rows'),
	('sequence', 'crm_sales.forecast_adjustment_id_seq', 'ids of crm_sales.forecast_adjustment rows'),
	('event trigger', 'crm_sales_drop_models', 'removes the model, stages and moves of a model whose enum type is dropped (history rows stay)'),
	-- model management
	('function', 'crm_sales.register_model(regtype,text,text,text)', 'register an existing enum type as a stage model: one open stage per value, no moves allowed yet'),
	('function', 'crm_sales.create_model(text,text[],text,text,text,name)', 'create an enum type with these stages (in order) and register it as a model'),
	('function', 'crm_sales.copy_model(regtype,text,name)', 'copy a model (stages, categories, probabilities, labels, moves, required columns) into a new enum type of your own, e.g. to customise a shipped model'),
	('function', 'crm_sales.drop_model(regtype,boolean)', 'remove a user model''s config, and its enum type when drop_type is true'),
	('function', 'crm_sales.add_stage(regtype,text,text,numeric,text,text,text,text)', 'add a stage (a new enum value) to a user model, at the end or before / after a stage'),
	('function', 'crm_sales.set_probability(regtype,text,numeric)', 'set the win probability (0..1, or NULL) of a stage'),
	('function', 'crm_sales.set_category(regtype,text,text)', 'set the category of a stage: open, won or lost'),
	('function', 'crm_sales.set_labels(regtype,text,text,text)', 'set the English label of a stage and, unless NULL, the Chinese one ('''' removes it)'),
	('function', 'crm_sales.allow_transition(regtype,text,text,name[])', 'allow a move (from_stage NULL: creation), optionally requiring columns to be non-NULL'),
	('function', 'crm_sales.forbid_transition(regtype,text,text)', 'forbid a move that was allowed'),
	('function', 'crm_sales.require_columns(regtype,text,text,name[])', 'set the columns that must be non-NULL in the new row to make an allowed move'),
	-- stage values
	('function', 'crm_sales.stage_category(anyenum)', 'category of a stage in its model: open, won or lost'),
	('function', 'crm_sales.stage_probability(anyenum)', 'win probability of a stage in its model (NULL if none)'),
	('function', 'crm_sales.stage_position(anyenum)', 'position (1..n) of a stage in its model'),
	('function', 'crm_sales.stage_label(anyenum,text)', 'label of a stage: lang ''en'' (default) or ''zh'''),
	('function', 'crm_sales.transition_allowed(regtype,text,text)', 'is the move from_stage → to_stage allowed in the model? Stages as text, e.g. those of crm_sales.stage_history'),
	-- funnels
	('function', 'crm_sales.funnel_agg(anyenum)', 'snapshot funnel: each row is one entity whose furthest stage is given; reached counts per stage'),
	('function', 'crm_sales.funnel_agg(anyenum,numeric)', 'snapshot funnel with amounts: each row is one entity with its furthest stage and amount'),
	('function', 'crm_sales.funnel_agg(integer)', 'positional funnel: each row is one entity whose furthest step (1..256) is given'),
	('function', 'crm_sales.funnel_agg(integer,numeric)', 'positional funnel with amounts: furthest step (1..256) and amount per entity'),
	('function', 'crm_sales.funnel_merge(crm_sales.funnel)', 'sum of stored funnels (rollups): the same as the + operator over the rows'),
	('function', 'crm_sales.funnel_add(crm_sales.funnel,crm_sales.funnel)', 'sum of two funnels of the same model (the + operator)'),
	('function', 'crm_sales.funnel_eq(crm_sales.funnel,crm_sales.funnel)', 'are two funnels equal in model, stages, counts and amounts (the = operator)?'),
	('function', 'crm_sales.conversion_rate(crm_sales.funnel,text,text)', 'reached(to) / reached(from) of a funnel, stages by name; NULL if nobody reached from'),
	('function', 'crm_sales.conversion_rate(crm_sales.funnel,anyenum,anyenum)', 'reached(to) / reached(from) of a funnel, stages as enum values; NULL if nobody reached from'),
	('function', 'crm_sales.conversion_rate(crm_sales.funnel,integer,integer)', 'reached(to) / reached(from) of a funnel, stages by position; NULL if nobody reached from'),
	('function', 'crm_sales.funnel_steps(crm_sales.funnel)', 'one row per stage of a funnel: position, stage, labels, category, reached, amount, conversion from the previous and the first stage, drop-off, share ending there'),
	('function', 'crm_sales.funnel_chart(crm_sales.funnel,integer)', 'a text bar chart of a funnel, one line per stage (width 1..200)'),
	('function', 'crm_sales.furthest_stages(regtype,regclass,timestamp with time zone,timestamp with time zone)', 'per entity of the stage history: its furthest path stage, last stage and last category, optionally of one table and within [since, until)'),
	('function', 'crm_sales.history_funnel(regtype,regclass,timestamp with time zone,timestamp with time zone)', 'the funnel of the recorded history: each entity counted at the furthest stage it reached (lost deals included)'),
	('function', 'crm_sales.stage_conversion(regtype,regclass,timestamp with time zone,timestamp with time zone)', 'conversion from real moves: per stage, entities that entered it, moved on, were won or lost, and the rates'),
	('function', 'crm_sales.time_in_stage(regtype,regclass,timestamp with time zone,timestamp with time zone)', 'time spent in each stage from the history: visits, open visits, mean, median and 90th percentile of completed visits'),
	('function', 'crm_sales.funnel_events(interval,bigint,timestamp with time zone,integer)', 'the funnel of an event log in one pass: stage k counts the entities whose deepest step within the window is at least k'),
	('function', 'crm_sales.funnel_events(interval,bigint,timestamp with time zone,integer,text)', 'funnel_events with a mode (strict_order, strict_deduplication, strict_increase ...)'),
	('operator', 'crm_sales.+(crm_sales.funnel,crm_sales.funnel)', 'sum of two funnels of the same model'),
	('operator', 'crm_sales.=(crm_sales.funnel,crm_sales.funnel)', 'equal funnels (model, stages, counts and amounts by value)'),
	('cast', 'crm_sales.funnel AS jsonb', 'a funnel as jsonb: model and, per stage, position, stage, on_path, reached, amount'),
	-- forecasting
	('function', 'crm_sales.holt_winters(bigint,double precision,integer)', 'Holt-Winters model of one series per group (R''s HoltWinters): period, value, season length'),
	('function', 'crm_sales.holt_winters(bigint,double precision,integer,text)', 'Holt-Winters model with options: additive | multiplicative | none, damped, alpha=, beta=, gamma=, phi='),
	('function', 'crm_sales.ets(bigint,double precision,integer)', 'ETS state-space model by maximum likelihood, chosen by AICc (R''s forecast::ets)'),
	('function', 'crm_sales.ets(bigint,double precision,integer,text)', 'ETS model of the given code (''AAN'', ''MAdM'' ...) or ''auto'''),
	('function', 'crm_sales.forecast(crm_sales.forecast_model,integer,double precision)', 'point forecasts and a prediction interval at one level for the next horizon periods'),
	('function', 'crm_sales.forecast(crm_sales.forecast_model,integer,double precision[])', 'point forecasts and prediction intervals at several levels for the next horizon periods'),
	('function', 'crm_sales.forecast_accuracy(double precision,double precision)', 'accuracy of forecasts against actuals: n, MAE, RMSE, MAPE, sMAPE, bias (R''s forecast::accuracy)'),
	('function', 'crm_sales.forecast_accuracy(double precision,double precision,double precision)', 'forecast accuracy with MASE, scaled by the given naive in-sample MAE'),
	('function', 'crm_sales.backtest_holt_winters(bigint[],double precision[],integer,integer,text)', 'fit Holt-Winters on all but the last h periods and score its forecasts of them'),
	('function', 'crm_sales.month_number(date)', 'year * 12 + month - 1: consecutive integer periods for monthly series'),
	-- segmentation
	('function', 'crm_sales.rfm(integer,integer,integer,integer)', 'an rfm value from its recency, frequency and monetary scores on buckets buckets'),
	('function', 'crm_sales.recency_score(crm_sales.rfm)', 'the recency score of an rfm value'),
	('function', 'crm_sales.frequency_score(crm_sales.rfm)', 'the frequency score of an rfm value'),
	('function', 'crm_sales.monetary_score(crm_sales.rfm)', 'the monetary score of an rfm value'),
	('function', 'crm_sales.rfm_buckets(crm_sales.rfm)', 'the number of buckets (2..9) an rfm value is scored on'),
	('function', 'crm_sales.rfm_segment(crm_sales.rfm)', 'the named RFM segment (Champions, Loyal, At Risk ...) of scores on 5 buckets'),
	('function', 'crm_sales.rfm_lifecycle_stage(crm_sales.rfm)', 'the lifecycle stage that an RFM segment suggests (scores on 5 buckets)'),
	('function', 'crm_sales.rfm_eq(crm_sales.rfm,crm_sales.rfm)', 'rfm equality (the = operator)'),
	('function', 'crm_sales.rfm_ne(crm_sales.rfm,crm_sales.rfm)', 'rfm inequality (the <> operator)'),
	('function', 'crm_sales.rfm_lt(crm_sales.rfm,crm_sales.rfm)', 'rfm order (the < operator)'),
	('function', 'crm_sales.rfm_le(crm_sales.rfm,crm_sales.rfm)', 'rfm order (the <= operator)'),
	('function', 'crm_sales.rfm_gt(crm_sales.rfm,crm_sales.rfm)', 'rfm order (the > operator)'),
	('function', 'crm_sales.rfm_ge(crm_sales.rfm,crm_sales.rfm)', 'rfm order (the >= operator)'),
	('function', 'crm_sales.rfm_cmp(crm_sales.rfm,crm_sales.rfm)', 'btree comparison of rfm values: buckets, then recency, frequency, monetary'),
	('function', 'crm_sales.rfm_hash(crm_sales.rfm)', 'hash of an rfm value (hash joins and grouping)'),
	('operator', 'crm_sales.=(crm_sales.rfm,crm_sales.rfm)', 'equal rfm values'),
	('operator', 'crm_sales.<>(crm_sales.rfm,crm_sales.rfm)', 'different rfm values'),
	('operator', 'crm_sales.<(crm_sales.rfm,crm_sales.rfm)', 'rfm order: buckets, then recency, frequency, monetary'),
	('operator', 'crm_sales.<=(crm_sales.rfm,crm_sales.rfm)', 'rfm order: buckets, then recency, frequency, monetary'),
	('operator', 'crm_sales.>(crm_sales.rfm,crm_sales.rfm)', 'rfm order: buckets, then recency, frequency, monetary'),
	('operator', 'crm_sales.>=(crm_sales.rfm,crm_sales.rfm)', 'rfm order: buckets, then recency, frequency, monetary'),
	('operator class', 'crm_sales.rfm_ops USING btree', 'default btree order of rfm (ORDER BY, indexes)'),
	('operator class', 'crm_sales.rfm_hash_ops USING hash', 'default hash opclass of rfm (hash joins, GROUP BY)'),
	('operator family', 'crm_sales.rfm_ops USING btree', 'btree operators of rfm'),
	('operator family', 'crm_sales.rfm_hash_ops USING hash', 'hash operators of rfm'),
	('function', 'crm_sales.rfm_model(double precision,double precision,double precision)', 'stored RFM thresholds (quantile bin edges on 5 buckets) of a population, for scoring later rows with rfm_score(model, ...)'),
	('function', 'crm_sales.rfm_model(double precision,double precision,double precision,integer)', 'stored RFM thresholds on the given number of buckets (2..9)'),
	('function', 'crm_sales.rfm_score(crm_sales.rfm_model,double precision,double precision,double precision)', 'RFM scores of one customer against stored thresholds'),
	('function', 'crm_sales.kmeans(double precision[],integer)', 'k-means centroids (k x d array) of feature vectors: k-means++ seeding, 10 restarts, lowest WCSS; fixed default seed'),
	('function', 'crm_sales.closest_centroid(double precision[],double precision[])', 'index (1..k) of the centroid nearest to a feature vector'),
	('function', 'crm_sales.closest_centroid_distance(double precision[],double precision[])', 'Euclidean distance from a feature vector to its nearest centroid'),
	('function', 'crm_sales.lead_score(text,jsonb)', 'score of a lead''s attributes (jsonb) by the rules of a rule set'),
	('function', 'crm_sales.lead_score_explain(text,jsonb)', 'the rules of a rule set that match a lead''s attributes, with their points'),
	-- jsonb casts of the model types
	('cast', 'crm_sales.forecast_model AS jsonb', 'a forecast model as jsonb: method, parameters, states, fit statistics'),
	('cast', 'crm_sales.linear_model AS jsonb', 'a linear model as jsonb: coefficients, standard errors, t and p values, R², F, covariance'),
	('cast', 'crm_sales.rfm_model AS jsonb', 'RFM thresholds as jsonb: buckets and the bin edges of recency, frequency and monetary'),
	('cast', 'crm_sales.bgnbd_model AS jsonb', 'a BG/NBD model as jsonb: r, alpha, a, b, loglik, n'),
	('cast', 'crm_sales.gamma_gamma_model AS jsonb', 'a Gamma-Gamma model as jsonb: p, q, gamma, loglik, n')
	) AS v(kind, ident, comment)
	LOOP
		v_oid := NULL;
		IF r.kind = 'function' THEN
			v_oid := pg_catalog.to_regprocedure(r.ident);
			v_class := 'pg_catalog.pg_proc';
			IF v_oid IS NOT NULL THEN
				r.kind := CASE WHEN (SELECT p.prokind FROM pg_catalog.pg_proc p WHERE p.oid OPERATOR(pg_catalog.=) v_oid)
									OPERATOR(pg_catalog.=) 'a' THEN 'aggregate' ELSE 'function' END;
			END IF;
		ELSIF r.kind = 'type' THEN
			v_oid := pg_catalog.to_regtype(r.ident);
			v_class := 'pg_catalog.pg_type';
		ELSIF r.kind IN ('view', 'sequence') THEN
			v_oid := pg_catalog.to_regclass(r.ident);
			v_class := 'pg_catalog.pg_class';
		ELSIF r.kind = 'operator' THEN
			v_oid := pg_catalog.to_regoperator(r.ident);
			v_class := 'pg_catalog.pg_operator';
		ELSIF r.kind = 'cast' THEN
			SELECT c.oid INTO v_oid FROM pg_catalog.pg_cast c
			 WHERE c.castsource OPERATOR(pg_catalog.=) pg_catalog.to_regtype(pg_catalog.split_part(r.ident, ' AS ', 1))
			   AND c.casttarget OPERATOR(pg_catalog.=) pg_catalog.to_regtype(pg_catalog.split_part(r.ident, ' AS ', 2));
			v_class := 'pg_catalog.pg_cast';
			r.ident := '(' OPERATOR(pg_catalog.||) r.ident OPERATOR(pg_catalog.||) ')';
		ELSIF r.kind IN ('operator class', 'operator family') THEN
			EXECUTE pg_catalog.format(
				'SELECT o.oid FROM pg_catalog.%I o JOIN pg_catalog.pg_am a ON a.oid OPERATOR(pg_catalog.=) o.%I
				  WHERE o.%I OPERATOR(pg_catalog.=) $1 AND o.%I OPERATOR(pg_catalog.=) ''crm_sales''::pg_catalog.regnamespace
					AND a.amname OPERATOR(pg_catalog.=) $2',
				CASE r.kind WHEN 'operator class' THEN 'pg_opclass' ELSE 'pg_opfamily' END,
				CASE r.kind WHEN 'operator class' THEN 'opcmethod' ELSE 'opfmethod' END,
				CASE r.kind WHEN 'operator class' THEN 'opcname' ELSE 'opfname' END,
				CASE r.kind WHEN 'operator class' THEN 'opcnamespace' ELSE 'opfnamespace' END)
			   INTO v_oid
			  USING pg_catalog.split_part(pg_catalog.split_part(r.ident, ' USING ', 1), '.', 2),
					pg_catalog.split_part(r.ident, ' USING ', 2);
			v_class := CASE r.kind WHEN 'operator class' THEN 'pg_catalog.pg_opclass'
								   ELSE 'pg_catalog.pg_opfamily' END;
		ELSIF r.kind = 'event trigger' THEN
			SELECT e.oid INTO v_oid FROM pg_catalog.pg_event_trigger e
			 WHERE e.evtname OPERATOR(pg_catalog.=) r.ident;
			v_class := 'pg_catalog.pg_event_trigger';
		END IF;
		-- an object a later version removed, or one commented in its area
		CONTINUE WHEN v_oid IS NULL
			OR pg_catalog.obj_description(v_oid, v_class::pg_catalog.text::pg_catalog.name) IS NOT NULL;
		EXECUTE pg_catalog.format('COMMENT ON %s %s IS %L', pg_catalog.upper(r.kind), r.ident, r.comment);
	END LOOP;

	-- The I/O, jsonb and support functions that come with each type: named
	-- by PostgreSQL's convention (type_in, type_out, type_recv, type_send,
	-- type_jsonb), and commented after their type.
	FOR r IN
		SELECT p.oid, t.typname,
			   CASE p.oid
				 WHEN t.typinput THEN 'text input of type crm_sales.%s'
				 WHEN t.typoutput THEN 'text output of type crm_sales.%s'
				 WHEN t.typreceive THEN 'binary input (receive) of type crm_sales.%s'
				 WHEN t.typsend THEN 'binary output (send) of type crm_sales.%s'
				 ELSE 'crm_sales.%s as jsonb (the cast to jsonb)' END AS what
		  FROM pg_catalog.pg_type t
		  JOIN pg_catalog.pg_proc p ON p.oid IN (t.typinput, t.typoutput, t.typreceive, t.typsend)
			OR (p.proname OPERATOR(pg_catalog.=) (t.typname OPERATOR(pg_catalog.||) '_jsonb')
				AND p.pronamespace OPERATOR(pg_catalog.=) t.typnamespace)
		 WHERE t.typnamespace OPERATOR(pg_catalog.=) 'crm_sales'::pg_catalog.regnamespace
		   AND t.typtype OPERATOR(pg_catalog.=) 'b'
		   AND p.pronamespace OPERATOR(pg_catalog.=) 'crm_sales'::pg_catalog.regnamespace
		   AND pg_catalog.obj_description(p.oid, 'pg_proc') IS NULL
	LOOP
		EXECUTE pg_catalog.format('COMMENT ON FUNCTION %s IS %L', r.oid::pg_catalog.regprocedure,
								  pg_catalog.format(r.what, r.typname));
	END LOOP;

	-- The event-log aggregates, one overload per step count, and their
	-- support functions (src/event_funnel.c; docs/funnels.md).
	FOR r IN
		SELECT p.oid, p.proname, p.prokind
		  FROM pg_catalog.pg_proc p
		 WHERE p.pronamespace OPERATOR(pg_catalog.=) 'crm_sales'::pg_catalog.regnamespace
		   AND p.proname OPERATOR(pg_catalog.~) '^(window_funnel|retention|funnel_events)'
		   AND pg_catalog.obj_description(p.oid, 'pg_proc') IS NULL
	LOOP
		EXECUTE pg_catalog.format('COMMENT ON %s %s IS %L',
			CASE r.prokind WHEN 'a' THEN 'AGGREGATE' ELSE 'FUNCTION' END,
			r.oid::pg_catalog.regprocedure,
			CASE
			  WHEN r.proname OPERATOR(pg_catalog.=) 'window_funnel'
				THEN 'deepest step reached in order within the window after a step-1 event (ClickHouse windowFunnel): window, [mode,] time, the steps'
			  WHEN r.proname OPERATOR(pg_catalog.=) 'retention'
				THEN 'per condition after the first: was it met in a group where the first was (ClickHouse retention)'
			  ELSE 'support function of the aggregate ' OPERATOR(pg_catalog.||)
				   pg_catalog.regexp_replace(r.proname, '_(trans|combine|serial|deserial|final)$', '')
				   OPERATOR(pg_catalog.||) '; not for direct calls'
			END);
	END LOOP;
END
$docs$;
