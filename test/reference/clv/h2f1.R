# 2F1(a, b; c; z) by direct summation of the power series (|z| < 1);
# sourced by hyp2f1_reference.R and bgnbd_gg_reference.R.
h2f1 <- function(a, b, c, z) {
  s <- 1; term <- 1; n <- 0
  repeat {
    term <- term * (a + n) * (b + n) / ((c + n) * (n + 1)) * z
    n <- n + 1; s <- s + term
    if (abs(term) < 1e-17 * abs(s) && n > 5) break
  }
  s
}
