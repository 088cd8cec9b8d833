/*-------------------------------------------------------------------------
 *
 * lambda/bootstrap.c
 *		SAGE's Lambda custom runtime (provided.al2023): loops on the Lambda
 *		Runtime API and runs each event as one attempt of an execution,
 *		as SAGE-LAMBDA-DESIGN.md's handler does, made safe with the
 *		DynamoDB lock and fencing of ARCHITECTURE.md.
 *
 * An event is
 *	{"execution_id", "attempt", "yaml_config" | "config_key",
 *	 "input_files": [{"name", "key"}], "bucket", "prefix", "lock_table"
 *	 [, "package"]}
 * and an invocation: acquire the lock (owner = request id, fencing token
 * = attempt; 409 when held or superseded), read config and inputs from S3
 * into memory, run sage_process into a memory sink, upload every output
 * under <prefix><execution_id>/attempt-<n>/, write the final status record
 * conditionally on the attempt in one transaction with the lock's
 * release, answer {"statusCode", "body"} and print an EMF line.
 *
 * Failures of the data or the configuration are results (status
 * "failed", error.log among the outputs, statusCode 500). Failures of the
 * infrastructure (S3 or DynamoDB unreachable) leave no status record and
 * are reported to /invocation/<id>/error, so the reconciler re-dispatches
 * the execution with a new attempt once the lease has passed.
 *
 * Environment: AWS_LAMBDA_RUNTIME_API, AWS_REGION (or AWS_DEFAULT_REGION),
 * the credentials Lambda provides (AWS_ACCESS_KEY_ID...), and optionally
 * SAGE_S3_ENDPOINT and SAGE_DYNAMODB_ENDPOINT (test services).
 *
 *-------------------------------------------------------------------------
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/utsname.h>

#include "sage/aws.h"
#include "sage/cloudwatch.h"
#include "sage/dynamodb.h"
#include "sage/processor.h"
#include "../src/aws/json_reader.h"
#include "../src/core/json_internal.h"
#include "runtime_api.h"

#define BOOT_MAX_INPUTS 64		/* input files per event */
#define BOOT_MAX_NAME 255		/* bytes of a file name or execution id */
#define BOOT_LEASE_MARGIN 30	/* seconds of lease past the deadline */
#define BOOT_GC_AFTER (7 * 86400)	/* lock items' TTL, seconds */
#define BOOT_EMF_NAMESPACE "SAGE"

/* What stays alive between invocations of a warm environment. */
typedef struct BootEnv
{
	const char *region;			/* signing region */
	const char *s3_endpoint;	/* NULL = AWS */
	const char *function_name;	/* EMF dimension */
	size_t		memory_limit;	/* processor budget, bytes; 0 = none */
	const char *ca_file;		/* CA bundle for TLS, NULL = libcurl's */
	SageCredentialProvider *credentials;	/* from the environment */
	SageDynamoClient *dynamo;	/* lock and status records */
	SageRuntimeApi api;			/* the Runtime API */
} BootEnv;

/* One event's fields, validated. */
typedef struct BootEvent
{
	const char *execution_id;	/* plain name, no '/' */
	int64_t		attempt;		/* fencing token, >= 1 */
	const char *yaml_config;	/* inline configuration, or NULL */
	size_t		yaml_len;		/* bytes of yaml_config */
	const char *config_key;		/* S3 key of the configuration, or NULL */
	const char *names[BOOT_MAX_INPUTS];	/* submitted file names */
	const char *keys[BOOT_MAX_INPUTS];	/* their S3 keys */
	int			ninputs;		/* entries of names and keys */
	const char *bucket;			/* inputs and outputs */
	const char *prefix;			/* output key prefix, may be "" */
	const char *lock_table;		/* DynamoDB lock table */
	const char *package;		/* package to apply, or NULL to detect it */
} BootEvent;

/* How an invocation ended, for the response body and the EMF line. */
typedef struct BootResult
{
	int			status_code;	/* 200, 409 or 500 */
	const char *status;			/* "succeeded", "failed" or "refused" */
	const char *error;			/* message for failures and refusals */
	const char *output_prefix;	/* where the outputs went, or NULL */
	SageSummary summary;		/* counts (zeros when not processed) */
	bool		have_summary;	/* the processor ran */
	int			outputs;		/* files uploaded */
	uint64_t	peak_memory;	/* processor's peak, bytes */
	bool		duplicate;		/* this attempt had already finished */
	int64_t		started_ms;		/* when the invocation began, for billed_ms */
} BootResult;

/* Milliseconds since the epoch (wall clock, as the deadline header). */
static int64_t
boot_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t) ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* A whole SageError as one line for responses and logs. */
static char *
boot_error_text(SageArena *arena, const SageError *err)
{
	return sage_printf(arena, "%s%s%s%s%s", err->message,
					   err->detail[0] ? " (detail: " : "", err->detail,
					   err->detail[0] ? ")" : "", "");
}

/* A required string member of the event, checked for length and '/'. */
static const char *
boot_event_string(const SageJsonValue *ev, const char *key, bool plain,
				  bool allow_empty, SageError *err)
{
	const SageJsonValue *v = sage_json_member(ev, key);

	if (v == NULL || v->type != SAGE_JSON_STRING)
	{
		sage_error_set(err, SAGE_ERR_ARGUMENT,
					   "event member \"%s\" is missing or not a string", key);
		return NULL;
	}
	if ((!allow_empty && v->len == 0) || strlen(v->str) != v->len ||
		(plain && (v->len > BOOT_MAX_NAME || strchr(v->str, '/') != NULL ||
				   strcmp(v->str, ".") == 0 || strcmp(v->str, "..") == 0)))
	{
		sage_error_set(err, SAGE_ERR_ARGUMENT,
					   "event member \"%s\" is not a valid name", key);
		return NULL;
	}
	return v->str;
}

/* Parses and checks an event. */
static int
boot_parse_event(SageArena *arena, const char *text, size_t len,
				 BootEvent *ev, SageError *err)
{
	SageJsonValue *root;
	const SageJsonValue *v;
	const SageJsonValue *files;
	size_t		i;

	memset(ev, 0, sizeof(*ev));
	root = sage_json_parse(arena, text, len, NULL, err);
	if (root == NULL)
	{
		char		msg[sizeof(err->message)];

		/* the reader speaks of responses; this is the event */
		snprintf(msg, sizeof(msg), "%s", err->message);
		sage_error_set(err, err->code == SAGE_OK ? SAGE_ERR_INPUT : err->code,
					   "could not parse the event: %s", msg);
		return -1;
	}
	if (root->type != SAGE_JSON_OBJECT)
		return sage_error_set(err, SAGE_ERR_ARGUMENT, "event is not a JSON object");
	if ((ev->execution_id = boot_event_string(root, "execution_id", true, false, err)) == NULL ||
		(ev->bucket = boot_event_string(root, "bucket", false, false, err)) == NULL ||
		(ev->prefix = boot_event_string(root, "prefix", false, true, err)) == NULL ||
		(ev->lock_table = boot_event_string(root, "lock_table", false, false, err)) == NULL)
		return -1;
	v = sage_json_member(root, "package");
	if (v != NULL && v->type == SAGE_JSON_STRING && v->len > 0)
		ev->package = v->str;
	v = sage_json_member(root, "attempt");
	if (v == NULL || sage_json_to_int64(v, &ev->attempt) != 0 || ev->attempt < 1)
		return sage_error_set(err, SAGE_ERR_ARGUMENT,
							  "event member \"attempt\" must be an integer >= 1");
	v = sage_json_member(root, "yaml_config");
	if (v != NULL && v->type == SAGE_JSON_STRING)
	{
		ev->yaml_config = v->str;
		ev->yaml_len = v->len;
	}
	else if ((v = sage_json_member(root, "config_key")) != NULL &&
			 v->type == SAGE_JSON_STRING && v->len > 0)
		ev->config_key = v->str;
	else
		return sage_error_set(err, SAGE_ERR_ARGUMENT,
							  "event has neither \"yaml_config\" nor \"config_key\"");
	files = sage_json_member(root, "input_files");
	if (files == NULL || files->type != SAGE_JSON_ARRAY || files->count == 0)
		return sage_error_set(err, SAGE_ERR_ARGUMENT,
							  "event member \"input_files\" must be a non-empty array");
	if (files->count > BOOT_MAX_INPUTS)
		return sage_error_set(err, SAGE_ERR_LIMIT,
							  "event has %zu input files, more than %d",
							  files->count, BOOT_MAX_INPUTS);
	for (i = 0; i < files->count; i++)
	{
		const SageJsonValue *f = files->items[i];

		if (f->type != SAGE_JSON_OBJECT ||
			(ev->names[i] = boot_event_string(f, "name", true, false, err)) == NULL ||
			(ev->keys[i] = boot_event_string(f, "key", false, false, err)) == NULL)
		{
			if (err->code == SAGE_OK)
				sage_error_set(err, SAGE_ERR_ARGUMENT,
							   "input_files[%zu] is not an object", i);
			sage_error_detail(err, "The problem is in input_files[%zu].", i);
			return -1;
		}
	}
	ev->ninputs = (int) files->count;
	return 0;
}

/* Content-Type of an output, from its extension. */
static const char *
boot_content_type(const char *name)
{
	const char *dot = strrchr(name, '.');

	if (dot == NULL)
		return "application/octet-stream";
	if (strcmp(dot, ".json") == 0)
		return "application/json";
	if (strcmp(dot, ".html") == 0)
		return "text/html; charset=utf-8";
	if (strcmp(dot, ".csv") == 0)
		return "text/csv; charset=utf-8";
	return "text/plain; charset=utf-8";
}

/*
 * Records a failure found before the processor ran (a missing input, an
 * unreadable configuration object) as the processor records its own: an
 * error.log in the outputs.
 */
static int
boot_write_error_log(SageSink *sink, const BootEvent *ev, const SageError *ferr,
					 SageError *err)
{
	char		text[8192];
	void	   *h;
	int			n;

	n = snprintf(text, sizeof(text),
				 "[ERROR] execution could not be processed\n"
				 "Execution ID: %s\nAttempt:      %" PRId64 "\n"
				 "Error code:   %s\nMessage:      %s\n%s%s%s",
				 ev->execution_id, ev->attempt, sage_error_code_name(ferr->code),
				 ferr->message, ferr->detail[0] ? "Detail:       " : "",
				 ferr->detail, ferr->detail[0] ? "\n" : "");
	if (n < 0)
		n = 0;
	if ((size_t) n >= sizeof(text))
		n = sizeof(text) - 1;
	if (sink->open(sink->ctx, "error.log", &h, err) != 0)
		return -1;
	if (sink->write(sink->ctx, h, text, (size_t) n, err) != 0)
	{
		sink->close(sink->ctx, h, err);
		return -1;
	}
	return sink->close(sink->ctx, h, err);
}

/* Writes the response body: the design's JSON, as a JSON string member. */
static char *
boot_response_json(SageArena *arena, const BootEvent *ev, const BootResult *r,
				   size_t *len, SageError *err)
{
	SageJsonBuffer body;
	SageJsonBuffer out;
	SageJsonWriter w;

	memset(&body, 0, sizeof(body));
	body.arena = arena;
	body.err = err;
	sage_json_init(&w, sage_json_buffer_emit, &body, false, err);
	sage_json_begin_object(&w);
	sage_json_key(&w, "status");
	sage_json_string(&w, r->status);
	sage_json_key(&w, "execution_id");
	sage_json_string(&w, ev->execution_id);
	sage_json_key(&w, "attempt");
	sage_json_int(&w, ev->attempt);
	if (r->error != NULL)
	{
		sage_json_key(&w, "error");
		sage_json_string(&w, r->error);
	}
	if (r->output_prefix != NULL)
	{
		sage_json_key(&w, "output_prefix");
		sage_json_string(&w, r->output_prefix);
		if (!r->duplicate)
		{
			sage_json_key(&w, "outputs");
			sage_json_int(&w, r->outputs);
		}
	}
	if (r->duplicate)
	{
		sage_json_key(&w, "duplicate");
		sage_json_bool(&w, true);
	}
	if (r->have_summary)
	{
		sage_json_key(&w, "counts");
		sage_json_begin_object(&w);
		sage_json_key(&w, "total_records");
		sage_json_uint(&w, r->summary.total_records);
		sage_json_key(&w, "errors");
		sage_json_uint(&w, r->summary.errors);
		sage_json_key(&w, "warnings");
		sage_json_uint(&w, r->summary.warnings);
		sage_json_key(&w, "rows_with_errors");
		sage_json_uint(&w, r->summary.rows_with_errors);
		sage_json_key(&w, "success_rate");
		sage_json_double(&w, r->summary.success_rate);
		sage_json_key(&w, "report_status");
		sage_json_string(&w, r->summary.status);
		sage_json_end_object(&w);
	}
	sage_json_end_object(&w);
	if (sage_json_finish(&w) != 0 || body.data == NULL)
		return NULL;

	memset(&out, 0, sizeof(out));
	out.arena = arena;
	out.err = err;
	sage_json_init(&w, sage_json_buffer_emit, &out, false, err);
	sage_json_begin_object(&w);
	sage_json_key(&w, "statusCode");
	sage_json_int(&w, r->status_code);
	sage_json_key(&w, "body");
	sage_json_string_len(&w, body.data, body.len);
	sage_json_end_object(&w);
	if (sage_json_finish(&w) != 0 || out.data == NULL)
		return NULL;
	*len = out.len;
	return out.data;
}

/*
 * Prints the invocation's metrics as one EMF line on stdout, under the
 * names the extension sends (src/pg/metrics.c) and its dimension Where =
 * lambda, plus FunctionName: CloudWatch keeps {Where, FunctionName} apart
 * from the extension's {Where}, so the dashboard shows the Lambda side
 * and PostgreSQL's side next to each other without adding them up.
 */
static void
boot_emf(SageArena *arena, const BootEnv *env, const BootResult *r,
		 int64_t duration_ms)
{
	SageMetricDimension dims[2] = {{"Where", "lambda"},
	{"FunctionName", env->function_name}};
	SageMetricDatum m[7];
	SageError	err;
	char	   *line;
	size_t		len;
	int			n = 0;

	memset(m, 0, sizeof(m));
	m[n].name = "Invocations";
	m[n].unit = "Count";
	m[n++].value = 1;
	m[n].name = "Succeeded";
	m[n].unit = "Count";
	m[n++].value = strcmp(r->status, "succeeded") == 0 ? 1 : 0;
	m[n].name = "Refused";
	m[n].unit = "Count";
	m[n++].value = r->status_code == 409 ? 1 : 0;
	m[n].name = "DurationMs";
	m[n].unit = "Milliseconds";
	m[n++].value = (double) duration_ms;
	if (r->have_summary)
	{
		m[n].name = "Records";
		m[n].unit = "Count";
		m[n++].value = (double) r->summary.total_records;
		m[n].name = "Errors";
		m[n].unit = "Count";
		m[n++].value = (double) r->summary.errors;
		m[n].name = "PeakMemory";
		m[n].unit = "Bytes";
		m[n++].value = (double) r->peak_memory;
	}
	sage_error_clear(&err);
	if (sage_emf_format(arena, BOOT_EMF_NAMESPACE, dims, 2, m, n,
						boot_now_ms(), &line, &len, &err) == 0)
		fwrite(line, 1, len, stdout);
	else
		fprintf(stderr, "sage-bootstrap: could not format metrics: %s\n",
				err.message);
	fflush(stdout);
}

/* Reads one S3 object: 0, 1 when missing (ferr says so), -1 on failure. */
static int
boot_fetch(SageS3Client *s3, SageArena *arena, const char *key,
		   const char *what, char **data, size_t *len, SageError *ferr,
		   SageError *err)
{
	int			rc = sage_s3_get(s3, key, 0, -1, arena, data, len, err);

	if (rc == 1)
	{
		sage_error_set(ferr, SAGE_ERR_INPUT, "%s \"%s\" does not exist in S3",
					   what, key);
		sage_error_hint(ferr, "Upload it before dispatching the execution.");
	}
	return rc;
}

/*
 * Copies the outputs to <prefix><id>/, the layout of SAGE's Lambda design,
 * once the status write has recorded this attempt as the one that
 * finished (ARCHITECTURE.md, fencing). The bytes are still in memory: one
 * PUT each, as local workers promote. The execution's rows name the
 * attempt's objects, which never change; a failed copy is only logged.
 */
static void
boot_promote(SageS3Client *s3, SageArena *arena, const BootEvent *ev, SageSink *sink)
{
	int			i;

	for (i = 0; i < sage_sink_memory_count(sink); i++)
	{
		const char *name;
		const void *data;
		size_t		len;
		char	   *key;
		SageError	err;

		if (!sage_sink_memory_file(sink, i, &name, &data, &len))
			break;
		sage_error_clear(&err);
		key = sage_printf(arena, "%s%s/%s", ev->prefix, ev->execution_id, name);
		if (key == NULL ||
			sage_s3_put(s3, key, data, len, false, boot_content_type(name), &err) < 0)
		{
			fprintf(stderr, "sage-bootstrap: could not promote output \"%s\" of execution %s attempt %" PRId64 ": %s\n",
					name, ev->execution_id, ev->attempt,
					key == NULL ? "out of memory" : err.message);
			return;
		}
	}
}

/*
 * Runs the attempt while holding the lock: inputs, processor, uploads and
 * the fenced final status with the lock's release. -1 with *err on an
 * infrastructure failure (the caller releases the lock).
 */
static int
boot_run_locked(BootEnv *env, SageArena *arena, const BootEvent *ev,
				SageS3Client *s3, const SageDynamoLock *lock, BootResult *r,
				SageError *err)
{
	SageInputFile inputs[BOOT_MAX_INPUTS];
	SageProcessOptions opts;
	SageOutcome outcome;
	SageSink	sink;
	SageError	ferr;
	SageDynamoAttr attrs[16];
	SageStatusOutput outputs[SAGE_STATUS_MAX_OUTPUTS];
	int			noutputs = 0;
	struct utsname uts;
	const char *memory;
	SageLockHolder holder;
	char	   *config = NULL;
	size_t		config_len = 0;
	bool		fetched = true;
	int			nattrs = 0;
	int			rc;
	int			i;

	sage_error_clear(&ferr);
	memset(inputs, 0, sizeof(inputs));
	if (ev->yaml_config != NULL)
	{
		config = (char *) ev->yaml_config;
		config_len = ev->yaml_len;
	}
	else
	{
		rc = boot_fetch(s3, arena, ev->config_key, "configuration", &config,
						&config_len, &ferr, err);
		if (rc < 0)
			return -1;
		fetched = rc == 0;
	}
	for (i = 0; fetched && i < ev->ninputs; i++)
	{
		char	   *data;
		size_t		len;

		rc = boot_fetch(s3, arena, ev->keys[i], "input file", &data, &len,
						&ferr, err);
		if (rc < 0)
			return -1;
		fetched = rc == 0;
		inputs[i].name = ev->names[i];
		inputs[i].data = data;
		inputs[i].len = len;
	}

	sage_sink_memory(arena, &sink);
	memset(&outcome, 0, sizeof(outcome));
	if (fetched)
	{
		memset(&opts, 0, sizeof(opts));
		opts.execution_id = ev->execution_id;
		opts.where = "lambda";
		opts.package = ev->package;
		opts.memory_limit = env->memory_limit;
		if (sage_process(config, config_len, inputs, ev->ninputs, &opts,
						 &sink, &outcome) != 0)
		{
			*err = outcome.error;
			return -1;
		}
		r->have_summary = true;
		r->summary = outcome.summary;
		r->peak_memory = outcome.peak_memory;
		if (!outcome.processed)
			ferr = outcome.error;
	}
	else
	{
		outcome.processed = false;
		if (boot_write_error_log(&sink, ev, &ferr, err) != 0)
			return -1;
	}

	r->output_prefix = sage_printf(arena, "%s%s/attempt-%" PRId64 "/",
								   ev->prefix, ev->execution_id, ev->attempt);
	if (r->output_prefix == NULL)
		return sage_error_memory(err, NULL);
	for (i = 0; i < sage_sink_memory_count(&sink); i++)
	{
		const char *name;
		const void *data;
		size_t		len;
		char	   *key;

		if (!sage_sink_memory_file(&sink, i, &name, &data, &len))
			break;
		if (noutputs == SAGE_STATUS_MAX_OUTPUTS)
			return sage_error_set(err, SAGE_ERR_INTERNAL,
								  "the processor wrote more than %d output files",
								  SAGE_STATUS_MAX_OUTPUTS);
		outputs[noutputs].name = name;
		outputs[noutputs++].size = len;
		key = sage_printf(arena, "%s%s", r->output_prefix, name);
		if (key == NULL)
			return sage_error_memory(err, NULL);
		if (sage_s3_put(s3, key, data, len, false, boot_content_type(name), err) < 0)
			return -1;
		r->outputs++;
	}

	r->status = outcome.processed ? "succeeded" : "failed";
	r->status_code = outcome.processed ? 200 : 500;
	if (!outcome.processed)
		r->error = boot_error_text(arena, &ferr);

	/* the counts, as the reconciler commits them */
	if (r->have_summary)
	{
		attrs[nattrs].name = "total_records";
		attrs[nattrs].type = 'N';
		attrs[nattrs++].value = sage_printf(arena, "%" PRIu64, r->summary.total_records);
		attrs[nattrs].name = "errors";
		attrs[nattrs].type = 'N';
		attrs[nattrs++].value = sage_printf(arena, "%" PRIu64, r->summary.errors);
		attrs[nattrs].name = "warnings";
		attrs[nattrs].type = 'N';
		attrs[nattrs++].value = sage_printf(arena, "%" PRIu64, r->summary.warnings);
		attrs[nattrs].name = "rows_with_errors";
		attrs[nattrs].type = 'N';
		attrs[nattrs++].value = sage_printf(arena, "%" PRIu64, r->summary.rows_with_errors);
		attrs[nattrs].name = "success_rate";
		attrs[nattrs].type = 'N';
		attrs[nattrs++].value = sage_printf(arena, "%.2f", r->summary.success_rate);
		attrs[nattrs].name = "report_status";
		attrs[nattrs].type = 'S';
		attrs[nattrs++].value = r->summary.status ? r->summary.status : "";
	}
	/*
	 * What sage.cost_daily prices: the duration so far (Lambda bills whole
	 * milliseconds, so at least 1), the function's memory and its
	 * architecture; Lambda's own billed duration is not visible inside.
	 */
	attrs[nattrs].name = "billed_ms";
	attrs[nattrs].type = 'N';
	attrs[nattrs++].value = sage_printf(arena, "%" PRId64,
										boot_now_ms() - r->started_ms + 1);
	memory = getenv("AWS_LAMBDA_FUNCTION_MEMORY_SIZE");
	if (memory != NULL && atol(memory) > 0)
	{
		attrs[nattrs].name = "memory_mb";
		attrs[nattrs].type = 'N';
		attrs[nattrs++].value = sage_printf(arena, "%ld", atol(memory));
	}
	if (uname(&uts) == 0 &&
		(strcmp(uts.machine, "aarch64") == 0 || strcmp(uts.machine, "x86_64") == 0))
	{
		/* Lambda's names for its two architectures */
		attrs[nattrs].name = "architecture";
		attrs[nattrs].type = 'S';
		attrs[nattrs++].value = strcmp(uts.machine, "aarch64") == 0 ? "arm64" : "x86_64";
	}
	attrs[nattrs].name = "output_prefix";
	attrs[nattrs].type = 'S';
	attrs[nattrs++].value = r->output_prefix;
	/* the names under it: the reconciler commits them without listing S3 */
	attrs[nattrs].name = "outputs";
	attrs[nattrs].type = 'S';
	attrs[nattrs++].value = sage_status_outputs_format(arena, outputs, noutputs, err);
	attrs[nattrs].name = "request_id";
	attrs[nattrs].type = 'S';
	attrs[nattrs++].value = lock->owner;
	if (r->error != NULL)
	{
		attrs[nattrs].name = "error";
		attrs[nattrs].type = 'S';
		attrs[nattrs++].value = r->error;
	}
	for (i = 0; i < nattrs; i++)
		if (attrs[i].value == NULL)
			return sage_error_memory(err, NULL);

	memset(&holder, 0, sizeof(holder));
	rc = sage_dynamodb_status_write(env->dynamo, lock, r->status, attrs, nattrs,
									true, true, arena, &holder, err);
	if (rc < 0)
		return -1;
	if (rc != SAGE_LOCK_OK)
	{
		/* fenced: this attempt's outputs stay under its prefix, uncommitted */
		r->status_code = 409;
		r->status = "refused";
		r->error = sage_dynamodb_lock_explain(arena, lock, (SageLockResult) rc,
											  &holder);
		return 0;
	}
	boot_promote(s3, arena, ev, &sink);
	return 0;
}

/*
 * One invocation: returns 0 with *r to answer, or -1 with *err for an
 * invocation error (bad event, infrastructure failure).
 */
static int
boot_handle(BootEnv *env, SageArena *arena, const SageInvocation *inv,
			BootEvent *ev, BootResult *r, SageError *err)
{
	SageS3Options s3opts;
	SageS3Client *s3;
	SageDynamoLock lock;
	SageLockHolder holder;
	SageDynamoStatus st;
	int64_t		now_ms = boot_now_ms();
	int			lease;
	int			rc;

	memset(r, 0, sizeof(*r));
	r->started_ms = now_ms;
	if (boot_parse_event(arena, inv->event, inv->event_len, ev, err) != 0)
		return -1;

	lock.table = ev->lock_table;
	lock.execution_id = ev->execution_id;
	/*
	 * A duplicate delivery carries the same request id: the process id
	 * makes two overlapping deliveries different owners, so only one holds
	 * the lock and writes the attempt's outputs and status.
	 */
	lock.owner = sage_printf(arena, "%s/%ld", inv->request_id, (long) getpid());
	if (lock.owner == NULL)
		return sage_error_memory(err, NULL);
	lock.attempt = ev->attempt;

	/* a late event of an attempt that a newer one finished is refused */
	memset(&st, 0, sizeof(st));
	if (sage_dynamodb_status_read(env->dynamo, ev->lock_table,
								  &ev->execution_id, 1, arena, &st, err) != 0)
		return -1;
	if (st.found && st.attempt > ev->attempt)
	{
		r->status_code = 409;
		r->status = "refused";
		r->error = sage_printf(arena,
							   "attempt %" PRId64 " of execution \"%s\" is stale: "
							   "attempt %" PRId64 " already finished with status \"%s\"",
							   ev->attempt, ev->execution_id, st.attempt,
							   st.status ? st.status : "");
		return 0;
	}
	if (st.found && st.attempt == ev->attempt)
	{
		int			i;

		/* duplicate delivery of a finished attempt: answer what it recorded */
		r->duplicate = true;
		r->status = st.status ? st.status : "";
		r->status_code = strcmp(r->status, "succeeded") == 0 ? 200 : 500;
		for (i = 0; i < st.nattrs; i++)
		{
			if (strcmp(st.attrs[i].name, "output_prefix") == 0)
				r->output_prefix = st.attrs[i].value;
			else if (strcmp(st.attrs[i].name, "error") == 0)
				r->error = st.attrs[i].value;
		}
		return 0;
	}

	lease = BOOT_LEASE_MARGIN;
	if (inv->deadline_ms > now_ms)
		lease += (int) ((inv->deadline_ms - now_ms + 999) / 1000);
	else
		lease += 900;			/* Lambda's longest timeout */
	memset(&holder, 0, sizeof(holder));
	rc = sage_dynamodb_lock_acquire(env->dynamo, &lock, now_ms / 1000, lease,
									BOOT_GC_AFTER, arena, &holder, err);
	if (rc < 0)
		return -1;
	if (rc != SAGE_LOCK_OK)
	{
		r->status_code = 409;
		r->status = "refused";
		r->error = sage_printf(arena, "Execution already in progress: %s",
							   sage_dynamodb_lock_explain(arena, &lock,
														  (SageLockResult) rc,
														  &holder));
		return 0;
	}

	memset(&s3opts, 0, sizeof(s3opts));
	s3opts.endpoint = env->s3_endpoint;
	s3opts.region = env->region;
	s3opts.bucket = ev->bucket;
	s3opts.path_style = env->s3_endpoint != NULL;
	s3opts.credentials = env->credentials;
	s3opts.http.ca_file = env->ca_file;
	s3 = sage_s3_client_new(&s3opts, err);
	if (s3 == NULL ||
		boot_run_locked(env, arena, ev, s3, &lock, r, err) != 0)
	{
		SageError	rerr;

		/* give the lock back so the next attempt need not wait the lease */
		sage_error_clear(&rerr);
		if (sage_dynamodb_lock_release(env->dynamo, &lock, arena, &holder, &rerr) < 0)
			fprintf(stderr, "sage-bootstrap: could not release lock: %s\n",
					rerr.message);
		sage_s3_client_free(s3);
		return -1;
	}
	sage_s3_client_free(s3);
	return 0;
}

/*
 * The CA bundle TLS verification uses. The bundled libcurl is Debian's,
 * which looks for Debian's bundle; Amazon Linux 2023 keeps its bundle
 * elsewhere, so without this every HTTPS request would fail verification
 * there. SAGE_CA_FILE overrides both.
 */
static const char *
boot_ca_file(void)
{
	static const char *const candidates[] = {
		"/etc/ssl/certs/ca-certificates.crt",	/* Debian, Ubuntu */
		"/etc/pki/tls/certs/ca-bundle.crt", /* Amazon Linux, RHEL */
		"/etc/ssl/cert.pem"
	};
	const char *s = getenv("SAGE_CA_FILE");
	size_t		i;

	if (s != NULL && s[0] != '\0')
		return s;
	for (i = 0; i < sizeof(candidates) / sizeof(candidates[0]); i++)
		if (access(candidates[i], R_OK) == 0)
			return candidates[i];
	return NULL;
}

/* Sets up the environment's clients; -1 with *err (an init error). */
static int
boot_init(BootEnv *env, SageError *err)
{
	SageCredentialOptions copts;
	SageDynamoOptions dopts;
	const char *s;

	env->region = getenv("AWS_REGION");
	if (env->region == NULL || env->region[0] == '\0')
		env->region = getenv("AWS_DEFAULT_REGION");
	if (env->region == NULL || env->region[0] == '\0')
		return sage_error_set(err, SAGE_ERR_ARGUMENT, "AWS_REGION is not set");
	s = getenv("SAGE_S3_ENDPOINT");
	env->s3_endpoint = s && s[0] ? s : NULL;
	s = getenv("AWS_LAMBDA_FUNCTION_NAME");
	env->function_name = s && s[0] ? s : "sage-bootstrap";
	/* three quarters of the function's memory for the processor's budget */
	s = getenv("AWS_LAMBDA_FUNCTION_MEMORY_SIZE");
	if (s != NULL && atol(s) > 0)
		env->memory_limit = (size_t) atol(s) * 1024 * 1024 / 4 * 3;

	env->ca_file = boot_ca_file();

	memset(&copts, 0, sizeof(copts));
	copts.source = SAGE_CRED_SOURCE_ENV;
	env->credentials = sage_aws_credentials_new(&copts, err);
	if (env->credentials == NULL)
		return -1;
	memset(&dopts, 0, sizeof(dopts));
	s = getenv("SAGE_DYNAMODB_ENDPOINT");
	dopts.endpoint = s && s[0] ? s : NULL;
	dopts.region = env->region;
	dopts.credentials = env->credentials;
	dopts.http.ca_file = env->ca_file;
	env->dynamo = sage_dynamodb_client_new(&dopts, err);
	return env->dynamo == NULL ? -1 : 0;
}

int
main(void)
{
	BootEnv		env;
	SageError	err;
	SageArena  *arena;

	memset(&env, 0, sizeof(env));
	sage_error_clear(&err);
	if (sage_runtime_open(&env.api, getenv("AWS_LAMBDA_RUNTIME_API"), &err) != 0)
	{
		fprintf(stderr, "sage-bootstrap: %s\n", err.message);
		return 1;
	}
	if (boot_init(&env, &err) != 0)
	{
		SageError	perr;

		fprintf(stderr, "sage-bootstrap: init failed: %s\n", err.message);
		arena = sage_arena_new(NULL);
		sage_error_clear(&perr);
		if (arena != NULL)
			sage_runtime_error(&env.api, arena, NULL, "Runtime.InitError",
							   err.message, &perr);
		sage_arena_free(arena);
		return 1;
	}

	for (;;)
	{
		SageInvocation inv;
		BootEvent	ev;
		BootResult	r;
		int64_t		start;
		char	   *json;
		size_t		len;

		arena = sage_arena_new(NULL);
		if (arena == NULL)
		{
			fprintf(stderr, "sage-bootstrap: out of memory\n");
			return 1;
		}
		sage_error_clear(&err);
		if (sage_runtime_next(&env.api, arena, &inv, &err) != 0)
		{
			/* the Runtime API is gone: the environment is shutting down */
			fprintf(stderr, "sage-bootstrap: %s\n", err.message);
			sage_arena_free(arena);
			break;
		}
		start = boot_now_ms();
		if (boot_handle(&env, arena, &inv, &ev, &r, &err) != 0)
		{
			SageError	perr;
			const char *msg = boot_error_text(arena, &err);

			fprintf(stderr, "sage-bootstrap: invocation %s failed: %s\n",
					inv.request_id, msg ? msg : err.message);
			sage_error_clear(&perr);
			if (sage_runtime_error(&env.api, arena, inv.request_id,
								   err.code == SAGE_ERR_ARGUMENT ||
								   err.code == SAGE_ERR_INPUT ?
								   "Sage.InvalidEvent" : "Sage.SystemError",
								   msg ? msg : err.message, &perr) != 0)
				fprintf(stderr, "sage-bootstrap: %s\n", perr.message);
			sage_arena_free(arena);
			continue;
		}
		/* metrics first: the environment may be frozen once answered */
		boot_emf(arena, &env, &r, boot_now_ms() - start);
		json = boot_response_json(arena, &ev, &r, &len, &err);
		if (json == NULL ||
			sage_runtime_respond(&env.api, arena, inv.request_id, json, len,
								 &err) != 0)
			fprintf(stderr, "sage-bootstrap: could not answer %s: %s\n",
					inv.request_id, err.message);
		sage_arena_free(arena);
	}
	sage_dynamodb_client_free(env.dynamo);
	sage_aws_credentials_free(env.credentials);
	sage_runtime_close(&env.api);
	return 0;
}
