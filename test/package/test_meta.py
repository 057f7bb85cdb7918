#!/usr/bin/env python3
"""test_meta.py: the release metadata agree with each other and with the spec.

    python3 test/package/test_meta.py

1. META.json is valid PGXN metadata (validate_meta.py), and the validator
   rejects documents that break each rule it checks (so a pass means
   something).
2. The release files agree: META.json's version and its extension's
   version are crm_sales.control's default_version; the files it names
   exist; its licence is the one in LICENSE; CHANGELOG.md and
   debian/changelog have an entry for the version.
Prints "ok - ..." / "not ok - ..." lines and "meta: N passed, N failed".
"""

import copy
import json
import os
import re
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.dirname(HERE))
import validate_meta  # noqa: E402
from tap import Tap  # noqa: E402

tap = Tap("meta")
ok = tap.check


def read(rel):
    with open(os.path.join(ROOT, rel), encoding="utf-8") as f:
        return f.read()


text = read("META.json")
problems = validate_meta.validate_text(text)
ok(not problems, "META.json is valid against the PGXN Meta Spec 1.0", problems)
meta = json.loads(text)

# Each mutation breaks one rule; the validator must name it.
def drop(key):
    def f(d):
        del d[key]
    return f


def setter(path, value):
    def f(d):
        cur = d
        for k in path[:-1]:
            cur = cur[k]
        cur[path[-1]] = value
    return f


mutations = [
    ("no name", drop("name"), "missing required key 'name'"),
    ("no abstract", drop("abstract"), "missing required key 'abstract'"),
    ("no maintainer", drop("maintainer"), "missing required key 'maintainer'"),
    ("no license", drop("license"), "missing required key 'license'"),
    ("no provides", drop("provides"), "missing required key 'provides'"),
    ("no meta-spec", drop("meta-spec"), "missing required key 'meta-spec'"),
    ("no version", drop("version"), "missing required key 'version'"),
    ("version not SemVer", setter(["version"], "0.2"), "not a semantic version"),
    ("version a number", setter(["version"], 2), "must be a string"),
    ("name with a slash", setter(["name"], "crm/sales"), "is not a term"),
    ("empty abstract", setter(["abstract"], ""), "at least 1 character"),
    ("empty maintainer list", setter(["maintainer"], []), "at least one maintainer"),
    ("unknown licence name", setter(["license"], "postgres"), "not a licence name"),
    ("licence URI not a URI", setter(["license"], {"PostgreSQL": "the licence"}), "not a URI"),
    ("empty provides", setter(["provides"], {}), "at least 1 member"),
    ("extension without file", lambda d: d["provides"]["crm_sales"].pop("file"),
     "missing required key 'file'"),
    ("extension version not SemVer", setter(["provides", "crm_sales", "version"], "v1"),
     "not a semantic version"),
    ("unknown extension key", setter(["provides", "crm_sales", "schema"], "crm_sales"),
     "unknown key 'schema'"),
    ("meta-spec 2.0", setter(["meta-spec", "version"], "2.0.0"), "meta-spec 1.0.x"),
    ("meta-spec wrong url", setter(["meta-spec", "url"], "https://example.com/spec"),
     "not the spec's URL"),
    ("unknown top-level key", setter(["homepage"], "https://example.com"),
     "unknown key 'homepage'"),
    ("custom x_ key accepted", setter(["x_ci"], "yes"), None),
    ("release_status beta", setter(["release_status"], "beta"), "not one of stable"),
    ("unknown prereq phase", setter(["prereqs", "install"], {"requires": {"PostgreSQL": "15.0.0"}}),
     "unknown key 'install'"),
    ("bad version range", setter(["prereqs", "runtime", "requires", "PostgreSQL"], "15"),
     "not a version range"),
    ("version range with operators accepted",
     setter(["prereqs", "runtime", "requires", "PostgreSQL"], ">= 15.0.0, < 16.0.0"), None),
    ("tag with a slash", setter(["tags"], ["crm/sales"]), "is not a tag"),
    ("empty tags", setter(["tags"], []), "non-empty list of tags"),
    ("absolute no_index path", setter(["no_index"], {"directory": ["/test"]}),
     "not a relative path"),
    ("repository without web or url+type", setter(["resources"], {"repository": {"url": "https://x.example/r.git"}}),
     "needs 'web', or 'url' with 'type'"),
]
for what, mutate, expect in mutations:
    d = copy.deepcopy(meta)
    mutate(d)
    got = validate_meta.validate(d)
    if expect is None:
        ok(not got, "the validator accepts: " + what, got)
    else:
        ok(any(expect in p for p in got), "the validator rejects: %s (%s)" % (what, expect),
           got or ["accepted"])
got = validate_meta.validate_text('{"name": "a", "name": "b"}')
ok(any("duplicate key 'name'" in p for p in got), "the validator rejects: a duplicate key", got)
got = validate_meta.validate_text('{"name": ')
ok(any("not valid JSON" in p for p in got), "the validator rejects: malformed JSON", got)

# 2. the release files agree with each other
control = read("crm_sales.control")
m = re.search(r"^default_version = '([^']*)'$", control, re.M)
default_version = m.group(1) if m else None
ok(meta.get("version") == default_version,
   "META.json version %s is crm_sales.control's default_version %s"
   % (meta.get("version"), default_version))
ext = meta.get("provides", {}).get("crm_sales", {})
ok(ext.get("version") == default_version,
   "META.json provides crm_sales version %s = default_version" % ext.get("version"))
for key in ("file", "docfile"):
    ok(key in ext and os.path.isfile(os.path.join(ROOT, ext[key])),
       "META.json provides.crm_sales.%s (%s) exists" % (key, ext.get(key)))
for d in meta.get("no_index", {}).get("directory", []):
    ok(os.path.isdir(os.path.join(ROOT, d)), "META.json no_index directory %s exists" % d)
m = re.search(r"^comment = '([^']*)'$", control, re.M)
ok(m is not None and ext.get("abstract") == m.group(1),
   "META.json's extension abstract is the control file's comment")

licence = read("LICENSE")
ok(meta.get("license") == "postgresql" and licence.startswith("PostgreSQL License")
   and "crm_sales developers" in licence,
   "META.json's licence (postgresql) is LICENSE's (the PostgreSQL Licence, crm_sales developers)")

changelog = read("CHANGELOG.md")
ok(re.search(r"^## %s\b" % re.escape(default_version or "?"), changelog, re.M) is not None,
   "CHANGELOG.md has a section for %s" % default_version)
status = meta.get("release_status")
unreleased = re.search(r"^## %s \(unreleased\)" % re.escape(default_version or "?"),
                       changelog, re.M) is not None
ok((status == "stable") != unreleased,
   "META.json release_status (%s) agrees with CHANGELOG.md (%s)"
   % (status, "unreleased" if unreleased else "released"))
# every frozen install script is a released version with a changelog entry
for f in sorted(os.listdir(os.path.join(ROOT, "sql"))):
    m = re.match(r"crm_sales--([0-9.]+)\.sql$", f)
    if m and m.group(1) != default_version:
        v = m.group(1)
        ok(re.search(r"^## %s \(\d{4}-\d{2}-\d{2}\)" % re.escape(v), changelog, re.M) is not None,
           "released version %s (sql/%s) has a dated CHANGELOG.md entry" % (v, f))

deb = read("debian/changelog").splitlines()[0]
m = re.match(r"^postgresql-crm-sales \(([^)-]+)-[^)]+\) ", deb)
ok(m is not None and m.group(1) == default_version,
   "debian/changelog's latest upstream version (%s) is default_version"
   % (m.group(1) if m else deb))

sys.exit(tap.summary())
