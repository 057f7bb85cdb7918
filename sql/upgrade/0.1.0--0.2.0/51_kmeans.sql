--------------------------------------------------------------------------
-- k-means (sql/areas/51_kmeans.sql): the search changed (C only), so the
-- comments say what it is now; comments the objects lacked.  kmeans_fit
-- comes in with 51_kmeans_fit.sql.
--------------------------------------------------------------------------

COMMENT ON AGGREGATE kmeans(float8[], integer) IS
	'k-means centroids (k x d float8 array, rows sorted) of the lowest-WCSS clustering found; seed 0';
COMMENT ON AGGREGATE kmeans(float8[], integer, integer) IS
	'k-means centroids (k x d float8 array, rows sorted): k-means++ seeds, Hartigan-Wong, single-point moves, restarts scaled with the problem size; the lowest WCSS wins';

COMMENT ON FUNCTION closest_centroid(float8[], float8[]) IS
	'1-based row of the centroid (k x d array) nearest to the features (ties: the lowest row)';
COMMENT ON FUNCTION closest_centroid_distance(float8[], float8[]) IS
	'Euclidean distance from the features to the nearest centroid (k x d array)';
