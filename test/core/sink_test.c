/*-------------------------------------------------------------------------
 *
 * test/core/sink_test.c
 *		Tests of the output sinks: src/core/sink_directory.c (real files,
 *		directory creation, every error path that the kernel can produce on
 *		demand) and src/core/sink_memory.c (contents, reopen, accessors,
 *		memory budget), plus a whole report written through each.
 *
 *-------------------------------------------------------------------------
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "sage/report.h"

/* A fresh temporary directory per test. */
typedef struct TmpDir
{
	char		path[64];		/* mkdtemp result */
} TmpDir;

static void
tmpdir_make(TmpDir *t)
{
	strcpy(t->path, "/tmp/sage_sink_testXXXXXX");
	assert_non_null(mkdtemp(t->path));
}

static void
tmpdir_remove(TmpDir *t)
{
	char		cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", t->path);
	assert_int_equal(system(cmd), 0);
}

/* Reads a whole file (malloc'd, NUL-terminated). */
static char *
slurp(const char *path, size_t *len)
{
	FILE	   *fp = fopen(path, "rb");
	long		n;
	char	   *buf;

	assert_non_null(fp);
	fseek(fp, 0, SEEK_END);
	n = ftell(fp);
	fseek(fp, 0, SEEK_SET);
	buf = malloc((size_t) n + 1);
	assert_int_equal(fread(buf, 1, (size_t) n, fp), (size_t) n);
	buf[n] = '\0';
	fclose(fp);
	if (len != NULL)
		*len = (size_t) n;
	return buf;
}

static void
put(SageSink *sink, const char *name, const char *text)
{
	void	   *h;
	SageError	err;

	assert_int_equal(sink->open(sink->ctx, name, &h, &err), 0);
	assert_int_equal(sink->write(sink->ctx, h, text, strlen(text), &err), 0);
	assert_int_equal(sink->close(sink->ctx, h, &err), 0);
}

/* ----------------------------------------------------------- directory */

static void
test_directory_basic(void **state)
{
	TmpDir		t;
	SageArena  *arena = sage_arena_new(NULL);
	SageSink	sink;
	SageError	err;
	char		dir[256];
	char		path[320];
	char	   *big;
	char	   *got;
	size_t		len,
				i;
	void	   *h1,
			   *h2;
	struct stat st;

	tmpdir_make(&t);
	/* parents are created, a trailing slash is fine */
	snprintf(dir, sizeof(dir), "%s/a/b//c/", t.path);
	assert_int_equal(sage_sink_directory(arena, dir, &sink, &err), 0);
	snprintf(path, sizeof(path), "%s/a/b/c", t.path);
	assert_int_equal(stat(path, &st), 0);
	assert_true(S_ISDIR(st.st_mode));
	{
		mode_t		mask = umask(0);

		umask(mask);
		assert_int_equal(st.st_mode & 0777, 0755 & ~mask);
	}

	/* two files open at once, small pieces and one larger than the buffer */
	big = malloc(200000);
	for (i = 0; i < 200000; i++)
		big[i] = (char) ('a' + i % 26);
	assert_int_equal(sink.open(sink.ctx, "one.txt", &h1, &err), 0);
	assert_int_equal(sink.open(sink.ctx, "two.bin", &h2, &err), 0);
	assert_int_equal(sink.write(sink.ctx, h1, "hello ", 6, &err), 0);
	assert_int_equal(sink.write(sink.ctx, h2, big, 1000, &err), 0);
	assert_int_equal(sink.write(sink.ctx, h2, big + 1000, 199000, &err), 0);
	assert_int_equal(sink.write(sink.ctx, h1, "world", 5, &err), 0);
	assert_int_equal(sink.close(sink.ctx, h1, &err), 0);
	assert_int_equal(sink.close(sink.ctx, h2, &err), 0);

	snprintf(path, sizeof(path), "%s/a/b/c/one.txt", t.path);
	got = slurp(path, NULL);
	assert_string_equal(got, "hello world");
	free(got);
	snprintf(path, sizeof(path), "%s/a/b/c/two.bin", t.path);
	got = slurp(path, &len);
	assert_int_equal(len, 200000);
	assert_memory_equal(got, big, 200000);
	free(got);

	/* reopening truncates */
	put(&sink, "two.bin", "short");
	got = slurp(path, NULL);
	assert_string_equal(got, "short");
	free(got);

	/* an existing directory is accepted */
	assert_int_equal(sage_sink_directory(arena, dir, &sink, &err), 0);
	free(big);
	sage_arena_free(arena);
	tmpdir_remove(&t);
}

static void
test_directory_errors(void **state)
{
	TmpDir		t;
	SageArena  *arena = sage_arena_new(NULL);
	SageSink	sink;
	SageError	err;
	char		dir[256];
	char		path[320];
	char		expect[512];
	void	   *h;
	FILE	   *fp;

	tmpdir_make(&t);
	/* a path through a regular file cannot be created (even as root) */
	snprintf(path, sizeof(path), "%s/file", t.path);
	fp = fopen(path, "w");
	fclose(fp);
	snprintf(dir, sizeof(dir), "%s/file/sub", t.path);
	assert_int_equal(sage_sink_directory(arena, dir, &sink, &err), -1);
	assert_int_equal(err.code, SAGE_ERR_IO);
	/* the message names the component that is in the way */
	snprintf(expect, sizeof(expect), "could not create directory \"%s/file\": %s",
			 t.path, strerror(ENOTDIR));
	assert_string_equal(err.message, expect);
	/* the directory itself is a file */
	assert_int_equal(sage_sink_directory(arena, path, &sink, &err), -1);
	snprintf(expect, sizeof(expect), "could not create directory \"%s\": %s",
			 path, strerror(ENOTDIR));
	assert_string_equal(err.message, expect);
	assert_int_equal(sage_sink_directory(arena, "", &sink, &err), -1);
	assert_int_equal(err.code, SAGE_ERR_ARGUMENT);

	/* open fails: the name is taken by a directory */
	assert_int_equal(sage_sink_directory(arena, t.path, &sink, &err), 0);
	snprintf(path, sizeof(path), "%s/report.json", t.path);
	assert_int_equal(mkdir(path, 0755), 0);
	assert_int_equal(sink.open(sink.ctx, "report.json", &h, &err), -1);
	assert_int_equal(err.code, SAGE_ERR_IO);
	snprintf(expect, sizeof(expect), "could not open file \"%s\": %s", path, strerror(EISDIR));
	assert_string_equal(err.message, expect);
	assert_null(h);

	/* names that would leave the directory */
	assert_int_equal(sink.open(sink.ctx, "../x", &h, &err), -1);
	assert_int_equal(err.code, SAGE_ERR_ARGUMENT);
	assert_string_equal(err.message, "invalid output file name \"../x\"");
	assert_int_equal(sink.open(sink.ctx, "..", &h, &err), -1);
	assert_int_equal(sink.open(sink.ctx, "", &h, &err), -1);

	/* write fails: /dev/full reports ENOSPC */
	if (access("/dev/full", W_OK) == 0)
	{
		char		block[70000];

		memset(block, 'x', sizeof(block));
		assert_int_equal(sage_sink_directory(arena, "/dev", &sink, &err), 0);
		assert_int_equal(sink.open(sink.ctx, "full", &h, &err), 0);
		/* small writes are buffered; the failure shows at flush */
		assert_int_equal(sink.write(sink.ctx, h, "abc", 3, &err), 0);
		assert_int_equal(sink.close(sink.ctx, h, &err), -1);
		assert_int_equal(err.code, SAGE_ERR_IO);
		snprintf(expect, sizeof(expect), "could not write file \"/dev/full\": %s",
				 strerror(ENOSPC));
		assert_string_equal(err.message, expect);
		/* a write larger than the buffer fails at once */
		assert_int_equal(sink.open(sink.ctx, "full", &h, &err), 0);
		assert_int_equal(sink.write(sink.ctx, h, block, sizeof(block), &err), -1);
		assert_string_equal(err.message, expect);
		sink.close(sink.ctx, h, &err);
		/* using a closed handle is refused, not a crash */
		assert_int_equal(sink.write(sink.ctx, h, "x", 1, &err), -1);
		assert_int_equal(err.code, SAGE_ERR_ARGUMENT);
	}
	sage_arena_free(arena);
	tmpdir_remove(&t);
}

/*
 * test_directory_report
 *		A whole report through the directory sink: every output on disk.
 */
static void
test_directory_report(void **state)
{
	TmpDir		t;
	SageArena  *arena = sage_arena_new(NULL);
	SageSink	sink;
	SageError	err;
	SageReportInfo info;
	SageReport *report;
	SageFinding f;
	char		path[320];
	char	   *csv;
	const char *names[] = {"failures.csv", "output.log", "report.json", "report.html",
	"results.txt", "error.log"};
	int			i;

	tmpdir_make(&t);
	snprintf(path, sizeof(path), "%s/executions/x", t.path);
	assert_int_equal(sage_sink_directory(arena, path, &sink, &err), 0);
	memset(&info, 0, sizeof(info));
	info.execution_id = "x";
	info.start_usec = 1700000000000000;
	report = sage_report_new(arena, NULL, &info, &sink, &err);
	assert_non_null(report);
	memset(&f, 0, sizeof(f));
	f.file = "a.csv";
	f.line = 3;
	f.check = SAGE_CHECK_REQUIRED;
	f.field = "id";
	assert_int_equal(sage_report_add_finding(report, &f, &err), 0);
	assert_int_equal(sage_report_finish(report, 1700000001000000, &err), 0);
	for (i = 0; i < 5; i++)
	{
		struct stat st;

		snprintf(path, sizeof(path), "%s/executions/x/%s", t.path, names[i]);
		assert_int_equal(stat(path, &st), 0);
		assert_true(st.st_size > 0);
	}
	snprintf(path, sizeof(path), "%s/executions/x/%s", t.path, names[5]);
	assert_int_equal(access(path, F_OK), -1);
	snprintf(path, sizeof(path), "%s/executions/x/failures.csv", t.path);
	csv = slurp(path, NULL);
	assert_string_equal(csv, "file,line,field,check,rule,severity,value,message\r\n"
						"a.csv,3,id,required,,error,,\r\n");
	free(csv);
	sage_arena_free(arena);
	tmpdir_remove(&t);
}

/* -------------------------------------------------------------- memory */

static void
test_memory_sink(void **state)
{
	SageArena  *arena = sage_arena_new(NULL);
	SageSink	sink;
	SageSink	other = {0};
	SageError	err;
	const char *name;
	const void *data;
	size_t		len,
				i;
	void	   *h;
	char	   *big;

	sage_sink_memory(arena, &sink);
	assert_int_equal(sage_sink_memory_count(&sink), 0);
	put(&sink, "a.txt", "alpha");
	put(&sink, "b.txt", "");

	/* an open file is not visible yet */
	assert_int_equal(sink.open(sink.ctx, "c.bin", &h, &err), 0);
	assert_int_equal(sage_sink_memory_count(&sink), 2);
	assert_false(sage_sink_memory_find(&sink, "c.bin", &data, &len));
	/* and cannot be opened twice */
	{
		void	   *h2;

		assert_int_equal(sink.open(sink.ctx, "c.bin", &h2, &err), -1);
		assert_string_equal(err.message, "output file \"c.bin\" is already open");
	}
	/* many chunks are joined at close */
	big = malloc(3000000);
	for (i = 0; i < 3000000; i++)
		big[i] = (char) (i * 7);
	for (i = 0; i < 3000000; i += 1000)
		assert_int_equal(sink.write(sink.ctx, h, big + i, 1000, &err), 0);
	assert_int_equal(sink.close(sink.ctx, h, &err), 0);
	assert_true(sage_sink_memory_find(&sink, "c.bin", &data, &len));
	assert_int_equal(len, 3000000);
	assert_memory_equal(data, big, 3000000);
	assert_int_equal(((const char *) data)[len], '\0');
	free(big);

	assert_int_equal(sage_sink_memory_count(&sink), 3);
	assert_true(sage_sink_memory_file(&sink, 0, &name, &data, &len));
	assert_string_equal(name, "a.txt");
	assert_int_equal(len, 5);
	assert_string_equal(data, "alpha");
	assert_true(sage_sink_memory_file(&sink, 1, &name, &data, &len));
	assert_string_equal(name, "b.txt");
	assert_int_equal(len, 0);
	assert_true(sage_sink_memory_file(&sink, 2, &name, NULL, NULL));
	assert_string_equal(name, "c.bin");
	assert_false(sage_sink_memory_file(&sink, 3, &name, &data, &len));
	assert_false(sage_sink_memory_file(&sink, -1, &name, &data, &len));

	/* reopening truncates and keeps the file's place */
	put(&sink, "a.txt", "beta!");
	assert_true(sage_sink_memory_file(&sink, 0, &name, &data, &len));
	assert_string_equal(name, "a.txt");
	assert_string_equal(data, "beta!");

	/* closed handle, bad name */
	assert_int_equal(sink.write(sink.ctx, h, "x", 1, &err), -1);
	assert_int_equal(err.code, SAGE_ERR_ARGUMENT);
	assert_int_equal(sink.close(sink.ctx, h, &err), -1);
	assert_int_equal(sink.open(sink.ctx, "", &h, &err), -1);

	/* the accessors refuse other sinks */
	assert_int_equal(sage_sink_memory_count(&other), 0);
	assert_false(sage_sink_memory_find(&other, "a.txt", &data, &len));
	assert_false(sage_sink_memory_file(NULL, 0, &name, &data, &len));
	sage_arena_free(arena);
}

static void
test_memory_sink_budget(void **state)
{
	SageBudget	budget = {0, 0, 0};
	SageArena  *arena;
	SageSink	sink;
	SageError	err;
	void	   *h;
	char		block[4096];
	int			i,
				rc = 0;

	budget.limit = 512 * 1024;
	arena = sage_arena_new(&budget);
	sage_sink_memory(arena, &sink);
	memset(block, 'z', sizeof(block));
	assert_int_equal(sink.open(sink.ctx, "big", &h, &err), 0);
	for (i = 0; i < 1000 && rc == 0; i++)
		rc = sink.write(sink.ctx, h, block, sizeof(block), &err);
	assert_int_equal(rc, -1);
	assert_int_equal(err.code, SAGE_ERR_MEMORY);
	assert_string_equal(err.message, "memory limit exceeded");
	assert_true(budget.peak <= budget.limit);
	sage_arena_free(arena);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_directory_basic),
		cmocka_unit_test(test_directory_errors),
		cmocka_unit_test(test_directory_report),
		cmocka_unit_test(test_memory_sink),
		cmocka_unit_test(test_memory_sink_budget),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
