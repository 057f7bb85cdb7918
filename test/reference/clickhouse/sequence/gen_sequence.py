#!/usr/bin/env python3
"""Deterministic random event logs for checking sequence_match /
sequence_count against ClickHouse 18.16 (run_sequence.sh).  Writes, next to
this file:

events.csv    entity,ts,c1,c2,c3   (ts in whole seconds)
  entities 1..1500 with 0..14 rows each; no two rows of one entity share a
  timestamp (ClickHouse leaves the order of equal timestamps unspecified:
  ties are checked by hand-derived cases in test/sql/sequence_match.sql);
  a row may satisfy several conditions or none (then it is no event);
  timestamps 0..60 s after a base, so that time conditions of a few
  seconds often fall exactly on an event.
patterns.txt  one pattern a line (the first line is the empty pattern)
"""
import os
import random

here = os.path.dirname(os.path.abspath(__file__))
rng = random.Random(20261205)
BASE = 1767225600   # 2026-01-01 00:00:00 UTC

PATTERNS = [
    "",
    "(?1)(?2)",
    "(?1).*(?2)",
    "(?1)(?2)(?3)",
    "(?1).*(?2).*(?3)",
    "(?1).(?2)",
    "(?1)(?t<=5)(?2)",
    "(?1)(?t<5)(?2)",
    "(?1)(?t>5)(?2)",
    "(?1)(?t>=5)(?2)",
    "(?1).*(?t<=10)(?3)",
    "(?2)(?t>3).*(?3)",
    "(?1)(?t<=20)(?2)(?t<=20)(?3)",
    ".*(?3)",
    "(?3).",
    "(?1)(?t>=0)(?1)",
    "(?2)(?2)",
    "(?1).*(?t>=10)",
    "(?1)(?t>2)(?2)(?t<10)(?3)",
    ".(?t<3).",
    "(?1)(?t<=5)",
    "(?1).*(?t>4)(?2).*(?3)",
]


def main():
    with open(os.path.join(here, "events.csv"), "w") as f:
        f.write("entity,ts,c1,c2,c3\n")
        for e in range(1, 1501):
            n = rng.randrange(0, 15)
            times = sorted(rng.sample(range(0, 61), n))
            rng.shuffle(times)                  # rows arrive in any order
            for t in times:
                r = rng.random()
                if r < 0.15:
                    c = [0, 0, 0]               # no event
                elif r < 0.30:
                    c = [rng.randrange(2) for _ in range(3)]
                else:
                    c = [0, 0, 0]
                    c[rng.randrange(3)] = 1
                f.write("%d,%d,%d,%d,%d\n" % (e, BASE + t, c[0], c[1], c[2]))
    with open(os.path.join(here, "patterns.txt"), "w") as f:
        for p in PATTERNS:
            f.write(p + "\n")


main()
