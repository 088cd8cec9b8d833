/*-------------------------------------------------------------------------
 *
 * src/include/sage/cloudwatch.h
 *		CloudWatch metrics: PutMetricData (query protocol, batched) and
 *		the Embedded Metric Format line writer for Lambda's stdout.
 *
 * Both check what CloudWatch would refuse before anything is sent or
 * printed: names and dimension counts, units, and values CloudWatch
 * cannot store (NaN, infinities, magnitudes outside its range).
 *
 *-------------------------------------------------------------------------
 */
#ifndef SAGE_CLOUDWATCH_H
#define SAGE_CLOUDWATCH_H

#include <stdint.h>

#include "sage/aws.h"
#include "sage/common.h"

/* ---------------------------------------------------------------- types */

/* A dimension of a metric. */
typedef struct SageMetricDimension
{
	const char *name;			/* 1..255 bytes */
	const char *value;			/* 1..1024 bytes */
} SageMetricDimension;

/* One metric value. */
typedef struct SageMetricDatum
{
	const char *name;			/* metric name, 1..255 bytes */
	const char *unit;			/* a CloudWatch unit ("Count"...), NULL = None */
	double		value;			/* 0 or 8.515920e-109 <= |v| <= 1.174271e+108 */
	int64_t		timestamp_ms;	/* epoch milliseconds; 0 = when received */
	const SageMetricDimension *dims;	/* PutMetricData only; EMF uses
										 * the line's dimensions */
	int			ndims;			/* at most 30 */
	int			storage_resolution; /* 1 = high resolution; 0 or 60 standard */
} SageMetricDatum;

/* Options of a CloudWatch client; zeros give the defaults. */
typedef struct SageCloudWatchOptions
{
	const char *endpoint;		/* NULL = https://monitoring.<region>.amazonaws.com */
	const char *region;			/* signing region, required */
	SageCredentialProvider *credentials;	/* required; not owned */
	int			max_per_request;	/* datums per PutMetricData; 0 = 1000 */
	size_t		max_request_bytes;	/* body per request; 0 = 1 MB */
	SageHttpOptions http;		/* transport options */
} SageCloudWatchOptions;

/* Opaque client. */
typedef struct SageCloudWatchClient SageCloudWatchClient;

/* ------------------------------------------------------------ constants */

#define SAGE_CLOUDWATCH_MAX_DATUMS 1000 /* per PutMetricData request */
#define SAGE_CLOUDWATCH_MAX_BYTES (1024 * 1024) /* per request body */
#define SAGE_CLOUDWATCH_MAX_DIMS 30 /* per metric */
#define SAGE_EMF_MAX_METRICS 100	/* per EMF directive */

/* -------------------------------------------------------- constructors */

SageCloudWatchClient *sage_cloudwatch_client_new(const SageCloudWatchOptions *opts,
												 SageError *err);
void		sage_cloudwatch_client_free(SageCloudWatchClient *client);

/* ------------------------------------------------------------ functions */

/*
 * Sends n datums under namespace in as few PutMetricData requests as the
 * limits allow. Everything is validated first, so an invalid datum sends
 * nothing. *requests (may be NULL) counts the requests made. 0, or -1
 * with *err (a failed request stops the batch: the detail says how many
 * datums were sent before it).
 */
int			sage_cloudwatch_put_metrics(SageCloudWatchClient *client,
										const char *namespace_,
										const SageMetricDatum *datums, int n,
										int *requests, SageError *err);

/*
 * One Embedded Metric Format line (JSON + "\n") for Lambda's stdout: the
 * metrics with their values, under namespace, with the dimensions as one
 * dimension set. timestamp_ms is the epoch time in milliseconds. The line
 * goes to *line (*len bytes, NUL-terminated) in arena.
 */
int			sage_emf_format(SageArena *arena, const char *namespace_,
							const SageMetricDimension *dims, int ndims,
							const SageMetricDatum *metrics, int n,
							int64_t timestamp_ms, char **line, size_t *len,
							SageError *err);

#endif							/* SAGE_CLOUDWATCH_H */
