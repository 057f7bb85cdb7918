#!/usr/bin/env python3
# Reference answers of sequence_next_node for test/sql/sequence_next_node.sql.
#
# ClickHouse 18.16 (Debian's package) has no sequenceNextNode (it came in
# 21.x, behind allow_experimental_funnel_functions).  This is a transcription
# into Python of current ClickHouse's AggregateFunctionSequenceNextNode
# (getBaseIndex, getNextNodeIndex, the (timestamp, value) sort), written
# without looking at src/core/funnel/next_node.c:
#   - every row is a node (timestamp, value, base condition, event bits);
#   - nodes sorted by timestamp, then value (bytes over the shorter length,
#     then the shorter first); ClickHouse keeps rows equal in both in arrival
#     order, crm_sales orders them by event bits, then base condition, and so
#     does this script;
#   - fewer nodes than events + 1: no answer;
#   - base: head = node 0, tail = the last node (each only if its base
#     condition holds), first_match / last_match = the first / last node
#     with event 1 and the base condition;
#   - no events: the base node's value;
#   - forward: nodes base .. base+n-1 must have events 1..n, the answer is
#     node base+n (none past the end); backward: nodes base, base-1, ...
#     must have events 1..n (going no lower than node 1), the answer is node
#     base-n.
#   python3 test/reference/clickhouse/next_node/next_node_reference.py
# writes rows.csv and expected.csv next to this file (fixed seed).
import os
import random

VALUES = ["A", "AB", "B", "C", "", "b", "BA"]
COMBOS = [("forward", "head"), ("forward", "first_match"), ("forward", "last_match"),
          ("backward", "tail"), ("backward", "first_match"), ("backward", "last_match")]


def sort_key(node):
    ts, value, base, bits = node
    return (ts, value.encode(), bits, base)


def next_node(nodes, direction, base_kind, nevents):
    nodes = sorted(nodes, key=sort_key)
    n = len(nodes)
    if n <= nevents:
        return None
    base = None
    if base_kind == "head":
        if nodes[0][2]:
            base = 0
    elif base_kind == "tail":
        if nodes[n - 1][2]:
            base = n - 1
    elif base_kind == "first_match":
        for i in range(n):
            if nodes[i][3] & 1 and nodes[i][2]:
                base = i
                break
    else:
        for i in reversed(range(n)):
            if nodes[i][3] & 1 and nodes[i][2]:
                base = i
                break
    if base is None:
        return None
    if nevents == 0:
        return nodes[base][1]
    i = 0
    if direction == "forward":
        while i < nevents and base + i < n:
            if not nodes[base + i][3] & (1 << i):
                break
            i += 1
        idx = base + i if i == nevents else n
    else:
        while i < nevents and i < base:
            if not nodes[base - i][3] & (1 << i):
                break
            i += 1
        idx = base - i if i == nevents else n
    return nodes[idx][1] if idx < n else None


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    rng = random.Random(20261205)
    rows = []
    for e in range(1, 401):
        for _ in range(rng.randint(0, 10)):
            rows.append((e, rng.randint(0, 8), rng.choice(VALUES),
                         1 if rng.random() < 0.7 else 0,
                         [1 if rng.random() < 0.45 else 0 for _ in range(3)]))
    with open(os.path.join(here, "rows.csv"), "w") as f:
        f.write("entity,ts,value,base,c1,c2,c3\n")
        for e, t, v, b, c in rows:
            f.write('%d,%d,"%s",%d,%s\n' % (e, t, v, b, ",".join(map(str, c))))
    by_entity = {}
    for e, t, v, b, c in rows:
        by_entity.setdefault(e, []).append((t, v, b, c[0] | (c[1] << 1) | (c[2] << 2)))
    with open(os.path.join(here, "expected.csv"), "w") as f:
        f.write("direction,base,nevents,entity,value\n")
        for direction, base in COMBOS:
            for nevents in range(0, 4):
                if nevents == 0 and base not in ("head", "tail"):
                    continue
                for e in sorted(by_entity):
                    nodes = [(t, v, b, bits & ((1 << nevents) - 1)) for t, v, b, bits in by_entity[e]]
                    r = next_node(nodes, direction, base, nevents)
                    f.write('%s,%s,%d,%d,%s\n' % (direction, base, nevents, e,
                                                  "\\N" if r is None else '"%s"' % r))


main()
