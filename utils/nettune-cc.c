/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * nettune-cc: TCP congestion control and the queueing discipline under it.
 * Recommends BBR with fq where both exist (CUBIC otherwise), and on apply
 * also replaces the root qdisc of existing interfaces, which default_qdisc
 * alone never touches.
 */
#include "config.h"

#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <limits.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "c.h"
#include "closestream.h"
#include "json.h"
#include "msg.h"
#include "optval.h"
#include "paths.h"
#include "qdisc.h"
#include "sockdiag.h"
#include "sysctl.h"
#include "tuner.h"
#include "xalloc.h"

#define KEY_AVAILABLE "net.ipv4.tcp_available_congestion_control"
#define KEY_ALLOWED "net.ipv4.tcp_allowed_congestion_control"
#define KEY_CC "net.ipv4.tcp_congestion_control"
#define KEY_QDISC "net.core.default_qdisc"

enum profile { PROFILE_BALANCED, PROFILE_THROUGHPUT, PROFILE_LATENCY };
static const char *const profile_names[] = { "balanced", "throughput", "latency" };

struct ctl {
	enum profile profile;
	const char *cc;        /* --cc: instead of the choice */
	const char *qdisc;     /* --qdisc: instead of the choice */
	char **ifaces;         /* --qdisc-ifaces, NULL-terminated */
	size_t nifaces;
	struct tuner_common common;
	int sockets;
	const char *kind;      /* the qdisc the recommendation chose, for apply */
};

static void __attribute__((__noreturn__)) usage(void)
{
	FILE *out = stdout;
	fprintf(out, "Usage:\n %s [options] show|recommend|apply|check\n", msg_progname());
	fputs("\nChoose the TCP congestion control and the qdisc: BBR with fq where both\n"
	      "exist, CUBIC otherwise; idle restart, window scaling, metrics and MTU\n"
	      "probing per profile.\n", out);
	fputs("\nCommands:\n"
	      " show          algorithms, default_qdisc, root qdisc per interface, and\n"
	      "                 how many connections use each algorithm\n"
	      " recommend     print sysctl.d lines (nothing changed)\n"
	      " apply         apply them as one transaction, and replace the root qdisc\n"
	      "                 of --qdisc-ifaces in the same transaction (needs root)\n"
	      " check         exit 3 when live values differ from the recommendation\n", out);
	fputs("\nOptions:\n"
	      " -p, --profile NAME       throughput, latency or balanced (default)\n"
	      " -c, --cc ALGO            use this algorithm instead of the choice\n"
	      " -Q, --qdisc KIND         use this qdisc instead of the choice\n"
	      " -I, --qdisc-ifaces LIST  apply: replace the root qdisc of these\n"
	      "                            interfaces (comma separated, or all); a\n"
	      "                            shaping setup (htb, tbf, ...) is never replaced\n"
	      " -s, --sockets            show: one line per connection\n"
	      " -e, --explain            say why each value, on stderr\n"
	      " -j, --json               show, check, apply: one JSON object\n"
	      "     --prom FILE          check: also write node_exporter textfile metrics\n"
	      "                            to FILE, atomically ('-': stdout, no text)\n"
	      " -n, --dry-run            apply: print what would change, change nothing\n"
	      "     --root DIR           files under DIR (snapshots, /etc/sysctl.d,\n"
	      "                            /lib/modules for the qdisc probe)\n"
	      " -q, --quiet              fewer messages\n"
	      " -v, --verbose            more messages\n"
	      " -h, --help               display this help\n"
	      " -V, --version            display version\n", out);
	fputs("\nEnvironment: TUNEKIT_PROC replaces /proc.\n", out);
	exit(TK_EXIT_OK);
}

/* 1 if word is one of the blank-separated words of list */
static int has_word(const char *list, const char *word)
{
	size_t n = strlen(word);
	for (const char *p = list; p && *p;) {
		p += strspn(p, " \t");
		size_t len = strcspn(p, " \t");
		if (len == n && !strncmp(p, word, n))
			return 1;
		p += len;
	}
	return 0;
}

static char *read_normalized(const char *key)
{
	char *v = NULL;
	if (sysctl_read(key, &v) == 0)
		sysctl_value_normalize(v, v, strlen(v) + 1);
	return v;
}

/* ---- recommend ------------------------------------------------------ */

/*
 * Whether the kernel knows kind: asked in a namespace of our own when we
 * may, guessed from the module lists otherwise (non-root, or --root, which
 * describes another system). 1 yes, 0 no, -1 no answer and the guess says no.
 */
static int kind_known(const char *kind, int live)
{
	if (live) {
		int p = qdisc_kind_probe(kind);
		if (p >= 0)
			return p;
	}
	return qdisc_kind_available(kind) ? 1 : live ? -1 : 0;
}

/* The qdisc the recommendation wants (NULL: none), and why. */
static const char *choose_qdisc(const struct ctl *ctl, const char *cc, int quiet)
{
	if (ctl->qdisc)
		return ctl->qdisc;
	int live = !tk_root()[0];
	if (kind_known("fq", live) > 0)
		return "fq";
	if (!quiet) {
		msg_info("qdisc fq is not available in this kernel (no sch_fq built in or as a module)");
		if (!strcmp(cc, "bbr"))
			msg_info("BBR does not need it: since Linux 4.13 TCP paces BBR flows itself "
				 "(internal pacing), at some extra CPU cost");
	}
	if (ctl->profile != PROFILE_THROUGHPUT && kind_known("fq_codel", live) > 0)
		return "fq_codel";
	return NULL;
}

static const char *recommend(const struct ctl *ctl, struct tuner_recs *recs, int quiet)
{
	char *avail = read_normalized(KEY_AVAILABLE);
	const char *cc = NULL, *qdisc;

	if (ctl->cc) {
		cc = ctl->cc;
	} else if (avail && has_word(avail, "bbr")) {
		cc = "bbr";
	} else if (avail && has_word(avail, "cubic")) {
		cc = "cubic";
		if (!quiet)
			msg_info("bbr is not available in this kernel (tcp_bbr): CUBIC instead");
	} else if (!quiet) {
		msg_warn("neither bbr nor cubic is available (%s): congestion control left as is",
			 avail ? avail : "tcp_available_congestion_control unreadable");
	}
	if (cc)
		tuner_set(recs, KEY_CC, TUNER_EQUAL,
			  strcmp(cc, "bbr") ? "the kernel's default loss-based algorithm" :
			  "BBR models bandwidth and RTT instead of reacting to loss", "%s", cc);
	qdisc = choose_qdisc(ctl, cc ? cc : "", quiet);
	if (qdisc)
		tuner_set(recs, KEY_QDISC, TUNER_EQUAL,
			  "qdisc for interfaces created from now on (apply --qdisc-ifaces for existing ones)",
			  "%s", qdisc);
	tuner_set(recs, "net.ipv4.tcp_slow_start_after_idle", TUNER_EQUAL,
		  "keep cwnd across idle periods (keep-alive connections resume at speed)", "0");
	tuner_set(recs, "net.ipv4.tcp_window_scaling", TUNER_EQUAL,
		  "windows above 64 KiB (RFC 7323)", "1");
	tuner_set(recs, "net.ipv4.tcp_mtu_probing", TUNER_EQUAL,
		  "probe the path MTU after an ICMP black hole is detected", "1");
	if (ctl->profile == PROFILE_LATENCY) {
		tuner_set(recs, "net.ipv4.tcp_no_metrics_save", TUNER_EQUAL,
			  "latency: new connections start from the cached RTT and cwnd", "0");
		tuner_set(recs, "net.ipv4.tcp_notsent_lowat", TUNER_EQUAL,
			  "latency: keep at most 128 KiB of unsent data queued in each socket", "131072");
	} else {
		tuner_set(recs, "net.ipv4.tcp_no_metrics_save", TUNER_EQUAL,
			  "each connection starts fresh (no stale ssthresh from an earlier loss)", "1");
	}
	free(avail);
	return qdisc;
}

/* ---- show ----------------------------------------------------------- */

struct cc_count {
	char name[16];
	uint64_t n;
};

static int cmp_count(const void *a, const void *b)
{
	return strcmp(((const struct cc_count *)a)->name, ((const struct cc_count *)b)->name);
}

static int show(const struct ctl *ctl)
{
	static const struct {
		const char *label, *key;
	} keys[] = {
		{ "available", KEY_AVAILABLE },
		{ "allowed", KEY_ALLOWED },
		{ "congestion_control", KEY_CC },
		{ "default_qdisc", KEY_QDISC },
	};
	struct qdisc_root *roots = NULL;
	struct sockdiag_conn *conns = NULL;
	size_t nroots = 0, nconns = 0, ncounts = 0;
	struct cc_count *counts = NULL;
	struct json w;
	int rc, status = TK_EXIT_OK;

	if (ctl->common.json) {
		json_init(&w, stdout);
		json_object_begin(&w, NULL);
	}
	for (size_t i = 0; i < ARRAY_SIZE(keys); i++) {
		char *v = read_normalized(keys[i].key);
		if (ctl->common.json)
			json_string(&w, keys[i].label, v);
		else
			printf("%s %s\n", keys[i].label, v ? v : "(absent)");
		free(v);
	}

	rc = qdisc_root_list(&roots, &nroots);
	if (rc < 0) {
		msg_warn_errno(-rc, "root qdisc dump");
		status = TK_EXIT_FAILURE;
	}
	if (ctl->common.json)
		json_array_begin(&w, "qdiscs");
	for (size_t i = 0; i < nroots; i++) {
		if (ctl->common.json) {
			json_object_begin(&w, NULL);
			json_string(&w, "iface", roots[i].ifname);
			json_string(&w, "kind", roots[i].kind);
			json_bool(&w, "default", roots[i].handle == 0);
			json_object_end(&w);
		} else {
			printf("qdisc %s %s\n", roots[i].ifname, roots[i].kind);
		}
	}
	if (ctl->common.json)
		json_array_end(&w);
	qdisc_root_list_free(roots, nroots);

	rc = sockdiag_tcp_list(SOCKDIAG_ALL_STATES, &conns, &nconns);
	if (rc < 0) {
		msg_warn_errno(-rc, "sock_diag dump");
		status = TK_EXIT_FAILURE;
	}
	for (size_t i = 0; i < nconns; i++) {
		const char *name = conns[i].cong[0] ? conns[i].cong : "unknown";
		size_t j;
		if (conns[i].state == 10 /* LISTEN */)
			continue;
		for (j = 0; j < ncounts && strcmp(counts[j].name, name); j++)
			;
		if (j == ncounts) {
			counts = xreallocarray(counts, ncounts + 1, sizeof(*counts));
			memset(&counts[ncounts], 0, sizeof(*counts));
			snprintf(counts[ncounts].name, sizeof(counts[ncounts].name), "%s", name);
			ncounts++;
		}
		counts[j].n++;
	}
	if (ncounts > 1)
		qsort(counts, ncounts, sizeof(*counts), cmp_count);
	if (ctl->common.json)
		json_object_begin(&w, "connections");
	for (size_t i = 0; i < ncounts; i++) {
		if (ctl->common.json)
			json_u64(&w, counts[i].name, counts[i].n);
		else
			printf("connections %s %" PRIu64 "\n", counts[i].name, counts[i].n);
	}
	if (ctl->common.json)
		json_object_end(&w);
	if (ctl->sockets) {
		if (ctl->common.json)
			json_array_begin(&w, "sockets");
		for (size_t i = 0; i < nconns; i++) {
			const struct sockdiag_conn *c = &conns[i];
			const char *state = sockdiag_state_name(c->state);
			if (c->state == 10)
				continue;
			if (ctl->common.json) {
				json_object_begin(&w, NULL);
				json_string(&w, "local", c->local);
				json_string(&w, "peer", c->peer);
				json_string(&w, "state", state);
				json_string(&w, "cc", c->cong[0] ? c->cong : NULL);
				json_object_end(&w);
			} else {
				printf("socket %s %s %s %s\n", c->local, c->peer, state,
				       c->cong[0] ? c->cong : "unknown");
			}
		}
		if (ctl->common.json)
			json_array_end(&w);
	}
	if (ctl->common.json)
		json_object_end(&w);
	free(counts);
	free(conns);
	return status;
}

/* ---- apply: the qdisc step inside the transaction ------------------- */

struct qdisc_step {
	const char *kind;
	struct qdisc_root *saved; /* the interfaces to replace, as they are */
	size_t n;
	size_t done;              /* how many were replaced */
	struct txn_changes *log;  /* each replacement as "qdisc/IFACE": old -> new */
	char why[256];
};

/* Put back what was already replaced, newest first. */
static void undo_qdiscs(void *arg)
{
	struct qdisc_step *st = arg;
	while (st->done > 0) {
		const struct qdisc_root *back = &st->saved[--st->done];
		int rc = qdisc_restore_root(back);
		if (rc < 0)
			msg_warn_errno(-rc, "%s: cannot put back qdisc %s", back->ifname, back->kind);
	}
}

/* The replacements (done, or planned in a dry run) as change records. */
static void log_qdiscs(const struct qdisc_step *st)
{
	for (size_t i = 0; st->log && i < st->n; i++) {
		char *key = xasprintf("qdisc/%s", st->saved[i].ifname);
		txn_changes_add(st->log, key, st->saved[i].kind, st->kind);
		free(key);
	}
}

static int replace_qdiscs(void *arg, struct txn_error *err)
{
	struct qdisc_step *st = arg;
	char kmsg[200];

	for (size_t i = 0; i < st->n; i++) {
		const struct qdisc_root *old = &st->saved[i];
		int rc = qdisc_replace_root(old->ifindex, st->kind, kmsg, sizeof(kmsg));
		if (rc < 0) {
			if (rc == -ENOENT)
				snprintf(st->why, sizeof(st->why), "qdisc %s is not available in this kernel",
					 st->kind);
			else if (rc == -EPERM)
				snprintf(st->why, sizeof(st->why), "replacing qdisc %s needs root or "
					 "CAP_NET_ADMIN", st->kind);
			else
				snprintf(st->why, sizeof(st->why), "cannot replace the root qdisc with %s%s%s",
					 st->kind, kmsg[0] ? ": " : "", kmsg);
			undo_qdiscs(st);
			snprintf(err->key, sizeof(err->key), "qdisc dev %s", old->ifname);
			err->why = st->why;
			err->errnum = rc == -ENOENT || rc == -EPERM ? 0 : -rc;
			return rc;
		}
		st->done++;
	}
	log_qdiscs(st);
	return 0;
}

/*
 * Why the root qdisc of q's interface is not ours to replace (a user's
 * shaping or classification setup), in why; 0 when it may be replaced,
 * 1 when not, -errno when the tree cannot be read.
 */
static int shaping_setup(const struct qdisc_root *q, char *why, size_t len)
{
	struct qdisc_tree t;
	int rc = qdisc_tree_get(q->ifindex, &t);
	if (rc < 0)
		return rc;
	if (!qdisc_kind_is_default(q->kind)) {
		char counts[80] = "";
		if (t.nclasses && t.nfilters)
			snprintf(counts, sizeof(counts), " (%zu class%s, %zu filter%s)", t.nclasses,
				 t.nclasses == 1 ? "" : "es", t.nfilters, t.nfilters == 1 ? "" : "s");
		else if (t.nclasses)
			snprintf(counts, sizeof(counts), " (%zu class%s)", t.nclasses,
				 t.nclasses == 1 ? "" : "es");
		else if (t.nfilters)
			snprintf(counts, sizeof(counts), " (%zu filter%s)", t.nfilters,
				 t.nfilters == 1 ? "" : "s");
		snprintf(why, len, "root qdisc %s%s is a shaping setup", q->kind, counts);
		return 1;
	}
	if (t.child_kind[0]) {
		snprintf(why, len, "root qdisc %s holds %s below it, a shaping setup", q->kind, t.child_kind);
		return 1;
	}
	if (t.nfilters) {
		snprintf(why, len, "root qdisc %s has %zu filter%s, a classification setup", q->kind,
			 t.nfilters, t.nfilters == 1 ? "" : "s");
		return 1;
	}
	return 0;
}

/* 1 when ctl->ifaces is the word "all" */
static int all_ifaces(const struct ctl *ctl)
{
	return ctl->nifaces == 1 && !strcmp(ctl->ifaces[0], "all");
}

/*
 * Which interfaces the step replaces, decided before anything changes:
 * named ones that hold a user's setup are a usage error (exit 2, nothing
 * changed); with "all" they are left alone with a note. Interfaces already
 * on kind need nothing.
 */
static void plan_qdiscs(const struct ctl *ctl, const char *kind, struct qdisc_step *st)
{
	struct qdisc_root *roots = NULL;
	size_t nroots = 0;
	int refused = 0, rc;
	char why[200];

	if (all_ifaces(ctl)) {
		rc = qdisc_root_list(&roots, &nroots);
		if (rc < 0)
			msg_die_errno(TK_EXIT_FAILURE, -rc, "root qdisc dump");
	} else {
		roots = xcalloc(ctl->nifaces, sizeof(*roots));
		for (size_t i = 0; i < ctl->nifaces; i++, nroots++) {
			rc = qdisc_root_get(ctl->ifaces[i], &roots[i]);
			if (rc == -ENODEV)
				msg_die(TK_EXIT_USAGE, "%s: no such interface; nothing changed", ctl->ifaces[i]);
			if (rc < 0)
				msg_die_errno(TK_EXIT_FAILURE, -rc, "%s: root qdisc", ctl->ifaces[i]);
		}
	}
	st->saved = xcalloc(nroots + 1, sizeof(*st->saved));
	for (size_t i = 0; i < nroots; i++) {
		struct qdisc_root *q = &roots[i];
		int keep = 0;
		if (all_ifaces(ctl) && (!strcmp(q->ifname, "lo") || !strcmp(q->kind, "noqueue"))) {
			msg_verbose("%s: root qdisc %s: a device without a queue, left alone", q->ifname, q->kind);
			keep = 1;
		} else if ((rc = shaping_setup(q, why, sizeof(why))) < 0) {
			msg_die_errno(TK_EXIT_FAILURE, -rc, "%s: reading the qdisc tree", q->ifname);
		} else if (rc > 0 && all_ifaces(ctl)) {
			msg_info("%s: %s; left alone", q->ifname, why);
			keep = 1;
		} else if (rc > 0) {
			msg_warn("%s: %s; tunekit does not replace it", q->ifname, why);
			refused = 1;
			keep = 1;
		} else if (!strcmp(q->kind, kind)) {
			msg_verbose("%s: root qdisc is %s already", q->ifname, kind);
			keep = 1;
		}
		if (keep) {
			qdisc_root_free(q);
			continue;
		}
		st->saved[st->n++] = *q;
	}
	free(roots);
	if (refused)
		msg_die(TK_EXIT_USAGE, "nothing changed (remove the setup with tc, or leave the "
			"interface out of --qdisc-ifaces)");
}

/* a write the kernel refused (not our missing privileges): say why in cc's words */
static int explain_failure(int rc, const struct txn_error *err)
{
	if (rc != -EPERM || !err->refused || strcmp(err->key, KEY_CC))
		return 0;
	char *allowed = NULL;
	sysctl_read("net.ipv4.tcp_allowed_congestion_control", &allowed);
	msg_warn("%s: the kernel refused the algorithm (EPERM): inside a network "
		 "namespace only the algorithms in net.ipv4.tcp_allowed_congestion_control "
		 "(%s) can be set; nothing was changed",
		 err->key, allowed ? allowed : "unknown");
	free(allowed);
	return 1;
}

static int apply(const struct ctl *ctl, struct tuner_recs *recs, const char *kind)
{
	struct txn_changes log = { 0 };
	struct qdisc_step st = { .kind = kind, .log = &log };
	struct txn_opts opts = { .dry_run = ctl->common.dry_run, .note = "nettune-cc apply", .log = &log };
	int rc;

	if (ctl->qdisc) {
		int known = kind_known(ctl->qdisc, 1);
		if (known == 0)
			msg_die(TK_EXIT_USAGE, "qdisc %s is not available in this kernel; nothing changed",
				ctl->qdisc);
		if (known < 0)
			msg_info("cannot ask the kernel whether it knows qdisc %s (needs root)", ctl->qdisc);
	}
	if (ctl->nifaces) {
		if (!kind)
			msg_die(TK_EXIT_USAGE, "no qdisc to put on %s: qdisc fq is not available in this "
				"kernel; name one with --qdisc", ctl->ifaces[0]);
		plan_qdiscs(ctl, kind, &st);
		/* the step runs inside the transaction, under its lock, even when no key changes */
		if (st.n && !ctl->common.dry_run) {
			opts.after_write = replace_qdiscs;
			opts.undo_after_write = undo_qdiscs;
			opts.after_write_ctx = &st;
		} else if (st.n) {
			log_qdiscs(&st);
		}
	}
	rc = tuner_apply(recs, &opts, msg_verbosity < 0, ctl->common.json, explain_failure);
	if (rc == TK_EXIT_OK && !ctl->common.json)
		for (size_t i = 0; i < st.n; i++)
			printf("qdisc dev %s: %s -> %s%s\n", st.saved[i].ifname, st.saved[i].kind, kind,
			       ctl->common.dry_run ? " (dry run)" : "");
	for (size_t i = 0; i < st.n; i++)
		qdisc_root_free(&st.saved[i]);
	free(st.saved);
	txn_changes_free(&log);
	return rc;
}

/* ---- the tuner's callbacks ------------------------------------------ */

static int show_cb(void *ctl)
{
	return show(ctl);
}

static void recommend_cb(void *p, struct tuner_recs *recs, enum tuner_command cmd, int quiet)
{
	struct ctl *ctl = p;
	(void)cmd;
	ctl->kind = recommend(ctl, recs, quiet);
}

static int apply_cb(void *ctl, struct tuner_recs *recs)
{
	return apply(ctl, recs, ((struct ctl *)ctl)->kind);
}

/* ---- main ----------------------------------------------------------- */

static void parse_ifaces(struct ctl *ctl, const char *arg)
{
	char *copy = xstrdup(arg), *save = NULL;
	for (char *tok = strtok_r(copy, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		if (!*tok || strlen(tok) >= IF_NAMESIZE || strchr(tok, '/') || !strcmp(tok, ".") ||
		    !strcmp(tok, ".."))
			usage_error("--qdisc-ifaces", arg, NULL);
		ctl->ifaces = xreallocarray(ctl->ifaces, ctl->nifaces + 2, sizeof(char *));
		ctl->ifaces[ctl->nifaces++] = xstrdup(tok);
		ctl->ifaces[ctl->nifaces] = NULL;
	}
	free(copy);
	if (!ctl->nifaces)
		usage_error("--qdisc-ifaces", arg, NULL);
	for (size_t i = 0; ctl->nifaces > 1 && i < ctl->nifaces; i++)
		if (!strcmp(ctl->ifaces[i], "all"))
			usage_error("--qdisc-ifaces", arg, NULL); /* "all" stands alone */
}

static int valid_name(const char *s, size_t max)
{
	if (!*s || strlen(s) >= max)
		return 0;
	for (const char *p = s; *p; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') || *p == '_' || *p == '-'))
			return 0;
	return 1;
}

int main(int argc, char **argv)
{
	
	static const struct option longopts[] = {
		{ "profile", required_argument, NULL, 'p' },
		{ "cc", required_argument, NULL, 'c' },
		{ "qdisc", required_argument, NULL, 'Q' },
		{ "qdisc-ifaces", required_argument, NULL, 'I' },
		{ "sockets", no_argument, NULL, 's' },
		TUNER_LONGOPTS,
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	struct ctl ctl = { .profile = PROFILE_BALANCED };
	int c, found;

	msg_init(argv[0]);
	close_stdout_atexit();
	while ((c = getopt_long(argc, argv, "p:c:Q:I:sejnqvhV", longopts, NULL)) != -1) {
		switch (c) {
		case 'p':
			found = 0;
			for (size_t i = 0; i < ARRAY_SIZE(profile_names); i++)
				if (!strcmp(optarg, profile_names[i])) {
					ctl.profile = (enum profile)i;
					found = 1;
				}
			if (!found)
				usage_error("--profile", optarg, NULL);
			break;
		case 'c':
			if (!valid_name(optarg, 16))
				usage_error("--cc", optarg, NULL);
			ctl.cc = optarg;
			break;
		case 'Q':
			if (!valid_name(optarg, QDISC_KIND_MAX))
				usage_error("--qdisc", optarg, NULL);
			ctl.qdisc = optarg;
			break;
		case 'I':
			parse_ifaces(&ctl, optarg);
			break;
		case 's':
			ctl.sockets = 1;
			break;
		case 'h':
			usage();
		case 'V':
			print_version();
		default:
			if (!tuner_option(c, optarg, &ctl.common))
				usage_hint();
		}
	}
	enum tuner_command cmd = tuner_command(argc, argv, optind, NULL, &ctl.common);
	if (ctl.nifaces && cmd != TUNER_APPLY) {
		msg_warn("--qdisc-ifaces is for apply");
		usage_hint();
	}
	if (cmd != TUNER_SHOW && ctl.cc) {
		char *avail = read_normalized(KEY_AVAILABLE);
		if (avail && !has_word(avail, ctl.cc)) {
			msg_warn("congestion control '%s' is not available in this kernel (%s)", ctl.cc, avail);
			free(avail);
			return TK_EXIT_USAGE;
		}
		free(avail);
	}
	static const struct tuner_ops ops = {
		.name = "nettune-cc",
		.show = show_cb,
		.recommend = recommend_cb,
		.apply = apply_cb,
	};
	int rc = tuner_run(&ops, &ctl, &ctl.common, cmd);
	for (size_t i = 0; i < ctl.nifaces; i++)
		free(ctl.ifaces[i]);
	free(ctl.ifaces);
	return rc;
}
