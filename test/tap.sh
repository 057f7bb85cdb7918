# tap.sh: check reporting shared by the script suites (test/*/...sh).
# Source it after setting SUITE (the name on the summary line).  Defines
# ok / not_ok (one "ok - ..." / "not ok - ..." line per check, counted),
# diag (a file or stdin as "#   " lines, at most 40), summary ("SUITE: N
# passed, N failed", the line scripts/test.sh counts) and check_diff (ok
# when two files are equal, else the unified diff as diagnostics).

passed=0
failed=0

ok() {
	echo "ok - $1"
	passed=$((passed + 1))
}

not_ok() {
	echo "not ok - $1"
	failed=$((failed + 1))
}

diag() {
	sed -e 's/^/#   /' "$@" | head -40
}

summary() {
	echo "$SUITE: $passed passed, $failed failed"
}

# check_diff FILE_A FILE_B DESCRIPTION
check_diff() {
	local d
	if d=$(diff -u "$1" "$2" 2>&1); then
		ok "$3"
	else
		not_ok "$3"
		printf '%s\n' "$d" | diag
	fi
}
