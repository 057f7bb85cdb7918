"""tap.py: check reporting of the Python script suites, as test/tap.sh is for
the shell ones.  A suite makes one Tap("name"), calls check() per check
("ok - ..." / "not ok - ..." with diagnostics as "#   " lines) and ends
with summary(): the "name: N passed, N failed" line scripts/test.sh counts,
and the exit status (1 if a check failed)."""


class Tap:
    def __init__(self, suite):
        self.suite = suite
        self.passed = 0
        self.failed = 0

    def check(self, cond, what, detail=None):
        """One counted check; detail (a string, or a list of lines) is shown
        when it fails, at most 20 lines."""
        if cond:
            self.passed += 1
            print("ok - " + what)
            return True
        self.failed += 1
        print("not ok - " + what)
        if detail is not None:
            lines = detail if isinstance(detail, list) else str(detail).splitlines()
            for line in lines[:20]:
                print("#   " + str(line))
        return False

    def summary(self):
        print("%s: %d passed, %d failed" % (self.suite, self.passed, self.failed))
        return 1 if self.failed else 0
