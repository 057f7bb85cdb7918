/*
 * kmeans_steps.c
 *		What each part of the k-means search costs and buys: runs the core
 *		(src/core/segment/kmeans.c) with a choice of refinement steps and
 *		restart counts on R's 217 reference cases and on uniform random 3-D
 *		points, and prints for each configuration how often its WCSS is
 *		better than, equal to or worse than R's kmeans(nstart = 10) and the
 *		CPU time it took.
 *
 * Built and run by test/bench/kmeans_bench.sh:
 *   kmeans_steps DATASETS_CSV REF_CSV N_POINTS
 * The data sets are z-scored as R's scale() does and sorted as the
 * aggregate sorts them, so each case clusters what the SQL test clusters.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "segment/kmeans.h"

#define MAX_SETS 64
#define MAX_DIM 64
#define MAX_K 16

typedef struct dataset
{
	char		name[64];
	size_t		n;
	size_t		cap;
	int			d;
	double	   *x;
} dataset;

typedef struct refcase
{
	dataset    *set;
	int			k;
	double		wcss;
} refcase;

static dataset sets[MAX_SETS];
static int	nsets = 0;

/* the data set called name, or NULL */
static dataset *
find_set(const char *name)
{
	int			i;

	for (i = 0; i < nsets; i++)
		if (strcmp(sets[i].name, name) == 0)
			return &sets[i];
	return NULL;
}

/* exit with a message: a benchmark that cannot read its input cannot run */
static void
fail(const char *what, const char *detail)
{
	fprintf(stderr, "kmeans_steps: %s: %s\n", what, detail);
	exit(1);
}

/*
 * Read "set,i,\"{v1,...,vd}\"" rows (kmeans_datasets.csv) into sets[],
 * then z-score every column (n - 1 in the standard deviation) and sort the
 * rows.
 */
static void
read_datasets(const char *path)
{
	FILE	   *f = fopen(path, "r");
	char		line[8192];
	int			s;

	if (f == NULL)
		fail("cannot open", path);
	if (fgets(line, sizeof(line), f) == NULL)
		fail("empty file", path);
	while (fgets(line, sizeof(line), f) != NULL)
	{
		char	   *comma = strchr(line, ',');
		char	   *p = strchr(line, '{');
		double		v[MAX_DIM];
		int			d = 0;
		dataset    *ds;

		if (comma == NULL || p == NULL)
			fail("malformed row", line);
		*comma = '\0';
		for (p++; *p != '}' && *p != '\0' && d < MAX_DIM;)
		{
			v[d++] = strtod(p, &p);
			if (*p == ',')
				p++;
		}
		ds = find_set(line);
		if (ds == NULL)
		{
			if (nsets == MAX_SETS)
				fail("too many data sets", path);
			ds = &sets[nsets++];
			snprintf(ds->name, sizeof(ds->name), "%.63s", line);
			ds->d = d;
		}
		if (d != ds->d)
			fail("rows of different lengths in", ds->name);
		if (ds->n == ds->cap)
		{
			ds->cap = ds->cap ? 2 * ds->cap : 256;
			ds->x = realloc(ds->x, sizeof(double) * ds->cap * d);
			if (ds->x == NULL)
				fail("out of memory", ds->name);
		}
		memcpy(ds->x + ds->n * d, v, sizeof(double) * d);
		ds->n++;
	}
	fclose(f);
	for (s = 0; s < nsets; s++)
	{
		dataset    *ds = &sets[s];
		int			j;

		for (j = 0; j < ds->d; j++)
		{
			double		mean = 0.0,
						ss = 0.0,
						sd;
			size_t		i;

			for (i = 0; i < ds->n; i++)
				mean += ds->x[i * ds->d + j];
			mean /= (double) ds->n;
			for (i = 0; i < ds->n; i++)
				ss += (ds->x[i * ds->d + j] - mean) * (ds->x[i * ds->d + j] - mean);
			sd = sqrt(ss / (double) (ds->n - 1));
			for (i = 0; i < ds->n; i++)
				ds->x[i * ds->d + j] = (ds->x[i * ds->d + j] - mean) / sd;
		}
		kmeans_sort_points(ds->x, ds->n, ds->d);
	}
}

/* Read "set,n,d,k,wcss" rows (kmeans_datasets_ref.csv); returns the count. */
static int
read_refs(const char *path, refcase *refs, int max)
{
	FILE	   *f = fopen(path, "r");
	char		line[512];
	int			nref = 0;

	if (f == NULL)
		fail("cannot open", path);
	if (fgets(line, sizeof(line), f) == NULL)
		fail("empty file", path);
	while (fgets(line, sizeof(line), f) != NULL && nref < max)
	{
		char	   *comma = strchr(line, ',');
		int			n,
					d;

		if (comma == NULL)
			fail("malformed row", line);
		*comma = '\0';
		refs[nref].set = find_set(line);
		if (refs[nref].set == NULL)
			fail("no rows for data set", line);
		if (sscanf(comma + 1, "%d,%d,%d,%lf", &n, &d, &refs[nref].k,
				   &refs[nref].wcss) != 4 || refs[nref].k > MAX_K)
			fail("malformed row", comma + 1);
		nref++;
	}
	fclose(f);
	return nref;
}

/* CPU seconds of this process */
static double
cpu_seconds(void)
{
	return (double) clock() / CLOCKS_PER_SEC;
}

/* one fit; returns its WCSS */
static double
fit(const double *x, size_t n, int d, int k, unsigned steps, int nstart,
	void *work)
{
	double		centers[MAX_K * MAX_DIM];
	kmeans_config cfg;
	kmeans_result res = {centers, NULL, NULL, 0.0, 0, 0};

	kmeans_config_default(&cfg);
	cfg.steps = steps;
	cfg.nstart = nstart;
	if (kmeans_fit(x, n, d, k, 0, &cfg, &res, work) != KMEANS_OK)
		fail("fit failed", "");
	return res.wcss;
}

int
main(int argc, char **argv)
{
	static const struct
	{
		const char *name;
		unsigned	steps;
		int			nstart;		/* 0: the default, scaled */
	}			configs[] = {
		{"Lloyd, 10 restarts", KMEANS_STEP_LLOYD, 10},
		{"Lloyd + moves, 10 restarts (0.1.0)", KMEANS_STEP_LLOYD | KMEANS_STEP_MOVES, 10},
		{"HW, 10 restarts", KMEANS_STEP_HW, 10},
		{"HW + moves, 10 restarts", KMEANS_STEP_HW | KMEANS_STEP_MOVES, 10},
		{"Lloyd + HW + moves, 10 restarts", KMEANS_STEP_LLOYD | KMEANS_STEP_HW | KMEANS_STEP_MOVES, 10},
		{"Lloyd + moves, scaled restarts", KMEANS_STEP_LLOYD | KMEANS_STEP_MOVES, 0},
		{"HW + moves, scaled restarts (default)", KMEANS_STEPS_DEFAULT, 0},
	};
	refcase		refs[512];
	int			nref,
				c;
	size_t		npts,
				i;
	double	   *pts;
	void	   *work;
	size_t		work_max = 0;
	crm_rng		rng;

	if (argc != 4)
	{
		fprintf(stderr, "usage: kmeans_steps DATASETS_CSV REF_CSV N_POINTS\n");
		return 2;
	}
	read_datasets(argv[1]);
	nref = read_refs(argv[2], refs, 512);
	npts = (size_t) strtoul(argv[3], NULL, 10);
	for (c = 0; c < nref; c++)
		if (kmeans_work_bytes(refs[c].set->n, refs[c].set->d, refs[c].k) > work_max)
			work_max = kmeans_work_bytes(refs[c].set->n, refs[c].set->d, refs[c].k);
	if (kmeans_work_bytes(npts, 3, 8) > work_max)
		work_max = kmeans_work_bytes(npts, 3, 8);
	work = malloc(work_max);
	pts = malloc(sizeof(double) * 3 * (npts > 0 ? npts : 1));
	if (work == NULL || pts == NULL)
		fail("out of memory", "");
	crm_rng_seed(&rng, 42);
	for (i = 0; i < 3 * npts; i++)
		pts[i] = crm_rng_double(&rng);
	kmeans_sort_points(pts, npts, 3);

	printf("%-38s | %4s %5s %5s %8s | %9s %12s\n", "steps, restarts", "R: better", "equal",
		   "worse", "CPU s", "3-D CPU s", "3-D WCSS");
	for (c = 0; c < (int) (sizeof(configs) / sizeof(configs[0])); c++)
	{
		int			better = 0,
					equal = 0,
					worse = 0,
					r;
		double		t0 = cpu_seconds(),
					t_cases,
					t_pts = 0.0,
					w_pts = 0.0;

		for (r = 0; r < nref; r++)
		{
			double		w = fit(refs[r].set->x, refs[r].set->n, refs[r].set->d,
								refs[r].k, configs[c].steps, configs[c].nstart, work);
			double		rel = (w - refs[r].wcss) / refs[r].wcss;

			if (rel > 1e-9)
				worse++;
			else if (rel < -1e-9)
				better++;
			else
				equal++;
		}
		t_cases = cpu_seconds() - t0;
		if (npts >= 8)
		{
			t0 = cpu_seconds();
			w_pts = fit(pts, npts, 3, 8, configs[c].steps, configs[c].nstart, work);
			t_pts = cpu_seconds() - t0;
		}
		printf("%-38s | %9d %5d %5d %8.3f | %9.3f %12.6f\n", configs[c].name, better, equal,
			   worse, t_cases, t_pts, w_pts);
		fflush(stdout);
	}
	free(work);
	free(pts);
	return 0;
}
