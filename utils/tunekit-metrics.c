/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * tunekit-metrics: node_exporter textfile metrics for the cron path
 * (installed in /usr/libexec/tunekit, run by the nettune script).
 *
 *   tunekit-metrics merge [-o OUT] [options] [IN...]
 *       Read the metric fragments the tools wrote (Prometheus text format;
 *       "-" is stdin) and write one file where every family has one HELP
 *       line, one TYPE line and all its samples grouped below: the format
 *       promtool and node_exporter's textfile collector accept. OUT is
 *       replaced atomically (mode 0644, or the old file's if stricter);
 *       without -o the result goes to stdout.
 *         --add TEXT          more exposition text (a sample line, or HELP,
 *                             TYPE and samples separated by newlines)
 *         --build-info        tunekit_build_info{version="X.Y.Z"} 1
 *         --success 0|1       tunekit_check_success
 *         --timestamp[=SECS]  tunekit_check_timestamp_seconds (default: now)
 *       A family with different TYPEs in two inputs, the same series twice,
 *       a syntax error or a sample with a timestamp (node_exporter refuses
 *       those) is exit 2 naming FILE:LINE, and OUT is left untouched. The
 *       three standard families replace any equal series of the inputs.
 *
 *   tunekit-metrics check FILE...
 *       Lint: one HELP and one TYPE per family, samples grouped, valid
 *       syntax and names, Prometheus naming conventions, no timestamps.
 *       Prints FILE:LINE: finding lines; exit 3 if there is any.
 */
#include "config.h"

#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "c.h"
#include "closestream.h"
#include "fileutil.h"
#include "msg.h"
#include "optval.h"
#include "prom.h"

static void __attribute__((__noreturn__)) usage(void)
{
	printf("Usage:\n"
	       " %1$s merge [-o OUT] [options] [IN...]   one valid file from metric fragments\n"
	       " %1$s check FILE...                       lint node_exporter textfile metrics\n",
	       msg_progname());
	printf("\nMerge options:\n"
	       " -o, --output OUT         write OUT atomically (default: stdout)\n"
	       " -a, --add TEXT           add exposition text (e.g. 'name{label=\"v\"} 1')\n"
	       "     --build-info         add tunekit_build_info{version=\"%s\"} 1\n"
	       "     --success 0|1        set tunekit_check_success\n"
	       "     --timestamp[=SECS]   set tunekit_check_timestamp_seconds (default: now)\n"
	       "\nOptions:\n"
	       " -q, --quiet              no warnings\n"
	       " -v, --verbose            show what merge repaired (second HELP lines...)\n"
	       " -h, --help               display this help\n"
	       " -V, --version            display version\n"
	       "\nExit status: 0 ok, 1 I/O failure, 2 invalid input (nothing written),\n"
	       "3 check found a problem.\n",
	       PACKAGE_VERSION);
	exit(TK_EXIT_OK);
}

/* Read path ("-": stdin); a missing file is invalid input, other failures runtime. */
static char *load(const char *path, size_t *len)
{
	char *buf;
	int rc = strcmp(path, "-") ? read_file(path, PROM_MAX_TEXT, &buf, len)
				   : read_fd(STDIN_FILENO, PROM_MAX_TEXT, &buf, len);
	if (rc == -EFBIG)
		msg_die(TK_EXIT_USAGE, "%s: larger than %u bytes", path, PROM_MAX_TEXT);
	if (rc < 0)
		msg_die_errno(rc == -ENOENT ? TK_EXIT_USAGE : TK_EXIT_FAILURE, -rc, "%s", path);
	return buf;
}

static void warn_finding(void *arg TK_UNUSED, const char *source, size_t line, const char *why)
{
	if (msg_verbosity > 0)
		msg_warn("%s:%zu: %s (repaired)", source, line, why);
}

static void parse_or_die(struct prom_registry *r, const char *source, const char *text, size_t len)
{
	struct prom_parse_opts o = { .source = source, .finding = warn_finding, .no_timestamps = 1 };
	struct prom_error err;
	int rc = prom_parse(r, text, len, &o, &err);
	if (rc < 0)
		msg_die(TK_EXIT_USAGE, "%s:%zu: %s", source, err.line, err.why);
}

static void declare_or_die(struct prom_registry *r, const char *name, const char *help)
{
	int rc = prom_declare(r, name, PROM_GAUGE, help);
	if (rc == -EEXIST)
		msg_die(TK_EXIT_USAGE, "%s: the inputs give it another TYPE than gauge", name);
	if (rc < 0)
		msg_die_errno(TK_EXIT_FAILURE, -rc, "%s", name);
}

static void set_or_die(struct prom_registry *r, const char *name, double v, const char *label,
		       const char *value)
{
	struct prom_label l = { label, value };
	int rc = prom_set(r, name, v, &l, label ? 1 : 0);
	if (rc < 0)
		msg_die_errno(TK_EXIT_FAILURE, -rc, "%s", name);
}

static int cmd_merge(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "output", required_argument, NULL, 'o' },
		{ "add", required_argument, NULL, 'a' },
		{ "build-info", no_argument, NULL, 'B' },
		{ "success", required_argument, NULL, 'S' },
		{ "timestamp", optional_argument, NULL, 'T' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	const char *out = NULL;
	char **adds = calloc((size_t)argc + 1, sizeof(*adds));
	size_t nadds = 0;
	int build_info = 0, success = -1, c;
	double stamp = NAN;
	if (!adds)
		msg_die(TK_EXIT_FAILURE, "out of memory");
	while ((c = getopt_long(argc, argv, "o:a:qvhV", longopts, NULL)) != -1) {
		switch (c) {
		case 'o':
			out = optarg;
			break;
		case 'a':
			adds[nadds++] = optarg;
			break;
		case 'B':
			build_info = 1;
			break;
		case 'S':
			if (strcmp(optarg, "0") && strcmp(optarg, "1"))
				usage_error("--success", optarg, "takes 0 or 1");
			success = optarg[0] - '0';
			break;
		case 'T': {
			if (!optarg) {
				struct timespec ts;
				clock_gettime(CLOCK_REALTIME, &ts);
				stamp = (double)ts.tv_sec + (double)(ts.tv_nsec / 1000000) / 1e3;
				break;
			}
			/* seconds since the epoch, a fraction allowed (up to the year 33658) */
			stamp = optval_real_or_die("--timestamp", optarg, 0, 1e12);
			break;
		}
		case 'q':
			msg_verbosity = -1;
			break;
		case 'v':
			msg_verbosity++;
			break;
		case 'h':
			usage();
		case 'V':
			print_version();
		default:
			usage_hint();
		}
	}
	if (out && !*out) {
		msg_warn("--output needs a file name");
		usage_hint();
	}

	struct prom_registry *r = prom_new();
	for (int i = optind; i < argc; i++) {
		size_t len;
		char *text = load(argv[i], &len);
		parse_or_die(r, argv[i], text, len);
		free(text);
	}
	for (size_t i = 0; i < nadds; i++)
		parse_or_die(r, "--add", adds[i], strlen(adds[i]));
	if (build_info) {
		declare_or_die(r, "tunekit_build_info", "The tunekit version that wrote these metrics (always 1).");
		set_or_die(r, "tunekit_build_info", 1, "version", PACKAGE_VERSION);
	}
	if (success >= 0) {
		declare_or_die(r, "tunekit_check_success",
			       "1 when every check ran to the end (drift or not), 0 when one could not run.");
		set_or_die(r, "tunekit_check_success", success, NULL, NULL);
	}
	if (!isnan(stamp)) {
		declare_or_die(r, "tunekit_check_timestamp_seconds",
			       "When the last check ran, in seconds since the Unix epoch.");
		set_or_die(r, "tunekit_check_timestamp_seconds", stamp, NULL, NULL);
	}

	int rc = out && strcmp(out, "-") ? prom_write_file(r, out) : prom_render(r, stdout);
	if (rc == -EEXIST)
		msg_die(TK_EXIT_FAILURE, "%s: not a regular file: refusing to replace it", out);
	if (rc < 0)
		msg_die_errno(TK_EXIT_FAILURE, -rc, "%s", out ? out : "stdout");
	prom_free(r);
	free(adds);
	return TK_EXIT_OK;
}

struct check_state {
	size_t findings;
};

static void print_finding(void *arg, const char *source, size_t line, const char *why)
{
	struct check_state *cs = arg;
	cs->findings++;
	printf("%s:%zu: %s\n", source, line, why);
}

static int cmd_check(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "quiet", no_argument, NULL, 'q' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	int c;
	while ((c = getopt_long(argc, argv, "qvhV", longopts, NULL)) != -1) {
		switch (c) {
		case 'q':
			msg_verbosity = -1;
			break;
		case 'v':
			msg_verbosity++;
			break;
		case 'h':
			usage();
		case 'V':
			print_version();
		default:
			usage_hint();
		}
	}
	if (optind == argc) {
		msg_warn("check needs a FILE");
		usage_hint();
	}
	struct check_state cs = { 0 };
	for (int i = optind; i < argc; i++) {
		size_t len;
		char *text = load(argv[i], &len);
		/* each file on its own: a family may appear in several */
		struct prom_registry *r = prom_new();
		struct prom_parse_opts o = { .source = argv[i], .finding = print_finding, .arg = &cs };
		struct prom_error err;
		if (prom_parse(r, text, len, &o, &err) < 0)
			print_finding(&cs, argv[i], err.line, err.why);
		else if (len && text[len - 1] != '\n') {
			size_t line = 1;
			for (size_t j = 0; j < len; j++)
				line += text[j] == '\n';
			print_finding(&cs, argv[i], line, "the last line does not end with a newline");
		}
		prom_free(r);
		free(text);
	}
	return cs.findings ? TK_EXIT_DRIFT : TK_EXIT_OK;
}

int main(int argc, char **argv)
{
	msg_init(argv[0]);
	close_stdout_atexit();
	if (argc >= 2 && (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help")))
		usage();
	if (argc >= 2 && (!strcmp(argv[1], "-V") || !strcmp(argv[1], "--version")))
		print_version();
	if (argc < 2) {
		msg_warn("no command given (merge or check)");
		usage_hint();
	}
	/* the command word is argv[1]; its options follow it */
	if (!strcmp(argv[1], "merge"))
		return cmd_merge(argc - 1, argv + 1);
	if (!strcmp(argv[1], "check"))
		return cmd_check(argc - 1, argv + 1);
	msg_warn("unknown command '%s'", argv[1]);
	usage_hint();
}
