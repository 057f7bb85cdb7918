/*
 * event_log.c
 *		The compact event log of funnel_events (see event_log.h): varint
 *		records of one entity each, in ascending entity order, and the merge
 *		of several logs into the funnel's level counts.
 */
#include "funnel/event_log.h"

#include <string.h>

#include "funnel/window_funnel.h"

/* Zigzag: small magnitudes of either sign become small unsigned numbers. */
static inline uint64_t
el_zigzag(uint64_t u)
{
	return (u << 1) ^ ((uint64_t) 0 - (u >> 63));
}

/* The inverse of el_zigzag. */
static inline uint64_t
el_unzigzag(uint64_t z)
{
	return (z >> 1) ^ ((uint64_t) 0 - (z & 1));
}

/* Write a varint (see header). */
size_t
el_put_varint(uint8_t *p, uint64_t v)
{
	size_t		n = 0;

	while (v >= 0x80)
	{
		p[n++] = (uint8_t) (v | 0x80);
		v >>= 7;
	}
	p[n++] = (uint8_t) v;
	return n;
}

/* Read a varint (see header). */
int
el_get_varint(const uint8_t **p, const uint8_t *end, uint64_t *v)
{
	const uint8_t *q = *p;
	uint64_t	r = 0;
	int			shift = 0;

	for (;;)
	{
		uint8_t		b;

		if (q >= end)
			return EL_TRUNCATED;
		b = *q++;
		if (shift == 63 && (b & 0x7E) != 0)
			return EL_CORRUPT;	/* bits beyond 64 */
		r |= (uint64_t) (b & 0x7F) << shift;
		if (!(b & 0x80))
			break;
		shift += 7;
		if (shift > 63)
			return EL_CORRUPT;	/* more than 10 bytes */
	}
	*p = q;
	*v = r;
	return EL_OK;
}

/*
 * The step byte of a funnel_events mask: 0 for none, its bit number + 1
 * for a step, 32 + k for an exclusion event after step k.
 */
static inline uint8_t
el_step(uint32_t m)
{
	uint8_t		s = 0;

	if (m & WF_EXCLUSION_BIT)
		return (uint8_t) (WF_MAX_STEPS + el_step(m & ~WF_EXCLUSION_BIT));
	if (m == 0)
		return 0;
#if defined(__GNUC__)
	s = (uint8_t) (__builtin_ctz(m) + 1);
#else
	while (!(m & 1))
	{
		m >>= 1;
		s++;
	}
	s++;
#endif
	return s;
}

/* The timestamp units of a record: 1, 1000 or 1000000 of the caller's. */
static const int64_t el_scales[3] = {1, 1000, 1000000};

/* Bytes needed for v (0 for 0). */
static inline int
el_width(uint64_t v)
{
	int			w = 0;

	while (v != 0)
	{
		v >>= 8;
		w++;
	}
	return w;
}

/* Encode one entity record (see header). */
size_t
el_put_entity(uint8_t *out, int first, int64_t prev_entity, int64_t entity,
			  int level, const int64_t *ts, const uint32_t *mask, size_t n)
{
	size_t		pos = 0;
	size_t		i;
	uint64_t	maxd = 0;
	int			width;
	int			scode = 0;
	uint64_t	scale;
	size_t		evbytes;
	uint8_t		firstbuf[10];
	size_t		firstlen;

	/* the widest difference between consecutive timestamps (mod 2^64) */
	for (i = 1; i < n; i++)
	{
		uint64_t	d = (uint64_t) ts[i] - (uint64_t) ts[i - 1];

		if (d > maxd)
			maxd = d;
	}
	/*
	 * Timestamps that are whole milliseconds or seconds (most event logs
	 * keep seconds) are stored in that unit: the differences take 2 or 3
	 * bytes fewer.  Only for sorted events (differences below 2^63).
	 */
	if (maxd < ((uint64_t) 1 << 63))
	{
		for (scode = 2; scode > 0; scode--)
		{
			int64_t		sc = el_scales[scode];

			for (i = 0; i < n; i++)
				if (ts[i] % sc != 0)
					break;
			if (i == n)
				break;
		}
	}
	scale = (uint64_t) el_scales[scode];
	width = el_width(maxd / scale);
	firstlen = el_put_varint(firstbuf, el_zigzag((uint64_t) (ts[0] / (int64_t) scale)));
	evbytes = firstlen + n + (n - 1) * (size_t) width;
	if (first)
		pos += el_put_varint(out, el_zigzag((uint64_t) entity));
	else
		pos += el_put_varint(out, (uint64_t) entity - (uint64_t) prev_entity);
	out[pos++] = (uint8_t) level;
	pos += el_put_varint(out + pos, (uint64_t) n);
	out[pos++] = (uint8_t) (width | (scode << 4));
	pos += el_put_varint(out + pos, (uint64_t) evbytes);
	memcpy(out + pos, firstbuf, firstlen);
	pos += firstlen;
	out[pos++] = el_step(mask[0]);
	for (i = 1; i < n; i++)
	{
		uint64_t	d = ((uint64_t) ts[i] - (uint64_t) ts[i - 1]) / scale;
		int			b;

		out[pos++] = el_step(mask[i]);
		/* little-endian: the same bytes on every machine */
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
		/* one 8-byte store; the bytes past width are overwritten next */
		memcpy(out + pos, &d, 8);
		pos += width;
		(void) b;
#else
		for (b = 0; b < width; b++)
		{
			out[pos++] = (uint8_t) d;
			d >>= 8;
		}
#endif
	}
	return pos;
}

/* Decode one record header (see header). */
int
el_get_entity(const uint8_t **p, const uint8_t *end, int first,
			  int64_t prev_entity, ElEntity *e)
{
	const uint8_t *q = *p;
	uint64_t	v;
	uint64_t	nev;
	uint64_t	evbytes;
	uint64_t	fixed;
	int			rc;

	if ((rc = el_get_varint(&q, end, &v)) != EL_OK)
		return rc;
	if (first)
		e->entity = (int64_t) el_unzigzag(v);
	else
	{
		/* strictly ascending: a zero or wrapping difference is corrupt */
		if (v == 0 || v > (uint64_t) INT64_MAX - (uint64_t) prev_entity)
			return EL_CORRUPT;
		e->entity = (int64_t) ((uint64_t) prev_entity + v);
	}
	if (q >= end)
		return EL_TRUNCATED;
	e->level = *q++;
	if (e->level > WF_MAX_STEPS)
		return EL_CORRUPT;
	if ((rc = el_get_varint(&q, end, &nev)) != EL_OK)
		return rc;
	if (q >= end)
		return EL_TRUNCATED;
	e->width = *q & 0x0F;
	e->scale = *q >> 4;
	q++;
	if ((rc = el_get_varint(&q, end, &evbytes)) != EL_OK)
		return rc;
	if (nev < 1 || e->width > 8 || e->scale > 2 || nev > evbytes)
		return EL_CORRUPT;
	/* the step bytes and the differences, plus a 1..10 byte first timestamp */
	fixed = nev + (nev - 1) * (uint64_t) e->width;
	if (fixed / (1 + (uint64_t) e->width) > nev || evbytes < fixed + 1 || evbytes > fixed + 10)
		return EL_CORRUPT;
	if (evbytes > (uint64_t) (end - q))
		return EL_TRUNCATED;
	e->nevents = nev;
	e->events = q;
	e->evbytes = (size_t) evbytes;
	*p = q + evbytes;
	return EL_OK;
}

/* The mask of a step byte (0 none, 1..32 a step, 33..63 an exclusion). */
static inline uint32_t
el_mask(uint8_t step)
{
	if (step > WF_MAX_STEPS)
		return WF_EXCLUSION_BIT | (uint32_t) 1 << (step - WF_MAX_STEPS - 1);
	return step == 0 ? 0 : (uint32_t) 1 << (step - 1);
}

/* Decode the events of a record (see header). */
int
el_get_events(const ElEntity *e, int64_t *ts, uint32_t *mask)
{
	const uint8_t *q = e->events;
	const uint8_t *end = e->events + e->evbytes;
	uint64_t	prev;
	uint64_t	z;
	uint64_t	i;
	int			rc;
	int			w = e->width;
	uint64_t	scale = (uint64_t) el_scales[e->scale];

	if ((rc = el_get_varint(&q, end, &z)) != EL_OK)
		return rc;
	prev = el_unzigzag(z) * scale;
	/* el_get_entity checked that the steps and differences fit exactly */
	if ((size_t) (end - q) != e->nevents + (e->nevents - 1) * (size_t) w)
		return EL_CORRUPT;
	for (i = 0; i < e->nevents; i++)
	{
		uint8_t		step = *q++;

		if (step > 2 * WF_MAX_STEPS - 1)
			return EL_CORRUPT;
		if (i > 0)
		{
			uint64_t	d = 0;
			int			b;

			for (b = 0; b < w; b++)
				d |= (uint64_t) q[b] << (8 * b);
			q += w;
			prev += d * scale;
		}
		ts[i] = (int64_t) prev;
		mask[i] = el_mask(step);
	}
	return EL_OK;
}

/* Check a whole log (see header). */
int
el_check_log(const uint8_t *data, size_t len, uint64_t *nevents,
			 uint64_t *nentities, uint64_t *maxevents)
{
	const uint8_t *p = data;
	const uint8_t *end = data + len;
	int64_t		prev = 0;
	int			first = 1;

	while (p < end)
	{
		ElEntity	e;
		int			rc = el_get_entity(&p, end, first, prev, &e);

		if (rc != EL_OK)
			return rc;
		first = 0;
		prev = e.entity;
		*nevents += e.nevents;
		(*nentities)++;
		if (e.nevents > *maxevents)
			*maxevents = e.nevents;
	}
	return EL_OK;
}

/* Start reading a log (see header). */
void
el_run_init(ElRun *r, const uint8_t *data, size_t len)
{
	r->pos = data;
	r->end = data + len;
	r->first = 1;
	r->has = 0;
	r->prev = 0;
}

/* Read the next record of a run into r->cur; r->has = 0 at the end. */
static int
el_run_next(ElRun *r)
{
	int			rc;

	if (r->pos >= r->end)
	{
		r->has = 0;
		return EL_OK;
	}
	rc = el_get_entity(&r->pos, r->end, r->first, r->prev, &r->cur);
	if (rc != EL_OK)
		return rc;
	r->first = 0;
	r->prev = r->cur.entity;
	r->has = 1;
	return EL_OK;
}

/* Merge k logs into level counts (see header). */
int
el_merge_levels(ElRun *runs, int k, int nsteps, int64_t window, int flags,
				int64_t *deepest, size_t budget,
				int64_t *scratch_ts, uint32_t *scratch_mask,
				int64_t *scratch_ts2, uint32_t *scratch_mask2,
				size_t scratch_cap, ElLevelFn level_fn, void *level_arg)
{
	int			i;
	int			rc;
	size_t		done = 0;

	/* prime the runs not yet started */
	for (i = 0; i < k; i++)
		if (!runs[i].has && runs[i].first && runs[i].pos < runs[i].end &&
			(rc = el_run_next(&runs[i])) != EL_OK)
			return rc;
	for (;;)
	{
		int			found = -1;
		int			shared = 0;
		int64_t		min = 0;
		int			level;

		for (i = 0; i < k; i++)
		{
			if (!runs[i].has)
				continue;
			if (found < 0 || runs[i].cur.entity < min)
			{
				found = i;
				min = runs[i].cur.entity;
				shared = 0;
			}
			else if (runs[i].cur.entity == min)
				shared = 1;
		}
		if (found < 0)
			return EL_OK;
		if (done++ >= budget)
			return EL_MORE;
		if (!shared)
		{
			level = runs[found].cur.level;
			if ((rc = el_run_next(&runs[found])) != EL_OK)
				return rc;
		}
		else
		{
			size_t		total = 0;

			for (i = found; i < k; i++)
			{
				if (!runs[i].has || runs[i].cur.entity != min)
					continue;
				if (runs[i].cur.nevents > scratch_cap - total)
					return EL_CORRUPT;	/* more than the logs announced */
				rc = el_get_events(&runs[i].cur, scratch_ts + total,
								   scratch_mask + total);
				if (rc != EL_OK)
					return rc;
				total += (size_t) runs[i].cur.nevents;
				if ((rc = el_run_next(&runs[i])) != EL_OK)
					return rc;
			}
			wf_sort(scratch_ts, scratch_mask, total, scratch_ts2, scratch_mask2);
			level = level_fn != NULL ?
				level_fn(level_arg, scratch_ts, scratch_mask, total, nsteps, window, flags) :
				wf_level(scratch_ts, scratch_mask, total, nsteps, window, flags);
		}
		if (level > 0)
			deepest[level - 1]++;
	}
}

/* Check a serialized state (see header). */
int
el_check_state(const uint8_t *data, size_t len, char kind, int valid_flags,
			   ElStateHeader *h)
{
	size_t		pos = EL_STATE_HEADER;

	h->pattern_len = 0;
	if (len < 1)
		return EL_TRUNCATED;
	h->version = data[0];
	if (h->version != EL_STATE_VERSION)
		return EL_BAD_VERSION;
	if (len < EL_STATE_HEADER)
		return EL_TRUNCATED;
	if (data[1] != (uint8_t) kind)
		return EL_BAD_KIND;
	h->set = data[2] != 0;
	h->flags = (int32_t) el_be32(data + 3);
	h->nsteps = (int32_t) el_be32(data + 7);
	h->window = (int64_t) el_be64(data + 11);
	if (h->nsteps < 0 || h->nsteps > WF_MAX_STEPS || (h->flags & ~valid_flags) != 0 ||
		h->window < 0 || data[2] > 1)
		return EL_CORRUPT;
	if (kind == 'm')
	{
		/* sequence states: the pattern text first */
		uint32_t	plen;

		if (len - pos < 4)
			return EL_TRUNCATED;
		plen = el_be32(data + pos);
		pos += 4;
		if (plen > len - pos)
			return EL_TRUNCATED;
		h->pattern_len = plen;
		pos += plen;
	}
	if (len - pos < 8)
		return EL_TRUNCATED;
	h->count = (int64_t) el_be64(data + pos);
	pos += 8;
	h->nlogs = 0;
	h->maxevents = 0;
	if (h->count < 0)
		return EL_CORRUPT;
	if (kind == 'n')
	{
		/* sequence_next_node: rows of int64, uint32, uint8, uint32 len, bytes */
		uint64_t	i;

		for (i = 0; i < (uint64_t) h->count; i++)
		{
			uint32_t	vlen;

			if (len - pos < 17)
				return EL_TRUNCATED;
			if (data[pos + 12] > 1)
				return EL_CORRUPT;
			vlen = el_be32(data + pos + 13);
			pos += 17;
			if (vlen > len - pos)
				return EL_TRUNCATED;
			pos += vlen;
		}
		return pos == len ? EL_OK : EL_CORRUPT;
	}
	if (kind == 'w' || kind == 'm')
	{
		/* divide rather than multiply: a corrupt count must not overflow */
		if ((uint64_t) h->count > (len - pos) / 12)
			return EL_TRUNCATED;
		return (uint64_t) h->count * 12 == len - pos ? EL_OK : EL_CORRUPT;
	}
	else
	{
		uint64_t	seen = 0;
		int32_t		i;

		if (len - pos < 4)
			return EL_TRUNCATED;
		h->nlogs = (int32_t) el_be32(data + pos);
		pos += 4;
		if (h->nlogs < 0)
			return EL_CORRUPT;
		for (i = 0; i < h->nlogs; i++)
		{
			uint64_t	loglen;
			uint64_t	nent = 0;
			int			rc;

			if (len - pos < 8)
				return EL_TRUNCATED;
			loglen = el_be64(data + pos);
			pos += 8;
			if (loglen == 0)
				return EL_CORRUPT;
			if (loglen > len - pos)
				return EL_TRUNCATED;
			rc = el_check_log(data + pos, (size_t) loglen, &seen, &nent, &h->maxevents);
			if (rc != EL_OK)
				return rc;
			pos += (size_t) loglen;
		}
		if (pos != len || seen != (uint64_t) h->count)
			return EL_CORRUPT;
		return EL_OK;
	}
}

/* Decode (ts, mask) pairs (see header). */
void
el_get_pairs(const uint8_t *p, size_t n, int64_t *ts, uint32_t *mask)
{
	size_t		i;

	for (i = 0; i < n; i++, p += 12)
	{
		ts[i] = (int64_t) el_be64(p);
		mask[i] = el_be32(p + 8);
	}
}
