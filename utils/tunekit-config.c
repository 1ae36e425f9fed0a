/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * tunekit-config: the parsed, validated configuration for the nettune
 * script (installed in /usr/libexec/tunekit). Profiles and tunekit.conf are
 * read here, in C, so that no configuration file is ever run as shell code.
 *
 *   tunekit-config [--profile NAME]        effective settings, key=value
 *   tunekit-config --sysctl [--profile N]  the profile's sysctl lines
 *   tunekit-config --check FILE            validate a profile (or --local file)
 */
#include "config.h"

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "c.h"
#include "closestream.h"
#include "fileutil.h"
#include "kvconf.h"
#include "msg.h"
#include "optval.h"
#include "paths.h"
#include "tkconf.h"
#include "xalloc.h"

#define CONF_MAX (1u << 20)

static void __attribute__((__noreturn__)) usage(void)
{
	printf("Usage:\n"
	       " %1$s [options]                 print the effective settings (key=value)\n"
	       " %1$s --sysctl [options]        print the profile's extra sysctl lines\n"
	       " %1$s --check FILE [--local]    validate a profile or a tunekit.conf\n",
	       msg_progname());
	printf("\nOptions:\n"
	       " -p, --profile NAME       throughput, latency or balanced\n"
	       "     --profiles-dir DIR   where NAME.conf profiles live (env TUNEKIT_PROFILES_DIR)\n"
	       "     --root DIR           read /etc/tunekit/tunekit.conf under DIR\n"
	       "     --no-local           ignore /etc/tunekit/tunekit.conf\n"
	       "     --applied            without --profile, the profile `nettune optimize`\n"
	       "                            applied last (/var/lib/tunekit/profile) comes first\n"
	       "     --sysctl             print sysctl.d lines of the profile\n"
	       "     --check FILE         validate FILE and exit (0 valid, 2 invalid)\n"
	       "     --local              --check FILE as a tunekit.conf, not a profile\n"
	       " -h, --help               display this help\n"
	       " -V, --version            display version\n");
	exit(TK_EXIT_OK);
}

/* Parse path as kind into list; a missing optional file is not an error. */
static void load(const char *path, enum tkconf_kind kind, int optional, struct kv_list *list)
{
	char *buf;
	size_t len;
	int rc = read_file(path, CONF_MAX, &buf, &len);
	if (rc == -ENOENT && optional)
		return;
	if (rc < 0)
		msg_die_errno(rc == -ENOENT ? TK_EXIT_USAGE : TK_EXIT_FAILURE, -rc, "%s", path);
	struct kv_error err;
	if (tkconf_parse(kind, buf, len, list, &err) < 0)
		msg_die(TK_EXIT_USAGE, "%s:%u: %s", path, err.line, err.why);
	free(buf);
}

int main(int argc, char **argv)
{
	enum { OPT_DIR = 256, OPT_ROOT, OPT_NOLOCAL, OPT_SYSCTL, OPT_CHECK, OPT_LOCAL, OPT_APPLIED };
	static const struct option longopts[] = {
		{ "profile", required_argument, NULL, 'p' },
		{ "profiles-dir", required_argument, NULL, OPT_DIR },
		{ "root", required_argument, NULL, OPT_ROOT },
		{ "no-local", no_argument, NULL, OPT_NOLOCAL },
		{ "sysctl", no_argument, NULL, OPT_SYSCTL },
		{ "check", required_argument, NULL, OPT_CHECK },
		{ "local", no_argument, NULL, OPT_LOCAL },
		{ "applied", no_argument, NULL, OPT_APPLIED },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	const char *profile = NULL, *dir = getenv("TUNEKIT_PROFILES_DIR"), *check = NULL;
	int no_local = 0, sysctl_mode = 0, check_local = 0, applied = 0, c;

	msg_init(argv[0]);
	close_stdout_atexit();
	while ((c = getopt_long(argc, argv, "p:hV", longopts, NULL)) != -1) {
		switch (c) {
		case 'p':
			if (!tkconf_profile_valid(optarg))
				usage_error("--profile", optarg, "not one of throughput, latency, balanced");
			profile = optarg;
			break;
		case OPT_DIR:
			dir = optarg;
			break;
		case OPT_ROOT:
			tk_set_root(optarg);
			break;
		case OPT_NOLOCAL:
			no_local = 1;
			break;
		case OPT_SYSCTL:
			sysctl_mode = 1;
			break;
		case OPT_CHECK:
			check = optarg;
			break;
		case OPT_LOCAL:
			check_local = 1;
			break;
		case OPT_APPLIED:
			applied = 1;
			break;
		case 'h':
			usage();
		case 'V':
			print_version();
		default:
			usage_hint();
		}
	}
	if (optind < argc) {
		msg_warn("unexpected argument '%s'", argv[optind]);
		usage_hint();
	}
	if (!dir || !*dir)
		dir = PKGDATADIR "/profiles";

	struct kv_list local = { 0 }, eff = { 0 };
	if (check) {
		load(check, check_local ? TKCONF_LOCAL : TKCONF_PROFILE, 0, &local);
		kv_list_free(&local);
		return TK_EXIT_OK;
	}

	char *local_path = tk_path(TK_CONFIG_FILE);
	if (!no_local)
		load(local_path, TKCONF_LOCAL, 1, &local);
	char *recorded = NULL;
	if (!profile && applied) {
		/* written by `nettune optimize`; a bad or missing record is ignored */
		char *path = tk_path(TK_STATE_DIR "/profile");
		size_t len;
		if (read_file(path, 64, &recorded, &len) == 0) {
			recorded[strcspn(recorded, "\n")] = '\0';
			if (tkconf_profile_valid(recorded))
				profile = recorded;
		}
		free(path);
	}
	if (!profile) {
		long i = kv_list_find(&local, "profile");
		profile = i >= 0 ? local.v[i].value : "balanced";
	}
	char *profile_path = xasprintf("%s/%s.conf", dir, profile);
	load(profile_path, TKCONF_PROFILE, 0, &eff);

	if (sysctl_mode) {
		for (size_t i = 0; i < eff.n; i++)
			if (!strncmp(eff.v[i].key, "sysctl.", 7))
				printf("%s = %s\n", eff.v[i].key + 7, eff.v[i].value);
	} else {
		/* local settings override the profile's */
		for (size_t i = 0; i < local.n; i++)
			if (strcmp(local.v[i].key, "profile"))
				kv_list_set(&eff, local.v[i].key, local.v[i].value);
		kv_list_sort(&eff);
		printf("profile=%s\nprofile_file=%s\n", profile, profile_path);
		for (size_t i = 0; i < eff.n; i++)
			if (strncmp(eff.v[i].key, "sysctl.", 7))
				printf("%s=%s\n", eff.v[i].key, eff.v[i].value);
	}
	free(profile_path);
	free(local_path);
	free(recorded);
	kv_list_free(&local);
	kv_list_free(&eff);
	return TK_EXIT_OK;
}
