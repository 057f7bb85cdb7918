#!/usr/bin/env python3
"""Write test/data/cdnow_orders.csv (customer,ordered_on,cds,amount) from
CDNOW_sample.txt, the 1/10 sample of the CDNOW data set (2,357 customers,
6,919 orders, 1997-01-01..1998-06-30; provenance in
/work/shared/data/cdnow/SOURCE.md: Fader, Hardie & Lee 2005, via the
lifetimes package's bundled copy).  The rows are copied as they are; only
the layout changes (whitespace-separated with CRLF -> CSV, the sample id
as the customer, YYYYMMDD -> YYYY-MM-DD).

	python3 cdnow_orders.py /work/shared/data/cdnow/CDNOW_sample.txt ../../data/cdnow_orders.csv
"""
import csv
import sys

src, dst = sys.argv[1], sys.argv[2]
with open(src) as fh, open(dst, 'w', newline='') as out:
    w = csv.writer(out, lineterminator='\n')
    w.writerow(['customer', 'ordered_on', 'cds', 'amount'])
    n = 0
    for line in fh:
        f = line.split()
        if not f:
            continue
        _, sample_id, day, cds, dollars = f
        w.writerow([int(sample_id), f'{day[:4]}-{day[4:6]}-{day[6:]}', int(cds), dollars])
        n += 1
print(n, 'orders')
