# Independent RFM scores of the CDNOW 1/10 sample (2,357 customers), the
# reference of test/sql/rfm_score.sql.  Run from the work tree root:
#   Rscript test/reference/segment/rfm_cdnow.R > test/reference/segment/rfm_cdnow.out
# It writes test/data/rfm_cdnow_ref.csv (one row per customer).
#
# Per customer (sample id, column 2 of CDNOW_sample.txt):
#   recency   = days from the last purchase to 1998-07-01 (data end 1998-06-30)
#   frequency = number of distinct purchase days
#   monetary  = total dollars, summed in whole cents, then / 100
# Quantile scores replicate pandas qcut(x, q, labels=False, duplicates='drop') + 1:
#   edges = quantile(x, (0:q)/q, type = 7) (pandas' "linear" interpolation),
#   duplicate edges dropped, bins (e[j-1], e[j]] with the lowest edge included.
#   R score: the same on -recency (recent = high score).
# NTILE scores replicate SQL NTILE(q) OVER (ORDER BY value, id), R over
#   ORDER BY recency DESC, id.
# The transactions: ../shared/data/cdnow/CDNOW_sample.txt (see its SOURCE.md),
# or the path given as the first argument.
args <- commandArgs(trailingOnly = TRUE)
src <- if (length(args) >= 1) args[1] else "../shared/data/cdnow/CDNOW_sample.txt"
tx <- read.table(src,
                 col.names = c("master", "id", "date", "cds", "dollars"))
tx$cents <- round(tx$dollars * 100)
tx$day <- as.Date(as.character(tx$date), "%Y%m%d")
end <- as.Date("1998-07-01")
ids <- sort(unique(tx$id))
last <- tapply(tx$day, tx$id, max)
rec <- as.numeric(end - as.Date(last[as.character(ids)], origin = "1970-01-01"))
freq <- as.numeric(tapply(tx$day, tx$id, function(d) length(unique(d)))[as.character(ids)])
mon <- as.numeric(tapply(tx$cents, tx$id, sum)[as.character(ids)]) / 100

qscore <- function(x, q) {
  e <- unique(quantile(x, probs = (0:q) / q, type = 7, names = FALSE))
  if (length(e) < 2) return(rep(1L, length(x)))
  cut(x, breaks = e, include.lowest = TRUE, right = TRUE, labels = FALSE)
}
ntile <- function(ord, q) {
  n <- length(ord)
  per <- n %/% q; extra <- n %% q
  sizes <- per + (seq_len(q) <= extra)
  s <- integer(n)
  s[ord] <- rep(seq_len(q), times = sizes)
  s
}
out <- data.frame(id = ids, recency = rec, frequency = freq, monetary = mon)
for (q in c(5, 3, 9)) {
  out[[paste0("qr", q)]] <- qscore(-rec, q)
  out[[paste0("qf", q)]] <- qscore(freq, q)
  out[[paste0("qm", q)]] <- qscore(mon, q)
  out[[paste0("nr", q)]] <- ntile(order(-rec, ids), q)
  out[[paste0("nf", q)]] <- ntile(order(freq, ids), q)
  out[[paste0("nm", q)]] <- ntile(order(mon, ids), q)
}
write.csv(out, "test/data/rfm_cdnow_ref.csv", row.names = FALSE, quote = FALSE)

cat("customers:", nrow(out), "\n")
for (q in c(5, 3, 9)) {
  cat(sprintf("\nq = %d quantile edges (type 7, duplicates dropped)\n", q))
  cat("-recency: ", format(unique(quantile(-rec, (0:q) / q, type = 7, names = FALSE)), digits = 17), "\n")
  cat("frequency:", format(unique(quantile(freq, (0:q) / q, type = 7, names = FALSE)), digits = 17), "\n")
  cat("monetary: ", format(unique(quantile(mon, (0:q) / q, type = 7, names = FALSE)), digits = 17), "\n")
  for (col in c("qr", "qf", "qm", "nr", "nf", "nm")) {
    t <- table(out[[paste0(col, q)]])
    cat(sprintf("%s%d counts: %s\n", col, q, paste(names(t), t, sep = ":", collapse = " ")))
  }
  cat(sprintf("sum of r*100+f*10+m, quantile: %d, ntile: %d\n",
      sum(out[[paste0("qr", q)]] * 100 + out[[paste0("qf", q)]] * 10 + out[[paste0("qm", q)]]),
      sum(out[[paste0("nr", q)]] * 100 + out[[paste0("nf", q)]] * 10 + out[[paste0("nm", q)]])))
}

# Named segments of the q = 5 quantile scores, from the README grid
# (rows R = 5..1, columns FM = 1..5, FM = floor((F + M + 1) / 2)).
grid <- rbind(
  c("New Customers", "Potential Loyalist", "Potential Loyalist", "Champions", "Champions"),
  c("Promising", "Potential Loyalist", "Potential Loyalist", "Champions", "Champions"),
  c("Promising", "Need Attention", "Loyal Customers", "Loyal Customers", "Loyal Customers"),
  c("About To Sleep", "About To Sleep", "At Risk", "At Risk", "At Risk"),
  c("Lost", "Hibernating", "At Risk", "Cannot Lose Them", "Cannot Lose Them"))
fm <- (out$qf5 + out$qm5 + 1) %/% 2
seg <- grid[cbind(6 - out$qr5, fm)]
t <- sort(table(seg), decreasing = TRUE)
cat("\nsegments of the q = 5 quantile scores:\n")
for (s in names(t)) cat(sprintf("%s: %d\n", s, t[[s]]))
