/*
 * kmeans.h
 *		k-means clustering in pure C99: k-means++ seeding, Lloyd iterations
 *		refined by Hartigan single-point moves, several restarts keeping the
 *		lowest within-cluster sum of squares, and a small deterministic PRNG
 *		(xoshiro256**, seeded by splitmix64) so results are the same on every
 *		platform for a given seed.
 *
 * Memory belongs to the caller: kmeans_work_bytes() says how much scratch
 * space kmeans_fit() needs.  Nothing here allocates or keeps global state.
 */
#ifndef CRM_KMEANS_H
#define CRM_KMEANS_H

#include <stddef.h>
#include <stdint.h>

typedef struct crm_rng
{
	uint64_t	s[4];
} crm_rng;

extern void crm_rng_seed(crm_rng *rng, uint64_t seed);
extern uint64_t crm_rng_next(crm_rng *rng);
/* uniform in [0, 1), 53 random bits */
extern double crm_rng_double(crm_rng *rng);

typedef enum kmeans_status
{
	KMEANS_OK = 0,
	KMEANS_BAD_K,				/* k < 1 or k > n */
	KMEANS_TOO_FEW_DISTINCT		/* fewer distinct points than k */
} kmeans_status;

#define KMEANS_NSTART 10
#define KMEANS_MAX_ITER 100

/* scratch bytes kmeans_fit() needs for n points, d dimensions, k clusters */
extern size_t kmeans_work_bytes(size_t n, int d, int k);

/*
 * Called between iterations, for each k-means++ centre and every 256 points
 * within a pass, so a long fit can be cancelled (the SQL glue passes a
 * function that runs CHECK_FOR_INTERRUPTS; it may not return).  May be NULL.
 */
typedef void (*kmeans_tick) (void);

/*
 * Cluster the n points x[i * d .. i * d + d - 1] into k clusters.  Writes the
 * best centres (k * d values, sorted lexicographically so the answer does not
 * depend on which restart found it) and their within-cluster sum of squares.
 * work: kmeans_work_bytes() bytes, suitably aligned for double.
 */
extern kmeans_status kmeans_fit(const double *x, size_t n, int d, int k,
								 uint64_t seed, int nstart, int max_iter,
								 double *centers, double *wcss, void *work,
								 kmeans_tick tick);

/* 0-based index of the centre nearest to p (ties: the lowest index) */
extern int	kmeans_closest(const double *p, const double *centers, int k, int d);

/* sort n points of dimension d lexicographically, in place */
extern void kmeans_sort_points(double *x, size_t n, int d);

#endif							/* CRM_KMEANS_H */
