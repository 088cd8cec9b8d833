/*-------------------------------------------------------------------------
 *
 * src/pg/aws_config.h
 *		The extension's AWS clients, built from the sage.* GUCs and cached
 *		per process: the credentials provider and the S3, DynamoDB, Lambda
 *		and CloudWatch clients, with PostgreSQL's interrupts and latch
 *		behind their HTTP callbacks.
 *
 * A client is built on first use and kept until a GUC it depends on
 * changes (a SIGHUP reload, or SET by a superuser session); the next use
 * then builds a new one. Every getter raises an ERROR (SQLSTATE from
 * error.c) when the client cannot be built, so callers never see NULL;
 * messages never contain secrets.
 *
 * The HTTP callbacks never throw (src/aws must not be longjmp'd through):
 * cancel reports a pending die or cancel, sleep waits on the latch
 * (wait.c) and keeps a latch set for the caller's own loop.
 *
 *-------------------------------------------------------------------------
 */
#ifndef SAGE_AWS_CONFIG_H
#define SAGE_AWS_CONFIG_H

#include "postgres.h"

#include "sage/aws.h"
#include "sage/cloudwatch.h"
#include "sage/common.h"
#include "sage/dynamodb.h"
#include "sage/lambda.h"

/* True when sage.lambda_function is set (Lambda is configured). */
bool		sage_pg_aws_configured(void);

/* The region in use: sage.aws_region, AWS_REGION, AWS_DEFAULT_REGION or us-east-1. */
const char *sage_pg_aws_region(void);

/*
 * Transport options with the extension's callbacks (cancel on pending
 * die/cancel, latch-aware sleep) and the defaults of src/aws.
 */
void		sage_pg_aws_http_options(SageHttpOptions *opts);

/* The cached credentials provider (explicit GUC keys, else AUTO). */
SageCredentialProvider *sage_pg_aws_credentials(void);

/* Cached clients. S3 needs sage.s3_bucket (ERROR 55000 when empty). */
SageS3Client *sage_pg_s3_client(void);
SageDynamoClient *sage_pg_dynamodb_client(void);
SageLambdaClient *sage_pg_lambda_client(void);
SageCloudWatchClient *sage_pg_cloudwatch_client(void);

/* Frees every cached client (the next getter builds them again). */
void		sage_pg_aws_reset(void);

/*
 * An arena of src/aws freed when cxt is reset or deleted, so an ERROR
 * between its creation and its use leaks nothing.
 */
SageArena  *sage_pg_arena(MemoryContext cxt);

/*
 * Raises err (from an AWS call) at elevel, with the SQLSTATE of error.c
 * and "what" (e.g. "could not upload input \"a.csv\" to S3") as context
 * before the AWS layer's own message.
 */
void		sage_pg_aws_report(int elevel, const SageError *err, const char *what);

/*
 * The AWS layer's SIGHUP hook: callers that reload the configuration
 * (ProcessConfigFile) need not call anything; getters notice changes.
 * Exposed for tests and for processes that want to drop connections.
 */
bool		sage_pg_aws_settings_changed(void);

#endif							/* SAGE_AWS_CONFIG_H */
