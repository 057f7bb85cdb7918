# crm_sales: PGXS build of one shared library from src/*.c and src/core/*.c
EXTENSION = crm_sales
MODULE_big = crm_sales
CORE_SRCS = $(sort $(wildcard src/core/*/*.c))
OBJS = $(patsubst %.c,%.o,$(sort $(wildcard src/*.c)) $(CORE_SRCS))
# Versions (sql/README.md): the released install scripts are frozen files
# (sql/crm_sales--0.1.0.sql); the current version's install script is built
# from sql/areas/*.sql and each upgrade script from the fragments in
# sql/upgrade/<from>--<to>/, all concatenated in name order.
EXTVERSION = $(shell sed -n "s/^default_version = '\\(.*\\)'$$/\\1/p" $(srcdir)/crm_sales.control)
DATA = sql/crm_sales--0.1.0.sql
DATA_built = sql/crm_sales--$(EXTVERSION).sql sql/crm_sales--0.1.0--0.2.0.sql

PG_CONFIG ?= pg_config

# Warnings: PostgreSQL's own flags plus -Wall -Wextra.  One -Wextra class is
# silenced: -Wunused-parameter, which PostgreSQL 15's own headers trigger
# (storage/bufpage.h PageValidateSpecialPointer, lib/ilist.h dlist_next_node
# and friends) and which every fmgr callback signature would.  The default
# build (a user's `make`, a packager's build) is warning-clean but does not
# stop at a warning a newer compiler may add; our test command builds with
# `make WERROR=1`, which turns every warning into an error.
PG_CFLAGS = -Wall -Wextra -Wno-unused-parameter
ifneq ($(strip $(WERROR)),)
PG_CFLAGS += -Werror
UNIT_WERROR = -Werror
endif
PG_CPPFLAGS = -I$(srcdir)/src -I$(srcdir)/src/core

REGRESS = stage_model transition trigger install_guard
# stage history: security, imports, upgrade of a 0.1.0 history
REGRESS += history_security history_import history_upgrade
# funnel tests
REGRESS += funnel funnel_history funnel_parallel stage_paths
# event-log funnel tests
REGRESS += window_funnel_clickhouse window_funnel_modes retention funnel_events sequence_match sequence_next_node
# time to convert, time in stage
REGRESS += funnel_timing stage_timeline
# time-series forecasting tests
REGRESS += forecast_ts forecast_ts_api forecast_ts_ets
# regression / pipeline / accuracy tests
REGRESS += forecast_ols forecast_tslm forecast_pipeline forecast_adjustment
# rfm / lead scoring / k-means tests
REGRESS += rfm_type rfm_score kmeans lead_score
# lifetime value tests
REGRESS += clv_model clv_churn
# sales automation tests
REGRESS += automation_calendar automation_rules automation_tasks automation_sweep \
	automation_outbox automation_engagement automation_security
# scale-out helpers (typed aggregates, cluster-wide config); Citus itself: test/citus
REGRESS += scale_out
# the catalog: comments and names of every object
REGRESS += catalog_docs
# sales performance and currency tests
REGRESS += performance performance_parallel performance_flow currency currency_reference performance_targets
# hostile input: crafted values and states of every area (issue 9)
REGRESS += robustness
REGRESS_OPTS = --inputdir=test --outputdir=. --encoding=UTF8
ISOLATION = concurrent_moves model_change model_change_stale lead_score_cache rate_change history_pair \
	sweep_concurrent outbox_claim outbox_notify
ISOLATION_OPTS = --inputdir=test/isolation --outputdir=output_iso

EXTRA_CLEAN = results output_iso regression.diffs regression.out test/unit/test_core

PGXS := $(shell $(PG_CONFIG) --pgxs)
include $(PGXS)

sql/crm_sales--$(EXTVERSION).sql: $(sort $(wildcard sql/areas/*.sql))
	cat $^ > $@

sql/crm_sales--0.1.0--0.2.0.sql: $(sort $(wildcard sql/upgrade/0.1.0--0.2.0/*.sql))
	cat $^ > $@

# PGXS tracks no header dependencies: rebuild every object when a header
# changes, so a layout change never links against stale objects.
$(OBJS): $(wildcard src/*.h src/core/*/*.h)

# Unit tests of src/core: plain C, no server needed.
UNIT_SRCS = $(wildcard test/unit/test_*.c)
test/unit/test_core: $(UNIT_SRCS) $(CORE_SRCS) test/unit/unit.h
	$(CC) -std=c99 -O1 -g -Wall -Wextra $(UNIT_WERROR) -Isrc/core -o $@ $(UNIT_SRCS) $(CORE_SRCS) -lm

unitcheck: test/unit/test_core
	test/unit/test_core

.PHONY: unitcheck
