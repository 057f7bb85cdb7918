#!/usr/bin/env python3
# Reference answers of windowFunnel's modes (strict_order,
# strict_deduplication, strict_increase, allow_reentry, strict_once) for
# test/sql/window_funnel_modes.sql.
#
# The Debian ClickHouse (18.16) predates these modes, so this is a direct
# transcription into Python of getEventLevel() of ClickHouse's current source
# (src/AggregateFunctions/AggregateFunctionWindowFunnel.cpp, non-strict_once
# path): events are one (timestamp, step) item per true condition of a row,
# plus (timestamp, 0) for a row with no true condition in strict_order mode;
# they are sorted by (timestamp, step); a step-1 item starts a chain; a step-k
# item extends the chain that reached k-1 when it is at most `window` after
# that chain's step-1 item.  allow_reentry (strict_order only): a step whose
# predecessor was not reached yet is skipped instead of ending the search.
# strict_once follows getEventLevelStrictOnce (a list of chains per level,
# each with the rows it used: a row counts once per chain).
# It shares no code with src/core/funnel/window_funnel.c.
#
#   python3 test/reference/clickhouse/modes/ch_modes_reference.py
# writes rows.csv (entity, ts seconds, c1..c4) and expected.csv
# (mode, window seconds, entity, level) next to this file (seed fixed).
import os
import random

NSTEPS = 4


def level(events, window, strict_order, dedup, increase, reentry=0):
    if not events:
        return 0
    if not strict_order and NSTEPS == 1:
        return 1
    ets = [None] * NSTEPS      # per level: (first ts of chain, ts reached)
    first_event = False
    for t, s in sorted(events):
        idx = s - 1
        if idx == -1:
            if strict_order and first_event:
                break
            continue
        if idx == 0:
            ets[0] = (t, t)
            first_event = True
        elif dedup and ets[idx] is not None:
            break               # current source: the deepest level reached
        elif strict_order and first_event and ets[idx - 1] is None:
            if reentry:
                continue        # allow_reentry: the early step is skipped
            break               # the first level not reached = levels reached
        elif ets[idx - 1] is not None:
            first_ts = ets[idx - 1][0]
            ok = t <= first_ts + window
            if increase:
                ok = ok and ets[idx - 1][1] < t
            if ok:
                ets[idx] = (first_ts, t)
                if idx + 1 == NSTEPS:
                    break
    return max([k + 1 for k in range(NSTEPS) if ets[k] is not None], default=0)


def level_once(items, window, strict_order, dedup, increase, reentry=0):
    """strict_once (getEventLevelStrictOnce): items are (ts, step, row);
    every chain is kept per level with the rows it used; a row may appear
    once in a chain; a chain out of the window is dropped when met, as long
    as its level keeps another."""
    if not items:
        return 0
    if not strict_order and NSTEPS == 1:
        return 1
    seqs = [[] for _ in range(NSTEPS)]     # per level: [first, last, rows]
    has_first = False

    def deepest():
        return max([k + 1 for k in range(NSTEPS) if seqs[k]], default=0)

    for t, s, row in sorted(items):
        idx = s - 1
        if idx == -1:
            if strict_order and has_first:
                break
            continue
        if idx == 0:
            seqs[0].append([t, t, [row]])
            has_first = True
        elif dedup and seqs[idx]:
            return deepest()
        elif strict_order and has_first and not seqs[idx - 1]:
            if reentry:
                continue
            return min(k for k in range(NSTEPS) if not seqs[k])
        elif seqs[idx - 1]:
            prev = seqs[idx - 1]
            j = 0
            while j < len(prev):
                first, last, rows = prev[j]
                ok = t <= first + window
                if not ok and len(prev) > 1:
                    del prev[j]
                    continue
                if ok and row in rows:
                    ok = False
                if ok and increase:
                    ok = last < t
                if ok:
                    seqs[idx].append([first, t, rows + [row]])
                    if idx + 1 == NSTEPS:
                        return NSTEPS
                j += 1
    return deepest()


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    rng = random.Random(20261128)
    rows = []
    for e in range(1, 301):
        for _ in range(rng.randint(1, 12)):
            rows.append((e, rng.randint(0, 15),
                         [1 if rng.random() < 0.3 else 0 for _ in range(NSTEPS)]))
    with open(os.path.join(here, "rows.csv"), "w") as f:
        f.write("entity,ts,c1,c2,c3,c4\n")
        for e, t, c in rows:
            f.write("%d,%d,%s\n" % (e, t, ",".join(map(str, c))))
    modes = [("default", 0, 0, 0, 0), ("strict_order", 1, 0, 0, 0),
             ("strict_deduplication", 0, 1, 0, 0), ("strict_increase", 0, 0, 1, 0),
             ("strict_order strict_deduplication strict_increase", 1, 1, 1, 0),
             ("strict_order allow_reentry", 1, 0, 0, 1),
             ("strict_order strict_deduplication allow_reentry", 1, 1, 0, 1),
             ("strict_once", 0, 0, 0, 0), ("strict_once strict_order", 1, 0, 0, 0),
             ("strict_once strict_increase", 0, 0, 1, 0),
             ("strict_once strict_deduplication", 0, 1, 0, 0),
             ("strict_once strict_order allow_reentry", 1, 0, 0, 1)]
    by_entity = {}
    for e, t, c in rows:
        by_entity.setdefault(e, []).append((t, c))
    with open(os.path.join(here, "expected.csv"), "w") as f:
        f.write("mode,win,entity,level\n")
        for name, so, dd, inc, re in modes:
            for w in (0, 3):
                for e in sorted(by_entity):
                    events = []
                    items = []
                    for row, (t, c) in enumerate(by_entity[e]):
                        steps = [k + 1 for k in range(NSTEPS) if c[k]]
                        events += [(t, k) for k in steps]
                        items += [(t, k, row) for k in steps]
                        if so and not steps:
                            events.append((t, 0))
                            items.append((t, 0, row))
                    if "strict_once" in name:
                        lv = level_once(items, w, so, dd, inc, re)
                    else:
                        lv = level(events, w, so, dd, inc, re)
                    f.write("%s,%d,%d,%d\n" % (name, w, e, lv))


main()
