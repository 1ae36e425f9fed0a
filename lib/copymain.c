/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The main both copy tools share: cp(1)'s options, the engine's defaults,
 * copy_run() and the exit status. An engine brings only its name, its
 * description and its run loop.
 */
#include "config.h"

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "c.h"
#include "closestream.h"
#include "copyjob.h"
#include "msg.h"
#include "optval.h"

static const struct copy_engine *usage_engine;

static void __attribute__((__noreturn__)) usage(void)
{
	const struct copy_engine *e = usage_engine;
	FILE *out = stdout;
	bool d = e->direct_default;
	fprintf(out, "Usage:\n"
		" %1$s [options] SRC DST\n"
		" %1$s [options] SRC... DIR\n"
		"\n%2$s"
		"A regular file appears under its name only when complete (O_TMPFILE, or\n"
		"temp file + rename); an existing device or FIFO is written into, never\n"
		"replaced. SRC may be a pipe, or - for standard input. See SECURITY\n"
		"CONSIDERATIONS in the man page for what root may rely on.\n",
		program_invocation_short_name, e->summary);
	fprintf(out, "\nOptions:\n"
		" -r, -R, --recursive      copy directories recursively\n"
		" -p                       same as --preserve=mode,ownership,timestamps\n"
		"     --preserve[=LIST]    keep these attributes (mode, ownership, timestamps,\n"
		"                          links, xattr, all); set-uid/set-gid only with the\n"
		"                          source's owner\n"
		"     --no-preserve=LIST   do not keep these attributes\n"
		" -a, --archive            -r --preserve=all, symlinks and special files as\n"
		"                          they are (like cp -a)\n"
		"     --reflink[=WHEN]     clone the data: auto (default: where the file\n"
		"                          system can, else copy_file_range within one file\n"
		"                          system from 4 MiB on, else the engine), always\n"
		"                          (fail where it cannot), never (the engine copies\n"
		"                          every byte: no clone, no copy_file_range)\n"
		" -f, --force              replace regular files we may not write\n"
		" -n, --no-clobber         never replace an existing destination\n"
		" -v, --verbose            print 'SRC' -> 'DST' for each copy\n"
		" -q, --queue-depth N      chunks in flight (default %u, %s %u)\n"
		" -b, --block-size SIZE    bytes per chunk, multiple of 4K\n"
		"                          (default %s, %s %s)\n"
		"%s"
		"     --fsync              make the copy durable before exiting\n"
		"     --verify             digest the source as it is copied, read the copy\n"
		"                          back and compare\n"
		"     --manifest FILE      write the SHA-256 of every copied file to FILE\n"
		"                          (sha256sum -c format, names relative to DST)\n"
		"     --progress           show a progress bar (on a terminal)\n"
		"     --no-progress        never show the progress bar\n"
		"     --stats              print bytes, time, rate, I/O counts and the path\n"
		"                          taken (method=reflink|copy_file_range|ENGINE|mixed)\n"
		" -h, --help               display this help\n"
		" -V, --version            display version\n",
		d ? COPY_DIRECT_QUEUE_DEPTH : COPY_BUFFERED_QUEUE_DEPTH, d ? "--buffered" : "--direct",
		d ? COPY_BUFFERED_QUEUE_DEPTH : COPY_DIRECT_QUEUE_DEPTH,
		d ? "4M" : "256K", d ? "--buffered" : "--direct", d ? "256K" : "4M",
		d ? "     --direct             O_DIRECT, the default (unaligned tail through\n"
		    "                          the page cache)\n"
		    "     --buffered           through the page cache (file systems without\n"
		    "                          O_DIRECT such as tmpfs; slower: AIO is\n"
		    "                          synchronous there)\n"
		  : "     --direct             O_DIRECT (unaligned tail through the page cache)\n"
		    "     --buffered           through the page cache, the default\n");
	exit(TK_EXIT_OK);
}

static const char *const preserve_names[] = {
	"mode", "ownership", "timestamps", "links", "xattr", "all",
};
static const unsigned preserve_bits[] = {
	COPY_PRESERVE_MODE, COPY_PRESERVE_OWNER, COPY_PRESERVE_TIMES, COPY_PRESERVE_LINKS,
	COPY_PRESERVE_XATTR, COPY_PRESERVE_ALL,
};

int copy_parse_preserve(const char *list, unsigned *bits)
{
	char *s = strdup(list), *save = NULL;
	int rc = 0;
	if (!s)
		return -ENOMEM;
	*bits = 0;
	for (char *t = strtok_r(s, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
		size_t i;
		for (i = 0; i < ARRAY_SIZE(preserve_names); i++)
			if (!strcmp(t, preserve_names[i]))
				break;
		if (i == ARRAY_SIZE(preserve_names)) {
			rc = -EINVAL;
			break;
		}
		*bits |= preserve_bits[i];
	}
	if (!*bits)
		rc = -EINVAL;
	free(s);
	return rc;
}

int copy_parse_reflink(const char *s, enum copy_reflink *r)
{
	if (!s || !strcmp(s, "auto"))
		*r = COPY_REFLINK_AUTO;
	else if (!strcmp(s, "always"))
		*r = COPY_REFLINK_ALWAYS;
	else if (!strcmp(s, "never"))
		*r = COPY_REFLINK_NEVER;
	else
		return -EINVAL;
	return 0;
}

int copy_main(int argc, char **argv, struct copy_engine *engine)
{
	enum {
		OPT_DIRECT = 256, OPT_BUFFERED, OPT_FSYNC, OPT_VERIFY, OPT_PROGRESS,
		OPT_NO_PROGRESS, OPT_STATS, OPT_PRESERVE, OPT_NO_PRESERVE, OPT_REFLINK, OPT_MANIFEST,
	};
	static const struct option longopts[] = {
		{ "recursive", no_argument, NULL, 'r' },
		{ "preserve", optional_argument, NULL, OPT_PRESERVE },
		{ "no-preserve", required_argument, NULL, OPT_NO_PRESERVE },
		{ "archive", no_argument, NULL, 'a' },
		{ "reflink", optional_argument, NULL, OPT_REFLINK },
		{ "force", no_argument, NULL, 'f' },
		{ "no-clobber", no_argument, NULL, 'n' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "queue-depth", required_argument, NULL, 'q' },
		{ "block-size", required_argument, NULL, 'b' },
		{ "direct", no_argument, NULL, OPT_DIRECT },
		{ "buffered", no_argument, NULL, OPT_BUFFERED },
		{ "fsync", no_argument, NULL, OPT_FSYNC },
		{ "verify", no_argument, NULL, OPT_VERIFY },
		{ "manifest", required_argument, NULL, OPT_MANIFEST },
		{ "progress", no_argument, NULL, OPT_PROGRESS },
		{ "no-progress", no_argument, NULL, OPT_NO_PROGRESS },
		{ "stats", no_argument, NULL, OPT_STATS },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	struct copy_opts o = {
		.progress = COPY_PROGRESS_AUTO,
		.reflink = COPY_REFLINK_AUTO,
	};
	struct copy_stats stats;
	unsigned bits, no_preserve = 0;
	int ch;

	msg_init(argv[0]);
	close_stdout_atexit();
	usage_engine = engine;
	if (engine->direct_default) {
		/* libaio is only asynchronous with O_DIRECT: refuse rather than
		 * silently run synchronously */
		o.direct = true;
		o.direct_required = true;
		o.direct_hint = "use --buffered";
	}

	while ((ch = getopt_long(argc, argv, "rRpafnvq:b:hV", longopts, NULL)) != -1) {
		switch (ch) {
		case 'r':
		case 'R':
			o.recursive = true;
			break;
		case 'p':
			o.preserve |= COPY_PRESERVE_DEFAULT;
			break;
		case 'a':
			o.recursive = true;
			o.preserve |= COPY_PRESERVE_ALL;
			break;
		case OPT_PRESERVE:
			if (!optarg) {
				o.preserve |= COPY_PRESERVE_DEFAULT;
			} else if (copy_parse_preserve(optarg, &bits) == 0) {
				o.preserve |= bits;
				/* asked for by name: a failure to keep it is an error */
				o.preserve_required |= bits;
			} else {
				usage_error("--preserve", optarg, "expected mode, ownership, timestamps, links, "
					    "xattr or all");
			}
			break;
		case OPT_NO_PRESERVE:
			if (copy_parse_preserve(optarg, &bits) < 0)
				usage_error("--no-preserve", optarg, "expected mode, ownership, timestamps, links, "
					    "xattr or all");
			no_preserve |= bits;
			break;
		case OPT_REFLINK:
			if (copy_parse_reflink(optarg, &o.reflink) < 0)
				usage_error("--reflink", optarg, "expected auto, always or never");
			break;
		case 'f':
			o.force = true;
			break;
		case 'n':
			o.no_clobber = true;
			break;
		case 'v':
			o.verbose = true;
			break;
		case 'q':
			o.queue_depth = (unsigned)optval_or_die(OPTVAL_COUNT, "--queue-depth", optarg, 1,
								COPY_MAX_QUEUE_DEPTH);
			break;
		case 'b':
			if (copy_parse_block_size(optarg, &o.block_size) < 0)
				usage_error("--block-size", optarg, "a multiple of 4K, 4K-64M");
			break;
		case OPT_DIRECT:
			o.direct = true;
			break;
		case OPT_BUFFERED:
			o.direct = false;
			break;
		case OPT_FSYNC:
			o.fsync = true;
			break;
		case OPT_VERIFY:
			o.verify = true;
			break;
		case OPT_MANIFEST:
			if (!*optarg) {
				msg_warn("--manifest needs a file name");
				usage_hint();
			}
			o.manifest = optarg;
			break;
		case OPT_PROGRESS:
			o.progress = COPY_PROGRESS_ON;
			break;
		case OPT_NO_PROGRESS:
			o.progress = COPY_PROGRESS_OFF;
			break;
		case OPT_STATS:
			o.stats = true;
			break;
		case 'h':
			usage();
		case 'V':
			print_version();
		default:
			usage_hint();
		}
	}
	o.preserve &= ~no_preserve;
	o.preserve_required &= o.preserve;
	argc -= optind;
	argv += optind;
	if (argc < 1) {
		msg_warn("missing file operand");
		usage_hint();
	}
	if (argc < 2) {
		msg_warn("missing destination file operand after '%s'", argv[0]);
		usage_hint();
	}
	if (!o.queue_depth)
		o.queue_depth = o.direct ? COPY_DIRECT_QUEUE_DEPTH : COPY_BUFFERED_QUEUE_DEPTH;
	if (!o.block_size)
		o.block_size = o.direct ? COPY_DIRECT_BLOCK_SIZE : COPY_BUFFERED_BLOCK_SIZE;
	if ((uint64_t)o.queue_depth * o.block_size > COPY_MAX_BUFFER_BYTES) {
		msg_warn("queue depth x block size exceeds %d MiB", COPY_MAX_BUFFER_BYTES >> 20);
		usage_hint();
	}

	int rc = copy_run(&o, argv, (size_t)argc - 1, argv[argc - 1], engine, &stats);
	if (o.stats)
		copy_stats_print(stdout, engine->name, &stats);
	return rc < 0 || stats.failures ? TK_EXIT_FAILURE : TK_EXIT_OK;
}
