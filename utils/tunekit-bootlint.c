/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * tunekit-bootlint: will the values tunekit persisted be in force after the
 * next boot? (installed in /usr/libexec/tunekit, run by the checks of
 * nettune and nettune-backup). Reads the sysctl.d files as systemd-sysctl
 * and `sysctl --system` will (lib/sysctld.c) and the other tuners that set
 * the same keys (lib/hoststack.c); prints one line per finding.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "c.h"
#include "closestream.h"
#include "fileutil.h"
#include "hoststack.h"
#include "json.h"
#include "kvconf.h"
#include "msg.h"
#include "optval.h"
#include "paths.h"
#include "sysctl.h"
#include "sysctld.h"
#include "xalloc.h"

#define WANT_MAX (1u << 20)

enum kind { K_FILE_MASKED, K_SYSCTLD, K_TUNED, K_BPFTUNE };

struct finding {
	enum kind kind;
	const struct sysctld_result *r;
	const struct sysctld_verdict *v;
	int models; /* bit per model for K_SYSCTLD */
	const struct tuned_setting *ts;
	const char *tuned_profile;
	pid_t pid;
	const char *tuner;
};

struct findings {
	struct finding *v;
	size_t n;
};

static void add(struct findings *f, const struct finding *x)
{
	f->v = xreallocarray(f->v, f->n + 1, sizeof(*f->v));
	f->v[f->n++] = *x;
}

static void __attribute__((__noreturn__)) usage(void)
{
	printf("Usage:\n"
	       " %s [options]\n"
	       "\nSay whether the sysctl values tunekit persisted will be in force after the\n"
	       "next boot: reads the sysctl.d files as systemd-sysctl and `sysctl --system`\n"
	       "do, and the TuneD profile and bpftune that set the same keys. One line per\n"
	       "finding:\n"
	       "  KEY: shadowed by FILE:LINE (value V)[ via glob PATTERN]\n"
	       "  KEY: excluded by FILE:LINE\n"
	       "  KEY: masked by FILE (HOW); at boot: V from FILE:LINE | not set\n"
	       "  KEY: missing from FILE; at boot: V from FILE:LINE | not set\n"
	       "  KEY: stale: FILE:LINE persists V, wanted W\n"
	       "  KEY: tuned profile NAME sets V (FILE:LINE)\n"
	       "  KEY: retuned at run time by bpftune (pid N, tuner T)\n"
	       "  FILE: masked by FILE (HOW)\n"
	       "A finding true of one boot path only ends in [systemd-sysctl only] or\n"
	       "[sysctl --system only].\n",
	       msg_progname());
	printf("\nOptions:\n"
	       "     --root DIR         read every file under DIR (env TUNEKIT_ROOT)\n"
	       "     --file PATH        the managed file (default %s)\n"
	       "     --want FILE        wanted key = value lines from FILE ('-': stdin)\n"
	       "                          instead of the managed file's own lines\n"
	       "     --model M          systemd, procps or both (default both)\n"
	       "     --no-comanagers    do not look for TuneD and bpftune\n"
	       " -a, --all              also print \"KEY: ok\" for keys without a finding\n"
	       " -j, --json             one JSON object instead of lines\n"
	       " -h, --help             display this help\n"
	       " -V, --version          display version\n",
	       TK_SYSCTL_CONF);
	printf("\nExit status: 0 no finding, 1 failure, 2 invalid input, 3 findings.\n");
	exit(TK_EXIT_OK);
}

static void load_want(const char *path, int from_stdin, struct kv_list *want)
{
	char *buf;
	size_t len;
	int rc;
	if (from_stdin) {
		rc = read_fd(STDIN_FILENO, WANT_MAX, &buf, &len);
	} else {
		int fd = sysctld_root_open(path, O_RDONLY | O_NOCTTY | O_NONBLOCK);
		if (fd == -ENOENT)
			return; /* nothing persisted, nothing to check */
		rc = fd < 0 ? fd : read_fd(fd, WANT_MAX, &buf, &len);
		if (fd >= 0)
			close(fd);
	}
	if (rc < 0)
		msg_die_errno(TK_EXIT_FAILURE, -rc, "%s", from_stdin ? "stdin" : path);
	struct kv_error err;
	if (kvconf_parse_buffer(buf, len, want, &err) < 0)
		msg_die(TK_EXIT_USAGE, "%s:%u: %s", from_stdin ? "stdin" : path, err.line, err.why);
	free(buf);
}

static void put(const char *s)
{
	sysctld_put_text(stdout, s);
}

/* Name the boot path of a finding only when both were asked for. */
static int model_notes = 1;

static void print_text(const struct findings *f, const struct sysctld_report *rep)
{
	for (size_t i = 0; i < f->n; i++) {
		const struct finding *x = &f->v[i];
		if (x->kind == K_FILE_MASKED) {
			put(rep->our_path);
			fputs(": masked by ", stdout);
			put(rep->masked_by);
			printf(" (%s)\n", rep->masked_how);
			continue;
		}
		if (x->kind == K_SYSCTLD) {
			sysctld_format_finding(stdout, rep, x->r, x->v, model_notes ? (unsigned)x->models : 0,
					       SYSCTLD_FMT_AT_BOOT | SYSCTLD_FMT_WANTED);
			continue;
		}
		put(x->r->key);
		fputs(": ", stdout);
		if (x->kind == K_TUNED) {
			fputs("tuned profile ", stdout);
			put(x->ts->profile);
			fputs(" sets ", stdout);
			put(x->ts->value);
			fputs(" (", stdout);
			put(x->ts->file);
			printf(":%u)\n", x->ts->line);
			continue;
		}
		printf("retuned at run time by bpftune (pid %ld, tuner %s)\n", (long)x->pid, x->tuner);
	}
}

static void json_verdict(struct json *j, const char *name, const struct sysctld_verdict *v)
{
	json_object_begin(j, name);
	json_string(j, "status", sysctld_status_name(v->status));
	json_string(j, "value", v->value);
	json_string(j, "file", v->file);
	if (v->file)
		json_u64(j, "line", v->line);
	else
		json_null(j, "line");
	json_string(j, "glob", v->pattern);
	json_object_end(j);
}

static const char *model_word(int models)
{
	return models == 1 << SYSCTLD_SYSTEMD ? "systemd" : models == 1 << SYSCTLD_PROCPS ? "procps" : "both";
}

static void print_json(const struct findings *f, const struct sysctld_report *rep,
		       const struct tuned_state *ts, int tuned_on, const pid_t *bpids, size_t nbpids,
		       int comanagers)
{
	struct json j;
	json_init(&j, stdout);
	json_object_begin(&j, NULL);
	json_string(&j, "file", rep->our_path);
	json_bool(&j, "file_exists", rep->our_exists);
	json_string(&j, "masked_by", rep->masked_by);
	json_string(&j, "masked_how", rep->masked_by ? rep->masked_how : NULL);
	json_u64(&j, "files_read", rep->files_read);
	json_u64(&j, "malformed_lines", rep->malformed);
	json_array_begin(&j, "keys");
	for (size_t i = 0; i < rep->n; i++) {
		const struct sysctld_result *r = &rep->v[i];
		json_object_begin(&j, NULL);
		json_string(&j, "key", r->key);
		json_string(&j, "want", r->want);
		json_verdict(&j, "systemd", &r->model[SYSCTLD_SYSTEMD]);
		json_verdict(&j, "procps", &r->model[SYSCTLD_PROCPS]);
		json_object_end(&j);
	}
	json_array_end(&j);
	if (comanagers) {
		json_object_begin(&j, "tuned");
		json_string(&j, "active_profile", ts->active);
		json_bool(&j, "running", ts->pid != 0);
		json_bool(&j, "considered", tuned_on);
		json_array_begin(&j, "files");
		for (size_t i = 0; i < ts->nfiles; i++)
			json_string(&j, NULL, ts->files[i]);
		json_array_end(&j);
		json_array_begin(&j, "unresolved");
		for (size_t i = 0; i < ts->nunresolved; i++)
			json_string(&j, NULL, ts->unresolved[i]);
		json_array_end(&j);
		json_bool(&j, "include_loop", ts->include_loop);
		json_bool(&j, "too_deep", ts->too_deep);
		json_object_end(&j);
		json_object_begin(&j, "bpftune");
		json_bool(&j, "running", nbpids > 0);
		json_array_begin(&j, "pids");
		for (size_t i = 0; i < nbpids; i++)
			json_i64(&j, NULL, bpids[i]);
		json_array_end(&j);
		json_object_end(&j);
	}
	json_array_begin(&j, "findings");
	for (size_t i = 0; i < f->n; i++) {
		const struct finding *x = &f->v[i];
		json_object_begin(&j, NULL);
		switch (x->kind) {
		case K_FILE_MASKED:
			json_string(&j, "kind", "file_masked");
			json_null(&j, "key");
			json_string(&j, "file", rep->masked_by);
			json_string(&j, "detail", rep->masked_how);
			break;
		case K_TUNED:
			json_string(&j, "kind", "tuned");
			json_string(&j, "key", x->r->key);
			json_string(&j, "value", x->ts->value);
			json_string(&j, "file", x->ts->file);
			json_u64(&j, "line", x->ts->line);
			json_string(&j, "profile", x->ts->profile);
			break;
		case K_BPFTUNE:
			json_string(&j, "kind", "bpftune");
			json_string(&j, "key", x->r->key);
			json_i64(&j, "pid", x->pid);
			json_string(&j, "tuner", x->tuner);
			break;
		case K_SYSCTLD:
			json_string(&j, "kind", sysctld_status_name(x->v->status));
			json_string(&j, "key", x->r->key);
			json_string(&j, "model", model_word(x->models));
			json_string(&j, "value", x->v->value);
			json_string(&j, "file", x->v->file);
			if (x->v->file)
				json_u64(&j, "line", x->v->line);
			else
				json_null(&j, "line");
			json_string(&j, "glob", x->v->pattern);
			break;
		}
		json_object_end(&j);
	}
	json_array_end(&j);
	json_object_end(&j);
	putchar('\n');
}

static int same_verdict(const struct sysctld_verdict *a, const struct sysctld_verdict *b)
{
	return a->status == b->status && a->line == b->line &&
	       (a->value && b->value ? strcmp(a->value, b->value) == 0 : a->value == b->value) &&
	       (a->file && b->file ? strcmp(a->file, b->file) == 0 : a->file == b->file);
}

int main(int argc, char **argv)
{
	enum { OPT_ROOT = 256, OPT_FILE, OPT_WANT, OPT_MODEL, OPT_NOCO };
	static const struct option longopts[] = {
		{ "root", required_argument, NULL, OPT_ROOT },
		{ "file", required_argument, NULL, OPT_FILE },
		{ "want", required_argument, NULL, OPT_WANT },
		{ "model", required_argument, NULL, OPT_MODEL },
		{ "no-comanagers", no_argument, NULL, OPT_NOCO },
		{ "all", no_argument, NULL, 'a' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	const char *file = TK_SYSCTL_CONF, *want_path = NULL;
	int models = (1 << SYSCTLD_SYSTEMD) | (1 << SYSCTLD_PROCPS);
	int all = 0, json = 0, comanagers = 1, c;

	msg_init(argv[0]);
	close_stdout_atexit();
	while ((c = getopt_long(argc, argv, "ajhV", longopts, NULL)) != -1) {
		switch (c) {
		case OPT_ROOT:
			tk_set_root(optarg);
			break;
		case OPT_FILE:
			file = optarg;
			break;
		case OPT_WANT:
			want_path = optarg;
			break;
		case OPT_MODEL:
			if (strcmp(optarg, "systemd") == 0)
				models = 1 << SYSCTLD_SYSTEMD;
			else if (strcmp(optarg, "procps") == 0)
				models = 1 << SYSCTLD_PROCPS;
			else if (strcmp(optarg, "both") == 0)
				models = (1 << SYSCTLD_SYSTEMD) | (1 << SYSCTLD_PROCPS);
			else
				usage_error("--model", optarg, "not one of systemd, procps, both");
			break;
		case OPT_NOCO:
			comanagers = 0;
			break;
		case 'a':
			all = 1;
			break;
		case 'j':
			json = 1;
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

	model_notes = models == ((1 << SYSCTLD_SYSTEMD) | (1 << SYSCTLD_PROCPS));
	struct kv_list want = { 0 };
	if (want_path)
		load_want(want_path, strcmp(want_path, "-") == 0, &want);
	else
		load_want(file, 0, &want);

	struct sysctld_report rep;
	int rc = sysctld_lint(file, &want, &rep);
	if (rc == -EINVAL)
		msg_die(TK_EXIT_USAGE, "--file '%s': not NAME.conf in one of the sysctl.d directories", file);
	if (rc < 0)
		msg_die_errno(TK_EXIT_FAILURE, -rc, "reading the sysctl.d files under '%s'",
			      *tk_root() ? tk_root() : "/");

	struct tuned_state ts = { 0 };
	pid_t *bpids = NULL;
	size_t nbpids = 0;
	int tuned_on = 0;
	if (comanagers) {
		rc = tuned_load(&ts);
		if (rc < 0)
			msg_die_errno(TK_EXIT_FAILURE, -rc, "reading the TuneD profile");
		/* a leftover active_profile of a stopped, disabled TuneD fights
		 * nobody; the enablement link may point outside a --root tree */
		char *wants = tk_path("/etc/systemd/system/multi-user.target.wants/tuned.service");
		struct stat st;
		tuned_on = ts.pid != 0 || lstat(wants, &st) == 0;
		free(wants);
		if (proc_find_comm("bpftune", &bpids, &nbpids) < 0)
			nbpids = 0;
	}

	struct findings f = { 0 };
	if (rep.masked_by)
		add(&f, &(struct finding){ .kind = K_FILE_MASKED });
	for (size_t i = 0; i < rep.n; i++) {
		const struct sysctld_result *r = &rep.v[i];
		const struct sysctld_verdict *sd = &r->model[SYSCTLD_SYSTEMD], *pp = &r->model[SYSCTLD_PROCPS];
		int sd_bad = (models & (1 << SYSCTLD_SYSTEMD)) && sd->status != SYSCTLD_OK;
		int pp_bad = (models & (1 << SYSCTLD_PROCPS)) && pp->status != SYSCTLD_OK;
		if (sd_bad && pp_bad && same_verdict(sd, pp)) {
			add(&f, &(struct finding){ .kind = K_SYSCTLD, .r = r, .v = sd, .models = 3 });
		} else {
			if (sd_bad)
				add(&f, &(struct finding){ .kind = K_SYSCTLD, .r = r, .v = sd,
							   .models = 1 << SYSCTLD_SYSTEMD });
			if (pp_bad)
				add(&f, &(struct finding){ .kind = K_SYSCTLD, .r = r, .v = pp,
							   .models = 1 << SYSCTLD_PROCPS });
		}
		if (!comanagers)
			continue;
		char rel[SYSCTL_KEY_MAX + 1];
		if (tuned_on && sysctl_key_parse(r->key, NULL, 0, rel, sizeof(rel), NULL) == 0) {
			for (size_t t = 0; t < ts.n; t++)
				if (strcmp(ts.v[t].key, rel) == 0 && !sysctl_value_equal(ts.v[t].value, r->want))
					add(&f, &(struct finding){ .kind = K_TUNED, .r = r, .ts = &ts.v[t] });
		}
		const char *tuner = bpftune_tuner_for(r->key);
		if (nbpids && tuner)
			add(&f, &(struct finding){ .kind = K_BPFTUNE, .r = r, .pid = bpids[0], .tuner = tuner });
	}
	size_t nfindings = f.n;

	if (json) {
		print_json(&f, &rep, &ts, tuned_on, bpids, nbpids, comanagers);
	} else {
		if (all) {
			/* the ok keys as findings-like lines, in key order with the rest */
			struct findings g = { 0 };
			for (size_t i = 0; i < rep.n; i++) {
				size_t before = g.n;
				for (size_t k = 0; k < f.n; k++)
					if (f.v[k].kind != K_FILE_MASKED && f.v[k].r == &rep.v[i])
						add(&g, &f.v[k]);
				if (g.n == before)
					add(&g, &(struct finding){ .kind = K_SYSCTLD, .r = &rep.v[i],
								   .v = &rep.v[i].model[models & 1 ? SYSCTLD_SYSTEMD
												   : SYSCTLD_PROCPS],
								   .models = 3 });
			}
			if (rep.masked_by)
				print_text(&(struct findings){ f.v, 1 }, &rep);
			print_text(&g, &rep);
			free(g.v);
		} else {
			print_text(&f, &rep);
		}
	}

	free(f.v);
	free(bpids);
	tuned_state_free(&ts);
	sysctld_report_free(&rep);
	kv_list_free(&want);
	return nfindings ? TK_EXIT_DRIFT : TK_EXIT_OK;
}
