--------------------------------------------------------------------------
-- k-means (sql/areas/51_kmeans.sql)
--------------------------------------------------------------------------

-- the search changed (C only): the comment says what it is now
COMMENT ON AGGREGATE kmeans(float8[], integer, integer) IS
	'k-means centroids (k x d float8 array, rows sorted): k-means++ seeds, Hartigan-Wong, single-point moves, restarts scaled with the problem size; the lowest WCSS wins';
