/*-------------------------------------------------------------------------
 *
 * src/core/xml_internal.h
 *		A hardened, streaming SAX parser over a SageStream (expat inside),
 *		used by the XLSX reader.
 *
 * Callbacks receive local element names and sage_xml_attr looks
 * attributes up by local name: namespace URIs are ignored, so "x:row" and
 * "row" look the same. Documents with a DOCTYPE are refused
 * (no entity expansion of any kind), nesting is capped, the parser's own
 * memory is capped, and the bytes fed are limited. A callback may pause
 * the parse after its event (sage_xml_suspend) so a caller can hand out
 * one row at a time without queueing, or abort it after filling the error.
 *
 *-------------------------------------------------------------------------
 */
#ifndef SAGE_XML_INTERNAL_H
#define SAGE_XML_INTERNAL_H

#include "sage/common.h"

/* Deepest element nesting accepted. */
#define SAGE_XML_MAX_DEPTH 256

/*
 * Event callbacks. name is the local element name; attrs is expat's
 * NULL-terminated name/value array (read it with sage_xml_attr).
 */
typedef struct SageXmlHandlers
{
	void		(*start) (void *ud, const char *name, const char **attrs);
	void		(*end) (void *ud, const char *name);
	void		(*text) (void *ud, const char *s, int len);	/* may be NULL */
} SageXmlHandlers;

typedef struct SageXml SageXml;

/*
 * A parser reading the document from stream (closed by sage_xml_free);
 * part names the document in messages; max_bytes (> 0) limits the bytes
 * read from the stream. NULL with *err filled on failure.
 */
SageXml    *sage_xml_new(SageArena *arena, const char *part, SageStream stream,
						 uint64_t max_bytes, const SageXmlHandlers *handlers,
						 void *ud, SageError *err);
/* Releases the expat parser and closes the stream; safe to call twice. */
void		sage_xml_free(SageXml *x);

/*
 * Parses until a callback suspends (1), the document ends (0) or an error
 * (-1, *err filled: malformed XML, limits, or a callback's abort).
 */
int			sage_xml_step(SageXml *x, SageError *err);

/* From a callback: pause after the current event. */
void		sage_xml_suspend(SageXml *x);
/* From a callback that filled the error itself: stop with that error. */
void		sage_xml_abort(SageXml *x);

/* Bytes read from the stream so far. */
uint64_t	sage_xml_bytes_read(const SageXml *x);
/* Current line number (for messages from callbacks). */
unsigned long sage_xml_line(const SageXml *x);

/* Value of the attribute with this local name, or NULL. */
const char *sage_xml_attr(const char **attrs, const char *local);

#endif							/* SAGE_XML_INTERNAL_H */
