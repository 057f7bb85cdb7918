# Deterministic generator for test/bench/clv_bench.sh: N customers drawn
# from the BG/NBD model with the paper's CDNOW parameters (r = 0.243,
# alpha = 4.414, a = 0.793, b = 2.426), acquired uniformly over 12 weeks
# and observed to week 39, times rounded down to whole days (CDNOW's
# resolution), written as CSV x,t_x_days,T_days to stdout (the benchmark
# divides by 7 for weeks).  set.seed(20051): same data on
# every run.  Usage: Rscript clv_gen.R N [continuous] > file.csv
# With "continuous", times are not rounded (x,t_x,T in weeks, 17 digits):
# nearly every customer then has a history of its own, the worst case for
# the grouping in bgnbd_fit.
args <- commandArgs(trailingOnly = TRUE)
n <- as.integer(if (length(args)) args[1] else 1000000)
set.seed(20051)
continuous <- length(args) > 1 && args[2] == "continuous"
d0 <- sample(0:83, n, replace = TRUE)            # first purchase day
if (continuous) d0 <- d0 + runif(n)
Tdays <- 273 - d0                                # observed days
TT <- Tdays / 7
lambda <- rgamma(n, shape = 0.243, rate = 4.414) # purchases per week
p <- rbeta(n, 0.793, 2.426)
x <- integer(n); tx <- numeric(n); t <- numeric(n)
active <- seq_len(n)
while (length(active)) {
  t[active] <- t[active] + rexp(length(active), lambda[active])
  buy <- active[t[active] <= TT[active]]
  x[buy] <- x[buy] + 1L
  tx[buy] <- t[buy]
  # after each purchase the customer drops out with probability p
  active <- buy[runif(length(buy)) >= p[buy]]
}
if (continuous) {
  cat("x,t_x,T\n")
  cat(sprintf("%d,%.17g,%.17g\n", x, ifelse(x > 0, pmin(tx, TT), 0), TT), sep = "")
  quit(save = "no")
}
txdays <- pmin(floor(tx * 7), Tdays)
txdays[x == 0] <- 0
cat("x,t_x_days,T_days\n")
cat(sprintf("%d,%d,%d\n", x, as.integer(txdays), as.integer(Tdays)), sep = "")
