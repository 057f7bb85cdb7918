/*
 * next_node.h
 *		Next-step analysis with the meaning of ClickHouse's sequenceNextNode:
 *		pure C99, no PostgreSQL headers, caller-owned memory.
 *
 * Every row of a group is a node: a timestamp, a value (the event's name,
 * any bytes), whether it can be the base (the base condition) and the bit
 * mask of the event conditions it matches (bit k-1 = event k).  Sorted by
 * (timestamp, value), the nodes form one sequence; the base is the first
 * node (head), the last (tail), the first matching event 1 and the base
 * condition (first_match) or the last such (last_match).  Forward, the
 * nodes base, base+1, ..., base+n-1 must match events 1..n and the answer
 * is node base+n; backward, base, base-1, ... must match events 1..n and
 * the answer is node base-n.  No answer (NULL) otherwise.
 */
#ifndef CRM_NEXT_NODE_H
#define CRM_NEXT_NODE_H

#include <stddef.h>
#include <stdint.h>

#define NN_FORWARD		0
#define NN_BACKWARD		1

#define NN_HEAD			0
#define NN_TAIL			1
#define NN_FIRST_MATCH	2
#define NN_LAST_MATCH	3

/* One node; value points into caller-owned memory. */
typedef struct NnNode
{
	int64_t		ts;
	const char *value;
	uint32_t	len;
	uint32_t	events;			/* bit k-1: event k holds */
	int			can_be_base;
} NnNode;

/* Parse the direction / base keywords (exact, lower case); -1 if unknown. */
int			nn_parse_direction(const char *s, size_t len);
int			nn_parse_base(const char *s, size_t len);

/*
 * Is the combination allowed?  ClickHouse refuses head with backward and
 * tail with forward, and first_match / last_match without an event.
 */
int			nn_valid(int direction, int base, int nevents);

/*
 * Sort nodes by (ts, value) with ClickHouse's value order (bytes compared
 * over the shorter length, then the shorter first), then by event mask and
 * base condition (ours: ClickHouse keeps such ties in arrival order).
 * scratch holds n nodes.
 */
void		nn_sort(NnNode *nodes, size_t n, NnNode *scratch);

/* The index of the answer among the sorted nodes, or -1 for none. */
int64_t		nn_next_node(const NnNode *nodes, size_t n, int direction, int base,
						 int nevents);

#endif							/* CRM_NEXT_NODE_H */
