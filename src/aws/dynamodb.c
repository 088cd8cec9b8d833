/*-------------------------------------------------------------------------
 *
 * src/aws/dynamodb.c
 *		DynamoDB over its JSON protocol, and the execution lock with
 *		fencing (see src/include/sage/dynamodb.h for the item layout).
 *
 * Requests are built with the streaming JSON writer of src/core into an
 * arena buffer and sent with sage_http_request (which retries transport
 * errors, 5xx and throttling). Responses are parsed with the bounded
 * reader of json_reader.c, after their x-amz-crc32 checksum is verified.
 *
 * Why every lock call is one round trip: each conditional write asks for
 * ReturnValuesOnConditionCheckFailure = ALL_OLD, so a refusal carries the
 * item that caused it (holder, attempt, lease) and needs no GetItem.
 *
 * Retries of conditional writes are ambiguous when the first attempt
 * succeeded but its answer was lost: the retry is then refused by our own
 * write. Acquire recognises its own item (same owner and attempt) and
 * release an absent item after a retried request; final status writes
 * carry a ClientRequestToken, which makes a transaction idempotent.
 *
 *-------------------------------------------------------------------------
 */
#include "sage/dynamodb.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <zlib.h>

#include "json_reader.h"
#include "service_internal.h"
#include "../core/json_internal.h"

#define DDB_TARGET_PREFIX "DynamoDB_20120810."
#define DDB_CONTENT_TYPE "application/x-amz-json-1.0"
#define DDB_MAX_ID 1024			/* bytes of an execution id or owner */
#define DDB_UNPROCESSED_TRIES 10	/* BatchGetItem rounds without progress */
#define DDB_CONFLICT_TRIES 5	/* transactions cancelled by a conflict */

struct SageDynamoClient
{
	SageHttpClient *http;		/* transport, connections kept open */
	SageCredentialProvider *credentials;	/* not owned */
	char	   *endpoint;		/* scheme://host[:port] */
	char	   *region;			/* signing region */
	SageHttpOptions http_opts;	/* for the sleep callback */
};

/* A request body being written. */
typedef struct DdbBody
{
	SageJsonBuffer buf;			/* the text */
	SageJsonWriter w;			/* writing into buf */
} DdbBody;

SageDynamoClient *
sage_dynamodb_client_new(const SageDynamoOptions *opts, SageError *err)
{
	SageDynamoClient *c;

	if (opts->region == NULL || opts->region[0] == '\0' ||
		opts->credentials == NULL ||
		strpbrk(opts->region, "/?#% ") != NULL)
	{
		sage_error_set(err, SAGE_ERR_ARGUMENT,
					   "DynamoDB client needs a valid region and credentials");
		return NULL;
	}
	c = calloc(1, sizeof(SageDynamoClient));
	if (c == NULL)
	{
		sage_error_memory(err, NULL);
		return NULL;
	}
	c->credentials = opts->credentials;
	c->http_opts = opts->http;
	if (sage_aws_service_open("dynamodb", opts->region, opts->endpoint, &opts->http,
							  &c->region, &c->endpoint, &c->http, err) != 0)
	{
		sage_dynamodb_client_free(c);
		return NULL;
	}
	return c;
}

void
sage_dynamodb_client_free(SageDynamoClient *c)
{
	if (c == NULL)
		return;
	sage_aws_service_close(c->region, c->endpoint, c->http);
	free(c);
}

/* ------------------------------------------------------------ transport */

/*
 * ddb_crc_ok
 *		Checks DynamoDB's x-amz-crc32 (CRC32 of the body, in decimal) when
 *		the response has one; DynamoDB Local and AWS both send it.
 */
static bool
ddb_crc_ok(const SageHttpResponse *resp)
{
	const char *h = sage_http_header(resp, "x-amz-crc32");
	char	   *end;
	unsigned long want;
	unsigned long got = crc32(0L, Z_NULL, 0);
	size_t		off = 0;

	if (h == NULL)
		return true;
	want = strtoul(h, &end, 10);
	if (end == h || *end != '\0')
		return false;
	/* crc32() takes a uInt length, so feed large bodies in pieces */
	while (off < resp->body_len)
	{
		size_t		n = resp->body_len - off > 1048576 ? 1048576 : resp->body_len - off;

		got = crc32(got, (const Bytef *) resp->body + off, (uInt) n);
		off += n;
	}
	return got == want;
}

int
sage_dynamodb_call(SageDynamoClient *c, const char *op, const char *json,
				   size_t len, SageArena *arena, SageDynamoReply *reply,
				   SageError *err)
{
	SageAwsCredentials creds;
	SageHttpRequest req = {0};
	SageHttpResponse resp;
	SageHttpHeader headers[2];
	char	   *target;
	char	   *what;

	memset(reply, 0, sizeof(*reply));
	target = sage_printf(arena, DDB_TARGET_PREFIX "%s", op);
	what = sage_printf(arena, "DynamoDB %s", op);
	if (target == NULL || what == NULL)
		return sage_error_memory(err, NULL);
	if (sage_aws_credentials_get(c->credentials, arena, time(NULL), &creds, err) < 0)
		return -1;
	headers[0].name = "X-Amz-Target";
	headers[0].value = target;
	headers[1].name = "Content-Type";
	headers[1].value = DDB_CONTENT_TYPE;
	req.method = "POST";
	req.endpoint = c->endpoint;
	req.path = "/";
	req.headers = headers;
	req.nheaders = 2;
	req.body = json;
	req.body_len = len;
	req.credentials = &creds;
	req.region = c->region;
	req.service = "dynamodb";
	req.what = what;
	if (sage_http_request(c->http, &req, arena, &resp, err) < 0)
		return -1;
	reply->status = resp.status;
	reply->attempts = resp.attempts;
	if (!ddb_crc_ok(&resp))
	{
		sage_error_set(err, SAGE_AWS_ERR_TRANSPORT,
					   "response of DynamoDB %s failed its CRC32 check", op);
		sage_error_detail(err, "The x-amz-crc32 header does not match the %zu bytes of the body.",
						  resp.body_len);
		return -1;
	}
	if (resp.body_len > 0)
	{
		SageError	perr;

		sage_error_clear(&perr);
		reply->body = sage_json_parse(arena, resp.body, resp.body_len, NULL, &perr);
		if (reply->body == NULL && (resp.status < 300 || perr.code == SAGE_ERR_MEMORY))
		{
			sage_error_set(err, perr.code == SAGE_ERR_MEMORY ? SAGE_ERR_MEMORY :
						   SAGE_AWS_ERR_SERVICE,
						   "invalid response to DynamoDB %s", op);
			sage_error_detail(err, "HTTP %ld: %s.", resp.status, perr.message);
			return -1;
		}
	}
	if (resp.status < 200 || resp.status >= 300)
	{
		const char *type = sage_json_member_string(reply->body, "__type");
		const char *hash;

		if (type == NULL)
			type = sage_aws_error_code(arena, resp.body, resp.body_len);
		if (type != NULL && (hash = strrchr(type, '#')) != NULL)
			type = hash + 1;
		reply->error_type = type != NULL ? type : "HTTP error";
		reply->error_message = sage_json_member_string(reply->body, "message");
		if (reply->error_message == NULL)
			reply->error_message = sage_json_member_string(reply->body, "Message");
	}
	return 0;
}

/*
 * ddb_fail
 *		The error for an answer that is not a result: names the operation,
 *		the table, and DynamoDB's exception and message.
 */
static int
ddb_fail(const char *op, const char *table, const SageDynamoReply *reply,
		 SageError *err)
{
	sage_error_set(err, SAGE_AWS_ERR_SERVICE,
				   "DynamoDB %s on table \"%s\" failed: %s", op, table,
				   reply->error_type != NULL ? reply->error_type : "unexpected answer");
	sage_error_detail(err, "DynamoDB answered HTTP %ld%s%s after %d attempt%s.",
					  reply->status,
					  reply->error_message != NULL ? ": " : "",
					  reply->error_message != NULL ? reply->error_message : "",
					  reply->attempts, reply->attempts == 1 ? "" : "s");
	if (reply->error_type != NULL &&
		strcmp(reply->error_type, "ResourceNotFoundException") == 0)
		sage_error_hint(err, "Create the table with the string hash key \"%s\".",
						SAGE_DYNAMODB_KEY);
	else if (reply->status == 400 && reply->error_type != NULL &&
			 (strstr(reply->error_type, "AccessDenied") != NULL ||
			  strstr(reply->error_type, "Unrecognized") != NULL))
		sage_error_hint(err, "Check the credentials and their IAM policy.");
	return -1;
}

/* ---------------------------------------------------- request building */

/* Starts a request body: an open top-level object. */
static void
ddb_body_start(DdbBody *b, SageArena *arena, SageError *err)
{
	memset(b, 0, sizeof(*b));
	b->buf.arena = arena;
	b->buf.err = err;
	sage_json_init(&b->w, sage_json_buffer_emit, &b->buf, false, err);
	sage_json_begin_object(&b->w);
}

/* "name": {"S": value} (or "N"), inside an open object. */
static void
ddb_attr(DdbBody *b, const char *name, char type, const char *value)
{
	char		t[2] = {type, '\0'};

	sage_json_key(&b->w, name);
	sage_json_begin_object(&b->w);
	sage_json_key(&b->w, t);
	sage_json_string(&b->w, value);
	sage_json_end_object(&b->w);
}

/* A number attribute from an int64. */
static void
ddb_attr_int(DdbBody *b, const char *name, int64_t v)
{
	char		buf[32];

	snprintf(buf, sizeof(buf), "%" PRId64, v);
	ddb_attr(b, name, 'N', buf);
}

/* "key": "value" */
static void
ddb_kv(DdbBody *b, const char *key, const char *value)
{
	sage_json_key(&b->w, key);
	sage_json_string(&b->w, value);
}

/* "Key": {"execution_id": {"S": key}} */
static void
ddb_key(DdbBody *b, const char *key)
{
	sage_json_key(&b->w, "Key");
	sage_json_begin_object(&b->w);
	ddb_attr(b, SAGE_DYNAMODB_KEY, 'S', key);
	sage_json_end_object(&b->w);
}

/*
 * ddb_owner_names
 *		The ExpressionAttributeNames of the owner-and-attempt condition:
 *		names go through placeholders, so reserved words never matter.
 */
static void
ddb_owner_names(DdbBody *b)
{
	sage_json_key(&b->w, "ExpressionAttributeNames");
	sage_json_begin_object(&b->w);
	ddb_kv(b, "#own", "owner");
	ddb_kv(b, "#att", "attempt");
	sage_json_end_object(&b->w);
}

/* Values :own and :att of the owner-and-attempt condition. */
static void
ddb_owner_values(DdbBody *b, const SageDynamoLock *lock)
{
	sage_json_key(&b->w, "ExpressionAttributeValues");
	sage_json_begin_object(&b->w);
	ddb_attr(b, ":own", 'S', lock->owner);
	ddb_attr_int(b, ":att", lock->attempt);
	sage_json_end_object(&b->w);
}

/* Ends the body; -1 with *err when the writer or the buffer failed. */
static int
ddb_body_end(DdbBody *b, SageError *err)
{
	if (sage_json_end_object(&b->w) < 0 || sage_json_finish(&b->w) < 0 ||
		b->w.failed || b->buf.data == NULL)
	{
		if (err->code == SAGE_OK)
			sage_error_set(err, SAGE_ERR_INTERNAL, "could not build DynamoDB request");
		return -1;
	}
	return 0;
}

/* Is s valid UTF-8 of 1..DDB_MAX_ID bytes? */
static bool
ddb_valid_text(const char *s)
{
	size_t		len;
	size_t		i = 0;

	if (s == NULL || (len = strlen(s)) == 0 || len > DDB_MAX_ID)
		return false;
	while (i < len)
	{
		size_t		k = sage_utf8_seq_len((const unsigned char *) s + i, len - i);

		if (k == 0)
			return false;
		i += k;
	}
	return true;
}

/* Checks a lock identity before any request is built. */
static int
ddb_check_lock(const SageDynamoLock *lock, SageError *err)
{
	if (lock->table == NULL || lock->table[0] == '\0' ||
		!ddb_valid_text(lock->execution_id) || !ddb_valid_text(lock->owner) ||
		lock->attempt < 1)
	{
		sage_error_set(err, SAGE_ERR_ARGUMENT, "invalid DynamoDB lock request");
		sage_error_detail(err, "A lock needs a table, an execution id and an owner of 1 to %d bytes of UTF-8, and an attempt of at least 1.",
						  DDB_MAX_ID);
		return -1;
	}
	if (strncmp(lock->execution_id, SAGE_DYNAMODB_STATUS_PREFIX,
				strlen(SAGE_DYNAMODB_STATUS_PREFIX)) == 0)
	{
		sage_error_set(err, SAGE_ERR_ARGUMENT,
					   "execution id \"%s\" uses the reserved prefix \"%s\"",
					   lock->execution_id, SAGE_DYNAMODB_STATUS_PREFIX);
		return -1;
	}
	return 0;
}

/* ------------------------------------------------------ reading results */

/* A string attribute {"S": ...} of an item, or NULL. */
static const char *
ddb_item_s(const SageJsonValue *item, const char *name)
{
	return sage_json_member_string(sage_json_member(item, name), "S");
}

/* A number attribute {"N": ...} of an item into *out; false if absent. */
static bool
ddb_item_n(const SageJsonValue *item, const char *name, int64_t *out)
{
	return sage_json_to_int64(sage_json_member(sage_json_member(item, name), "N"),
							  out) == 0;
}

/* Fills *h from an item (lock or status record), or marks it absent. */
static void
ddb_holder(const SageJsonValue *item, SageLockHolder *h)
{
	memset(h, 0, sizeof(*h));
	h->owner = "";
	if (item == NULL || item->type != SAGE_JSON_OBJECT)
		return;
	h->present = true;
	if (ddb_item_s(item, "owner") != NULL)
		h->owner = ddb_item_s(item, "owner");
	(void) ddb_item_n(item, "attempt", &h->attempt);
	(void) ddb_item_n(item, "expiration_time", &h->expiration_time);
	h->status = ddb_item_s(item, "status");
}

/* Is the reply a refused condition of a single-item write? */
static bool
ddb_conditional(const SageDynamoReply *reply)
{
	return reply->error_type != NULL &&
		strcmp(reply->error_type, "ConditionalCheckFailedException") == 0;
}

/* Sends a built body; -1 on failure. */
static int
ddb_send(SageDynamoClient *c, const char *op, DdbBody *b, SageArena *arena,
		 SageDynamoReply *reply, SageError *err)
{
	if (ddb_body_end(b, err) < 0)
		return -1;
	return sage_dynamodb_call(c, op, b->buf.data, b->buf.len, arena, reply, err);
}

/* ------------------------------------------------------------ the lock */

int
sage_dynamodb_lock_acquire(SageDynamoClient *c, const SageDynamoLock *lock,
						   int64_t now, int lease, int gc_after,
						   SageArena *arena, SageLockHolder *holder,
						   SageError *err)
{
	DdbBody		b;
	SageDynamoReply reply;

	ddb_holder(NULL, holder);
	if (ddb_check_lock(lock, err) < 0)
		return -1;
	if (lease < 1)
		return sage_error_set(err, SAGE_ERR_ARGUMENT,
							  "lock lease must be at least one second");
	ddb_body_start(&b, arena, err);
	ddb_kv(&b, "TableName", lock->table);
	sage_json_key(&b.w, "Item");
	sage_json_begin_object(&b.w);
	ddb_attr(&b, SAGE_DYNAMODB_KEY, 'S', lock->execution_id);
	ddb_attr(&b, "owner", 'S', lock->owner);
	ddb_attr_int(&b, "attempt", lock->attempt);
	ddb_attr_int(&b, "expiration_time", now + lease);
	if (gc_after > 0)
		ddb_attr_int(&b, "gc_time", now + lease + gc_after);
	sage_json_end_object(&b.w);

	/*
	 * Absent, or expired (TTL deletion lags) and not taken over by a newer
	 * attempt: an old attempt must never steal an execution back.
	 */
	ddb_kv(&b, "ConditionExpression",
		   "attribute_not_exists(#k) OR (#exp < :now AND #att <= :att)");
	sage_json_key(&b.w, "ExpressionAttributeNames");
	sage_json_begin_object(&b.w);
	ddb_kv(&b, "#k", SAGE_DYNAMODB_KEY);
	ddb_kv(&b, "#att", "attempt");
	ddb_kv(&b, "#exp", "expiration_time");
	sage_json_end_object(&b.w);
	sage_json_key(&b.w, "ExpressionAttributeValues");
	sage_json_begin_object(&b.w);
	ddb_attr_int(&b, ":now", now);
	ddb_attr_int(&b, ":att", lock->attempt);
	sage_json_end_object(&b.w);
	ddb_kv(&b, "ReturnValuesOnConditionCheckFailure", "ALL_OLD");
	if (ddb_send(c, "PutItem", &b, arena, &reply, err) < 0)
		return -1;
	if (reply.error_type == NULL)
		return SAGE_LOCK_OK;
	if (!ddb_conditional(&reply))
		return ddb_fail("PutItem", lock->table, &reply, err);
	ddb_holder(sage_json_member(reply.body, "Item"), holder);
	/* our own write, answered to an earlier attempt of this request */
	if (holder->present && holder->attempt == lock->attempt &&
		strcmp(holder->owner, lock->owner) == 0)
		return SAGE_LOCK_OK;
	if (holder->present && holder->expiration_time < now &&
		holder->attempt > lock->attempt)
		return SAGE_LOCK_SUPERSEDED;
	return SAGE_LOCK_HELD;
}

int
sage_dynamodb_lock_refresh(SageDynamoClient *c, const SageDynamoLock *lock,
						   int64_t now, int lease, int gc_after,
						   SageArena *arena, SageLockHolder *holder,
						   SageError *err)
{
	DdbBody		b;
	SageDynamoReply reply;

	ddb_holder(NULL, holder);
	if (ddb_check_lock(lock, err) < 0)
		return -1;
	if (lease < 1)
		return sage_error_set(err, SAGE_ERR_ARGUMENT,
							  "lock lease must be at least one second");
	ddb_body_start(&b, arena, err);
	ddb_kv(&b, "TableName", lock->table);
	ddb_key(&b, lock->execution_id);
	ddb_kv(&b, "UpdateExpression", gc_after > 0 ?
		   "SET #exp = :exp, #gc = :gc" : "SET #exp = :exp");
	ddb_kv(&b, "ConditionExpression", "#own = :own AND #att = :att");
	sage_json_key(&b.w, "ExpressionAttributeNames");
	sage_json_begin_object(&b.w);
	ddb_kv(&b, "#own", "owner");
	ddb_kv(&b, "#att", "attempt");
	ddb_kv(&b, "#exp", "expiration_time");
	if (gc_after > 0)
		ddb_kv(&b, "#gc", "gc_time");
	sage_json_end_object(&b.w);
	sage_json_key(&b.w, "ExpressionAttributeValues");
	sage_json_begin_object(&b.w);
	ddb_attr(&b, ":own", 'S', lock->owner);
	ddb_attr_int(&b, ":att", lock->attempt);
	ddb_attr_int(&b, ":exp", now + lease);
	if (gc_after > 0)
		ddb_attr_int(&b, ":gc", now + lease + gc_after);
	sage_json_end_object(&b.w);
	ddb_kv(&b, "ReturnValuesOnConditionCheckFailure", "ALL_OLD");
	if (ddb_send(c, "UpdateItem", &b, arena, &reply, err) < 0)
		return -1;
	if (reply.error_type == NULL)
		return SAGE_LOCK_OK;
	if (!ddb_conditional(&reply))
		return ddb_fail("UpdateItem", lock->table, &reply, err);
	ddb_holder(sage_json_member(reply.body, "Item"), holder);
	return SAGE_LOCK_LOST;
}

int
sage_dynamodb_lock_release(SageDynamoClient *c, const SageDynamoLock *lock,
						   SageArena *arena, SageLockHolder *holder,
						   SageError *err)
{
	DdbBody		b;
	SageDynamoReply reply;

	ddb_holder(NULL, holder);
	if (ddb_check_lock(lock, err) < 0)
		return -1;
	ddb_body_start(&b, arena, err);
	ddb_kv(&b, "TableName", lock->table);
	ddb_key(&b, lock->execution_id);
	ddb_kv(&b, "ConditionExpression", "#own = :own AND #att = :att");
	ddb_owner_names(&b);
	ddb_owner_values(&b, lock);
	ddb_kv(&b, "ReturnValuesOnConditionCheckFailure", "ALL_OLD");
	if (ddb_send(c, "DeleteItem", &b, arena, &reply, err) < 0)
		return -1;
	if (reply.error_type == NULL)
		return SAGE_LOCK_OK;
	if (!ddb_conditional(&reply))
		return ddb_fail("DeleteItem", lock->table, &reply, err);
	ddb_holder(sage_json_member(reply.body, "Item"), holder);

	/*
	 * Gone after a retried request: our first attempt deleted it and its
	 * answer was lost. Nobody holds the lock either way.
	 */
	if (!holder->present && reply.attempts > 1)
		return SAGE_LOCK_OK;
	return SAGE_LOCK_LOST;
}

/* ------------------------------------------------------- status records */

/* The Item of a status record, as an open "Item" member. */
static int
ddb_status_item(DdbBody *b, const char *key, const SageDynamoLock *lock,
				const char *status, const SageDynamoAttr *attrs, int nattrs,
				SageError *err)
{
	int			i;

	sage_json_key(&b->w, "Item");
	sage_json_begin_object(&b->w);
	ddb_attr(b, SAGE_DYNAMODB_KEY, 'S', key);
	ddb_attr_int(b, "attempt", lock->attempt);
	ddb_attr(b, "status", 'S', status);
	ddb_attr(b, "owner", 'S', lock->owner);
	for (i = 0; i < nattrs; i++)
	{
		const SageDynamoAttr *a = &attrs[i];

		if (a->name == NULL || a->name[0] == '\0' || a->value == NULL ||
			(a->type != 'S' && a->type != 'N') ||
			strcmp(a->name, SAGE_DYNAMODB_KEY) == 0 ||
			strcmp(a->name, "attempt") == 0 || strcmp(a->name, "status") == 0 ||
			strcmp(a->name, "owner") == 0 || !ddb_valid_text(a->name))
			return sage_error_set(err, SAGE_ERR_ARGUMENT,
								  "invalid status record attribute \"%s\"",
								  a->name != NULL ? a->name : "");
		ddb_attr(b, a->name, a->type, a->value);
	}
	sage_json_end_object(&b->w);
	return 0;
}

/*
 * ddb_status_put
 *		The Put of a status record, conditional on the attempt: absent, or
 *		written by this attempt or an older one (<=, so a retry of our own
 *		write is not refused).
 */
static int
ddb_status_put(DdbBody *b, const char *key, const SageDynamoLock *lock,
			   const char *status, const SageDynamoAttr *attrs, int nattrs,
			   SageError *err)
{
	ddb_kv(b, "TableName", lock->table);
	if (ddb_status_item(b, key, lock, status, attrs, nattrs, err) < 0)
		return -1;
	ddb_kv(b, "ConditionExpression", "attribute_not_exists(#k) OR #att <= :att");
	sage_json_key(&b->w, "ExpressionAttributeNames");
	sage_json_begin_object(&b->w);
	ddb_kv(b, "#k", SAGE_DYNAMODB_KEY);
	ddb_kv(b, "#att", "attempt");
	sage_json_end_object(&b->w);
	sage_json_key(&b->w, "ExpressionAttributeValues");
	sage_json_begin_object(&b->w);
	ddb_attr_int(b, ":att", lock->attempt);
	sage_json_end_object(&b->w);
	ddb_kv(b, "ReturnValuesOnConditionCheckFailure", "ALL_OLD");
	return 0;
}

/*
 * ddb_transaction_status
 *		Final write tied to the lock: TransactWriteItems with the lock
 *		check (or conditional delete) and the status Put. Returns a
 *		SageLockResult, or -1.
 */
static int
ddb_transaction_status(SageDynamoClient *c, const SageDynamoLock *lock,
					   const char *key, const char *status,
					   const SageDynamoAttr *attrs, int nattrs,
					   bool release_lock, SageArena *arena,
					   SageLockHolder *holder, SageError *err)
{
	int			round;

	for (round = 0;; round++)
	{
		DdbBody		b;
		SageDynamoReply reply;
		char		token[40];
		const SageJsonValue *reasons;
		const char *code0;
		const char *code1;

		sage_uuid_v4(token);
		ddb_body_start(&b, arena, err);
		ddb_kv(&b, "ClientRequestToken", token);
		sage_json_key(&b.w, "TransactItems");
		sage_json_begin_array(&b.w);
		/* the lock: still ours (and deleted when releasing) */
		sage_json_begin_object(&b.w);
		sage_json_key(&b.w, release_lock ? "Delete" : "ConditionCheck");
		sage_json_begin_object(&b.w);
		ddb_kv(&b, "TableName", lock->table);
		ddb_key(&b, lock->execution_id);
		ddb_kv(&b, "ConditionExpression", "#own = :own AND #att = :att");
		ddb_owner_names(&b);
		ddb_owner_values(&b, lock);
		ddb_kv(&b, "ReturnValuesOnConditionCheckFailure", "ALL_OLD");
		sage_json_end_object(&b.w);
		sage_json_end_object(&b.w);
		/* the status record */
		sage_json_begin_object(&b.w);
		sage_json_key(&b.w, "Put");
		sage_json_begin_object(&b.w);
		if (ddb_status_put(&b, key, lock, status, attrs, nattrs, err) < 0)
			return -1;
		sage_json_end_object(&b.w);
		sage_json_end_object(&b.w);
		sage_json_end_array(&b.w);
		if (ddb_send(c, "TransactWriteItems", &b, arena, &reply, err) < 0)
			return -1;
		if (reply.error_type == NULL)
			return SAGE_LOCK_OK;
		if (strcmp(reply.error_type, "TransactionCanceledException") != 0)
			return ddb_fail("TransactWriteItems", lock->table, &reply, err);
		reasons = sage_json_member(reply.body, "CancellationReasons");
		if (reasons == NULL || reasons->type != SAGE_JSON_ARRAY || reasons->count != 2)
			return ddb_fail("TransactWriteItems", lock->table, &reply, err);
		code0 = sage_json_member_string(reasons->items[0], "Code");
		code1 = sage_json_member_string(reasons->items[1], "Code");
		if (code0 != NULL && strcmp(code0, "ConditionalCheckFailed") == 0)
		{
			ddb_holder(sage_json_member(reasons->items[0], "Item"), holder);
			return SAGE_LOCK_LOST;
		}
		if (code1 != NULL && strcmp(code1, "ConditionalCheckFailed") == 0)
		{
			ddb_holder(sage_json_member(reasons->items[1], "Item"), holder);
			return SAGE_LOCK_STALE;
		}
		/* a concurrent transaction on the items: try again, a few times */
		if (round + 1 < DDB_CONFLICT_TRIES &&
			((code0 != NULL && strcmp(code0, "TransactionConflict") == 0) ||
			 (code1 != NULL && strcmp(code1, "TransactionConflict") == 0)))
		{
			struct timespec ts = {0, 20000000L << round};

			if (c->http_opts.sleep != NULL)
				c->http_opts.sleep(c->http_opts.callback_arg, 20L << round);
			else
				nanosleep(&ts, NULL);
			continue;
		}
		return ddb_fail("TransactWriteItems", lock->table, &reply, err);
	}
}

int
sage_dynamodb_status_write(SageDynamoClient *c, const SageDynamoLock *lock,
						   const char *status, const SageDynamoAttr *attrs,
						   int nattrs, bool require_lock, bool release_lock,
						   SageArena *arena, SageLockHolder *holder,
						   SageError *err)
{
	char	   *key;
	DdbBody		b;
	SageDynamoReply reply;

	ddb_holder(NULL, holder);
	if (ddb_check_lock(lock, err) < 0)
		return -1;
	if (!ddb_valid_text(status) || nattrs < 0 || (nattrs > 0 && attrs == NULL) ||
		(release_lock && !require_lock))
		return sage_error_set(err, SAGE_ERR_ARGUMENT,
							  "invalid DynamoDB status record request");
	key = sage_printf(arena, SAGE_DYNAMODB_STATUS_PREFIX "%s", lock->execution_id);
	if (key == NULL)
		return sage_error_memory(err, NULL);
	if (require_lock)
		return ddb_transaction_status(c, lock, key, status, attrs, nattrs,
									  release_lock, arena, holder, err);
	ddb_body_start(&b, arena, err);
	if (ddb_status_put(&b, key, lock, status, attrs, nattrs, err) < 0 ||
		ddb_send(c, "PutItem", &b, arena, &reply, err) < 0)
		return -1;
	if (reply.error_type == NULL)
		return SAGE_LOCK_OK;
	if (!ddb_conditional(&reply))
		return ddb_fail("PutItem", lock->table, &reply, err);
	ddb_holder(sage_json_member(reply.body, "Item"), holder);
	return SAGE_LOCK_STALE;
}

/* Fills a status from a returned item. */
static int
ddb_status_from_item(const SageJsonValue *item, SageArena *arena,
					 SageDynamoStatus *st, SageError *err)
{
	size_t		i;

	st->found = true;
	st->attempt = 0;
	(void) ddb_item_n(item, "attempt", &st->attempt);
	st->status = ddb_item_s(item, "status");
	st->attrs = sage_alloc0(arena, (item->count + 1) * sizeof(SageDynamoAttr));
	if (st->attrs == NULL)
		return sage_error_memory(err, NULL);
	st->nattrs = 0;
	for (i = 0; i < item->count; i++)
	{
		const char *name = item->keys[i];
		const char *v;
		char		type;

		if (strcmp(name, SAGE_DYNAMODB_KEY) == 0 || strcmp(name, "attempt") == 0 ||
			strcmp(name, "status") == 0)
			continue;
		if ((v = sage_json_member_string(item->items[i], "S")) != NULL)
			type = 'S';
		else if ((v = sage_json_member_string(item->items[i], "N")) != NULL)
			type = 'N';
		else
			continue;
		st->attrs[st->nattrs].name = name;
		st->attrs[st->nattrs].type = type;
		st->attrs[st->nattrs].value = v;
		st->nattrs++;
	}
	return 0;
}

/*
 * ddb_batch_get
 *		One batch of at most 100 distinct keys (indexes into ids), with
 *		UnprocessedKeys requested again until none is left.
 */
static int
ddb_batch_get(SageDynamoClient *c, const char *table, const char *const *ids,
			  int n, const int *batch, int nbatch, SageArena *arena,
			  SageDynamoStatus *out, SageError *err)
{
	const SageJsonValue *pending = NULL;	/* UnprocessedKeys' Keys */
	int			tries = 0;

	for (;;)
	{
		DdbBody		b;
		SageDynamoReply reply;
		const SageJsonValue *items;
		const SageJsonValue *unp;
		size_t		i;
		int			k;

		ddb_body_start(&b, arena, err);
		sage_json_key(&b.w, "RequestItems");
		sage_json_begin_object(&b.w);
		sage_json_key(&b.w, table);
		sage_json_begin_object(&b.w);
		sage_json_key(&b.w, "Keys");
		sage_json_begin_array(&b.w);
		if (pending == NULL)
			for (k = 0; k < nbatch; k++)
			{
				char	   *key = sage_printf(arena, SAGE_DYNAMODB_STATUS_PREFIX "%s",
											  ids[batch[k]]);

				if (key == NULL)
					return sage_error_memory(err, NULL);
				sage_json_begin_object(&b.w);
				ddb_attr(&b, SAGE_DYNAMODB_KEY, 'S', key);
				sage_json_end_object(&b.w);
			}
		else
			for (i = 0; i < pending->count; i++)
			{
				const char *key = ddb_item_s(pending->items[i], SAGE_DYNAMODB_KEY);

				if (key == NULL)
					return sage_error_set(err, SAGE_AWS_ERR_SERVICE,
										  "invalid UnprocessedKeys in DynamoDB BatchGetItem response");
				sage_json_begin_object(&b.w);
				ddb_attr(&b, SAGE_DYNAMODB_KEY, 'S', key);
				sage_json_end_object(&b.w);
			}
		sage_json_end_array(&b.w);
		sage_json_key(&b.w, "ConsistentRead");
		sage_json_bool(&b.w, true);
		sage_json_end_object(&b.w);
		sage_json_end_object(&b.w);
		if (ddb_send(c, "BatchGetItem", &b, arena, &reply, err) < 0)
			return -1;
		if (reply.error_type != NULL)
			return ddb_fail("BatchGetItem", table, &reply, err);
		items = sage_json_member(sage_json_member(reply.body, "Responses"), table);
		if (items != NULL && items->type != SAGE_JSON_ARRAY)
			return sage_error_set(err, SAGE_AWS_ERR_SERVICE,
								  "invalid Responses in DynamoDB BatchGetItem response");
		for (i = 0; items != NULL && i < items->count; i++)
		{
			const char *key = ddb_item_s(items->items[i], SAGE_DYNAMODB_KEY);
			size_t		plen = strlen(SAGE_DYNAMODB_STATUS_PREFIX);
			int			j;

			if (key == NULL || strncmp(key, SAGE_DYNAMODB_STATUS_PREFIX, plen) != 0)
				continue;
			/* every requested index with this id, duplicates included */
			for (j = 0; j < n; j++)
				if (!out[j].found && strcmp(ids[j], key + plen) == 0 &&
					ddb_status_from_item(items->items[i], arena, &out[j], err) < 0)
					return -1;
		}
		unp = sage_json_member(sage_json_member(sage_json_member(reply.body,
																 "UnprocessedKeys"),
												table), "Keys");
		if (unp == NULL || unp->type != SAGE_JSON_ARRAY || unp->count == 0)
			return 0;
		if (++tries >= DDB_UNPROCESSED_TRIES)
		{
			sage_error_set(err, SAGE_AWS_ERR_SERVICE,
						   "DynamoDB BatchGetItem on table \"%s\" left %zu keys unprocessed",
						   table, unp->count);
			sage_error_detail(err, "The keys stayed unprocessed after %d requests.", tries);
			sage_error_hint(err, "The table's read capacity is probably exhausted.");
			return -1;
		}
		pending = unp;
		{
			long		ms = 50L << (tries < 6 ? tries : 6);
			struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};

			if (c->http_opts.sleep != NULL)
				c->http_opts.sleep(c->http_opts.callback_arg, ms);
			else
				nanosleep(&ts, NULL);
		}
	}
}

int
sage_dynamodb_status_read(SageDynamoClient *c, const char *table,
						  const char *const *ids, int n, SageArena *arena,
						  SageDynamoStatus *out, SageError *err)
{
	int			batch[SAGE_DYNAMODB_BATCH_MAX];
	int			nbatch = 0;
	int			i;

	if (table == NULL || table[0] == '\0' || n < 0 || (n > 0 && (ids == NULL || out == NULL)))
		return sage_error_set(err, SAGE_ERR_ARGUMENT,
							  "invalid DynamoDB status read request");
	for (i = 0; i < n; i++)
	{
		memset(&out[i], 0, sizeof(out[i]));
		out[i].execution_id = ids[i];
		if (!ddb_valid_text(ids[i]))
			return sage_error_set(err, SAGE_ERR_ARGUMENT,
								  "invalid execution id at position %d", i + 1);
	}
	for (i = 0; i < n; i++)
	{
		int			j;
		bool		dup = false;

		/* BatchGetItem refuses duplicate keys within one request */
		for (j = 0; j < nbatch && !dup; j++)
			dup = strcmp(ids[batch[j]], ids[i]) == 0;
		if (!dup)
			batch[nbatch++] = i;
		if (nbatch == SAGE_DYNAMODB_BATCH_MAX || (i == n - 1 && nbatch > 0))
		{
			if (ddb_batch_get(c, table, ids, n, batch, nbatch, arena, out, err) < 0)
				return -1;
			nbatch = 0;
		}
	}
	return 0;
}

/* ------------------------------------------------------------- messages */

const char *
sage_lock_result_name(SageLockResult r)
{
	switch (r)
	{
		case SAGE_LOCK_OK:
			return "ok";
		case SAGE_LOCK_HELD:
			return "held";
		case SAGE_LOCK_SUPERSEDED:
			return "superseded";
		case SAGE_LOCK_LOST:
			return "lost";
		case SAGE_LOCK_STALE:
			return "stale";
	}
	return "unknown";
}

/* "2024-05-01 10:00:00 UTC" of epoch seconds. */
static void
ddb_time_text(int64_t t, char *buf, size_t size)
{
	time_t		tt = (time_t) t;
	struct tm	tm;

	if (gmtime_r(&tt, &tm) == NULL ||
		strftime(buf, size, "%Y-%m-%d %H:%M:%S UTC", &tm) == 0)
		snprintf(buf, size, "%" PRId64, t);
}

char *
sage_dynamodb_lock_explain(SageArena *arena, const SageDynamoLock *lock,
						   SageLockResult r, const SageLockHolder *h)
{
	char		until[64];

	ddb_time_text(h->expiration_time, until, sizeof(until));
	switch (r)
	{
		case SAGE_LOCK_OK:
			return sage_printf(arena, "lock on execution \"%s\" is held by \"%s\" attempt %" PRId64,
							   lock->execution_id, lock->owner, lock->attempt);
		case SAGE_LOCK_HELD:
			if (!h->present)
				return sage_printf(arena, "lock on execution \"%s\" is held by another worker",
								   lock->execution_id);
			return sage_printf(arena, "lock on execution \"%s\" is held by \"%s\" attempt %" PRId64 " until %s",
							   lock->execution_id, h->owner, h->attempt, until);
		case SAGE_LOCK_SUPERSEDED:
			return sage_printf(arena, "lock on execution \"%s\" was taken by newer attempt %" PRId64 " (\"%s\"); attempt %" PRId64 " is fenced",
							   lock->execution_id, h->attempt, h->owner, lock->attempt);
		case SAGE_LOCK_LOST:
			if (!h->present)
				return sage_printf(arena, "attempt %" PRId64 " of execution \"%s\" lost its lock: the lock no longer exists",
								   lock->attempt, lock->execution_id);
			return sage_printf(arena, "attempt %" PRId64 " of execution \"%s\" lost its lock: it is held by \"%s\" attempt %" PRId64 " until %s",
							   lock->attempt, lock->execution_id, h->owner,
							   h->attempt, until);
		case SAGE_LOCK_STALE:
			return sage_printf(arena, "attempt %" PRId64 " of execution \"%s\" is fenced: attempt %" PRId64 " already recorded status \"%s\"",
							   lock->attempt, lock->execution_id, h->attempt,
							   h->status != NULL ? h->status : "");
	}
	return sage_printf(arena, "unknown lock result %d", (int) r);
}
