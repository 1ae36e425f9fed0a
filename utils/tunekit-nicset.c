/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * tunekit-nicset: set the ring sizes and interrupt coalescing of one
 * network device (installed in the package's libexec directory). udev runs
 * it from the RUN+= line tunekit persists in the queue rule file when the
 * device appears or is renamed (doc/design.md, "Queue settings"). Every
 * argument is validated first (lib/nicval.c: exit 2, nothing changed),
 * then each setting is written over ethtool netlink and read back.
 */
#include "config.h"

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "c.h"
#include "closestream.h"
#include "kvconf.h"
#include "msg.h"
#include "nicval.h"
#include "sysfsval.h"
#include "xalloc.h"

static void __attribute__((__noreturn__)) usage(void)
{
	printf("Usage:\n %s [options] DEV SETTING=VALUE...\n", msg_progname());
	fputs("\nSet ring sizes and interrupt coalescing of network device DEV over ethtool\n"
	      "netlink, each written and read back. udev runs it from the RUN+= line of\n"
	      TK_UDEV_RULES " that nettune-queues apply\n"
	      "and nettune-backup apply write.\n", stdout);
	fputs("\nSettings: rings/rx, rings/tx, coalesce/rx-usecs, coalesce/rx-frames,\n"
	      "coalesce/tx-usecs, coalesce/tx-frames (decimal), coalesce/adaptive-rx,\n"
	      "coalesce/adaptive-tx (0 or 1).\n", stdout);
	fputs("\nOptions:\n"
	      " -q, --quiet     no note for settings the driver lacks\n"
	      " -h, --help      display this help\n"
	      " -V, --version   display version\n", stdout);
	fputs("\nExit status: 0 set (a setting the driver lacks is skipped with a note),\n"
	      "1 a setting could not be set, 2 invalid arguments (nothing changed).\n", stdout);
	exit(TK_EXIT_OK);
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "quiet", no_argument, NULL, 'q' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	int c, quiet = 0;

	msg_init(argv[0]);
	close_stdout_atexit();
	while ((c = getopt_long(argc, argv, "qhV", longopts, NULL)) != -1) {
		switch (c) {
		case 'q':
			quiet = 1;
			break;
		case 'h':
			usage();
		case 'V':
			print_version();
		default:
			usage_hint();
		}
	}
	argc -= optind;
	argv += optind;
	if (argc < 2) {
		msg_warn("%s", argc ? "no SETTING=VALUE given" : "no device given");
		usage_hint();
	}
	const char *dev = argv[0];
	if (!sysfs_dev_name_valid(dev))
		msg_die(TK_EXIT_USAGE, "%s: not an interface name tunekit manages (1-15 of A-Z a-z 0-9 _ . @ + -, no ..)",
			dev);

	/* everything validated before the first change */
	struct kv_list want = { 0 };
	for (int i = 1; i < argc; i++) {
		char *key, *value;
		const char *why = NULL;
		if (nic_arg_parse(dev, argv[i], 0, &key, &value, &why) < 0)
			msg_die(TK_EXIT_USAGE, "%s: %s", argv[i], why);
		if (kv_list_find(&want, key) >= 0)
			msg_die(TK_EXIT_USAGE, "%s: given twice", argv[i]);
		kv_list_set(&want, key, value);
		free(key);
		free(value);
	}
	char *skip = xcalloc(want.n + 1, 1);
	for (size_t i = 0; i < want.n; i++) {
		char why[256];
		int rc = nic_value_check(want.v[i].key, want.v[i].value, why, sizeof(why));
		if (rc == -EOPNOTSUPP) { /* reported, never an error */
			if (!quiet)
				msg_info("%s: %s; skipped", dev, why);
			skip[i] = 1;
		} else if (rc == -EINVAL) {
			msg_die(TK_EXIT_USAGE, "%s: %s", want.v[i].key, why);
		} else if (rc < 0) {
			msg_die(TK_EXIT_FAILURE, "%s: %s", want.v[i].key, why);
		}
	}

	int status = TK_EXIT_OK;
	for (size_t i = 0; i < want.n; i++) {
		const char *key = want.v[i].key, *value = want.v[i].value;
		char *live = NULL;
		if (skip[i])
			continue;
		int rc = nic_read(key, &live);
		if (rc == 0 && nic_value_equal(key, live, value)) {
			free(live);
			continue;
		}
		free(live);
		live = NULL;
		if ((rc = nic_write(key, value)) < 0) {
			msg_warn("%s: cannot set %s: %s", key, value, strerror(-rc));
			status = TK_EXIT_FAILURE;
		} else if ((rc = nic_read(key, &live)) < 0) {
			msg_warn("%s: cannot read it back: %s", key, strerror(-rc));
			status = TK_EXIT_FAILURE;
		} else if (!nic_value_equal(key, live, value)) {
			msg_warn("%s: set %s, the driver keeps %s", key, value, live);
			status = TK_EXIT_FAILURE;
		}
		free(live);
	}
	free(skip);
	kv_list_free(&want);
	return status;
}
