--------------------------------------------------------------------------
-- k-means clustering of behaviour vectors (src/clustering.c)
--------------------------------------------------------------------------

CREATE FUNCTION _kmeans_trans(internal, float8[], integer) RETURNS internal
	AS 'MODULE_PATHNAME', 'crm_kmeans_trans' LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION _kmeans_trans(internal, float8[], integer, integer) RETURNS internal
	AS 'MODULE_PATHNAME', 'crm_kmeans_trans' LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION _kmeans_combine(internal, internal) RETURNS internal
	AS 'MODULE_PATHNAME', 'crm_kmeans_combine' LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION _kmeans_serial(internal) RETURNS bytea
	AS 'MODULE_PATHNAME', 'crm_kmeans_serial' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION _kmeans_deserial(bytea, internal) RETURNS internal
	AS 'MODULE_PATHNAME', 'crm_kmeans_deserial' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION _kmeans_final(internal) RETURNS float8[]
	AS 'MODULE_PATHNAME', 'crm_kmeans_final' LANGUAGE C IMMUTABLE PARALLEL SAFE;

CREATE AGGREGATE kmeans(features float8[], k integer) (
	SFUNC = _kmeans_trans, STYPE = internal, FINALFUNC = _kmeans_final,
	COMBINEFUNC = _kmeans_combine, SERIALFUNC = _kmeans_serial,
	DESERIALFUNC = _kmeans_deserial, PARALLEL = SAFE
);
CREATE AGGREGATE kmeans(features float8[], k integer, seed integer) (
	SFUNC = _kmeans_trans, STYPE = internal, FINALFUNC = _kmeans_final,
	COMBINEFUNC = _kmeans_combine, SERIALFUNC = _kmeans_serial,
	DESERIALFUNC = _kmeans_deserial, PARALLEL = SAFE
);
COMMENT ON AGGREGATE kmeans(float8[], integer) IS
	'k-means centroids (k x d float8 array, rows sorted) of the lowest-WCSS clustering found; seed 0';
COMMENT ON AGGREGATE kmeans(float8[], integer, integer) IS
	'k-means centroids (k x d float8 array, rows sorted): k-means++ seeds, Hartigan-Wong, single-point moves, restarts scaled with the problem size; the lowest WCSS wins';

CREATE FUNCTION closest_centroid(features float8[], centroids float8[]) RETURNS integer
	AS 'MODULE_PATHNAME', 'crm_closest_centroid' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION closest_centroid_distance(features float8[], centroids float8[]) RETURNS float8
	AS 'MODULE_PATHNAME', 'crm_closest_centroid_distance' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION closest_centroid(float8[], float8[]) IS
	'1-based row of the centroid (k x d array) nearest to the features (ties: the lowest row)';
COMMENT ON FUNCTION closest_centroid_distance(float8[], float8[]) IS
	'Euclidean distance from the features to the nearest centroid (k x d array)';
