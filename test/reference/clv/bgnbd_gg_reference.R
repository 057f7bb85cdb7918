# Independent reference for crm_sales' lifetime-value models (BG/NBD and
# Gamma-Gamma), written from the formulas of Fader, Hardie & Lee (2005)
# "Counting Your Customers the Easy Way" (eq. 6, 7, 10, P(alive)) and
# Fader & Hardie, "The Gamma-Gamma Model of Monetary Value" (2013 note).
# No code is shared with the C implementation: the log-likelihoods are
# maximised with R's optim(), the conditional expectations are computed by
# numerical integration over the dropout probability p (no 2F1 at all), and
# 2F1 itself by plain series summation (h2f1.R; series and integral agree).
# Run from the work-tree root: Rscript test/reference/clv/bgnbd_gg_reference.R > test/reference/clv/bgnbd_gg_reference.out
options(digits = 17)
d <- read.csv("test/data/cdnow_summary.csv")  # = ../shared/data/cdnow/cdnow_customers_summary_with_transactions.csv
x <- d$x; tx <- d$t_x; TT <- d$T; zbar <- d$zbar
cat("customers", length(x), "sum x", sum(x), "repeaters", sum(x > 0), "\n")

## ---- BG/NBD log-likelihood (paper eq. 6), written directly
bgnbd_ll <- function(p, x, tx, TT) {
  r <- p[1]; al <- p[2]; a <- p[3]; b <- p[4]
  A1 <- lgamma(r + x) - lgamma(r) + r * log(al)
  A2 <- lgamma(a + b) + lgamma(b + x) - lgamma(b) - lgamma(a + b + x)
  A3 <- -(r + x) * log(al + TT)
  A4 <- ifelse(x > 0, log(a) - log(pmax(b + x - 1, 1e-300)) - (r + x) * log(al + tx), -Inf)
  # log(exp(A3) + exp(A4)) written plainly (R handles -Inf)
  m <- pmax(A3, A4)
  sum(A1 + A2 + m + log(exp(A3 - m) + exp(A4 - m)))
}
f <- function(lp) -bgnbd_ll(exp(lp), x, tx, TT)
o1 <- optim(c(0, 0, 0, 0), f, method = "Nelder-Mead", control = list(maxit = 5000, reltol = 1e-14))
o2 <- optim(o1$par, f, method = "BFGS", control = list(maxit = 1000, reltol = 1e-16))
bg <- exp(o2$par)
cat("bgnbd r alpha a b:", sprintf("%.10f", bg), "\n")
cat("bgnbd loglik:", sprintf("%.8f", -o2$value), "convergence", o2$convergence, "\n")
cat("bgnbd rounded:", sprintf("%.3f", bg), sprintf("%.1f", -o2$value), "\n")

## ---- conditional expectation by integration over p (no hypergeometric function)
# E[Y(t)|x,tx,T] = P(alive) * E_p[ (1 - ((al+T)/(al+T+p t))^(r+x)) / p ], p ~ Beta(a, b+x)
palive <- function(p, x, tx, TT) {
  r <- p[1]; al <- p[2]; a <- p[3]; b <- p[4]
  if (x == 0) return(1)
  1 / (1 + (a / (b + x - 1)) * ((al + TT) / (al + tx))^(r + x))
}
cond_int <- function(p, t, x, tx, TT) {
  r <- p[1]; al <- p[2]; a <- p[3]; b <- p[4]
  g <- function(q) {
    # p^(a-2) (1-p)^(b+x-1) (1 - (1+q t/(al+T))^-(r+x)) / B(a, b+x), in logs where possible
    inner <- -expm1(-(r + x) * log1p(q * t / (al + TT)))
    exp((a - 2) * log(q) + (b + x - 1) * log1p(-q) - lbeta(a, b + x)) * inner
  }
  palive(p, x, tx, TT) * integrate(g, 0, 1, rel.tol = 1e-13, abs.tol = 0, subdivisions = 2000L)$value
}
# E[X(t)] of a new customer (eq. 7): the same integral with x = 0, T = 0, no P(alive)
ex_int <- function(p, t) cond_int(p, t, 0, 0, 0)

## ---- 2F1 by direct series (for z < 1), used only to cross-check eq. 10 as printed
source("test/reference/clv/h2f1.R")
cond_2f1 <- function(p, t, x, tx, TT) {
  r <- p[1]; al <- p[2]; a <- p[3]; b <- p[4]
  z <- t / (al + TT + t)
  num <- (a + b + x - 1) / (a - 1) * (1 - ((al + TT) / (al + TT + t))^(r + x) * h2f1(r + x, b + x, a + b + x - 1, z))
  num * palive(p, x, tx, TT)
}
paper <- c(0.243, 4.414, 0.793, 2.426)
cat("\n# fitted-model values (model = MLE above)\n")
cases <- list(c(2, 30.43, 38.86, 39), c(0, 0, 38.86, 39), c(1, 1.71, 38.86, 39),
              c(7, 35.71, 38.86, 39), c(2, 30.43, 38.86, 1), c(2, 30.43, 38.86, 0.001),
              c(2, 30.43, 38.86, 200), c(25, 30, 38.86, 39), c(5, 10, 38.86, 39))
for (cs in cases) {
  cat(sprintf("cond x=%g tx=%g T=%g t=%g  int=%.15g  series=%.15g  palive=%.15g\n",
              cs[1], cs[2], cs[3], cs[4], cond_int(bg, cs[4], cs[1], cs[2], cs[3]),
              cond_2f1(bg, cs[4], cs[1], cs[2], cs[3]), palive(bg, cs[1], cs[2], cs[3])))
}
for (t in c(1, 39, 78, 1000)) cat(sprintf("E[X(t)] t=%g  int=%.15g\n", t, ex_int(bg, t)))
cat("\n# cumulative expected repeat transactions, weeks 39..78, whole sample (per-customer T)\n")
# expected repeat transactions of the cohort by week 78: sum over customers of E[X(T_i + 39) ] ... (paper fig. 2 style)
tot78 <- sum(sapply(TT, function(Ti) ex_int(bg, Ti + 39)))
tot39 <- sum(sapply(TT, function(Ti) ex_int(bg, Ti)))
cat(sprintf("sum_i E[X(T_i)] = %.6f   sum_i E[X(T_i+39)] = %.6f   forecast period = %.6f\n", tot39, tot78, tot78 - tot39))
condsum <- sum(mapply(function(a1, a2, a3) cond_int(bg, 39, a1, a2, a3), x, tx, TT))
cat(sprintf("sum_i E[Y(39)|x_i,tx_i,T_i] = %.6f\n", condsum))

cat("\n# paper parameters as printed (for the function tests)\n")
for (cs in cases[1:3])
  cat(sprintf("paper cond x=%g tx=%g T=%g t=%g  int=%.15g series=%.15g palive=%.15g\n",
              cs[1], cs[2], cs[3], cs[4], cond_int(paper, cs[4], cs[1], cs[2], cs[3]),
              cond_2f1(paper, cs[4], cs[1], cs[2], cs[3]), palive(paper, cs[1], cs[2], cs[3])))
cat(sprintf("paper E[X(39)] int=%.15g E[X(78)] int=%.15g\n", ex_int(paper, 39), ex_int(paper, 78)))

cat("\n# extreme histories (model = MLE): log-likelihood of a single customer and P(alive)\n")
ext <- list(c(1000, 50, 52), c(1000, 52, 52), c(1, 0.001, 1e6), c(0, 0, 1e6), c(3, 1e5, 1e5 + 1), c(50, 0.5, 1000))
for (e in ext) {
  cat(sprintf("ext x=%g tx=%g T=%g  ll=%.15g  palive=%.15g\n", e[1], e[2], e[3],
              bgnbd_ll(bg, e[1], e[2], e[3]), palive(bg, e[1], e[2], e[3])))
}
cat(sprintf("ext cond x=1000 tx=50 T=52 t=10 int=%.15g\n", cond_int(bg, 10, 1000, 50, 52)))
cat(sprintf("ext cond x=50 tx=0.5 T=1000 t=10 int=%.15g\n", cond_int(bg, 10, 50, 0.5, 1000)))
cat(sprintf("ext cond x=2 tx=30.43 T=38.86 t=1e5 int=%.15g\n", cond_int(bg, 1e5, 2, 30.43, 38.86)))
cat(sprintf("ext E[X(t)] t=1e6 int=%.15g\n", ex_int(bg, 1e6)))
# a = 1 exactly (removable singularity of eq. 7/10)
p1 <- c(0.5, 5, 1, 2)
cat(sprintf("a=1 model (0.5,5,1,2): E[X(10)] int=%.15g cond x=3 tx=20 T=30 t=10 int=%.15g\n",
            ex_int(p1, 10), cond_int(p1, 10, 3, 20, 30)))
p2 <- c(2, 3, 3, 2)   # a - r = 1: c-a-b integer in eq. 10 connection formula
cat(sprintf("a-r integer model (2,3,3,2): E[X(50)] int=%.15g cond x=1 tx=5 T=6 t=40 int=%.15g\n",
            ex_int(p2, 50), cond_int(p2, 40, 1, 5, 6)))

## ---- Gamma-Gamma (Fader & Hardie note), repeat customers only
rep <- x > 0
gg_ll <- function(p, x, m) {
  pp <- p[1]; q <- p[2]; g <- p[3]
  sum(lgamma(pp * x + q) - lgamma(pp * x) - lgamma(q) + q * log(g) +
      (pp * x - 1) * log(m) + pp * x * log(x) - (pp * x + q) * log(g + x * m))
}
fg <- function(lp) -gg_ll(exp(lp), x[rep], zbar[rep])
g1 <- optim(c(0, 0, 0), fg, method = "Nelder-Mead", control = list(maxit = 5000, reltol = 1e-14))
g2 <- optim(g1$par, fg, method = "BFGS", control = list(maxit = 1000, reltol = 1e-16))
gg <- exp(g2$par)
cat("\ngamma-gamma p q gamma:", sprintf("%.10f", gg), "\n")
cat("gamma-gamma loglik:", sprintf("%.8f", -g2$value), "n", sum(rep), "convergence", g2$convergence, "\n")
cat("gamma-gamma rounded:", sprintf("%.2f", gg), "\n")
espend <- function(gp, x, m) (gp[3] + x * m) * gp[1] / (gp[1] * x + gp[2] - 1)
cat(sprintf("E(M) population mean p*gamma/(q-1) = %.15g\n", gg[1] * gg[3] / (gg[2] - 1)))
for (cs in list(c(2, 22.35), c(1, 11.77), c(0, 0), c(10, 50))) cat(sprintf("espend x=%g m=%g: %.15g\n", cs[1], cs[2], espend(gg, cs[1], cs[2])))
cat(sprintf("mean espend over repeaters = %.10f, mean observed zbar = %.10f\n",
            mean(espend(gg, x[rep], zbar[rep])), mean(zbar[rep])))

## ---- CLV: monthly discrete sum (our definition, README):
## clv = sum_{i=1..H} E(M) * (E[Y(i u)] - E[Y((i-1) u)]) / (1+d)^i
clv <- function(bg, gp, x, tx, TT, m, H, d, u) {
  s <- 0; prev <- 0
  for (i in 1:H) {
    cur <- cond_int(bg, i * u, x, tx, TT)
    s <- s + espend(gp, x, m) * (cur - prev) / (1 + d)^i
    prev <- cur
  }
  s
}
for (cs in list(c(2, 30.43, 38.86, 22.35), c(0, 0, 38.86, 0), c(7, 35.71, 38.86, 30))) {
  cat(sprintf("clv x=%g tx=%g T=%g m=%g H=12 d=0.01 u=52/12: %.15g\n", cs[1], cs[2], cs[3], cs[4],
              clv(bg, gg, cs[1], cs[2], cs[3], cs[4], 12, 0.01, 52 / 12)))
}
cat(sprintf("clv x=2 tx=30.43 T=38.86 m=22.35 H=3 d=0 u=1: %.15g\n", clv(bg, gg, 2, 30.43, 38.86, 22.35, 3, 0, 1)))

## ---- very large x: the integral over v = log p, in panels of 0.5 from
## -200 to 0 (R's integrate() on p itself misses the narrow peak near
## p = a / (b + x), and one panel on log p loses digits when t is huge)
cond_int_log <- function(p, t, x, tx, TT) {
  r <- p[1]; al <- p[2]; a <- p[3]; b <- p[4]
  g <- function(v) {
    q <- exp(v)
    inner <- -expm1(-(r + x) * log1p(q * t / (al + TT)))
    exp((a - 1) * v + (b + x - 1) * log1p(-q) - lbeta(a, b + x)) * inner
  }
  br <- seq(-200, 0, by = 0.5)
  s <- sum(sapply(seq_along(br[-1]), function(i)
    integrate(g, br[i], br[i + 1], rel.tol = 2e-14, abs.tol = 0)$value))
  palive(p, x, tx, TT) * s
}
cat("\n# very large x (log-p integral; the first also by the p integral above)\n")
for (cs in list(c(5000, 52, 52, 100), c(1e5, 52, 52, 100), c(1e6, 1e6, 1e6, 1e6), c(3000, 1000, 1000, 5000)))
  cat(sprintf("big cond x=%g tx=%g T=%g t=%g  logint=%.15g\n", cs[1], cs[2], cs[3], cs[4],
              cond_int_log(bg, cs[4], cs[1], cs[2], cs[3])))
cat(sprintf("big cond x=5000 tx=52 T=52 t=100 int=%.15g\n", cond_int(bg, 100, 5000, 52, 52)))
# x far beyond 1e6 (the log-Beta normaliser must not cancel); tx = T, t = 39
for (xx in c(1e9, 1e12, 1e15))
  cat(sprintf("huge cond x=%g tx=52 T=52 t=39  logint=%.15g\n", xx, cond_int_log(bg, 39, xx, 52, 52)))
# an extreme case of the C unit test "routes agree" (a = 0.2, t = 1e7)
cat(sprintf("extreme cond r=0.05 alpha=5 a=0.2 b=0.3 x=300 tx=20 T=26 t=1e7 logint=%.15g\n",
            cond_int_log(c(0.05, 5, 0.2, 0.3), 1e7, 300, 20, 26)))

## ---- a huge (dropout after the first repeat purchase, p near 1): E[X(t)]
## as the integral over w = log(1 - p), p^(a-2) taken as exp((a-2) log1p(-q)),
## on 400 panels from q = e^-200 to 1/2 (the p < 1/2 side is below 2^-1e9)
ex_int_logq <- function(p, t) {
  r <- p[1]; al <- p[2]; a <- p[3]; b <- p[4]
  lb <- lbeta(a, b)
  g <- function(w) {
    q <- exp(w)
    inner <- -expm1(-r * log1p((1 - q) * t / al))
    exp((a - 2) * log1p(-q) + b * w - lb) * inner
  }
  br <- seq(-200, log(0.5), length.out = 401)
  sum(sapply(seq_along(br[-1]), function(i)
    integrate(g, br[i], br[i + 1], rel.tol = 2e-14, abs.tol = 0)$value))
}
cat("\n# a huge (r = 0.243, alpha = 4.414, b = 2.426), t = 39; limit 1 - (alpha/(alpha+t))^r\n")
for (aa in c(1e9, 1e12, 1e15))
  cat(sprintf("huge a=%g E[X(39)] logq=%.15g\n", aa, ex_int_logq(c(0.243, 4.414, aa, 2.426), 39)))
cat(sprintf("limit %.15g\n", 1 - (4.414 / 43.414)^0.243))

## ---- b tiny, x = 1: b + x - 1 is b itself (written as log(b) here, so
## the term does not round to log(0)); log-likelihood of one customer
ll_x1_small_b <- function(p, tx, TT) {
  r <- p[1]; al <- p[2]; a <- p[3]; b <- p[4]
  A1 <- lgamma(r + 1) - lgamma(r) + r * log(al)
  A2 <- log(b) - log(a + b)            # lbeta(a, b + 1) - lbeta(a, b) = log(b / (a + b))
  A3 <- -(r + 1) * log(al + TT)
  A4 <- log(a) - log(b) - (r + 1) * log(al + tx)
  m <- max(A3, A4)
  A1 + A2 + m + log(exp(A3 - m) + exp(A4 - m))
}
cat("\n# b tiny, x = 1 (r = 0.5, alpha = 5, a = 1)\n")
for (bb in c(1e-10, 1e-17, 1e-300))
  cat(sprintf("tiny b=%g x=1 tx=2 T=10  ll=%.15g\n", bb, ll_x1_small_b(c(0.5, 5, 1, bb), 2, 10)))
# P(alive) = 1 / (1 + (a / b) ((alpha + T) / (alpha + t_x))^(r + 1)) for x = 1
cat(sprintf("tiny b=1e-17 x=1 tx=2 T=10  palive=%.15g\n", 1 / (1 + (1 / 1e-17) * (15 / 7)^1.5)))

## ---- P(alive) at the paper's parameters for the histories of test/sql/clv_churn.sql
cat("\n# churn test histories, paper parameters\n")
for (cs in list(c(2, 30.43, 38.86), c(1, 1.71, 38.86), c(5, 10, 38.86), c(0, 0, 38.86),
                c(7, 35.71, 38.86), c(1, 1, 38.86), c(3, 5, 38.86)))
  cat(sprintf("churn palive x=%g tx=%g T=%g: %.6f\n", cs[1], cs[2], cs[3], palive(paper, cs[1], cs[2], cs[3])))
