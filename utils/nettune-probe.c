/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * nettune-probe: latency to targets (TCP connect, HTTP and HTTPS phases as
 * curl times them, ICMP echo) with min/median/p95/max/loss, every target
 * probed at once (a bounded number of workers), results in the order given,
 * a Prometheus textfile with --prom, and bandwidth through iperf3 when it is
 * installed.
 */
#include "config.h"

#include <signal.h>
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <netdb.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "c.h"
#include "closestream.h"
#include "fileutil.h"
#include "iperf3.h"
#include "json.h"
#include "monoclock.h"
#include "msg.h"
#include "netprobe.h"
#include "optval.h"
#include "probetarget.h"
#include "prom.h"
#include "stats.h"
#include "sysctl.h"
#include "tlsprobe.h"
#include "units.h"
#include "xalloc.h"

#define NS_PER_MS 1000000ULL
#define NS_PER_S 1000000000ULL
#define COUNT_MAX 100000
#define TARGETS_FILE_MAX (4 << 20)
#define PARALLEL_DEFAULT 64
#define PARALLEL_MAX 1024

/* what a target is probed with */
enum {
	METHOD_ICMP = 1 << 0,
	METHOD_TCP = 1 << 1,
	METHOD_HTTP = 1 << 2,
};

/* one result row per target: the order of output. The HTTP rows are the
 * phases of netprobe_http_get(), in the order of enum netprobe_phase. */
enum row { ROW_ICMP, ROW_TCP, ROW_HTTP_DNS, ROW_HTTP_CONNECT, ROW_HTTP_TLS, ROW_HTTP_TTFB, ROW_HTTP_TOTAL, ROW_COUNT };
static const char *const row_names[ROW_COUNT] = { "icmp", "tcp", "http_dns", "http_connect",
						  "http_tls", "http_ttfb", "http_total" };
/* the method and phase of a row, as the metrics label them */
static const char *const row_method[ROW_COUNT] = { "icmp", "tcp", "http", "http", "http", "http", "http" };
static const char *const row_phase[ROW_COUNT] = { "rtt", "connect", "dns", "connect", "tls", "ttfb", "total" };

enum format { FMT_TABLE, FMT_JSON, FMT_CSV, FMT_NONE };

struct row_result {
	int active;
	unsigned sent, received;
	double *samples_ms;
	int http_status; /* last status seen, 0 none */
	char error[256]; /* last failure, "" none */
	int have_stats;
	struct stats st;
};

struct target {
	struct probe_target t;
	unsigned methods;
	struct sockaddr_storage addr;
	socklen_t addrlen;
	char address[INET6_ADDRSTRLEN];
	char *host_header; /* http: "name[:port]" */
	char error[256];   /* resolution error, "" once resolved */
	struct row_result rows[ROW_COUNT];
};

struct bandwidth {
	struct probe_target t;
	unsigned seconds;
	int reverse;
	int done;           /* iperf3 ran and reported */
	double sender_bps, receiver_bps, seconds_measured;
	int have_retransmits;
	double retransmits;
	char error[512];
};

struct options {
	unsigned count;
	uint64_t interval_ns, timeout_ns;
	unsigned methods; /* 0: by the target's form */
	int family;       /* AF_UNSPEC, AF_INET, AF_INET6 */
	enum netprobe_icmp_mode icmp_mode;
	enum format format;
	unsigned parallel;         /* workers: targets probed at once */
	struct tlsprobe_ctx *tls;  /* for https:// targets */
	int insecure;
	int icmp_raw[2];           /* the socket kind open_icmp() found, per family */
	int icmp_ok[2];
};

static void __attribute__((__noreturn__)) usage(void)
{
	FILE *out = stdout;
	fprintf(out, "Usage:\n %s [options] [TARGET...]\n", msg_progname());
	fputs("\nMeasure latency to targets: TCP connect time, the phases of an HTTP or\n"
	      "HTTPS GET (dns, connect, tls, ttfb, total: curl's time_* figures), ICMP\n"
	      "echo; min/median/p95/max and loss per target and method, every target\n"
	      "probed at once. Bandwidth through iperf3 with --bandwidth.\n", out);
	fputs("\nTargets:\n"
	      " HOST                     ICMP echo\n"
	      " HOST:PORT, [V6ADDR]:PORT TCP connect\n"
	      " http://HOST[:PORT]/PATH  HTTP GET (phases dns, connect, ttfb, total)\n"
	      " https://HOST[:PORT]/PATH HTTPS GET (and tls); certificate verified\n", out);
	fputs("\nOptions:\n"
	      " -c, --count N              probes per target and method (default 5)\n"
	      " -i, --interval DURATION    pause between rounds of probes (default 200ms;\n"
	      "                              a bare number is seconds)\n"
	      " -W, --timeout DURATION     time limit of one probe (default 2s)\n"
	      " -m, --method LIST          probe with tcp,http,icmp (comma list) wherever\n"
	      "                              they apply, instead of by the target's form\n"
	      " -f, --targets FILE         read targets from FILE, one a line ('-': stdin)\n"
	      " -4, --ipv4                 resolve and probe IPv4 only\n"
	      " -6, --ipv6                 resolve and probe IPv6 only\n"
	      "     --icmp-socket MODE     auto, dgram (ping socket) or raw (default auto)\n"
	      " -P, --parallel N           targets probed at once (default 64; 1: one by one)\n"
	      "     --cacert FILE          trust the CA certificates in FILE (PEM) instead of\n"
	      "                              the system store for https:// targets\n"
	      " -k, --insecure             do not verify https:// certificates (said in the report)\n"
	      "     --prom FILE            also write the results as Prometheus text to FILE\n"
	      "                              (atomically; '-': stdout instead of the report)\n"
	      " -b, --bandwidth HOST[:PORT] measure throughput with iperf3 -c HOST\n"
	      "     --duration DURATION    iperf3 test length, whole seconds (default 5s)\n"
	      " -R, --reverse              iperf3 reverse mode (the server sends)\n"
	      " -j, --json                 one JSON object (keys in nettune-probe(1))\n"
	      "     --csv                  CSV with a header line\n"
	      " -q, --quiet                no notes on failed targets (stderr)\n"
	      " -v, --verbose              print every probe on stderr\n"
	      " -h, --help                 display this help\n"
	      " -V, --version              display version\n", out);
	fputs("\nExit status: 0 every target answered, 1 a target failed entirely\n"
	      "(or iperf3 failed), 2 bad usage or targets.\n", out);
	exit(TK_EXIT_OK);
}

static const char *errno_words(int err)
{
	switch (err) {
	case ETIMEDOUT: return "timeout";
	case ECONNREFUSED: return "connection refused";
	case EPROTO: return "malformed HTTP response";
	case EMSGSIZE: return "HTTP header too long";
	case ECONNRESET: return "connection reset";
	default: return strerror(err);
	}
}

static unsigned parse_methods(const char *arg)
{
	unsigned m = 0;
	char *copy = xstrdup(arg), *save = NULL;
	for (char *tok = strtok_r(copy, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		if (!strcmp(tok, "tcp"))
			m |= METHOD_TCP;
		else if (!strcmp(tok, "http"))
			m |= METHOD_HTTP;
		else if (!strcmp(tok, "icmp"))
			m |= METHOD_ICMP;
		else
			usage_error("--method", tok, "expected tcp, http or icmp");
	}
	free(copy);
	if (!m)
		usage_error("--method", arg, "empty");
	return m;
}

/* Which methods apply to the target: by its form, or the -m list where it applies. */
static unsigned methods_for(const struct probe_target *t, unsigned wanted)
{
	if (!wanted)
		return t->http ? METHOD_HTTP : t->port ? METHOD_TCP : METHOD_ICMP;
	unsigned m = wanted & METHOD_ICMP;
	if ((wanted & METHOD_TCP) && t->port)
		m |= METHOD_TCP;
	if ((wanted & METHOD_HTTP) && t->http)
		m |= METHOD_HTTP;
	return m;
}

static void add_target(struct target **v, size_t *n, const struct probe_target *pt, unsigned wanted)
{
	unsigned m = methods_for(pt, wanted);
	if (!m) {
		if (pt->line)
			msg_warn("target '%s' (line %u): none of the methods applies "
				 "(tcp needs a port, http an http:// or https:// URL)", pt->spec, pt->line);
		else
			msg_warn("target '%s': none of the methods applies "
				 "(tcp needs a port, http an http:// or https:// URL)", pt->spec);
		usage_hint();
	}
	*v = xreallocarray(*v, *n + 1, sizeof(**v));
	struct target *t = &(*v)[(*n)++];
	memset(t, 0, sizeof(*t));
	t->t.spec = xstrdup(pt->spec);
	t->t.host = xstrdup(pt->host);
	t->t.path = pt->path ? xstrdup(pt->path) : NULL;
	t->t.port = pt->port;
	t->t.http = pt->http;
	t->t.tls = pt->tls;
	t->t.line = pt->line;
	t->methods = m;
	t->rows[ROW_ICMP].active = !!(m & METHOD_ICMP);
	t->rows[ROW_TCP].active = !!(m & METHOD_TCP);
	for (int r = ROW_HTTP_DNS; r <= ROW_HTTP_TOTAL; r++)
		t->rows[r].active = !!(m & METHOD_HTTP) && (r != ROW_HTTP_TLS || pt->tls);
	if (pt->http) {
		int v6 = strchr(pt->host, ':') != NULL;
		if (pt->port == (pt->tls ? 443u : 80u))
			t->host_header = xasprintf(v6 ? "[%s]" : "%s", pt->host);
		else
			t->host_header = xasprintf(v6 ? "[%s]:%u" : "%s:%u", pt->host, pt->port);
	}
}

static void read_targets_file(const char *path, struct target **v, size_t *n, unsigned wanted)
{
	char *data = NULL;
	size_t len = 0;
	int rc = strcmp(path, "-") ? read_file(path, TARGETS_FILE_MAX, &data, &len)
				   : read_fd(STDIN_FILENO, TARGETS_FILE_MAX, &data, &len);
	if (rc)
		msg_die_errno(TK_EXIT_USAGE, -rc, "cannot read targets file %s", path);

	struct probe_target_list list = { 0 };
	unsigned line = 0;
	const char *why = NULL;
	if (probe_targets_parse_buffer(data, len, &list, &line, &why)) {
		msg_warn("%s:%u: %s", strcmp(path, "-") ? path : "<stdin>", line, why);
		exit(TK_EXIT_USAGE);
	}
	for (size_t i = 0; i < list.n; i++)
		add_target(v, n, &list.v[i], wanted);
	probe_target_list_free(&list);
	free(data);
}

static int resolve(const char *host, unsigned port, int family, struct sockaddr_storage *ss,
		   socklen_t *sslen, char *addr, size_t addrlen, char *err, size_t errlen)
{
	struct addrinfo hints = { .ai_family = family, .ai_socktype = SOCK_STREAM }, *res = NULL;
	char portstr[8];
	snprintf(portstr, sizeof(portstr), "%u", port);
	int rc = getaddrinfo(host, portstr, &hints, &res);
	if (rc) {
		snprintf(err, errlen, "cannot resolve %s: %s", host,
			 rc == EAI_SYSTEM ? strerror(errno) : gai_strerror(rc));
		return -1;
	}
	memcpy(ss, res->ai_addr, res->ai_addrlen);
	*sslen = res->ai_addrlen;
	if (getnameinfo(res->ai_addr, res->ai_addrlen, addr, (socklen_t)addrlen, NULL, 0, NI_NUMERICHOST))
		snprintf(addr, addrlen, "?");
	freeaddrinfo(res);
	return 0;
}

static void record_ok(struct row_result *r, uint64_t ns)
{
	r->samples_ms = xreallocarray(r->samples_ms, r->received + 1, sizeof(double));
	r->samples_ms[r->received++] = (double)ns / (double)NS_PER_MS;
}

static void record_fail(struct row_result *r, const char *why)
{
	snprintf(r->error, sizeof(r->error), "%s", why);
}

static void probe_once(struct target *t, struct netprobe_icmp *icmp, const struct options *o, unsigned round)
{
	const struct sockaddr *sa = (const struct sockaddr *)&t->addr;
	uint64_t ns = 0;
	int rc;

	if (t->rows[ROW_ICMP].active) {
		struct row_result *r = &t->rows[ROW_ICMP];
		struct netprobe_icmp *s = &icmp[t->addr.ss_family == AF_INET6];
		if (s->fd >= 0) {
			r->sent++;
			rc = netprobe_icmp_echo(s, sa, t->addrlen, o->timeout_ns, &ns);
			if (rc)
				record_fail(r, errno_words(-rc));
			else
				record_ok(r, ns);
			msg_verbose("%s icmp #%u: %s %.3f ms", t->t.spec, round + 1, rc ? errno_words(-rc) : "reply",
				    (double)ns / NS_PER_MS);
		}
	}
	if (t->rows[ROW_TCP].active) {
		struct row_result *r = &t->rows[ROW_TCP];
		r->sent++;
		rc = netprobe_tcp_connect(sa, t->addrlen, o->timeout_ns, &ns, NULL);
		if (rc)
			record_fail(r, errno_words(-rc));
		else
			record_ok(r, ns);
		msg_verbose("%s tcp #%u: %s %.3f ms", t->t.spec, round + 1, rc ? errno_words(-rc) : "connected",
			    (double)ns / NS_PER_MS);
	}
	if (t->rows[ROW_HTTP_TTFB].active) {
		struct netprobe_http_req rq = {
			.host = t->t.host,
			.port = t->t.port,
			.family = t->addr.ss_family,
			.host_header = t->host_header,
			.path = t->t.path,
			.tls = t->t.tls ? o->tls : NULL,
			.timeout_ns = o->timeout_ns,
		};
		struct netprobe_http h;
		rc = netprobe_http_get(&rq, &h);
		const char *why = h.why[0] ? h.why : errno_words(rc ? -rc : EPROTO);
		for (int p = 0; p < NETPROBE_PHASES; p++) {
			struct row_result *r = &t->rows[ROW_HTTP_DNS + p];
			if (!r->active)
				continue;
			r->sent++;
			/* a first byte counts once it began a real status line */
			int reached = h.reached[p] && (p != NETPROBE_TTFB || h.status);
			if (reached)
				record_ok(r, h.ns[p]);
			else
				record_fail(r, why);
			if (h.status && p >= NETPROBE_TTFB)
				r->http_status = h.status;
		}
		msg_verbose("%s http #%u: %s status %d, dns %.3f connect %.3f tls %.3f ttfb %.3f total %.3f ms, "
			    "%llu body bytes", t->t.spec, round + 1, rc ? why : "ok", h.status,
			    (double)h.ns[NETPROBE_DNS] / NS_PER_MS, (double)h.ns[NETPROBE_CONNECT] / NS_PER_MS,
			    (double)h.ns[NETPROBE_TLS] / NS_PER_MS, (double)h.ns[NETPROBE_TTFB] / NS_PER_MS,
			    (double)h.ns[NETPROBE_TOTAL] / NS_PER_MS, (unsigned long long)h.body_bytes);
	}
}

static int gid_in_ping_range(void)
{
	char *v = NULL;
	unsigned long lo, hi;
	if (sysctl_read("net.ipv4.ping_group_range", &v) || sscanf(v, "%lu %lu", &lo, &hi) != 2) {
		free(v);
		return -1;
	}
	free(v);
	gid_t groups[256];
	int n = getgroups(ARRAY_SIZE(groups), groups);
	if (getegid() >= lo && getegid() <= hi)
		return 1;
	for (int i = 0; i < n; i++)
		if (groups[i] >= lo && groups[i] <= hi)
			return 1;
	return 0;
}

/* Open the ICMP sockets the targets need; on failure mark their rows. */
static const char *open_icmp(struct target *v, size_t n, struct options *o, struct netprobe_icmp icmp[2])
{
	const char *kind = NULL;
	icmp[0].fd = icmp[1].fd = -1;
	for (int fam = 0; fam < 2; fam++) {
		int family = fam ? AF_INET6 : AF_INET, needed = 0;
		for (size_t i = 0; i < n; i++)
			if (v[i].rows[ROW_ICMP].active && !v[i].error[0] && v[i].addr.ss_family == family)
				needed = 1;
		if (!needed)
			continue;
		int rc = netprobe_icmp_open(&icmp[fam], family, o->icmp_mode);
		char why[200];
		if (rc) {
			int in_range = gid_in_ping_range();
			snprintf(why, sizeof(why), "icmp unavailable: %s (%s)", strerror(-rc),
				 o->icmp_mode == NETPROBE_ICMP_RAW ? "a raw socket needs root or CAP_NET_RAW"
				 : in_range == 0 ? "needs root or a group in net.ipv4.ping_group_range"
						 : "no ping socket and no raw socket");
			msg_info("%s: %s", fam ? "ICMPv6" : "ICMP", why);
			for (size_t i = 0; i < n; i++)
				if (v[i].rows[ROW_ICMP].active && !v[i].error[0] && v[i].addr.ss_family == family)
					snprintf(v[i].rows[ROW_ICMP].error, sizeof(v[i].rows[ROW_ICMP].error), "%s", why);
			continue;
		}
		kind = icmp[fam].raw ? "raw" : "dgram";
		o->icmp_raw[fam] = icmp[fam].raw;
		o->icmp_ok[fam] = 1;
		msg_verbose("%s: using a %s socket", fam ? "ICMPv6" : "ICMP",
			    icmp[fam].raw ? "raw" : "ping (unprivileged)");
	}
	return kind;
}

static void sleep_until(uint64_t deadline_ns)
{
	struct timespec ts = { .tv_sec = (time_t)(deadline_ns / NS_PER_S), .tv_nsec = (long)(deadline_ns % NS_PER_S) };
	while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL) == EINTR)
		;
}

/* ---- every target at once -------------------------------------------- */

struct pool {
	struct target *v;
	size_t n;
	atomic_size_t next;
	const struct options *o;
};

/* All rounds of one target, on its own schedule and its own ICMP socket. */
static void probe_target(struct target *t, size_t idx, const struct options *o)
{
	struct netprobe_icmp icmp[2] = { { .fd = -1 }, { .fd = -1 } };
	if (t->rows[ROW_ICMP].active) {
		int fam = t->addr.ss_family == AF_INET6;
		if (o->icmp_ok[fam]) {
			int rc = netprobe_icmp_open(&icmp[fam], fam ? AF_INET6 : AF_INET,
						    o->icmp_raw[fam] ? NETPROBE_ICMP_RAW : NETPROBE_ICMP_DGRAM);
			if (rc)
				snprintf(t->rows[ROW_ICMP].error, sizeof(t->rows[ROW_ICMP].error),
					 "icmp unavailable: %s", strerror(-rc));
			/* raw sockets see every reply: one identifier per target */
			else if (icmp[fam].raw)
				icmp[fam].ident = (uint16_t)((unsigned)getpid() * 2654435761u + idx);
		}
	}
	for (unsigned round = 0; round < o->count; round++) {
		uint64_t start = mono_ns();
		probe_once(t, icmp, o, round);
		if (round + 1 < o->count)
			sleep_until(start + o->interval_ns);
	}
	for (int f = 0; f < 2; f++)
		netprobe_icmp_close(&icmp[f]);
}

static void *pool_worker(void *arg)
{
	struct pool *p = arg;
	for (;;) {
		size_t i = atomic_fetch_add(&p->next, 1);
		if (i >= p->n)
			return NULL;
		if (!p->v[i].error[0])
			probe_target(&p->v[i], i, p->o);
	}
}

/* Probe every target with up to o->parallel workers; results stay in place. */
static void probe_all(struct target *v, size_t n, const struct options *o)
{
	struct pool p = { .v = v, .n = n, .o = o };
	atomic_init(&p.next, 0);
	size_t nw = n < o->parallel ? n : o->parallel;
	if (nw <= 1) {
		pool_worker(&p);
		return;
	}
	pthread_t *tid = xreallocarray(NULL, nw, sizeof(*tid));
	pthread_attr_t attr;
	pthread_attr_init(&attr);
	pthread_attr_setstacksize(&attr, 256 << 10);
	size_t started = 0;
	for (; started < nw; started++) {
		int rc = pthread_create(&tid[started], &attr, pool_worker, &p);
		if (rc) {
			if (!started)
				msg_die_errno(TK_EXIT_FAILURE, rc, "cannot start a probe thread");
			msg_verbose("%zu probe threads (cannot start more: %s)", started, strerror(rc));
			break;
		}
	}
	pthread_attr_destroy(&attr);
	for (size_t i = 0; i < started; i++)
		pthread_join(tid[i], NULL);
	free(tid);
}

/* ---- bandwidth through iperf3 ---------------------------------------- */

static int measure_bandwidth(struct bandwidth *bw, const struct options *o)
{
	struct iperf3_test test = {
		.host = bw->t.host,
		.port = bw->t.port,
		.seconds = bw->seconds,
		.reverse = bw->reverse,
		.family = o->family,
		.connect_timeout_ns = o->timeout_ns,
	};
	struct iperf3_result res;
	msg_verbose("running iperf3 -c %s for %u s", bw->t.spec, bw->seconds);
	int rc = iperf3_run(&test, &res, bw->error, sizeof(bw->error));
	if (rc == -ENOENT)
		snprintf(bw->error, sizeof(bw->error),
			 "iperf3 is not installed (--bandwidth runs it; install the iperf3 package)");
	if (rc)
		return -1;
	bw->sender_bps = res.sender_bps;
	bw->receiver_bps = res.receiver_bps;
	bw->seconds_measured = res.seconds;
	bw->have_retransmits = res.have_retransmits;
	bw->retransmits = res.retransmits;
	bw->done = 1;
	return 0;
}

/* ---- output ---------------------------------------------------------- */

/* The row that says whether a method answered: for HTTP, a response began
 * (a lookup and a connection alone, or a refused certificate, are not one). */
static int decisive_row(int r)
{
	return r != ROW_HTTP_DNS && r != ROW_HTTP_CONNECT && r != ROW_HTTP_TLS && r != ROW_HTTP_TOTAL;
}

static int method_ok(const struct target *t, int r)
{
	return !t->error[0] && t->rows[r].active && t->rows[r].received;
}

static int target_failed(const struct target *t)
{
	if (t->error[0])
		return 1;
	for (int r = 0; r < ROW_COUNT; r++)
		if (decisive_row(r) && method_ok(t, r))
			return 0;
	return 1;
}

static double loss_pct(const struct row_result *r)
{
	return r->sent ? 100.0 * (double)(r->sent - r->received) / (double)r->sent : 100.0;
}

static const char *row_error(const struct target *t, const struct row_result *r)
{
	if (t->error[0])
		return t->error;
	return r->received < r->sent || !r->sent ? r->error : "";
}

static void print_table(const struct target *v, size_t n, const struct bandwidth *bw, const struct options *o)
{
	int tw = 6, aw = 7;
	for (size_t i = 0; i < n; i++) {
		if ((int)strlen(v[i].t.spec) > tw)
			tw = (int)strlen(v[i].t.spec);
		if ((int)strlen(v[i].address) > aw)
			aw = (int)strlen(v[i].address);
	}
	if (n) {
		printf("%-*s  %-*s  %-12s %5s %5s %6s %10s %10s %10s %10s  %s\n", tw, "TARGET", aw, "ADDRESS",
		       "METHOD", "SENT", "RECV", "LOSS", "MIN_MS", "MEDIAN_MS", "P95_MS", "MAX_MS", "NOTE");
	}
	for (size_t i = 0; i < n; i++) {
		const struct target *t = &v[i];
		for (int ri = 0; ri < ROW_COUNT; ri++) {
			const struct row_result *r = &t->rows[ri];
			if (!r->active)
				continue;
			char note[200] = "";
			const char *err = row_error(t, r);
			if (r->http_status && *err)
				snprintf(note, sizeof(note), "HTTP %d; %s", r->http_status, err);
			else if (r->http_status)
				snprintf(note, sizeof(note), "HTTP %d", r->http_status);
			else if (*err)
				snprintf(note, sizeof(note), "%s", err);
			else if (ri == ROW_HTTP_TLS && o->insecure)
				snprintf(note, sizeof(note), "certificate NOT verified (--insecure)");
			printf("%-*s  %-*s  %-12s %5u %5u %5.1f%%", tw, t->t.spec, aw, t->address[0] ? t->address : "-",
			       row_names[ri], r->sent, r->received, loss_pct(r));
			if (r->have_stats)
				printf(" %10.3f %10.3f %10.3f %10.3f", r->st.min, r->st.median, r->st.p95, r->st.max);
			else
				printf(" %10s %10s %10s %10s", "-", "-", "-", "-");
			printf("%s%s\n", *note ? "  " : "", note);
		}
	}
	if (bw) {
		if (n)
			putchar('\n');
		if (bw->done) {
			char s[32], r[32];
			printf("BANDWIDTH %s%s: sender %s, receiver %s", bw->t.spec, bw->reverse ? " (reverse)" : "",
			       units_format_rate((uint64_t)bw->sender_bps, s, sizeof(s)),
			       units_format_rate((uint64_t)bw->receiver_bps, r, sizeof(r)));
			if (bw->have_retransmits)
				printf(", retransmits %.0f", bw->retransmits);
			printf(", %.1f s\n", bw->seconds_measured);
		} else {
			printf("BANDWIDTH %s: %s\n", bw->t.spec, bw->error);
		}
	}
}

/* a string member, null when empty */
static void json_text(struct json *j, const char *key, const char *s)
{
	json_string(j, key, s && *s ? s : NULL);
}

static void json_ms(struct json *j, const char *key, int have, double ms)
{
	if (have)
		json_double(j, key, ms, 3);
	else
		json_null(j, key);
}

static void json_port(struct json *j, unsigned port)
{
	if (port)
		json_u64(j, "port", port);
	else
		json_null(j, "port");
}

static void print_json(const struct target *v, size_t n, const struct bandwidth *bw, const struct options *o,
		       const char *icmp_kind, size_t failed)
{
	struct json j;
	json_init(&j, stdout);
	json_object_begin(&j, NULL);
	json_u64(&j, "version", 1);
	json_u64(&j, "count", o->count);
	json_double(&j, "interval_ms", (double)o->interval_ns / NS_PER_MS, 3);
	json_double(&j, "timeout_ms", (double)o->timeout_ns / NS_PER_MS, 3);
	json_text(&j, "icmp_socket", icmp_kind);
	json_bool(&j, "tls_verify", !o->insecure);
	json_array_begin(&j, "targets");
	for (size_t i = 0; i < n; i++) {
		const struct target *t = &v[i];
		json_object_begin(&j, NULL);
		json_string(&j, "target", t->t.spec);
		json_string(&j, "host", t->t.host);
		json_text(&j, "address", t->address);
		json_port(&j, t->t.port);
		json_bool(&j, "ok", !target_failed(t));
		json_text(&j, "error", t->error);
		json_array_begin(&j, "results");
		for (int ri = 0; ri < ROW_COUNT; ri++) {
			const struct row_result *r = &t->rows[ri];
			if (!r->active)
				continue;
			json_object_begin(&j, NULL);
			json_string(&j, "method", row_names[ri]);
			json_u64(&j, "sent", r->sent);
			json_u64(&j, "received", r->received);
			json_double(&j, "loss_pct", loss_pct(r), 1);
			json_ms(&j, "min_ms", r->have_stats, r->st.min);
			json_ms(&j, "median_ms", r->have_stats, r->st.median);
			json_ms(&j, "p95_ms", r->have_stats, r->st.p95);
			json_ms(&j, "max_ms", r->have_stats, r->st.max);
			json_ms(&j, "mean_ms", r->have_stats, r->st.mean);
			json_ms(&j, "stddev_ms", r->have_stats, r->st.stddev);
			if (r->http_status)
				json_u64(&j, "http_status", (uint64_t)r->http_status);
			else
				json_null(&j, "http_status");
			json_text(&j, "error", row_error(t, r));
			json_object_end(&j);
		}
		json_array_end(&j);
		json_object_end(&j);
	}
	json_array_end(&j);
	if (!bw) {
		json_null(&j, "bandwidth");
	} else {
		json_object_begin(&j, "bandwidth");
		json_string(&j, "target", bw->t.spec);
		json_string(&j, "host", bw->t.host);
		json_port(&j, bw->t.port);
		json_u64(&j, "duration_s", bw->seconds);
		json_bool(&j, "reverse", bw->reverse);
		if (bw->done) {
			json_double(&j, "sender_bps", bw->sender_bps, 0);
			json_double(&j, "receiver_bps", bw->receiver_bps, 0);
		} else {
			json_null(&j, "sender_bps");
			json_null(&j, "receiver_bps");
		}
		if (bw->done && bw->have_retransmits)
			json_u64(&j, "retransmits", (uint64_t)bw->retransmits);
		else
			json_null(&j, "retransmits");
		json_text(&j, "error", bw->error);
		json_object_end(&j);
	}
	json_u64(&j, "failed_targets", failed);
	json_object_end(&j);
}

static void csv_field(const char *s, int last)
{
	if (strpbrk(s, ",\"\r\n")) {
		putchar('"');
		for (; *s; s++) {
			if (*s == '"')
				putchar('"');
			putchar(*s);
		}
		putchar('"');
	} else {
		fputs(s, stdout);
	}
	putchar(last ? '\n' : ',');
}

static void print_csv(const struct target *v, size_t n, const struct bandwidth *bw)
{
	puts("target,address,method,sent,received,loss_pct,min_ms,median_ms,p95_ms,max_ms,mean_ms,stddev_ms,"
	     "http_status,sender_bps,receiver_bps,retransmits,error");
	for (size_t i = 0; i < n; i++) {
		const struct target *t = &v[i];
		for (int ri = 0; ri < ROW_COUNT; ri++) {
			const struct row_result *r = &t->rows[ri];
			if (!r->active)
				continue;
			csv_field(t->t.spec, 0);
			printf("%s,%s,%u,%u,%.1f,", t->address, row_names[ri], r->sent, r->received, loss_pct(r));
			if (r->have_stats)
				printf("%.3f,%.3f,%.3f,%.3f,%.3f,%.3f,", r->st.min, r->st.median, r->st.p95, r->st.max,
				       r->st.mean, r->st.stddev);
			else
				fputs(",,,,,,", stdout);
			if (r->http_status)
				printf("%d", r->http_status);
			fputs(",,,,", stdout);
			csv_field(row_error(t, r), 1);
		}
	}
	if (bw) {
		csv_field(bw->t.spec, 0);
		fputs(",bandwidth,,,,,,,,,,,", stdout);
		if (bw->done) {
			printf("%.0f,%.0f,", bw->sender_bps, bw->receiver_bps);
			if (bw->have_retransmits)
				printf("%.0f", bw->retransmits);
		} else {
			fputs(",,", stdout);
		}
		putchar(',');
		csv_field(bw->error, 1);
	}
}

/* ---- Prometheus text ------------------------------------------------- */

static void prom_or_die(int rc)
{
	if (rc < 0)
		msg_die_errno(TK_EXIT_FAILURE, -rc, "metrics");
}

/*
 * One family per figure. Latencies carry target, method and phase labels
 * (icmp/tcp: phase "rtt"/"connect"; http: dns, connect, tls, ttfb, total);
 * loss, probes sent and success carry target and method.
 */
static int write_prom(const char *file, const struct target *v, size_t n)
{
	static const struct {
		const char *name, *help;
	} lat[] = {
		{ "tunekit_probe_min_seconds", "fastest probe of the phase, from the start of the probe" },
		{ "tunekit_probe_median_seconds", "median time of the phase, from the start of the probe" },
		{ "tunekit_probe_p95_seconds", "95th percentile time of the phase, from the start of the probe" },
		{ "tunekit_probe_max_seconds", "slowest probe of the phase, from the start of the probe" },
	};
	struct prom_registry *p = prom_new();
	for (size_t k = 0; k < ARRAY_SIZE(lat); k++) {
		prom_or_die(prom_declare(p, lat[k].name, PROM_GAUGE, lat[k].help));
		for (size_t i = 0; i < n; i++)
			for (int r = 0; r < ROW_COUNT; r++) {
				const struct row_result *rr = &v[i].rows[r];
				if (!rr->active)
					continue;
				double ms = !rr->have_stats ? NAN : k == 0 ? rr->st.min : k == 1 ? rr->st.median
								: k == 2 ? rr->st.p95 : rr->st.max;
				prom_or_die(prom_addl(p, lat[k].name, ms / 1e3, "target", v[i].t.spec, "method",
						      row_method[r], "phase", row_phase[r], NULL));
			}
	}
	static const struct {
		const char *name, *help;
	} per_method[] = {
		{ "tunekit_probe_loss_ratio", "share of probes without an answer (http: without a response)" },
		{ "tunekit_probe_sent_probes", "probes sent in the last run" },
		{ "tunekit_probe_success", "1 when at least one probe of the method was answered" },
	};
	for (size_t k = 0; k < ARRAY_SIZE(per_method); k++) {
		prom_or_die(prom_declare(p, per_method[k].name, PROM_GAUGE, per_method[k].help));
		for (size_t i = 0; i < n; i++)
			for (int r = 0; r < ROW_COUNT; r++) {
				const struct row_result *rr = &v[i].rows[r];
				if (!rr->active || !decisive_row(r))
					continue;
				double val = k == 0 ? (v[i].error[0] ? 1.0 : loss_pct(rr) / 100) : k == 1 ? (double)rr->sent
					     : (double)method_ok(&v[i], r);
				prom_or_die(prom_addl(p, per_method[k].name, val, "target", v[i].t.spec, "method",
						      row_method[r], NULL));
			}
	}
	prom_or_die(prom_declare(p, "tunekit_probe_last_run_timestamp_seconds", PROM_GAUGE,
				 "when the probes finished (Unix time)"));
	prom_or_die(prom_addl(p, "tunekit_probe_last_run_timestamp_seconds", (double)time(NULL), NULL));
	int rc = strcmp(file, "-") ? prom_write_file(p, file) : prom_render(p, stdout);
	prom_free(p);
	return rc;
}

int main(int argc, char **argv)
{
	enum { OPT_ICMP_SOCKET = 0x100, OPT_DURATION, OPT_CSV, OPT_CACERT, OPT_PROM };
	static const struct option longopts[] = {
		{ "count", required_argument, NULL, 'c' },
		{ "interval", required_argument, NULL, 'i' },
		{ "timeout", required_argument, NULL, 'W' },
		{ "method", required_argument, NULL, 'm' },
		{ "targets", required_argument, NULL, 'f' },
		{ "ipv4", no_argument, NULL, '4' },
		{ "ipv6", no_argument, NULL, '6' },
		{ "icmp-socket", required_argument, NULL, OPT_ICMP_SOCKET },
		{ "parallel", required_argument, NULL, 'P' },
		{ "cacert", required_argument, NULL, OPT_CACERT },
		{ "insecure", no_argument, NULL, 'k' },
		{ "prom", required_argument, NULL, OPT_PROM },
		{ "bandwidth", required_argument, NULL, 'b' },
		{ "duration", required_argument, NULL, OPT_DURATION },
		{ "reverse", no_argument, NULL, 'R' },
		{ "json", no_argument, NULL, 'j' },
		{ "csv", no_argument, NULL, OPT_CSV },
		{ "quiet", no_argument, NULL, 'q' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	struct options o = {
		.count = 5,
		.interval_ns = 200 * NS_PER_MS,
		.timeout_ns = 2 * NS_PER_S,
		.family = AF_UNSPEC,
		.icmp_mode = NETPROBE_ICMP_AUTO,
		.format = FMT_TABLE,
		.parallel = PARALLEL_DEFAULT,
	};
	const char *targets_file = NULL, *bw_arg = NULL, *cacert = NULL, *prom_file = NULL;
	uint64_t bw_ns = 5 * NS_PER_S;
	int reverse = 0, ch;

	msg_init(argv[0]);
	close_stdout_atexit();
	/* OpenSSL writes to a TLS peer with write(2): a peer that closes in the
	 * middle is a failed probe with its reason, never a death by SIGPIPE
	 * (plain sockets use MSG_NOSIGNAL; stdout's EPIPE is closestream's) */
	signal(SIGPIPE, SIG_IGN);

	while ((ch = getopt_long(argc, argv, "c:i:W:m:f:46P:kb:RjqvhV", longopts, NULL)) != -1) {
		switch (ch) {
		case 'c':
			o.count = (unsigned)optval_or_die(OPTVAL_COUNT, "--count", optarg, 1, COUNT_MAX);
			break;
		case 'i':
			o.interval_ns = optval_or_die(OPTVAL_SECONDS, "--interval", optarg, 0, 3600 * NS_PER_S);
			break;
		case 'W':
			o.timeout_ns = optval_or_die(OPTVAL_SECONDS, "--timeout", optarg, NS_PER_MS, 3600 * NS_PER_S);
			break;
		case 'm':
			o.methods = parse_methods(optarg);
			break;
		case 'f':
			targets_file = optarg;
			break;
		case 'P':
			o.parallel = (unsigned)optval_or_die(OPTVAL_COUNT, "--parallel", optarg, 1, PARALLEL_MAX);
			break;
		case OPT_CACERT:
			cacert = optarg;
			break;
		case 'k':
			o.insecure = 1;
			break;
		case OPT_PROM:
			if (!*optarg)
				usage_error("--prom", optarg, "empty");
			prom_file = optarg;
			break;
		case '4':
			o.family = AF_INET;
			break;
		case '6':
			o.family = AF_INET6;
			break;
		case OPT_ICMP_SOCKET:
			if (!strcmp(optarg, "auto"))
				o.icmp_mode = NETPROBE_ICMP_AUTO;
			else if (!strcmp(optarg, "dgram"))
				o.icmp_mode = NETPROBE_ICMP_DGRAM;
			else if (!strcmp(optarg, "raw"))
				o.icmp_mode = NETPROBE_ICMP_RAW;
			else
				usage_error("--icmp-socket", optarg, "expected auto, dgram or raw");
			break;
		case 'b':
			bw_arg = optarg;
			break;
		case OPT_DURATION:
			bw_ns = optval_or_die(OPTVAL_SECONDS, "--duration", optarg, NS_PER_S, 86400 * NS_PER_S);
			if (bw_ns % NS_PER_S)
				usage_error("--duration", optarg, "iperf3 takes whole seconds");
			break;
		case 'R':
			reverse = 1;
			break;
		case 'j':
			o.format = FMT_JSON;
			break;
		case OPT_CSV:
			o.format = FMT_CSV;
			break;
		case 'q':
			msg_verbosity = -1;
			break;
		case 'v':
			if (msg_verbosity >= 0)
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

	struct target *targets = NULL;
	size_t ntargets = 0;
	for (int i = optind; i < argc; i++) {
		struct probe_target pt;
		const char *why = NULL;
		if (probe_target_parse(argv[i], strlen(argv[i]), &pt, &why))
			usage_error("target", argv[i], why);
		add_target(&targets, &ntargets, &pt, o.methods);
		probe_target_free(&pt);
	}
	if (targets_file)
		read_targets_file(targets_file, &targets, &ntargets, o.methods);

	struct bandwidth bwstore, *bw = NULL;
	if (bw_arg) {
		const char *why = NULL;
		memset(&bwstore, 0, sizeof(bwstore));
		if (probe_target_parse(bw_arg, strlen(bw_arg), &bwstore.t, &why))
			usage_error("--bandwidth", bw_arg, why);
		if (bwstore.t.http)
			usage_error("--bandwidth", bw_arg, "expected HOST[:PORT] of an iperf3 server");
		bwstore.seconds = (unsigned)(bw_ns / NS_PER_S);
		bwstore.reverse = reverse;
		bw = &bwstore;
	} else if (reverse) {
		msg_warn("--reverse needs --bandwidth");
		usage_hint();
	}
	if (!ntargets && !bw) {
		msg_warn("no targets (give HOST[:PORT]..., --targets FILE or --bandwidth HOST)");
		usage_hint();
	}

	if (cacert && o.insecure) {
		msg_warn("--cacert and --insecure exclude each other");
		usage_hint();
	}
	int want_tls = 0;
	for (size_t i = 0; i < ntargets; i++)
		want_tls |= targets[i].t.tls && (targets[i].methods & METHOD_HTTP);
	if (want_tls) {
		char why[300] = "";
		int rc = tlsprobe_ctx_new(&o.tls, cacert, o.insecure, why, sizeof(why));
		if (rc)
			msg_die(rc == -EINVAL ? TK_EXIT_USAGE : TK_EXIT_FAILURE, "%s", why);
		if (o.insecure)
			msg_info("--insecure: https certificates are not verified");
	}

	/* resolve once; a target that does not resolve is reported, not fatal */
	for (size_t i = 0; i < ntargets; i++) {
		struct target *t = &targets[i];
		if (resolve(t->t.host, t->t.port, o.family, &t->addr, &t->addrlen, t->address, sizeof(t->address),
			    t->error, sizeof(t->error))) {
			t->address[0] = '\0';
			msg_info("%s", t->error);
		}
	}

	struct netprobe_icmp icmp[2];
	const char *icmp_kind = open_icmp(targets, ntargets, &o, icmp);

	/* the sockets above only found what works: every target opens its own */
	for (int f = 0; f < 2; f++)
		netprobe_icmp_close(&icmp[f]);
	if (ntargets)
		probe_all(targets, ntargets, &o);

	size_t failed = 0;
	for (size_t i = 0; i < ntargets; i++) {
		struct target *t = &targets[i];
		for (int ri = 0; ri < ROW_COUNT; ri++) {
			struct row_result *r = &t->rows[ri];
			if (r->active && r->received && !stats_summarize(r->samples_ms, r->received, &r->st))
				r->have_stats = 1;
		}
		if (target_failed(t)) {
			failed++;
			if (t->error[0])
				;
			else if (t->rows[ROW_HTTP_TTFB].active && t->rows[ROW_HTTP_TTFB].error[0])
				msg_info("%s: %s", t->t.spec, t->rows[ROW_HTTP_TTFB].error);
			else
				msg_info("%s: no answer to any probe", t->t.spec);
		}
	}

	int bw_failed = 0;
	if (bw && measure_bandwidth(bw, &o)) {
		bw_failed = 1;
		msg_info("%s", bw->error);
	}

	if (prom_file) {
		int rc = write_prom(prom_file, targets, ntargets);
		if (rc)
			msg_die_errno(TK_EXIT_FAILURE, -rc, "cannot write metrics to %s", prom_file);
	}

	enum format fmt = o.format;
	if (prom_file && !strcmp(prom_file, "-"))
		fmt = FMT_NONE; /* the metrics are the report */
	switch (fmt) {
	case FMT_NONE:
		break;
	case FMT_JSON:
		print_json(targets, ntargets, bw, &o, icmp_kind, failed);
		break;
	case FMT_CSV:
		print_csv(targets, ntargets, bw);
		break;
	default:
		print_table(targets, ntargets, bw, &o);
		break;
	}

	for (size_t i = 0; i < ntargets; i++) {
		probe_target_free(&targets[i].t);
		free(targets[i].host_header);
		for (int ri = 0; ri < ROW_COUNT; ri++)
			free(targets[i].rows[ri].samples_ms);
	}
	free(targets);
	tlsprobe_ctx_free(o.tls);
	if (bw)
		probe_target_free(&bw->t);
	return failed || bw_failed ? TK_EXIT_FAILURE : TK_EXIT_OK;
}
