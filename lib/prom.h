/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Prometheus text exposition format (version 0.0.4, what node_exporter's
 * textfile collector reads): one in-memory registry that every tool fills
 * and renders, and a parser that reads such files back into a registry so
 * fragments of several tools can be merged.
 *
 * A registry holds metric families in declaration order; each renders as
 * exactly one HELP line, one TYPE line and all its samples grouped below,
 * which is what promtool and node_exporter require.
 */
#ifndef TUNEKIT_PROM_H
#define TUNEKIT_PROM_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/* Largest exposition text prom_parse() accepts (bytes). */
#define PROM_MAX_TEXT (4u << 20)

enum prom_type { PROM_UNTYPED, PROM_GAUGE, PROM_COUNTER, PROM_HISTOGRAM, PROM_SUMMARY };

struct prom_registry;

struct prom_registry *prom_new(void);
void prom_free(struct prom_registry *r);

/* The word of a type in a TYPE line ("gauge"...). */
const char *prom_type_name(enum prom_type t);

/* 1 if name is a valid metric name ([a-zA-Z_:][a-zA-Z0-9_:]*), 0 if not. */
int prom_valid_metric_name(const char *name);
/* 1 if name is a valid label name ([a-zA-Z_][a-zA-Z0-9_]*), 0 if not. */
int prom_valid_label_name(const char *name);

/*
 * Where a name breaks the Prometheus naming conventions (what promtool's
 * linter reports): counters end in _total and nothing else does, base
 * units (seconds, bytes) spelled out, no camelCase, no type in the name.
 * NULL when the name follows them, else a static one-line reason.
 */
const char *prom_name_convention(const char *name, enum prom_type type);

/*
 * Declare a family: name (valid, no colon, following the conventions above),
 * type (gauge, counter or untyped) and a non-empty one-line help. Declaring
 * the same family again with the same type is a no-op. 0, -EINVAL (bad
 * name, type or help), -EEXIST (declared before with another type).
 */
int prom_declare(struct prom_registry *r, const char *name, enum prom_type type, const char *help);

struct prom_label {
	const char *name, *value;
};

/*
 * Add a sample of a declared family: labels (names valid and distinct, not
 * starting with "__"; values UTF-8, escaped when rendered). 0, -ENOENT (the
 * family is not declared), -EINVAL (bad label), -EEXIST (this series, i.e.
 * name plus the same label set in any order, is already there).
 */
int prom_add(struct prom_registry *r, const char *name, double value,
	     const struct prom_label *labels, size_t nlabels);

/* prom_add with labels as name, value, ... pairs ended by NULL. */
int prom_addl(struct prom_registry *r, const char *name, double value, ...)
	__attribute__((__sentinel__));

/* prom_add, but an existing identical series takes the new value. */
int prom_set(struct prom_registry *r, const char *name, double value,
	     const struct prom_label *labels, size_t nlabels);

/* Number of families and of samples held. */
size_t prom_family_count(const struct prom_registry *r);
size_t prom_sample_count(const struct prom_registry *r);

/* A sample value the way Prometheus spells it ("NaN", "+Inf", "-Inf",
 * integers without exponent, others shortest round-trip). buf >= 32 bytes. */
void prom_format_value(double v, char *buf, size_t size);

/* Render every family in declaration order. 0 or -errno (write error). */
int prom_render(const struct prom_registry *r, FILE *out);

/*
 * Render atomically to path: temp file in the same directory (unique name,
 * O_EXCL), fsync, rename over path, fsync of the directory; the file gets
 * mode 0644, or the existing file's mode if that grants less. Refuses to
 * replace anything but a regular file (-EEXIST). 0 or -errno.
 */
int prom_write_file(const struct prom_registry *r, const char *path);

/* What went wrong in prom_parse() (line is 1-based; 0: not tied to a line). */
struct prom_error {
	size_t line;
	char why[192];
};

struct prom_parse_opts {
	const char *source; /* name of the input for messages; kept by the registry */
	/* findings that do not stop the parse (second identical HELP or TYPE,
	 * samples not grouped, missing HELP, naming conventions, timestamps) */
	void (*finding)(void *arg, const char *source, size_t line, const char *why);
	void *arg;
	int no_timestamps; /* a sample with a timestamp is an error (node_exporter refuses them) */
};

/*
 * Parse exposition text into r, merging with what r already holds: the
 * samples of a family known before join it; a TYPE that differs from the
 * family's type, a duplicate series, a syntax error, invalid UTF-8 or a NUL
 * byte stops the parse with -EINVAL and err filled (what was added before
 * the bad line stays in r). Linear in len; -EFBIG over PROM_MAX_TEXT.
 */
int prom_parse(struct prom_registry *r, const char *text, size_t len,
	       const struct prom_parse_opts *opts, struct prom_error *err);

#endif
