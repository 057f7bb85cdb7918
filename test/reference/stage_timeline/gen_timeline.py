#!/usr/bin/env python3
# Reference answers of crm_sales.stage_agg and its readers (time in stage)
# for test/sql/stage_timeline.sql.  Shares no code with src/.
#
#   python3 test/reference/stage_timeline/gen_timeline.py
# writes next to this file (seed fixed):
#   points.csv    entity, ts (microseconds after 2026-01-01 00:00 UTC), seq,
#                 stage: the rows given to stage_agg(ts, stage, seq)
#   totals.csv    entity, stage, duration_us, visits over the whole
#                 timeline, the last stretch ending at the last point
#   buckets.csv   entity, bucket (the month's first day, UTC), stage,
#                 duration_us, visits per calendar month 2026-01 .. 2026-06,
#                 the last stretch lasting to 2026-07-01; rows where the
#                 duration or the visits are not zero
#
# Definitions used here (docs/funnels.md, "Time in stage"), computed
# directly rather than through runs: points are ordered by (ts, seq,
# stage); the stage in force at time t is the stage of the last point at or
# before t; the time in stage s within [a, b) is the measure of the t in
# [a, b) where s is in force (and t is before the end: the last point, or
# the given end); a visit of s is a point of stage s whose predecessor in
# that order has another stage (or that has none), counted in [a, b) when
# its time is.
import csv
import datetime as dt
import os
import random

HERE = os.path.dirname(os.path.abspath(__file__))
EPOCH = dt.datetime(2026, 1, 1, tzinfo=dt.timezone.utc)
STAGES = ["lead", "contact", "proposal", "negotiation", "won", "lost stage"]


def us(d):
    """Microseconds from EPOCH to the datetime d."""
    delta = d - EPOCH
    return (delta.days * 86400 + delta.seconds) * 10**6 + delta.microseconds


MONTHS = [dt.datetime(2026, m, 1, tzinfo=dt.timezone.utc) for m in range(1, 8)]
SPAN = us(MONTHS[-1]) - 1


def in_force(points, t):
    """The stage of the last point at or before t, or None."""
    s = None
    for p in points:
        if p[0] <= t:
            s = p[2]
    return s


def durations(points, a, b, end):
    """Per stage, the time it is in force within [a, min(b, end))."""
    out = {}
    hi = min(b, end)
    # the stage in force is constant between consecutive distinct times
    cuts = sorted({a, hi} | {p[0] for p in points if a < p[0] < hi})
    for lo, up in zip(cuts, cuts[1:]):
        s = in_force(points, lo)
        if s is not None and up > lo:
            out[s] = out.get(s, 0) + (up - lo)
    return out


def visits(points, a, b):
    """Per stage, its points in [a, b) whose predecessor has another stage."""
    out = {}
    for i, p in enumerate(points):
        if (i == 0 or points[i - 1][2] != p[2]) and a <= p[0] < b:
            out[p[2]] = out.get(p[2], 0) + 1
    return out


def main():
    rng = random.Random(20261205)
    rows = []
    for e in range(1, 201):
        n = rng.randint(1, 12)
        pts = []
        for _ in range(n):
            if pts and rng.random() < 0.15:
                ts = pts[-1][0]             # a tie, told apart by seq
            else:
                ts = rng.randrange(0, SPAN)
            pts.append((ts, rng.randint(0, 3), rng.choice(STAGES)))
        rows.extend((e, p) for p in pts)
    with open(os.path.join(HERE, "points.csv"), "w", newline="") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(["entity", "ts", "seq", "stage"])
        for e, p in rows:
            w.writerow([e, p[0], p[1], p[2]])
    by_entity = {}
    for e, p in rows:
        by_entity.setdefault(e, []).append(p)
    with open(os.path.join(HERE, "totals.csv"), "w", newline="") as f, \
            open(os.path.join(HERE, "buckets.csv"), "w", newline="") as g:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(["entity", "stage", "duration_us", "visits"])
        wb = csv.writer(g, lineterminator="\n")
        wb.writerow(["entity", "bucket", "stage", "duration_us", "visits"])
        for e in sorted(by_entity):
            pts = sorted(by_entity[e], key=lambda p: (p[0], p[1], p[2].encode()))
            last = pts[-1][0]
            d = durations(pts, pts[0][0], last + 1, last)
            v = visits(pts, pts[0][0], last + 1)
            for s in sorted({p[2] for p in pts}, key=str.encode):
                w.writerow([e, s, d.get(s, 0), v.get(s, 0)])
            end = us(MONTHS[-1])
            for m0, m1 in zip(MONTHS, MONTHS[1:]):
                a, b = us(m0), us(m1)
                d = durations(pts, a, b, max(end, last))
                v = visits(pts, a, b)
                for s in sorted(set(d) | set(v), key=str.encode):
                    if d.get(s, 0) or v.get(s, 0):
                        wb.writerow([e, m0.strftime("%Y-%m-%d"), s, d.get(s, 0), v.get(s, 0)])


if __name__ == "__main__":
    main()
