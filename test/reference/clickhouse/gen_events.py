#!/usr/bin/env python3
"""Deterministic random event logs for checking window_funnel / retention
against ClickHouse 18.16 (run_clickhouse.sh).  Writes, next to this file:

events.csv     set,entity,ts,c1,c2,c3,c4,c5   (ts in whole seconds)
  set A: entities 1..2000; several rows may share a timestamp, a row may
         match several steps (c1..c5 = 1), or none; repeated and
         out-of-order steps; timestamps 0..20 so that windows 0,1,2,5,10
         often fall exactly on an event.
  set B: entities 100001..101000, the same shapes but no two rows of one
         entity share a timestamp (ties only inside one row), so that
         ClickHouse 18.16's own handling of a row matching several steps
         is deterministic.
retention.csv  entity,c1,c2,c3,c4   (entities 1..1500, 0..6 rows each)
"""
import os
import random

here = os.path.dirname(os.path.abspath(__file__))
rng = random.Random(20261128)


def row_mask():
    r = rng.random()
    if r < 0.10:
        return 0                               # matches no step
    if r < 0.25:
        m = 0
        while bin(m).count("1") < 2:           # several steps in one row
            m = rng.randrange(1, 32)
        return m
    return 1 << rng.randrange(5)               # one step


def entity_rows(distinct_ts):
    n = rng.randrange(0, 13)
    rows = []
    used = set()
    progress = rng.random() < 0.5              # half follow 1,2,3,4,5 loosely
    t = rng.randrange(0, 4)
    for k in range(n):
        if distinct_ts:
            t = rng.randrange(0, 40)
            if t in used:
                continue
            used.add(t)
        elif progress:
            t += rng.choice([0, 0, 1, 1, 2, 3, 5])
        else:
            t = rng.randrange(0, 21)
        m = (1 << min(k, 4)) if progress and rng.random() < 0.6 else row_mask()
        rows.append((t, m))
    return rows


with open(os.path.join(here, "events.csv"), "w") as f:
    f.write("set,entity,ts,c1,c2,c3,c4,c5\n")
    for setname, first, count, distinct in (("A", 1, 2000, False),
                                            ("B", 100001, 1000, True)):
        for e in range(first, first + count):
            for t, m in entity_rows(distinct):
                bits = ",".join(str((m >> i) & 1) for i in range(5))
                f.write(f"{setname},{e},{t},{bits}\n")

with open(os.path.join(here, "retention.csv"), "w") as f:
    f.write("entity,c1,c2,c3,c4\n")
    for e in range(1, 1501):
        for _ in range(rng.randrange(0, 7)):
            bits = ",".join("1" if rng.random() < 0.3 else "0" for _ in range(4))
            f.write(f"{e},{bits}\n")
