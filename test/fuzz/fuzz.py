#!/usr/bin/python3
"""fuzz.py: the crm_sales fuzz suite (issue 9, part 6).

Against a running server with crm_sales installed (and, for the internal
aggregate states, the test-only fuzz_helper functions) it runs, round-robin
over its targets until the time budget is spent:

  * for every type: text inputs mutated from valid values, and binary inputs
    (the send() bytes, mutated) given as binary parameters; every accepted
    value must read back to itself (text -> value -> text, send -> recv ->
    send) and is fed to the functions that consume it (its jsonb cast must
    succeed);
  * for every aggregate: its support functions called directly with crafted
    states -- float8[], composite and bigint states by plain SQL (direct calls,
    custom aggregates over the combine function, custom INITCONDs), internal
    states as crafted serialized bytes through deserial, then serial
    (idempotent), combine and final.

A check fails on a lost connection (a backend crash), an internal error
(SQLSTATE class XX), a text result not valid in the database encoding, an accepted value that does not read back to itself, a
jsonb cast that fails, and a call that outlives statement_timeout by more than
a second.  Each target is one check; the last line is
"fuzz: N passed, N failed".  The same seed gives the same sequence of cases;
the budget decides how far it gets.

  fuzz.py --dsn DSN --seed 1 --seconds 60 [--helper] [--repro FILE]
"""

import argparse
import os
import random
import re
import signal
import struct
import sys
import threading
import time

import psycopg
from psycopg.adapt import Dumper
from psycopg.pq import Format

# Targets of another helper's files whose failures are known and handed over
# (owner: the event-log funnel work, src/event_funnel.c): they are run and
# reported, marked "known failure", and do not fail the suite.  Keep this the
# one place where such a list lives.
KNOWN_FAILURES = {
}

STATEMENT_TIMEOUT_MS = 1000
SLACK_S = 1.0
# a statement still running this long after its timeout ignores cancels: the
# watchdog kills its backend (and the case fails as a crash)
HANG_S = 20.0

INTERESTING_NUMBERS = [
    "0", "-0", "1", "-1", "2", "0.5", "NaN", "Infinity", "-Infinity", "1e308",
    "-1e308", "1e400", "-1e400", "1e-320", "5e-324", "1e-400", "1e15", "1e100",
    "1e101", "2147483647", "2147483648", "-2147483648", "-2147483649",
    "9223372036854775807", "9223372036854775808", "-9223372036854775808",
    "4294967295", "1.0000000000000002", "0.9999999999999999", "24", "25",
    "10000", "10001", "100000", "100001", "256", "257", "9", "10", "0x10", "1e",
    "", " ", "+5", ".5", "00001", "1_000", "nan", "inf", "-nan", "1e+308",
]

INTERESTING_INT32 = [0, 1, -1, 2, 24, 25, 256, 10000, 10001, 0x7FFFFFFF, -0x80000000,
                     0x40000000, 1000, 100]
INTERESTING_INT64 = [0, 1, -1, 2, 1 << 31, (1 << 62), (1 << 63) - 1, -(1 << 63), 10000000,
                     10000001, 100000000, 2000000, 2000001]
INTERESTING_DOUBLES = [0.0, -0.0, 1.0, -1.0, float("nan"), float("inf"), float("-inf"),
                       1e308, -1e308, 5e-324, 1e-300, 1e300, 0.5, 2.0 ** 53, 1e100]

CHARS = list('0123456789-+.eE,;=/{}[]()"\' \t\nabcxyzNI_é\u2588\\%$:')


class RawValue:
    """Bytes sent as a binary parameter of one type (see raw_class)."""

    def __init__(self, data):
        self.data = data


_raw_classes = {}


def raw_class(oid):
    """A RawValue subclass whose instances go out in binary with type oid."""
    if oid not in _raw_classes:
        cls = type("Raw%d" % oid, (RawValue,), {})
        dumper = type("RawDumper%d" % oid, (Dumper,),
                      {"format": Format.BINARY, "oid": oid,
                       "dump": lambda self, obj: obj.data})
        psycopg.adapters.register_dumper(cls, dumper)
        _raw_classes[oid] = cls
    return _raw_classes[oid]


class Fuzzer:
    def __init__(self, dsn, seed, seconds, helper, repro):
        self.dsn = dsn
        self.rng = random.Random(seed)
        self.seconds = seconds
        self.helper = helper
        self.repro = repro
        self.conn = None
        self.cases = {}
        self.accepts = {}
        self.failures = {}
        self.calls = 0
        self.running_since = None
        self.backend_pid = None
        self.connect()
        threading.Thread(target=self.watchdog, daemon=True).start()

    def watchdog(self):
        """Kill a backend whose statement ignores statement_timeout and
        cancel for HANG_S seconds (a loop without CHECK_FOR_INTERRUPTS)."""
        while True:
            time.sleep(0.5)
            since, pid = self.running_since, self.backend_pid
            if since is not None and pid and time.monotonic() - since > HANG_S:
                try:
                    os.kill(pid, signal.SIGKILL)
                except OSError:
                    pass
                self.running_since = None

    # ------------------------------------------------------------ plumbing
    def connect(self):
        deadline = time.monotonic() + 90
        while True:
            try:
                self.conn = psycopg.connect(self.dsn, autocommit=True)
                break
            except psycopg.OperationalError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.5)
        self.conn.add_notice_handler(lambda diag: None)
        self.backend_pid = self.conn.info.backend_pid
        with self.conn.cursor() as cur:
            cur.execute("SET statement_timeout = %d" % STATEMENT_TIMEOUT_MS)
            cur.execute("SET search_path = crm_sales, public")
            cur.execute("SET client_min_messages = error")

    def fail(self, target, kind, stmt, params, detail):
        self.failures.setdefault(target, []).append((kind, stmt, params, detail))
        if self.repro:
            with open(self.repro, "a") as f:
                f.write("-- %s: %s: %s\n" % (target, kind, detail.replace("\n", " ")))
                f.write("-- params: %s\n%s;\n\n" % (show(params), stmt))

    def q(self, target, stmt, params=(), must_succeed=False, what=None, before=""):
        """Run stmt; returns (True, rows) or (False, error).  Records crashes,
        internal errors, slow calls and (with must_succeed) any error; the
        repro of a failure starts with before (the statements it needs)."""
        self.calls += 1
        t0 = time.monotonic()
        self.running_since = t0
        try:
            with self.conn.cursor() as cur:
                cur.execute(stmt, params or None, prepare=False)
                rows = cur.fetchall() if cur.description else []
            ok, res = True, rows
        except psycopg.Error as e:
            ok, res = False, e
        except UnicodeDecodeError as e:
            # a text result that is not valid in the database encoding (UTF-8)
            self.running_since = None
            self.fail(target, "invalid text", before + stmt, params,
                      "a result is not valid UTF-8: %s" % e)
            return False, e
        self.running_since = None
        elapsed = time.monotonic() - t0
        stmt = before + stmt
        if elapsed > STATEMENT_TIMEOUT_MS / 1000.0 + SLACK_S:
            self.fail(target, "slow", stmt, params,
                      "%.2f s with statement_timeout %d ms" % (elapsed, STATEMENT_TIMEOUT_MS))
        if ok:
            return True, res
        state = getattr(res, "sqlstate", None)
        if not (self.conn.broken or self.conn.closed) and state is None:
            return False, res           # refused by the driver: never sent
        if self.conn.broken or self.conn.closed:
            self.fail(target, "crash", stmt, params, "connection lost: %s" % res)
            try:
                self.conn.close()
            except Exception:
                pass
            self.connect()
            return False, res
        if state.startswith("XX"):
            self.fail(target, "internal error " + state, stmt, params, str(res))
        elif must_succeed:
            self.fail(target, what or "must succeed", stmt, params, "%s: %s" % (state, res))
        return False, res

    def scalar(self, stmt, params=()):
        """The first value of a setup query; a failing one is a failure of the
        "setup" check (its seed is left out)."""
        ok, rows = self.q("setup", stmt, params, must_succeed=True, what="setup query")
        return rows[0][0] if ok and rows else None

    def count(self, target):
        self.cases[target] = self.cases.get(target, 0) + 1

    def pick(self, seq):
        return seq[self.rng.randrange(len(seq))]

    # ------------------------------------------------------------ mutations
    def mutate_text(self, s):
        rng = self.rng
        for _ in range(rng.choice([1, 1, 1, 2, 3])):
            op = rng.randrange(9)
            nums = list(re.finditer(r"-?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?|NaN|-?Infinity", s))
            if op <= 2 and nums:
                m = rng.choice(nums)
                s = s[:m.start()] + self.pick(INTERESTING_NUMBERS) + s[m.end():]
            elif op == 3 and s:
                i = rng.randrange(len(s))
                j = min(len(s), i + rng.randrange(1, 12))
                s = s[:i] + s[j:]
            elif op == 4 and s:
                i = rng.randrange(len(s))
                j = min(len(s), i + rng.randrange(1, 40))
                s = s[:j] + s[i:j] * rng.choice([1, 2, 30]) + s[j:]
            elif op == 5:
                i = rng.randrange(len(s) + 1)
                s = s[:i] + self.pick(CHARS) + s[i:]
            elif op == 6 and s:
                s = s[:rng.randrange(len(s))]
            elif op == 7:
                parts = re.split(r"([,\s])", s)
                if len(parts) > 2:
                    i, j = rng.randrange(len(parts)), rng.randrange(len(parts))
                    parts[i], parts[j] = parts[j], parts[i]
                    s = "".join(parts)
            else:
                words = re.findall(r"[a-z_]+", s)
                if words:
                    w = rng.choice(words)
                    s = s.replace(w, self.pick(["none", "additive", "multiplicative",
                                                "damped", "ets", "holt_winters", "ols",
                                                "tslm", "x", "", "0", "4294967295",
                                                "pg_catalog.int4", "crm_sales.lifecycle_stage",
                                                "sales_stage"] + words), 1)
        return s

    def bump(self):
        """A small change of a length or count: off by one, doubled, zero."""
        return self.pick([1, -1, 1, -1, 2, -2, 0])

    def fix_forecast_model(self, text):
        """season_length bumped (or kept), and a season list that long."""
        m = re.search(r"season_length=(-?\d+)", text)
        if not m:
            return text
        n = int(m.group(1))
        r = self.rng.random()
        if r < 0.4:
            n = max(0, n + self.bump())
        elif r < 0.8:
            n = self.pick([1, 2, 3, 12, 24, 25, 26, 10000, 10001])
        text = text[:m.start(1)] + str(n) + text[m.end(1):]
        values = ",".join(self.pick(["1", "1", "0.5", "2", "-1", "0", "1e300"]) for _ in range(min(n, 20000)))
        return re.sub(r"season=\S*", lambda _: "season=" + values, text)

    def fix_linear_model(self, text):
        """p bumped (or kept), the mean and r lists as long as p makes them."""
        m = re.search(r"\bp=(\d+)", text)
        if not m:
            return text
        p = int(m.group(1))
        if self.rng.random() < 0.5:
            p = max(0, p + self.bump())
        if p > 200:
            return text         # lists of (p + 1)^2 / 2 values: not built
        k = p + 1
        text = text[:m.start(1)] + str(p) + text[m.end(1):]
        mean = ",".join(self.pick(["0", "1", "2.5", "-3", "1e-300", "1e100"]) for _ in range(k))
        r = []
        for i in range(k):
            for j in range(i, k):
                r.append(self.pick(["1", "2", "0.5", "3"]) if i == j else self.pick(["0", "0.1", "-1", "1e-300"]))
        text = re.sub(r"mean=\[[^\]]*\]", lambda _: "mean=[" + mean + "]", text)
        return re.sub(r"r=\[[^\]]*\]", lambda _: "r=[" + ",".join(r) + "]", text)

    def fix_rfm_model(self, text):
        """buckets changed, and edge lists of 1 .. buckets + 2 ascending values."""
        b = self.pick([2, 5, 9, 10, 1, 0])
        text = re.sub(r'"buckets": *\d+', '"buckets": %d' % b, text)

        def edges(_):
            n = self.rng.randrange(1, max(2, b + 3))
            return "[" + ", ".join(str(i * self.pick([1, 1, 0.5, 1e300])) for i in range(n)) + "]"
        return re.sub(r"\[[^\]]*\]", edges, text)

    def mutate_bytes(self, b):
        rng = self.rng
        b = bytearray(b)
        for _ in range(rng.choice([1, 1, 2, 3])):
            op = rng.randrange(8)
            if op == 0 and b:
                i = rng.randrange(len(b))
                b[i] ^= 1 << rng.randrange(8)
            elif op == 1 and b:
                b[rng.randrange(len(b))] = rng.choice([0, 0xFF, 0x7F, 0x80, 1, 2, 24, 25])
            elif op == 2 and len(b) >= 4:
                i = rng.randrange(len(b) - 3)
                b[i:i + 4] = struct.pack(">i", rng.choice(INTERESTING_INT32))
            elif op == 3 and len(b) >= 8:
                i = rng.randrange(len(b) - 7)
                b[i:i + 8] = struct.pack(">q", rng.choice(INTERESTING_INT64))
            elif op == 4 and len(b) >= 8:
                i = rng.randrange(len(b) - 7)
                b[i:i + 8] = struct.pack(">d", rng.choice(INTERESTING_DOUBLES))
            elif op == 5 and b:
                del b[rng.randrange(len(b)):]
            elif op == 6:
                b += bytes(rng.randrange(256) for _ in range(rng.choice([1, 4, 8, 16])))
            elif op == 7 and b:
                i = rng.randrange(len(b))
                b[i:i] = bytes(rng.randrange(256) for _ in range(rng.choice([1, 4, 8])))
        return bytes(b)

    def mutate_array(self, vals):
        """A float8[] state as SQL text, mutated: elements, length, shape."""
        rng = self.rng
        vals = list(vals)
        for _ in range(rng.choice([1, 1, 2])):
            op = rng.randrange(6)
            if op <= 2 and vals:
                vals[rng.randrange(len(vals))] = self.pick(INTERESTING_NUMBERS[:40])
            elif op == 3 and vals:
                del vals[rng.randrange(len(vals))]
            elif op == 4:
                vals.insert(rng.randrange(len(vals) + 1), self.pick(["0", "1", "NULL", "-1"]))
            else:
                if vals:
                    i = rng.randrange(len(vals))
                    try:
                        vals[i] = repr(float(vals[i]) * rng.choice([-1, 2, 0.5, 1e10, 1e-10]))
                    except ValueError:
                        pass
        text = "{" + ",".join(v if v != "" else "0" for v in vals) + "}"
        if rng.random() < 0.05:
            text = "{" + text + "}"
        return text

    def number(self):
        return self.pick(INTERESTING_NUMBERS[:40])

    # ------------------------------------------------------------ types
    def type_case(self, t):
        """One text or binary input case of type t (a dict, see TYPES)."""
        target = "type " + t["name"]
        self.count(target)
        typ = "crm_sales." + t["name"]
        seed = self.pick(t["seeds"])
        r = self.rng.random()
        if r < 0.65:
            # a seed as it is (its consumers run), or mutated, then maybe
            # made self-consistent again (lists as long as their length field)
            text = seed if r < 0.08 else self.mutate_text(seed)
            if t.get("fix") and self.rng.random() < 0.5:
                text = t["fix"](self, text)
            if "\x00" in text:
                return
            ok, rows = self.q(target, "SELECT %%s::text::%s::text" % typ, (text,))
            if not ok:
                return
            out1 = rows[0][0]
        else:
            ok, rows = self.q(target, "SELECT crm_sales.%s_send(%%s::text::%s)" % (t["name"], typ),
                              (seed,))
            if not ok:
                self.fail(target, "seed", "", (seed,), "a seed value is not valid: %s" % rows)
                return
            data = self.mutate_bytes(bytes(rows[0][0]))
            ok, rows = self.q(target, "SELECT %s::text", (raw_class(t["oid"])(data),))
            if not ok:
                return
            out1 = rows[0][0]
        self.accepted(target, t, out1)

    def accepted(self, target, t, out1):
        """An accepted value: round trips, then its consumers."""
        typ = "crm_sales." + t["name"]
        self.accepts[target] = self.accepts.get(target, 0) + 1
        ok, rows = self.q(target, "SELECT %%s::text::%s::text" % typ, (out1,), must_succeed=True,
                          what="text round trip")
        if ok and rows[0][0] != out1:
            self.fail(target, "text round trip", "SELECT %%s::text::%s::text" % typ, (out1,),
                      "reads back as %r" % rows[0][0][:200])
        ok, rows = self.q(target, "SELECT crm_sales.%s_send(%%s::text::%s)" % (t["name"], typ),
                          (out1,), must_succeed=True, what="send")
        if ok:
            b1 = bytes(rows[0][0])
            raw = raw_class(t["oid"])(b1)
            ok, rows = self.q(target, "SELECT crm_sales.%s_send(%%s), %%s::text" % t["name"],
                              (raw, raw), must_succeed=True, what="binary round trip")
            if ok and (bytes(rows[0][0]) != b1 or rows[0][1] != out1):
                self.fail(target, "binary round trip", "recv(send(v))", (out1,),
                          "send -> recv -> send/text differs")
        if t.get("jsonb"):
            self.q(target, "SELECT %%s::text::%s::jsonb" % typ, (out1,), must_succeed=True,
                   what="jsonb cast")
        for _ in range(2):
            stmt, args = self.pick(t["consumers"])(self)
            self.q(target, *bind(stmt, {"$V": ("%%s::text::%s" % typ, out1)}, args))

    # ------------------------------------------------------------ states
    def array_state_case(self, a):
        """A float8[] (or composite / bigint) state: direct calls of final and
        combine, a custom aggregate over combine, a custom INITCOND."""
        target = "aggregate " + a["name"]
        self.count(target)
        seed = self.pick(a["states"])
        crafted = a["mutate"](self, seed)
        cast = a["stype"]
        for stmt in a["direct"]:
            ok, _ = self.q(target, *bind(stmt, {"$S": ("%%s::%s" % cast, crafted),
                                                "$T": ("%%s::%s" % cast, self.pick(a["states"]))}, []))
            if ok:
                self.accepts[target] = self.accepts.get(target, 0) + 1
        if a.get("merge"):
            other = self.pick(a["states"]) if self.rng.random() < 0.5 else a["mutate"](self, seed)
            self.q(target, "SELECT %s::text FROM (VALUES (%%s::%s), (%%s::%s)) v(s)"
                   % (a["merge"].replace("$X", "s"), cast, cast), (crafted, other))
        if a.get("initcond") and self.rng.random() < 0.25:
            sfunc, argtypes, final, rows = self.pick(a["initcond"])
            lit = crafted.replace("'", "''")
            create = ("CREATE AGGREGATE pg_temp.fz_init(%s) (SFUNC = %s, STYPE = %s, "
                      "INITCOND = '%s'%s)" % (argtypes, sfunc, cast, lit,
                                              ", FINALFUNC = " + final if final else ""))
            ok, _ = self.q(target, create)
            if ok:
                self.q(target, "SELECT pg_temp.fz_init(%s)::text FROM %s" % (rows[0], rows[1]),
                       before=create + ";\n")
                self.q("setup", "DROP AGGREGATE pg_temp.fz_init(%s)" % argtypes)

    def internal_case(self, a):
        """Crafted serialized bytes of an internal state: deserial -> serial
        (then idempotent), combine, final."""
        target = "aggregate " + a["name"]
        self.count(target)
        data = self.mutate_bytes(self.pick(a["states"])) if self.rng.random() < 0.9 \
            else self.pick(a["states"])
        ok, rows = self.q(target, "SELECT fuzz_deserial_serial(%s::regprocedure, %s::regprocedure, %%s)"
                          % (lit(a["deserial"]), lit(a["serial"])), (data,))
        if ok and rows[0][0] is not None:
            self.accepts[target] = self.accepts.get(target, 0) + 1
            s1 = bytes(rows[0][0])
            ok, rows = self.q(target, "SELECT fuzz_deserial_serial(%s::regprocedure, %s::regprocedure, %%s)"
                              % (lit(a["deserial"]), lit(a["serial"])), (s1,), must_succeed=True,
                              what="serial round trip")
            if ok and a["canon"](bytes(rows[0][0])) != a["canon"](s1):
                self.fail(target, "serial round trip", "deserial(serial(deserial(b)))", (data,),
                          "serial -> deserial -> serial differs")
        for final in a["finals"]:
            self.q(target, "SELECT fuzz_deserial_final(%s::regprocedure, %s::regprocedure, %%s)"
                   % (lit(a["deserial"]), lit(final)), (data,))
        if self.rng.random() < 0.3:
            self.q(target, "SELECT fuzz_deserial_combine(%s::regprocedure, %s::regprocedure, "
                   "%s::regprocedure, %%s, %%s)" % (lit(a["deserial"]), lit(a["combine"]),
                                                     lit(a["serial"])),
                   (data, self.pick(a["states"])))

    # ------------------------------------------------------------ driver
    def run(self, targets):
        start = time.monotonic()
        rounds = 0
        while time.monotonic() - start < self.seconds:
            for kind, t in targets:
                if kind == "type":
                    self.type_case(t)
                elif kind == "state":
                    self.array_state_case(t)
                else:
                    self.internal_case(t)
                if time.monotonic() - start >= self.seconds:
                    break
            rounds += 1
        return rounds


def lit(s):
    return "'" + s.replace("'", "''") + "'"


def bind(stmt, marks, args):
    """stmt with each mark ($V, $S, ...) made a placeholder; the parameters
    in placeholder order: a mark's value, or the next of args for %s."""
    params = []
    args = list(args)
    pattern = "|".join(re.escape(m) for m in marks) + "|%s"

    def one(m):
        if m.group(0) == "%s":
            params.append(args.pop(0))
            return "%s"
        text, value = marks[m.group(0)]
        params.append(value)
        return text
    out = re.sub(pattern, one, stmt)
    return out, tuple(params)


def show(params):
    out = []
    for p in params:
        if isinstance(p, RawValue):
            out.append("binary " + p.data.hex())
        elif isinstance(p, (bytes, bytearray)):
            out.append("\\x" + bytes(p).hex())
        else:
            out.append(repr(p)[:2000])
    return ", ".join(out)


# ---------------------------------------------------------------- consumers
def c_forecast(fz):
    h = fz.pick([1, 2, 12, 100, 1000, 100000, 0, -1, 100001, 2147483647])
    form = fz.rng.randrange(3)
    if form == 0:
        return "SELECT count(*), sum(point), sum(upper - lower) FROM crm_sales.forecast($V, %s)", [h]
    if form == 1:
        return ("SELECT count(*), sum(point) FROM crm_sales.forecast($V, %s, %s::float8)",
                [h, fz.pick(["0.5", "0.95", "0", "1", "NaN", "-1", "1e-300", "0.999999999999"])])
    return ("SELECT count(*), sum(point) FROM crm_sales.forecast($V, %s, %s::float8[])",
            [h, fz.pick(["{0.8,0.95}", "{}", "{NULL}", "{{0.5}}", "{0.5,NaN}",
                         "{" + ",".join(["0.5"] * 50) + "}"])])


def c_linear(fz):
    form = fz.rng.randrange(4)
    if form == 0:
        return "SELECT count(*) FROM crm_sales.coefficients($V)", []
    if form == 1:
        n = fz.pick([0, 1, 2, 3, 4, 12, 101])
        x = "{" + ",".join(fz.number() or "0" for _ in range(n)) + "}"
        return ("SELECT (crm_sales.predict($V, %s::float8[], %s::float8)).*",
                [x, fz.pick(["0.95", "0.5", "0", "1", "NaN"])])
    if form == 2:
        return ("SELECT count(*), sum(point) FROM crm_sales.tslm_forecast($V, %s, %s::float8[])",
                [fz.pick([1, 12, 1000, 100000, 0, 2147483647]), fz.pick(["{0.8,0.95}", "{}", "{NaN}"])])
    return "SELECT $V::jsonb", []


def c_bgnbd(fz):
    form = fz.rng.randrange(4)
    n = fz.number
    if form == 0:
        return "SELECT crm_sales.p_alive($V, %s::float8, %s::float8, %s::float8)", [n(), n(), n()]
    if form == 1:
        return "SELECT crm_sales.expected_purchases_new($V, %s::float8)", [n()]
    if form == 2:
        return ("SELECT crm_sales.expected_purchases($V, %s::float8, %s::float8, %s::float8, %s::float8)",
                [n(), n(), n(), n()])
    return ("SELECT crm_sales.clv($V, '(p=6.25,q=3.74,gamma=15.44)'::crm_sales.gamma_gamma_model, "
            "%s::float8, %s::float8, %s::float8, %s::float8, %s::int, %s::float8)",
            [fz.pick(["2", "0", "10"]), fz.pick(["30", "0"]), "38.86", fz.pick(["20", "0"]),
             fz.pick([1, 12, 100000, 0]), fz.pick(["0.01", "0", "-0.5"])])


def c_gg(fz):
    if fz.rng.random() < 0.5:
        return "SELECT crm_sales.expected_spend($V, %s::float8, %s::float8)", [fz.number(), fz.number()]
    return ("SELECT crm_sales.clv('(r=0.243,alpha=4.414,a=0.793,b=2.426)'::crm_sales.bgnbd_model, $V, "
            "2, 30.43, 38.86, %s::float8, %s::int, 0.01)", [fz.pick(["20", "0", "1e300"]),
                                                             fz.pick([1, 12, 1000])])


def c_rfm_model(fz):
    if fz.rng.random() < 0.7:
        return ("SELECT crm_sales.rfm_score($V, %s::float8, %s::float8, %s::float8)::text",
                [fz.number(), fz.number(), fz.number()])
    return "SELECT $V::jsonb", []


def c_rfm(fz):
    return fz.pick([
        ("SELECT crm_sales.rfm_segment($V)", []),
        ("SELECT crm_sales.rfm_lifecycle_stage($V)", []),
        ("SELECT crm_sales.recency_score($V), crm_sales.frequency_score($V), "
         "crm_sales.monetary_score($V), crm_sales.rfm_buckets($V)", []),
        ("SELECT count(DISTINCT x), min(x)::text FROM (VALUES ($V), ('5-5-5'), ('1-2-3/4')) v(x)", []),
    ])


def c_funnel(fz):
    return fz.pick([
        ("SELECT count(*), sum(reached) FROM crm_sales.funnel_steps($V)", []),
        ("SELECT count(*) FROM crm_sales.funnel_chart($V, %s)", [fz.pick([1, 40, 200, 0, 201])]),
        ("SELECT crm_sales.conversion_rate($V, %s::text, %s::text)",
         [fz.pick(["1", "2", "lead_generation", "closed_won", "x"]), fz.pick(["1", "3", "closed_lost"])]),
        ("SELECT crm_sales.conversion_rate($V, %s::int, %s::int)", [fz.pick([1, 2, 0, 300]), 2]),
        ("SELECT ($V + $V)::text", []),
        ("SELECT $V = $V", []),
        ("SELECT crm_sales.funnel_merge(f)::text FROM (VALUES ($V), ('{1,1}'::crm_sales.funnel)) v(f)", []),
    ])


def c_deal_stats(fz):
    return fz.pick([
        ("SELECT (crm_sales.deal_kpis($V)).*", []),
        ("SELECT crm_sales.won_deals($V), crm_sales.lost_deals($V), crm_sales.open_deals($V), "
         "crm_sales.won_amount($V), crm_sales.lost_amount($V), crm_sales.open_amount($V)", []),
        ("SELECT crm_sales.win_rate($V), crm_sales.win_rate_by_amount($V), crm_sales.avg_won_size($V), "
         "crm_sales.median_won_size($V), crm_sales.sales_velocity($V)", []),
        ("SELECT crm_sales.cycle_days_mean($V), crm_sales.cycle_days_median($V), "
         "crm_sales.cycle_days_p90($V), crm_sales.cycle_days_count($V)", []),
        ("SELECT crm_sales.cycle_days_percentile($V, %s::float8)",
         [fz.pick(["0", "1", "0.5", "0.999", "NaN", "-1", "2", "1e-320"])]),
        ("SELECT ($V + $V)::text", []),
        ("SELECT $V = $V", []),
        ("SELECT crm_sales.deal_stats_merge(d)::text FROM (VALUES ($V), ($V)) v(d)", []),
        ("SELECT crm_sales._ds_deals($V, %s), crm_sales._ds_amount($V, %s)",
         [fz.pick([0, 1, 2, 3, -1, 2147483647]), fz.pick([0, 2, 3, -2147483648])]),
    ])


# ---------------------------------------------------------------- setup
def setup(fz, helper_so):
    """Seeds of every target, from the server itself."""
    q = fz.scalar
    q("SELECT 1")
    air = ("(SELECT p, 100 + 20 * sin(p * pi() / 6) + p AS v FROM generate_series(1, 48) p)")
    fm = []
    for opt in ["", "multiplicative", "none", "damped", "none, trend=none", "alpha=0.3, beta=0.1, gamma=0.2"]:
        fm.append(q("SELECT crm_sales.holt_winters(p, v, 12, %%s)::text FROM %s s" % air, (opt,)))
    for code in ["ANN", "MAM", "AAdA", "MNM", "auto"]:
        fm.append(q("SELECT crm_sales.ets(p, v, 12, %%s)::text FROM %s s" % air, (code,)))
    fm.append("method=ets error=multiplicative trend=additive seasonal=multiplicative season_length=24 "
              "n=100 n_fit=100 last_period=100 alpha=0.5 beta=0.1 gamma=0.1 phi=1 sse=1 sigma2=0.01 "
              "aicc=1 level=10 slope=1 season=" + ",".join(["1"] * 24))
    fm.append("method=holt_winters error=additive trend=additive seasonal=multiplicative "
              "season_length=10000 n=20000 n_fit=10000 last_period=100 alpha=0.5 beta=0.1 gamma=0.1 "
              "phi=1 sse=1 sigma2=0.01 aicc=NaN level=10 slope=1 season=" + ",".join(["1"] * 10000))
    lm = [
        q("SELECT crm_sales.ols(i * 2.0 + sin(i), ARRAY[i, cos(i)])::text FROM generate_series(1, 30) i"),
        q("SELECT crm_sales.ols(i, ARRAY[1e-300 * i])::text FROM generate_series(1, 10) i"),
        q("SELECT crm_sales.tslm(i, 10 + i + (i % 4), 4)::text FROM generate_series(1, 24) i"),
        "ols(p=1,n=9007199254740992,mean=[0,0],r=[1,0,1])",
    ]
    bg = ["(r=0.243,alpha=4.414,a=0.793,b=2.426,loglik=-9582.4,n=2357)", "(r=1,alpha=1,a=1,b=1)"]
    gg = ["(p=6.25,q=3.74,gamma=15.44,loglik=-4000,n=946)", "(p=1,q=2,gamma=3)"]
    rm = [q("SELECT crm_sales.rfm_model(i % 17, i % 5, i * 1.5)::text FROM generate_series(1, 100) i"),
          '{"buckets": 9, "recency": [0], "frequency": [0, 1], "monetary": [1, 2, 3]}']
    rfm = ["5-4-3", "1-1-1", "7-2-9/9", "2-2-2/2"]
    fun = ["crm_sales.sales_stage{lead_generation=10/500.00,initial_contact=6/300.50,needs_analysis=4/100,"
           "proposal=4/100,negotiation=2/50,closed_won=1/20,closed_lost=3/7.5}",
           "{10,7,7,1}", "{3/1.5,2/-0.25}", "{9223372036854775807}",
           q("SELECT crm_sales.funnel_agg(s)::text FROM unnest(enum_range(NULL::crm_sales.sales_stage)) s")]

    ds_rows = ("(SELECT i, (enum_range(NULL::crm_sales.sales_stage))[1 + i %% 7] AS s FROM "
               "generate_series(1, %d) i) x")
    ds = [q("SELECT crm_sales.deal_stats(s, i * 10.5, date '2024-01-01' + i, date '2024-02-01' + i * 3)::text "
            "FROM " + ds_rows % 30),
          q("SELECT crm_sales.deal_stats(s, NULL, NULL::date, NULL)::text FROM " + ds_rows % 3),
          q("SELECT crm_sales.deal_stats(s, (i - 5) * 1e20 + 0.01, timestamptz '2024-01-01' + i * interval '7 h', "
            "timestamptz '2024-01-01' + i * i * interval '1 day')::text FROM " + ds_rows % 60),
          "crm_sales.sales_stage{won=1/1/1000000000000000000000000000000;lost=0/0/0;open=0/0/0;cycle=3:1;sizes=6943:1}"]

    def oid(name):
        return q("SELECT %s::regtype::oid", ("crm_sales." + name,))

    types = [
        dict(name="forecast_model", seeds=fm, consumers=[c_forecast], jsonb=True,
             fix=Fuzzer.fix_forecast_model),
        dict(name="linear_model", seeds=lm, consumers=[c_linear], jsonb=True,
             fix=Fuzzer.fix_linear_model),
        dict(name="bgnbd_model", seeds=bg, consumers=[c_bgnbd], jsonb=True),
        dict(name="gamma_gamma_model", seeds=gg, consumers=[c_gg], jsonb=True),
        dict(name="rfm_model", seeds=rm, consumers=[c_rfm_model], jsonb=True,
             fix=Fuzzer.fix_rfm_model),
        dict(name="rfm", seeds=rfm, consumers=[c_rfm], jsonb=False),
        dict(name="funnel", seeds=fun, consumers=[c_funnel], jsonb=True),
        dict(name="deal_stats", seeds=ds, consumers=[c_deal_stats], jsonb=True),
    ]
    for t in types:
        t["oid"] = oid(t["name"])

    def arr(stmt):
        v = q("SELECT x::text FROM (%s) s(x)" % stmt)
        return v.strip("{}").split(",") if v is not None else None

    def mut_array(fz, seed):
        return fz.mutate_array(seed)

    def mut_text(fz, seed):
        return fz.mutate_text(seed)

    acc_states = [arr("SELECT crm_sales._fz_acc_state(a, a + sin(a)) FROM generate_series(1, 20) a"),
                  arr("SELECT crm_sales._fz_acc_state(a, 0) FROM generate_series(0, 5) a"),
                  ["0", "0", "0", "0", "0", "0", "0", "0"]]
    ols_states = [arr("SELECT crm_sales._fz_ols_state(i * 2.0, ARRAY[i, i * i]) FROM generate_series(1, 10) i"),
                  arr("SELECT crm_sales._fz_ols_state(i, ARRAY[i]) FROM generate_series(1, 3) i")]
    tslm_states = [arr("SELECT crm_sales._fz_tslm_state(i, i + (i % 3), 3) FROM generate_series(1, 12) i")]
    cf_states = [arr("SELECT crm_sales._fz_cf_state(p, p - 1, p + 1, 2) FROM generate_series(1, 4) p"),
                 arr("SELECT crm_sales._fz_cfi_state(p, p - 1, p + 1, p % 2) FROM generate_series(1, 4) p")]
    wp_states = [q("SELECT crm_sales._fz_wp_state(a, s)::text FROM (VALUES (100, 'proposal'::crm_sales.sales_stage),"
                   " (50, 'closed_won'), (7.5, 'closed_lost'), (3, 'negotiation')) v(a, s)"),
                 "(0,0,0,0,0,0,0,0,0,0,0,0,0)"]
    ret_states = [str(q("SELECT crm_sales._fz_ret_state(a, ARRAY[b, c])::text FROM (VALUES (true, false, true),"
                        " (false, true, false)) v(a, b, c)")), "0", str((3 << 32) | 5)]

    def mut_int(fz, seed):
        v = int(seed)
        op = fz.rng.randrange(4)
        if op == 0:
            v ^= 1 << fz.rng.randrange(64)
        elif op == 1:
            v = fz.pick(INTERESTING_INT64)
        elif op == 2:
            v = (fz.rng.randrange(0, 300) << 32) | fz.rng.randrange(1 << 32)
        else:
            v = -v
        v = ((v + (1 << 63)) % (1 << 64)) - (1 << 63)
        return str(v)

    states = [
        dict(name="forecast_accuracy", stype="float8[]", states=acc_states, mutate=mut_array,
             direct=["SELECT crm_sales._forecast_accuracy_final($S)::text",
                     "SELECT crm_sales._forecast_accuracy_combine($S, $T)"],
             merge="crm_sales._fz_acc_merge($X)",
             initcond=[("crm_sales._forecast_accuracy_trans", "float8, float8",
                        "crm_sales._forecast_accuracy_final",
                        ("a, a + 1", "generate_series(1, 3) a"))]),
        dict(name="ols", stype="float8[]", states=ols_states, mutate=mut_array,
             direct=["SELECT crm_sales._ols_final($S)::text"],
             merge="crm_sales._fz_ols_merge($X)",
             initcond=[("crm_sales._ols_trans", "float8, float8[]", "crm_sales._ols_final",
                        ("a * 1.0, ARRAY[a, a * a]", "generate_series(1, 6) a"))]),
        dict(name="tslm", stype="float8[]", states=tslm_states, mutate=mut_array,
             direct=["SELECT crm_sales._tslm_final($S)::text"],
             merge="crm_sales._fz_tslm_merge($X)",
             initcond=[("crm_sales._tslm_trans", "integer, float8, integer", "crm_sales._tslm_final",
                        ("a, a * 1.0, 3", "generate_series(1, 12) a"))]),
        dict(name="combine_forecast", stype="float8[]", states=cf_states, mutate=mut_array,
             direct=["SELECT crm_sales._combine_forecast_final($S)::text"],
             merge="crm_sales._fz_cf_merge($X)",
             initcond=[("crm_sales._combine_forecast_mean_trans", "float8, float8, float8",
                        "crm_sales._combine_forecast_final", ("a, a - 1, a + 1", "generate_series(1, 3) a")),
                       ("crm_sales._combine_forecast_inverse_mse_trans", "float8, float8, float8, float8",
                        "crm_sales._combine_forecast_final",
                        ("a, a - 1, a + 1, a - 1", "generate_series(1, 3) a"))]),
        dict(name="weighted_pipeline", stype="crm_sales.pipeline_state", states=wp_states, mutate=mut_text,
             direct=["SELECT crm_sales._weighted_pipeline_final($S)::text",
                     "SELECT crm_sales._weighted_pipeline_combine($S, $T)::text"],
             merge="crm_sales._fz_wp_merge($X)",
             initcond=[("crm_sales._weighted_pipeline_trans", "numeric, crm_sales.sales_stage",
                        "crm_sales._weighted_pipeline_final",
                        ("10, 'proposal'::crm_sales.sales_stage", "generate_series(1, 3) a"))]),
        dict(name="funnel_agg", stype="crm_sales.funnel", states=fun, mutate=mut_text,
             direct=["SELECT crm_sales.funnel_add($S, $T)::text"],
             merge="crm_sales.funnel_merge($X)",
             initcond=[("crm_sales._funnel_agg_trans", "integer", None,
                        ("a", "generate_series(1, 4) a")),
                       ("crm_sales._funnel_agg_trans", "integer, numeric", None,
                        ("a, a * 1.5", "generate_series(1, 4) a")),
                       ("crm_sales._funnel_agg_trans", "crm_sales.sales_stage", None,
                        ("'proposal'::crm_sales.sales_stage", "generate_series(1, 4) a"))]),
        dict(name="retention", stype="bigint", states=ret_states, mutate=mut_int,
             direct=["SELECT crm_sales._retention_final($S)::text",
                     "SELECT crm_sales._retention_combine($S, $T)"],
             merge="crm_sales._fz_ret_merge($X)",
             initcond=[("crm_sales._retention_trans", "boolean, boolean[]",
                        "crm_sales._retention_final", ("a > 1, ARRAY[a > 2, true]", "generate_series(1, 3) a"))]),
        dict(name="deal_stats", stype="crm_sales.deal_stats", states=ds, mutate=mut_text,
             direct=["SELECT crm_sales.deal_stats_add($S, $T)::text"],
             merge="crm_sales.deal_stats_merge($X)",
             initcond=[("crm_sales._deal_stats_trans", "crm_sales.sales_stage, numeric, date, date", None,
                        ("'closed_won'::crm_sales.sales_stage, a * 2.5, date '2024-01-01', date '2024-01-01' + a",
                         "generate_series(1, 4) a")),
                       ("crm_sales._deal_stats_trans", "crm_sales.sales_stage, numeric, timestamptz, timestamptz",
                        "crm_sales.win_rate",
                        ("'closed_lost'::crm_sales.sales_stage, a, now(), now() + a * interval '1 day'",
                         "generate_series(1, 4) a"))]),
    ]

    internals = []
    if helper_so:
        def ser(stmt):
            v = q(stmt)
            return bytes(v) if v is not None else None

        def same(b):
            return b

        def clv_canon(b):
            # header (version, count) then 32-byte entries in hash-table order
            return b[:12] + b"".join(sorted(b[i:i + 32] for i in range(12, len(b), 32)))

        # name, serialized seeds, canonical form, then the support functions:
        # deserial, serial, combine, finals (argument types appended below)
        table = [
            ("holt_winters/ets (internal)",
             [ser("SELECT crm_sales._fz_hw_ser(p, v, 12) FROM %s s" % air),
              ser("SELECT crm_sales._fz_ets_ser(p, v, 4) FROM %s s" % air)], same,
             "_holt_winters_deserial", "_holt_winters_serial", "_holt_winters_combine",
             ["_holt_winters_final", "_ets_final"]),
            ("kmeans (internal)",
             [ser("SELECT crm_sales._fz_km_ser(ARRAY[i, i % 3], 2) FROM generate_series(1, 12) i")], same,
             "_kmeans_deserial", "_kmeans_serial", "_kmeans_combine", ["_kmeans_final", "_kmeans_fit_final"]),
            ("rfm_model (internal)",
             [ser("SELECT crm_sales._fz_rfm_ser(i % 7, i % 3, i) FROM generate_series(1, 20) i")], same,
             "_rfm_model_deserial", "_rfm_model_serial", "_rfm_model_combine", ["_rfm_model_final"]),
            ("bgnbd_fit/gamma_gamma_fit (internal)",
             [ser("SELECT crm_sales._fz_bg_ser(i % 4, (i % 4) * 2.5, 40) FROM generate_series(1, 30) i"),
              ser("SELECT crm_sales._fz_gg_ser(1 + i % 4, 10 + i) FROM generate_series(1, 30) i")], clv_canon,
             "_clv_fit_deserial", "_clv_fit_serial", "_clv_fit_combine",
             ["_bgnbd_fit_final", "_gamma_gamma_fit_final"]),
            ("window_funnel (internal)",
             [ser("SELECT crm_sales._fz_wf_ser('1 hour', t, s = 1, ARRAY[s = 2, s = 3]) FROM "
                  "(SELECT timestamptz '2024-01-01' + i * interval '5 min' AS t, 1 + i % 3 AS s "
                  "FROM generate_series(1, 12) i) e")], same,
             "_window_funnel_deserial", "_window_funnel_serial", "_window_funnel_combine",
             ["_window_funnel_final"]),
            ("funnel_events (internal)",
             [ser("SELECT crm_sales._fz_fe_ser('1 hour', i % 4, timestamptz '2024-01-01' + i * "
                  "interval '5 min', 1 + i % 3) FROM generate_series(1, 12) i"),
              ser("SELECT crm_sales._fz_fe_ser('1 day', i % 5, timestamptz '2024-01-01' + i * "
                  "interval '1.5 s', 1 + i % 4) FROM generate_series(1, 40) i")] +
             [ser("SELECT crm_sales._fz_fem_ser('1 hour', i %% 3, timestamptz '2024-01-01' + i * "
                  "interval '7 min 0.001 s', %s, %s) FROM generate_series(1, 20) i" % (step, lit(mode)))
              for step, mode in [("1 + i % 3", "strict_order"), ("1 + i % 3", "strict_once"),
                                 ("1 + i % 3", "strict_order, allow_reentry"), ("1 + i % 4", "any_order"),
                                 ("CASE WHEN i % 5 = 0 THEN -1 ELSE 1 + i % 3 END", "strict_deduplication")]],
             same,
             "_funnel_events_deserial", "_funnel_events_serial", "_funnel_events_combine",
             ["_funnel_events_final"]),
            ("sequence_match/sequence_count (internal)",
             [ser("SELECT crm_sales._fz_seq_ser(%s, timestamptz '2024-01-01' + i * interval '5 min', "
                  "i %% 3 = 0, ARRAY[i %% 3 = 1, i %% 3 = 2]) FROM generate_series(1, 12) i" % lit(pat))
              for pat in ["(?1)(?2)", "(?1).*(?3)", "(?1)(?t<=3600)(?2)"]], same,
             "_sequence_deserial", "_sequence_serial", "_sequence_combine",
             ["_sequence_match_final", "_sequence_count_final"]),
            ("sequence_next_node (internal)",
             [ser("SELECT crm_sales._fz_nn_ser(%s, %s, timestamptz '2024-01-01' + i * interval '5 min', "
                  "'page' || (i %% 4), i %% 4 = 0, i %% 4 = 0, ARRAY[i %% 4 = 1]) FROM generate_series(1, 12) i"
                  % (lit(d), lit(b)))
              for d, b in [("forward", "head"), ("backward", "tail"), ("forward", "first_match")]], same,
             "_sequence_next_node_deserial", "_sequence_next_node_serial", "_sequence_next_node_combine",
             ["_sequence_next_node_final"]),
        ]
        internals = [dict(name=name, states=seeds, canon=canon,
                          deserial="crm_sales.%s(bytea, internal)" % d,
                          serial="crm_sales.%s(internal)" % sr,
                          combine="crm_sales.%s(internal, internal)" % c,
                          finals=["crm_sales.%s(internal)" % f for f in finals])
                     for name, seeds, canon, d, sr, c, finals in table]
    return types, states, internals


# Helper aggregates (superuser, throwaway database): partial states of the
# SQL-typed aggregates, merges over their combine functions, and serialized
# internal states (the serial function as FINALFUNC).
SETUP_SQL = """
CREATE AGGREGATE crm_sales._fz_acc_state(float8, float8) (SFUNC = crm_sales._forecast_accuracy_trans,
    STYPE = float8[], INITCOND = '{0,0,0,0,0,0,0,0}');
CREATE AGGREGATE crm_sales._fz_acc_merge(float8[]) (SFUNC = crm_sales._forecast_accuracy_combine,
    STYPE = float8[], FINALFUNC = crm_sales._forecast_accuracy_final);
CREATE AGGREGATE crm_sales._fz_ols_state(float8, float8[]) (SFUNC = crm_sales._ols_trans, STYPE = float8[]);
CREATE AGGREGATE crm_sales._fz_ols_merge(float8[]) (SFUNC = crm_sales._ols_combine, STYPE = float8[],
    FINALFUNC = crm_sales._ols_final);
CREATE AGGREGATE crm_sales._fz_tslm_state(integer, float8, integer) (SFUNC = crm_sales._tslm_trans,
    STYPE = float8[]);
CREATE AGGREGATE crm_sales._fz_tslm_merge(float8[]) (SFUNC = crm_sales._tslm_combine, STYPE = float8[],
    FINALFUNC = crm_sales._tslm_final);
CREATE AGGREGATE crm_sales._fz_cf_state(float8, float8, float8, float8) (
    SFUNC = crm_sales._combine_forecast_weighted_trans, STYPE = float8[]);
CREATE AGGREGATE crm_sales._fz_cfi_state(float8, float8, float8, float8) (
    SFUNC = crm_sales._combine_forecast_inverse_mse_trans, STYPE = float8[]);
CREATE AGGREGATE crm_sales._fz_cf_merge(float8[]) (SFUNC = crm_sales._combine_forecast_combine,
    STYPE = float8[], FINALFUNC = crm_sales._combine_forecast_final);
CREATE AGGREGATE crm_sales._fz_wp_state(numeric, anyenum) (SFUNC = crm_sales._weighted_pipeline_trans,
    STYPE = crm_sales.pipeline_state, INITCOND = '(0,0,0,0,0,0,0,0,0,0,0,0,0)');
CREATE AGGREGATE crm_sales._fz_wp_merge(crm_sales.pipeline_state) (
    SFUNC = crm_sales._weighted_pipeline_combine, STYPE = crm_sales.pipeline_state,
    FINALFUNC = crm_sales._weighted_pipeline_final);
CREATE AGGREGATE crm_sales._fz_ret_state(boolean, boolean[]) (SFUNC = crm_sales._retention_trans,
    STYPE = bigint, INITCOND = '0');
CREATE AGGREGATE crm_sales._fz_ret_merge(bigint) (SFUNC = crm_sales._retention_combine, STYPE = bigint,
    FINALFUNC = crm_sales._retention_final);
"""

SETUP_INTERNAL_SQL = """
CREATE FUNCTION fuzz_deserial_serial(regprocedure, regprocedure, bytea) RETURNS bytea
    AS '{so}', 'fuzz_deserial_serial' LANGUAGE C;
CREATE FUNCTION fuzz_deserial_final(regprocedure, regprocedure, bytea) RETURNS text
    AS '{so}', 'fuzz_deserial_final' LANGUAGE C;
CREATE FUNCTION fuzz_deserial_combine(regprocedure, regprocedure, regprocedure, bytea, bytea)
    RETURNS bytea AS '{so}', 'fuzz_deserial_combine' LANGUAGE C;
CREATE AGGREGATE crm_sales._fz_hw_ser(int8, float8, int4) (SFUNC = crm_sales._holt_winters_trans,
    STYPE = internal, FINALFUNC = crm_sales._holt_winters_serial);
CREATE AGGREGATE crm_sales._fz_ets_ser(int8, float8, int4) (SFUNC = crm_sales._ets_trans,
    STYPE = internal, FINALFUNC = crm_sales._holt_winters_serial);
CREATE AGGREGATE crm_sales._fz_km_ser(float8[], integer) (SFUNC = crm_sales._kmeans_trans,
    STYPE = internal, FINALFUNC = crm_sales._kmeans_serial);
CREATE AGGREGATE crm_sales._fz_rfm_ser(float8, float8, float8) (SFUNC = crm_sales._rfm_model_trans,
    STYPE = internal, FINALFUNC = crm_sales._rfm_model_serial);
CREATE AGGREGATE crm_sales._fz_bg_ser(float8, float8, float8) (SFUNC = crm_sales._bgnbd_fit_trans,
    STYPE = internal, FINALFUNC = crm_sales._clv_fit_serial);
CREATE AGGREGATE crm_sales._fz_gg_ser(float8, float8) (SFUNC = crm_sales._gamma_gamma_fit_trans,
    STYPE = internal, FINALFUNC = crm_sales._clv_fit_serial);
CREATE AGGREGATE crm_sales._fz_wf_ser(interval, timestamptz, boolean, boolean[]) (
    SFUNC = crm_sales._window_funnel_trans, STYPE = internal, FINALFUNC = crm_sales._window_funnel_serial);
CREATE AGGREGATE crm_sales._fz_fe_ser(interval, bigint, timestamptz, integer) (
    SFUNC = crm_sales._funnel_events_trans, STYPE = internal, FINALFUNC = crm_sales._funnel_events_serial);
CREATE AGGREGATE crm_sales._fz_fem_ser(interval, bigint, timestamptz, integer, text) (
    SFUNC = crm_sales._funnel_events_trans, STYPE = internal, FINALFUNC = crm_sales._funnel_events_serial);
CREATE AGGREGATE crm_sales._fz_seq_ser(text, timestamptz, boolean, boolean[]) (
    SFUNC = crm_sales._sequence_trans, STYPE = internal, FINALFUNC = crm_sales._sequence_serial);
CREATE AGGREGATE crm_sales._fz_nn_ser(text, text, timestamptz, text, boolean, boolean, boolean[]) (
    SFUNC = crm_sales._sequence_next_node_trans, STYPE = internal,
    FINALFUNC = crm_sales._sequence_next_node_serial);
"""


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--dsn", required=True)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--seconds", type=float, default=60)
    ap.add_argument("--helper", help="absolute path of fuzz_helper.so (internal states)")
    ap.add_argument("--repro", help="append a runnable statement per failure to this file")
    args = ap.parse_args()

    fz = Fuzzer(args.dsn, args.seed, args.seconds, args.helper, args.repro)
    with fz.conn.cursor() as cur:
        cur.execute(SETUP_SQL)
        if args.helper:
            cur.execute(SETUP_INTERNAL_SQL.replace("{so}", args.helper.replace("'", "''")))
    types, states, internals = setup(fz, args.helper)
    targets = [("type", t) for t in types] + [("state", s) for s in states] + \
              [("internal", i) for i in internals]
    for kind, t in targets:
        key = "seeds" if kind == "type" else "states"
        t[key] = [v for v in t[key] if v is not None]
    targets = [(kind, t) for kind, t in targets if t["seeds" if kind == "type" else "states"]]
    t0 = time.monotonic()
    rounds = fz.run(targets)
    print("# seed %d, %.1f s, %d rounds, %d statements" % (args.seed, time.monotonic() - t0, rounds, fz.calls))

    passed = failed = 0
    names = [("type " + t["name"]) for t in types] + [("aggregate " + s["name"]) for s in states] + \
            [("aggregate " + i["name"]) for i in internals]
    if "setup" in fz.failures:
        names.append("setup")
    for name in names:
        fails = fz.failures.get(name, [])
        cases = "%d cases, %d accepted" % (fz.cases.get(name, 0), fz.accepts.get(name, 0))
        known = KNOWN_FAILURES.get(name)
        if not fails and fz.cases.get(name, 0) > 0:
            print("ok - %s (%s)" % (name, cases))
            passed += 1
        elif fails and known:
            print("ok - %s (%s) # known failure, %d failing: %s" % (name, cases, len(fails), known))
            passed += 1
        else:
            print("not ok - %s (%s, %d failing)" % (name, cases, len(fails)))
            for kind, stmt, params, detail in fails[:5]:
                print("#   %s: %s" % (kind, detail.replace("\n", " ")[:300]))
                print("#     %s  -- params: %s" % (stmt.replace("\n", " ")[:300], show(params)[:300]))
            failed += 1
    for name, why in KNOWN_FAILURES.items():
        if name in fz.cases and not fz.failures.get(name):
            print("# known failure %s did not fail this run (%s)" % (name, why))
    print("# fuzz.py: %d passed, %d failed" % (passed, failed))
    return 0 if failed == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
