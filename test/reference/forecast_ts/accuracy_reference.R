# Reference values for forecast_accuracy, backtest_holt_winters and the
# damped-trend extension (crm_sales test forecast_ts_api).  R 4.2.2 with
# forecast 8.20.  Run from the work tree root:
#   Rscript test/reference/forecast_ts/accuracy_reference.R > test/reference/forecast_ts/accuracy_reference.out
suppressMessages(library(forecast))
g <- function(v) sprintf("%.17g", v)

# 1. accuracy of a hand-made forecast (forecast::accuracy: e = actual - forecast)
actual <- c(112, 118, 132, 129, 121, 135)
pred <- c(110, 120, 130, 131, 125, 130)
a <- accuracy(pred, actual)
cat("accuracy: ME", g(a[, "ME"]), "RMSE", g(a[, "RMSE"]), "MAE", g(a[, "MAE"]),
    "MAPE", g(a[, "MAPE"]), "\n")
cat("sMAPE (mean(200 |e| / (|a| + |f|)))", g(mean(200 * abs(actual - pred) / (abs(actual) + abs(pred)))), "\n")
cat("MASE with scale 7.5", g(mean(abs(actual - pred)) / 7.5), "\n")

# 2. backtest: HoltWinters fitted on all but the last 24 months, forecast
#    24, scored by forecast::accuracy (MASE scale: seasonal naive, lag 12)
for (cs in list(list("AirPassengers", AirPassengers, "additive"),
                list("AirPassengers", AirPassengers, "multiplicative"),
                list("USAccDeaths", USAccDeaths, "additive"))) {
  x <- cs[[2]]
  n <- length(x)
  train <- window(x, end = time(x)[n - 24])
  test <- window(x, start = time(x)[n - 23])
  fit <- HoltWinters(train, alpha = 0.3, beta = 0.1, gamma = 0.2, seasonal = cs[[3]])
  fc <- forecast(fit, h = 24)
  acc <- accuracy(fc, test)
  sm <- mean(200 * abs(test - fc$mean) / (abs(test) + abs(fc$mean)))
  cat(sprintf("backtest %s %s: MAE %s RMSE %s MAPE %s sMAPE %s ME %s MASE %s\n", cs[[1]], cs[[3]],
              g(acc["Test set", "MAE"]), g(acc["Test set", "RMSE"]), g(acc["Test set", "MAPE"]),
              g(sm), g(acc["Test set", "ME"]), g(acc["Test set", "MASE"])))
}

# 3. damped trend (our extension; HoltWinters has no phi): the recursion of
#    holtwinters.h written out directly in R, start values as HoltWinters'.
damped <- function(x, m, alpha, beta, gamma, phi) {
  st <- decompose(ts(x[1:(2 * m)], frequency = m))
  tr <- na.omit(st$trend)
  cf <- coef(lm(tr ~ seq_along(tr)))
  l <- cf[[1]]; b <- cf[[2]]; s <- st$figure
  sse <- 0; res <- numeric(0)
  for (i in (m + 1):length(x)) {
    si <- s[1]
    xhat <- l + phi * b + si
    res <- c(res, x[i] - xhat)
    sse <- sse + (x[i] - xhat)^2
    ln <- alpha * (x[i] - si) + (1 - alpha) * (l + phi * b)
    b <- beta * (ln - l) + (1 - beta) * phi * b
    l <- ln
    s <- c(s[-1], gamma * (x[i] - l) + (1 - gamma) * si)
  }
  h <- 1:24
  point <- l + cumsum(phi^h) * b + s[(h - 1) %% m + 1]
  # variance: sigma2 * (1 + sum_{j<h} psi_j^2), psi_j = alpha (1 + beta (phi + .. + phi^j)) + gamma (1 - alpha) [j %% m == 0]
  psi <- sapply(1:23, function(j) alpha * (1 + beta * sum(phi^(1:j))) + (j %% m == 0) * gamma * (1 - alpha))
  v <- var(res) * c(1, 1 + cumsum(psi^2))
  list(sse = sse, level = l, slope = b, s = s, point = point,
       lower = point - qnorm(0.975) * sqrt(v), upper = point + qnorm(0.975) * sqrt(v))
}
d <- damped(as.numeric(AirPassengers), 12, 0.3, 0.1, 0.2, 0.9)
cat("damped AirPassengers additive alpha=0.3 beta=0.1 gamma=0.2 phi=0.9:\n")
cat("  sse", g(d$sse), "level", g(d$level), "slope", g(d$slope), "\n")
cat("  point", g(d$point[c(1, 12, 24)]), "\n")
cat("  lower", g(d$lower[c(1, 12, 24)]), "\n")
cat("  upper", g(d$upper[c(1, 12, 24)]), "\n")
