/*
 * next_node.c
 *		Next-step analysis (ClickHouse sequenceNextNode, see next_node.h).
 */
#include "funnel/next_node.h"

#include <string.h>

/* Parse a direction keyword. */
int
nn_parse_direction(const char *s, size_t len)
{
	if (len == 7 && memcmp(s, "forward", 7) == 0)
		return NN_FORWARD;
	if (len == 8 && memcmp(s, "backward", 8) == 0)
		return NN_BACKWARD;
	return -1;
}

/* Parse a base keyword. */
int
nn_parse_base(const char *s, size_t len)
{
	if (len == 4 && memcmp(s, "head", 4) == 0)
		return NN_HEAD;
	if (len == 4 && memcmp(s, "tail", 4) == 0)
		return NN_TAIL;
	if (len == 11 && memcmp(s, "first_match", 11) == 0)
		return NN_FIRST_MATCH;
	if (len == 10 && memcmp(s, "last_match", 10) == 0)
		return NN_LAST_MATCH;
	return -1;
}

/* Allowed combinations (see header). */
int
nn_valid(int direction, int base, int nevents)
{
	if (base == NN_HEAD && direction == NN_BACKWARD)
		return 0;
	if (base == NN_TAIL && direction == NN_FORWARD)
		return 0;
	if ((base == NN_FIRST_MATCH || base == NN_LAST_MATCH) && nevents < 1)
		return 0;
	return 1;
}

/*
 * Node a before node b?  (ts, value) as ClickHouse; nodes equal in both
 * (ClickHouse keeps them in arrival order, which parallel plans change)
 * by their event mask, then the base condition, so the order is one.
 */
static int
nn_less(const NnNode *a, const NnNode *b)
{
	uint32_t	m;
	int			c;

	if (a->ts != b->ts)
		return a->ts < b->ts;
	m = a->len < b->len ? a->len : b->len;
	c = m > 0 ? memcmp(a->value, b->value, m) : 0;
	if (c != 0)
		return c < 0;
	if (a->len != b->len)
		return a->len < b->len;
	if (a->events != b->events)
		return a->events < b->events;
	return a->can_be_base < b->can_be_base;
}

/* Stable merge sort of nodes (see header). */
void
nn_sort(NnNode *nodes, size_t n, NnNode *scratch)
{
	size_t		width;
	size_t		i;

	for (i = 1; i < n; i++)
		if (nn_less(&nodes[i], &nodes[i - 1]))
			break;
	if (i >= n)
		return;
	for (width = 1; width < n; width *= 2)
	{
		for (i = 0; i < n; i += 2 * width)
		{
			size_t		mid = i + width < n ? i + width : n;
			size_t		hi = i + 2 * width < n ? i + 2 * width : n;
			size_t		a = i,
						b = mid,
						k = i;

			/* equal nodes: the left run's first (stable) */
			while (a < mid && b < hi)
				scratch[k++] = nn_less(&nodes[b], &nodes[a]) ? nodes[b++] : nodes[a++];
			while (a < mid)
				scratch[k++] = nodes[a++];
			while (b < hi)
				scratch[k++] = nodes[b++];
		}
		memcpy(nodes, scratch, n * sizeof(NnNode));
	}
}

/* The answer's index (see header). */
int64_t
nn_next_node(const NnNode *nodes, size_t n, int direction, int base, int nevents)
{
	size_t		b = 0;
	size_t		i;
	int			found = 0;

	if (n <= (size_t) nevents)
		return -1;
	switch (base)
	{
		case NN_HEAD:
			found = nodes[0].can_be_base;
			b = 0;
			break;
		case NN_TAIL:
			found = nodes[n - 1].can_be_base;
			b = n - 1;
			break;
		case NN_FIRST_MATCH:
			for (i = 0; i < n && !found; i++)
				if ((nodes[i].events & 1) && nodes[i].can_be_base)
				{
					b = i;
					found = 1;
				}
			break;
		default:
			for (i = n; i > 0 && !found; i--)
				if ((nodes[i - 1].events & 1) && nodes[i - 1].can_be_base)
				{
					b = i - 1;
					found = 1;
				}
			break;
	}
	if (!found)
		return -1;
	if (nevents == 0)
		return (int64_t) b;
	if (direction == NN_FORWARD)
	{
		for (i = 0; i < (size_t) nevents && b + i < n; i++)
			if (!(nodes[b + i].events & ((uint32_t) 1 << i)))
				break;
		/* the answer must be a node: base + nevents < n */
		return i == (size_t) nevents && b + i < n ? (int64_t) (b + i) : -1;
	}
	for (i = 0; i < (size_t) nevents && i < b; i++)
		if (!(nodes[b - i].events & ((uint32_t) 1 << i)))
			break;
	return i == (size_t) nevents ? (int64_t) (b - i) : -1;
}
