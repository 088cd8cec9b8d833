/*-------------------------------------------------------------------------
 *
 * bench/aws/aws_bench.c
 *		Benchmarks of the AWS layer against local services, one process:
 *
 *		aws_bench events ENDPOINT FUNCTION N INFLIGHT
 *			N signed Lambda Event invokes through one SageHttpMulti with
 *			INFLIGHT in flight, driven by a poll() loop on its sockets:
 *			invokes per second, and the resident set size after the first
 *			10% (warm) and at the end (its growth over the run).
 *		aws_bench lock ENDPOINT ROUNDS
 *			ROUNDS lock acquire + release pairs on DynamoDB (a table made
 *			for the run): HTTP requests per call (counted on the wire by
 *			the transport's trace) and calls per second.
 *
 * Credentials come from AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY.
 * Prints "key=value" lines for bench/aws/run_aws_bench.sh.
 *
 *-------------------------------------------------------------------------
 */
#include <malloc.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "sage/aws.h"
#include "sage/dynamodb.h"
#include "sage/lambda.h"

/* Counters of the Event run. */
typedef struct EventRun
{
	long		done;			/* callbacks */
	long		ok;				/* SAGE_LAMBDA_OK */
	long		throttled;		/* SAGE_LAMBDA_THROTTLED */
	long		failed;			/* -1 */
	long		retried;		/* invokes that needed more than one attempt */
	char		first_error[512];	/* the first failure's message */
} EventRun;

/* Wall-clock seconds, monotonic. */
static double
bench_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double) ts.tv_sec + ts.tv_nsec / 1e9;
}

/* Resident set size in kB, from /proc/self/statm. */
static long
bench_rss_kb(void)
{
	FILE	   *f = fopen("/proc/self/statm", "r");
	long		size = 0;
	long		rss = 0;

	if (f == NULL)
		return -1;
	if (fscanf(f, "%ld %ld", &size, &rss) != 2)
		rss = -1;
	fclose(f);
	return rss * (sysconf(_SC_PAGESIZE) / 1024);
}

/* An Event invoke's callback. */
static void
bench_event_done(void *arg, int rc, const SageLambdaResult *res, const SageError *err)
{
	EventRun   *r = arg;

	r->done++;
	if (rc == SAGE_LAMBDA_OK)
		r->ok++;
	else if (rc == SAGE_LAMBDA_THROTTLED)
		r->throttled++;
	else
	{
		r->failed++;
		if (r->first_error[0] == '\0')
			snprintf(r->first_error, sizeof(r->first_error), "%s %s",
					 err != NULL ? err->message : "", err != NULL ? err->detail : "");
	}
	if (rc >= 0 && res->attempts > 1)
		r->retried++;
}

/* Waits on the multi's sockets (or its timeout) and drives it once. */
static int
bench_wait(SageHttpMulti *m)
{
	SageHttpSocket socks[512];
	struct pollfd pfds[512];
	long		timeout;
	int			n = sage_http_multi_sockets(m, socks, 512, &timeout);
	int			i;
	SageError	err;

	for (i = 0; i < n; i++)
	{
		pfds[i].fd = socks[i].fd;
		pfds[i].events = (short) ((socks[i].want_read ? POLLIN : 0) |
								  (socks[i].want_write ? POLLOUT : 0));
		pfds[i].revents = 0;
	}
	(void) poll(pfds, (nfds_t) n, timeout < 0 || timeout > 1000 ? 1000 : (int) timeout);
	if (sage_http_multi_perform(m, &err) < 0)
	{
		fprintf(stderr, "perform: %s\n", err.message);
		return -1;
	}
	return 0;
}

static int
bench_events(const char *endpoint, const char *function, long total, int inflight)
{
	SageCredentialOptions co;
	SageLambdaOptions lo;
	SageCredentialProvider *cp;
	SageLambdaClient *lc;
	SageHttpMulti *m;
	SageError	err;
	EventRun	run;
	long		sent = 0;
	long		rss_warm = -1;
	double		t0 = 0;
	double		t1;
	long		warm = total / 10;
	long		next_sample = total / 10;

	memset(&co, 0, sizeof(co));
	co.source = SAGE_CRED_SOURCE_ENV;
	memset(&lo, 0, sizeof(lo));
	memset(&run, 0, sizeof(run));
	cp = sage_aws_credentials_new(&co, &err);
	if (cp == NULL)
	{
		fprintf(stderr, "credentials: %s\n", err.message);
		return 1;
	}
	lo.endpoint = endpoint;
	lo.region = "us-east-1";
	lo.credentials = cp;
	lc = sage_lambda_client_new(&lo, &err);
	m = sage_http_multi_new(&lo.http, inflight, &err);
	if (lc == NULL || m == NULL)
	{
		fprintf(stderr, "client: %s\n", err.message);
		return 1;
	}
	while (run.done < total)
	{
		while (sent < total && sage_http_multi_inflight(m) < inflight)
		{
			char		payload[160];

			snprintf(payload, sizeof(payload),
					 "{\"execution_id\":\"bench-%ld\",\"attempt\":1,"
					 "\"input\":\"s3://bucket/in/%ld.csv\"}", sent, sent);
			if (sage_lambda_invoke_multi(lc, m, function, SAGE_LAMBDA_EVENT, payload,
										 strlen(payload), bench_event_done, &run,
										 &err) < 0)
			{
				fprintf(stderr, "invoke: %s\n", err.message);
				return 1;
			}
			sent++;
		}
		if (bench_wait(m) < 0)
			return 1;
		if (run.done >= next_sample)
		{
			struct mallinfo2 mi = mallinfo2();

			printf("rss_kb_after_%ld=%ld heap_in_use_kb=%zu\n", run.done,
				   bench_rss_kb(), mi.uordblks / 1024);
			next_sample += total / 10;
		}
		/* the clock starts once connections are open and caches warm */
		if (rss_warm < 0 && run.done >= warm)
		{
			rss_warm = bench_rss_kb();
			t0 = bench_now();
			warm = run.done;
		}
	}
	t1 = bench_now();
	printf("invokes=%ld\n", total);
	printf("inflight=%d\n", inflight);
	printf("ok=%ld throttled=%ld failed=%ld retried=%ld\n", run.ok, run.throttled,
		   run.failed, run.retried);
	if (run.first_error[0] != '\0')
		printf("first_error=%s\n", run.first_error);
	printf("measured_invokes=%ld\n", total - warm);
	printf("seconds=%.3f\n", t1 - t0);
	printf("invokes_per_second=%.0f\n", (total - warm) / (t1 - t0));
	printf("rss_kb_warm=%ld\n", rss_warm);
	printf("rss_kb_end=%ld\n", bench_rss_kb());
	printf("rss_growth_percent=%.2f\n",
		   100.0 * (bench_rss_kb() - rss_warm) / (double) rss_warm);
	sage_http_multi_free(m);
	sage_lambda_client_free(lc);
	sage_aws_credentials_free(cp);
	return run.failed == 0 ? 0 : 1;
}

static long bench_requests;		/* HTTP requests seen on the wire */

/* The transport's trace: counts request lines, ignores the rest. */
static void
bench_count(void *arg, const char *line)
{
	if (strncmp(line, "> POST ", 7) == 0 || strncmp(line, "> GET ", 6) == 0)
		bench_requests++;
}

static int
bench_lock(const char *endpoint, long rounds)
{
	SageCredentialOptions co;
	SageDynamoOptions o;
	SageCredentialProvider *cp;
	SageDynamoClient *c;
	SageError	err;
	SageArena  *a;
	SageDynamoReply reply;
	SageDynamoLock lock;
	SageLockHolder holder;
	char		table[64];
	char		json[512];
	char		owner[64];
	long		i;
	long		before;
	long		acquire_req = 0;
	long		release_req = 0;
	double		t0;
	double		t1;

	memset(&co, 0, sizeof(co));
	co.source = SAGE_CRED_SOURCE_ENV;
	cp = sage_aws_credentials_new(&co, &err);
	memset(&o, 0, sizeof(o));
	o.endpoint = endpoint;
	o.region = "us-east-1";
	o.credentials = cp;
	o.http.log = bench_count;
	c = cp != NULL ? sage_dynamodb_client_new(&o, &err) : NULL;
	if (c == NULL)
	{
		fprintf(stderr, "client: %s\n", err.message);
		return 1;
	}
	snprintf(table, sizeof(table), "bench_locks_%d", (int) getpid());
	snprintf(json, sizeof(json),
			 "{\"TableName\":\"%s\",\"BillingMode\":\"PAY_PER_REQUEST\","
			 "\"AttributeDefinitions\":[{\"AttributeName\":\"execution_id\",\"AttributeType\":\"S\"}],"
			 "\"KeySchema\":[{\"AttributeName\":\"execution_id\",\"KeyType\":\"HASH\"}]}", table);
	a = sage_arena_new(NULL);
	if (sage_dynamodb_call(c, "CreateTable", json, strlen(json), a, &reply, &err) < 0 ||
		reply.error_type != NULL)
	{
		fprintf(stderr, "CreateTable: %s %s\n", err.message,
				reply.error_type != NULL ? reply.error_type : "");
		return 1;
	}
	sage_arena_free(a);
	snprintf(owner, sizeof(owner), "bench:%d", (int) getpid());
	t0 = bench_now();
	for (i = 0; i < rounds; i++)
	{
		char		id[32];
		int			rc;

		a = sage_arena_new(NULL);
		snprintf(id, sizeof(id), "e%ld", i % 50);
		lock.table = table;
		lock.execution_id = id;
		lock.owner = owner;
		lock.attempt = i + 1;
		before = bench_requests;
		rc = sage_dynamodb_lock_acquire(c, &lock, (int64_t) time(NULL), 60, 0, a,
										&holder, &err);
		acquire_req += bench_requests - before;
		if (rc != SAGE_LOCK_OK)
		{
			fprintf(stderr, "acquire %ld: %d %s\n", i, rc, rc < 0 ? err.message : "");
			return 1;
		}
		before = bench_requests;
		rc = sage_dynamodb_lock_release(c, &lock, a, &holder, &err);
		release_req += bench_requests - before;
		if (rc != SAGE_LOCK_OK)
		{
			fprintf(stderr, "release %ld: %d %s\n", i, rc, rc < 0 ? err.message : "");
			return 1;
		}
		sage_arena_free(a);
	}
	t1 = bench_now();
	printf("rounds=%ld\n", rounds);
	printf("acquire_requests_per_call=%.2f\n", (double) acquire_req / rounds);
	printf("release_requests_per_call=%.2f\n", (double) release_req / rounds);
	printf("seconds=%.3f\n", t1 - t0);
	printf("acquire_release_pairs_per_second=%.0f\n", rounds / (t1 - t0));
	printf("ms_per_call=%.2f\n", 1000.0 * (t1 - t0) / (2.0 * rounds));
	sage_dynamodb_client_free(c);
	sage_aws_credentials_free(cp);
	return 0;
}

int
main(int argc, char **argv)
{
	if (argc == 6 && strcmp(argv[1], "events") == 0)
		return bench_events(argv[2], argv[3], atol(argv[4]), atoi(argv[5]));
	if (argc == 4 && strcmp(argv[1], "lock") == 0)
		return bench_lock(argv[2], atol(argv[3]));
	fprintf(stderr, "usage: aws_bench events ENDPOINT FUNCTION N INFLIGHT\n"
			"       aws_bench lock ENDPOINT ROUNDS\n");
	return 2;
}
