#!/usr/bin/env python3
"""Random currency-conversion cases and their exact answers, for
test/sql/currency_reference.sql.

Independent of the C code: Python's exact fractions, the route rules of
docs/performance.md#currency (direct rate, else the inverse pair, else both
legs through the corporate currency USD, each leg direct or inverse; the
rate in force is the latest valid_from <= the day), one rounding at the end
to the target's minor units, half up (ties away from zero) or half even.

	python3 gen_cases.py   (writes rates.csv and cases.csv here; seeded)
"""
import csv
import datetime
import random
from fractions import Fraction

random.seed(20251205)
MINOR = {'USD': 2, 'EUR': 2, 'GBP': 2, 'JPY': 0, 'KWD': 3, 'CLF': 4, 'CNY': 2}
CORP = 'USD'
START = datetime.date(2030, 1, 1)

# rates: X -> USD for EUR, GBP, CLF; USD -> X for JPY, KWD, CNY; EUR -> GBP direct
pairs = [('EUR', 'USD', 1.08), ('GBP', 'USD', 1.27), ('CLF', 'USD', 38.5),
         ('USD', 'JPY', 151.0), ('USD', 'KWD', 0.307), ('USD', 'CNY', 7.23),
         ('EUR', 'GBP', 0.85)]
rates = {}
rows = []
for f, t, base in pairs:
    day = START + datetime.timedelta(days=random.randint(0, 5))
    lst = []
    for _ in range(12):
        places = random.choice([2, 4, 6, 9])
        r = Fraction(round(base * random.uniform(0.9, 1.1), places)).limit_denominator(10 ** places)
        r = Fraction(round(r * 10 ** places), 10 ** places)
        text = f"{float(r):.{places}f}"
        r = Fraction(text)
        lst.append((day, r))
        rows.append((f, t, day.isoformat(), text))
        day += datetime.timedelta(days=random.randint(1, 30))
    rates[(f, t)] = lst

def rate_on(f, t, day):
    best = None
    for d, r in rates.get((f, t), []):
        if d <= day:
            best = r
    return best

def leg(f, t, day):
    r = rate_on(f, t, day)
    if r is not None:
        return r
    r = rate_on(t, f, day)
    if r is not None:
        return 1 / r
    return None

def factor(f, t, day):
    if f == t:
        return Fraction(1)
    x = leg(f, t, day)
    if x is not None:
        return x
    if CORP in (f, t):
        return None
    a, b = leg(f, CORP, day), leg(CORP, t, day)
    if a is None or b is None:
        return None
    return a * b

def round_to(v, places, mode):
    scaled = v * 10 ** places
    neg = scaled < 0
    a = abs(scaled)
    q, r = divmod(a.numerator, a.denominator)
    twice = 2 * r
    if twice > a.denominator or (twice == a.denominator and (mode == 'half_up' or q % 2 == 1)):
        q += 1
    s = str(q).rjust(places + 1, '0')
    text = s if places == 0 else s[:-places] + '.' + s[-places:]
    return ('-' if neg and q != 0 else '') + text

cases = []
codes = list(MINOR)
while len(cases) < 400:
    f, t = random.choice(codes), random.choice(codes)
    day = START + datetime.timedelta(days=random.randint(0, 200))
    fac = factor(f, t, day)
    if fac is None:
        continue
    places = random.choice([0, 1, 2, 3, 4, 5])
    amt = Fraction(random.randint(-10 ** 9, 10 ** 9), 10 ** places)
    if random.random() < 0.2:
        # an amount that lands on a tie after conversion, when one exists
        amt = Fraction(round(amt))
    amt_text = round_to(amt, places, 'half_up')
    mode = random.choice(['half_up', 'half_even'])
    cases.append((amt_text, f, t, day.isoformat(), mode,
                  round_to(Fraction(amt_text) * fac, MINOR[t], mode)))

with open('rates.csv', 'w', newline='') as fh:
    csv.writer(fh).writerows(rows)
with open('cases.csv', 'w', newline='') as fh:
    csv.writer(fh).writerows(cases)
print(len(rows), 'rates,', len(cases), 'cases')
