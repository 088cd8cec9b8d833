/*-------------------------------------------------------------------------
 *
 * src/aws/service.c
 *		Region, endpoint and HTTP client of a service client: one place for
 *		what DynamoDB, Lambda and CloudWatch each need at creation.
 *
 *-------------------------------------------------------------------------
 */
#include "service_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int
sage_aws_service_open(const char *host_prefix, const char *region,
					  const char *endpoint_override,
					  const SageHttpOptions *http_opts,
					  char **region_out, char **endpoint_out,
					  SageHttpClient **http_out, SageError *err)
{
	*region_out = strdup(region);
	*endpoint_out = malloc(strlen(region) + strlen(host_prefix) + 64 +
						   (endpoint_override != NULL ? strlen(endpoint_override) : 0));
	if (*region_out == NULL || *endpoint_out == NULL)
		return sage_error_memory(err, NULL);
	if (endpoint_override != NULL)
		strcpy(*endpoint_out, endpoint_override);
	else
		sprintf(*endpoint_out, "https://%s.%s.amazonaws.com", host_prefix, region);
	*http_out = sage_http_client_new(http_opts, err);
	return *http_out != NULL ? 0 : -1;
}

void
sage_aws_service_close(char *region, char *endpoint, SageHttpClient *http)
{
	sage_http_client_free(http);
	free(endpoint);
	free(region);
}
