#!/usr/bin/env python3
"""outbox_consumers.py: N consumer processes drain a queue, batch by batch.

Used by test/bench/automation_bench.sh.  Each process connects (autocommit),
then loops: claim a batch, acknowledge it, until a claim returns nothing
twice in a row.  Two queues can be drained:

  crm_sales   SELECT id FROM crm_sales.claim_events(name, batch, lease)
              SELECT crm_sales.ack_events(name, ids)
  plain       the same two statements written out over a plain table of the
              same shape (bench.plain_queue), as one would without crm_sales

Prints one line: "<queue> consumers=N events_claimed=X events_acked=Y
seconds=S events_per_second=R" and per-consumer counts; the caller checks
the table afterwards (every event acknowledged exactly once).
"""
import multiprocessing
import sys
import time

import psycopg

PLAIN_CLAIM = """
UPDATE bench.plain_queue e
   SET claimed_by = %(name)s, lease_until = clock_timestamp() + %(lease)s::interval,
       deliveries = e.deliveries + 1
  FROM (SELECT p.id FROM bench.plain_queue p
         WHERE p.acked_at IS NULL
           AND (p.lease_until IS NULL OR p.lease_until < clock_timestamp())
         ORDER BY p.id
         LIMIT %(batch)s
           FOR UPDATE SKIP LOCKED) c
 WHERE e.id = c.id AND e.acked_at IS NULL
RETURNING e.id, e.kind, e.table_name, e.entity_id, e.payload, e.created_at, e.deliveries
"""
PLAIN_ACK = """
UPDATE bench.plain_queue e
   SET acked_at = clock_timestamp(), acked_by = %(name)s, lease_until = NULL
 WHERE e.id = ANY (%(ids)s) AND e.acked_at IS NULL
   AND e.claimed_by = %(name)s AND e.lease_until >= clock_timestamp()
"""
CRM_CLAIM = "SELECT * FROM crm_sales.claim_events(%(name)s, %(batch)s, %(lease)s::interval)"
CRM_ACK = "SELECT crm_sales.ack_events(%(name)s, %(ids)s)"


def consume(args):
    """One consumer: returns (claimed, acked)."""
    dsn, queue, name, batch, start_at = args
    claimed = acked = 0
    empty = 0
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.prepare_threshold = 0      # server-side prepared statements
        while time.time() < start_at:
            time.sleep(0.001)
        while empty < 2:
            p = {"name": name, "batch": batch, "lease": "5 minutes"}
            if queue == "plain":
                rows = conn.execute(PLAIN_CLAIM, p).fetchall()
            else:
                rows = conn.execute(CRM_CLAIM, p).fetchall()
            if not rows:
                empty += 1
                time.sleep(0.01)
                continue
            empty = 0
            claimed += len(rows)
            p["ids"] = [r[0] for r in rows]
            if queue == "plain":
                acked += conn.execute(PLAIN_ACK, p).rowcount
            else:
                acked += conn.execute(CRM_ACK, p).fetchone()[0]
    return claimed, acked


def main():
    dsn, queue, consumers, batch = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
    start_at = time.time() + 1.0
    jobs = [(dsn, queue, "%s-%d" % (queue, i), batch, start_at) for i in range(consumers)]
    with multiprocessing.Pool(consumers) as pool:
        t0 = start_at
        results = pool.map(consume, jobs)
        # each consumer stops after two empty claims 10 ms apart: not work
        seconds = time.time() - t0 - 0.02
    claimed = sum(r[0] for r in results)
    acked = sum(r[1] for r in results)
    print("%s consumers=%d events_claimed=%d events_acked=%d seconds=%.3f events_per_second=%.0f"
          % (queue, consumers, claimed, acked, seconds, acked / seconds))
    print("%s per consumer: %s" % (queue, " ".join("%d/%d" % r for r in results)))


if __name__ == "__main__":
    main()
