#!/usr/bin/python3
"""run_docs.py: every SQL example of README.md and docs/*.md runs, and the
outputs shown under them are what psql prints (docs/testing.md, "Examples
in the docs").

    /usr/bin/python3 test/docs/run_docs.py [page.md ...]

With the libpq environment pointing at a server where crm_sales is
installed (test/docs/docs.sh starts one).  For each page (README.md and
every docs/*.md, or the pages named), in a fresh database in which
CREATE EXTENSION crm_sales has run, the page's fenced blocks run in order
in one psql session (psql -X -q, so command tags are not printed):

  ```sql          runs; must not raise an error
  ```sql-error    runs; must raise an error (an example of a refusal)
  ```sql-norun    shown only (needs a shell, another server, a setting ...)
  ```text         right after a sql or sql-error block (blank lines between
                  at most): what psql prints for that block, compared with
                  trailing spaces and the "psql:<file>:<line>: " prefix of
                  error lines ignored

Roles a page creates are dropped after it, with its database.  With
CRM_DOCS_SHOW=1 set, the output of every block is printed too ("# | "
lines), to copy into a ```text block once checked.  Prints
"ok - ..." / "not ok - ..." per block and output, and
"docs: N passed, N failed".
"""

import glob
import os
import re
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(ROOT, "test"))
from tap import Tap  # noqa: E402

PSQL = os.path.join(os.environ.get("CRM_PG_BIN", "/usr/lib/postgresql/15/bin"), "psql")
RUN_KINDS = ("sql", "sql-error")
MARK = "@@crm-docs-block"
FENCE = re.compile(r"^```\s*([A-Za-z0-9_-]*)\s*$")

tap = Tap("docs")


def blocks_of(path):
    """The fenced blocks of a page: (kind, first line number, text,
    expected output or None), in order.  Unclosed fences are an error."""
    lines = open(path, encoding="utf-8").read().split("\n")
    out = []
    i = 0
    while i < len(lines):
        m = FENCE.match(lines[i])
        if not m:
            i += 1
            continue
        kind, start = m.group(1), i + 1
        j = i + 1
        while j < len(lines) and not lines[j].startswith("```"):
            j += 1
        if j == len(lines):
            raise ValueError("%s:%d: fence never closed" % (path, start))
        out.append([kind, start, "\n".join(lines[i + 1:j]), None])
        i = j + 1
    # attach each text block to the runnable block right before it
    result = []
    for k, b in enumerate(out):
        if b[0] == "text" and result and result[-1][0] in RUN_KINDS and result[-1][3] is None:
            prev_end = result[-1][1] + result[-1][2].count("\n") + 1
            between = lines[prev_end + 1:b[1] - 1]
            if all(not x.strip() for x in between):
                result[-1][3] = (b[1], b[2])
                continue
        result.append(b)
    return result


def normalise(text):
    """Lines without trailing spaces or psql's file:line prefix, without
    blank lines at either end."""
    lines = [re.sub(r"^psql:[^:]*:\d+: ", "", x).rstrip() for x in text.split("\n")]
    while lines and not lines[0]:
        lines.pop(0)
    while lines and not lines[-1]:
        lines.pop()
    return lines


def psql(db, *args, **kw):
    return subprocess.run([PSQL, "-X", "-q", "-d", db] + list(args), capture_output=True,
                          text=True, **kw)


def roles():
    r = psql("postgres", "-At", "-c", "SELECT rolname FROM pg_roles")
    return set(r.stdout.split())


def run_page(page):
    rel = os.path.relpath(page, ROOT)
    try:
        blocks = blocks_of(page)
    except ValueError as e:
        tap.check(False, str(e))
        return
    runnable = [b for b in blocks if b[0] in RUN_KINDS]
    unknown = [b for b in blocks if b[0].startswith("sql") and b[0] not in RUN_KINDS + ("sql-norun",)]
    tap.check(not unknown, "%s: every sql block is sql, sql-error or sql-norun" % rel,
              ["line %d: ```%s" % (b[1], b[0]) for b in unknown])
    if not runnable:
        return
    db = "docs_" + re.sub(r"[^a-z0-9]+", "_", os.path.splitext(rel)[0].lower())
    before = roles()
    r = psql("postgres", "-c", "DROP DATABASE IF EXISTS %s" % db, "-c",
             "CREATE DATABASE %s TEMPLATE template0" % db)
    r2 = psql(db, "-c", "CREATE EXTENSION crm_sales")
    if r.returncode or r2.returncode:
        tap.check(False, "%s: a fresh database with the extension" % rel, r.stderr + r2.stderr)
        return
    script = []
    for n, b in enumerate(runnable):
        script.append("\\echo '%s %d'" % (MARK, n))
        script.append(b[2])
        # a block may end inside a statement or a failed transaction: end both
        script.append(";")
    script.append("\\echo '%s end'" % MARK)
    # stdbuf: results (stdout) and errors (stderr) in the order psql wrote them
    proc = subprocess.run(["stdbuf", "-oL", "-eL", PSQL, "-X", "-q", "-v", "ON_ERROR_STOP=0", "-d", db],
                          input="\n".join(script) + "\n", text=True,
                          stdout=subprocess.PIPE, stderr=subprocess.STDOUT, cwd=ROOT,
                          env=dict(os.environ, PGCLIENTENCODING="UTF8"))
    sections = {}
    current = None
    for line in proc.stdout.split("\n"):
        m = re.match(r"^%s (\d+|end)$" % MARK, line)
        if m:
            current = None if m.group(1) == "end" else int(m.group(1))
            sections[current] = []
            continue
        if current is not None:
            sections[current].append(line)
    for n, b in enumerate(runnable):
        out = "\n".join(sections.get(n, ["(the block did not run)"]))
        errors = [x for x in out.split("\n") if re.search(r"\b(ERROR|FATAL|PANIC):", x)]
        where = "%s:%d" % (rel, b[1])
        if b[0] == "sql":
            # the errors, each with the lines psql printed after it
            lines = normalise(out)
            shown = [x for k, x in enumerate(lines)
                     if any(re.search(r"\b(ERROR|FATAL|PANIC):", y) for y in lines[max(0, k - 3):k + 1])]
            tap.check(not errors and n in sections, "%s: the example runs" % where, shown[:20])
        else:
            tap.check(bool(errors), "%s: the example is refused, as shown" % where,
                      normalise(out)[:20] or ["(no error)"])
        if os.environ.get("CRM_DOCS_SHOW"):
            # for writing a page: what psql printed for each block
            print("# --- %s output ---" % where)
            for line in normalise(out):
                print("# | " + line)
        if b[3] is not None:
            want = normalise(b[3][1])
            got = normalise(out)
            tap.check(got == want, "%s:%d: the output shown is what psql prints" % (rel, b[3][0]),
                      ["shown:"] + want[:10] + ["printed:"] + got[:10])
    # clean up the page's database and roles
    psql("postgres", "-c", "DROP DATABASE IF EXISTS %s WITH (FORCE)" % db)
    for role in sorted(roles() - before):
        psql("postgres", "-c", 'DROP ROLE IF EXISTS "%s"' % role.replace('"', '""'))


def main(argv):
    pages = argv[1:] or [os.path.join(ROOT, "README.md")] + sorted(glob.glob(os.path.join(ROOT, "docs", "*.md")))
    for page in pages:
        run_page(os.path.abspath(page))
    return tap.summary()


if __name__ == "__main__":
    sys.exit(main(sys.argv))
