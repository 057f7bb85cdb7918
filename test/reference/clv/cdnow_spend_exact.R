# Mean repeat spend of the 946 CDNOW repeat customers, unrounded, rebuilt
# from the raw transactions of the 2,357-customer sample (CDNOW_sample.txt,
# see ../shared/data/cdnow/SOURCE.md for the conventions: calibration
# 1997-01-01..1997-09-30, rows of one customer on one day are one
# transaction, the first transaction is not a repeat).  The summary file's
# zbar is rounded to cents; with these exact means the Gamma-Gamma fit
# reproduces the published p = 6.25, q = 3.74, gamma = 15.44.
# Writes test/data/cdnow_spend_exact.csv (id, x, zbar) and prints the fit.
# Run from the work-tree root:
#   Rscript test/reference/clv/cdnow_spend_exact.R > test/reference/clv/cdnow_spend_exact.out
s <- read.table("../shared/data/cdnow/CDNOW_sample.txt",
                colClasses = c("character", "integer", "character", "integer", "numeric"))
names(s) <- c("mid", "id", "date", "cds", "usd")
s$d <- as.Date(s$date, "%Y%m%d")
cal <- s[s$d <= as.Date("1997-09-30"), ]
day <- aggregate(usd ~ id + d, data = cal, FUN = sum)
day <- day[order(day$id, day$d), ]
first <- ave(as.numeric(day$d), day$id, FUN = min)
rep <- day[as.numeric(day$d) > first, ]
x <- tapply(rep$usd, rep$id, length)
zbar <- tapply(rep$usd, rep$id, mean)
summ <- read.csv("test/data/cdnow_summary.csv")
cat("repeat customers", length(x), "; x equal to the summary file's:",
    all(summ$x[as.integer(names(x))] == x), "; largest |zbar - summary zbar|:",
    sprintf("%.4f", max(abs(summ$zbar[as.integer(names(x))] - zbar))), "\n")
write.csv(data.frame(id = as.integer(names(x)), x = as.integer(x), zbar = sprintf("%.17g", zbar)),
          "test/data/cdnow_spend_exact.csv", row.names = FALSE, quote = FALSE)

gg_ll <- function(p, x, m) {
  pp <- p[1]; q <- p[2]; g <- p[3]
  sum(lgamma(pp * x + q) - lgamma(pp * x) - lgamma(q) + q * log(g) +
      (pp * x - 1) * log(m) + pp * x * log(x) - (pp * x + q) * log(g + x * m))
}
fg <- function(lp) -gg_ll(exp(lp), as.numeric(x), as.numeric(zbar))
g1 <- optim(c(0, 0, 0), fg, method = "Nelder-Mead", control = list(maxit = 5000, reltol = 1e-14))
g2 <- optim(g1$par, fg, method = "BFGS", control = list(maxit = 1000, reltol = 1e-16))
gg <- exp(g2$par)
cat("gamma-gamma on exact zbar: p q gamma", sprintf("%.10f", gg), "loglik", sprintf("%.8f", -g2$value), "\n")
cat("rounded:", sprintf("%.2f", gg), sprintf("%.4f", -g2$value), "\n")
cat(sprintf("espend x=2 (customer 1): %.15g\n", (gg[3] + 2 * zbar["1"]) * gg[1] / (gg[1] * 2 + gg[2] - 1)))
