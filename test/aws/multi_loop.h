/*-------------------------------------------------------------------------
 *
 * test/aws/multi_loop.h
 *		The wait loop a caller of SageHttpMulti builds, here with poll():
 *		wait on the sockets and timeout sage_http_multi_sockets gives, then
 *		sage_http_multi_perform, until nothing is in flight.
 *
 *-------------------------------------------------------------------------
 */
#ifndef SAGE_TEST_AWS_MULTI_LOOP_H
#define SAGE_TEST_AWS_MULTI_LOOP_H

#include <poll.h>
#include <stdio.h>
#include <time.h>

#include "sage/aws.h"

#define LOOP_MAX_SOCKETS 512	/* sockets waited on at once */

/* Monotonic milliseconds. */
static inline long long
loop_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long) ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/*
 * loop_run
 *		Drives multi until nothing is in flight or limit_ms passed. Returns
 *		0, -1 when perform failed or the limit passed, -2 when requests
 *		were in flight with neither a socket nor a timeout to wait for. *slowest (may be
 *		NULL) gets the longest perform() call in ms: it must never block.
 */
static inline int
loop_run(SageHttpMulti *multi, long limit_ms, long long *slowest)
{
	static SageHttpSocket socks[LOOP_MAX_SOCKETS];
	static struct pollfd pfds[LOOP_MAX_SOCKETS];
	long long	start = loop_now_ms();
	SageError	err;

	if (slowest != NULL)
		*slowest = 0;
	while (sage_http_multi_inflight(multi) > 0)
	{
		long		timeout;
		int			n = sage_http_multi_sockets(multi, socks, LOOP_MAX_SOCKETS, &timeout);
		int			i;
		long long	before;

		if (loop_now_ms() - start > limit_ms)
		{
			fprintf(stderr, "# loop_run: %d still in flight after %ld ms\n",
					sage_http_multi_inflight(multi), limit_ms);
			return -1;
		}
		/* in flight with nothing to wait for would hang a real caller */
		if (n == 0 && timeout < 0)
			return -2;
		for (i = 0; i < n; i++)
		{
			pfds[i].fd = socks[i].fd;
			pfds[i].events = (short) ((socks[i].want_read ? POLLIN : 0) |
									  (socks[i].want_write ? POLLOUT : 0));
			pfds[i].revents = 0;
		}
		/* a caller would also wake on its latch; 1 s bounds a lost wakeup */
		(void) poll(pfds, (nfds_t) n, timeout < 0 || timeout > 1000 ? 1000 : (int) timeout);
		before = loop_now_ms();
		if (sage_http_multi_perform(multi, &err) < 0)
		{
			fprintf(stderr, "# loop_run: perform failed: %s\n", err.message);
			return -1;
		}
		if (slowest != NULL && loop_now_ms() - before > *slowest)
			*slowest = loop_now_ms() - before;
	}
	return 0;
}

#endif							/* SAGE_TEST_AWS_MULTI_LOOP_H */
