#!/usr/bin/env bash
# run.sh: the unit tests, the regression suite (pg_regress and isolation)
# and a fuzz run (test/fuzz, 60 s) under AddressSanitizer and
# UndefinedBehaviorSanitizer.
#
#   bash test/sanitize/run.sh                   # gcc (Debian's libasan8/libubsan1)
#   SANITIZE_CC=clang-14 bash test/sanitize/run.sh   # clang-14 + libclang-rt-14-dev
#   CRM_FUZZ_SECONDS=600 bash test/sanitize/run.sh
#
# 1. test/unit/*.c and src/core are compiled with -fsanitize=address,undefined
#    -fno-sanitize-recover=all (the first report aborts) and run.
# 2. A copy of the tree is built the same way (PostgreSQL's flags, plus
#    -fno-wrapv so that signed overflow is reported) and installed into the
#    PostgreSQL tree of $CRM_PG_BIN; a throwaway server runs with the ASan
#    runtime preloaded (LD_PRELOAD; the postgres binary itself is not
#    instrumented), ASAN_OPTIONS=detect_leaks=0:abort_on_error=1 and
#    UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1, reports written to
#    files.  pg_regress, the isolation specs and the fuzz suite run against
#    it.
# 3. Checks: every suite passes, no sanitizer report file, and no crash in
#    the server logs ("terminated by signal", "server process ... exited with exit code": a
#    UBSan report, which goes to the server log, ends the backend with
#    exit(1)).  At the end the normal build is installed again.
#    The runtime is preloaded with a shim (asan_first.c) that starts it
#    before the constructors of the libraries postgres links.
# Limits: palloc'd chunks live inside AllocSet blocks that ASan sees as one
# malloc, so overruns within a block are invisible here (valgrind with a
# USE_VALGRIND server would see them; Debian's has none); stack, global and
# malloc'd-block overflows and every UBSan check in crm_sales code are seen.
# Prints "ok - ..." / "not ok - ..." and "sanitize: N passed, N failed".
set -uo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
source "$root/scripts/common.sh"
SUITE=sanitize
source "$root/test/tap.sh"

cc=${SANITIZE_CC:-gcc}
# float-cast-overflow: gcc leaves it out of "undefined" (a double out of an
# integer type's range converted to it)
san="-fsanitize=address,undefined,float-cast-overflow -fno-sanitize-recover=all -fno-omit-frame-pointer"
case $cc in
	clang*)
		crm_need_packages clang-14 libclang-rt-14-dev || exit 1
		rt="$($cc -print-runtime-dir)/libclang_rt.asan-x86_64.so" ;;
	*)
		crm_base_packages || exit 1
		rt=$($cc -print-file-name=libasan.so) ;;
esac
if [ ! -f "$rt" ]; then
	not_ok "the ASan runtime of $cc exists ($rt)"
	summary
	exit 1
fi

work=$(mktemp -d /tmp/crm_sales_sanitize.XXXXXX)
chmod 755 "$work"
reinstall() {
	crm_stop_server
	crm_build_install "$root" >/dev/null 2>&1 || echo "# reinstalling the normal build failed"
	rm -rf "$work"
}
trap reinstall EXIT

# ---- 1. unit tests
if $cc -std=c99 -O1 -g $san -Wall -Wextra -Werror -I"$root/src/core" -o "$work/test_core" \
	"$root"/test/unit/test_*.c "$root"/src/core/*/*.c -lm >"$work/unit_build.log" 2>&1; then
	ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 \
		"$work/test_core" >"$work/unit.log" 2>&1
	rc=$?
	if [ $rc -eq 0 ] && grep -qE '^unit: [0-9]+ passed, 0 failed' "$work/unit.log"; then
		ok "unit tests under ASan+UBSan ($(grep -E '^unit:' "$work/unit.log"))"
	else
		not_ok "unit tests under ASan+UBSan (exit status $rc)"
		grep -E "^FAIL|ERROR|runtime error|Sanitizer" "$work/unit.log" | diag
	fi
else
	not_ok "unit tests build with $cc $san"
	diag "$work/unit_build.log"
fi

# ---- 2. the extension, sanitized, in a copy of the tree
mkdir "$work/tree"
(cd "$root" && cp -a Makefile crm_sales.control src sql test expected "$work/tree/")
make -s -C "$work/tree" PG_CONFIG="$PG_BIN/pg_config" clean >/dev/null 2>&1
if ! make -s -C "$work/tree" PG_CONFIG="$PG_BIN/pg_config" CC="$cc" \
	PG_CFLAGS="-Wall -Wextra -Werror -Wno-unused-parameter $san -fno-wrapv" \
	>"$work/build.log" 2>&1 ||
	! make -s -C "$work/tree" PG_CONFIG="$PG_BIN/pg_config" CC="$cc" install >>"$work/build.log" 2>&1; then
	not_ok "crm_sales builds and installs with $cc $san"
	diag "$work/build.log"
	summary
	exit 1
fi
ok "crm_sales builds and installs with $cc $san -fno-wrapv"

# the runtime, and a shim that initialises it before any other constructor
# (asan_first.c says why: without it every postgres process hangs at start)
if ! $cc -shared -fPIC -o "$work/asan_first.so" "$root/test/sanitize/asan_first.c" \
	-Wl,-z,initfirst -Wl,--no-as-needed "$rt" >"$work/shim.log" 2>&1; then
	not_ok "the ASan start-up shim builds"
	diag "$work/shim.log"
	summary
	exit 1
fi
chmod 755 "$work/asan_first.so"
mkdir "$work/reports"
chmod 777 "$work/reports"
CRM_SERVER_ENV="LD_PRELOAD=$rt:$work/asan_first.so ASAN_OPTIONS=detect_leaks=0:abort_on_error=1:log_path=$work/reports/asan UBSAN_OPTIONS=halt_on_error=1:abort_on_error=1:print_stacktrace=1:log_path=$work/reports/ubsan"
export CRM_SERVER_ENV
if ! crm_start_server; then
	not_ok "a server with the ASan runtime preloaded starts"
	summary
	exit 1
fi
# installcheck_suite NAME LOG MAKE-ARGS...: one pg_regress-style suite
installcheck_suite() {
	local name=$1 log=$2
	shift 2
	if make -s -C "$work/tree" PG_CONFIG="$PG_BIN/pg_config" installcheck "$@" >"$log" 2>&1; then
		ok "$name under ASan+UBSan ($(grep -E 'tests passed' "$log" | tr -s ' '))"
	else
		not_ok "$name under ASan+UBSan"
		grep -E '\.\.\. |tests' "$log" | grep -v '\.\.\. ok' | diag
	fi
}
installcheck_suite pg_regress "$work/regress.log" ISOLATION=
installcheck_suite "isolation specs" "$work/isolation.log" REGRESS=
cd "$root"
# a sanitizer report goes to its file or, for UBSan loaded as a dependency of
# crm_sales.so, to the server log, and ends the backend with exit(1), which
# the postmaster logs as a crash
crash='terminated by signal|server process \([0-9]+\) exited with exit code|runtime error:|ERROR: AddressSanitizer'
server_log=$CRM_TMP/server.log
grep -qE "$crash" "$server_log" && cp "$server_log" "$work/regress_server.log"
crm_stop_server

# the fuzz suite, against its own server started with the same environment
bash "$root/test/fuzz/run.sh" --seconds "${CRM_FUZZ_SECONDS:-60}" --seed "${CRM_FUZZ_SEED:-1}" \
	>"$work/fuzz.log" 2>&1
rc=$?
line=$(grep -E '^fuzz: ' "$work/fuzz.log" | tail -1)
if [ $rc -eq 0 ]; then
	ok "fuzz suite under ASan+UBSan ($line)"
else
	not_ok "fuzz suite under ASan+UBSan ($line)"
	grep -E '^not ok|^#   ' "$work/fuzz.log" | diag
fi

# ---- 3. reports
if ls "$work"/reports/* >/dev/null 2>&1; then
	not_ok "no sanitizer report"
	for f in "$work"/reports/*; do
		echo "# $f:"
		diag "$f"
	done
	mkdir -p /tmp/crm_sales_sanitize_reports && cp "$work"/reports/* /tmp/crm_sales_sanitize_reports/
	echo "# reports kept in /tmp/crm_sales_sanitize_reports"
else
	ok "no sanitizer report (ASan, UBSan)"
fi
if [ -f "$work/regress_server.log" ]; then
	not_ok "no crash or sanitizer report in the server log of the regression suites"
	grep -E -B3 -A3 "$crash" "$work/regress_server.log" | diag
else
	ok "no crash or sanitizer report in the server log of the regression suites"
fi
summary
[ "$failed" -eq 0 ]
