# Exact (rational arithmetic) least squares for the ill-conditioned trend
# design of lm_reference.R: x = 2000..2030, columns 1, x, x^2,
# y = (7 i^2 mod 23) + 3 i with i = x - 2000.  Independent of R and of C:
# solves the normal equations in fractions, square roots in 50-digit decimals.
# Run: python3 trend_exact.py > trend_exact.out
from fractions import Fraction as F
from decimal import Decimal, getcontext
getcontext().prec = 50
xs = list(range(2000, 2031))
ys = [(7 * (x - 2000) ** 2) % 23 + 3 * (x - 2000) for x in xs]
X = [[F(1), F(x), F(x * x)] for x in xs]
Y = [F(y) for y in ys]
p = 3
A = [[sum(r[i] * r[j] for r in X) for j in range(p)] for i in range(p)]
b = [sum(r[i] * y for r, y in zip(X, Y)) for i in range(p)]
# inverse by Gauss-Jordan in fractions
M = [A[i][:] + [F(int(i == j)) for j in range(p)] for i in range(p)]
for c in range(p):
    piv = next(r for r in range(c, p) if M[r][c] != 0)
    M[c], M[piv] = M[piv], M[c]
    d = M[c][c]
    M[c] = [v / d for v in M[c]]
    for r in range(p):
        if r != c and M[r][c] != 0:
            f = M[r][c]
            M[r] = [a - f * bb for a, bb in zip(M[r], M[c])]
Ainv = [row[p:] for row in M]
beta = [sum(Ainv[i][j] * b[j] for j in range(p)) for i in range(p)]
res = [y - sum(bi * xi for bi, xi in zip(beta, r)) for r, y in zip(X, Y)]
rss = sum(e * e for e in res)
n = len(xs); df = n - p
s2 = rss / df
ybar = sum(Y) / n
tss = sum((y - ybar) ** 2 for y in Y)
r2 = 1 - rss / tss
adj = 1 - (1 - r2) * F(n - 1, df)
D = lambda q: Decimal(q.numerator) / Decimal(q.denominator)
fmt = lambda d: format(d, '.20e')
print("coef", *[fmt(D(v)) for v in beta])
print("se", *[fmt(D(s2 * Ainv[i][i]).sqrt()) for i in range(p)])
print("t", *[fmt(D(beta[i]) / D(s2 * Ainv[i][i]).sqrt()) for i in range(p)])
print("sigma", fmt(D(s2).sqrt()))
print("r2", fmt(D(r2)))
print("adjr2", fmt(D(adj)))
x0 = [F(1), F(2031), F(2031 ** 2)]
fit0 = sum(a * c for a, c in zip(x0, beta))
v0 = sum(x0[i] * Ainv[i][j] * x0[j] for i in range(p) for j in range(p))
print("point_2031", fmt(D(fit0)))
print("pred_var_2031", fmt(D(s2 * (1 + v0))))
