/*-------------------------------------------------------------------------
 *
 * test/aws/svc_dynamodb.c
 *		The DynamoDB client and the execution lock with fencing, against
 *		DynamoDB Local (AWS's own implementation). Run by
 *		test/aws/run_service_tests.sh under test/services/with_dynamodb.sh,
 *		which exports SAGE_TEST_DYNAMODB_ENDPOINT; without it every test
 *		FAILS (a service test that cannot reach its service proves nothing).
 *
 * The contention test forks 8 processes that fight over the same key for
 * 2,000 rounds (SAGE_TEST_LOCK_ROUNDS overrides), meeting at a
 * process-shared barrier before each round so that every round really is
 * contested. Each records what it got and whom a refusal named as the
 * holder in shared memory; the parent then checks exactly one winner per
 * round, that every loser learned that winner, and, from the table
 * itself, that each round's status record (written by the winner in a
 * transaction conditional on its lock) names the same winner.
 *
 *-------------------------------------------------------------------------
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <pthread.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "sage/dynamodb.h"
#include "json_reader.h"

#define NPROC 8
#define REGION "us-east-1"

static const char *endpoint;
static char table[64];
static SageCredentialProvider *creds;

/* Counts the HTTP requests a client sends (from its debug trace). */
typedef struct Counter
{
	int			requests;		/* "> POST " lines seen */
} Counter;

static void
count_log(void *arg, const char *line)
{
	Counter    *c = arg;

	if (strncmp(line, "> POST ", 7) == 0)
		c->requests++;
}

/* A client, counting its requests in *counter when given. */
static SageDynamoClient *
client_new(Counter *counter)
{
	SageDynamoOptions o;
	SageError	err;
	SageDynamoClient *c;

	memset(&o, 0, sizeof(o));
	o.endpoint = endpoint;
	o.region = REGION;
	o.credentials = creds;
	o.http.max_attempts = 3;
	if (counter != NULL)
	{
		o.http.log = count_log;
		o.http.callback_arg = counter;
	}
	c = sage_dynamodb_client_new(&o, &err);
	if (c == NULL)
		fail_msg("client: %s", err.message);
	return c;
}

/* Calls an operation and requires success. */
static void
call_ok(SageDynamoClient *c, const char *op, const char *json)
{
	SageArena  *a = sage_arena_new(NULL);
	SageDynamoReply r;
	SageError	err;

	if (sage_dynamodb_call(c, op, json, strlen(json), a, &r, &err) < 0)
		fail_msg("%s: %s (%s)", op, err.message, err.detail);
	if (r.error_type != NULL)
		fail_msg("%s: %s: %s", op, r.error_type, r.error_message ? r.error_message : "");
	sage_arena_free(a);
}

static int
group_setup(void **state)
{
	SageCredentialOptions co;
	SageError	err;
	SageDynamoClient *c;
	char		json[512];

	endpoint = getenv("SAGE_TEST_DYNAMODB_ENDPOINT");
	if (endpoint == NULL || endpoint[0] == '\0')
	{
		fprintf(stderr, "SAGE_TEST_DYNAMODB_ENDPOINT is not set: run under test/services/with_dynamodb.sh\n");
		return -1;
	}
	memset(&co, 0, sizeof(co));
	co.source = SAGE_CRED_SOURCE_ENV;
	creds = sage_aws_credentials_new(&co, &err);
	if (creds == NULL)
	{
		fprintf(stderr, "credentials: %s\n", err.message);
		return -1;
	}
	snprintf(table, sizeof(table), "sage_locks_%d_%ld", (int) getpid(), (long) time(NULL));
	snprintf(json, sizeof(json),
			 "{\"TableName\":\"%s\",\"BillingMode\":\"PAY_PER_REQUEST\","
			 "\"AttributeDefinitions\":[{\"AttributeName\":\"execution_id\",\"AttributeType\":\"S\"}],"
			 "\"KeySchema\":[{\"AttributeName\":\"execution_id\",\"KeyType\":\"HASH\"}]}", table);
	c = client_new(NULL);
	call_ok(c, "CreateTable", json);
	sage_dynamodb_client_free(c);
	return 0;
}

static int
group_teardown(void **state)
{
	sage_aws_credentials_free(creds);
	return 0;
}

/* A lock identity. */
static SageDynamoLock
lock_of(const char *id, const char *owner, int64_t attempt)
{
	SageDynamoLock l;

	l.table = table;
	l.execution_id = id;
	l.owner = owner;
	l.attempt = attempt;
	return l;
}

/* Acquire and release are one round trip each; the loser learns the holder. */
static void
test_acquire_held_release(void **state)
{
	Counter		cnt = {0};
	SageDynamoClient *c = client_new(&cnt);
	SageArena  *a = sage_arena_new(NULL);
	SageError	err;
	SageLockHolder h;
	SageDynamoLock w1 = lock_of("exec-basic", "worker-1", 1);
	SageDynamoLock w2 = lock_of("exec-basic", "worker-2", 2);
	int64_t		now = time(NULL);
	char	   *msg;

	assert_int_equal(sage_dynamodb_lock_acquire(c, &w1, now, 30, 3600, a, &h, &err), SAGE_LOCK_OK);
	assert_int_equal(cnt.requests, 1);
	/* a second holder is refused and told who holds it, in one request */
	assert_int_equal(sage_dynamodb_lock_acquire(c, &w2, now, 30, 3600, a, &h, &err), SAGE_LOCK_HELD);
	assert_int_equal(cnt.requests, 2);
	assert_true(h.present);
	assert_string_equal(h.owner, "worker-1");
	assert_int_equal(h.attempt, 1);
	assert_int_equal(h.expiration_time, now + 30);
	msg = sage_dynamodb_lock_explain(a, &w2, SAGE_LOCK_HELD, &h);
	assert_non_null(strstr(msg, "lock on execution \"exec-basic\" is held by \"worker-1\" attempt 1 until "));
	assert_non_null(strstr(msg, " UTC"));
	/* the holder re-acquiring (a retried request) is success */
	assert_int_equal(sage_dynamodb_lock_acquire(c, &w1, now, 30, 3600, a, &h, &err), SAGE_LOCK_OK);
	/* heartbeat */
	assert_int_equal(sage_dynamodb_lock_refresh(c, &w1, now + 10, 30, 3600, a, &h, &err), SAGE_LOCK_OK);
	assert_int_equal(sage_dynamodb_lock_acquire(c, &w2, now + 35, 30, 3600, a, &h, &err), SAGE_LOCK_HELD);
	assert_int_equal(h.expiration_time, now + 40);
	/* someone else cannot release it */
	assert_int_equal(sage_dynamodb_lock_release(c, &w2, a, &h, &err), SAGE_LOCK_LOST);
	assert_string_equal(h.owner, "worker-1");
	cnt.requests = 0;
	assert_int_equal(sage_dynamodb_lock_release(c, &w1, a, &h, &err), SAGE_LOCK_OK);
	assert_int_equal(cnt.requests, 1);
	/* released: free for the next one; a release of a missing lock is lost */
	assert_int_equal(sage_dynamodb_lock_release(c, &w1, a, &h, &err), SAGE_LOCK_LOST);
	assert_false(h.present);
	msg = sage_dynamodb_lock_explain(a, &w1, SAGE_LOCK_LOST, &h);
	assert_string_equal(msg, "attempt 1 of execution \"exec-basic\" lost its lock: the lock no longer exists");
	assert_int_equal(sage_dynamodb_lock_acquire(c, &w2, now, 30, 0, a, &h, &err), SAGE_LOCK_OK);
	sage_arena_free(a);
	sage_dynamodb_client_free(c);
}

/*
 * An expired lock is taken over; the old holder is then fenced at
 * refresh, release and final write, and cannot steal it back.
 */
static void
test_expired_takeover_and_fencing(void **state)
{
	SageDynamoClient *c = client_new(NULL);
	SageArena  *a = sage_arena_new(NULL);
	SageError	err;
	SageLockHolder h;
	SageDynamoLock old = lock_of("exec-expire", "worker-old", 1);
	SageDynamoLock nw = lock_of("exec-expire", "worker-new", 2);
	SageDynamoAttr attrs[2] = {{"rows", 'N', "1000"}, {"output_prefix", 'S', "executions/exec-expire/attempt-1/"}};
	SageDynamoStatus st;
	const char *id = "exec-expire";
	int64_t		now = time(NULL);
	char	   *msg;

	/* lease of attempt 1 ended 90 s ago; TTL has not removed the item */
	assert_int_equal(sage_dynamodb_lock_acquire(c, &old, now - 100, 10, 3600, a, &h, &err), SAGE_LOCK_OK);
	assert_int_equal(sage_dynamodb_lock_acquire(c, &nw, now, 30, 3600, a, &h, &err), SAGE_LOCK_OK);
	/* the old holder wakes up: every write is refused and names the new one */
	assert_int_equal(sage_dynamodb_lock_refresh(c, &old, now, 30, 3600, a, &h, &err), SAGE_LOCK_LOST);
	assert_string_equal(h.owner, "worker-new");
	assert_int_equal(h.attempt, 2);
	msg = sage_dynamodb_lock_explain(a, &old, SAGE_LOCK_LOST, &h);
	assert_non_null(strstr(msg, "attempt 1 of execution \"exec-expire\" lost its lock: it is held by \"worker-new\" attempt 2 until "));
	assert_int_equal(sage_dynamodb_lock_release(c, &old, a, &h, &err), SAGE_LOCK_LOST);
	assert_string_equal(h.owner, "worker-new");
	assert_int_equal(sage_dynamodb_status_write(c, &old, "succeeded", attrs, 2, true, true,
												a, &h, &err), SAGE_LOCK_LOST);
	assert_string_equal(h.owner, "worker-new");
	assert_int_equal(sage_dynamodb_status_write(c, &old, "succeeded", attrs, 2, true, false,
												a, &h, &err), SAGE_LOCK_LOST);
	/* nothing was written by the fenced attempt */
	assert_int_equal(sage_dynamodb_status_read(c, table, &id, 1, a, &st, &err), 0);
	assert_false(st.found);
	/* once the new lease also expires, the old attempt still cannot take it */
	assert_int_equal(sage_dynamodb_lock_acquire(c, &old, now + 100, 30, 3600, a, &h, &err),
					 SAGE_LOCK_SUPERSEDED);
	assert_int_equal(h.attempt, 2);
	msg = sage_dynamodb_lock_explain(a, &old, SAGE_LOCK_SUPERSEDED, &h);
	assert_non_null(strstr(msg, "was taken by newer attempt 2 (\"worker-new\"); attempt 1 is fenced"));
	/* the new holder finishes: status and release in one transaction */
	attrs[1].value = "executions/exec-expire/attempt-2/";
	assert_int_equal(sage_dynamodb_status_write(c, &nw, "succeeded", attrs, 2, true, true,
												a, &h, &err), SAGE_LOCK_OK);
	assert_int_equal(sage_dynamodb_lock_refresh(c, &nw, now, 30, 0, a, &h, &err), SAGE_LOCK_LOST);
	assert_false(h.present);
	assert_int_equal(sage_dynamodb_status_read(c, table, &id, 1, a, &st, &err), 0);
	assert_true(st.found);
	assert_int_equal(st.attempt, 2);
	assert_string_equal(st.status, "succeeded");
	/* the stale attempt, even without a lock check, cannot overwrite it */
	assert_int_equal(sage_dynamodb_status_write(c, &old, "failed", NULL, 0, false, false,
												a, &h, &err), SAGE_LOCK_STALE);
	assert_int_equal(h.attempt, 2);
	assert_string_equal(h.status, "succeeded");
	msg = sage_dynamodb_lock_explain(a, &old, SAGE_LOCK_STALE, &h);
	assert_string_equal(msg, "attempt 1 of execution \"exec-expire\" is fenced: attempt 2 already recorded status \"succeeded\"");
	assert_int_equal(sage_dynamodb_status_read(c, table, &id, 1, a, &st, &err), 0);
	assert_string_equal(st.status, "succeeded");
	sage_arena_free(a);
	sage_dynamodb_client_free(c);
}

/* Status records: newer attempts win, the same attempt may rewrite. */
static void
test_status_attempt_order(void **state)
{
	SageDynamoClient *c = client_new(NULL);
	SageArena  *a = sage_arena_new(NULL);
	SageError	err;
	SageLockHolder h;
	SageDynamoLock a3 = lock_of("exec-order", "w", 3);
	SageDynamoLock a5 = lock_of("exec-order", "w", 5);
	SageDynamoAttr bad = {"attempt", 'N', "9"};
	SageDynamoStatus st;
	const char *id = "exec-order";
	int			i;
	bool		found_rows = false;
	SageDynamoAttr rows = {"rows", 'N', "17"};

	assert_int_equal(sage_dynamodb_status_write(c, &a3, "failed", NULL, 0, false, false, a, &h, &err), SAGE_LOCK_OK);
	assert_int_equal(sage_dynamodb_status_write(c, &a3, "failed", NULL, 0, false, false, a, &h, &err), SAGE_LOCK_OK);
	assert_int_equal(sage_dynamodb_status_write(c, &a5, "succeeded", &rows, 1, false, false, a, &h, &err), SAGE_LOCK_OK);
	assert_int_equal(sage_dynamodb_status_write(c, &a3, "failed", NULL, 0, false, false, a, &h, &err), SAGE_LOCK_STALE);
	assert_int_equal(h.attempt, 5);
	assert_int_equal(sage_dynamodb_status_read(c, table, &id, 1, a, &st, &err), 0);
	assert_int_equal(st.attempt, 5);
	for (i = 0; i < st.nattrs; i++)
		if (strcmp(st.attrs[i].name, "rows") == 0 && st.attrs[i].type == 'N' &&
			strcmp(st.attrs[i].value, "17") == 0)
			found_rows = true;
	assert_true(found_rows);
	/* reserved attribute names and bad identities are argument errors */
	assert_int_equal(sage_dynamodb_status_write(c, &a5, "x", &bad, 1, false, false, a, &h, &err), -1);
	assert_int_equal(err.code, SAGE_ERR_ARGUMENT);
	a5.attempt = 0;
	assert_int_equal(sage_dynamodb_lock_acquire(c, &a5, 1, 30, 0, a, &h, &err), -1);
	assert_int_equal(err.code, SAGE_ERR_ARGUMENT);
	a5.attempt = 5;
	a5.execution_id = "status#x";
	assert_int_equal(sage_dynamodb_lock_acquire(c, &a5, 1, 30, 0, a, &h, &err), -1);
	assert_int_equal(err.code, SAGE_ERR_ARGUMENT);
	sage_arena_free(a);
	sage_dynamodb_client_free(c);
}

/* A missing table is an error with DynamoDB's exception and a hint. */
static void
test_missing_table(void **state)
{
	SageDynamoClient *c = client_new(NULL);
	SageArena  *a = sage_arena_new(NULL);
	SageError	err;
	SageLockHolder h;
	SageDynamoLock l = lock_of("x", "w", 1);
	SageDynamoStatus st;
	const char *id = "x";

	l.table = "no_such_table";
	sage_error_clear(&err);
	assert_int_equal(sage_dynamodb_lock_acquire(c, &l, 1, 30, 0, a, &h, &err), -1);
	assert_string_equal(err.message, "DynamoDB PutItem on table \"no_such_table\" failed: ResourceNotFoundException");
	assert_non_null(strstr(err.detail, "DynamoDB answered HTTP 400"));
	assert_non_null(strstr(err.hint, "execution_id"));
	assert_int_equal(sage_dynamodb_status_read(c, "no_such_table", &id, 1, a, &st, &err), -1);
	assert_non_null(strstr(err.message, "BatchGetItem"));
	sage_arena_free(a);
	sage_dynamodb_client_free(c);
}

/* 250 records read in batches of 100, with missing and repeated ids. */
static void
test_status_batch_read(void **state)
{
	SageDynamoClient *c = client_new(NULL);
	Counter		cnt = {0};
	SageDynamoClient *reader = client_new(&cnt);
	SageArena  *a = sage_arena_new(NULL);
	SageError	err;
	SageLockHolder h;
	const char *ids[260];
	SageDynamoStatus st[260];
	int			i;

	for (i = 0; i < 250; i++)
	{
		char	   *id = sage_printf(a, "batch-%03d", i);
		SageDynamoLock l = lock_of(id, "w", i + 1);

		ids[i] = id;
		if (i % 5 != 0)
			assert_int_equal(sage_dynamodb_status_write(c, &l, i % 2 ? "succeeded" : "failed",
														NULL, 0, false, false, a, &h, &err),
							 SAGE_LOCK_OK);
	}
	for (i = 250; i < 260; i++)
		ids[i] = ids[i - 250];	/* repeats */
	assert_int_equal(sage_dynamodb_status_read(reader, table, ids, 260, a, st, &err), 0);
	assert_int_equal(cnt.requests, 3);
	for (i = 0; i < 260; i++)
	{
		int			k = i % 250;

		assert_string_equal(st[i].execution_id, ids[i]);
		if (k % 5 == 0)
			assert_false(st[i].found);
		else
		{
			assert_true(st[i].found);
			assert_int_equal(st[i].attempt, k + 1);
			assert_string_equal(st[i].status, k % 2 ? "succeeded" : "failed");
		}
	}
	sage_arena_free(a);
	sage_dynamodb_client_free(reader);
	sage_dynamodb_client_free(c);
}

/* What the contenders share. */
typedef struct Shared
{
	pthread_barrier_t barrier;	/* one meeting per round */
	int			rounds;
	int			errors;			/* requests that failed outright */
	char		error_text[512];	/* the first such failure */
	/* per round and process: SageLockResult, and the holder a refusal named */
	signed char result[];		/* rounds * NPROC results, then holders */
} Shared;

#define RESULT(s, r, p) ((s)->result[(r) * NPROC + (p)])
#define SEEN(s, r, p) ((s)->result[(s)->rounds * NPROC + (r) * NPROC + (p)])

/* One contender: every round, try to take "round-N" for itself. */
static void
contender(Shared *s, int me)
{
	SageDynamoClient *c = client_new(NULL);
	char		owner[32];
	int			r;
	int64_t		now = time(NULL);

	snprintf(owner, sizeof(owner), "proc-%d", me);
	for (r = 0; r < s->rounds; r++)
	{
		SageArena  *a = sage_arena_new(NULL);
		SageError	err;
		SageLockHolder h;
		char		id[32];
		SageDynamoLock l;
		int			rc;

		snprintf(id, sizeof(id), "round-%d", r);
		l = lock_of(id, owner, me + 1);
		pthread_barrier_wait(&s->barrier);
		rc = sage_dynamodb_lock_acquire(c, &l, now, 600, 0, a, &h, &err);
		RESULT(s, r, me) = (signed char) rc;
		SEEN(s, r, me) = -1;
		if (rc == SAGE_LOCK_HELD && h.present && strncmp(h.owner, "proc-", 5) == 0)
			SEEN(s, r, me) = (signed char) atoi(h.owner + 5);
		if (rc == SAGE_LOCK_OK &&
			(rc = sage_dynamodb_status_write(c, &l, "won", NULL, 0, true, false,
											 a, &h, &err)) != SAGE_LOCK_OK)
			RESULT(s, r, me) = 100 + (signed char) rc;
		if (rc < 0 && __atomic_fetch_add(&s->errors, 1, __ATOMIC_SEQ_CST) == 0)
			snprintf(s->error_text, sizeof(s->error_text), "%s: %s", err.message, err.detail);
		sage_arena_free(a);
	}
	sage_dynamodb_client_free(c);
}

static void
test_contention(void **state)
{
	const char *env = getenv("SAGE_TEST_LOCK_ROUNDS");
	int			rounds = env != NULL ? atoi(env) : 2000;
	size_t		size = sizeof(Shared) + 2 * (size_t) rounds * NPROC;
	Shared	   *s;
	pthread_barrierattr_t ba;
	pid_t		pids[NPROC];
	int			p;
	int			r;
	int			bad_rounds = 0;
	int			bad_seen = 0;
	int			contested = 0;
	SageDynamoClient *c;
	SageArena  *a;
	const char **ids;
	SageDynamoStatus *st;
	SageError	err;
	struct timespec t0,
				t1;

	assert_true(rounds > 0);
	s = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	assert_true(s != MAP_FAILED);
	memset(s, 0, size);
	s->rounds = rounds;
	pthread_barrierattr_init(&ba);
	pthread_barrierattr_setpshared(&ba, PTHREAD_PROCESS_SHARED);
	pthread_barrier_init(&s->barrier, &ba, NPROC);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (p = 0; p < NPROC; p++)
	{
		pids[p] = fork();
		assert_true(pids[p] >= 0);
		if (pids[p] == 0)
		{
			alarm(1800);		/* never hang the barrier of the others */
			contender(s, p);
			_exit(0);
		}
	}
	for (p = 0; p < NPROC; p++)
	{
		int			status;

		assert_int_equal(waitpid(pids[p], &status, 0), pids[p]);
		if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
			fail_msg("contender %d died (status %d)", p, status);
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	if (s->errors > 0)
		fail_msg("%d lock requests failed; first: %s", s->errors, s->error_text);
	for (r = 0; r < rounds; r++)
	{
		int			winners = 0;
		int			winner = -1;
		int			losers = 0;

		for (p = 0; p < NPROC; p++)
			if (RESULT(s, r, p) == SAGE_LOCK_OK)
			{
				winners++;
				winner = p;
			}
			else if (RESULT(s, r, p) == SAGE_LOCK_HELD)
				losers++;
		if (winners != 1 || losers != NPROC - 1)
		{
			if (bad_rounds++ < 5)
				print_message("round %d: %d winners, %d losers\n", r, winners, losers);
			continue;
		}
		contested++;
		for (p = 0; p < NPROC; p++)
			if (p != winner && SEEN(s, r, p) != winner)
				bad_seen++;
	}
	print_message("%d rounds x %d processes in %.1f s: %d with exactly one holder, %d refusals naming the wrong holder\n",
				  rounds, NPROC,
				  (t1.tv_sec - t0.tv_sec) + (t1.tv_nsec - t0.tv_nsec) / 1e9,
				  contested, bad_seen);
	assert_int_equal(bad_rounds, 0);
	assert_int_equal(bad_seen, 0);

	/* the table agrees: each round's status record names its one winner */
	c = client_new(NULL);
	a = sage_arena_new(NULL);
	ids = sage_alloc(a, rounds * sizeof(char *));
	st = sage_alloc(a, rounds * sizeof(SageDynamoStatus));
	for (r = 0; r < rounds; r++)
		ids[r] = sage_printf(a, "round-%d", r);
	if (sage_dynamodb_status_read(c, table, ids, rounds, a, st, &err) < 0)
		fail_msg("status read: %s", err.message);
	for (r = 0; r < rounds; r++)
	{
		int			winner = -1;
		const char *owner = NULL;
		int			i;

		for (p = 0; p < NPROC; p++)
			if (RESULT(s, r, p) == SAGE_LOCK_OK)
				winner = p;
		assert_true(st[r].found);
		for (i = 0; i < st[r].nattrs; i++)
			if (strcmp(st[r].attrs[i].name, "owner") == 0)
				owner = st[r].attrs[i].value;
		assert_non_null(owner);
		assert_int_equal(atoi(owner + 5), winner);
		assert_int_equal(st[r].attempt, winner + 1);
	}
	sage_arena_free(a);
	sage_dynamodb_client_free(c);
	pthread_barrier_destroy(&s->barrier);
	munmap(s, size);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_acquire_held_release),
		cmocka_unit_test(test_expired_takeover_and_fencing),
		cmocka_unit_test(test_status_attempt_order),
		cmocka_unit_test(test_missing_table),
		cmocka_unit_test(test_status_batch_read),
		cmocka_unit_test(test_contention),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
