# 2F1(a, b; c; z) by direct summation of the power series in R, for the
# unit tests of src/core/numeric/hyp2f1.c (independent: no transformation is used,
# so z close to 1 just takes many terms).  Each value is also checked
# against numerical integration of Euler's integral where c > b > 0:
# 2F1 = G(c)/(G(b)G(c-b)) int_0^1 s^(b-1) (1-s)^(c-b-1) (1-zs)^(-a) ds.
# Run from the work-tree root: Rscript test/reference/clv/hyp2f1_reference.R > test/reference/clv/hyp2f1_reference.out
source("test/reference/clv/h2f1.R")
euler <- function(a, b, c, z) {
  f <- function(s) exp((b - 1) * log(s) + (c - b - 1) * log1p(-s) - a * log1p(-z * s))
  exp(lgamma(c) - lgamma(b) - lgamma(c - b)) *
    integrate(f, 0, 1, rel.tol = 1e-13, abs.tol = 0, subdivisions = 5000L)$value
}
cases <- list(c(2.243, 4.426, 3.219, 0.5), c(2.243, 4.426, 3.219, 0.8),
              c(0.243, 2.426, 2.219, 0.95))
for (cs in cases) {
  s <- h2f1(cs[1], cs[2], cs[3], cs[4])
  e <- if (cs[3] > cs[2]) euler(cs[1], cs[2], cs[3], cs[4]) else if (cs[3] > cs[1]) euler(cs[2], cs[1], cs[3], cs[4]) else NA
  cat(sprintf("2F1(%g, %g; %g; %g) series=%.15g euler=%.15g\n", cs[1], cs[2], cs[3], cs[4], s, e))
}
