#!/usr/bin/python3
"""clients.py: crm_sales as a BI tool or an application sees it, through a
real driver: psycopg 3 (Debian's python3-psycopg), which speaks both the
text and the binary protocol.

    /usr/bin/python3 test/clients/clients.py      (test/clients/clients.sh
                                                   starts the server)

Connects with the libpq environment (PGHOST, PGPORT, PGDATABASE, PGUSER)
to a database where crm_sales is installed, and checks:

1. every type of the extension (found in the catalog, so a new type cannot
   be forgotten), its array type too: read in text and in binary, the
   values are the server's text output and its send function's bytes;
   written back through a query parameter in text and in binary (the
   parameter typed with the type's OID), the stored value reads the same
   both ways; a binary COPY out and in through the driver keeps it;
2. the composite and enum types decoded by psycopg itself (register_composite,
   register_enum) are equal in both formats and can be written back;
3. the BI-facing functions called with parameters in both formats give the
   same results in both formats, checked against numbers computed here in
   Python from the rows this script inserted (conversion rates and funnel
   counts, the weighted pipeline, Holt-Winters point forecasts from the
   model's states, P(alive) from the BG/NBD closed form).
Prints "ok - ..." / "not ok - ..." and "clients: N passed, N failed".
"""

import datetime
import decimal
import math
import os
import sys

import psycopg
from psycopg.adapt import Dumper
from psycopg.pq import Format
from psycopg.types import TypeInfo
from psycopg.types.composite import CompositeInfo, register_composite
from psycopg.types.enum import EnumInfo, register_enum
from psycopg.types.json import Jsonb

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
from tap import Tap  # noqa: E402

tap = Tap("clients")
check = tap.check


def same(a, b):
    """Equality that treats NaN as equal to NaN, recursively."""
    if isinstance(a, float) and isinstance(b, float):
        return a == b or (math.isnan(a) and math.isnan(b))
    if isinstance(a, decimal.Decimal) and isinstance(b, decimal.Decimal):
        return a == b or (a.is_nan() and b.is_nan())
    if isinstance(a, (list, tuple)) and isinstance(b, (list, tuple)):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b))
    return a == b


def close(a, b, rel=1e-12):
    return a is not None and b is not None and abs(a - b) <= rel * max(1.0, abs(a), abs(b))


# ---------------------------------------------------------------- the data
# Deterministic rows, kept here too so that the expected numbers can be
# computed in Python.
STAGES = ["lead_generation", "initial_contact", "needs_analysis", "proposal",
          "negotiation", "closed_won", "closed_lost"]
PROBABILITY = {"lead_generation": 0.10, "initial_contact": 0.20, "needs_analysis": 0.40,
               "proposal": 0.60, "negotiation": 0.80, "closed_won": 1.00, "closed_lost": 0.00}
REGIONS = ["north", "south", "east"]


def deal_path(i):
    """The stages deal i moves through (an allowed path of sales_stage)."""
    depth = 1 + (i * 7) % 6          # 1..6 path stages reached
    path = STAGES[:depth]
    if i % 9 == 0 and depth < 6:     # some open deals are lost
        path = path + ["closed_lost"]
    return path


DEALS = [(i, REGIONS[i % 3], decimal.Decimal(1000 + (i * 373) % 9000) + decimal.Decimal("0.25"),
          deal_path(i)) for i in range(1, 91)]
SERIES = [(m, 200.0 + 12.0 * m + 30.0 * ((m % 4) - 1.5) + (m * 7 % 5)) for m in range(1, 41)]


def setup(conn):
    """Tables filled through parameters (enum values as text parameters),
    the trigger moving deals along their paths."""
    with conn.cursor() as cur:
        cur.execute("""
            CREATE TABLE deals (id int PRIMARY KEY, region text, amount numeric(12,2),
                                stage crm_sales.sales_stage NOT NULL);
            CREATE TRIGGER deals_stage BEFORE INSERT OR UPDATE OF stage ON deals
                FOR EACH ROW EXECUTE FUNCTION crm_sales.enforce_transition('stage', 'id');
            CREATE TABLE sales (month int, amount float8);
            CREATE TABLE customers (id int, frequency float8, recency float8, t float8,
                                    monetary float8);
        """)
        cur.executemany("INSERT INTO deals VALUES (%s, %s, %s, %s)",
                        [(i, r, a, p[0]) for i, r, a, p in DEALS])
        for step in range(1, 7):
            cur.executemany("UPDATE deals SET stage = %s WHERE id = %s",
                            [(p[step], i) for i, r, a, p in DEALS if len(p) > step])
        cur.executemany("INSERT INTO sales VALUES (%s, %s)", SERIES)
        cur.executemany("INSERT INTO customers VALUES (%s, %s, %s, %s, %s)",
                        [(c, c % 7, min(c % 7 * 5.5, 38.0), 38.0, 10.0 + c * 3.5)
                         for c in range(1, 31)])


# Samples of every type, by the type's name as regtype prints it with
# search_path = public.  A type of the extension missing here is
# a failing check: add a sample when adding a type.
SAMPLES = {
    "crm_sales.funnel": [
        "(SELECT crm_sales.funnel_agg(stage, amount) FROM deals)",
        "(SELECT crm_sales.funnel_agg(crm_sales.stage_position(stage)) FROM deals)",
        "'crm_sales.sales_stage{lead_generation=3/10.50,initial_contact=1/0.00,needs_analysis=0/0.00,"
        "proposal=0/0.00,negotiation=0/0.00,closed_won=0/0.00,closed_lost=1/2.00}'"],
    "crm_sales.forecast_model": [
        "(SELECT crm_sales.holt_winters(month, amount, 4) FROM sales)",
        "(SELECT crm_sales.holt_winters(month, amount, 4, 'multiplicative, damped') FROM sales)",
        "(SELECT crm_sales.ets(month, amount, 4, 'AAN') FROM sales)"],
    "crm_sales.linear_model": [
        "(SELECT crm_sales.ols(amount, ARRAY[month, month % 4]) FROM sales)",
        "(SELECT crm_sales.tslm(month, amount, 4) FROM sales)"],
    "crm_sales.rfm_model": [
        "(SELECT crm_sales.rfm_model(recency, frequency, monetary) FROM customers)",
        "(SELECT crm_sales.rfm_model(recency, frequency, monetary, 3) FROM customers)"],
    "crm_sales.rfm": ["'5-4-3'", "'1-9-2/9'", "crm_sales.rfm(2, 2, 1, 3)"],
    "crm_sales.bgnbd_model": [
        "crm_sales.bgnbd_model(0.243, 4.414, 0.793, 2.426)",
        "'(r=0.5,alpha=1e-300,a=2,b=3.5,loglik=-1234.5,n=100)'"],
    "crm_sales.gamma_gamma_model": [
        "crm_sales.gamma_gamma_model(6.25, 3.74, 15.44)",
        "(SELECT crm_sales.gamma_gamma_fit(frequency, monetary) FROM customers)"],
    "crm_sales.sales_stage": ["'proposal'", "'closed_lost'"],
    "crm_sales.lifecycle_stage": ["'loyal'", "'prospect'"],
    "crm_sales.contract_status": ["'pending_approval'", "'terminated'"],
    "crm_sales.pipeline_state": ["'(3,300.5,120.25,100,1,50.5,1,0,0,150,1,0,0)'"],
    "crm_sales.pipeline_forecast": [
        "(SELECT crm_sales.weighted_pipeline(amount, stage) FROM deals)",
        "(SELECT crm_sales.weighted_pipeline(amount, stage) FROM deals WHERE false)"],
    "crm_sales.accuracy_measures": [
        "(SELECT crm_sales.forecast_accuracy(amount, amount * 1.1 - 5, 7.5) FROM sales)",
        "(SELECT crm_sales.forecast_accuracy(amount, amount) FROM sales WHERE month < 3)"],
    "crm_sales.combined_forecast": [
        "(SELECT crm_sales.combine_forecast(p, p - 1, p + 1) FROM unnest(ARRAY[1.5, 2.5]) p)",
        "'(NaN,-Infinity,Infinity,0)'"],
    "crm_sales.deal_stats": [
        "(SELECT crm_sales.deal_stats(stage, amount, date '2025-01-01', date '2025-01-01' + id) FROM deals)",
        "(SELECT crm_sales.deal_stats(stage, amount, date '2025-01-01', NULL::date) FROM deals WHERE id < 5)"],
    "crm_sales.kmeans_result": [
        "(SELECT crm_sales.kmeans_fit(ARRAY[frequency, monetary], 2) FROM customers)",
        "(SELECT crm_sales.kmeans_fit(ARRAY[recency], 3, 7) FROM customers)"],
}


def extension_types(conn):
    """The types that are members of the extension: (oid, name, typtype,
    array oid, send function)."""
    with conn.cursor() as cur:
        cur.execute("""
            SELECT t.oid, t.oid::regtype::text, t.typtype, t.typarray, t.typsend::regproc::text
              FROM pg_type t
              JOIN pg_depend d ON d.classid = 'pg_type'::regclass AND d.objid = t.oid
                              AND d.deptype = 'e' AND d.refclassid = 'pg_extension'::regclass
              JOIN pg_extension e ON e.oid = d.refobjid AND e.extname = 'crm_sales'
             ORDER BY 2""")
        return cur.fetchall()


def raw_adapters(conn, oid):
    """Python classes whose values psycopg sends as they are, typed with the
    OID of the type: one as text, one in binary."""
    text_cls = type("Text%d" % oid, (str,), {})
    bin_cls = type("Binary%d" % oid, (bytes,), {})
    text_dumper = type("TextDumper%d" % oid, (Dumper,),
                       {"oid": oid, "format": Format.TEXT,
                        "dump": lambda self, obj: obj.encode("utf-8")})
    bin_dumper = type("BinaryDumper%d" % oid, (Dumper,),
                      {"oid": oid, "format": Format.BINARY,
                       "dump": lambda self, obj: bytes(obj)})
    conn.adapters.register_dumper(text_cls, text_dumper)
    conn.adapters.register_dumper(bin_cls, bin_dumper)
    return text_cls, bin_cls


def round_trip(conn, name, oid, send, samples):
    """Section 1 for one type (or array type): read, write back, COPY."""
    text_cls, bin_cls = raw_adapters(conn, oid)
    table = "rt_%d" % oid
    with conn.cursor() as cur:
        cur.execute("CREATE TABLE %s (id int, v %s)" % (table, name))
        for k, expr in enumerate(samples):
            cur.execute("INSERT INTO %s VALUES (%d, %s)" % (table, k, expr))
        rows = cur.execute("SELECT id, v, v::text, %s(v) FROM %s ORDER BY id" % (send, table)).fetchall()
        brows = cur.execute("SELECT id, v FROM %s ORDER BY id" % table, binary=True).fetchall()
        bad = [r[0] for r in rows if not (isinstance(r[1], str) and r[1] == r[2])]
        check(not bad, "%s: %d values read in text are the server's text output" % (name, len(rows)), bad)
        bad = [r[0] for r, b in zip(rows, brows) if not (isinstance(b[1], bytes) and b[1] == r[3])]
        check(not bad, "%s: read in binary, they are the bytes of %s" % (name, send), bad)

        for k, (r, b) in enumerate(zip(rows, brows)):
            cur.execute("INSERT INTO %s VALUES (%%t, %%t)" % table, (1000 + k, text_cls(r[1])))
            cur.execute("INSERT INTO %s VALUES (%%t, %%b)" % table, (2000 + k, bin_cls(b[1])))
        back = cur.execute("""
            SELECT o.id, w.id, w.v::text = o.v::text, %s(w.v) = %s(o.v)
              FROM %s o JOIN %s w ON w.id IN (o.id + 1000, o.id + 2000)
             WHERE o.id < 1000 ORDER BY 1, 2""" % (send, send, table, table)).fetchall()
        bad = [r for r in back if not (r[2] and r[3])]
        check(len(back) == 2 * len(rows) and not bad,
              "%s: written back through a text and a binary parameter, each value reads the same "
              "(text form and send bytes)" % name, bad)
        # what was written in binary, read in text, and the other way round
        xt = cur.execute("SELECT v FROM %s WHERE id >= 2000 ORDER BY id" % table).fetchall()
        xb = cur.execute("SELECT v FROM %s WHERE id >= 1000 AND id < 2000 ORDER BY id" % table,
                         binary=True).fetchall()
        check([x[0] for x in xt] == [r[1] for r in rows] and [x[0] for x in xb] == [b[1] for b in brows],
              "%s: written in binary then read in text, and written in text then read in binary, "
              "give the first reads" % name)

        # binary COPY out and back in through the driver
        with cur.copy("COPY (SELECT id, v FROM %s WHERE id < 1000) TO STDOUT (FORMAT binary)" % table) as cp:
            data = b"".join(bytes(chunk) for chunk in cp)
        cur.execute("CREATE TABLE %s_copy (id int, v %s)" % (table, name))
        with cur.copy("COPY %s_copy FROM STDIN (FORMAT binary)" % table) as cp:
            cp.write(data)
        n = cur.execute("""SELECT count(*) FROM %s o FULL JOIN %s_copy c USING (id)
                            WHERE o.id < 1000 AND (c.v::text IS DISTINCT FROM o.v::text
                                                   OR %s(c.v) IS DISTINCT FROM %s(o.v))"""
                        % (table, table, send, send)).fetchone()[0]
        check(n == 0, "%s: binary COPY out and in through the driver keeps every value" % name,
              "%d rows differ" % n)


def typed(conn, types):
    """Section 2: composites and enums decoded by psycopg, in both formats."""
    decoded = []
    for oid, name, typtype, arr, send in types:
        if typtype == "c":
            register_composite(CompositeInfo.fetch(conn, name), conn)
        elif typtype == "e":
            register_enum(EnumInfo.fetch(conn, name), conn)
        else:
            continue
        decoded.append((oid, name))
    # a cursor opened after the registrations uses them
    with conn.cursor() as cur:
        for oid, name in decoded:
            table = "rt_%d" % oid
            t = [r[0] for r in cur.execute("SELECT v FROM %s WHERE id < 1000 ORDER BY id" % table)]
            b = [r[0] for r in cur.execute("SELECT v FROM %s WHERE id < 1000 ORDER BY id" % table,
                                           binary=True)]
            check(same(t, b) and all(not isinstance(x, (str, bytes)) for x in t),
                  "%s: psycopg decodes it (%s) and text and binary give equal values"
                  % (name, type(t[0]).__name__), (t, b))
            for fmt, ph in (("text", "%t"), ("binary", "%b")):
                cur.execute("CREATE TEMP TABLE typed_back (v %s)" % name)
                for x in t:
                    cur.execute("INSERT INTO typed_back VALUES (%s)" % ph, (x,))
                n = cur.execute("""SELECT count(*) FROM (SELECT v::text FROM %s WHERE id < 1000
                                   EXCEPT ALL SELECT v::text FROM typed_back) q""" % table).fetchone()[0]
                m = cur.execute("SELECT count(*) FROM typed_back").fetchone()[0]
                check(n == 0 and m == len(t),
                      "%s: the decoded values written back as %s parameters are the stored ones" % (name, fmt))
                cur.execute("DROP TABLE typed_back")


def both(cur, query, params=()):
    """Run a query with results in text and in binary; return both."""
    t = cur.execute(query, params).fetchall()
    b = cur.execute(query, params, binary=True).fetchall()
    return t, b


def bi_functions(conn, rawcls):
    """Section 3: the functions a BI tool calls, parameters in both formats."""
    cur = conn.cursor()
    f_text = cur.execute("SELECT crm_sales.funnel_agg(stage, amount) FROM deals").fetchone()[0]
    f_bin = cur.execute("SELECT crm_sales.funnel_agg(stage, amount) FROM deals", binary=True).fetchone()[0]
    tcls, bcls = rawcls["crm_sales.funnel"]

    # snapshot funnel, computed here: a deal reached every path stage up to
    # its current one; a lost deal counts only in closed_lost
    final = {i: p[-1] for i, r, a, p in DEALS}
    reached = {s: 0 for s in STAGES}
    amount = {s: decimal.Decimal(0) for s in STAGES}
    for i, r, a, p in DEALS:
        if final[i] == "closed_lost":
            reached["closed_lost"] += 1
            amount["closed_lost"] += a
        else:
            for s in STAGES[:STAGES.index(final[i]) + 1]:
                reached[s] += 1
                amount[s] += a
    for fmt, ph, val in (("text", "%t", tcls(f_text)), ("binary", "%b", bcls(f_bin))):
        t, b = both(cur, "SELECT crm_sales.conversion_rate(%s, %%s, %%s)" % ph,
                    (val, "initial_contact", "closed_won"))
        want = reached["closed_won"] / reached["initial_contact"]
        check(t == b and close(t[0][0], want),
              "conversion_rate(funnel as a %s parameter): %r in both formats = %d/%d computed here"
              % (fmt, t[0][0], reached["closed_won"], reached["initial_contact"]), (t, b, want))
        t, b = both(cur, """SELECT position, stage, reached, amount, conversion_from_previous
                              FROM crm_sales.funnel_steps(%s) ORDER BY position""" % ph, (val,))
        got = {r[1]: (r[2], r[3]) for r in t}
        check(same(t, b) and got == {s: (reached[s], amount[s]) for s in STAGES},
              "funnel_steps(funnel as a %s parameter): stages, counts and numeric amounts equal in "
              "both formats and to the counts computed here" % fmt, (t, b))

    # weighted pipeline: sum of amount x stage probability, computed here
    t, b = both(cur, "SELECT (crm_sales.weighted_pipeline(amount, stage)).* FROM deals")
    weighted = sum(a * decimal.Decimal(str(PROBABILITY[final[i]])) for i, r, a, p in DEALS)
    total = sum(a for i, r, a, p in DEALS)
    cols = [c.name for c in cur.description]
    row = dict(zip(cols, t[0]))
    check(same(t, b) and row["deals"] == len(DEALS) and row["total"] == total
          and row["weighted"] == weighted,
          "weighted_pipeline: deals %d, total %s, weighted %s in both formats = computed here"
          % (row["deals"], row["total"], row["weighted"]), (row, weighted))

    # Holt-Winters: point forecasts from the model's own states
    fm_text = cur.execute("SELECT crm_sales.holt_winters(month, amount, 4) FROM sales").fetchone()[0]
    fm_bin = cur.execute("SELECT crm_sales.holt_winters(month, amount, 4) FROM sales",
                         binary=True).fetchone()[0]
    js = cur.execute("SELECT %t::crm_sales.forecast_model::jsonb", (fm_text,)).fetchone()[0]
    ftc, fbc = rawcls["crm_sales.forecast_model"]
    for fmt, ph, val in (("text", "%t", ftc(fm_text)), ("binary", "%b", fbc(fm_bin))):
        t, b = both(cur, "SELECT step, period, point, lower, upper, level FROM crm_sales.forecast(%s, %%s, %%s)"
                    % ph, (val, 6, 0.9))
        want = [js["level"] + h * js["slope"] + js["season"][(h - 1) % 4] for h in range(1, 7)]
        check(same(t, b) and len(t) == 6 and all(close(r[2], w, 1e-9) for r, w in zip(t, want))
              and all(r[3] < r[2] < r[4] and r[5] == 0.9 for r in t),
              "forecast(model as a %s parameter, 6, 0.9): equal in both formats; points = level + h x "
              "slope + season from the model's jsonb" % fmt, (t, want))

    # BG/NBD P(alive), closed form (Fader, Hardie & Lee 2005)
    bg_text = cur.execute("SELECT crm_sales.bgnbd_model(0.243, 4.414, 0.793, 2.426)").fetchone()[0]
    bg_bin = cur.execute("SELECT crm_sales.bgnbd_model(0.243, 4.414, 0.793, 2.426)", binary=True).fetchone()[0]
    btc, bbc = rawcls["crm_sales.bgnbd_model"]
    r_, alpha, a_, b_ = 0.243, 4.414, 0.793, 2.426
    for x, tx, T in ((2, 30.43, 38.86), (0, 0.0, 38.86), (7, 35.0, 38.86)):
        want = 1.0 if x == 0 else 1.0 / (1.0 + a_ / (b_ + x - 1) * ((alpha + T) / (alpha + tx)) ** (r_ + x))
        for fmt, ph, val in (("text", "%t", btc(bg_text)), ("binary", "%b", bbc(bg_bin))):
            t, b = both(cur, "SELECT crm_sales.p_alive(%s, %%s, %%s, %%s)" % ph, (val, x, tx, T))
            check(t == b and close(t[0][0], want, 1e-12),
                  "p_alive(model as a %s parameter, %g, %g, %g) = %.15g in both formats, closed form %.15g"
                  % (fmt, x, tx, T, t[0][0], want), (t, b))

    # RFM scores from the window function, read as text and as bytes, and
    # scores of the stored thresholds
    t, b = both(cur, """SELECT id, crm_sales.rfm_score(recency, frequency, monetary) OVER ()
                          FROM customers ORDER BY id""")
    rtc, rbc = rawcls["crm_sales.rfm"]
    back_t = cur.execute("SELECT array_agg(x::text ORDER BY o) FROM unnest(%t::text[]::crm_sales.rfm[]) "
                         "WITH ORDINALITY u(x, o)", ([r[1] for r in t],)).fetchone()[0]
    check(len(t) == 30 and all(isinstance(r[1], str) for r in t) and all(isinstance(r[1], bytes) for r in b)
          and back_t == [r[1] for r in t],
          "rfm_score() OVER (): 30 scores read in text ('5-4-3') and binary; the text forms parse back")
    n = 0
    for (i, st), (j, sb) in zip(t, b):
        same_value = cur.execute("SELECT %t::crm_sales.rfm OPERATOR(crm_sales.=) %b",
                                 (rtc(st), rbc(sb))).fetchone()[0]
        n += bool(same_value)
    check(n == 30, "rfm_score(): each score read in text equals the one read in binary (rfm's = operator)")
    rm = cur.execute("SELECT crm_sales.rfm_model(recency, frequency, monetary) FROM customers",
                     binary=True).fetchone()[0]
    mtc, mbc = rawcls["crm_sales.rfm_model"]
    t, b = both(cur, "SELECT crm_sales.rfm_score(%b, %s, %s, %s)::text", (mbc(rm), 3.0, 4.0, 120.0))
    t2 = cur.execute("""SELECT crm_sales.rfm_score(crm_sales.rfm_model(recency, frequency, monetary),
                                                    3.0, 4.0, 120.0)::text FROM customers""").fetchall()
    check(t == b == t2, "rfm_score(model as a binary parameter, ...) = the score of the model computed "
          "in the query (%s)" % t[0][0], (t, b, t2))

    # a linear model, a float8[] parameter, and jsonb, date and numeric parameters
    lm = cur.execute("SELECT crm_sales.ols(amount, ARRAY[month]) FROM sales", binary=True).fetchone()[0]
    ltc, lbc = rawcls["crm_sales.linear_model"]
    coef = dict((r[0], r[1]) for r in cur.execute("SELECT term, estimate FROM crm_sales.coefficients(%b)",
                                                  (lbc(lm),)))
    for fmt, ph in (("text", "%t"), ("binary", "%b")):
        t, b = both(cur, "SELECT point FROM crm_sales.predict(%%b, %s)" % ph, (lbc(lm), [50.0]))
        check(t == b and close(t[0][0], coef["(Intercept)"] + 50.0 * coef["x1"], 1e-12),
              "predict(model, float8[] as a %s parameter) = intercept + 50 x slope of coefficients()" % fmt,
              (t, b, coef))
    cur.execute("""INSERT INTO crm_sales.lead_score_rule_set VALUES ('clients', 'client suite');
                   INSERT INTO crm_sales.lead_score_rule VALUES
                     ('clients', 1, '{visits}', '>=', '3', 10, 'positive', NULL),
                     ('clients', 2, '{email}', 'contains', '"@example."', 4, 'negative', NULL)""")
    for fmt, ph in (("text", "%t"), ("binary", "%b")):
        t, b = both(cur, "SELECT crm_sales.lead_score('clients', %s)" % ph,
                    (Jsonb({"visits": 5, "email": "a@example.org"}),))
        check(t == b == [(6,)], "lead_score(rule set, jsonb as a %s parameter) = 10 - 4" % fmt, (t, b))
    for fmt, ph in (("text", "%t"), ("binary", "%b")):
        t, b = both(cur, "SELECT crm_sales.month_number(%s)" % ph, (datetime.date(2024, 7, 15),))
        check(t == b == [(2024 * 12 + 6,)], "month_number(date as a %s parameter) = 2024 x 12 + 6" % fmt, (t, b))
        t, b = both(cur, "SELECT final, factor FROM crm_sales.adjust_forecast(%s, %s, %s)" % (ph, ph, ph),
                    (datetime.date(2024, 7, 1), "north", decimal.Decimal("1234.56")))
        check(t == b == [(decimal.Decimal("1234.56"), decimal.Decimal(1))],
              "adjust_forecast(date, text, numeric as %s parameters): numeric results exact" % fmt, (t, b))
    cur.close()


def main():
    conn = psycopg.connect("", autocommit=True)
    conn.execute("SET search_path = public")
    print("# psycopg %s, libpq %s, server %s" % (psycopg.__version__, psycopg.pq.version(),
                                                 conn.info.server_version))
    setup(conn)
    types = extension_types(conn)
    names = [t[1] for t in types]
    missing = sorted(set(names) - set(SAMPLES))
    check(not missing, "every type of the extension (%d) has samples in this suite" % len(names),
          "no samples for: " + ", ".join(missing))
    rawcls = {}
    for oid, name, typtype, arr, send in types:
        if name not in SAMPLES:
            continue
        round_trip(conn, name, oid, send, SAMPLES[name])
        rawcls[name] = raw_adapters(conn, oid)
        # its array type: the samples in one array, and NULL and empty arrays
        arr_name = conn.execute("SELECT %s::regtype::text", (arr,)).fetchone()[0]
        arr_send = conn.execute("SELECT typsend::regproc::text FROM pg_type WHERE oid = %s",
                                (arr,)).fetchone()[0]
        round_trip(conn, arr_name, arr, arr_send,
                   ["ARRAY[%s]::%s" % (", ".join(SAMPLES[name]), arr_name),
                    "ARRAY[NULL, %s]::%s" % (SAMPLES[name][0], arr_name),
                    "'{}'::%s" % arr_name])
    typed(conn, [t for t in types if t[1] in SAMPLES])
    bi_functions(conn, rawcls)
    conn.close()
    return tap.summary()


if __name__ == "__main__":
    sys.exit(main())
