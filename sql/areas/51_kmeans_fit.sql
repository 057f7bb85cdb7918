--------------------------------------------------------------------------
-- kmeans_fit: the k-means clustering with its sums of squares and sizes
-- (src/clustering.c; the transition functions are kmeans()'s, in
-- 51_kmeans.sql).  New in 0.2.0: the upgrade fragment is a link to this file.
--------------------------------------------------------------------------

CREATE TYPE kmeans_result AS (
	centroids float8[],
	wcss float8,
	withinss float8[],
	sizes bigint[],
	totss float8
);
COMMENT ON TYPE kmeans_result IS
	'kmeans_fit result: centroids (k x d), total within-cluster sum of squares, per-cluster sums of squares and sizes (in centroid row order), total sum of squares about the mean';
CREATE FUNCTION _kmeans_fit_final(internal) RETURNS kmeans_result
	AS 'MODULE_PATHNAME', 'crm_kmeans_fit_final' LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE AGGREGATE kmeans_fit(features float8[], k integer) (
	SFUNC = _kmeans_trans, STYPE = internal, FINALFUNC = _kmeans_fit_final,
	COMBINEFUNC = _kmeans_combine, SERIALFUNC = _kmeans_serial,
	DESERIALFUNC = _kmeans_deserial, PARALLEL = SAFE
);
CREATE AGGREGATE kmeans_fit(features float8[], k integer, seed integer) (
	SFUNC = _kmeans_trans, STYPE = internal, FINALFUNC = _kmeans_fit_final,
	COMBINEFUNC = _kmeans_combine, SERIALFUNC = _kmeans_serial,
	DESERIALFUNC = _kmeans_deserial, PARALLEL = SAFE
);
COMMENT ON AGGREGATE kmeans_fit(float8[], integer) IS
	'k-means clustering as kmeans() finds it, with its WCSS, per-cluster sums of squares and sizes, and the total sum of squares (compare k by wcss); seed 0';
COMMENT ON AGGREGATE kmeans_fit(float8[], integer, integer) IS
	'k-means clustering as kmeans() finds it, with its WCSS, per-cluster sums of squares and sizes, and the total sum of squares (compare k by wcss)';
