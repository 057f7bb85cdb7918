# Reference WCSS of R's kmeans(x, k, nstart = 10) (Hartigan-Wong, the default)
# for test/sql/kmeans.sql.  Run from the work tree root:
#   Rscript test/reference/segment/kmeans_ref.R > test/reference/segment/kmeans_ref.out
# Writes test/data/iris.csv (R's iris[, 1:4]).
write.csv(iris[, 1:4], "test/data/iris.csv", row.names = FALSE, quote = FALSE)
set.seed(20261128)
ki <- kmeans(iris[, 1:4], 3, nstart = 10)
cat(sprintf("iris k=3 tot.withinss %.10f\n", ki$tot.withinss))
print(ki$centers[order(ki$centers[, 1]), ], digits = 10)
cat("sizes (same order):", ki$size[order(ki$centers[, 1])], "\n")
for (k in c(2, 4, 5)) {
  set.seed(20261128)
  kk <- kmeans(iris[, 1:4], k, nstart = 10)
  cat(sprintf("iris k=%d tot.withinss %.10f\n", k, kk$tot.withinss))
  # sizes in the order of the centre rows sorted lexicographically, as
  # crm_sales returns them
  o <- do.call(order, unname(as.data.frame(kk$centers)))
  cat("  sizes (sorted centre rows):", kk$size[o], "\n")
}
cat(sprintf("iris totss %.10f\n", ki$totss))

# CDNOW sample customers, z-scored (recency, frequency, monetary) as in
# test/data/rfm_cdnow_ref.csv; scale() divides by the n - 1 standard deviation.
r <- read.csv("test/data/rfm_cdnow_ref.csv")
x <- scale(r[, c("recency", "frequency", "monetary")])
for (k in c(3, 4, 6)) {
  set.seed(20261128)
  kc <- kmeans(x, k, nstart = 10)
  cat(sprintf("cdnow scaled rfm k=%d tot.withinss %.10f\n", k, kc$tot.withinss))
}
