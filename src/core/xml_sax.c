/*-------------------------------------------------------------------------
 *
 * src/core/xml_sax.c
 *		Streaming SAX parsing with expat, hardened for attacker input.
 *
 * Defences:
 * - any DOCTYPE is refused, so no internal or external entity can ever be
 *   declared (billion laughs, XXE); parameter entities are never parsed;
 * - element nesting is capped at SAGE_XML_MAX_DEPTH;
 * - the bytes read from the stream are capped by the caller's limit;
 * - expat's own memory (which grows with the longest token, e.g. one huge
 *   attribute) is capped at XML_MAX_PARSER_MEMORY through expat's memory
 *   suite. The suite has no user pointer, so the parser being driven is
 *   published in a thread-local variable around every expat call; every
 *   block carries its owner in a header so frees need no context.
 *
 * Input is read straight into expat's buffer (XML_GetBuffer) in
 * XML_CHUNK-byte pieces. A callback may suspend the parser (expat's
 * resumable stop); the next sage_xml_step resumes where it paused.
 *
 *-------------------------------------------------------------------------
 */
#include "xml_internal.h"

#include <expat.h>
#include <stdlib.h>
#include <string.h>

#define XML_CHUNK 65536
#define XML_MAX_PARSER_MEMORY ((size_t) 64 << 20)
/* separator between namespace URI and local name (cannot occur in XML) */
#define XML_NS_SEP '\x01'
static const XML_Char xml_ns_sep[] = {XML_NS_SEP, '\0'};

struct SageXml
{
	XML_Parser	parser;			/* NULL once freed */
	const char *part;			/* document name for messages */
	SageStream	stream;			/* where the bytes come from */
	bool		stream_open;	/* close() still owed */
	uint64_t	max_bytes;		/* limit on bytes read */
	uint64_t	bytes_read;		/* bytes read so far */
	const SageXmlHandlers *h;	/* callbacks */
	void	   *ud;				/* their user data */
	SageError  *err;			/* error of the current step */
	int			depth;			/* current element nesting */
	bool		final_fed;		/* the last buffer was given to expat */
	bool		suspended;		/* a callback paused the parse */
	bool		failed;			/* err is filled (by us or a callback) */
	size_t		mem_used;		/* bytes expat holds */
	bool		mem_refused;	/* an expat allocation hit the cap */
};

/* Header in front of every expat block: owner and size. */
typedef struct XmlBlock
{
	SageXml    *owner;			/* parser charged for the block */
	size_t		size;			/* usable bytes after the header */
} XmlBlock;

#define XML_BLOCK_HEADER ((sizeof(XmlBlock) + 15) & ~(size_t) 15)

/* The parser whose expat call is in progress on this thread. */
static _Thread_local SageXml *xml_current;

/* ----------------------------------------------------- memory accounting */

/*
 * xml_malloc / xml_realloc / xml_free
 *		expat's memory suite: malloc with a per-parser cap.
 */
static void *
xml_malloc(size_t size)
{
	SageXml    *x = xml_current;
	XmlBlock   *b;

	if (x == NULL || size > XML_MAX_PARSER_MEMORY ||
		x->mem_used + size > XML_MAX_PARSER_MEMORY)
	{
		if (x != NULL)
			x->mem_refused = true;
		return NULL;
	}
	b = malloc(XML_BLOCK_HEADER + size);
	if (b == NULL)
		return NULL;
	b->owner = x;
	b->size = size;
	x->mem_used += size;
	return (char *) b + XML_BLOCK_HEADER;
}

static void
xml_free(void *ptr)
{
	XmlBlock   *b;

	if (ptr == NULL)
		return;
	b = (XmlBlock *) ((char *) ptr - XML_BLOCK_HEADER);
	b->owner->mem_used -= b->size;
	free(b);
}

static void *
xml_realloc(void *ptr, size_t size)
{
	XmlBlock   *b;
	XmlBlock   *nb;
	SageXml    *x;

	if (ptr == NULL)
		return xml_malloc(size);
	b = (XmlBlock *) ((char *) ptr - XML_BLOCK_HEADER);
	x = b->owner;
	if (size > XML_MAX_PARSER_MEMORY ||
		x->mem_used - b->size + size > XML_MAX_PARSER_MEMORY)
	{
		x->mem_refused = true;
		return NULL;
	}
	nb = realloc(b, XML_BLOCK_HEADER + size);
	if (nb == NULL)
		return NULL;
	x->mem_used = x->mem_used - nb->size + size;
	nb->size = size;
	return (char *) nb + XML_BLOCK_HEADER;
}

static const XML_Memory_Handling_Suite xml_memsuite = {
	xml_malloc, xml_realloc, xml_free
};

/* ------------------------------------------------------------ callbacks */

/* Local part of an expat "uri<SEP>local" name. */
static const char *
xml_local(const char *name)
{
	const char *sep = strrchr(name, XML_NS_SEP);

	return sep != NULL ? sep + 1 : name;
}

/* Stops the parser for good; err must already be filled. */
static void
xml_stop(SageXml *x)
{
	x->failed = true;
	XML_StopParser(x->parser, XML_FALSE);
}

/*
 * xml_on_start
 *		Caps nesting, then calls the caller's start handler with the local
 *		element name (attribute names keep their namespace; sage_xml_attr
 *		compares local parts).
 */
static void XMLCALL
xml_on_start(void *ud, const XML_Char *name, const XML_Char **attrs)
{
	SageXml    *x = ud;

	if (x->failed)
		return;
	if (++x->depth > SAGE_XML_MAX_DEPTH)
	{
		sage_error_set(x->err, SAGE_ERR_INPUT,
					   "could not read XLSX file: \"%s\" nests elements more than %d levels deep",
					   x->part, SAGE_XML_MAX_DEPTH);
		xml_stop(x);
		return;
	}
	x->h->start(x->ud, xml_local(name), (const char **) attrs);
}

static void XMLCALL
xml_on_end(void *ud, const XML_Char *name)
{
	SageXml    *x = ud;

	if (x->failed)
		return;
	x->depth--;
	x->h->end(x->ud, xml_local(name));
}

static void XMLCALL
xml_on_text(void *ud, const XML_Char *s, int len)
{
	SageXml    *x = ud;

	if (!x->failed && x->h->text != NULL)
		x->h->text(x->ud, s, len);
}

/* Any DOCTYPE is refused before its content can declare anything. */
static void XMLCALL
xml_on_doctype(void *ud, const XML_Char *name, const XML_Char *sysid,
			   const XML_Char *pubid, int has_internal_subset)
{
	SageXml    *x = ud;

	sage_error_set(x->err, SAGE_ERR_INPUT,
				   "could not read XLSX file: \"%s\" contains a document type declaration",
				   x->part);
	sage_error_hint(x->err, "XLSX parts never contain DTDs; the file may have been crafted to attack XML parsers.");
	xml_stop(x);
}

/* Belt and braces: an entity declaration can only come with a DOCTYPE. */
static void XMLCALL
xml_on_entity(void *ud, const XML_Char *name, int is_param, const XML_Char *value,
			  int value_len, const XML_Char *base, const XML_Char *sysid,
			  const XML_Char *pubid, const XML_Char *notation)
{
	SageXml    *x = ud;

	if (!x->failed)
	{
		sage_error_set(x->err, SAGE_ERR_INPUT,
					   "could not read XLSX file: \"%s\" declares an XML entity", x->part);
		xml_stop(x);
	}
}

/* ------------------------------------------------------------ interface */

SageXml *
sage_xml_new(SageArena *arena, const char *part, SageStream stream,
			 uint64_t max_bytes, const SageXmlHandlers *handlers, void *ud,
			 SageError *err)
{
	SageXml    *x = sage_alloc0(arena, sizeof(SageXml));
	SageXml    *saved = xml_current;

	if (x == NULL)
	{
		if (stream.close != NULL)
			stream.close(stream.ctx);
		sage_error_memory(err, NULL);
		return NULL;
	}
	x->part = part;
	x->stream = stream;
	x->stream_open = true;
	x->max_bytes = max_bytes;
	x->h = handlers;
	x->ud = ud;
	xml_current = x;
	x->parser = XML_ParserCreate_MM(NULL, &xml_memsuite, xml_ns_sep);
	xml_current = saved;
	if (x->parser == NULL)
	{
		sage_xml_free(x);
		sage_error_memory(err, NULL);
		return NULL;
	}
	XML_SetUserData(x->parser, x);
	XML_SetElementHandler(x->parser, xml_on_start, xml_on_end);
	XML_SetCharacterDataHandler(x->parser, xml_on_text);
	XML_SetStartDoctypeDeclHandler(x->parser, xml_on_doctype);
	XML_SetEntityDeclHandler(x->parser, xml_on_entity);
	XML_SetParamEntityParsing(x->parser, XML_PARAM_ENTITY_PARSING_NEVER);
	return x;
}

void
sage_xml_free(SageXml *x)
{
	if (x == NULL)
		return;
	if (x->parser != NULL)
	{
		SageXml    *saved = xml_current;

		xml_current = x;
		XML_ParserFree(x->parser);
		xml_current = saved;
		x->parser = NULL;
	}
	if (x->stream_open && x->stream.close != NULL)
		x->stream.close(x->stream.ctx);
	x->stream_open = false;
}

/*
 * xml_expat_error
 *		Turns expat's error state into a SageError (unless a callback or a
 *		limit already filled one).
 */
static int
xml_expat_error(SageXml *x, SageError *err)
{
	enum XML_Error code = XML_GetErrorCode(x->parser);

	if (x->failed)
		return -1;
	x->failed = true;
	if (code == XML_ERROR_NO_MEMORY)
	{
		sage_error_memory(err, NULL);
		if (x->mem_refused)
			sage_error_detail(err, "The XML parser needed more than %zu MB for \"%s\".",
							  XML_MAX_PARSER_MEMORY >> 20, x->part);
		return -1;
	}
	sage_error_set(err, SAGE_ERR_INPUT,
				   "could not read XLSX file: invalid XML in \"%s\" at line %lu, column %lu: %s",
				   x->part, (unsigned long) XML_GetCurrentLineNumber(x->parser),
				   (unsigned long) XML_GetCurrentColumnNumber(x->parser) + 1,
				   XML_ErrorString(code));
	return -1;
}

/*
 * xml_feed
 *		Reads the next chunk of the stream into expat's buffer and parses
 *		it. Returns expat's status, or -1 with err filled when reading
 *		failed or the size limit was passed.
 */
static int
xml_feed(SageXml *x, SageError *err)
{
	void	   *buf = XML_GetBuffer(x->parser, XML_CHUNK);
	size_t		want = XML_CHUNK;
	long		n;

	if (buf == NULL)
		return xml_expat_error(x, err);
	/* never read more than one byte past the limit */
	if (x->max_bytes > 0 && x->max_bytes - x->bytes_read < want)
		want = (size_t) (x->max_bytes - x->bytes_read) + 1;
	n = x->stream.read(x->stream.ctx, buf, want, err);
	if (n < 0)
	{
		x->failed = true;
		return -1;
	}
	x->bytes_read += (uint64_t) n;
	if (x->max_bytes > 0 && x->bytes_read > x->max_bytes)
	{
		x->failed = true;
		sage_error_set(err, SAGE_ERR_LIMIT, "XLSX part \"%s\" exceeds the size limit",
					   x->part);
		sage_error_detail(err, "It expands to more than %llu bytes.",
						  (unsigned long long) x->max_bytes);
		sage_error_hint(err, "Split the data into smaller workbooks.");
		return -1;
	}
	if (n == 0)
		x->final_fed = true;
	return (int) XML_ParseBuffer(x->parser, (int) n, n == 0);
}

int
sage_xml_step(SageXml *x, SageError *err)
{
	SageXml    *saved = xml_current;
	int			rc = 0;

	if (x->failed || x->parser == NULL)
	{
		if (x->failed)
			return sage_error_set(err, SAGE_ERR_INPUT,
								  "could not read XLSX file: \"%s\" already failed", x->part);
		return 0;
	}
	x->err = err;
	xml_current = x;
	for (;;)
	{
		int			status;

		if (x->suspended)
		{
			x->suspended = false;
			status = (int) XML_ResumeParser(x->parser);
		}
		else if (x->final_fed)
		{
			rc = 0;
			break;
		}
		else
			status = xml_feed(x, err);

		if (x->failed || status == XML_STATUS_ERROR || status < 0)
		{
			rc = xml_expat_error(x, err);
			break;
		}
		if (status == XML_STATUS_SUSPENDED)
		{
			x->suspended = true;
			rc = 1;
			break;
		}
		/* XML_STATUS_OK: the buffer is consumed; more input or the end */
		if (x->final_fed)
		{
			rc = 0;
			break;
		}
	}
	xml_current = saved;
	return rc;
}

void
sage_xml_suspend(SageXml *x)
{
	XML_StopParser(x->parser, XML_TRUE);
}

void
sage_xml_abort(SageXml *x)
{
	xml_stop(x);
}

uint64_t
sage_xml_bytes_read(const SageXml *x)
{
	return x->bytes_read;
}

unsigned long
sage_xml_line(const SageXml *x)
{
	return x->parser != NULL ? (unsigned long) XML_GetCurrentLineNumber(x->parser) : 0;
}

const char *
sage_xml_attr(const char **attrs, const char *local)
{
	int			i;

	for (i = 0; attrs[i] != NULL; i += 2)
		if (strcmp(xml_local(attrs[i]), local) == 0)
			return attrs[i + 1];
	return NULL;
}
