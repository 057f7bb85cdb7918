/*
 * kmeans.h
 *		k-means clustering in pure C99: k-means++ seeding, Lloyd iterations,
 *		a Hartigan-Wong pass (optimal and quick transfer stages with live
 *		sets, after AS 136), a final single-point-move step that stops only
 *		when no move lowers the within-cluster sum of squares (WCSS), and
 *		restarts keeping the lowest WCSS; plus a small deterministic PRNG
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

/* restarts by default: see kmeans_default_nstart() */
#define KMEANS_MIN_NSTART 10
#define KMEANS_MAX_NSTART 459
#define KMEANS_BUDGET 1e7
/* bound on Lloyd iterations, Hartigan-Wong passes and final-move passes */
#define KMEANS_MAX_ITER 100

/* the refinements run after seeding (kmeans_config.steps) */
#define KMEANS_STEP_LLOYD	1	/* Lloyd iterations */
#define KMEANS_STEP_HW		2	/* Hartigan-Wong optimal + quick transfer */
#define KMEANS_STEP_MOVES	4	/* single-point moves until none lowers WCSS */
/* the default: Hartigan-Wong from the seeds, as R does, then the moves */
#define KMEANS_STEPS_DEFAULT (KMEANS_STEP_HW | KMEANS_STEP_MOVES)

/*
 * Called between iterations, for each k-means++ centre and every 256 points
 * within a pass, so a long fit can be cancelled (the SQL glue passes a
 * function that runs CHECK_FOR_INTERRUPTS; it may not return).  May be NULL.
 */
typedef void (*kmeans_tick) (void);

typedef struct kmeans_config
{
	int			nstart;			/* restarts; 0: kmeans_default_nstart() */
	int			max_iter;		/* bound per stage, see KMEANS_MAX_ITER */
	unsigned	steps;			/* KMEANS_STEP_* bits */
	kmeans_tick tick;			/* may be NULL */
} kmeans_config;

/* the defaults: scaled restarts, KMEANS_MAX_ITER, KMEANS_STEPS_DEFAULT, no tick */
extern void kmeans_config_default(kmeans_config *cfg);

/* restarts for n points in d dimensions and k clusters (see kmeans.c) */
extern int	kmeans_default_nstart(size_t n, int d, int k);

/*
 * The chosen clustering.  The caller provides centers (k * d values) and,
 * when wanted, withinss and sizes (k values each, or NULL).  Centre rows
 * are sorted lexicographically, so the answer does not depend on which
 * restart found it; withinss and sizes follow the same order.
 */
typedef struct kmeans_result
{
	double	   *centers;		/* k * d: the cluster means */
	double	   *withinss;		/* k: sum of squares of each cluster */
	int64_t    *sizes;			/* k: points in each cluster */
	double		wcss;			/* total within-cluster sum of squares */
	int			nstart;			/* restarts run */
	int			best_found;		/* restarts that reached that WCSS */
} kmeans_result;

/* scratch bytes kmeans_fit() needs for n points, d dimensions, k clusters */
extern size_t kmeans_work_bytes(size_t n, int d, int k);

/*
 * Cluster the n points x[i * d .. i * d + d - 1] into k clusters.  cfg NULL
 * means kmeans_config_default().  work: kmeans_work_bytes() bytes, suitably
 * aligned for double.
 */
extern kmeans_status kmeans_fit(const double *x, size_t n, int d, int k,
								 uint64_t seed, const kmeans_config *cfg,
								 kmeans_result *res, void *work);

/* total sum of squares of the points about their mean (R's totss) */
extern double kmeans_totss(const double *x, size_t n, int d);

/* 0-based index of the centre nearest to p (ties: the lowest index) */
extern int	kmeans_closest(const double *p, const double *centers, int k, int d);

/* sort n points of dimension d lexicographically, in place */
extern void kmeans_sort_points(double *x, size_t n, int d);

#endif							/* CRM_KMEANS_H */
