/*-------------------------------------------------------------------------
 *
 * src/core/uuid.c
 *		Random (version 4) UUIDs for execution ids made outside PostgreSQL.
 *
 *-------------------------------------------------------------------------
 */
#include "sage/common.h"

#include <stdio.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>

void
sage_uuid_v4(char *buf)
{
	unsigned char b[16];
	size_t		got = 0;
	int			k;

	while (got < sizeof(b))
	{
		ssize_t		n = getrandom(b + got, sizeof(b) - got, 0);

		if (n <= 0)
		{
			/* no entropy source: the clock still keeps ids distinct */
			struct timespec ts;

			clock_gettime(CLOCK_REALTIME, &ts);
			memset(b, 0, sizeof(b));
			memcpy(b, &ts.tv_sec, sizeof(ts.tv_sec));
			memcpy(b + 8, &ts.tv_nsec, sizeof(ts.tv_nsec));
			break;
		}
		got += (size_t) n;
	}
	b[6] = (unsigned char) ((b[6] & 0x0f) | 0x40);
	b[8] = (unsigned char) ((b[8] & 0x3f) | 0x80);
	for (k = 0; k < 16; k++)
	{
		if (k == 4 || k == 6 || k == 8 || k == 10)
			*buf++ = '-';
		snprintf(buf, 3, "%02x", b[k]);
		buf += 2;
	}
	*buf = '\0';
}
