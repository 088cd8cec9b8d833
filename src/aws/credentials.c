/*-------------------------------------------------------------------------
 *
 * src/aws/credentials.c
 *		Where AWS credentials come from: keys given explicitly (sage's
 *		superuser-only GUCs), the environment (AWS_ACCESS_KEY_ID... as set
 *		for Lambda functions), the ECS container endpoint, or the EC2
 *		instance metadata service (IMDSv2), refreshed before they expire.
 *
 * A provider keeps its current credentials in malloc'ed memory it wipes
 * when they are replaced or freed; sage_aws_credentials_get() hands out
 * copies in the caller's arena, so a refresh never pulls strings from
 * under a request being signed. Temporary credentials are refreshed
 * refresh_margin seconds before they expire; when the refresh fails while
 * the current ones are still valid, those are used and the next call
 * tries again, so a metadata hiccup does not fail requests.
 *
 * No message ever contains a secret or a token: errors name the source
 * and the field instead.
 *
 *-------------------------------------------------------------------------
 */
#include "sage/aws.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define CRED_ECS_HOST "http://169.254.170.2"
#define CRED_IMDS_DEFAULT "http://169.254.169.254"
#define CRED_IMDS_TOKEN_TTL "21600"

struct SageCredentialProvider
{
	SageCredentialSource source;	/* as configured */
	SageCredentialSource active;	/* where the current keys came from, or
									 * the source being tried */
	bool		have;			/* current keys are set */
	char	   *access_key_id;	/* current keys (malloc'ed, wiped) */
	char	   *secret_access_key;
	char	   *session_token;	/* NULL for long-term keys */
	time_t		expiration;		/* 0 = never */
	char	   *explicit_id;	/* SAGE_CRED_SOURCE_EXPLICIT keys */
	char	   *explicit_secret;
	char	   *explicit_token;
	char	   *imds_endpoint;	/* scheme://host[:port] */
	char	   *ecs_url;		/* full URL, or NULL when not in ECS */
	char	   *ecs_auth;		/* AWS_CONTAINER_AUTHORIZATION_TOKEN */
	int			refresh_margin; /* seconds */
	long		timeout_ms;		/* per metadata request */
	SageHttpClient *http;		/* for ECS and IMDS, created on first use */
};

/* malloc'ed copy of s (NULL stays NULL); *failed is set on allocation failure. */
static char *
cred_strdup(const char *s, bool *failed)
{
	char	   *p;

	if (s == NULL)
		return NULL;
	p = strdup(s);
	if (p == NULL)
		*failed = true;
	return p;
}

/* Wipes and frees a string that may hold a secret. */
static void
cred_free_secret(char *s)
{
	if (s != NULL)
	{
		sage_crypto_cleanse(s, strlen(s));
		free(s);
	}
}

/* Drops the current keys. */
static void
cred_clear(SageCredentialProvider *p)
{
	cred_free_secret(p->access_key_id);
	cred_free_secret(p->secret_access_key);
	cred_free_secret(p->session_token);
	p->access_key_id = p->secret_access_key = p->session_token = NULL;
	p->have = false;
	p->expiration = 0;
}

/*
 * cred_set
 *		Replaces the current keys. An empty token means none.
 */
static int
cred_set(SageCredentialProvider *p, SageCredentialSource source,
		 const char *id, const char *secret, const char *token,
		 time_t expiration, SageError *err)
{
	bool		failed = false;
	char	   *nid = cred_strdup(id, &failed);
	char	   *nsecret = cred_strdup(secret, &failed);
	char	   *ntoken = cred_strdup(token != NULL && token[0] != '\0' ? token : NULL,
									 &failed);

	if (failed)
	{
		cred_free_secret(nid);
		cred_free_secret(nsecret);
		cred_free_secret(ntoken);
		return sage_error_memory(err, NULL);
	}
	cred_clear(p);
	p->access_key_id = nid;
	p->secret_access_key = nsecret;
	p->session_token = ntoken;
	p->expiration = expiration;
	p->active = source;
	p->have = true;
	return 0;
}

SageCredentialProvider *
sage_aws_credentials_new(const SageCredentialOptions *opts, SageError *err)
{
	SageCredentialProvider *p;
	bool		failed = false;
	const char *rel = getenv("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI");
	const char *full = getenv("AWS_CONTAINER_CREDENTIALS_FULL_URI");

	if (opts->source > SAGE_CRED_SOURCE_AUTO)
	{
		sage_error_set(err, SAGE_ERR_ARGUMENT, "invalid AWS credential source %d",
					   (int) opts->source);
		return NULL;
	}
	if (opts->source == SAGE_CRED_SOURCE_EXPLICIT &&
		(opts->access_key_id == NULL || opts->access_key_id[0] == '\0' ||
		 opts->secret_access_key == NULL || opts->secret_access_key[0] == '\0'))
	{
		sage_error_set(err, SAGE_ERR_ARGUMENT,
					   "explicit AWS credentials need an access key id and a secret access key");
		return NULL;
	}
	p = calloc(1, sizeof(SageCredentialProvider));
	if (p == NULL)
	{
		sage_error_memory(err, NULL);
		return NULL;
	}
	p->source = opts->source;
	p->active = opts->source;
	p->refresh_margin = opts->refresh_margin > 0 ? opts->refresh_margin : 300;
	p->timeout_ms = opts->timeout_ms > 0 ? opts->timeout_ms : 1000;
	p->explicit_id = cred_strdup(opts->access_key_id, &failed);
	p->explicit_secret = cred_strdup(opts->secret_access_key, &failed);
	p->explicit_token = cred_strdup(opts->session_token, &failed);
	p->imds_endpoint = cred_strdup(opts->imds_endpoint != NULL ?
								   opts->imds_endpoint : CRED_IMDS_DEFAULT, &failed);
	if (opts->ecs_url != NULL)
		p->ecs_url = cred_strdup(opts->ecs_url, &failed);
	else if (rel != NULL && rel[0] != '\0')
	{
		p->ecs_url = malloc(strlen(CRED_ECS_HOST) + strlen(rel) + 1);
		if (p->ecs_url == NULL)
			failed = true;
		else
			sprintf(p->ecs_url, "%s%s", CRED_ECS_HOST, rel);
	}
	else if (full != NULL && full[0] != '\0')
		p->ecs_url = cred_strdup(full, &failed);
	p->ecs_auth = cred_strdup(getenv("AWS_CONTAINER_AUTHORIZATION_TOKEN"), &failed);
	if (failed)
	{
		sage_aws_credentials_free(p);
		sage_error_memory(err, NULL);
		return NULL;
	}
	return p;
}

void
sage_aws_credentials_free(SageCredentialProvider *p)
{
	if (p == NULL)
		return;
	cred_clear(p);
	free(p->explicit_id);
	cred_free_secret(p->explicit_secret);
	cred_free_secret(p->explicit_token);
	free(p->imds_endpoint);
	free(p->ecs_url);
	cred_free_secret(p->ecs_auth);
	sage_http_client_free(p->http);
	free(p);
}

const char *
sage_aws_credentials_source_name(const SageCredentialProvider *p)
{
	switch (p->active)
	{
		case SAGE_CRED_SOURCE_EXPLICIT:
			return "configuration";
		case SAGE_CRED_SOURCE_ENV:
			return "environment";
		case SAGE_CRED_SOURCE_ECS:
			return "container credentials endpoint";
		case SAGE_CRED_SOURCE_IMDS:
			return "instance metadata service";
		case SAGE_CRED_SOURCE_AUTO:
			break;
	}
	return "default chain";
}

/* --------------------------------------------------------- environment */

/*
 * cred_from_env
 *		AWS_ACCESS_KEY_ID + AWS_SECRET_ACCESS_KEY (+ AWS_SESSION_TOKEN).
 *		Returns 1 when neither is set (so AUTO moves on), -1 when only one
 *		is, 0 with the keys set.
 */
static int
cred_from_env(SageCredentialProvider *p, SageError *err)
{
	const char *id = getenv("AWS_ACCESS_KEY_ID");
	const char *secret = getenv("AWS_SECRET_ACCESS_KEY");
	bool		has_id = id != NULL && id[0] != '\0';
	bool		has_secret = secret != NULL && secret[0] != '\0';

	if (!has_id && !has_secret)
		return 1;
	if (!has_id || !has_secret)
	{
		sage_error_set(err, SAGE_ERR_ARGUMENT,
					   "environment variable \"%s\" is set but \"%s\" is not",
					   has_id ? "AWS_ACCESS_KEY_ID" : "AWS_SECRET_ACCESS_KEY",
					   has_id ? "AWS_SECRET_ACCESS_KEY" : "AWS_ACCESS_KEY_ID");
		return -1;
	}
	return cred_set(p, SAGE_CRED_SOURCE_ENV, id, secret,
					getenv("AWS_SESSION_TOKEN"), 0, err);
}

/* ---------------------------------------------------------- metadata */

/*
 * cred_json_string
 *		A string member of a flat JSON object, unescaped (\uXXXX is refused:
 *		credentials are ASCII). NULL when absent or malformed.
 */
static char *
cred_json_string(SageArena *arena, const char *body, const char *key)
{
	char		pat[64];
	const char *p;
	char	   *out;
	size_t		n = 0;

	snprintf(pat, sizeof(pat), "\"%s\"", key);
	p = strstr(body, pat);
	if (p == NULL)
		return NULL;
	p += strlen(pat);
	while (*p == ' ' || *p == '\t' || *p == '\r' || *p == '\n')
		p++;
	if (*p++ != ':')
		return NULL;
	while (*p == ' ' || *p == '\t' || *p == '\r' || *p == '\n')
		p++;
	if (*p++ != '"')
		return NULL;
	out = sage_alloc(arena, strlen(p) + 1);
	if (out == NULL)
		return NULL;
	for (; *p != '"'; p++)
	{
		if (*p == '\0' || (unsigned char) *p < 0x20)
			return NULL;
		if (*p == '\\')
		{
			p++;
			switch (*p)
			{
				case '"':
				case '\\':
				case '/':
					out[n++] = *p;
					break;
				default:
					return NULL;
			}
		}
		else
			out[n++] = *p;
	}
	out[n] = '\0';
	return out;
}

/* Parses "2024-05-01T12:00:00Z" (seconds may carry a fraction); -1 if invalid. */
static time_t
cred_parse_time(const char *s)
{
	struct tm	tm = {0};
	int			used = 0;

	if (s == NULL ||
		sscanf(s, "%4d-%2d-%2dT%2d:%2d:%2d%n", &tm.tm_year, &tm.tm_mon, &tm.tm_mday,
			   &tm.tm_hour, &tm.tm_min, &tm.tm_sec, &used) != 6 || used != 19)
		return (time_t) -1;
	tm.tm_year -= 1900;
	tm.tm_mon -= 1;
	return timegm(&tm);
}

/*
 * cred_fetch
 *		An unsigned request to a metadata endpoint; the body in *body.
 *		Anything but 200 is an error naming the source.
 */
static int
cred_fetch(SageCredentialProvider *p, const char *what, const char *method,
		   const char *endpoint, const char *path, const SageHttpHeader *headers,
		   int nheaders, SageArena *arena, char **body, SageError *err)
{
	SageHttpRequest req = {0};
	SageHttpResponse resp;

	if (p->http == NULL)
	{
		SageHttpOptions o = {0};

		o.connect_timeout_ms = p->timeout_ms;
		o.timeout_ms = p->timeout_ms;
		o.max_attempts = 3;
		o.deadline_ms = 5 * p->timeout_ms;
		o.max_response = 64 * 1024;
		p->http = sage_http_client_new(&o, err);
		if (p->http == NULL)
			return -1;
	}
	req.method = method;
	req.endpoint = endpoint;
	req.path = path;
	req.headers = headers;
	req.nheaders = nheaders;
	req.what = what;
	if (sage_http_request(p->http, &req, arena, &resp, err) < 0)
		return -1;
	if (resp.status != 200)
	{
		sage_error_set(err, SAGE_AWS_ERR_SERVICE,
					   "could not get AWS credentials from the %s: HTTP status %ld",
					   sage_aws_credentials_source_name(p), resp.status);
		return -1;
	}
	*body = resp.body;
	return 0;
}

/*
 * cred_split_url
 *		"http://host:port/path" into the endpoint and the path.
 */
static int
cred_split_url(SageArena *arena, const char *url, char **endpoint,
			   const char **path, SageError *err)
{
	const char *h = strstr(url, "://");
	const char *slash = h != NULL ? strchr(h + 3, '/') : NULL;

	if (h == NULL)
		return sage_error_set(err, SAGE_ERR_ARGUMENT,
							  "invalid container credentials URL \"%s\"", url);
	*endpoint = slash != NULL ? sage_strndup(arena, url, (size_t) (slash - url)) :
		sage_strdup(arena, url);
	*path = slash != NULL ? slash : "/";
	return *endpoint == NULL ? sage_error_memory(err, NULL) : 0;
}

/*
 * cred_from_document
 *		Sets the keys from an ECS or IMDS credentials document
 *		({"AccessKeyId", "SecretAccessKey", "Token", "Expiration"}).
 */
static int
cred_from_document(SageCredentialProvider *p, SageCredentialSource source,
				   SageArena *arena, const char *body, SageError *err)
{
	const char *id = cred_json_string(arena, body, "AccessKeyId");
	const char *secret = cred_json_string(arena, body, "SecretAccessKey");
	const char *token = cred_json_string(arena, body, "Token");
	const char *exp = cred_json_string(arena, body, "Expiration");
	time_t		expiration = exp != NULL ? cred_parse_time(exp) : 0;
	int			rc;

	p->active = source;
	if (id == NULL || secret == NULL || expiration == (time_t) -1)
	{
		sage_error_set(err, SAGE_AWS_ERR_SERVICE,
					   "could not parse the AWS credentials from the %s",
					   sage_aws_credentials_source_name(p));
		sage_error_detail(err, "The document lacks AccessKeyId, SecretAccessKey or a valid Expiration.");
		return -1;
	}
	rc = cred_set(p, source, id, secret, token, expiration, err);
	sage_crypto_cleanse((void *) secret, strlen(secret));
	if (token != NULL)
		sage_crypto_cleanse((void *) token, strlen(token));
	return rc;
}

/* Credentials from the ECS container endpoint. */
static int
cred_from_ecs(SageCredentialProvider *p, SageArena *arena, SageError *err)
{
	SageHttpHeader auth = {"Authorization", p->ecs_auth};
	char	   *endpoint = NULL;
	const char *path = "/";
	char	   *body;

	p->active = SAGE_CRED_SOURCE_ECS;
	if (cred_split_url(arena, p->ecs_url, &endpoint, &path, err) < 0 ||
		cred_fetch(p, "container credentials", "GET", endpoint, path,
				   &auth, p->ecs_auth != NULL ? 1 : 0, arena, &body, err) < 0)
		return -1;
	return cred_from_document(p, SAGE_CRED_SOURCE_ECS, arena, body, err);
}

/* Credentials of the instance's role from IMDSv2 (token, role, document). */
static int
cred_from_imds(SageCredentialProvider *p, SageArena *arena, SageError *err)
{
	SageHttpHeader ttl = {"X-aws-ec2-metadata-token-ttl-seconds", CRED_IMDS_TOKEN_TTL};
	SageHttpHeader tok = {"X-aws-ec2-metadata-token", NULL};
	static const char roles[] = "/latest/meta-data/iam/security-credentials/";
	char	   *token;
	char	   *role;
	char	   *path;
	char	   *body;

	p->active = SAGE_CRED_SOURCE_IMDS;
	if (cred_fetch(p, "IMDS token", "PUT", p->imds_endpoint, "/latest/api/token",
				   &ttl, 1, arena, &token, err) < 0)
		return -1;
	tok.value = token;
	if (cred_fetch(p, "IMDS role", "GET", p->imds_endpoint, roles,
				   &tok, 1, arena, &role, err) < 0)
		return -1;
	role[strcspn(role, "\r\n")] = '\0';
	if (role[0] == '\0' || strpbrk(role, "/?#% ") != NULL)
	{
		sage_error_set(err, SAGE_AWS_ERR_SERVICE,
					   "the instance metadata service names no usable IAM role");
		sage_error_hint(err, "Attach an instance profile to the instance, or configure credentials.");
		return -1;
	}
	path = sage_printf(arena, "%s%s", roles, role);
	if (path == NULL)
		return sage_error_memory(err, NULL);
	if (cred_fetch(p, "IMDS credentials", "GET", p->imds_endpoint, path,
				   &tok, 1, arena, &body, err) < 0)
		return -1;
	return cred_from_document(p, SAGE_CRED_SOURCE_IMDS, arena, body, err);
}

/*
 * cred_refresh
 *		Loads keys from the configured source (AUTO: environment, then ECS
 *		when its variables are set, then IMDS).
 */
static int
cred_refresh(SageCredentialProvider *p, SageArena *arena, SageError *err)
{
	int			rc;

	switch (p->source)
	{
		case SAGE_CRED_SOURCE_EXPLICIT:
			return cred_set(p, SAGE_CRED_SOURCE_EXPLICIT, p->explicit_id,
							p->explicit_secret, p->explicit_token, 0, err);
		case SAGE_CRED_SOURCE_ENV:
			rc = cred_from_env(p, err);
			if (rc == 1)
			{
				sage_error_set(err, SAGE_ERR_ARGUMENT,
							   "environment variable \"AWS_ACCESS_KEY_ID\" is not set");
				sage_error_hint(err, "Set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY in the server's environment.");
				return -1;
			}
			return rc;
		case SAGE_CRED_SOURCE_ECS:
			if (p->ecs_url == NULL)
			{
				sage_error_set(err, SAGE_ERR_ARGUMENT,
							   "environment variable \"AWS_CONTAINER_CREDENTIALS_RELATIVE_URI\" is not set");
				sage_error_hint(err, "Container credentials exist only in ECS tasks.");
				return -1;
			}
			return cred_from_ecs(p, arena, err);
		case SAGE_CRED_SOURCE_IMDS:
			return cred_from_imds(p, arena, err);
		case SAGE_CRED_SOURCE_AUTO:
			rc = cred_from_env(p, err);
			if (rc != 1)
				return rc;
			if (p->ecs_url != NULL)
				return cred_from_ecs(p, arena, err);
			if (cred_from_imds(p, arena, err) == 0)
				return 0;
			sage_error_detail(err, "No credentials in the configuration or the environment, and the instance metadata service failed.");
			sage_error_hint(err, "Configure AWS credentials, or run where an IAM role provides them.");
			return -1;
	}
	return sage_error_set(err, SAGE_ERR_INTERNAL, "unknown AWS credential source");
}

int
sage_aws_credentials_get(SageCredentialProvider *p, SageArena *arena,
						 time_t now, SageAwsCredentials *out, SageError *err)
{
	memset(out, 0, sizeof(*out));
	if (!p->have || (p->expiration != 0 && now + p->refresh_margin >= p->expiration))
	{
		SageArena  *scratch = sage_arena_new(NULL);
		int			rc;

		if (scratch == NULL)
			return sage_error_memory(err, NULL);
		rc = cred_refresh(p, scratch, err);
		sage_arena_free(scratch);
		/* keys that are still valid outlive a failed early refresh */
		if (rc < 0 && !(p->have && now < p->expiration))
			return -1;
	}
	out->access_key_id = sage_strdup(arena, p->access_key_id);
	out->secret_access_key = sage_strdup(arena, p->secret_access_key);
	out->session_token = p->session_token != NULL ?
		sage_strdup(arena, p->session_token) : NULL;
	out->expiration = p->expiration;
	if (out->access_key_id == NULL || out->secret_access_key == NULL ||
		(p->session_token != NULL && out->session_token == NULL))
		return sage_error_memory(err, NULL);
	return 0;
}
