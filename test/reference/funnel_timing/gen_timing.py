#!/usr/bin/env python3
# Reference answers of crm_sales.funnel_timing (time to convert per step)
# for test/sql/funnel_timing.sql.  Shares no code with src/.
#
#   python3 test/reference/funnel_timing/gen_timing.py
# writes next to this file (seed fixed):
#   events.csv    entity, ts (microseconds after 2026-01-01 00:00 UTC), c1..c4
#   chains.csv    variant, entity, level, then per step k = 2..4 the time
#                 from step k-1 to step k and (k >= 3) from step 1 to step k,
#                 in microseconds (empty past the level)
#   sketch.csv    variant, step, kind (prev / first), the median and p90 a
#                 log-linear histogram with 128 buckets per power of two
#                 gives (rule of docs/funnels.md; exact values when there
#                 are at most 128 distinct durations), and for the bin
#                 edges 1 min, 1 h, 1 day, 7 days the count per bin and
#                 whether it is exact, by that same rule
#
# Which chain (docs/funnels.md, "Time to convert"): events become one
# (ts, step) item per true condition, in time order, equal times in
# ascending step order (descending with ties_descending).  A valid chain of
# level k is items i1 < ... < ik of steps 1..k with ts(ik) - ts(i1) <=
# window.  The deepest level L is the largest with a valid chain; the
# credited chain ends at the first item ending a valid L-chain when L is
# the number of steps (the funnel completed), at the last one otherwise;
# going back, each step takes the latest item that still belongs to a valid
# chain ending there.  For the default mode and ties_descending this is
# computed here by a search over every chain (best_start below), a
# definition independent of the one-pass scan in C.  The strict modes
# (strict_order, strict_deduplication, strict_increase) stop or skip by
# rules of the scan itself (ClickHouse's getEventLevel), so for them this
# file runs its own transcription of that scan with the chain of every
# level kept (scan below).
import math
import os
import random

NSTEPS = 4
EXACT_MAX = 128     # most distinct durations kept exactly
HERE = os.path.dirname(os.path.abspath(__file__))
DAY = 86400 * 10**6

# variant -> (window in microseconds, mode text of the SQL call)
VARIANTS = [
    ("default_7d", 7 * DAY, "default"),
    ("default_30d", 30 * DAY, "default"),
    ("desc_7d", 7 * DAY, "ties_descending"),
    ("increase_7d", 7 * DAY, "strict_increase"),
    ("order_30d", 30 * DAY, "strict_order"),
    ("dedup_30d", 30 * DAY, "strict_deduplication"),
]


def items_of(rows, desc, with_zero):
    """(ts, step) items in the tie order; step 0 for a row of no step."""
    items = []
    for ts, mask in rows:
        if mask == 0:
            if with_zero:
                items.append((ts, 0))
            continue
        for k in range(1, NSTEPS + 1):
            if mask & (1 << (k - 1)):
                items.append((ts, k))
    # rows of no step come first at a timestamp, then steps in tie order
    items.sort(key=lambda it: (it[0], 0 if it[1] == 0 else 1,
                               -it[1] if desc else it[1]))
    return items


def search(rows, window, desc):
    """Level and chain times by search over every valid chain."""
    items = items_of(rows, desc, False)
    n = len(items)
    # best[k][i]: latest start of a valid chain of steps 1..k ending at i
    best = [[None] * n for _ in range(NSTEPS + 1)]
    for k in range(1, NSTEPS + 1):
        for i, (t, s) in enumerate(items):
            if s != k:
                continue
            if k == 1:
                best[1][i] = t
                continue
            cands = [best[k - 1][j] for j in range(i)
                     if items[j][1] == k - 1 and best[k - 1][j] is not None
                     and t - best[k - 1][j] <= window]
            if cands:
                best[k][i] = max(cands)
    level = max([k for k in range(1, NSTEPS + 1)
                 if any(b is not None for b in best[k])], default=0)
    if level == 0:
        return 0, []
    ends = [i for i in range(n) if best[level][i] is not None]
    end = ends[0] if level == NSTEPS else ends[-1]
    floor = items[end][0] - window
    path = [items[end][0]]
    for k in range(level - 1, 0, -1):
        end = max(j for j in range(end) if items[j][1] == k
                  and best[k][j] is not None and best[k][j] >= floor)
        path.append(items[end][0])
    return level, path[::-1]


def scan(rows, window, order, dedup, increase):
    """Level and chain times by the one-pass scan, chains kept per level."""
    items = items_of(rows, False, order)
    first = [None] * NSTEPS     # step-1 time of the chain of each level
    last = [None] * NSTEPS      # time that chain reached the level
    chain = [None] * NSTEPS     # its step times
    reached = 0
    started = False
    for t, s in items:
        idx = s - 1
        if idx == -1:
            if order and started:
                break
            continue
        if idx == 0:
            first[0], last[0], chain[0] = t, t, [t]
            reached = max(reached, 1)
            started = True
        elif dedup and reached > idx:
            break
        elif order and started and reached < idx:
            break
        elif reached >= idx:
            ok = t - first[idx - 1] <= window
            if increase and not last[idx - 1] < t:
                ok = False
            if ok:
                first[idx], last[idx] = first[idx - 1], t
                chain[idx] = chain[idx - 1] + [t]
                reached = max(reached, idx + 1)
                if idx + 1 == NSTEPS:
                    break
    return reached, (chain[reached - 1] if reached else [])


def bucket(v):
    """Bucket of duration v: exact below 256, then 128 per power of two."""
    if v < 256:
        return v, v
    k = v.bit_length() - 1
    w = 1 << (k - 7)
    lo = (v >> (k - 7)) << (k - 7)
    return lo, lo + w - 1


def sketch_quantile(vals, p):
    """percentile_disc rank; exact for at most 128 distinct durations and
    at the ends, else the bucket midpoint."""
    vals = sorted(vals)
    n = len(vals)
    r = max(1, math.ceil(p * n))  # as percentile_disc: ceil(p * n) in doubles
    if len(set(vals)) <= EXACT_MAX:
        return vals[r - 1]
    if r <= 1:
        return vals[0]
    if r >= n:
        return vals[-1]
    lo, hi = bucket(vals[r - 1])
    mid = lo + (hi - lo) // 2
    return min(max(mid, vals[0]), vals[-1])


def sketch_bins(vals, edges):
    """Counts per bin by the bucket representative, and exactness flags."""
    counts = [0] * (len(edges) + 1)
    exact = [True] * (len(edges) + 1)
    vmin, vmax = min(vals), max(vals)
    if len(set(vals)) <= EXACT_MAX:
        for v in vals:
            counts[sum(1 for e in edges if e <= v)] += 1
        return counts, exact
    for v in vals:
        lo, hi = bucket(v)
        mid = min(max(lo + (hi - lo) // 2, vmin), vmax)
        counts[sum(1 for e in edges if e <= mid)] += 1
        lo, hi = max(lo, vmin), min(hi, vmax)
        for j, e in enumerate(edges):
            if lo < e <= hi:
                exact[j] = exact[j + 1] = False
    return counts, exact


def gen_rows(rng):
    """One entity's rows: (ts, mask) with ties, repeats, multi-step rows."""
    rows = []
    t = rng.randrange(0, 60 * DAY)
    step = 1
    for _ in range(rng.randrange(1, 13)):
        r = rng.random()
        if r < 0.12:
            gap = 0                                   # a tie
        elif r < 0.45:
            gap = rng.randrange(1, 3600 * 10**6)      # within the hour
        elif r < 0.8:
            gap = rng.randrange(3600 * 10**6, 3 * DAY)
        else:
            gap = rng.randrange(3 * DAY, 25 * DAY)
        t += gap
        r = rng.random()
        if r < 0.55:
            mask = 1 << (step - 1)                    # the next step
            step = step % NSTEPS + 1 if rng.random() < 0.8 else step
        elif r < 0.7:
            mask = 1 << rng.randrange(NSTEPS)         # any step
        elif r < 0.8:
            mask = rng.randrange(1, 1 << NSTEPS)      # several steps
        elif r < 0.9:
            mask = 1                                  # a new start
        else:
            mask = 0                                  # no step
        rows.append((t, mask))
    rng.shuffle(rows)
    return rows


def main():
    rng = random.Random(20261205)
    entities = {e: gen_rows(rng) for e in range(1, 1201)}
    with open(os.path.join(HERE, "events.csv"), "w") as f:
        f.write("entity,ts,c1,c2,c3,c4\n")
        for e, rows in entities.items():
            for ts, mask in rows:
                f.write("%d,%d,%s\n" % (e, ts, ",".join(
                    str((mask >> k) & 1) for k in range(NSTEPS))))
    edges = [60 * 10**6, 3600 * 10**6, DAY, 7 * DAY]
    with open(os.path.join(HERE, "chains.csv"), "w") as f, \
            open(os.path.join(HERE, "sketch.csv"), "w") as g:
        f.write("variant,entity,level,prev2,prev3,first3,prev4,first4\n")
        g.write("variant,step,kind,n,median,p90,bins,exact\n")
        for name, window, mode in VARIANTS:
            gaps = {}
            for e, rows in entities.items():
                if mode in ("default", "ties_descending"):
                    level, path = search(rows, window, mode == "ties_descending")
                else:
                    level, path = scan(rows, window, mode == "strict_order",
                                       mode == "strict_deduplication",
                                       mode == "strict_increase")
                cols = {}
                for k in range(2, level + 1):
                    cols["prev%d" % k] = path[k - 1] - path[k - 2]
                    if k >= 3:
                        cols["first%d" % k] = path[k - 1] - path[0]
                for c, v in cols.items():
                    gaps.setdefault(c, []).append(v)
                f.write("%s,%d,%d,%s\n" % (name, e, level, ",".join(
                    str(cols.get(c, "")) for c in
                    ("prev2", "prev3", "first3", "prev4", "first4"))))
            for c in ("prev2", "prev3", "first3", "prev4", "first4"):
                vals = gaps.get(c, [])
                if not vals:
                    continue
                counts, exact = sketch_bins(vals, edges)
                g.write("%s,%s,%s,%d,%d,%d,\"{%s}\",\"{%s}\"\n" % (
                    name, c[-1], c[:-1], len(vals),
                    sketch_quantile(vals, 0.5), sketch_quantile(vals, 0.9),
                    ",".join(map(str, counts)),
                    ",".join("t" if x else "f" for x in exact)))


if __name__ == "__main__":
    main()
