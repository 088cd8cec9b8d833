/*-------------------------------------------------------------------------
 *
 * src/pg/dashboard.c
 *		sage_dashboard_html(): one self-contained HTML page of the
 *		executions the caller can see, for operators without a monitoring
 *		stack. Throughput over time (local vs Lambda), success rate,
 *		duration percentiles, daily cost, and tables of the slowest and
 *		the failing executions, as inline SVG and HTML tables.
 *
 * The page loads nothing: no scripts, style sheets, fonts or images from
 * elsewhere, so it can be mailed or opened offline. Every text from the
 * database is escaped. Every number drawn is also written in a data-*
 * attribute, exactly as SQL printed it, so a test can compare the page
 * with the views (sage.stats, sage.cost_daily) it was made from.
 *
 * The queries run as the caller (SPI, security invoker views), so
 * row-level security applies: a role sees its own executions only.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <math.h>

#include "executor/spi.h"
#include "fmgr.h"
#include "lib/stringinfo.h"
#include "utils/builtins.h"

#include "sage_pg.h"

PG_FUNCTION_INFO_V1(sage_dashboard_html);

/* Size of the charts' drawing area (SVG user units). */
#define DASH_CHART_W 720
#define DASH_CHART_H 200
#define DASH_MARGIN_L 56
#define DASH_MARGIN_B 28
#define DASH_MARGIN_T 12
/* Rows in the tables of slowest and failing executions. */
#define DASH_TABLE_ROWS 10
/* Days of cost shown. */
#define DASH_COST_DAYS 30

/* Colours of the two places and of the outcomes. */
#define DASH_COLOUR_LOCAL "#3b7dd8"
#define DASH_COLOUR_LAMBDA "#f08c00"
#define DASH_COLOUR_OK "#2f9e44"
#define DASH_COLOUR_BAD "#e03131"

/* Rows of one query, as text (SQL's own output), in the SPI context. */
typedef struct DashRows
{
	int			nrows;			/* rows returned */
	int			ncols;			/* columns per row */
	char	  **cells;			/* nrows * ncols, NULL for SQL NULL */
} DashRows;

/* Runs a read-only query and keeps its rows as text. */
static DashRows
dash_query(const char *sql)
{
	DashRows	rows;
	uint64		i;
	int			j;

	if (SPI_execute(sql, true, 0) != SPI_OK_SELECT)
		elog(ERROR, "dashboard query failed: %s", sql);
	rows.nrows = (int) SPI_processed;
	rows.ncols = SPI_tuptable->tupdesc->natts;
	rows.cells = palloc0(sizeof(char *) * Max(rows.nrows * rows.ncols, 1));
	for (i = 0; i < SPI_processed; i++)
		for (j = 0; j < rows.ncols; j++)
			rows.cells[i * rows.ncols + j] =
				SPI_getvalue(SPI_tuptable->vals[i], SPI_tuptable->tupdesc, j + 1);
	return rows;
}

/* Cell (row, col); NULL for SQL NULL. */
static const char *
dash_cell(const DashRows *rows, int row, int col)
{
	return rows->cells[row * rows->ncols + col];
}

/* A cell as a number (0 for NULL or text that is not one). */
static double
dash_num(const DashRows *rows, int row, int col)
{
	const char *s = dash_cell(rows, row, col);
	char	   *end;
	double		v;

	if (s == NULL)
		return 0;
	v = strtod(s, &end);
	if (end == s || !isfinite(v))
		return 0;
	return v;
}

/* Appends s with HTML's special characters escaped; NULL appends alt. */
static void
dash_text(StringInfo buf, const char *s, const char *alt)
{
	if (s == NULL)
		s = alt;
	for (; *s; s++)
	{
		switch (*s)
		{
			case '&':
				appendStringInfoString(buf, "&amp;");
				break;
			case '<':
				appendStringInfoString(buf, "&lt;");
				break;
			case '>':
				appendStringInfoString(buf, "&gt;");
				break;
			case '"':
				appendStringInfoString(buf, "&quot;");
				break;
			case '\'':
				appendStringInfoString(buf, "&#39;");
				break;
			default:
				/* control characters other than tab and newline would be invalid */
				if ((unsigned char) *s < 0x20 && *s != '\t' && *s != '\n')
					appendStringInfoChar(buf, ' ');
				else
					appendStringInfoChar(buf, *s);
		}
	}
}

/* Appends  name="value" with the value escaped ("" for NULL). */
static void
dash_attr(StringInfo buf, const char *name, const char *value)
{
	appendStringInfo(buf, " %s=\"", name);
	dash_text(buf, value, "");
	appendStringInfoChar(buf, '"');
}

/* A round upper bound for an axis whose largest value is max (> 0). */
static double
dash_nice_max(double max)
{
	double		p;
	double		f;

	if (max <= 0)
		return 1;
	p = pow(10, floor(log10(max)));
	f = max / p;
	if (f <= 1)
		return p;
	if (f <= 2)
		return 2 * p;
	if (f <= 5)
		return 5 * p;
	return 10 * p;
}

/* Opens a chart's SVG with its y axis from 0 to ymax; a figure wraps it. */
static void
dash_svg_open(StringInfo buf, const char *id, const char *label, double ymax,
			  const char *unit)
{
	int			i;

	appendStringInfo(buf, "<svg id=\"%s\" role=\"img\" viewBox=\"0 0 %d %d\" "
					 "width=\"%d\" height=\"%d\"",
					 id, DASH_CHART_W, DASH_CHART_H, DASH_CHART_W, DASH_CHART_H);
	dash_attr(buf, "aria-label", label);
	appendStringInfoString(buf, ">");
	/* grid lines and labels at 0, 1/4, ... of the axis */
	for (i = 0; i <= 4; i++)
	{
		double		y = DASH_CHART_H - DASH_MARGIN_B
			- (DASH_CHART_H - DASH_MARGIN_B - DASH_MARGIN_T) * i / 4.0;

		appendStringInfo(buf, "<line x1=\"%d\" x2=\"%d\" y1=\"%.1f\" y2=\"%.1f\" "
						 "stroke=\"#ddd\"/>",
						 DASH_MARGIN_L, DASH_CHART_W, y, y);
		appendStringInfo(buf, "<text x=\"%d\" y=\"%.1f\" class=\"axis\" "
						 "text-anchor=\"end\">%.4g%s</text>",
						 DASH_MARGIN_L - 4, y + 4, ymax * i / 4.0, unit);
	}
}

/* Height in the drawing area of value v on an axis from 0 to ymax. */
static double
dash_scale(double v, double ymax)
{
	double		h = (DASH_CHART_H - DASH_MARGIN_B - DASH_MARGIN_T) * v / ymax;

	return h < 0 ? 0 : h;
}

/* A small legend entry. */
static void
dash_legend(StringInfo buf, const char *colour, const char *label)
{
	appendStringInfo(buf, "<span class=\"key\"><span class=\"swatch\" "
					 "style=\"background:%s\"></span>", colour);
	dash_text(buf, label, "");
	appendStringInfoString(buf, "</span>");
}

/*
 * Open a chart section with its heading; when the query gave no rows, say
 * so, close the section and return false (the caller draws nothing).
 */
static bool
dash_section_open(StringInfo buf, const char *id, const char *title, int nrows)
{
	appendStringInfo(buf, "<section id=\"%s\"><h2>%s</h2>", id, title);
	if (nrows > 0)
		return true;
	appendStringInfoString(buf, "<p class=\"empty\">No execution has finished yet.</p></section>");
	return false;
}

/*
 * Close a table row's start tag and write its first ncols cells, "-" for
 * NULL; head makes the first cell a row header (<th>).
 */
static void
dash_row_cells(StringInfo buf, const DashRows *rows, int row, int ncols,
			   bool head)
{
	int			k;

	appendStringInfoChar(buf, '>');
	for (k = 0; k < ncols; k++)
	{
		bool		th = head && k == 0;

		appendStringInfoString(buf, th ? "<th>" : "<td>");
		dash_text(buf, dash_cell(rows, row, k), "-");
		appendStringInfoString(buf, th ? "</th>" : "</td>");
	}
	appendStringInfoString(buf, "</tr>");
}

/* A label under the x axis of a chart, centred on x. */
static void
dash_axis_label(StringInfo buf, double x, const char *label)
{
	appendStringInfo(buf, "<text x=\"%.1f\" y=\"%d\" class=\"axis\" text-anchor=\"middle\">",
					 x, DASH_CHART_H - 8);
	dash_text(buf, label, "");
	appendStringInfoString(buf, "</text>");
}

/*
 * The totals, from sage.stats, as cards; the same values on the main
 * element's data-* attributes.
 */
static void
dash_summary(StringInfo buf)
{
	static const char *const names[] = {
		"total", "pending", "running", "succeeded", "failed", "dead",
		"cancelled", "local", "lambda", "success_rate", "consecutive_failures"
	};
	static const char *const labels[] = {
		"Executions", "Pending", "Running", "Succeeded", "Failed", "Dead",
		"Cancelled", "Local", "Lambda", "Success rate (%)", "Failures since last success"
	};
	DashRows	s;
	int			i;

	s = dash_query("SELECT total, pending, running, succeeded, failed, dead, "
				   "cancelled, local, lambda, success_rate, consecutive_failures "
				   "FROM sage.stats");
	if (s.nrows != 1)
		elog(ERROR, "sage.stats returned %d rows", s.nrows);

	appendStringInfoString(buf, "<section id=\"summary\"><h2>Summary</h2><div class=\"cards\">");
	for (i = 0; i < (int) lengthof(names); i++)
	{
		appendStringInfo(buf, "<div class=\"card\" id=\"stat-%s\"", names[i]);
		dash_attr(buf, "data-value", dash_cell(&s, 0, i));
		appendStringInfoString(buf, "><div class=\"value\">");
		dash_text(buf, dash_cell(&s, 0, i), "-");
		appendStringInfoString(buf, "</div><div class=\"label\">");
		dash_text(buf, labels[i], "");
		appendStringInfoString(buf, "</div></div>");
	}
	appendStringInfoString(buf, "</div></section>");
}

/*
 * Executions finished per bucket, stacked local (below) and Lambda, with
 * the success rate of the bucket as a line over them. The bucket is a
 * minute when everything shown finished within 90 minutes, an hour
 * within 4 days, else a day (the last 90 days).
 */
static void
dash_throughput(StringInfo buf)
{
	DashRows	t;
	double		max = 0;
	double		ymax;
	double		slot;
	int			i;
	StringInfoData line;

	t = dash_query(
				   "WITH f AS ("
				   "  SELECT e.finished_at AT TIME ZONE 'UTC' AS at, e.\"where\", e.state"
				   "  FROM sage.executions e"
				   "  WHERE e.finished_at IS NOT NULL AND e.\"where\" IS NOT NULL"
				   "    AND e.state IN ('succeeded', 'failed', 'dead', 'cancelled')),"
				   " span AS (SELECT pg_catalog.min(at) AS lo, pg_catalog.max(at) AS hi FROM f),"
				   " u AS ("
				   "  SELECT CASE WHEN hi - lo <= interval '90 minutes' THEN 'minute'"
				   "              WHEN hi - lo <= interval '4 days' THEN 'hour'"
				   "              ELSE 'day' END AS unit, lo, hi FROM span WHERE hi IS NOT NULL),"
				   " b AS ("
				   "  SELECT u.unit, g.bucket FROM u, LATERAL pg_catalog.generate_series("
				   "    GREATEST(pg_catalog.date_trunc(u.unit, u.lo),"
				   "                        pg_catalog.date_trunc(u.unit, u.hi) - interval '89 days'),"
				   "    pg_catalog.date_trunc(u.unit, u.hi),"
				   "    ('1 ' || u.unit)::interval) AS g(bucket))"
				   "SELECT b.unit, pg_catalog.to_char(b.bucket, 'YYYY-MM-DD\"T\"HH24:MI'),"
				   "  pg_catalog.count(f.at) FILTER (WHERE f.\"where\" = 'local'),"
				   "  pg_catalog.count(f.at) FILTER (WHERE f.\"where\" = 'lambda'),"
				   "  pg_catalog.count(f.at) FILTER (WHERE f.state = 'succeeded'),"
				   "  pg_catalog.count(f.at) FILTER (WHERE f.state IN ('succeeded', 'failed', 'dead'))"
				   " FROM b LEFT JOIN f ON pg_catalog.date_trunc(b.unit, f.at) = b.bucket"
				   " GROUP BY b.unit, b.bucket ORDER BY b.bucket");

	if (!dash_section_open(buf, "throughput", "Throughput", t.nrows))
		return;
	appendStringInfoString(buf, "<p>Executions finished per ");
	dash_text(buf, dash_cell(&t, 0, 0), "");
	appendStringInfoString(buf, " (UTC), local and Lambda; the line is the success rate of the ");
	dash_text(buf, dash_cell(&t, 0, 0), "");
	appendStringInfoString(buf, " (right axis, 0-100%).</p><div class=\"legend\">");
	dash_legend(buf, DASH_COLOUR_LOCAL, "local");
	dash_legend(buf, DASH_COLOUR_LAMBDA, "lambda");
	dash_legend(buf, DASH_COLOUR_OK, "success rate");
	appendStringInfoString(buf, "</div>");

	for (i = 0; i < t.nrows; i++)
		max = Max(max, dash_num(&t, i, 2) + dash_num(&t, i, 3));
	ymax = dash_nice_max(max);
	dash_svg_open(buf, "chart-throughput", "Executions finished over time", ymax, "");
	slot = (double) (DASH_CHART_W - DASH_MARGIN_L) / t.nrows;
	initStringInfo(&line);
	for (i = 0; i < t.nrows; i++)
	{
		double		x = DASH_MARGIN_L + slot * i + slot * 0.1;
		double		w = Max(slot * 0.8, 0.5);
		double		hl = dash_scale(dash_num(&t, i, 2), ymax);
		double		hm = dash_scale(dash_num(&t, i, 3), ymax);
		double		base = DASH_CHART_H - DASH_MARGIN_B;

		appendStringInfoString(buf, "<g class=\"bucket\"");
		dash_attr(buf, "data-bucket", dash_cell(&t, i, 1));
		dash_attr(buf, "data-local", dash_cell(&t, i, 2));
		dash_attr(buf, "data-lambda", dash_cell(&t, i, 3));
		dash_attr(buf, "data-succeeded", dash_cell(&t, i, 4));
		dash_attr(buf, "data-finished", dash_cell(&t, i, 5));
		appendStringInfoString(buf, "><title>");
		dash_text(buf, dash_cell(&t, i, 1), "");
		appendStringInfo(buf, ": %s local, %s lambda</title>",
						 dash_cell(&t, i, 2), dash_cell(&t, i, 3));
		appendStringInfo(buf, "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" fill=\"%s\"/>",
						 x, base - hl, w, hl, DASH_COLOUR_LOCAL);
		appendStringInfo(buf, "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" fill=\"%s\"/>",
						 x, base - hl - hm, w, hm, DASH_COLOUR_LAMBDA);
		appendStringInfoString(buf, "</g>");
		if (dash_num(&t, i, 5) > 0)
			appendStringInfo(&line, "%.1f,%.1f ", x + w / 2,
							 base - dash_scale(100.0 * dash_num(&t, i, 4) / dash_num(&t, i, 5), 100));
	}
	if (line.len > 0)
		appendStringInfo(buf, "<polyline id=\"success-line\" fill=\"none\" stroke=\"%s\" "
						 "stroke-width=\"2\" points=\"%s\"/>", DASH_COLOUR_OK, line.data);
	/* a dot per bucket, so a single bucket still shows its rate */
	for (i = 0; i < t.nrows; i++)
		if (dash_num(&t, i, 5) > 0)
			appendStringInfo(buf, "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"3.5\" fill=\"%s\"/>",
							 DASH_MARGIN_L + slot * i + slot * 0.1 + Max(slot * 0.8, 0.5) / 2,
							 DASH_CHART_H - DASH_MARGIN_B
							 - dash_scale(100.0 * dash_num(&t, i, 4) / dash_num(&t, i, 5), 100),
							 DASH_COLOUR_OK);
	/* the right axis of the success rate */
	appendStringInfo(buf, "<text x=\"%d\" y=\"%d\" class=\"axis\" text-anchor=\"end\">100%%</text>"
					 "<text x=\"%d\" y=\"%d\" class=\"axis\" text-anchor=\"end\">0%%</text>",
					 DASH_CHART_W, DASH_MARGIN_T - 2, DASH_CHART_W, DASH_CHART_H - DASH_MARGIN_B - 2);
	/* first and last bucket under the axis */
	appendStringInfo(buf, "<text x=\"%d\" y=\"%d\" class=\"axis\">", DASH_MARGIN_L, DASH_CHART_H - 8);
	dash_text(buf, dash_cell(&t, 0, 1), "");
	appendStringInfo(buf, "</text><text x=\"%d\" y=\"%d\" class=\"axis\" text-anchor=\"end\">",
					 DASH_CHART_W, DASH_CHART_H - 8);
	dash_text(buf, dash_cell(&t, t.nrows - 1, 1), "");
	appendStringInfoString(buf, "</text></svg></section>");
}

/*
 * Local vs Lambda: executions, outcomes, success rate and duration
 * percentiles (milliseconds, of finished attempts) per place, plus all
 * places together; percentiles drawn as grouped bars.
 */
static void
dash_places(StringInfo buf)
{
	static const char *const pct_names[] = {"p50", "p95", "p99"};
	static const char *const pct_colours[] = {"#74c0fc", "#1c7ed6", "#0b3d91"};
	DashRows	p;
	double		max = 0;
	double		ymax;
	double		group;
	int			i;
	int			k;

	p = dash_query(
				   "WITH fin AS ("
				   "  SELECT e.\"where\", e.state,"
				   "         1000 * EXTRACT(epoch FROM e.finished_at - e.started_at) AS ms"
				   "  FROM sage.executions e"
				   "  WHERE e.state IN ('succeeded', 'failed', 'dead')"
				   "    AND e.started_at IS NOT NULL AND e.finished_at IS NOT NULL"
				   "    AND e.\"where\" IS NOT NULL)"
				   "SELECT coalesce(fin.\"where\", 'all'), pg_catalog.count(*),"
				   "  pg_catalog.count(*) FILTER (WHERE fin.state = 'succeeded'),"
				   "  pg_catalog.round(100.0 * pg_catalog.count(*) FILTER (WHERE fin.state = 'succeeded')"
				   "    / pg_catalog.count(*), 2),"
				   "  pg_catalog.round(pg_catalog.avg(fin.ms))::int8,"
				   "  pg_catalog.round(pg_catalog.percentile_cont(0.5) WITHIN GROUP (ORDER BY fin.ms))::int8,"
				   "  pg_catalog.round(pg_catalog.percentile_cont(0.95) WITHIN GROUP (ORDER BY fin.ms))::int8,"
				   "  pg_catalog.round(pg_catalog.percentile_cont(0.99) WITHIN GROUP (ORDER BY fin.ms))::int8,"
				   "  pg_catalog.max(fin.ms)::int8"
				   " FROM fin GROUP BY ROLLUP (fin.\"where\")"
				   " ORDER BY fin.\"where\" NULLS LAST");

	if (!dash_section_open(buf, "places", "Local vs Lambda", p.nrows))
		return;
	appendStringInfoString(buf, "<p>Finished attempts (succeeded, failed or dead) by where they ran; "
						   "durations in milliseconds from claim to completion.</p>"
						   "<table id=\"places-table\"><thead><tr><th>Where</th><th>Finished</th>"
						   "<th>Succeeded</th><th>Success rate (%)</th><th>Mean</th><th>p50</th>"
						   "<th>p95</th><th>p99</th><th>Max</th></tr></thead><tbody>");
	for (i = 0; i < p.nrows; i++)
	{
		appendStringInfoString(buf, "<tr class=\"place\"");
		dash_attr(buf, "data-where", dash_cell(&p, i, 0));
		dash_attr(buf, "data-finished", dash_cell(&p, i, 1));
		dash_attr(buf, "data-succeeded", dash_cell(&p, i, 2));
		dash_attr(buf, "data-success-rate", dash_cell(&p, i, 3));
		dash_attr(buf, "data-mean-ms", dash_cell(&p, i, 4));
		dash_attr(buf, "data-p50-ms", dash_cell(&p, i, 5));
		dash_attr(buf, "data-p95-ms", dash_cell(&p, i, 6));
		dash_attr(buf, "data-p99-ms", dash_cell(&p, i, 7));
		dash_attr(buf, "data-max-ms", dash_cell(&p, i, 8));
		dash_row_cells(buf, &p, i, 9, true);
		for (k = 5; k <= 7; k++)
			max = Max(max, dash_num(&p, i, k));
	}
	appendStringInfoString(buf, "</tbody></table>");

	/* share of each place, as one bar */
	if (p.nrows > 1)
	{
		double		all = dash_num(&p, p.nrows - 1, 1);
		double		x = 0;

		appendStringInfoString(buf, "<svg id=\"chart-share\" role=\"img\" aria-label=\"Share of local and Lambda\" "
							   "viewBox=\"0 0 720 28\" width=\"720\" height=\"28\">");
		for (i = 0; i < p.nrows - 1 && all > 0; i++)
		{
			double		w = 720.0 * dash_num(&p, i, 1) / all;
			bool		local = strcmp(dash_cell(&p, i, 0), "local") == 0;

			appendStringInfo(buf, "<rect x=\"%.1f\" y=\"0\" width=\"%.1f\" height=\"28\" fill=\"%s\"",
							 x, w, local ? DASH_COLOUR_LOCAL : DASH_COLOUR_LAMBDA);
			dash_attr(buf, "data-where", dash_cell(&p, i, 0));
			dash_attr(buf, "data-finished", dash_cell(&p, i, 1));
			appendStringInfo(buf, "/><text x=\"%.1f\" y=\"19\" class=\"onbar\">", x + 6);
			dash_text(buf, dash_cell(&p, i, 0), "");
			appendStringInfo(buf, " %.0f%%</text>", 100.0 * dash_num(&p, i, 1) / all);
			x += w;
		}
		appendStringInfoString(buf, "</svg>");
	}

	/* duration percentiles per place */
	appendStringInfoString(buf, "<h3>Duration percentiles (ms)</h3><div class=\"legend\">");
	for (k = 0; k < 3; k++)
		dash_legend(buf, pct_colours[k], pct_names[k]);
	appendStringInfoString(buf, "</div>");
	ymax = dash_nice_max(max);
	dash_svg_open(buf, "chart-durations", "Duration percentiles by place", ymax, "");
	group = (double) (DASH_CHART_W - DASH_MARGIN_L) / p.nrows;
	for (i = 0; i < p.nrows; i++)
	{
		double		x0 = DASH_MARGIN_L + group * i + group * 0.15;
		double		w = group * 0.7 / 3;

		for (k = 0; k < 3; k++)
		{
			double		h = dash_scale(dash_num(&p, i, 5 + k), ymax);

			appendStringInfo(buf, "<rect class=\"pct\" x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" "
							 "height=\"%.1f\" fill=\"%s\"",
							 x0 + w * k, (double) (DASH_CHART_H - DASH_MARGIN_B) - h, w, h,
							 pct_colours[k]);
			dash_attr(buf, "data-where", dash_cell(&p, i, 0));
			dash_attr(buf, "data-percentile", pct_names[k]);
			dash_attr(buf, "data-ms", dash_cell(&p, i, 5 + k));
			appendStringInfo(buf, "><title>%s ", pct_names[k]);
			dash_text(buf, dash_cell(&p, i, 0), "");
			appendStringInfoString(buf, ": ");
			dash_text(buf, dash_cell(&p, i, 5 + k), "");
			appendStringInfoString(buf, " ms</title></rect>");
		}
		dash_axis_label(buf, DASH_MARGIN_L + group * (i + 0.5), dash_cell(&p, i, 0));
	}
	appendStringInfoString(buf, "</svg></section>");
}

/* Estimated cost per day, from sage.cost_daily (the last 30 days shown). */
static void
dash_cost(StringInfo buf)
{
	DashRows	c;
	DashRows	days;
	double		max = 0;
	double		ymax;
	double		slot;
	int			i;

	c = dash_query(
				   "SELECT d.day, d.\"where\", d.executions, d.succeeded, d.billed_seconds,"
				   "  d.gb_seconds, d.requests, d.unpriced, d.estimated_cost"
				   " FROM sage.cost_daily d"
				   " WHERE d.day > (SELECT pg_catalog.max(m.day) FROM sage.cost_daily m) - "
				   CppAsString2(DASH_COST_DAYS)
				   " ORDER BY d.day, d.\"where\"");
	if (!dash_section_open(buf, "cost", "Cost per day", c.nrows))
		return;
	appendStringInfoString(buf, "<p>Estimated from sage.cost_daily: Lambda GB-seconds at the "
						   "price of their architecture plus requests; local executions cost no "
						   "Lambda time. Days in UTC.</p><table id=\"cost-table\"><thead><tr>"
						   "<th>Day</th><th>Where</th><th>Executions</th><th>Succeeded</th>"
						   "<th>Billed s</th><th>GB-s</th><th>Requests</th><th>Unpriced</th>"
						   "<th>Estimated cost</th></tr></thead><tbody>");
	for (i = 0; i < c.nrows; i++)
	{
		appendStringInfoString(buf, "<tr class=\"cost\"");
		dash_attr(buf, "data-day", dash_cell(&c, i, 0));
		dash_attr(buf, "data-where", dash_cell(&c, i, 1));
		dash_attr(buf, "data-executions", dash_cell(&c, i, 2));
		dash_attr(buf, "data-gb-seconds", dash_cell(&c, i, 5));
		dash_attr(buf, "data-estimated-cost", dash_cell(&c, i, 8));
		dash_row_cells(buf, &c, i, 9, false);
	}
	appendStringInfoString(buf, "</tbody></table>");

	/* one bar per day: the day's total estimated cost */
	days = dash_query(
					  "SELECT d.day, pg_catalog.sum(d.estimated_cost), pg_catalog.sum(d.executions)"
					  " FROM sage.cost_daily d"
					  " WHERE d.day > (SELECT pg_catalog.max(m.day) FROM sage.cost_daily m) - "
					  CppAsString2(DASH_COST_DAYS)
					  " GROUP BY d.day ORDER BY d.day");
	for (i = 0; i < days.nrows; i++)
		max = Max(max, dash_num(&days, i, 1));
	ymax = dash_nice_max(max);
	dash_svg_open(buf, "chart-cost", "Estimated cost per day", ymax, "");
	slot = (double) (DASH_CHART_W - DASH_MARGIN_L) / Max(days.nrows, 1);
	for (i = 0; i < days.nrows; i++)
	{
		double		h = dash_scale(dash_num(&days, i, 1), ymax);
		double		x = DASH_MARGIN_L + slot * i + slot * 0.15;

		/* a hairline for days that cost nothing, so every day shows */
		if (h < 1)
			h = 1;
		appendStringInfo(buf, "<rect class=\"day\" x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" "
						 "height=\"%.1f\" fill=\"%s\"",
						 x, (double) (DASH_CHART_H - DASH_MARGIN_B) - h, slot * 0.7, h,
						 DASH_COLOUR_LAMBDA);
		dash_attr(buf, "data-day", dash_cell(&days, i, 0));
		dash_attr(buf, "data-estimated-cost", dash_cell(&days, i, 1));
		appendStringInfoString(buf, "><title>");
		dash_text(buf, dash_cell(&days, i, 0), "");
		appendStringInfoString(buf, ": ");
		dash_text(buf, dash_cell(&days, i, 1), "");
		appendStringInfoString(buf, " for ");
		dash_text(buf, dash_cell(&days, i, 2), "");
		appendStringInfoString(buf, " executions</title></rect>");
		if (days.nrows <= 10 || i == 0 || i == days.nrows - 1)
		{
			dash_axis_label(buf, x + slot * 0.35, dash_cell(&days, i, 0));
		}
	}
	appendStringInfoString(buf, "</svg></section>");
}

/* A table of executions: id, where, state, status, duration, records, finished, error. */
static void
dash_execution_table(StringInfo buf, const char *id, const char *title,
					 const char *intro, const char *sql)
{
	static const char *const heads[] = {
		"Execution", "Where", "State", "Status", "Duration (ms)", "Records",
		"Errors", "Finished (UTC)", "Last error"
	};
	DashRows	r;
	int			i;
	int			k;

	r = dash_query(sql);
	appendStringInfo(buf, "<section id=\"%s\"><h2>", id);
	dash_text(buf, title, "");
	appendStringInfoString(buf, "</h2><p>");
	dash_text(buf, intro, "");
	appendStringInfo(buf, "</p><table id=\"%s-table\" data-rows=\"%d\"><thead><tr>", id, r.nrows);
	for (k = 0; k < (int) lengthof(heads); k++)
		appendStringInfo(buf, "<th>%s</th>", heads[k]);
	appendStringInfoString(buf, "</tr></thead><tbody>");
	if (r.nrows == 0)
		appendStringInfo(buf, "<tr><td colspan=\"%d\" class=\"empty\">None.</td></tr>",
						 (int) lengthof(heads));
	for (i = 0; i < r.nrows; i++)
	{
		appendStringInfoString(buf, "<tr class=\"execution\"");
		dash_attr(buf, "data-id", dash_cell(&r, i, 0));
		dash_attr(buf, "data-state", dash_cell(&r, i, 2));
		dash_attr(buf, "data-duration-ms", dash_cell(&r, i, 4));
		appendStringInfoChar(buf, '>');
		for (k = 0; k < (int) lengthof(heads); k++)
		{
			appendStringInfoString(buf, k == 0 ? "<td class=\"id\">" :
								   k == 8 ? "<td class=\"error\">" : "<td>");
			dash_text(buf, dash_cell(&r, i, k), "-");
			appendStringInfoString(buf, "</td>");
		}
		appendStringInfoString(buf, "</tr>");
	}
	appendStringInfoString(buf, "</tbody></table></section>");
}

/* The page's style: small, readable, printable. */
static const char *const dash_style =
"body{font-family:system-ui,-apple-system,'Segoe UI',sans-serif;margin:24px;color:#222;background:#fff}"
"h1{font-size:22px;margin:0 0 4px}h2{font-size:17px;margin:28px 0 8px;border-bottom:1px solid #ddd}"
"h3{font-size:14px;margin:16px 0 6px}p{margin:4px 0 8px;color:#555;font-size:13px}"
".cards{display:flex;flex-wrap:wrap;gap:8px}"
".card{border:1px solid #ddd;border-radius:6px;padding:8px 12px;min-width:96px}"
".card .value{font-size:20px;font-weight:600}.card .label{font-size:12px;color:#666}"
"#stat-succeeded .value{color:" DASH_COLOUR_OK "}#stat-failed .value,#stat-dead .value{color:" DASH_COLOUR_BAD "}"
"table{border-collapse:collapse;font-size:12px;margin:6px 0}"
"th,td{border:1px solid #e3e3e3;padding:3px 8px;text-align:left}"
"td{font-variant-numeric:tabular-nums}thead th{background:#f4f4f4}"
"td.id{font-family:monospace}td.error{color:" DASH_COLOUR_BAD ";max-width:360px}"
".legend{font-size:12px;margin:4px 0}.key{margin-right:14px}"
".swatch{display:inline-block;width:10px;height:10px;margin-right:4px;vertical-align:middle}"
"svg{display:block;margin:4px 0;max-width:100%;height:auto}"
"svg .axis{font-size:10px;fill:#666}svg .onbar{font-size:12px;fill:#fff}"
".empty{color:#888;font-style:italic}";

/*
 * sage_dashboard_html() returns text: the page. Runs its queries in one
 * snapshot-consistent SPI connection as the caller.
 */
Datum
sage_dashboard_html(PG_FUNCTION_ARGS)
{
	StringInfoData buf;
	DashRows	now;
	text	   *result;

	initStringInfo(&buf);
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");

	now = dash_query("SELECT pg_catalog.to_char(pg_catalog.now() AT TIME ZONE 'UTC', "
					 "'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"'), pg_catalog.current_database()");
	appendStringInfo(&buf, "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
					 "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
					 "<title>SAGE dashboard</title><style>%s</style></head><body>"
					 "<main id=\"sage-dashboard\"", dash_style);
	dash_attr(&buf, "data-generated-at", dash_cell(&now, 0, 0));
	dash_attr(&buf, "data-database", dash_cell(&now, 0, 1));
	appendStringInfoString(&buf, "><h1>SAGE executions</h1><p>Database ");
	dash_text(&buf, dash_cell(&now, 0, 1), "");
	appendStringInfoString(&buf, ", generated ");
	dash_text(&buf, dash_cell(&now, 0, 0), "");
	appendStringInfoString(&buf, ". Only the executions visible to the current role are counted.</p>");

	dash_summary(&buf);
	dash_throughput(&buf);
	dash_places(&buf);
	dash_cost(&buf);
	dash_execution_table(&buf, "slowest", "Slowest executions",
						 "The longest finished attempts, from claim to completion.",
						 "SELECT e.id, e.\"where\", e.state, e.status,"
						 "  pg_catalog.round(1000 * EXTRACT(epoch FROM e.finished_at - e.started_at))::int8,"
						 "  e.records, e.errors,"
						 "  pg_catalog.to_char(e.finished_at AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS'),"
						 "  e.last_error"
						 " FROM sage.executions e"
						 " WHERE e.state IN ('succeeded', 'failed', 'dead')"
						 "   AND e.started_at IS NOT NULL AND e.finished_at IS NOT NULL"
						 " ORDER BY e.finished_at - e.started_at DESC, e.id"
						 " LIMIT " CppAsString2(DASH_TABLE_ROWS));
	dash_execution_table(&buf, "failing", "Failing executions",
						 "The latest executions that could not be processed (failed) or ran out of attempts (dead).",
						 "SELECT e.id, e.\"where\", e.state, e.status,"
						 "  pg_catalog.round(1000 * EXTRACT(epoch FROM e.finished_at - e.started_at))::int8,"
						 "  e.records, e.errors,"
						 "  pg_catalog.to_char(e.finished_at AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS'),"
						 "  e.last_error"
						 " FROM sage.executions e"
						 " WHERE e.state IN ('failed', 'dead')"
						 " ORDER BY e.finished_at DESC NULLS LAST, e.id"
						 " LIMIT " CppAsString2(DASH_TABLE_ROWS));
	appendStringInfoString(&buf, "</main></body></html>\n");

	SPI_finish();
	result = cstring_to_text_with_len(buf.data, buf.len);
	pfree(buf.data);
	PG_RETURN_TEXT_P(result);
}
