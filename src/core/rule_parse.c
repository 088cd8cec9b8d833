/*-------------------------------------------------------------------------
 *
 * src/core/rule_parse.c
 *		Recursive-descent parser of the rule language: the expression
 *		grammar of Python (precedence and associativity included), without
 *		statements, comprehensions, starred or walrus expressions.
 *
 * Python precedence, lowest first: lambda; a if c else b; or; and; not;
 * comparisons (chained); |; ^; &; + -; * / (floor division) %; unary + - ~; **; calls,
 * subscripts and attributes. Keeping it exact matters: in
 * "df['a'] > 0 & df['b'] < 5" the & binds first, as in pandas, and the
 * type checker explains the mistake.
 *
 * Every node records the height of its subtree; a tree deeper than
 * RULE_MAX_DEPTH is refused, which bounds the recursion of the parser, the
 * type checker and the evaluator (a long left-associative chain such as
 * "a+a+a+..." is refused as well, not only deep parentheses).
 *
 *-------------------------------------------------------------------------
 */
#include "rule_internal.h"

#include <string.h>

/* Parser state: lexer plus one token of look-ahead. */
typedef struct RuleParser
{
	RuleLexer	lx;				/* token source */
	RuleToken	tok;			/* current token */
	int			depth;			/* recursion depth of parse functions */
	SageError  *err;			/* refusals */
	const char *text;			/* the expression */
} RuleParser;

static RuleAst *parse_expr(RuleParser *p);

/* Offset of the leftmost token of a construct (where it starts). */
size_t
sage_rule_ast_start(const RuleAst *n)
{
	while (n != NULL)
	{
		switch (n->kind)
		{
			case AST_ATTR:
			case AST_SUBSCRIPT:
			case AST_CALL:
			case AST_BINARY:
			case AST_BOOLOP:
			case AST_IFEXP:
				n = n->a;
				continue;
			case AST_COMPARE:
				n = n->items[0];
				continue;
			default:
				return n->off;
		}
	}
	return 0;
}
static RuleAst *parse_or(RuleParser *p);
static RuleAst *parse_bitor(RuleParser *p);
static RuleAst *parse_factor(RuleParser *p);

/* Advances to the next token. */
static int
parse_advance(RuleParser *p)
{
	return sage_rule_lex_next(&p->lx, &p->tok);
}

static bool
parse_is_op(RuleParser *p, int op)
{
	return p->tok.kind == TOK_OP && p->tok.op == op;
}

static bool
parse_is_kw(RuleParser *p, int kw)
{
	return p->tok.kind == TOK_KW && p->tok.op == kw;
}

/* "unexpected ..." for the current token. */
static RuleAst *
parse_unexpected(RuleParser *p)
{
	switch (p->tok.kind)
	{
		case TOK_END:
			sage_rule_error_at(p->err, p->text, p->tok.off, "unexpected end of expression");
			break;
		case TOK_NAME:
			sage_rule_error_at(p->err, p->text, p->tok.off, "unexpected name \"%s\"", p->tok.str);
			break;
		case TOK_INT:
		case TOK_FLOAT:
			sage_rule_error_at(p->err, p->text, p->tok.off, "unexpected number");
			break;
		case TOK_STR:
			sage_rule_error_at(p->err, p->text, p->tok.off, "unexpected string literal");
			break;
		default:
			sage_rule_error_at(p->err, p->text, p->tok.off, "unexpected token \"%s\"",
							   sage_rule_tok_spelling(p->tok.op));
			break;
	}
	return NULL;
}

/* Consumes the operator op or fails with "expected ...". */
static int
parse_expect(RuleParser *p, int op)
{
	if (!parse_is_op(p, op))
	{
		if (p->tok.kind == TOK_END)
			return sage_rule_error_at(p->err, p->text, p->tok.off,
									  "unexpected end of expression, expected \"%s\"",
									  sage_rule_tok_spelling(op));
		parse_unexpected(p);
		sage_error_hint(p->err, "Expected \"%s\" here.", sage_rule_tok_spelling(op));
		return -1;
	}
	return parse_advance(p);
}

/* A new node; its depth is computed by parse_finish. */
static RuleAst *
parse_node(RuleParser *p, RuleAstKind kind, size_t off)
{
	RuleAst    *n = sage_alloc0(p->lx.arena, sizeof(RuleAst));

	if (n == NULL)
	{
		sage_error_memory(p->err, NULL);
		return NULL;
	}
	n->kind = kind;
	n->off = off;
	n->depth = 1;
	return n;
}

/* Sets the node's height from its children and enforces the cap. */
static RuleAst *
parse_finish(RuleParser *p, RuleAst *n)
{
	int			d = 0;

	if (n == NULL)
		return NULL;
	if (n->a && n->a->depth > d)
		d = n->a->depth;
	if (n->b && n->b->depth > d)
		d = n->b->depth;
	if (n->c && n->c->depth > d)
		d = n->c->depth;
	for (int i = 0; i < n->nitems; i++)
		if (n->items[i]->depth > d)
			d = n->items[i]->depth;
	for (int i = 0; i < n->nkw; i++)
		if (n->kwvals[i]->depth > d)
			d = n->kwvals[i]->depth;
	n->depth = d + 1;
	if (n->depth > RULE_MAX_DEPTH)
	{
		sage_rule_error_at(p->err, p->text, n->off, "expression is nested too deeply");
		sage_error_hint(p->err, "A rule may nest at most %d levels.", RULE_MAX_DEPTH);
		return NULL;
	}
	return n;
}

/* Growable array of child pointers during parsing. */
typedef struct ParseList
{
	RuleAst   **items;			/* children */
	int			n;				/* used */
	int			cap;			/* allocated */
} ParseList;

static int
parse_list_add(RuleParser *p, ParseList *l, RuleAst *item)
{
	if (l->n == l->cap)
	{
		int			ncap = l->cap ? l->cap * 2 : 4;
		RuleAst   **ni = sage_realloc(p->lx.arena, l->items,
									  sizeof(RuleAst *) * (size_t) l->cap,
									  sizeof(RuleAst *) * (size_t) ncap);

		if (ni == NULL)
			return sage_error_memory(p->err, NULL);
		l->items = ni;
		l->cap = ncap;
	}
	l->items[l->n++] = item;
	return 0;
}

/* Guards the recursion of parse functions (parentheses, unary chains). */
static bool
parse_enter(RuleParser *p)
{
	if (++p->depth > RULE_MAX_DEPTH)
	{
		sage_rule_error_at(p->err, p->text, p->tok.off, "expression is nested too deeply");
		sage_error_hint(p->err, "A rule may nest at most %d levels.", RULE_MAX_DEPTH);
		return false;
	}
	return true;
}

/*
 * parse_sequence
 *		Items up to the closing operator close, comma separated, with an
 *		optional trailing comma. *had_comma reports whether any comma was
 *		seen (a parenthesised single item is not a tuple).
 */
static int
parse_sequence(RuleParser *p, int close, ParseList *l, bool *had_comma)
{
	*had_comma = false;
	while (!parse_is_op(p, close))
	{
		RuleAst    *item = parse_expr(p);

		if (item == NULL || parse_list_add(p, l, item) < 0)
			return -1;
		if (parse_is_op(p, OPT_COMMA))
		{
			*had_comma = true;
			if (parse_advance(p) < 0)
				return -1;
			continue;
		}
		if (!parse_is_op(p, close))
		{
			if (p->tok.kind == TOK_END)
				return sage_rule_error_at(p->err, p->text, p->tok.off,
										  "unexpected end of expression, expected \"%s\"",
										  sage_rule_tok_spelling(close));
			parse_unexpected(p);
			sage_error_hint(p->err, "Expected \",\" or \"%s\" here.",
							sage_rule_tok_spelling(close));
			return -1;
		}
	}
	return parse_advance(p);
}

/* atom: name, literal, (expr), (tuple), [list], {set} */
static RuleAst *
parse_atom(RuleParser *p)
{
	RuleToken	t = p->tok;
	RuleAst    *n;

	switch (t.kind)
	{
		case TOK_NAME:
			n = parse_node(p, AST_NAME, t.off);
			if (n == NULL)
				return NULL;
			n->str = t.str;
			n->len = t.len;
			if (parse_advance(p) < 0)
				return NULL;
			return n;
		case TOK_INT:
			n = parse_node(p, AST_INT, t.off);
			if (n == NULL)
				return NULL;
			n->ival = t.ival;
			if (parse_advance(p) < 0)
				return NULL;
			return n;
		case TOK_FLOAT:
			n = parse_node(p, AST_FLOAT, t.off);
			if (n == NULL)
				return NULL;
			n->fval = t.fval;
			if (parse_advance(p) < 0)
				return NULL;
			return n;
		case TOK_STR:
			{
				/* adjacent literals concatenate: 'a' 'b' */
				char	   *s = (char *) t.str;
				size_t		len = t.len;

				n = parse_node(p, AST_STR, t.off);
				if (n == NULL)
					return NULL;
				if (parse_advance(p) < 0)
					return NULL;
				while (p->tok.kind == TOK_STR)
				{
					char	   *ns = sage_alloc(p->lx.arena, len + p->tok.len + 1);

					if (ns == NULL)
					{
						sage_error_memory(p->err, NULL);
						return NULL;
					}
					memcpy(ns, s, len);
					memcpy(ns + len, p->tok.str, p->tok.len + 1);
					s = ns;
					len += p->tok.len;
					if (parse_advance(p) < 0)
						return NULL;
				}
				n->str = s;
				n->len = len;
				return n;
			}
		case TOK_KW:
			if (t.op == KW_TRUE || t.op == KW_FALSE)
			{
				n = parse_node(p, AST_BOOL, t.off);
				if (n == NULL)
					return NULL;
				n->ival = t.op == KW_TRUE;
				if (parse_advance(p) < 0)
					return NULL;
				return n;
			}
			if (t.op == KW_NONE)
			{
				n = parse_node(p, AST_NONE, t.off);
				if (n == NULL || parse_advance(p) < 0)
					return NULL;
				return n;
			}
			return parse_unexpected(p);
		case TOK_OP:
			if (t.op == OPT_LPAR || t.op == OPT_LBRACK || t.op == OPT_LBRACE)
			{
				int			close = t.op == OPT_LPAR ? OPT_RPAR :
					(t.op == OPT_LBRACK ? OPT_RBRACK : OPT_RBRACE);
				ParseList	l = {NULL, 0, 0};
				bool		had_comma;

				if (parse_advance(p) < 0)
					return NULL;
				if (parse_sequence(p, close, &l, &had_comma) < 0)
					return NULL;
				if (t.op == OPT_LPAR && l.n == 1 && !had_comma)
					return l.items[0];	/* parentheses only group */
				if (t.op == OPT_LBRACE && l.n == 0)
				{
					sage_rule_error_at(p->err, p->text, t.off, "dict literals are not supported");
					return NULL;
				}
				n = parse_node(p, t.op == OPT_LPAR ? AST_TUPLE :
							   (t.op == OPT_LBRACK ? AST_LIST : AST_SET), t.off);
				if (n == NULL)
					return NULL;
				n->nitems = l.n;
				n->items = l.items;
				return parse_finish(p, n);
			}
			return parse_unexpected(p);
		default:
			return parse_unexpected(p);
	}
}

/* Call arguments after "(": positional then keyword (name=value). */
static RuleAst *
parse_call(RuleParser *p, RuleAst *callee, size_t off)
{
	RuleAst    *n = parse_node(p, AST_CALL, off);
	ParseList	args = {NULL, 0, 0};
	ParseList	kwvals = {NULL, 0, 0};
	const char **kwnames = NULL;
	size_t	   *kwoffs = NULL;
	int			kwcap = 0;

	if (n == NULL)
		return NULL;
	n->a = callee;
	if (parse_advance(p) < 0)
		return NULL;
	while (!parse_is_op(p, OPT_RPAR))
	{
		if (parse_is_op(p, OPT_STAR) || parse_is_op(p, OPT_POW))
		{
			sage_rule_error_at(p->err, p->text, p->tok.off, "unpacking arguments is not supported");
			return NULL;
		}
		if (p->tok.kind == TOK_NAME)
		{
			/* look ahead for name '=' (but not '==') */
			RuleLexer	save = p->lx;
			RuleToken	name = p->tok;
			RuleToken	next;

			if (sage_rule_lex_next(&p->lx, &next) < 0)
				return NULL;
			if (next.kind == TOK_OP && next.op == OPT_ASSIGN)
			{
				RuleAst    *v;

				p->tok = next;
				if (parse_advance(p) < 0)
					return NULL;
				v = parse_expr(p);
				if (v == NULL)
					return NULL;
				for (int k = 0; k < kwvals.n; k++)
					if (strcmp(kwnames[k], name.str) == 0)
					{
						sage_rule_error_at(p->err, p->text, name.off,
										   "keyword argument \"%s\" repeated", name.str);
						return NULL;
					}
				if (kwvals.n == kwcap)
				{
					int			ncap = kwcap ? kwcap * 2 : 4;

					kwnames = sage_realloc(p->lx.arena, kwnames, sizeof(char *) * (size_t) kwcap,
										   sizeof(char *) * (size_t) ncap);
					kwoffs = sage_realloc(p->lx.arena, kwoffs, sizeof(size_t) * (size_t) kwcap,
										  sizeof(size_t) * (size_t) ncap);
					if (kwnames == NULL || kwoffs == NULL)
					{
						sage_error_memory(p->err, NULL);
						return NULL;
					}
					kwcap = ncap;
				}
				kwnames[kwvals.n] = name.str;
				kwoffs[kwvals.n] = name.off;
				if (parse_list_add(p, &kwvals, v) < 0)
					return NULL;
				goto next_arg;
			}
			p->lx = save;
			p->tok = name;
		}
		if (kwvals.n > 0)
		{
			sage_rule_error_at(p->err, p->text, p->tok.off,
							   "positional argument follows keyword argument");
			return NULL;
		}
		{
			RuleAst    *v = parse_expr(p);

			if (v == NULL || parse_list_add(p, &args, v) < 0)
				return NULL;
		}
next_arg:
		if (parse_is_op(p, OPT_COMMA))
		{
			if (parse_advance(p) < 0)
				return NULL;
			continue;
		}
		if (!parse_is_op(p, OPT_RPAR))
		{
			if (p->tok.kind == TOK_END)
			{
				sage_rule_error_at(p->err, p->text, p->tok.off,
								   "unexpected end of expression, expected \")\"");
				return NULL;
			}
			parse_unexpected(p);
			sage_error_hint(p->err, "Expected \",\" or \")\" here.");
			return NULL;
		}
	}
	if (parse_advance(p) < 0)
		return NULL;
	n->nitems = args.n;
	n->items = args.items;
	n->nkw = kwvals.n;
	n->kwvals = kwvals.items;
	n->kwnames = kwnames;
	n->kwoffs = kwoffs;
	return parse_finish(p, n);
}

/*
 * parse_slice
 *		The rest of a slice "start:stop:step" inside brackets, the current
 *		token being the first colon; start was parsed already (or is NULL).
 *		Only the type checker decides where a slice is allowed (.str[...]
 *		and strings inside a lambda), so the node keeps every part.
 */
static RuleAst *
parse_slice(RuleParser *p, RuleAst *start)
{
	RuleAst    *sl = parse_node(p, AST_SLICE, p->tok.off);

	if (sl == NULL || parse_advance(p) < 0)
		return NULL;
	sl->a = start;
	if (!parse_is_op(p, OPT_COLON) && !parse_is_op(p, OPT_RBRACK))
	{
		sl->b = parse_expr(p);
		if (sl->b == NULL)
			return NULL;
	}
	if (parse_is_op(p, OPT_COLON))
	{
		if (parse_advance(p) < 0)
			return NULL;
		if (!parse_is_op(p, OPT_RBRACK))
		{
			sl->c = parse_expr(p);
			if (sl->c == NULL)
				return NULL;
		}
	}
	return parse_finish(p, sl);
}

/* primary: atom followed by calls, subscripts and attributes */
static RuleAst *
parse_primary(RuleParser *p)
{
	RuleAst    *n = parse_atom(p);

	while (n != NULL)
	{
		size_t		off = p->tok.off;

		if (parse_is_op(p, OPT_LPAR))
			n = parse_call(p, n, off);
		else if (parse_is_op(p, OPT_LBRACK))
		{
			RuleAst    *s = parse_node(p, AST_SUBSCRIPT, sage_rule_ast_start(n));

			if (s == NULL || parse_advance(p) < 0)
				return NULL;
			s->a = n;
			if (!parse_is_op(p, OPT_COLON))
			{
				s->b = parse_expr(p);
				if (s->b == NULL)
					return NULL;
			}
			if (parse_is_op(p, OPT_COLON))
			{
				s->b = parse_slice(p, s->b);
				if (s->b == NULL)
					return NULL;
			}
			if (parse_is_op(p, OPT_COMMA))
			{
				sage_rule_error_at(p->err, p->text, p->tok.off,
								   "subscripts with several indexes are not supported");
				return NULL;
			}
			if (parse_expect(p, OPT_RBRACK) < 0)
				return NULL;
			n = parse_finish(p, s);
		}
		else if (parse_is_op(p, OPT_DOT))
		{
			RuleAst    *a;

			if (parse_advance(p) < 0)
				return NULL;
			if (p->tok.kind != TOK_NAME)
			{
				if (p->tok.kind == TOK_KW)
				{
					sage_rule_error_at(p->err, p->text, p->tok.off,
									   "unexpected keyword \"%s\" after \".\"",
									   sage_rule_tok_spelling(p->tok.op));
					return NULL;
				}
				return parse_unexpected(p);
			}
			a = parse_node(p, AST_ATTR, sage_rule_ast_start(n));
			if (a == NULL)
				return NULL;
			a->a = n;
			a->str = p->tok.str;
			a->str_off = p->tok.off;
			if (parse_advance(p) < 0)
				return NULL;
			n = parse_finish(p, a);
		}
		else
			break;
	}
	return n;
}

/* power: primary ['**' factor] (right associative, binds tighter than unary on its left) */
static RuleAst *
parse_power(RuleParser *p)
{
	RuleAst    *base = parse_primary(p);

	if (base != NULL && parse_is_op(p, OPT_POW))
	{
		RuleAst    *n = parse_node(p, AST_BINARY, p->tok.off);

		if (n == NULL || parse_advance(p) < 0)
			return NULL;
		n->op = OPT_POW;
		n->a = base;
		if (!parse_enter(p))
			return NULL;
		n->b = parse_factor(p);
		p->depth--;
		if (n->b == NULL)
			return NULL;
		return parse_finish(p, n);
	}
	return base;
}

/* factor: ('+'|'-'|'~') factor | power */
static RuleAst *
parse_factor(RuleParser *p)
{
	if (parse_is_op(p, OPT_MINUS) || parse_is_op(p, OPT_PLUS) || parse_is_op(p, OPT_TILDE))
	{
		RuleAst    *n = parse_node(p, AST_UNARY, p->tok.off);

		if (n == NULL)
			return NULL;
		n->op = p->tok.op;
		if (parse_advance(p) < 0 || !parse_enter(p))
			return NULL;
		n->a = parse_factor(p);
		p->depth--;
		if (n->a == NULL)
			return NULL;
		return parse_finish(p, n);
	}
	return parse_power(p);
}

/* Left-associative binary levels, from tightest: term, arith, &, ^, |. */
static RuleAst *
parse_binary_level(RuleParser *p, int level)
{
	static const int level_ops[5][4] = {
		{OPT_STAR, OPT_SLASH, OPT_DSLASH, OPT_PERCENT},
		{OPT_PLUS, OPT_MINUS, 0, 0},
		{OPT_AMP, 0, 0, 0},
		{OPT_CARET, 0, 0, 0},
		{OPT_PIPE, 0, 0, 0}
	};
	RuleAst    *left = level == 0 ? parse_factor(p) : parse_binary_level(p, level - 1);

	while (left != NULL && p->tok.kind == TOK_OP)
	{
		int			op = p->tok.op;
		bool		found = false;
		RuleAst    *n;

		for (int k = 0; k < 4; k++)
			if (level_ops[level][k] == op && op != 0)
				found = true;
		if (!found)
			break;
		n = parse_node(p, AST_BINARY, p->tok.off);
		if (n == NULL || parse_advance(p) < 0)
			return NULL;
		n->op = op;
		n->a = left;
		n->b = level == 0 ? parse_factor(p) : parse_binary_level(p, level - 1);
		if (n->b == NULL)
			return NULL;
		left = parse_finish(p, n);
	}
	return left;
}

static RuleAst *
parse_bitor(RuleParser *p)
{
	return parse_binary_level(p, 4);
}

/* comparison: bitor (compop bitor)* */
static RuleAst *
parse_comparison(RuleParser *p)
{
	RuleAst    *first = parse_bitor(p);
	ParseList	operands = {NULL, 0, 0};
	int		   *ops = NULL;
	int			nops = 0;
	int			opcap = 0;
	size_t		off = 0;

	if (first == NULL)
		return NULL;
	for (;;)
	{
		int			op = 0;
		size_t		opoff = p->tok.off;
		RuleAst    *right;

		if (p->tok.kind == TOK_OP &&
			(p->tok.op == OPT_EQ || p->tok.op == OPT_NE || p->tok.op == OPT_LT ||
			 p->tok.op == OPT_LE || p->tok.op == OPT_GT || p->tok.op == OPT_GE))
			op = p->tok.op;
		else if (parse_is_kw(p, KW_IN))
			op = KW_IN;
		else if (parse_is_kw(p, KW_IS))
			op = KW_IS;
		else if (parse_is_kw(p, KW_NOT))
		{
			/* "not in" */
			RuleLexer	save = p->lx;
			RuleToken	next;

			if (sage_rule_lex_next(&p->lx, &next) < 0)
				return NULL;
			p->lx = save;
			if (next.kind == TOK_KW && next.op == KW_IN)
				op = CMP_NOT_IN;
		}
		if (op == 0)
			break;
		if (parse_advance(p) < 0)
			return NULL;
		if (op == CMP_NOT_IN && parse_advance(p) < 0)
			return NULL;
		if (op == KW_IS && parse_is_kw(p, KW_NOT))
		{
			op = CMP_IS_NOT;
			if (parse_advance(p) < 0)
				return NULL;
		}
		if (operands.n == 0)
		{
			off = opoff;
			if (parse_list_add(p, &operands, first) < 0)
				return NULL;
		}
		right = parse_bitor(p);
		if (right == NULL || parse_list_add(p, &operands, right) < 0)
			return NULL;
		if (nops == opcap)
		{
			int			ncap = opcap ? opcap * 2 : 4;

			ops = sage_realloc(p->lx.arena, ops, sizeof(int) * (size_t) opcap,
							   sizeof(int) * (size_t) ncap);
			if (ops == NULL)
			{
				sage_error_memory(p->err, NULL);
				return NULL;
			}
			opcap = ncap;
		}
		ops[nops++] = op;
	}
	if (operands.n == 0)
		return first;
	{
		RuleAst    *n = parse_node(p, AST_COMPARE, off);

		if (n == NULL)
			return NULL;
		n->nitems = operands.n;
		n->items = operands.items;
		n->ops = ops;
		return parse_finish(p, n);
	}
}

/* not_test: 'not' not_test | comparison */
static RuleAst *
parse_not(RuleParser *p)
{
	if (parse_is_kw(p, KW_NOT))
	{
		RuleAst    *n = parse_node(p, AST_UNARY, p->tok.off);

		if (n == NULL)
			return NULL;
		n->op = KW_NOT;
		if (parse_advance(p) < 0 || !parse_enter(p))
			return NULL;
		n->a = parse_not(p);
		p->depth--;
		if (n->a == NULL)
			return NULL;
		return parse_finish(p, n);
	}
	return parse_comparison(p);
}

/* and_test / or_test: left-associative boolean operators */
static RuleAst *
parse_boolop(RuleParser *p, int kw)
{
	RuleAst    *left = kw == KW_AND ? parse_not(p) : parse_boolop(p, KW_AND);

	while (left != NULL && parse_is_kw(p, kw))
	{
		RuleAst    *n = parse_node(p, AST_BOOLOP, p->tok.off);

		if (n == NULL || parse_advance(p) < 0)
			return NULL;
		n->op = kw;
		n->a = left;
		n->b = kw == KW_AND ? parse_not(p) : parse_boolop(p, KW_AND);
		if (n->b == NULL)
			return NULL;
		left = parse_finish(p, n);
	}
	return left;
}

static RuleAst *
parse_or(RuleParser *p)
{
	return parse_boolop(p, KW_OR);
}

/* expr: lambda | or_test ['if' or_test 'else' expr] */
static RuleAst *
parse_expr(RuleParser *p)
{
	RuleAst    *n;

	if (!parse_enter(p))
		return NULL;
	if (parse_is_kw(p, KW_LAMBDA))
	{
		n = parse_node(p, AST_LAMBDA, p->tok.off);
		if (n == NULL || parse_advance(p) < 0)
			return NULL;
		if (p->tok.kind != TOK_NAME)
		{
			if (parse_is_op(p, OPT_COLON))
				sage_rule_error_at(p->err, p->text, p->tok.off,
								   "a lambda needs exactly one parameter");
			else
				parse_unexpected(p);
			return NULL;
		}
		n->str = p->tok.str;
		n->str_off = p->tok.off;
		if (parse_advance(p) < 0)
			return NULL;
		if (parse_is_op(p, OPT_COMMA))
		{
			sage_rule_error_at(p->err, p->text, p->tok.off,
							   "a lambda needs exactly one parameter");
			return NULL;
		}
		if (parse_expect(p, OPT_COLON) < 0)
			return NULL;
		n->a = parse_expr(p);
		if (n->a == NULL)
			return NULL;
		p->depth--;
		return parse_finish(p, n);
	}
	n = parse_or(p);
	if (n != NULL && parse_is_kw(p, KW_IF))
	{
		RuleAst    *ifn = parse_node(p, AST_IFEXP, p->tok.off);

		if (ifn == NULL || parse_advance(p) < 0)
			return NULL;
		ifn->a = n;
		ifn->b = parse_or(p);
		if (ifn->b == NULL)
			return NULL;
		if (!parse_is_kw(p, KW_ELSE))
		{
			if (p->tok.kind == TOK_END)
				sage_rule_error_at(p->err, p->text, p->tok.off,
								   "unexpected end of expression, expected \"else\"");
			else
			{
				parse_unexpected(p);
				sage_error_hint(p->err, "Expected \"else\" here.");
			}
			return NULL;
		}
		if (parse_advance(p) < 0)
			return NULL;
		ifn->c = parse_expr(p);
		if (ifn->c == NULL)
			return NULL;
		n = parse_finish(p, ifn);
	}
	p->depth--;
	return n;
}

RuleAst *
sage_rule_parse(SageArena *arena, const char *text, SageError *err)
{
	RuleParser	p;
	RuleAst    *root;
	size_t		len = strlen(text);

	memset(&p, 0, sizeof(p));
	p.lx.arena = arena;
	p.lx.text = text;
	p.lx.len = len;
	p.lx.err = err;
	p.err = err;
	p.text = text;
	if (len > RULE_MAX_EXPR_BYTES)
	{
		sage_error_set(err, SAGE_ERR_RULE, "rule is too long (%zu bytes)", len);
		sage_error_hint(err, "A rule may have at most %d bytes.", RULE_MAX_EXPR_BYTES);
		return NULL;
	}
	if (parse_advance(&p) < 0)
		return NULL;
	if (p.tok.kind == TOK_END)
	{
		sage_error_set(err, SAGE_ERR_RULE, "rule is empty");
		return NULL;
	}
	root = parse_expr(&p);
	if (root == NULL)
		return NULL;
	if (p.tok.kind != TOK_END)
	{
		if (parse_is_op(&p, OPT_ASSIGN))
		{
			sage_rule_error_at(err, text, p.tok.off, "assignment is not allowed");
			sage_error_hint(err, "Use \"==\" to compare values.");
			return NULL;
		}
		if (parse_is_op(&p, OPT_COMMA))
		{
			sage_rule_error_at(err, text, p.tok.off, "unexpected token \",\"");
			sage_error_hint(err, "A rule is a single expression.");
			return NULL;
		}
		parse_unexpected(&p);
		return NULL;
	}
	return root;
}
