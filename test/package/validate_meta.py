#!/usr/bin/env python3
"""validate_meta.py: check a META.json against the PGXN Meta Spec v1.0.

    python3 test/package/validate_meta.py [META.json]

Prints "META.json is valid" or one line per problem and exits 1.  The
rules are the spec's (https://pgxn.org/spec/, v1.0.x): the required keys
and their types, the shortcut licence names, SemVer versions, version
ranges of prerequisites, terms, tags, paths, the optional keys, and no
unknown key outside the custom "x_" namespace.  Written with the standard
library only: Debian packages no PGXN validator, and CI installs nothing
beyond Debian packages.
"""

import json
import re
import sys

LICENSES = {
    "agpl_3", "apache_1_1", "apache_2_0", "artistic_1", "artistic_2", "bsd",
    "freebsd", "gfdl_1_2", "gfdl_1_3", "gpl_1", "gpl_2", "gpl_3", "lgpl_2_1",
    "lgpl_3_0", "mit", "mozilla_1_0", "mozilla_1_1", "openssl", "perl_5",
    "postgresql", "qpl_1_0", "ssleay", "sun", "zlib", "open_source",
    "restricted", "unrestricted", "unknown",
}
RELEASE_STATUS = {"stable", "testing", "unstable"}
PHASES = {"configure", "build", "test", "runtime", "develop"}
RELATIONSHIPS = {"requires", "recommends", "suggests", "conflicts"}
REQUIRED = ("name", "version", "abstract", "maintainer", "license",
            "provides", "meta-spec")
OPTIONAL = ("description", "generated_by", "tags", "no_index", "prereqs",
            "release_status", "resources")

# SemVer 2.0.0 (the spec's Version)
_SEMVER = (r"(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)"
           r"(?:-((?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*)"
           r"(?:\.(?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*))*))?"
           r"(?:\+([0-9a-zA-Z-]+(?:\.[0-9a-zA-Z-]+)*))?")
SEMVER = re.compile(r"\A" + _SEMVER + r"\Z")
# Version range: [op] version, AND-ed with commas; "0" means any version
_ONE_RANGE = r"(?:(?:[=!]=|[<>]=?)\s*)?(?:" + _SEMVER + r"|0)"
VERSION_RANGE = re.compile(r"\A" + _ONE_RANGE + r"(?:,\s*" + _ONE_RANGE + r")*\Z")
# Term: two or more characters, none a slash, backslash, space or control
TERM = re.compile(r"\A[^/\\\s\x00-\x1f\x7f]{2,}\Z")
# Tag: 2 to 255 characters, no slash, backslash or control character
TAG = re.compile(r"\A[^/\\\x00-\x1f\x7f]{2,255}\Z")
URI = re.compile(r"\A[A-Za-z][A-Za-z0-9+.-]*:\S+\Z")
EMAIL = re.compile(r"\A[^@\s]+@[^@\s]+\Z")
META_SPEC_URLS = {"https://pgxn.org/meta/spec.txt", "http://pgxn.org/meta/spec.txt"}


def _custom(key):
    """Keys starting with x_ or X_ are free for custom use."""
    return isinstance(key, str) and re.match(r"[xX]_.", key) is not None


class Checker:
    """Collects the problems of one document, each with its JSON path."""

    def __init__(self):
        self.problems = []

    def bad(self, path, msg):
        self.problems.append("%s: %s" % (path, msg))

    def string(self, path, v, min_len=1):
        if not isinstance(v, str):
            self.bad(path, "must be a string, not %s" % type(v).__name__)
            return False
        if len(v) < min_len:
            self.bad(path, "must be at least %d character(s) long" % min_len)
            return False
        return True

    def obj(self, path, v, allowed=None, min_props=0):
        if not isinstance(v, dict):
            self.bad(path, "must be an object, not %s" % type(v).__name__)
            return False
        if len(v) < min_props:
            self.bad(path, "must have at least %d member(s)" % min_props)
        if allowed is not None:
            for k in v:
                if k not in allowed and not _custom(k):
                    self.bad(path, "unknown key %r (custom keys start with x_)" % k)
        return True

    def pattern(self, path, v, rx, what):
        if self.string(path, v) and not rx.match(v):
            self.bad(path, "%r is not %s" % (v, what))

    def version(self, path, v):
        self.pattern(path, v, SEMVER, "a semantic version (e.g. 1.2.3)")

    def term(self, path, v):
        self.pattern(path, v, TERM, "a term (2+ characters, no slash, backslash, space or control character)")

    def path_(self, path, v):
        if self.string(path, v, 2) and (v.startswith("/") or "\\" in v):
            self.bad(path, "%r is not a relative path in unix convention" % v)

    def uri(self, path, v):
        self.pattern(path, v, URI, "a URI")

    def email(self, path, v):
        self.pattern(path, v, EMAIL, "an email address")

    def check(self, doc):
        if not self.obj("$", doc, allowed=set(REQUIRED) | set(OPTIONAL)):
            return self.problems
        for k in REQUIRED:
            if k not in doc:
                self.bad("$", "missing required key %r" % k)
        checks = {
            "name": self.term, "version": self.version,
            "abstract": self.string, "description": self.string,
            "generated_by": self.string, "maintainer": self.maintainer,
            "license": self.license, "provides": self.provides,
            "meta-spec": self.meta_spec, "tags": self.tags,
            "no_index": self.no_index, "prereqs": self.prereqs,
            "release_status": self.release_status, "resources": self.resources,
        }
        for k, fn in checks.items():
            if k in doc:
                fn("$." + k, doc[k])
        return self.problems

    def maintainer(self, path, v):
        if isinstance(v, list):
            if not v:
                self.bad(path, "must list at least one maintainer")
            for i, m in enumerate(v):
                self.string("%s[%d]" % (path, i), m)
        else:
            self.string(path, v)

    def license(self, path, v):
        if isinstance(v, str):
            if v not in LICENSES:
                self.bad(path, "%r is not a licence name of the spec (e.g. postgresql, mit, bsd)" % v)
        elif isinstance(v, list):
            if not v:
                self.bad(path, "must list at least one licence")
            for i, x in enumerate(v):
                if x not in LICENSES:
                    self.bad("%s[%d]" % (path, i), "%r is not a licence name of the spec" % (x,))
        elif isinstance(v, dict):
            if not v:
                self.bad(path, "must name at least one licence")
            for name, url in v.items():
                self.uri("%s.%s" % (path, name), url)
        else:
            self.bad(path, "must be a licence name, a list of them, or an object of name: URI")

    def provides(self, path, v):
        if not self.obj(path, v, min_props=1):
            return
        for ext, e in v.items():
            p = "%s.%s" % (path, ext)
            self.term(p + " (extension name)", ext)
            if not self.obj(p, e, allowed={"file", "version", "abstract", "docfile", "docpath"}):
                continue
            for k in ("file", "version"):
                if k not in e:
                    self.bad(p, "missing required key %r" % k)
            if "file" in e:
                self.path_(p + ".file", e["file"])
            if "version" in e:
                self.version(p + ".version", e["version"])
            if "abstract" in e:
                self.string(p + ".abstract", e["abstract"])
            if "docfile" in e:
                self.path_(p + ".docfile", e["docfile"])
            if "docpath" in e:
                self.string(p + ".docpath", e["docpath"])

    def meta_spec(self, path, v):
        if not self.obj(path, v, allowed={"version", "url"}):
            return
        if "version" not in v:
            self.bad(path, "missing required key 'version'")
        elif self.string(path + ".version", v["version"]) and \
                not re.match(r"\A1\.0\.\d+\Z", v["version"]):
            self.bad(path + ".version", "%r: this validator reads meta-spec 1.0.x" % v["version"])
        if "url" in v and v["url"] not in META_SPEC_URLS:
            self.bad(path + ".url", "%r is not the spec's URL" % (v["url"],))

    def tags(self, path, v):
        if not isinstance(v, list) or not v:
            self.bad(path, "must be a non-empty list of tags")
            return
        for i, t in enumerate(v):
            self.pattern("%s[%d]" % (path, i), t, TAG,
                         "a tag (2 to 255 characters, no slash, backslash or control character)")

    def no_index(self, path, v):
        if not self.obj(path, v, allowed={"file", "directory"}):
            return
        if "file" not in v and "directory" not in v:
            self.bad(path, "needs 'file' or 'directory'")
        for k in ("file", "directory"):
            if k not in v:
                continue
            lst = v[k] if isinstance(v[k], list) else [v[k]]
            if isinstance(v[k], list) and (not lst or len(set(map(str, lst))) != len(lst)):
                self.bad("%s.%s" % (path, k), "must be a non-empty list of distinct paths")
            for i, x in enumerate(lst):
                self.path_("%s.%s[%d]" % (path, k, i), x)

    def prereqs(self, path, v):
        if not self.obj(path, v, allowed=PHASES, min_props=1):
            return
        for phase, rels in v.items():
            if _custom(phase):
                continue
            p = "%s.%s" % (path, phase)
            if not self.obj(p, rels, allowed=RELATIONSHIPS, min_props=1):
                continue
            for rel, deps in rels.items():
                if _custom(rel):
                    continue
                q = "%s.%s" % (p, rel)
                if not self.obj(q, deps, min_props=1):
                    continue
                for dep, rng in deps.items():
                    self.term("%s.%s (prerequisite name)" % (q, dep), dep)
                    if rng == 0 and not isinstance(rng, bool):
                        continue
                    self.pattern("%s.%s" % (q, dep), rng, VERSION_RANGE,
                                 "a version range (0, 1.2.3, '>= 1.2.0, < 2.0.0')")

    def release_status(self, path, v):
        if v not in RELEASE_STATUS:
            self.bad(path, "%r is not one of stable, testing, unstable" % (v,))

    def resources(self, path, v):
        if not self.obj(path, v, allowed={"homepage", "bugtracker", "repository"}, min_props=1):
            return
        if "homepage" in v:
            self.uri(path + ".homepage", v["homepage"])
        if "bugtracker" in v:
            b = v["bugtracker"]
            p = path + ".bugtracker"
            if self.obj(p, b, allowed={"web", "mailto"}):
                if "web" not in b and "mailto" not in b:
                    self.bad(p, "needs 'web' or 'mailto'")
                if "web" in b:
                    self.uri(p + ".web", b["web"])
                if "mailto" in b:
                    self.email(p + ".mailto", b["mailto"])
        if "repository" in v:
            r = v["repository"]
            p = path + ".repository"
            if self.obj(p, r, allowed={"url", "web", "type"}):
                if "web" not in r and not ("url" in r and "type" in r):
                    self.bad(p, "needs 'web', or 'url' with 'type'")
                for k in ("url", "web"):
                    if k in r:
                        self.uri("%s.%s" % (p, k), r[k])
                if "type" in r and self.string(p + ".type", r["type"]) and r["type"] != r["type"].lower():
                    self.bad(p + ".type", "must be lower case (git, svn, hg ...)")


def validate(doc):
    """The list of problems of a parsed META.json document (empty: valid)."""
    return Checker().check(doc)


def validate_text(text):
    """Parse and validate; duplicate keys are a problem (JSON allows them,
    but a consumer would silently keep only the last)."""
    dups = []

    def pairs(kv):
        seen = set()
        for k, _ in kv:
            if k in seen:
                dups.append("duplicate key %r" % k)
            seen.add(k)
        return dict(kv)

    try:
        doc = json.loads(text, object_pairs_hook=pairs)
    except ValueError as e:
        return ["not valid JSON: %s" % e]
    return dups + validate(doc)


def main(argv):
    path = argv[1] if len(argv) > 1 else "META.json"
    with open(path, encoding="utf-8") as f:
        problems = validate_text(f.read())
    if problems:
        for p in problems:
            print("%s: %s" % (path, p))
        return 1
    print("%s is valid (PGXN Meta Spec 1.0)" % path)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
