/*-------------------------------------------------------------------------
 *
 * bench/csv_reader_bench.c
 *		Throughput of the CSV reader alone (src/core/csv_reader.c).
 *
 * Generates a CSV of ROWS rows x 15 columns (~140 bytes a row, like the
 * processor's target workload: ids, codes, dates, amounts, names) in a
 * temporary file, then reads it with the reader several times and prints
 * MB/s and rows/s of the best run. Optional variants: every cell quoted,
 * and a non-ASCII (UTF-8) name column. Nothing generated is kept.
 *
 * Build and run (from the repository root):
 *	 cc -O2 -Isrc/include -Isrc/core -o /tmp/csv_bench bench/csv_reader_bench.c \
 *		src/core/arena.c src/core/error.c src/core/stream.c \
 *		src/core/csv_reader.c src/core/encoding.c
 *	 /tmp/csv_bench [rows] [plain|quoted|utf8]
 *
 *-------------------------------------------------------------------------
 */
#include "sage/record.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

/* Seconds from a monotonic clock. */
static double
bench_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/*
 * bench_generate
 *		Writes the test file; returns its size in bytes.
 */
static long
bench_generate(const char *path, long rows, const char *variant)
{
	static const char *const names[] = {"Garcia", "Lopez", "Martinez", "Sanchez", "Perez"};
	static const char *const names_utf8[] = {"Garc\xc3\xad" "a", "L\xc3\xb3pez", "Mart\xc3\xadnez", "S\xc3\xa1nchez", "P\xc3\xa9rez"};
	FILE	   *f = fopen(path, "wb");
	bool		quoted = strcmp(variant, "quoted") == 0;
	bool		utf8 = strcmp(variant, "utf8") == 0;
	const char *q = quoted ? "\"" : "";
	long		i;
	long		size;

	if (f == NULL)
	{
		perror(path);
		exit(1);
	}
	fprintf(f, "id,code,fecha,importe,nombre,ciudad,activo,cantidad,tasa,"
			"categoria,pais,telefono,email,ref,obs\n");
	for (i = 0; i < rows; i++)
	{
		unsigned	r = (unsigned) (i * 2654435761u);

		fprintf(f, "%s%ld%s,%sC%05u%s,%s2024-%02u-%02u%s,%s%u.%02u%s,%s%s%s,"
				"%sMadrid%s,%strue%s,%s%u%s,%s0.%03u%s,%sCAT%u%s,%sES%s,"
				"%s+3491%07u%s,%su%u@ex.com%s,%sR%08u%s,%sok%s\n",
				q, i + 1, q, q, r % 100000, q, q, r % 12 + 1, r % 28 + 1, q,
				q, r % 100000, r % 100, q,
				q, (utf8 ? names_utf8 : names)[r % 5], q,
				q, q, q, q, q, r % 1000, q, q, r % 1000, q, q, r % 20, q, q, q,
				q, r % 10000000, q, q, r % 100000, q, q, r, q, q, q);
	}
	size = ftell(f);
	fclose(f);
	return size;
}

int
main(int argc, char **argv)
{
	long		rows = argc > 1 ? atol(argv[1]) : 1000000;
	const char *variant = argc > 2 ? argv[2] : "plain";
	char		path[] = "/tmp/sage_csv_benchXXXXXX";
	int			fd = mkstemp(path);
	long		size;
	double		best = 1e30;
	int			run;
	long		nrec = 0;
	long		checksum = 0;

	if (fd < 0)
	{
		perror("mkstemp");
		return 1;
	}
	close(fd);
	size = bench_generate(path, rows, variant);

	for (run = 0; run < 5; run++)
	{
		SageArena  *arena = sage_arena_new(NULL);
		SageStream	s;
		SageRecordReader rd;
		SageRecord	rec;
		SageError	err;
		double		t0;
		double		t;
		int			rc;

		if (sage_stream_from_file(arena, path, &s, &err) < 0 ||
			sage_csv_reader_open(arena, s, NULL, &rd, &err) < 0)
		{
			fprintf(stderr, "%s\n", err.message);
			return 1;
		}
		nrec = 0;
		t0 = bench_now();
		while ((rc = rd.next(rd.self, &rec, &err)) == 1)
		{
			nrec++;
			/* touch the cells so nothing is optimised away */
			checksum += rec.nfields + rec.lens[rec.nfields - 1];
		}
		t = bench_now() - t0;
		if (rc < 0)
		{
			fprintf(stderr, "%s\n", err.message);
			return 1;
		}
		rd.close(rd.self);
		sage_arena_free(arena);
		if (t < best)
			best = t;
	}
	unlink(path);
	printf("variant=%s rows=%ld bytes=%ld (%.1f bytes/row) best=%.3f s  "
		   "%.0f MB/s  %.2f M rows/s  (checksum %ld)\n",
		   variant, nrec - 1, size, (double) size / rows, best,
		   size / best / 1e6, nrec / best / 1e6, checksum);
	return 0;
}
