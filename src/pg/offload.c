/*-------------------------------------------------------------------------
 *
 * src/pg/offload.c
 *		The offload policy of ARCHITECTURE.md: which pending executions the
 *		dispatcher sends to AWS Lambda, and the reason it records.
 *
 *	- placement 'lambda' (forced at submit): always, within
 *	  sage.lambda_max_inflight;
 *	- placement 'auto', sage.offload = always: every one;
 *	- placement 'auto', sage.offload = auto: the excess over
 *	  sage.offload_queue_threshold (0 = sage.max_local_executions) of the
 *	  pending local-eligible executions due now, or every one while the
 *	  host's CPUs are busier than sage.offload_cpu_percent;
 *	- sage.offload = never: forced ones only.
 *
 * While Lambda is unavailable (throttling, 5xx, network errors) the
 * dispatcher takes nothing automatic: those executions stay pending for
 * the local workers (the fallback). That check is the dispatcher's.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <stdio.h>

#include "utils/timestamp.h"

#include "dispatcher.h"
#include "sage_pg.h"

/* Shortest interval the CPU busy percentage is measured over. */
#define OFFLOAD_CPU_INTERVAL_MS 1000

/* The previous /proc/stat sample and the last computed percentage. */
static uint64 offload_cpu_total = 0;
static uint64 offload_cpu_idle = 0;
static TimestampTz offload_cpu_at = 0;
static int	offload_cpu_last = -1;

/*
 * Reads the aggregate "cpu" line of /proc/stat: total jiffies and idle
 * ones (idle + iowait). False when it cannot be read (not Linux).
 */
static bool
offload_read_proc_stat(uint64 *total, uint64 *idle)
{
	FILE	   *f = fopen("/proc/stat", "r");
	unsigned long long v[8];
	int			n;
	int			i;

	if (f == NULL)
		return false;
	memset(v, 0, sizeof(v));
	n = fscanf(f, "cpu %llu %llu %llu %llu %llu %llu %llu %llu",
			   &v[0], &v[1], &v[2], &v[3], &v[4], &v[5], &v[6], &v[7]);
	fclose(f);
	if (n < 4)
		return false;
	*total = 0;
	for (i = 0; i < 8; i++)
		*total += v[i];
	*idle = v[3] + v[4];
	return true;
}

/*
 * sage_offload_cpu_busy: see dispatcher.h. The percentage is computed
 * over at least OFFLOAD_CPU_INTERVAL_MS between samples; in between, the
 * last one is returned, so calling it often costs one clock read.
 */
int
sage_offload_cpu_busy(void)
{
	TimestampTz now = GetCurrentTimestamp();
	uint64		total;
	uint64		idle;

	if (offload_cpu_at != 0 &&
		!TimestampDifferenceExceeds(offload_cpu_at, now, OFFLOAD_CPU_INTERVAL_MS))
		return offload_cpu_last;
	if (!offload_read_proc_stat(&total, &idle))
		return -1;
	if (offload_cpu_at != 0 && total > offload_cpu_total)
	{
		uint64		dt = total - offload_cpu_total;
		uint64		di = idle >= offload_cpu_idle ? idle - offload_cpu_idle : 0;

		if (di > dt)
			di = dt;
		offload_cpu_last = (int) ((100 * (dt - di) + dt / 2) / dt);
	}
	offload_cpu_total = total;
	offload_cpu_idle = idle;
	offload_cpu_at = now;
	return offload_cpu_last;
}

/* sage_offload_decide: see dispatcher.h. */
void
sage_offload_decide(int inflight, int64 pending_auto, int64 pending_forced,
					SageOffloadDecision *d)
{
	int			room = Max(sage_lambda_max_inflight - inflight, 0);
	int			threshold;
	int			cpu;

	memset(d, 0, sizeof(*d));
	d->forced = (int) Min(pending_forced, (int64) room);
	room -= d->forced;
	if (room <= 0 || pending_auto <= 0)
		return;

	switch (sage_offload)
	{
		case SAGE_OFFLOAD_NEVER:
			return;
		case SAGE_OFFLOAD_ALWAYS:
			d->automatic = (int) Min(pending_auto, (int64) room);
			snprintf(d->reason, sizeof(d->reason), "sage.offload = always");
			return;
		case SAGE_OFFLOAD_AUTO:
			break;
	}

	threshold = sage_offload_queue_threshold > 0 ?
		sage_offload_queue_threshold : sage_max_local_executions;
	if (pending_auto > threshold)
	{
		d->automatic = (int) Min(pending_auto - threshold, (int64) room);
		d->skip = threshold;
		snprintf(d->reason, sizeof(d->reason), "queue " INT64_FORMAT " > %d",
				 pending_auto, threshold);
		return;
	}
	cpu = sage_offload_cpu_busy();
	if (cpu >= 0 && cpu > sage_offload_cpu_percent && sage_offload_cpu_percent < 100)
	{
		d->automatic = (int) Min(pending_auto, (int64) room);
		snprintf(d->reason, sizeof(d->reason), "cpu %d%% > %d%%",
				 cpu, sage_offload_cpu_percent);
	}
}
