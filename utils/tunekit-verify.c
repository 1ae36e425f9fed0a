/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * tunekit-verify: the measuring and deciding halves of `nettune optimize
 * --verify` (the script alternates the rounds and applies and restores).
 *
 *   tunekit-verify measure [-c N] [-W DUR] [--iperf3-json FILE] TARGET...
 *       one round: every target probed N times, one at a time (targets as
 *       nettune-probe takes them: HOST is ICMP echo, HOST:PORT TCP connect,
 *       http(s):// the total time of a GET); with --iperf3-json, the
 *       per-interval throughput of an `iperf3 -J` run. One JSON object on
 *       stdout. Exit 1 when a target answered nothing.
 *   tunekit-verify decide [--alpha A] [--keep-if better|not-worse]
 *       [--profile NAME] [--save FILE] SIDE=FILE...
 *       pool the rounds per side (SIDE is baseline or candidate), Mann-
 *       Whitney U per measure, print the summary, write the report. Exit 0
 *       better, 1 worse, 3 no measurable difference (inconclusive too).
 *
 * Installed in /usr/libexec/tunekit.
 */
#include "config.h"

#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <netdb.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "atomicfile.h"
#include "c.h"
#include "closestream.h"
#include "fileutil.h"
#include "json.h"
#include "jsonread.h"
#include "msg.h"
#include "netprobe.h"
#include "probetarget.h"
#include "stats.h"
#include "tlsprobe.h"
#include "units.h"
#include "xalloc.h"

#define NS_PER_MS 1000000.0
#define ROUND_FILE_MAX (4u << 20)
#define COUNT_MAX 1000
#define ROUNDS_MAX 1000

enum { EXIT_NO_DIFFERENCE = 3 };

static void __attribute__((__noreturn__)) usage(void)
{
	printf("Usage:\n"
	       " %1$s measure [-c N] [-W DURATION] [--iperf3-json FILE] TARGET...\n"
	       " %1$s decide [--alpha A] [--keep-if better|not-worse] [--profile NAME]\n"
	       "        [--save FILE] baseline=FILE|candidate=FILE...\n\n"
	       "The two halves of 'nettune optimize --verify'. measure: one round of\n"
	       "probes, one target at a time (HOST: ICMP echo, HOST:PORT: TCP connect,\n"
	       "http(s)://: total time of a GET), per-probe latencies and iperf3\n"
	       "interval throughputs as JSON. decide: Mann-Whitney U on the pooled\n"
	       "rounds of each side at significance level A (default 0.05).\n\n"
	       "Options:\n"
	       " -c, --count N            probes per target and round (default 5)\n"
	       " -W, --timeout DURATION   time limit of one probe (default 10s: a slow\n"
	       "                            download is a measurement, not a failure)\n"
	       "     --iperf3-json FILE   add the intervals of an iperf3 -J result\n"
	       "     --alpha A            significance level, 0 < A < 0.5 (default 0.05)\n"
	       "     --keep-if MODE       better or not-worse (default): when the\n"
	       "                            candidate stays (written to the report)\n"
	       "     --profile NAME       the candidate's name, for the report\n"
	       "     --save FILE          write the JSON report to FILE (atomically)\n"
	       " -h, --help               display this help\n"
	       " -V, --version            display version\n\n"
	       "Exit status: measure: 0, 1 a target answered nothing, 2 bad usage.\n"
	       "decide: 0 better, 1 worse, 3 no measurable difference or inconclusive,\n"
	       "2 bad usage or unreadable rounds.\n",
	       msg_progname());
	exit(TK_EXIT_OK);
}

/* ---- measure ------------------------------------------------------------ */

struct vtarget {
	struct probe_target t;
	char host_header[PROBE_HOST_MAX + 16];
	unsigned sent, received;
	char error[200];
};

struct samples {
	double *v;
	size_t n, cap;
};

static void samples_add(struct samples *s, double x)
{
	if (s->n == s->cap) {
		s->cap = s->cap ? 2 * s->cap : 64;
		s->v = xreallocarray(s->v, s->cap, sizeof(*s->v));
	}
	s->v[s->n++] = x;
}

static int resolve(const struct probe_target *t, struct sockaddr_storage *ss, socklen_t *len, char *err,
		   size_t errlen)
{
	struct addrinfo hints = { .ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM }, *res = NULL;
	char port[8];
	snprintf(port, sizeof(port), "%u", t->port);
	int rc = getaddrinfo(t->host, port, &hints, &res);
	if (rc) {
		snprintf(err, errlen, "cannot resolve %s: %s", t->host,
			 rc == EAI_SYSTEM ? strerror(errno) : gai_strerror(rc));
		return -1;
	}
	memcpy(ss, res->ai_addr, res->ai_addrlen);
	*len = res->ai_addrlen;
	freeaddrinfo(res);
	return 0;
}

/* One probe of t: 0 with *ms, or -errno with t->error set. */
static int probe_once(struct vtarget *t, struct tlsprobe_ctx *tls, uint64_t timeout_ns, double *ms)
{
	uint64_t ns = 0;
	int rc;
	if (t->t.http) {
		struct netprobe_http_req rq = {
			.host = t->t.host,
			.port = t->t.port ? t->t.port : t->t.tls ? 443 : 80,
			.family = AF_UNSPEC,
			.host_header = t->host_header,
			.path = t->t.path,
			.tls = t->t.tls ? tls : NULL,
			.timeout_ns = timeout_ns,
		};
		struct netprobe_http h;
		rc = netprobe_http_get(&rq, &h);
		if (rc == 0 && h.status && h.reached[NETPROBE_TOTAL]) {
			*ms = (double)h.ns[NETPROBE_TOTAL] / NS_PER_MS;
			return 0;
		}
		snprintf(t->error, sizeof(t->error), "%s", h.why[0] ? h.why : strerror(rc ? -rc : EPROTO));
		return rc ? rc : -EPROTO;
	}
	struct sockaddr_storage ss;
	socklen_t len;
	if (resolve(&t->t, &ss, &len, t->error, sizeof(t->error)))
		return -EHOSTUNREACH;
	if (t->t.port) {
		rc = netprobe_tcp_connect((struct sockaddr *)&ss, len, timeout_ns, &ns, NULL);
	} else {
		struct netprobe_icmp s;
		rc = netprobe_icmp_open(&s, ss.ss_family, NETPROBE_ICMP_AUTO);
		if (rc == 0) {
			rc = netprobe_icmp_echo(&s, (struct sockaddr *)&ss, len, timeout_ns, &ns);
			netprobe_icmp_close(&s);
		}
	}
	if (rc) {
		snprintf(t->error, sizeof(t->error), "%s", strerror(-rc));
		return rc;
	}
	*ms = (double)ns / NS_PER_MS;
	return 0;
}

/* The interval throughputs (intervals[].sum.bits_per_second) of iperf3 -J output. */
static void iperf3_intervals(const char *path, struct samples *out)
{
	char *buf;
	size_t len;
	int rc = read_file(path, ROUND_FILE_MAX, &buf, &len);
	if (rc < 0)
		msg_die_errno(TK_EXIT_FAILURE, -rc, "%s", path);
	struct jv v;
	struct jv_error err;
	rc = jv_parse(buf, len, &v, &err);
	free(buf);
	if (rc < 0)
		msg_die(TK_EXIT_FAILURE, "%s: not iperf3 JSON: %s at byte %zu", path, err.why, err.offset);
	const char *why = jv_get_string(&v, "error");
	if (why)
		msg_die(TK_EXIT_FAILURE, "iperf3: %s", why);
	const struct jv *iv = jv_get(&v, "intervals");
	for (size_t i = 0; iv && iv->type == JV_ARRAY && i < iv->n; i++) {
		const struct jv *sum = jv_get(&iv->items[i], "sum");
		double bps;
		if (sum && sum->type == JV_OBJECT && jv_get_number(sum, "bits_per_second", &bps) == 0 &&
		    isfinite(bps) && bps >= 0)
			samples_add(out, bps);
	}
	jv_free(&v);
	if (!out->n)
		msg_die(TK_EXIT_FAILURE, "%s: iperf3 reported no intervals", path);
}

static int cmd_measure(unsigned count, uint64_t timeout_ns, const char *iperf3_json, char **argv, int argc)
{
	struct vtarget *v = xcalloc(argc ? (size_t)argc : 1, sizeof(*v));
	struct tlsprobe_ctx *tls = NULL;
	for (int i = 0; i < argc; i++) {
		const char *why;
		if (probe_target_parse(argv[i], strlen(argv[i]), &v[i].t, &why) < 0) {
			msg_warn("invalid target '%s': %s", argv[i], why);
			usage_hint();
		}
		int v6 = strchr(v[i].t.host, ':') != NULL;
		if (v[i].t.port)
			snprintf(v[i].host_header, sizeof(v[i].host_header), v6 ? "[%s]:%u" : "%s:%u", v[i].t.host,
				 v[i].t.port);
		else
			snprintf(v[i].host_header, sizeof(v[i].host_header), v6 ? "[%s]" : "%s", v[i].t.host);
		if (v[i].t.tls && !tls) {
			char err[256];
			if (tlsprobe_ctx_new(&tls, NULL, 0, err, sizeof(err)) < 0)
				msg_die(TK_EXIT_FAILURE, "TLS: %s", err);
		}
	}
	struct samples lat = { 0 }, tput = { 0 };
	/* rounds of one probe a target, so a slow moment hits every target alike */
	for (unsigned r = 0; r < count; r++)
		for (int i = 0; i < argc; i++) {
			double ms;
			v[i].sent++;
			if (probe_once(&v[i], tls, timeout_ns, &ms) == 0) {
				v[i].received++;
				samples_add(&lat, ms);
			}
		}
	if (iperf3_json)
		iperf3_intervals(iperf3_json, &tput);

	int silent = 0;
	struct json j;
	json_init(&j, stdout);
	json_object_begin(&j, NULL);
	json_u64(&j, "tunekit_verify_round", 1);
	json_array_begin(&j, "targets");
	for (int i = 0; i < argc; i++) {
		json_object_begin(&j, NULL);
		json_string(&j, "target", v[i].t.spec);
		json_u64(&j, "sent", v[i].sent);
		json_u64(&j, "received", v[i].received);
		json_string(&j, "error", v[i].received < v[i].sent && v[i].error[0] ? v[i].error : NULL);
		json_object_end(&j);
		if (!v[i].received) {
			silent++;
			msg_warn("%s: no answer: %s", v[i].t.spec, v[i].error[0] ? v[i].error : "?");
		}
	}
	json_array_end(&j);
	json_array_begin(&j, "latency_ms");
	for (size_t i = 0; i < lat.n; i++)
		json_double(&j, NULL, lat.v[i], 3);
	json_array_end(&j);
	json_array_begin(&j, "throughput_bps");
	for (size_t i = 0; i < tput.n; i++)
		json_double(&j, NULL, tput.v[i], 0);
	json_array_end(&j);
	json_object_end(&j);
	putchar('\n');
	for (int i = 0; i < argc; i++)
		probe_target_free(&v[i].t);
	free(v);
	free(lat.v);
	free(tput.v);
	if (tls)
		tlsprobe_ctx_free(tls);
	return silent ? TK_EXIT_FAILURE : TK_EXIT_OK;
}

/* ---- decide ------------------------------------------------------------- */

enum side { BASELINE, CANDIDATE };
enum outcome { OUT_NONE, OUT_SAME, OUT_INCONCLUSIVE, OUT_BETTER, OUT_WORSE };
static const char *const outcome_names[] = { "no data", "no measurable difference", "inconclusive", "better",
					     "worse" };

struct round {
	enum side side;
	struct samples latency, throughput;
};

/* One measure (latency or throughput) across the rounds. */
struct measure {
	const char *name, *unit, *json_unit;
	int higher_is_better;
	double scale; /* shown value = sample / scale */
	struct samples side[2];
	struct samples baseline_round_medians;
	struct stats st[2];
	struct mann_whitney mw;
	double noise, detectable;
	enum outcome outcome;
};

static void load_round(const char *arg, struct round *r)
{
	const char *eq = strchr(arg, '=');
	if (eq && eq - arg == 8 && !strncmp(arg, "baseline", 8))
		r->side = BASELINE;
	else if (eq && eq - arg == 9 && !strncmp(arg, "candidate", 9))
		r->side = CANDIDATE;
	else {
		msg_warn("'%s': not baseline=FILE or candidate=FILE", arg);
		usage_hint();
	}
	const char *path = eq + 1;
	char *buf;
	size_t len;
	int rc = read_file(path, ROUND_FILE_MAX, &buf, &len);
	if (rc < 0)
		msg_die_errno(TK_EXIT_USAGE, -rc, "%s", path);
	struct jv v;
	struct jv_error err;
	rc = jv_parse(buf, len, &v, &err);
	free(buf);
	if (rc < 0)
		msg_die(TK_EXIT_USAGE, "%s: not a round: %s at byte %zu", path, err.why, err.offset);
	static const char *const keys[] = { "latency_ms", "throughput_bps" };
	for (int k = 0; k < 2; k++) {
		const struct jv *a = jv_get(&v, keys[k]);
		if (!a || a->type != JV_ARRAY)
			msg_die(TK_EXIT_USAGE, "%s: not a round: no %s array", path, keys[k]);
		for (size_t i = 0; i < a->n; i++) {
			if (a->items[i].type != JV_NUMBER || !isfinite(a->items[i].number) || a->items[i].number < 0)
				msg_die(TK_EXIT_USAGE, "%s: %s[%zu]: not a measurement", path, keys[k], i);
			samples_add(k ? &r->throughput : &r->latency, a->items[i].number);
		}
	}
	jv_free(&v);
}

static double median_of(const struct samples *s)
{
	struct stats st;
	return stats_summarize(s->v, s->n, &st) == 0 ? st.median : NAN;
}

/*
 * The stated rule. Mann-Whitney U on the pooled samples of each side at
 * alpha. The smallest shift the test could detect (power 0.8) is
 * (z(1 - alpha/2) + z(0.8)) * sigma * sqrt(1/na + 1/nb), sigma the MAD of
 * the pooled baseline; the noise is the largest distance of one baseline
 * round's median from the median of all baseline samples. When the noise
 * exceeds that detectable shift, the rounds of the same state differ more
 * than the test resolves: a result is then only taken when the shift is
 * also larger than the noise (more than one round of the start state alone
 * can move), else it is inconclusive.
 */
static void judge(struct measure *m, double alpha)
{
	if (!m->side[BASELINE].n || !m->side[CANDIDATE].n) {
		m->outcome = OUT_NONE;
		return;
	}
	const struct samples *b = &m->side[BASELINE], *c = &m->side[CANDIDATE];
	if (stats_summarize(b->v, b->n, &m->st[BASELINE]) || stats_summarize(c->v, c->n, &m->st[CANDIDATE]))
		msg_die(TK_EXIT_USAGE, "%s: invalid samples", m->name);
	int rc = stats_mann_whitney(b->v, b->n, c->v, c->n, &m->mw);
	if (rc < 0)
		msg_die_errno(TK_EXIT_USAGE, -rc, "%s: Mann-Whitney U", m->name);
	double sigma = 0;
	stats_mad_sigma(b->v, b->n, &sigma);
	m->detectable = (stats_normal_quantile(1 - alpha / 2) + stats_normal_quantile(0.8)) * sigma *
			sqrt(1.0 / (double)b->n + 1.0 / (double)c->n);
	m->noise = 0;
	for (size_t i = 0; m->baseline_round_medians.n > 1 && i < m->baseline_round_medians.n; i++) {
		double d = fabs(m->baseline_round_medians.v[i] - m->st[BASELINE].median);
		if (d > m->noise)
			m->noise = d;
	}
	int noisy = m->noise > m->detectable;
	if (m->mw.p < alpha && !(noisy && fabs(m->mw.shift) <= m->noise))
		m->outcome = (m->mw.shift > 0) == (m->higher_is_better != 0) ? OUT_BETTER : OUT_WORSE;
	else
		m->outcome = noisy ? OUT_INCONCLUSIVE : OUT_SAME;
}

static void json_measure_side(struct json *j, const char *key, const struct measure *m, const struct stats *st,
			      size_t n)
{
	char name[32];
	json_object_begin(j, key);
	json_u64(j, "n", n);
	if (n) {
		snprintf(name, sizeof(name), "median_%s", m->json_unit);
		json_double(j, name, st->median, 3);
		snprintf(name, sizeof(name), "p95_%s", m->json_unit);
		json_double(j, name, st->p95, 3);
	}
	json_object_end(j);
}

static void write_report(FILE *out, struct measure *ms, size_t nm, const struct round *rounds, size_t nr,
			 const char *profile, double alpha, const char *keep_if, enum outcome verdict,
			 const char *action, size_t per_side[2])
{
	struct json j;
	json_init(&j, out);
	json_object_begin(&j, NULL);
	json_u64(&j, "tunekit_report", 1);
	json_object_begin(&j, "verify");
	json_string(&j, "profile", profile);
	json_double(&j, "alpha", alpha, 6);
	json_string(&j, "keep_if", keep_if);
	json_u64(&j, "baseline_rounds", per_side[BASELINE]);
	json_u64(&j, "candidate_rounds", per_side[CANDIDATE]);
	json_string(&j, "test", "Mann-Whitney U, two-sided, normal approximation with tie and continuity correction");
	json_string(&j, "verdict", outcome_names[verdict]);
	json_string(&j, "action", action);
	for (size_t i = 0; i < nm; i++) {
		const struct measure *m = &ms[i];
		if (m->outcome == OUT_NONE) {
			json_null(&j, m->name);
			continue;
		}
		json_object_begin(&j, m->name);
		json_string(&j, "verdict", outcome_names[m->outcome]);
		json_double(&j, "u", m->mw.u_a, 1);
		json_double(&j, "z", m->mw.z, 4);
		json_double(&j, "p", m->mw.p, 8);
		char name[32];
		snprintf(name, sizeof(name), "shift_%s", m->json_unit);
		json_double(&j, name, m->mw.shift / m->scale, 3);
		snprintf(name, sizeof(name), "detectable_%s", m->json_unit);
		json_double(&j, name, m->detectable / m->scale, 3);
		snprintf(name, sizeof(name), "baseline_noise_%s", m->json_unit);
		json_double(&j, name, m->noise / m->scale, 3);
		json_object_end(&j);
	}
	json_object_end(&j);
	for (int s = 0; s < 2; s++) {
		json_object_begin(&j, s == BASELINE ? "baseline" : "candidate");
		for (size_t i = 0; i < nm; i++) {
			struct stats st = ms[i].st[s];
			st.median /= ms[i].scale;
			st.p95 /= ms[i].scale;
			json_measure_side(&j, ms[i].name, &ms[i], &st, ms[i].side[s].n);
		}
		json_object_end(&j);
	}
	json_array_begin(&j, "rounds");
	for (size_t r = 0; r < nr; r++) {
		json_object_begin(&j, NULL);
		json_u64(&j, "round", r + 1);
		json_string(&j, "side", rounds[r].side == BASELINE ? "baseline" : "candidate");
		const struct samples *sv[2] = { &rounds[r].latency, &rounds[r].throughput };
		for (size_t i = 0; i < nm && i < 2; i++) {
			struct stats st = { 0 };
			if (sv[i]->n)
				stats_summarize(sv[i]->v, sv[i]->n, &st);
			st.median /= ms[i].scale;
			st.p95 /= ms[i].scale;
			json_measure_side(&j, ms[i].name, &ms[i], &st, sv[i]->n);
		}
		json_object_end(&j);
	}
	json_array_end(&j);
	json_object_end(&j);
	fputc('\n', out);
}

static int cmd_decide(double alpha, const char *keep_if, const char *profile, const char *save, char **argv,
		      int argc)
{
	if (argc > ROUNDS_MAX)
		msg_die(TK_EXIT_USAGE, "more than %d rounds", ROUNDS_MAX);
	struct round *rounds = xcalloc((size_t)argc, sizeof(*rounds));
	struct measure ms[2] = {
		{ .name = "latency", .unit = "ms", .json_unit = "ms", .scale = 1 },
		{ .name = "throughput", .unit = "Mbit/s", .json_unit = "mbit", .higher_is_better = 1, .scale = 1e6 },
	};
	size_t per_side[2] = { 0, 0 };
	for (int r = 0; r < argc; r++) {
		load_round(argv[r], &rounds[r]);
		per_side[rounds[r].side]++;
		const struct samples *sv[2] = { &rounds[r].latency, &rounds[r].throughput };
		for (int i = 0; i < 2; i++) {
			for (size_t k = 0; k < sv[i]->n; k++)
				samples_add(&ms[i].side[rounds[r].side], sv[i]->v[k]);
			if (rounds[r].side == BASELINE && sv[i]->n)
				samples_add(&ms[i].baseline_round_medians, median_of(sv[i]));
		}
	}
	if (!per_side[BASELINE] || !per_side[CANDIDATE])
		msg_die(TK_EXIT_USAGE, "need rounds of both sides (baseline=FILE and candidate=FILE)");

	enum outcome verdict = OUT_NONE;
	for (int i = 0; i < 2; i++) {
		judge(&ms[i], alpha);
		if (ms[i].outcome > verdict)
			verdict = ms[i].outcome;
	}
	if (verdict == OUT_NONE)
		msg_die(TK_EXIT_USAGE, "no measurement in both sides' rounds");
	int keep = verdict == OUT_BETTER || (verdict != OUT_WORSE && !strcmp(keep_if, "not-worse"));
	const char *action = keep ? "keep" : "restore";

	printf("verify: profile %s, %zu baseline and %zu candidate rounds, alternating; Mann-Whitney U, "
	       "two-sided, alpha %g\n",
	       profile, per_side[BASELINE], per_side[CANDIDATE], alpha);
	for (int i = 0; i < 2; i++) {
		const struct measure *m = &ms[i];
		if (m->outcome == OUT_NONE)
			continue;
		double base = m->st[BASELINE].median;
		printf("%-10s baseline median %.3f %s (n=%zu), candidate median %.3f %s (n=%zu)\n", m->name,
		       base / m->scale, m->unit, m->side[BASELINE].n, m->st[CANDIDATE].median / m->scale, m->unit,
		       m->side[CANDIDATE].n);
		printf("%-10s U %.1f, z %.3f, p %.3g; shift %+.3f %s", "", m->mw.u_a, m->mw.z, m->mw.p,
		       m->mw.shift / m->scale, m->unit);
		if (base > 0)
			printf(" (%+.1f%%)", 100 * m->mw.shift / base);
		printf("; detectable %.3f %s, baseline noise %.3f %s: %s\n", m->detectable / m->scale, m->unit,
		       m->noise / m->scale, m->unit, outcome_names[m->outcome]);
		if (m->outcome == OUT_INCONCLUSIVE)
			printf("%-10s inconclusive: the noise between baseline rounds alone exceeds the effect the "
			       "test could detect\n",
			       "");
	}
	if (verdict == OUT_INCONCLUSIVE)
		printf("verdict: inconclusive, handled as no measurable difference: %s\n",
		       keep ? "the candidate stays (--keep-if not-worse)" : "the start state comes back (--keep-if better)");
	else if (verdict == OUT_SAME)
		printf("verdict: no measurable difference: %s\n",
		       keep ? "the candidate stays (--keep-if not-worse)" : "the start state comes back (--keep-if better)");
	else
		printf("verdict: %s: %s\n", outcome_names[verdict],
		       keep ? "the candidate stays" : "the start state comes back");

	if (save) {
		char *data = NULL;
		size_t len = 0;
		FILE *mem = open_memstream(&data, &len);
		if (!mem)
			msg_die_errno(TK_EXIT_FAILURE, errno, "report");
		write_report(mem, ms, 2, rounds, (size_t)argc, profile, alpha, keep_if, verdict, action, per_side);
		if (fclose(mem))
			msg_die_errno(TK_EXIT_FAILURE, errno, "report");
		int rc = atomic_write_file(save, data, len, 0644);
		free(data);
		if (rc < 0)
			msg_die_errno(TK_EXIT_FAILURE, -rc, "%s", save);
	}
	for (int r = 0; r < argc; r++) {
		free(rounds[r].latency.v);
		free(rounds[r].throughput.v);
	}
	free(rounds);
	for (int i = 0; i < 2; i++) {
		free(ms[i].side[0].v);
		free(ms[i].side[1].v);
		free(ms[i].baseline_round_medians.v);
	}
	return verdict == OUT_BETTER ? TK_EXIT_OK : verdict == OUT_WORSE ? TK_EXIT_FAILURE : EXIT_NO_DIFFERENCE;
}

int main(int argc, char **argv)
{
	enum { OPT_IPERF3 = 256, OPT_ALPHA, OPT_KEEP_IF, OPT_PROFILE, OPT_SAVE };
	static const struct option longopts[] = {
		{ "count", required_argument, NULL, 'c' },
		{ "timeout", required_argument, NULL, 'W' },
		{ "iperf3-json", required_argument, NULL, OPT_IPERF3 },
		{ "alpha", required_argument, NULL, OPT_ALPHA },
		{ "keep-if", required_argument, NULL, OPT_KEEP_IF },
		{ "profile", required_argument, NULL, OPT_PROFILE },
		{ "save", required_argument, NULL, OPT_SAVE },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	unsigned count = 5;
	uint64_t timeout_ns = 10000000000ULL;
	double alpha = 0.05;
	const char *iperf3_json = NULL, *keep_if = "not-worse", *profile = "?", *save = NULL;
	int c;
	msg_init(argv[0]);
	close_stdout_atexit();
	while ((c = getopt_long(argc, argv, "c:W:hV", longopts, NULL)) != -1) {
		char *end;
		switch (c) {
		case 'c': {
			errno = 0;
			unsigned long n = strtoul(optarg, &end, 10);
			if (errno || *end || optarg[0] < '0' || optarg[0] > '9' || n < 1 || n > COUNT_MAX) {
				msg_warn("invalid count '%s': 1 to %d", optarg, COUNT_MAX);
				usage_hint();
			}
			count = (unsigned)n;
			break;
		}
		case 'W':
			if (units_parse_duration(optarg, 1000000000ULL, &timeout_ns) < 0 || !timeout_ns) {
				msg_warn("invalid timeout '%s'", optarg);
				usage_hint();
			}
			break;
		case OPT_IPERF3:
			iperf3_json = optarg;
			break;
		case OPT_ALPHA:
			errno = 0;
			alpha = strtod(optarg, &end);
			if (errno || *end || end == optarg || !(alpha > 0 && alpha < 0.5)) {
				msg_warn("invalid alpha '%s': a significance level above 0 and below 0.5", optarg);
				usage_hint();
			}
			break;
		case OPT_KEEP_IF:
			if (strcmp(optarg, "better") && strcmp(optarg, "not-worse")) {
				msg_warn("invalid --keep-if '%s': better or not-worse", optarg);
				usage_hint();
			}
			keep_if = optarg;
			break;
		case OPT_PROFILE:
			profile = optarg;
			break;
		case OPT_SAVE:
			save = optarg;
			break;
		case 'h':
			usage();
		case 'V':
			print_version();
		default:
			usage_hint();
		}
	}
	if (optind >= argc) {
		msg_warn("no command: measure or decide");
		usage_hint();
	}
	const char *cmd = argv[optind++];
	if (optind >= argc && !(iperf3_json && !strcmp(cmd, "measure"))) {
		msg_warn("%s: nothing to %s", cmd, !strcmp(cmd, "measure") ? "measure (no TARGET)" : "decide (no rounds)");
		usage_hint();
	}
	if (!strcmp(cmd, "measure"))
		return cmd_measure(count, timeout_ns, iperf3_json, argv + optind, argc - optind);
	if (!strcmp(cmd, "decide"))
		return cmd_decide(alpha, keep_if, profile, save, argv + optind, argc - optind);
	msg_warn("unknown command '%s': measure or decide", cmd);
	usage_hint();
}
