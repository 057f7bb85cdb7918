# Reference WCSS of R's kmeans(x, k, nstart = 10) (Hartigan-Wong, the
# default) after set.seed(1), on every numeric data set of base R's
# `datasets` package with 100 to 5,000 rows, z-scored, k = 2..8.
# Checked by test/sql/kmeans_datasets.sql.  Run from the work tree root:
#   Rscript test/reference/segment/kmeans_datasets.R \
#     > test/reference/segment/kmeans_datasets_ref.out
# Writes
#   test/reference/segment/kmeans_datasets.csv      set,i,features: the raw
#       (unscaled) rows used, features as a float8[] literal whose values
#       read back as the same doubles
#   test/reference/segment/kmeans_datasets_ref.csv  set,n,d,k,wcss (%.17g)
# and prints which data sets were taken or left out, and why.
#
# What counts as a data set and how it becomes a numeric matrix:
# - every object listed by data(package = "datasets"), e.g. "beaver1" of
#   "beaver1 (beavers)";
# - data frames: their numeric (double or integer) columns; factors,
#   ordered factors and character columns are left out.  ID-like numeric
#   columns (morley$Run, infert$stratum) stay: we do not judge meaning;
# - time series (ts, mts): the values only, one column per series; the time
#   index is not a feature (the rows are the time points);
# - numeric matrices: rows are observations, columns variables;
# - plain numeric vectors: one column;
# - contingency tables (class "table"), arrays of more than two dimensions,
#   dist objects, lists, factors and character vectors: left out (they are
#   not a set of observation rows);
# - NAs: rows with an NA in any kept column are dropped (complete cases),
#   and the row count is taken after that: 100 to 5,000 rows are kept;
# - constant columns (standard deviation 0 after dropping NAs) are left out,
#   since their z-score is undefined;
# - z-score: scale(), i.e. (x - mean) / sd with the n - 1 standard deviation;
#   the SQL test z-scores the raw rows with avg() and stddev_samp();
# - k larger than the number of distinct rows: R refuses it; such cases are
#   listed and left out.
items <- data(package = "datasets")$results[, "Item"]
names <- sort(unique(sub(" .*", "", items)), method = "radix")
env <- as.environment("package:datasets")

# exact text for a double: R's 15 digits when they read back the same value,
# else 17
num_text <- function(v) {
  s <- as.character(v)
  bad <- as.numeric(s) != v
  s[bad] <- sprintf("%.17g", v[bad])
  s
}

as_numeric_matrix <- function(x) {
  if (inherits(x, "table") || inherits(x, "dist") || is.list(x) && !is.data.frame(x))
    return("not observation rows (table, dist or list)")
  if (is.data.frame(x)) {
    keep <- vapply(x, function(col) is.numeric(col) && !is.factor(col), TRUE)
    if (!any(keep))
      return("no numeric column")
    return(as.matrix(x[, keep, drop = FALSE]))
  }
  if (is.factor(x) || !is.numeric(x))
    return("not numeric")
  if (is.ts(x) || is.null(dim(x)))
    return(matrix(as.numeric(unclass(x)), ncol = NCOL(x),
                  dimnames = list(NULL, colnames(x))))
  if (length(dim(x)) == 2)
    return(unclass(x))
  "array of more than two dimensions"
}

data_rows <- character(0)
ref_rows <- character(0)
for (nm in names) {
  m <- as_numeric_matrix(get(nm, envir = env))
  if (is.character(m)) {
    cat(sprintf("skip %-22s %s\n", nm, m))
    next
  }
  storage.mode(m) <- "double"
  rows0 <- nrow(m)
  m <- m[complete.cases(m), , drop = FALSE]
  sds <- apply(m, 2, sd)
  dropped <- if (nrow(m) > 1) which(sds == 0) else integer(0)
  if (length(dropped) > 0)
    m <- m[, -dropped, drop = FALSE]
  if (nrow(m) < 100 || nrow(m) > 5000) {
    cat(sprintf("skip %-22s %d complete rows (%d in all): outside 100..5000\n",
                nm, nrow(m), rows0))
    next
  }
  cat(sprintf("take %-22s %d rows (%d in all), %d columns%s\n", nm, nrow(m), rows0,
              ncol(m), if (length(dropped) > 0) " (constant columns dropped)" else ""))
  feats <- apply(m, 1, function(r) paste0("\"{", paste(num_text(r), collapse = ","), "}\""))
  data_rows <- c(data_rows, sprintf("%s,%d,%s", nm, seq_len(nrow(m)), feats))
  z <- scale(m)
  for (k in 2:8) {
    set.seed(1)
    fit <- tryCatch(suppressWarnings(kmeans(z, k, nstart = 10)),
                    error = function(e) conditionMessage(e))
    if (is.character(fit)) {
      cat(sprintf("     %-22s k=%d: R refuses: %s\n", nm, k, fit))
      next
    }
    ref_rows <- c(ref_rows, sprintf("%s,%d,%d,%d,%.17g", nm, nrow(m), ncol(m), k,
                                    fit$tot.withinss))
    # sizes in the order of the centre rows sorted lexicographically, as
    # crm_sales returns them
    o <- do.call(order, unname(as.data.frame(fit$centers)))
    cat(sprintf("     %-22s k=%d wcss %.17g (ifault %d) sizes %s\n", nm, k, fit$tot.withinss,
                fit$ifault, paste(fit$size[o], collapse = " ")))
  }
}
writeLines(c("set,i,features", data_rows), "test/reference/segment/kmeans_datasets.csv")
writeLines(c("set,n,d,k,wcss", ref_rows), "test/reference/segment/kmeans_datasets_ref.csv")
cat(sprintf("%d data sets, %d cases\n", length(unique(sub(",.*", "", ref_rows))),
            length(ref_rows)))
