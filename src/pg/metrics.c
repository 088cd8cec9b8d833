/*-------------------------------------------------------------------------
 *
 * src/pg/metrics.c
 *		Metrics of finished executions sent by the launcher to CloudWatch
 *		(sage.metrics = cloudwatch), with the names and namespace of the
 *		Lambda bootstrap's EMF lines, so one dashboard shows both sides.
 *
 * Every sage.metrics_interval the launcher counts the executions that
 * reached succeeded, failed or dead in a window of finished_at, in one
 * short transaction, then sends, with no transaction open, per place
 * (dimension Where = local or lambda):
 *
 *	Invocations  Count         finished executions
 *	Succeeded    Count         of which succeeded
 *	Records      Count         data records they read
 *	Errors       Count         error findings
 *	DurationMs   Milliseconds  one value per execution (claim to end)
 *
 * The bootstrap's Refused and PeakMemory have no local counterpart and
 * are not sent. The window ends METRICS_LAG_MS before now, so that a
 * completion whose transaction began before the window's end (its
 * finished_at is the transaction's start) has committed when counted.
 * A failed push is logged (once per interval, as pushes are) and its
 * window is sent again with the next one, back to at most a day.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <limits.h>

#include "access/xact.h"
#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "miscadmin.h"
#include "pgstat.h"
#include "utils/builtins.h"
#include "utils/memutils.h"
#include "utils/snapmgr.h"
#include "utils/timestamp.h"

#include "sage/cloudwatch.h"

#include "aws_config.h"
#include "sage_pg.h"

/* Completions younger than this are left for the next push. */
#define METRICS_LAG_MS (10 * 1000)
/* A failed window is sent again, back to at most this long ago. */
#define METRICS_MAX_BACKLOG_MS ((int64) 24 * 3600 * 1000)
/* DurationMs values per push (the newest executions); counts are exact. */
#define METRICS_MAX_SAMPLES 3000
/* Places, as the Where dimension names them. */
#define METRICS_NPLACES 2

/* Counts of one place in one window. */
typedef struct MetricsPlace
{
	const char *name;			/* "local" or "lambda" */
	int64		invocations;	/* finished executions */
	int64		succeeded;		/* of which succeeded */
	int64		records;		/* records read */
	int64		errors;			/* error findings */
} MetricsPlace;

/* One DurationMs value. */
typedef struct MetricsSample
{
	int			place;			/* index in the places */
	double		duration_ms;	/* claim to completion */
	int64		finished_ms;	/* epoch milliseconds */
} MetricsSample;

/* End of the window last sent (0 = not started), and when the last push ran. */
static TimestampTz metrics_watermark = 0;
static TimestampTz metrics_last = 0;

static const char *const metrics_place_names[METRICS_NPLACES] = {"local", "lambda"};

/* Epoch milliseconds of a PostgreSQL timestamp. */
static int64
metrics_epoch_ms(TimestampTz ts)
{
	return ts / 1000 +
		(int64) (POSTGRES_EPOCH_JDATE - UNIX_EPOCH_JDATE) * SECS_PER_DAY * 1000;
}

/* Index of a place name, or -1. */
static int
metrics_place_index(const char *name)
{
	int			i;

	for (i = 0; i < METRICS_NPLACES; i++)
		if (strcmp(name, metrics_place_names[i]) == 0)
			return i;
	return -1;
}

/*
 * Counts the window (lo, hi] in one transaction: the places' totals and
 * up to METRICS_MAX_SAMPLES durations, copied into cxt. Returns the
 * number of samples.
 */
static int
metrics_collect(TimestampTz lo, TimestampTz hi, MetricsPlace *places,
				MetricsSample **samples, MemoryContext cxt)
{
	Oid			argtypes[3] = {TIMESTAMPTZOID, TIMESTAMPTZOID, INT4OID};
	Datum		values[3];
	uint64		i;
	int			n = 0;

	values[0] = TimestampTzGetDatum(lo);
	values[1] = TimestampTzGetDatum(hi);
	values[2] = Int32GetDatum(METRICS_MAX_SAMPLES);

	SetCurrentStatementStartTimestamp();
	StartTransactionCommand();
	PushActiveSnapshot(GetTransactionSnapshot());
	pgstat_report_activity(STATE_RUNNING, "sage launcher metrics");
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");

	if (SPI_execute_with_args("SELECT e.\"where\", pg_catalog.count(*),"
							  " pg_catalog.count(*) FILTER (WHERE e.state = 'succeeded'),"
							  " coalesce(pg_catalog.sum(e.records), 0)::int8,"
							  " coalesce(pg_catalog.sum(e.errors), 0)::int8"
							  " FROM sage.executions e"
							  " WHERE e.finished_at > $1 AND e.finished_at <= $2"
							  " AND e.state IN ('succeeded', 'failed', 'dead')"
							  " AND e.\"where\" IS NOT NULL"
							  " GROUP BY e.\"where\"",
							  2, argtypes, values, NULL, true, 0) != SPI_OK_SELECT)
		elog(ERROR, "could not count finished executions");
	for (i = 0; i < SPI_processed; i++)
	{
		HeapTuple	tup = SPI_tuptable->vals[i];
		TupleDesc	desc = SPI_tuptable->tupdesc;
		bool		isnull;
		char	   *name = SPI_getvalue(tup, desc, 1);
		int			p = name ? metrics_place_index(name) : -1;

		if (p < 0)
			continue;
		places[p].invocations = DatumGetInt64(SPI_getbinval(tup, desc, 2, &isnull));
		places[p].succeeded = DatumGetInt64(SPI_getbinval(tup, desc, 3, &isnull));
		places[p].records = DatumGetInt64(SPI_getbinval(tup, desc, 4, &isnull));
		places[p].errors = DatumGetInt64(SPI_getbinval(tup, desc, 5, &isnull));
	}

	if (SPI_execute_with_args("SELECT e.\"where\","
							  " (1000 * EXTRACT(epoch FROM e.finished_at - e.started_at))::float8,"
							  " e.finished_at"
							  " FROM sage.executions e"
							  " WHERE e.finished_at > $1 AND e.finished_at <= $2"
							  " AND e.state IN ('succeeded', 'failed', 'dead')"
							  " AND e.\"where\" IS NOT NULL AND e.started_at IS NOT NULL"
							  " ORDER BY e.finished_at DESC LIMIT $3",
							  3, argtypes, values, NULL, true, 0) != SPI_OK_SELECT)
		elog(ERROR, "could not read execution durations");
	*samples = MemoryContextAllocZero(cxt, sizeof(MetricsSample) * Max(SPI_processed, 1));
	for (i = 0; i < SPI_processed; i++)
	{
		HeapTuple	tup = SPI_tuptable->vals[i];
		TupleDesc	desc = SPI_tuptable->tupdesc;
		bool		isnull;
		char	   *name = SPI_getvalue(tup, desc, 1);
		int			p = name ? metrics_place_index(name) : -1;
		double		ms = DatumGetFloat8(SPI_getbinval(tup, desc, 2, &isnull));

		/* CloudWatch takes 0, or magnitudes from about 1e-108 */
		if (p < 0 || isnull || ms < 0 || ms > 1e12)
			continue;
		(*samples)[n].place = p;
		(*samples)[n].duration_ms = ms < 1e-3 ? 0 : ms;
		(*samples)[n].finished_ms =
			metrics_epoch_ms(DatumGetTimestampTz(SPI_getbinval(tup, desc, 3, &isnull)));
		n++;
	}

	SPI_finish();
	PopActiveSnapshot();
	CommitTransactionCommand();
	pgstat_report_activity(STATE_IDLE, NULL);
	return n;
}

/*
 * Sends what metrics_collect found; true when CloudWatch took everything
 * (or there was nothing to send). Failures are logged here.
 */
static bool
metrics_send(const MetricsPlace *places, const MetricsSample *samples,
			 int nsamples, int64 window_end_ms, MemoryContext cxt)
{
	SageMetricDimension dims[METRICS_NPLACES];
	SageMetricDatum *datums;
	SageCloudWatchClient *client;
	SageError	err;
	int			n = 0;
	int			requests = 0;
	int			p;
	int			i;

	datums = MemoryContextAllocZero(cxt, sizeof(SageMetricDatum) *
									(METRICS_NPLACES * 4 + nsamples));
	for (p = 0; p < METRICS_NPLACES; p++)
	{
		const char *names[4] = {"Invocations", "Succeeded", "Records", "Errors"};
		int64		counts[4];
		int			k;

		dims[p].name = "Where";
		dims[p].value = metrics_place_names[p];
		if (places[p].invocations == 0)
			continue;
		counts[0] = places[p].invocations;
		counts[1] = places[p].succeeded;
		counts[2] = places[p].records;
		counts[3] = places[p].errors;
		for (k = 0; k < 4; k++)
		{
			datums[n].name = names[k];
			datums[n].unit = "Count";
			datums[n].value = (double) counts[k];
			datums[n].timestamp_ms = window_end_ms;
			datums[n].dims = &dims[p];
			datums[n].ndims = 1;
			n++;
		}
	}
	for (i = 0; i < nsamples; i++)
	{
		datums[n].name = "DurationMs";
		datums[n].unit = "Milliseconds";
		datums[n].value = samples[i].duration_ms;
		datums[n].timestamp_ms = samples[i].finished_ms;
		datums[n].dims = &dims[samples[i].place];
		datums[n].ndims = 1;
		n++;
	}
	if (n == 0)
		return true;

	client = sage_pg_cloudwatch_client();
	memset(&err, 0, sizeof(err));
	if (sage_cloudwatch_put_metrics(client, sage_metrics_namespace, datums, n,
									&requests, &err) != 0)
	{
		sage_pg_aws_report(LOG, &err, "could not send metrics to CloudWatch");
		return false;
	}
	ereport(DEBUG1,
			errmsg_internal("sage launcher sent %d metric values to CloudWatch in %d requests",
							n, requests));
	return true;
}

/*
 * One push: collect the window, send it, and move the watermark on
 * success. An ERROR anywhere (the client cannot be built, a query fails)
 * is logged and leaves the launcher running.
 */
static void
metrics_push(TimestampTz now)
{
	MemoryContext cxt;
	MemoryContext old = CurrentMemoryContext;
	TimestampTz lo = metrics_watermark;
	TimestampTz hi = TimestampTzPlusMilliseconds(now, -METRICS_LAG_MS);

	if (lo < TimestampTzPlusMilliseconds(now, -METRICS_MAX_BACKLOG_MS))
		lo = TimestampTzPlusMilliseconds(now, -METRICS_MAX_BACKLOG_MS);
	if (hi <= lo)
		return;

	cxt = AllocSetContextCreate(TopMemoryContext, "sage metrics",
								ALLOCSET_DEFAULT_SIZES);
	PG_TRY();
	{
		MetricsPlace places[METRICS_NPLACES];
		MetricsSample *samples = NULL;
		int			nsamples;

		memset(places, 0, sizeof(places));
		nsamples = metrics_collect(lo, hi, places, &samples, cxt);
		MemoryContextSwitchTo(cxt);
		if (metrics_send(places, samples, nsamples, metrics_epoch_ms(hi), cxt))
			metrics_watermark = hi;
	}
	PG_CATCH();
	{
		ErrorData  *edata;

		MemoryContextSwitchTo(cxt);
		edata = CopyErrorData();
		FlushErrorState();
		AbortCurrentTransaction();
		pgstat_report_activity(STATE_IDLE, NULL);
		ereport(LOG,
				errcode(edata->sqlerrcode),
				errmsg("could not send metrics to CloudWatch: %s", edata->message),
				edata->detail ? errdetail_internal("%s", edata->detail) : 0);
	}
	PG_END_TRY();
	MemoryContextSwitchTo(old);
	MemoryContextDelete(cxt);
}

/*
 * sage_metrics_tick: see sage_pg.h. The first tick only starts the
 * window: executions finished before the launcher started are not sent.
 */
long
sage_metrics_tick(void)
{
	TimestampTz now;
	TimestampTz due;

	if (sage_metrics == SAGE_METRICS_OFF)
	{
		metrics_watermark = 0;
		return LONG_MAX;
	}
	now = GetCurrentTimestamp();
	if (metrics_watermark == 0)
	{
		metrics_watermark = TimestampTzPlusMilliseconds(now, -METRICS_LAG_MS);
		metrics_last = now;
	}
	/* from the last push, so a shorter interval (SIGHUP) applies at once */
	due = TimestampTzPlusMilliseconds(metrics_last, (int64) sage_metrics_interval * 1000);
	if (now < due)
		return (long) Max(TimestampDifferenceMilliseconds(now, due), 1);
	metrics_push(now);
	metrics_last = GetCurrentTimestamp();
	return (long) sage_metrics_interval * 1000;
}
