/*-------------------------------------------------------------------------
 *
 * src/pg/submit_bulk.c
 *		The rows of sage_submit and sage_submit_batch inserted as COPY FROM
 *		inserts them: tuples built here, table_multi_insert() a chunk at a
 *		time, then the index entries, with an EState and a ResultRelInfo of
 *		their own, instead of two INSERT statements run through SPI.
 *
 *		What the INSERT statements did is kept, generically where the
 *		executor has a function for it and by construction elsewhere:
 *		- privileges: INSERT on the columns set, USAGE on the schema,
 *		  checked by ExecCheckRTPerms as the executor does;
 *		- column defaults: the table's own default expressions
 *		  (build_column_default), evaluated once per call when they are not
 *		  volatile (now(), current_user, constants), per row otherwise;
 *		- NOT NULL and CHECK constraints: ExecConstraints per row; the
 *		  expressions are planned once per backend (until the table's
 *		  relcache entry is invalidated, e.g. by ALTER TABLE), not once per
 *		  statement;
 *		- unique indexes and partial-index predicates: ExecInsertIndexTuples;
 *		- triggers: BEFORE/AFTER STATEMENT and AFTER ROW triggers fire, with
 *		  their transition tables, inside AfterTriggerBeginQuery/EndQuery,
 *		  with one exception proved by construction: the extension's
 *		  per-statement foreign-key check of execution_files, when it is
 *		  the table's only INSERT trigger (see
 *		  submit_bulk_only_fkey_trigger);
 *		- row-level security: the WITH CHECK of the extension's policies is
 *		  true by construction, and checked where it is a plain comparison.
 *		  executions_owner requires owner = current_user: owner is the
 *		  column's default, which is current_user, and every row is
 *		  compared with GetUserId() (the policy's error if it differs).
 *		  execution_files_owner requires the file's execution to be visible
 *		  to the submitter: every file names an execution inserted by this
 *		  call, owned by current_user, and made visible by
 *		  CommandCounterIncrement() before the files are inserted.
 *		The bulk path is taken only while the tables are as the extension
 *		made them: no BEFORE ROW or INSTEAD OF trigger (they could change
 *		the rows), no stored generated column, and, when row-level
 *		security applies to the user, exactly the extension's permissive
 *		policy on each table and no policy hook. Otherwise nothing is done
 *		here and submit.c inserts through SQL statements, as before.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/heapam.h"
#include "access/toast_compression.h"
#include "access/toast_internals.h"
#include "access/table.h"
#include "access/tableam.h"
#include "access/xact.h"
#include "catalog/namespace.h"
#include "catalog/pg_class.h"
#include "catalog/pg_trigger.h"
#include "catalog/pg_type.h"
#include "commands/trigger.h"
#include "executor/executor.h"
#include "miscadmin.h"
#include "nodes/makefuncs.h"
#include "nodes/readfuncs.h"
#include "optimizer/optimizer.h"
#include "parser/parse_relation.h"
#include "parser/parsetree.h"
#include "rewrite/rewriteHandler.h"
#include "rewrite/rowsecurity.h"
#include "storage/lmgr.h"
#include "utils/acl.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/datum.h"
#include "utils/inval.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/rel.h"
#include "utils/rls.h"

#include "submit_internal.h"

/* Rows given to one table_multi_insert() call, as COPY's buffer holds. */
#define SUBMIT_BULK_CHUNK 100

/* Shared values longer than this (bytes) are compressed once per call. */
#define SUBMIT_BULK_COMPRESS_MIN 256

/* The columns of sage.executions a submit sets, as SageSubmitRows.values. */
static const char *const submit_exec_cols[1 + SAGE_SUBMIT_NCOLS] = {
	"id", "config", "package", "options", "priority", "placement",
	"max_attempts", "casilla_id", "emisor_id", "metodo_envio"
};

/* The columns of sage.execution_files a submit sets. */
static const char *const submit_file_cols[7] = {
	"execution_id", "role", "name", "ordinal", "size", "sha256", "content"
};

/*
 * The planned expressions of one table, kept for the life of the backend
 * (until a relcache invalidation of the table): planning the column
 * defaults and the CHECK constraints again at every call (stringToNode,
 * eval_const_expressions) was a quarter of the time of a one-file submit.
 * Each call only builds executor state from them (ExecInitExpr).
 */
typedef struct SubmitBulkPlanned
{
	Oid			relid;			/* the table, or InvalidOid if not built */
	bool		valid;			/* false after an invalidation */
	MemoryContext cxt;			/* holds everything below */
	int			natts;			/* attributes of the table */
	Expr	  **defaults;		/* per attribute: planned default, or NULL */
	bool	   *volatile_def;	/* per attribute: evaluate it per row */
	int			ncheck;			/* CHECK constraints, in relcache order */
	Expr	  **checks;			/* each planned */
} SubmitBulkPlanned;

/* executions and execution_files */
static SubmitBulkPlanned submit_bulk_planned[2];
static bool submit_bulk_callback_registered = false;

/*
 * One table being inserted into: the executor state that COPY FROM would
 * set up, the columns set by the caller, and the defaults of the others.
 */
typedef struct SubmitBulkTable
{
	Oid			relid;			/* the table */
	const char *policy;			/* the extension's policy on it */
	int			cache_slot;		/* its entry in submit_bulk_planned */
	int			ncols;			/* columns set by the caller */
	const char *const *colnames;	/* their names */
	AttrNumber	attnums[1 + SAGE_SUBMIT_NCOLS];	/* and numbers */
	bool		rls;			/* row-level security applies to the user */
	AttrNumber	owner_attnum;	/* executions.owner, checked per row; or 0 */
	EState	   *estate;			/* the table's executor state */
	ResultRelInfo *rri;			/* the table as result relation */
	TransitionCaptureState *transition;	/* for transition tables, or NULL */
	BulkInsertState bistate;	/* bulk insert buffer strategy */
	Datum	   *defvalues;		/* per attribute: the default, or null */
	bool	   *defnulls;
	ExprState **volatile_defs;	/* per attribute: a default to evaluate
								 * per row, or NULL */
	TupleTableSlot **slots;		/* SUBMIT_BULK_CHUNK virtual slots */
	MemoryContext chunkcxt;		/* memory of one chunk, reset after it */
	SubmitBulkPlanned *planned;	/* its planned expressions */
} SubmitBulkTable;

/* Fills the caller's columns of row i (values/nulls in colnames order). */
typedef void (*SubmitBulkFill) (const SageSubmitRows *rows, int i,
								Datum *values, bool *nulls);


/* Relcache invalidation: forget the planned expressions of the table. */
static void
submit_bulk_invalidate(Datum arg, Oid relid)
{
	int			i;

	for (i = 0; i < 2; i++)
		if (relid == InvalidOid || relid == submit_bulk_planned[i].relid)
			submit_bulk_planned[i].valid = false;
}

/*
 * The planned defaults (of the columns the caller does not set, as the
 * rewriter adds them) and CHECK constraints (as ExecConstraints prepares
 * them) of an open, locked table: from the cache, or planned now.
 */
static SubmitBulkPlanned *
submit_bulk_plan(SubmitBulkTable *t, Relation rel, int slot)
{
	SubmitBulkPlanned *p = &submit_bulk_planned[slot];
	TupleDesc	desc = RelationGetDescr(rel);
	MemoryContext oldcxt;
	int			i;

	if (!submit_bulk_callback_registered)
	{
		CacheRegisterRelcacheCallback(submit_bulk_invalidate, (Datum) 0);
		submit_bulk_callback_registered = true;
	}
	if (p->valid && p->relid == t->relid && p->natts == desc->natts)
		return p;
	if (p->cxt != NULL)
		MemoryContextDelete(p->cxt);
	memset(p, 0, sizeof(*p));
	p->cxt = AllocSetContextCreate(CacheMemoryContext, "sage submit plans",
								   ALLOCSET_SMALL_SIZES);
	oldcxt = MemoryContextSwitchTo(p->cxt);
	p->natts = desc->natts;
	p->defaults = palloc0(sizeof(Expr *) * desc->natts);
	p->volatile_def = palloc0(sizeof(bool) * desc->natts);
	for (i = 0; i < desc->natts; i++)
	{
		Node	   *def;
		int			j;
		bool		set = false;

		for (j = 0; j < t->ncols; j++)
			if (t->attnums[j] == i + 1)
				set = true;
		if (set || TupleDescAttr(desc, i)->attisdropped)
			continue;
		def = build_column_default(rel, i + 1);
		if (def == NULL)
			continue;
		p->defaults[i] = expression_planner((Expr *) def);
		p->volatile_def[i] = contain_volatile_functions((Node *) p->defaults[i]);
	}
	p->ncheck = desc->constr != NULL ? desc->constr->num_check : 0;
	p->checks = palloc0(sizeof(Expr *) * Max(p->ncheck, 1));
	for (i = 0; i < p->ncheck; i++)
	{
		Expr	   *check = stringToNode(desc->constr->check[i].ccbin);

		p->checks[i] = expression_planner(check);
	}
	MemoryContextSwitchTo(oldcxt);
	p->relid = t->relid;
	p->valid = true;
	return p;
}

/*
 * Opens and locks one table of the sage schema as an INSERT would, and
 * tells whether the bulk path keeps its semantics there (see the file's
 * comment). The lock stays until the end of the transaction.
 */
static bool
submit_bulk_open(SubmitBulkTable *t, Oid nsp, const char *relname)
{
	Relation	rel;
	TriggerDesc *trig;
	bool		usable = true;
	int			i;

	t->relid = get_relname_relid(relname, nsp);
	if (!OidIsValid(t->relid))
		ereport(ERROR,
				errcode(ERRCODE_UNDEFINED_TABLE),
				errmsg("relation \"sage.%s\" does not exist", relname));
	LockRelationOid(t->relid, RowExclusiveLock);
	rel = table_open(t->relid, NoLock);
	for (i = 0; i < t->ncols; i++)
	{
		t->attnums[i] = attnameAttNum(rel, t->colnames[i], false);
		if (t->attnums[i] == InvalidAttrNumber)
			ereport(ERROR,
					errcode(ERRCODE_UNDEFINED_COLUMN),
					errmsg("column \"%s\" of relation \"%s\" does not exist",
						   t->colnames[i], relname));
	}
	t->owner_attnum = 0;
	trig = rel->trigdesc;
	if (rel->rd_rel->relkind != RELKIND_RELATION)
		usable = false;
	if (trig != NULL && (trig->trig_insert_before_row || trig->trig_insert_instead_row))
		usable = false;
	if (rel->rd_att->constr != NULL && rel->rd_att->constr->has_generated_stored)
		usable = false;
	t->rls = check_enable_rls(t->relid, InvalidOid, false) == RLS_ENABLED;
	if (t->rls)
	{
		RowSecurityPolicy *p = NULL;

		if (row_security_policy_hook_permissive != NULL ||
			row_security_policy_hook_restrictive != NULL ||
			rel->rd_rsdesc == NULL || list_length(rel->rd_rsdesc->policies) != 1)
			usable = false;
		else
			p = linitial(rel->rd_rsdesc->policies);
		if (p != NULL)
		{
			Datum	   *roles;
			int			nroles;

			deconstruct_array(p->roles, OIDOID, sizeof(Oid), true, TYPALIGN_INT,
							  &roles, NULL, &nroles);
			if (strcmp(p->policy_name, t->policy) != 0 || !p->permissive ||
				p->polcmd != '*' || nroles != 1 ||
				DatumGetObjectId(roles[0]) != ACL_ID_PUBLIC)
				usable = false;
		}
	}
	table_close(rel, NoLock);
	return usable;
}

/*
 * True when the only INSERT trigger of the table is the extension's
 * per-statement foreign-key check of execution_files
 * (sage._files_check_executions). It is then not fired: it would check
 * that the executions named by the new files exist, and lock those that
 * other transactions created; every file inserted here names an
 * execution this call has just inserted (a unique id, created by this
 * transaction, invisible to any other until commit, so nobody can delete
 * it), so the check passes and locks nothing, by construction. Firing it
 * would copy every file into the transition table and probe
 * executions_pkey twice per file: a fifth of the time of a batch. Any
 * other INSERT trigger makes every trigger, this one included, fire.
 */
static bool
submit_bulk_only_fkey_trigger(TriggerDesc *trigdesc)
{
	bool		fkey = false;
	int			i;

	if (trigdesc == NULL)
		return false;
	for (i = 0; i < trigdesc->numtriggers; i++)
	{
		Trigger    *tg = &trigdesc->triggers[i];
		char	   *fname;

		if (!TRIGGER_FOR_INSERT(tg->tgtype))
			continue;
		fname = get_func_name(tg->tgfoid);
		if (strcmp(tg->tgname, "execution_files_insert_fkey") != 0 ||
			fname == NULL || strcmp(fname, "_files_check_executions") != 0 ||
			get_func_namespace(tg->tgfoid) != get_namespace_oid("sage", false) ||
			TRIGGER_FOR_ROW(tg->tgtype) || !TRIGGER_FOR_AFTER(tg->tgtype))
			return false;
		fkey = true;
	}
	return fkey;
}

/*
 * Sets up the executor state of a table opened by submit_bulk_open: the
 * privileges checked, the indexes opened, BEFORE STATEMENT triggers fired,
 * the defaults computed.
 */
static void
submit_bulk_begin(SubmitBulkTable *t, int nslots)
{
	RangeTblEntry *rte = makeNode(RangeTblEntry);
	Relation	rel;
	TupleDesc	desc;
	ExprContext *econtext;
	SubmitBulkPlanned *planned;
	int			i;

	rte->rtekind = RTE_RELATION;
	rte->relid = t->relid;
	rte->relkind = RELKIND_RELATION;
	rte->rellockmode = RowExclusiveLock;
	rte->requiredPerms = ACL_INSERT;
	rte->checkAsUser = InvalidOid;
	for (i = 0; i < t->ncols; i++)
		rte->insertedCols =
			bms_add_member(rte->insertedCols,
						   t->attnums[i] - FirstLowInvalidHeapAttributeNumber);
	ExecCheckRTPerms(list_make1(rte), true);

	t->estate = CreateExecutorState();
	t->estate->es_output_cid = GetCurrentCommandId(true);
	ExecInitRangeTable(t->estate, list_make1(rte));
	t->rri = makeNode(ResultRelInfo);
	ExecInitResultRelation(t->estate, t->rri, 1);
	rel = t->rri->ri_RelationDesc;
	desc = RelationGetDescr(rel);
	ExecOpenIndices(t->rri, false);
	planned = submit_bulk_plan(t, rel, t->cache_slot);
	/* what ExecConstraints and ExecInsertIndexTuples would prepare */
	if (planned->ncheck > 0)
	{
		t->rri->ri_ConstraintExprs = palloc(sizeof(ExprState *) * planned->ncheck);
		for (i = 0; i < planned->ncheck; i++)
			t->rri->ri_ConstraintExprs[i] = ExecInitExpr(planned->checks[i], NULL);
	}
	for (i = 0; i < t->rri->ri_NumIndices; i++)
	{
		IndexInfo  *ii = t->rri->ri_IndexRelationInfo[i];

		if (ii->ii_Predicate != NIL && ii->ii_PredicateState == NULL)
			ii->ii_PredicateState = ExecInitQual(ii->ii_Predicate, NULL);
	}
	if (submit_bulk_only_fkey_trigger(rel->trigdesc))
		t->rri->ri_TrigDesc = NULL;

	AfterTriggerBeginQuery();
	t->transition = MakeTransitionCaptureState(t->rri->ri_TrigDesc, t->relid, CMD_INSERT);
	ExecBSInsertTriggers(t->estate, t->rri);

	/* the defaults of the columns not set, as the rewriter adds them */
	t->defvalues = palloc0(sizeof(Datum) * desc->natts);
	t->defnulls = palloc(sizeof(bool) * desc->natts);
	t->volatile_defs = palloc0(sizeof(ExprState *) * desc->natts);
	econtext = GetPerTupleExprContext(t->estate);
	for (i = 0; i < desc->natts; i++)
	{
		Form_pg_attribute att = TupleDescAttr(desc, i);
		ExprState  *state;

		t->defnulls[i] = true;
		if (planned->defaults[i] == NULL)
			continue;
		state = ExecInitExpr(planned->defaults[i], NULL);
		if (planned->volatile_def[i])
			t->volatile_defs[i] = state;
		else
		{
			t->defvalues[i] = ExecEvalExpr(state, econtext, &t->defnulls[i]);
			if (!t->defnulls[i])
				t->defvalues[i] = datumCopy(t->defvalues[i], att->attbyval, att->attlen);
		}
		if (strcmp(NameStr(att->attname), "owner") == 0 && t->rls)
			t->owner_attnum = i + 1;
	}
	ResetPerTupleExprContext(t->estate);

	t->slots = palloc(sizeof(TupleTableSlot *) * nslots);
	for (i = 0; i < nslots; i++)
		t->slots[i] = ExecInitExtraTupleSlot(t->estate, desc, &TTSOpsVirtual);
	t->bistate = GetBulkInsertState();
	t->chunkcxt = AllocSetContextCreate(CurrentMemoryContext, "sage submit chunk",
										ALLOCSET_DEFAULT_SIZES);
}

/*
 * Inserts the rows of a table begun by submit_bulk_begin, a chunk at a
 * time: tuples formed and checked, multi-inserted, then indexed and
 * handed to the AFTER ROW triggers and transition tables.
 */
static void
submit_bulk_rows(SubmitBulkTable *t, const SageSubmitRows *rows, SubmitBulkFill fill)
{
	Relation	rel = t->rri->ri_RelationDesc;
	TupleDesc	desc = RelationGetDescr(rel);
	bool		constrained = desc->constr != NULL;
	Datum		values[1 + SAGE_SUBMIT_NCOLS];
	bool		nulls[1 + SAGE_SUBMIT_NCOLS];
	int			start;

	for (start = 0; start < rows->n; start += SUBMIT_BULK_CHUNK)
	{
		int			k = Min(SUBMIT_BULK_CHUNK, rows->n - start);
		MemoryContext oldcxt = MemoryContextSwitchTo(t->chunkcxt);
		ExprContext *econtext = GetPerTupleExprContext(t->estate);
		int			i;
		int			j;

		for (i = 0; i < k; i++)
		{
			TupleTableSlot *slot = t->slots[i];

			ExecClearTuple(slot);
			memcpy(slot->tts_values, t->defvalues, sizeof(Datum) * desc->natts);
			memcpy(slot->tts_isnull, t->defnulls, sizeof(bool) * desc->natts);
			for (j = 0; j < desc->natts; j++)
				if (t->volatile_defs[j] != NULL)
					slot->tts_values[j] = ExecEvalExpr(t->volatile_defs[j], econtext,
													   &slot->tts_isnull[j]);
			fill(rows, start + i, values, nulls);
			for (j = 0; j < t->ncols; j++)
			{
				slot->tts_values[t->attnums[j] - 1] = values[j];
				slot->tts_isnull[t->attnums[j] - 1] = nulls[j];
			}
			ExecStoreVirtualTuple(slot);
			if (t->owner_attnum != 0 &&
				(slot->tts_isnull[t->owner_attnum - 1] ||
				 DatumGetObjectId(slot->tts_values[t->owner_attnum - 1]) != GetUserId()))
				ereport(ERROR,
						errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
						errmsg("new row violates row-level security policy for table \"%s\"",
							   RelationGetRelationName(rel)));
			if (constrained)
				ExecConstraints(t->rri, slot, t->estate);
		}
		table_multi_insert(rel, t->slots, k, t->estate->es_output_cid, 0, t->bistate);
		for (i = 0; i < k; i++)
		{
			List	   *recheck = NIL;

			if (t->rri->ri_NumIndices > 0)
				recheck = ExecInsertIndexTuples(t->rri, t->slots[i], t->estate,
												false, false, NULL, NIL);
			ExecARInsertTriggers(t->estate, t->rri, t->slots[i], recheck,
								 t->transition);
			list_free(recheck);
			ResetPerTupleExprContext(t->estate);
		}
		MemoryContextSwitchTo(oldcxt);
		for (i = 0; i < k; i++)
			ExecClearTuple(t->slots[i]);
		MemoryContextReset(t->chunkcxt);
	}
}

/*
 * Ends the insertion into a table: AFTER STATEMENT triggers fired (with the
 * transition tables), the queued AFTER triggers run, everything closed.
 */
static void
submit_bulk_end(SubmitBulkTable *t)
{
	ExecASInsertTriggers(t->estate, t->rri, t->transition);
	AfterTriggerEndQuery(t->estate);
	FreeBulkInsertState(t->bistate);
	table_finish_bulk_insert(t->rri->ri_RelationDesc, 0);
	ExecResetTupleTable(t->estate->es_tupleTable, false);
	ExecCloseResultRelations(t->estate);
	ExecCloseRangeTableRelations(t->estate);
	FreeExecutorState(t->estate);
	MemoryContextDelete(t->chunkcxt);
}

/* Row i of sage.executions: its id, then the call's shared values. */
static void
submit_bulk_exec_row(const SageSubmitRows *rows, int i, Datum *values, bool *nulls)
{
	values[0] = UUIDPGetDatum(&rows->ids[i]);
	nulls[0] = false;
	memcpy(values + 1, rows->values, sizeof(Datum) * SAGE_SUBMIT_NCOLS);
	memcpy(nulls + 1, rows->nulls, sizeof(bool) * SAGE_SUBMIT_NCOLS);
}

/* The text 'in', the role of every submitted file. */
static Datum submit_bulk_role_in;

/* Row i of sage.execution_files: the input file of execution i. */
static void
submit_bulk_file_row(const SageSubmitRows *rows, int i, Datum *values, bool *nulls)
{
	values[0] = UUIDPGetDatum(&rows->ids[i]);
	values[1] = submit_bulk_role_in;
	values[2] = rows->names[i];
	values[3] = Int32GetDatum(1);
	values[4] = Int64GetDatum((int64) VARSIZE_ANY_EXHDR(DatumGetPointer(rows->files[i])));
	values[5] = rows->shas[i];
	values[6] = rows->files[i];
	memset(nulls, 0, sizeof(bool) * 7);
}

/*
 * The values shared by the executions of a call (configuration, options,
 * ...), each stored once per execution: a value kept out of line is
 * fetched once here rather than once per row, and a long one compressed
 * once here, as the toaster would compress it only in rows over 2 kB. A
 * 1 kB configuration then costs about half its size in each row and in
 * the WAL; whoever reads it sees the same text.
 */
static void
submit_bulk_shared_values(SubmitBulkTable *exec, SageSubmitRows *r)
{
	Relation	rel = table_open(exec->relid, NoLock);
	int			i;

	for (i = 0; i < SAGE_SUBMIT_NCOLS; i++)
	{
		Form_pg_attribute att = TupleDescAttr(RelationGetDescr(rel),
											  exec->attnums[i + 1] - 1);
		Datum		v = r->values[i];
		Datum		c;

		if (r->nulls[i] || att->attlen != -1)
			continue;
		if (VARATT_IS_EXTERNAL(DatumGetPointer(v)))
			v = PointerGetDatum(PG_DETOAST_DATUM_PACKED(v));
		if ((att->attstorage == TYPSTORAGE_EXTENDED ||
			 att->attstorage == TYPSTORAGE_MAIN) &&
			!VARATT_IS_EXTENDED(DatumGetPointer(v)) &&
			VARSIZE(DatumGetPointer(v)) > SUBMIT_BULK_COMPRESS_MIN)
		{
			c = toast_compress_datum(v, CompressionMethodIsValid(att->attcompression) ?
									 att->attcompression : default_toast_compression);
			if (DatumGetPointer(c) != NULL)
				v = c;
		}
		r->values[i] = v;
	}
	table_close(rel, NoLock);
}

/*
 * sage_submit_bulk_insert: see submit_internal.h. The executions first,
 * made visible, then their files: the same two steps, in the same order,
 * as the two INSERT statements.
 */
bool
sage_submit_bulk_insert(const SageSubmitRows *rows)
{
	SubmitBulkTable exec;
	SubmitBulkTable files;
	SageSubmitRows shared = *rows;
	Oid			nsp;
	AclResult	acl;
	int			nslots = Min(Max(rows->n, 1), SUBMIT_BULK_CHUNK);

	memset(&exec, 0, sizeof(exec));
	memset(&files, 0, sizeof(files));
	nsp = get_namespace_oid("sage", false);
	acl = pg_namespace_aclcheck(nsp, GetUserId(), ACL_USAGE);
	if (acl != ACLCHECK_OK)
		aclcheck_error(acl, OBJECT_SCHEMA, "sage");

	exec.policy = "executions_owner";
	exec.ncols = 1 + SAGE_SUBMIT_NCOLS;
	exec.colnames = submit_exec_cols;
	files.policy = "execution_files_owner";
	files.cache_slot = 1;
	files.ncols = 7;
	files.colnames = submit_file_cols;
	if (!submit_bulk_open(&exec, nsp, "executions") ||
		!submit_bulk_open(&files, nsp, "execution_files"))
		return false;
	if (rows->n == 0)
		return true;
	if (submit_bulk_role_in == (Datum) 0)
	{
		MemoryContext oldcxt = MemoryContextSwitchTo(TopMemoryContext);

		submit_bulk_role_in = PointerGetDatum(cstring_to_text("in"));
		MemoryContextSwitchTo(oldcxt);
	}

	submit_bulk_shared_values(&exec, &shared);

	CommandCounterIncrement();
	submit_bulk_begin(&exec, nslots);
	submit_bulk_rows(&exec, &shared, submit_bulk_exec_row);
	submit_bulk_end(&exec);
	CommandCounterIncrement();
	submit_bulk_begin(&files, nslots);
	submit_bulk_rows(&files, rows, submit_bulk_file_row);
	submit_bulk_end(&files);
	CommandCounterIncrement();
	return true;
}
