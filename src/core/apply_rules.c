/*-------------------------------------------------------------------------
 *
 * src/core/apply_rules.c
 *		Turning rule results into findings (PROCESSOR.md section 5, "How a
 *		result becomes findings").
 *
 * Field and row rules give one finding per failing row; a field rule only
 * considers the rows where its field has a value (null and badly typed
 * cells already have their own finding). Catalog and package rules give one
 * finding per rule, listing the failing lines. Anything that is not a
 * boolean, and any run-time failure, is a single rule_error counted with
 * the rule's severity; the execution goes on.
 *
 *-------------------------------------------------------------------------
 */
#include "processor_internal.h"

#include <stdio.h>
#include <string.h>

#define ROW_ERR_SET(bm, r)	((bm)[(r) >> 3] |= (uint8_t) (1u << ((r) & 7)))

int
sage_emit(ProcessContext *pc, const SageFinding *f, uint8_t *row_errors,
		  uint64_t row, SageError *err)
{
	if (row_errors != NULL && f->severity == SAGE_SEV_ERROR)
		ROW_ERR_SET(row_errors, row);
	return sage_report_add_finding(pc->report, f, err);
}

/* Emits the rule_error of a rule that could not give a boolean. */
static int
emit_rule_error(ProcessContext *pc, const RuleTarget *t, const char *reason, SageError *err)
{
	SageFinding f;
	char		msg[1024];

	memset(&f, 0, sizeof(f));
	snprintf(msg, sizeof(msg), "rule \"%s\" could not be evaluated: %s",
			 t->rule->name, reason);
	f.file = t->file;
	f.field = t->field != NULL ? t->field->name : NULL;
	f.check = SAGE_CHECK_RULE_ERROR;
	f.rule = t->rule->name;
	f.severity = t->rule->severity;
	f.message = msg;
	f.summary_only = (t->file == NULL);
	return sage_report_add_finding(pc->report, &f, err);
}

/* Text of a field's value in row r of table, for a finding. */
static const char *
row_value(const SageTable *table, int col, size_t r, char *buf, size_t buflen)
{
	const SageColumn *c;

	if (col < 0 || !table->present[col])
		return NULL;
	c = &table->cols[col];
	if (!c->valid[r])
		return NULL;
	switch (c->type)
	{
		case SAGE_COL_STRING:
			return c->s[r];
		case SAGE_COL_INT:
			snprintf(buf, buflen, "%lld", (long long) c->i[r]);
			return buf;
		case SAGE_COL_FLOAT:
			sage_format_double(c->f[r], false, buf, buflen);
			return buf;
		case SAGE_COL_DATETIME:
			sage_timestamp_format(c->t[r], buf, buflen);
			return buf;
		case SAGE_COL_BOOL:
			return c->b[r] ? "True" : "False";
	}
	return NULL;
}

int
sage_rule_apply_rows(ProcessContext *pc, const RuleTarget *t,
					 const SageTable *table, bool *errored, SageError *err)
{
	SageArena  *scratch;
	SageRuleResult res;
	SageError	rerr;
	const SageColumn *fcol = NULL;
	size_t		r;
	int			rc = 0;

	if (*errored || table->nrows == 0)
		return 0;
	scratch = sage_arena_new(pc->budget);
	if (scratch == NULL)
		return sage_error_memory(err, pc->budget);
	sage_error_clear(&rerr);
	if (sage_rule_eval(t->rule->compiled, scratch, table, 1, &res, &rerr) != 0)
	{
		*errored = true;
		if (rerr.code == SAGE_ERR_MEMORY || rerr.code == SAGE_ERR_CANCELLED)
		{
			*err = rerr;
			rc = -1;
		}
		else
			rc = emit_rule_error(pc, t, rerr.message, err);
		sage_arena_free(scratch);
		return rc;
	}
	if (res.kind == SAGE_RESULT_INVALID)
	{
		*errored = true;
		rc = emit_rule_error(pc, t, res.reason ? res.reason : "the rule does not give a boolean", err);
		sage_arena_free(scratch);
		return rc;
	}
	if (t->field_index >= 0 && table->present[t->field_index])
		fcol = &table->cols[t->field_index];

	for (r = 0; r < table->nrows && rc == 0; r++)
	{
		bool		ok;
		SageFinding f;
		char		vbuf[64];

		if (t->field_index >= 0 && (fcol == NULL || !fcol->valid[r]))
			continue;
		if (res.kind == SAGE_RESULT_SCALAR)
			ok = res.scalar;
		else
			ok = res.nparts > 0 && r < res.parts[0].n && res.parts[0].ok[r];
		if (ok)
			continue;
		memset(&f, 0, sizeof(f));
		f.file = t->file;
		f.line = table->lines[r];
		f.field = t->field != NULL ? t->field->name : NULL;
		f.check = t->field != NULL ? SAGE_CHECK_FIELD_RULE : SAGE_CHECK_ROW_RULE;
		f.rule = t->rule->name;
		f.severity = t->rule->severity;
		f.value = t->field != NULL ? row_value(table, t->field_index, r, vbuf, sizeof(vbuf)) : NULL;
		f.message = t->rule->description;
		rc = sage_emit(pc, &f, t->row_errors, t->row_base + r, err);
	}
	sage_arena_free(scratch);
	return rc;
}

int
sage_rule_apply_whole(ProcessContext *pc, const RuleTarget *t, SageCheck check,
					  const SageTable *tables, int ntables,
					  SageError *err)
{
	SageArena  *scratch;
	SageRuleResult res;
	SageError	rerr;
	SageFinding f;
	int			rc = 0;
	bool		failed = false;
	uint64_t   *all_lines = NULL;
	size_t		nall = 0;
	int			p;

	scratch = sage_arena_new(pc->budget);
	if (scratch == NULL)
		return sage_error_memory(err, pc->budget);
	sage_error_clear(&rerr);
	if (sage_rule_eval(t->rule->compiled, scratch, tables, ntables, &res, &rerr) != 0)
	{
		if (rerr.code == SAGE_ERR_MEMORY || rerr.code == SAGE_ERR_CANCELLED)
		{
			*err = rerr;
			rc = -1;
		}
		else
			rc = emit_rule_error(pc, t, rerr.message, err);
		sage_arena_free(scratch);
		return rc;
	}
	if (res.kind == SAGE_RESULT_INVALID)
	{
		rc = emit_rule_error(pc, t, res.reason ? res.reason : "the rule does not give a boolean", err);
		sage_arena_free(scratch);
		return rc;
	}

	if (res.kind == SAGE_RESULT_SCALAR)
		failed = !res.scalar;
	else
	{
		size_t		total = 0;

		for (p = 0; p < res.nparts; p++)
		{
			const SageRuleResultPart *part = &res.parts[p];
			size_t		r;

			for (r = 0; r < part->n; r++)
				if (!part->ok[r])
					total++;
		}
		if (total > 0)
		{
			failed = true;
			all_lines = sage_alloc(scratch, total * sizeof(uint64_t));
			if (all_lines == NULL)
			{
				sage_arena_free(scratch);
				return sage_error_memory(err, pc->budget);
			}
			for (p = 0; p < res.nparts; p++)
			{
				const SageRuleResultPart *part = &res.parts[p];
				const SageTable *tb = &tables[part->table];
				size_t		r;

				for (r = 0; r < part->n; r++)
					if (!part->ok[r])
						all_lines[nall++] = tb->lines ? tb->lines[r] : r + 1;
			}
		}
	}
	if (failed)
	{
		memset(&f, 0, sizeof(f));
		f.file = t->file;
		f.check = check;
		f.rule = t->rule->name;
		f.severity = t->rule->severity;
		f.message = t->rule->description;
		f.lines = all_lines;
		f.nlines = nall;
		f.summary_only = (t->file == NULL);
		rc = sage_report_add_finding(pc->report, &f, err);
	}
	sage_arena_free(scratch);
	return rc;
}
