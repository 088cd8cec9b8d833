/*-------------------------------------------------------------------------
 *
 * src/aws/cloudwatch.c
 *		CloudWatch PutMetricData (query protocol, batched) and the
 *		Embedded Metric Format line writer.
 *
 * PutMetricData is a form-encoded POST ("Action=PutMetricData&Version=
 * 2010-08-01&Namespace=...&MetricData.member.1.MetricName=...") signed
 * for service "monitoring"; errors come back as XML (<Code>, <Message>).
 * Datums are packed into requests up to the count and size limits, each
 * datum's form text built once and appended to the request being filled.
 *
 * EMF lines are JSON built with the streaming writer of src/core, so
 * every name and value is escaped; CloudWatch Logs extracts the metrics
 * from the "_aws" directive.
 *
 *-------------------------------------------------------------------------
 */
#include "sage/cloudwatch.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "sage/sigv4.h"
#include "json_reader.h"
#include "service_internal.h"
#include "../core/json_internal.h"

#define CW_MAX_NAME 255			/* namespace, metric and dimension names */
#define CW_MAX_DIM_VALUE 1024	/* dimension values */
#define CW_MIN_ABS 8.515920e-109	/* smallest non-zero magnitude stored */
#define CW_MAX_ABS 1.174271e+108	/* largest magnitude stored */

struct SageCloudWatchClient
{
	SageHttpClient *http;		/* transport, connections kept open */
	SageCredentialProvider *credentials;	/* not owned */
	char	   *endpoint;		/* scheme://host[:port] */
	char	   *region;			/* signing region */
	int			max_datums;		/* per request */
	size_t		max_bytes;		/* per request body */
};

/* The units CloudWatch accepts. */
static const char *const cw_units[] = {
	"Seconds", "Microseconds", "Milliseconds", "Bytes", "Kilobytes",
	"Megabytes", "Gigabytes", "Terabytes", "Bits", "Kilobits", "Megabits",
	"Gigabits", "Terabits", "Percent", "Count", "Bytes/Second",
	"Kilobytes/Second", "Megabytes/Second", "Gigabytes/Second",
	"Terabytes/Second", "Bits/Second", "Kilobits/Second", "Megabits/Second",
	"Gigabits/Second", "Terabits/Second", "Count/Second", "None"
};

SageCloudWatchClient *
sage_cloudwatch_client_new(const SageCloudWatchOptions *opts, SageError *err)
{
	SageCloudWatchClient *c;

	if (opts->region == NULL || opts->region[0] == '\0' ||
		opts->credentials == NULL || strpbrk(opts->region, "/?#% ") != NULL)
	{
		sage_error_set(err, SAGE_ERR_ARGUMENT,
					   "CloudWatch client needs a valid region and credentials");
		return NULL;
	}
	c = calloc(1, sizeof(SageCloudWatchClient));
	if (c == NULL)
	{
		sage_error_memory(err, NULL);
		return NULL;
	}
	c->credentials = opts->credentials;
	c->max_datums = opts->max_per_request > 0 &&
		opts->max_per_request < SAGE_CLOUDWATCH_MAX_DATUMS ?
		opts->max_per_request : SAGE_CLOUDWATCH_MAX_DATUMS;
	c->max_bytes = opts->max_request_bytes > 0 &&
		opts->max_request_bytes < SAGE_CLOUDWATCH_MAX_BYTES ?
		opts->max_request_bytes : SAGE_CLOUDWATCH_MAX_BYTES;
	if (sage_aws_service_open("monitoring", opts->region, opts->endpoint, &opts->http,
							  &c->region, &c->endpoint, &c->http, err) != 0)
	{
		sage_cloudwatch_client_free(c);
		return NULL;
	}
	return c;
}

void
sage_cloudwatch_client_free(SageCloudWatchClient *c)
{
	if (c == NULL)
		return;
	sage_aws_service_close(c->region, c->endpoint, c->http);
	free(c);
}

/* ----------------------------------------------------------- validation */

/* Is s valid UTF-8 of 1..max bytes? */
static bool
cw_text_ok(const char *s, size_t max)
{
	size_t		len;
	size_t		i = 0;

	if (s == NULL || (len = strlen(s)) == 0 || len > max)
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

/* Checks a namespace: 1..255 bytes, not AWS's own "AWS/" ones. */
static int
cw_check_namespace(const char *ns, SageError *err)
{
	if (!cw_text_ok(ns, CW_MAX_NAME) || strncmp(ns, "AWS/", 4) == 0)
	{
		sage_error_set(err, SAGE_ERR_ARGUMENT, "invalid CloudWatch namespace \"%s\"",
					   ns != NULL ? ns : "");
		sage_error_detail(err, "A namespace has 1 to %d bytes of UTF-8 and does not start with \"AWS/\".",
						  CW_MAX_NAME);
		return -1;
	}
	return 0;
}

/* Checks dimensions: count, names and values. */
static int
cw_check_dims(const char *metric, const SageMetricDimension *dims, int ndims,
			  SageError *err)
{
	int			i;
	int			j;

	if (ndims < 0 || ndims > SAGE_CLOUDWATCH_MAX_DIMS || (ndims > 0 && dims == NULL))
		return sage_error_set(err, SAGE_ERR_ARGUMENT,
							  "metric \"%s\" has %d dimensions, more than the %d CloudWatch allows",
							  metric, ndims, SAGE_CLOUDWATCH_MAX_DIMS);
	for (i = 0; i < ndims; i++)
	{
		if (!cw_text_ok(dims[i].name, CW_MAX_NAME) ||
			!cw_text_ok(dims[i].value, CW_MAX_DIM_VALUE))
			return sage_error_set(err, SAGE_ERR_ARGUMENT,
								  "invalid dimension %d of metric \"%s\"", i + 1, metric);
		for (j = 0; j < i; j++)
			if (strcmp(dims[i].name, dims[j].name) == 0)
				return sage_error_set(err, SAGE_ERR_ARGUMENT,
									  "metric \"%s\" repeats dimension \"%s\"",
									  metric, dims[i].name);
	}
	return 0;
}

/* Checks one datum. */
static int
cw_check_datum(const SageMetricDatum *d, bool with_dims, SageError *err)
{
	double		a = fabs(d->value);
	size_t		i;
	bool		unit_ok = d->unit == NULL;

	if (!cw_text_ok(d->name, CW_MAX_NAME))
		return sage_error_set(err, SAGE_ERR_ARGUMENT,
							  "invalid CloudWatch metric name \"%s\"",
							  d->name != NULL ? d->name : "");
	if (!isfinite(d->value) || (a != 0 && (a < CW_MIN_ABS || a > CW_MAX_ABS)))
	{
		sage_error_set(err, SAGE_ERR_ARGUMENT,
					   "value of metric \"%s\" cannot be stored by CloudWatch", d->name);
		sage_error_detail(err, "CloudWatch stores 0 and finite magnitudes from %g to %g.",
						  CW_MIN_ABS, CW_MAX_ABS);
		return -1;
	}
	for (i = 0; !unit_ok && i < sizeof(cw_units) / sizeof(cw_units[0]); i++)
		unit_ok = strcmp(d->unit, cw_units[i]) == 0;
	if (!unit_ok)
		return sage_error_set(err, SAGE_ERR_ARGUMENT,
							  "invalid CloudWatch unit \"%s\" of metric \"%s\"",
							  d->unit, d->name);
	if (d->storage_resolution != 0 && d->storage_resolution != 1 &&
		d->storage_resolution != 60)
		return sage_error_set(err, SAGE_ERR_ARGUMENT,
							  "invalid storage resolution %d of metric \"%s\"",
							  d->storage_resolution, d->name);
	if (d->timestamp_ms < 0)
		return sage_error_set(err, SAGE_ERR_ARGUMENT,
							  "invalid timestamp of metric \"%s\"", d->name);
	if (!with_dims && d->ndims != 0)
		return sage_error_set(err, SAGE_ERR_ARGUMENT,
							  "metric \"%s\" has its own dimensions in an EMF line",
							  d->name);
	return with_dims ? cw_check_dims(d->name, d->dims, d->ndims, err) : 0;
}

/* --------------------------------------------------------- PutMetricData */

/* Form-encodes s (every byte but A-Z a-z 0-9 - . _ ~ as %XX). */
static const char *
cw_enc(SageArena *arena, const char *s)
{
	return sage_sigv4_uri_encode(arena, s, strlen(s), false);
}

/* ISO 8601 UTC with milliseconds of epoch milliseconds. */
static void
cw_timestamp(int64_t ms, char *buf, size_t size)
{
	time_t		t = (time_t) (ms / 1000);
	struct tm	tm;
	char		base[32];

	if (gmtime_r(&t, &tm) == NULL)
		memset(&tm, 0, sizeof(tm));
	strftime(base, sizeof(base), "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(buf, size, "%s.%03dZ", base, (int) (ms % 1000));
}

/*
 * cw_datum_form
 *		The form text of datum d as member k ("&MetricData.member.k...."),
 *		in arena; NULL when out of memory.
 */
static char *
cw_datum_form(SageArena *arena, const SageMetricDatum *d, int k)
{
	char		num[48];
	char		ts[48];
	char	   *s;
	const char *name = cw_enc(arena, d->name);
	int			i;

	if (name == NULL)
		return NULL;
	sage_json_format_double(d->value, num);
	s = sage_printf(arena, "&MetricData.member.%d.MetricName=%s&MetricData.member.%d.Value=%s",
					k, name, k, num);
	if (s != NULL && d->unit != NULL)
		s = sage_printf(arena, "%s&MetricData.member.%d.Unit=%s", s, k,
						cw_enc(arena, d->unit));
	if (s != NULL && d->timestamp_ms > 0)
	{
		cw_timestamp(d->timestamp_ms, ts, sizeof(ts));
		s = sage_printf(arena, "%s&MetricData.member.%d.Timestamp=%s", s, k,
						cw_enc(arena, ts));
	}
	if (s != NULL && d->storage_resolution != 0)
		s = sage_printf(arena, "%s&MetricData.member.%d.StorageResolution=%d", s, k,
						d->storage_resolution);
	for (i = 0; s != NULL && i < d->ndims; i++)
	{
		const char *dn = cw_enc(arena, d->dims[i].name);
		const char *dv = cw_enc(arena, d->dims[i].value);

		if (dn == NULL || dv == NULL)
			return NULL;
		s = sage_printf(arena,
						"%s&MetricData.member.%d.Dimensions.member.%d.Name=%s"
						"&MetricData.member.%d.Dimensions.member.%d.Value=%s",
						s, k, i + 1, dn, k, i + 1, dv);
	}
	return s;
}

/* Sends one request body; -1 with *err naming how far the batch got. */
static int
cw_send(SageCloudWatchClient *c, SageArena *arena, const char *body, size_t len,
		int first, int count, SageError *err)
{
	SageAwsCredentials creds;
	SageHttpRequest req = {0};
	SageHttpResponse resp;
	SageHttpHeader header;
	const char *code;
	const char *msg;

	if (sage_aws_credentials_get(c->credentials, arena, time(NULL), &creds, err) < 0)
		return -1;
	header.name = "Content-Type";
	header.value = "application/x-www-form-urlencoded; charset=utf-8";
	req.method = "POST";
	req.endpoint = c->endpoint;
	req.path = "/";
	req.headers = &header;
	req.nheaders = 1;
	req.body = body;
	req.body_len = len;
	req.credentials = &creds;
	req.region = c->region;
	req.service = "monitoring";
	req.what = "CloudWatch PutMetricData";
	if (sage_http_request(c->http, &req, arena, &resp, err) < 0)
	{
		sage_error_detail_append(err, "Datums %d to %d were not sent; %d before them were.",
								 first + 1, first + count, first);
		return -1;
	}
	if (resp.status == 200)
		return 0;
	code = sage_aws_error_code(arena, resp.body, resp.body_len);
	msg = sage_aws_error_message(arena, resp.body, resp.body_len);
	sage_error_set(err, SAGE_AWS_ERR_SERVICE, "CloudWatch PutMetricData failed: %s",
				   code != NULL ? code : "HTTP error");
	sage_error_detail(err, "CloudWatch answered HTTP %ld%s%s after %d attempt%s. Datums %d to %d were not stored; %d before them were.",
					  resp.status, msg != NULL ? ": " : "", msg != NULL ? msg : "",
					  resp.attempts, resp.attempts == 1 ? "" : "s",
					  first + 1, first + count, first);
	return -1;
}

int
sage_cloudwatch_put_metrics(SageCloudWatchClient *c, const char *namespace_,
							const SageMetricDatum *datums, int n,
							int *requests, SageError *err)
{
	SageArena  *arena;
	char	   *head;
	char	   *body = NULL;
	size_t		len = 0;
	size_t		cap = 0;
	int			first = 0;
	int			count = 0;
	int			i;
	int			rc = 0;

	if (requests != NULL)
		*requests = 0;
	if (cw_check_namespace(namespace_, err) < 0)
		return -1;
	if (n < 0 || (n > 0 && datums == NULL))
		return sage_error_set(err, SAGE_ERR_ARGUMENT, "invalid CloudWatch datum list");
	for (i = 0; i < n; i++)
		if (cw_check_datum(&datums[i], true, err) < 0)
			return -1;
	if (n == 0)
		return 0;
	arena = sage_arena_new(NULL);
	if (arena == NULL)
		return sage_error_memory(err, NULL);
	head = sage_printf(arena, "Action=PutMetricData&Version=2010-08-01&Namespace=%s",
					   cw_enc(arena, namespace_));
	for (i = 0; head != NULL && i <= n; i++)
	{
		char	   *part = NULL;
		size_t		plen = 0;

		if (i < n)
		{
			part = cw_datum_form(arena, &datums[i], count + 1);
			if (part == NULL)
				break;
			plen = strlen(part);
			if (strlen(head) + plen > c->max_bytes)
			{
				rc = sage_error_set(err, SAGE_ERR_LIMIT,
									"metric \"%s\" alone exceeds the PutMetricData size limit of %zu bytes",
									datums[i].name, c->max_bytes);
				goto done;
			}
		}
		/* flush when done, or when this datum does not fit */
		if (count > 0 && (i == n || count == c->max_datums || len + plen > c->max_bytes))
		{
			if (cw_send(c, arena, body, len, first, count, err) < 0)
			{
				rc = -1;
				goto done;
			}
			if (requests != NULL)
				(*requests)++;
			first += count;
			count = 0;
			len = 0;
			if (i < n)
			{
				/* renumber this datum as the first of the next request */
				part = cw_datum_form(arena, &datums[i], 1);
				if (part == NULL)
					break;
				plen = strlen(part);
			}
		}
		if (i == n)
			break;
		if (count == 0)
		{
			size_t		hlen = strlen(head);

			if (cap < c->max_bytes + 1)
			{
				cap = c->max_bytes + 1;
				body = sage_alloc(arena, cap);
				if (body == NULL)
					break;
			}
			memcpy(body, head, hlen);
			len = hlen;
		}
		memcpy(body + len, part, plen);
		len += plen;
		body[len] = '\0';
		count++;
	}
	if (i <= n && !(i == n && count == 0))
		rc = sage_error_memory(err, NULL);
done:
	sage_arena_free(arena);
	return rc;
}

/* --------------------------------------------------------------- EMF */

int
sage_emf_format(SageArena *arena, const char *namespace_,
				const SageMetricDimension *dims, int ndims,
				const SageMetricDatum *metrics, int n, int64_t timestamp_ms,
				char **line, size_t *len, SageError *err)
{
	SageJsonBuffer buf;
	SageJsonWriter w;
	int			i;
	int			j;

	*line = NULL;
	*len = 0;
	if (cw_check_namespace(namespace_, err) < 0 ||
		cw_check_dims("(EMF line)", dims, ndims, err) < 0)
		return -1;
	if (n < 1 || n > SAGE_EMF_MAX_METRICS || metrics == NULL || timestamp_ms < 0)
		return sage_error_set(err, SAGE_ERR_ARGUMENT,
							  "an EMF line has 1 to %d metrics, not %d",
							  SAGE_EMF_MAX_METRICS, n);
	for (i = 0; i < n; i++)
	{
		if (cw_check_datum(&metrics[i], false, err) < 0)
			return -1;
		/* metrics and dimensions share the line's top-level members */
		if (strcmp(metrics[i].name, "_aws") == 0)
			return sage_error_set(err, SAGE_ERR_ARGUMENT,
								  "metric name \"_aws\" is reserved by EMF");
		for (j = 0; j < i; j++)
			if (strcmp(metrics[i].name, metrics[j].name) == 0)
				return sage_error_set(err, SAGE_ERR_ARGUMENT,
									  "EMF line repeats metric \"%s\"", metrics[i].name);
		for (j = 0; j < ndims; j++)
			if (strcmp(metrics[i].name, dims[j].name) == 0)
				return sage_error_set(err, SAGE_ERR_ARGUMENT,
									  "EMF metric \"%s\" has the name of a dimension",
									  metrics[i].name);
	}
	for (j = 0; j < ndims; j++)
		if (strcmp(dims[j].name, "_aws") == 0)
			return sage_error_set(err, SAGE_ERR_ARGUMENT,
								  "dimension name \"_aws\" is reserved by EMF");
	memset(&buf, 0, sizeof(buf));
	buf.arena = arena;
	buf.err = err;
	sage_json_init(&w, sage_json_buffer_emit, &buf, false, err);
	sage_json_begin_object(&w);
	sage_json_key(&w, "_aws");
	sage_json_begin_object(&w);
	sage_json_key(&w, "Timestamp");
	sage_json_int(&w, timestamp_ms);
	sage_json_key(&w, "CloudWatchMetrics");
	sage_json_begin_array(&w);
	sage_json_begin_object(&w);
	sage_json_key(&w, "Namespace");
	sage_json_string(&w, namespace_);
	sage_json_key(&w, "Dimensions");
	sage_json_begin_array(&w);
	sage_json_begin_array(&w);
	for (j = 0; j < ndims; j++)
		sage_json_string(&w, dims[j].name);
	sage_json_end_array(&w);
	sage_json_end_array(&w);
	sage_json_key(&w, "Metrics");
	sage_json_begin_array(&w);
	for (i = 0; i < n; i++)
	{
		sage_json_begin_object(&w);
		sage_json_key(&w, "Name");
		sage_json_string(&w, metrics[i].name);
		sage_json_key(&w, "Unit");
		sage_json_string(&w, metrics[i].unit != NULL ? metrics[i].unit : "None");
		if (metrics[i].storage_resolution == 1)
		{
			sage_json_key(&w, "StorageResolution");
			sage_json_int(&w, 1);
		}
		sage_json_end_object(&w);
	}
	sage_json_end_array(&w);
	sage_json_end_object(&w);
	sage_json_end_array(&w);
	sage_json_end_object(&w);
	for (j = 0; j < ndims; j++)
	{
		sage_json_key(&w, dims[j].name);
		sage_json_string(&w, dims[j].value);
	}
	for (i = 0; i < n; i++)
	{
		sage_json_key(&w, metrics[i].name);
		sage_json_double(&w, metrics[i].value);
	}
	sage_json_end_object(&w);
	if (sage_json_finish(&w) < 0 || w.failed || buf.data == NULL ||
		sage_json_buffer_emit(&buf, "\n", 1) < 0)
	{
		if (err->code == SAGE_OK)
			sage_error_set(err, SAGE_ERR_INTERNAL, "could not build EMF line");
		return -1;
	}
	*line = buf.data;
	*len = buf.len;
	return 0;
}
