# forecast::ets (forecast 8.20, R 4.2.2) on R's series, holding out the last
# two seasons (10 observations for the annual Nile), for the ETS acceptance
# test of crm_sales (mean MASE of automatically chosen models).  Run from the
# work tree root:
#   Rscript test/reference/forecast_ts/ets_reference.R > test/reference/forecast_ts/ets_reference.out
suppressMessages(library(forecast))
g <- function(v) sprintf("%.17g", v)
series <- list(AirPassengers = AirPassengers, co2 = co2, UKgas = UKgas,
               USAccDeaths = USAccDeaths, nottem = nottem,
               JohnsonJohnson = JohnsonJohnson, Nile = Nile)
mases <- numeric(0)
for (s in names(series)) {
  x <- series[[s]]
  m <- frequency(x)
  h <- if (m > 1) 2 * m else 10
  n <- length(x)
  train <- subset(x, end = n - h)
  test <- subset(x, start = n - h + 1)
  fit <- ets(train)
  fc <- forecast(fit, h = h, level = 95)
  acc <- accuracy(fc, test)
  scale <- mean(abs(diff(as.numeric(train), lag = m)))
  mases <- c(mases, acc["Test set", "MASE"])
  cat(sprintf("%s m=%d n_train=%d h=%d model=%s aicc=%s MASE=%s scale=%s\n", s, m, length(train), h,
              fit$method, g(fit$aicc), g(acc["Test set", "MASE"]), g(scale)))
}
cat(sprintf("mean MASE forecast::ets = %s\n", g(mean(mases))))
# likelihoods of fixed models on the full series, for the unit tests:
# -2 log L (forecast's lik = -2 loglik) and sigma2
for (cs in list(list("AirPassengers", "MAM"), list("AirPassengers", "AAN"), list("Nile", "ANN"),
                list("UKgas", "MAdM"), list("USAccDeaths", "AAA"))) {
  fit <- ets(series[[cs[[1]]]], model = gsub("d", "", cs[[2]]), damped = grepl("d", cs[[2]]))
  cat(sprintf("fixed %s %s: -2logL=%s aicc=%s sigma2=%s alpha=%s\n", cs[[1]], cs[[2]], g(-2 * fit$loglik), g(fit$aicc),
              g(fit$sigma2), g(fit$par[["alpha"]])))
}
