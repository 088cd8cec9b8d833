/*-------------------------------------------------------------------------
 *
 * test/aws/aws_services.h
 *		Starting and stopping the local test services from cmocka tests:
 *		moto_server and the scripted HTTP server, through the scripts in
 *		test/services (each prints "<NAME>_PORT=<port> <NAME>_PID=<pid>").
 *
 * A test that needs a service starts it itself; it is skipped only when
 * SAGE_TEST_SKIP_SERVICES=1 says so explicitly.
 *
 *-------------------------------------------------------------------------
 */
#ifndef SAGE_TEST_AWS_SERVICES_H
#define SAGE_TEST_AWS_SERVICES_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A running service. */
typedef struct TestService
{
	int			port;			/* on 127.0.0.1 */
	int			pid;			/* process group leader, for stopping */
	char		endpoint[64];	/* "http://127.0.0.1:<port>" */
} TestService;

/* test/services, found from SAGE_TEST_DATA (= test/data). */
static inline const char *
services_dir(void)
{
	static char dir[4096];
	const char *data = getenv("SAGE_TEST_DATA");

	snprintf(dir, sizeof(dir), "%s/../services", data != NULL ? data : "test/data");
	return dir;
}

/* Did the environment explicitly ask to skip tests needing services? */
static inline bool
services_skipped(void)
{
	const char *s = getenv("SAGE_TEST_SKIP_SERVICES");

	return s != NULL && strcmp(s, "1") == 0;
}

/*
 * service_start
 *		Runs test/services/<script> and reads its "X_PORT=n X_PID=n" line.
 *		Returns 0, or -1 (with a message on stderr).
 */
static inline int
service_start(const char *script, TestService *svc)
{
	char		cmd[4200];
	char		line[256] = "";
	FILE	   *f;
	char	   *p;

	snprintf(cmd, sizeof(cmd), "%s/%s", services_dir(), script);
	f = popen(cmd, "r");
	if (f == NULL)
		return -1;
	if (fgets(line, sizeof(line), f) == NULL)
		line[0] = '\0';
	pclose(f);
	p = strstr(line, "_PORT=");
	if (p == NULL || sscanf(p, "_PORT=%d", &svc->port) != 1 ||
		(p = strstr(line, "_PID=")) == NULL || sscanf(p, "_PID=%d", &svc->pid) != 1)
	{
		fprintf(stderr, "could not start %s: \"%s\"\n", script, line);
		return -1;
	}
	snprintf(svc->endpoint, sizeof(svc->endpoint), "http://127.0.0.1:%d", svc->port);
	return 0;
}

/* Stops a service started by service_start. */
static inline void
service_stop(TestService *svc)
{
	char		cmd[4200];

	if (svc->pid <= 0)
		return;
	snprintf(cmd, sizeof(cmd), "%s/stop_service.sh %d", services_dir(), svc->pid);
	if (system(cmd) != 0)
		fprintf(stderr, "could not stop service %d\n", svc->pid);
	svc->pid = 0;
}

#endif							/* SAGE_TEST_AWS_SERVICES_H */
