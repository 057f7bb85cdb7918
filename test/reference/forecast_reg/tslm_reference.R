# Reference values for crm_sales.tslm / tslm_forecast: forecast::tslm(y ~ trend + season)
# (forecast 8.20) and forecast(fit, h, level = c(80, 95)).
# Run: Rscript tslm_reference.R > tslm_reference.out
suppressMessages(library(forecast))
p17 <- function(label, v) cat(label, formatC(v, digits = 17, format = "g"), "\n")
for (nm in c("AirPassengers", "UKgas", "USAccDeaths")) {
  y <- get(nm)
  cat("==", nm, "frequency", frequency(y), "n", length(y), "start", start(y), "\n")
  cat("values", formatC(as.numeric(y), digits = 17, format = "g"), "\n")
  fit <- tslm(y ~ trend + season)
  s <- summary(fit)
  p17("coef", coef(fit))
  p17("se", s$coefficients[, 2])
  p17("sigma", s$sigma)
  p17("r2", s$r.squared)
  h <- 2 * frequency(y)
  fc <- forecast(fit, h = h, level = c(80, 95))
  for (k in 1:h)
    p17(sprintf("fc h=%d", k), c(fc$mean[k], fc$lower[k, 1], fc$upper[k, 1], fc$lower[k, 2], fc$upper[k, 2]))
}
