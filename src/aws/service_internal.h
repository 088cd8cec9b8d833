/*-------------------------------------------------------------------------
 *
 * src/aws/service_internal.h
 *		What the DynamoDB, Lambda and CloudWatch clients share to reach
 *		their service: the region, the endpoint (an override, or the
 *		service's regional AWS endpoint) and a keep-alive HTTP client.
 *
 *-------------------------------------------------------------------------
 */
#ifndef SAGE_AWS_SERVICE_INTERNAL_H
#define SAGE_AWS_SERVICE_INTERNAL_H

#include "sage/aws.h"

/*
 * Fills *region, *endpoint ("https://<host_prefix>.<region>.amazonaws.com"
 * unless endpoint_override is given) and *http. On failure returns -1 with
 * *err set; whatever was filled is released by sage_aws_service_close.
 */
int			sage_aws_service_open(const char *host_prefix, const char *region,
								  const char *endpoint_override,
								  const SageHttpOptions *http_opts,
								  char **region_out, char **endpoint_out,
								  SageHttpClient **http_out, SageError *err);
/* Releases what sage_aws_service_open filled (NULLs are fine). */
void		sage_aws_service_close(char *region, char *endpoint, SageHttpClient *http);

#endif							/* SAGE_AWS_SERVICE_INTERNAL_H */
