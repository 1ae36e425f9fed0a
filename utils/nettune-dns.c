/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * nettune-dns: measure DNS resolvers with our own client, pick the best,
 * apply it through the engine, check it from cron.
 */
#include "config.h"

#include <signal.h>
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <math.h>
#include <spawn.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "atomicfile.h"
#include "c.h"
#include "closestream.h"
#include "dnsclient.h"
#include "dnswire.h"
#include "fileutil.h"
#include "json.h"
#include "msg.h"
#include "optval.h"
#include "paths.h"
#include "prom.h"
#include "resolvconf.h"
#include "snapshot.h"
#include "stats.h"
#include "textdiff.h"
#include "tlsprobe.h"
#include "txn.h"
#include "units.h"
#include "xalloc.h"

extern char **environ;

#define RESOLV_MAX_NS      3        /* glibc MAXNS */
#define MAX_SERVERS        64
#define RESOLVED_RUN_DIR   "/run/systemd/resolve"
#define RESOLVED_UPLINK    "/run/systemd/resolve/resolv.conf"
#define NM_PID_FILE        "/run/NetworkManager/NetworkManager.pid"

/* Built-in public resolvers, measured next to the system's own by default. */
static const char *const builtin_servers[] = {
	"1.1.1.1", "8.8.8.8", "9.9.9.9", "208.67.222.222",
};

enum command { CMD_BENCH, CMD_BEST, CMD_APPLY, CMD_CHECK, CMD_SHOW };
enum names_mode { NAMES_MISS, NAMES_HIT, NAMES_FILE };
enum output { OUT_TABLE, OUT_JSON, OUT_CSV };
enum apply_mode { APPLY_AUTO, APPLY_RESOLVED, APPLY_RESOLV_CONF, APPLY_NM };

enum rcode_slot { RC_NOERROR, RC_FORMERR, RC_SERVFAIL, RC_NXDOMAIN, RC_NOTIMP, RC_REFUSED, RC_OTHER, RC_N };
static const char *const rcode_keys[RC_N] = {
	"noerror", "formerr", "servfail", "nxdomain", "notimp", "refused", "other",
};

struct resolver {
	struct dns_server srv;
	char label[300];
	unsigned sent, answered, timeouts, errors, last_error;
	unsigned rcodes[RC_N];
	unsigned tcp, edns_retry, mismatched, malformed;
	double *rtt_ms;
	size_t nrtt;
	double min, median, p95, mean, stddev, loss_pct, fail_pct;
	int hijack;          /* -1 unknown, 0 no, 1 yes */
	int qualified;
	int rank;            /* 1.. among qualified, 0 if not */
	char reason[160];
	/* DoT: queries that opened a connection (TCP + TLS handshakes + the query) */
	double *hs_ms;
	size_t nhs;
	double hs_median;
	char tls_why[140];   /* the last failed handshake or certificate */
};

struct config {
	enum command cmd;
	unsigned count;
	uint64_t timeout_ns;
	unsigned parallel;
	const char *domain;
	enum names_mode names;
	const char *name_file;
	uint16_t qtype;
	int edns;
	int builtin;
	double max_loss, max_fail, max_ms;
	enum output out;
	const char *prom;
	enum apply_mode apply_mode;
	int route_all, dry_run, reload; /* reload: -1 auto, 0 no, 1 yes */
	char **file_names;
	size_t nfile_names;
	const char *cacert;
	struct tlsprobe_ctx *tls; /* when a server is tls:// */
};

static void __attribute__((__noreturn__)) usage(void)
{
	printf("Usage:\n"
	       " %1$s show  [--json]\n"
	       " %1$s bench [options] [SERVER[:PORT]...]\n"
	       " %1$s best  [options] [SERVER[:PORT]...]\n"
	       " %1$s apply [options] [SERVER[:PORT]...]\n"
	       " %1$s check [options] [SERVER[:PORT]...]\n"
	       "\nSERVER is ADDRESS[:PORT] (port 53), or tls://ADDRESS[:PORT][#NAME] for DNS over\n"
	       "TLS (port 853; the certificate is verified for NAME, else for the address).\n",
	       msg_progname());
	fputs("\nMeasure DNS resolvers with tunekit's own client, pick the best one,\n"
	      "apply it safely (snapshot first) and check it from cron.\n", stdout);
	fputs("\nCommands:\n"
	      " show           who owns /etc/resolv.conf and the resolvers configured now\n"
	      " bench          measure each resolver (default: the system's and built-in ones)\n"
	      " best           rank them and print the winner; exit 1 if none qualifies\n"
	      " apply          write the winner (or the given servers) into systemd-resolved,\n"
	      "                NetworkManager (global DNS) or /etc/resolv.conf, after a health check\n"
	      " check          the configured resolvers answer within --max-ms; exit 3 if not\n",
	      stdout);
	fputs("\nMeasurement:\n"
	      " -c, --count <n>          queries per resolver (default 20; check: 5)\n"
	      " -t, --timeout <time>     wait per attempt, e.g. 500ms (default 2s); a timeout is a loss\n"
	      " -P, --parallel <n>       queries in flight at once (default 8)\n"
	      "     --cache-miss         random names under --domain (default)\n"
	      "     --cache-hit          one name, repeated (after one warm-up query)\n"
	      "     --name-file <file>   names to query, one a line\n"
	      "     --domain <name>      domain for random names (default example.com)\n"
	      "     --type <type>        query type (default A)\n"
	      "     --no-edns            send no EDNS0 OPT record\n"
	      "     --cacert <file>      DoT: trust the CAs in this PEM file, not the system's\n"
	      "     --no-builtin         without SERVER: only the system's resolvers\n"
	      "     --max-loss <pct>     disqualify above this loss (default 5)\n"
	      "     --max-fail <pct>     disqualify above this SERVFAIL+REFUSED share (default 5)\n"
	      "     --max-ms <ms>        check: highest acceptable median (default 100)\n",
	      stdout);
	fputs("\nOutput:\n"
	      "     --json               one JSON object (keys in nettune-dns(8)); apply:\n"
	      "                          {changed, snapshot, dry_run, changes}\n"
	      "     --csv                bench: CSV with a header line\n"
	      "     --prom <file>        check: also write node_exporter textfile metrics,\n"
	      "                          atomically ('-': on stdout instead of the text)\n"
	      " -q, --quiet              fewer messages\n"
	      " -v, --verbose            more messages\n",
	      stdout);
	fputs("\nApply:\n"
	      "     --resolved           write " TK_RESOLVED_DROPIN "\n"
	      "     --resolv-conf        rewrite " TK_RESOLV_CONF " (a plain file)\n"
	      "     --route-all          add Domains=~. to the drop-in\n"
	      "     --reload             reload systemd-resolved or NetworkManager even under --root\n"
	      "     --no-reload          never reload systemd-resolved or NetworkManager\n"
	      " -n, --dry-run            show the diff, change nothing\n"
	      "     --root <dir>         files live under this directory\n"
	      "\nWhere NetworkManager owns " TK_RESOLV_CONF ", apply writes global DNS (no DNS over\n"
	      "TLS) to " TK_NM_DROPIN "\n"
	      "and reloads NetworkManager (nmcli general reload conf) when it runs.\n",
	      stdout);
	fputs("\n -h, --help               display this help\n"
	      " -V, --version            display version\n", stdout);
	exit(TK_EXIT_OK);
}

/* ---- names ----------------------------------------------------------- */

static void random_label(char *out, size_t n)
{
	static const char alnum[] = "abcdefghijklmnopqrstuvwxyz0123456789";
	uint8_t r[32];
	if (n > sizeof(r))
		n = sizeof(r);
	if (dns_random(r, n) < 0)
		msg_die_errno(TK_EXIT_FAILURE, errno, "getrandom");
	for (size_t i = 0; i < n; i++)
		out[i] = alnum[r[i] % 36];
	out[n] = '\0';
}

/* "abc123.example.com." */
static char *random_name(const char *domain)
{
	char lab[16];
	random_label(lab, 12);
	size_t dl = strlen(domain);
	return xasprintf("%s.%s%s", lab, domain, dl && domain[dl - 1] == '.' ? "" : ".");
}

static void load_name_file(struct config *c)
{
	char *data;
	size_t len;
	int rc = read_file(c->name_file, 1 << 20, &data, &len);
	if (rc < 0)
		msg_die_errno(TK_EXIT_USAGE, -rc, "%s", c->name_file);
	unsigned lineno = 0;
	for (char *save = NULL, *line = strtok_r(data, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save)) {
		lineno++;
		while (*line == ' ' || *line == '\t')
			line++;
		size_t l = strlen(line);
		while (l && (line[l - 1] == ' ' || line[l - 1] == '\t' || line[l - 1] == '\r'))
			line[--l] = '\0';
		if (!l || *line == '#')
			continue;
		uint8_t w[DNS_MAX_NAME];
		size_t wl;
		if (dns_name_from_text(line, w, &wl) < 0) {
			msg_warn("%s: line %u: invalid name '%s'", c->name_file, lineno, line);
			usage_hint();
		}
		c->file_names = xreallocarray(c->file_names, c->nfile_names + 1, sizeof(char *));
		c->file_names[c->nfile_names++] = xstrdup(line);
	}
	free(data);
	if (!c->nfile_names)
		usage_errorf("%s: no names", c->name_file);
}

/* ---- statistics ------------------------------------------------------ */

static void compute_stats(struct resolver *r, const struct config *c)
{
	size_t n = r->nrtt;
	unsigned lost = r->timeouts + r->errors;
	r->loss_pct = r->sent ? 100.0 * lost / r->sent : 0;
	r->fail_pct = r->sent ? 100.0 * (r->rcodes[RC_SERVFAIL] + r->rcodes[RC_REFUSED]) / r->sent : 0;
	/* lib/stats: the p95 interpolates between closest ranks, as nettune-probe's */
	struct stats st;
	if (n) {
		if (stats_summarize(r->rtt_ms, n, &st) < 0)
			msg_die_errno(TK_EXIT_FAILURE, ENOMEM, "statistics");
		r->min = st.min;
		r->median = st.median;
		r->p95 = st.p95;
		r->mean = st.mean;
		r->stddev = st.stddev;
	}
	if (r->nhs) {
		if (stats_summarize(r->hs_ms, r->nhs, &st) < 0)
			msg_die_errno(TK_EXIT_FAILURE, ENOMEM, "statistics");
		r->hs_median = st.median;
	}
	r->qualified = 0;
	/* a refused handshake or certificate disqualifies, even once */
	if (r->tls_why[0])
		snprintf(r->reason, sizeof(r->reason), "%s", r->tls_why);
	else if (!r->answered)
		snprintf(r->reason, sizeof(r->reason), "no answers");
	else if (r->loss_pct > c->max_loss)
		snprintf(r->reason, sizeof(r->reason), "loss %.1f%% > %g%%", r->loss_pct, c->max_loss);
	else if (r->fail_pct > c->max_fail)
		snprintf(r->reason, sizeof(r->reason), "SERVFAIL/REFUSED %.1f%% > %g%%", r->fail_pct,
			 c->max_fail);
	else if (r->malformed)
		snprintf(r->reason, sizeof(r->reason), "%u malformed replies", r->malformed);
	else if (r->hijack == 1)
		snprintf(r->reason, sizeof(r->reason), "NXDOMAIN hijacked");
	else if (c->cmd == CMD_CHECK && r->median > c->max_ms)
		snprintf(r->reason, sizeof(r->reason), "median %.2f ms > %g ms", r->median, c->max_ms);
	else
		r->qualified = 1;
	if (r->qualified)
		r->reason[0] = '\0';
}

/* ---- measuring ------------------------------------------------------- */

static enum rcode_slot rcode_slot(unsigned rcode)
{
	return rcode <= DNS_RCODE_REFUSED ? (enum rcode_slot)rcode : RC_OTHER;
}

static void run_queries_reuse(struct dns_query *q, size_t n, const struct config *c, unsigned reuse)
{
	struct dns_client_opts o = {
		.parallel = c->parallel, .timeout_ns = c->timeout_ns, .edns = c->edns, .rd = 1,
		.tls = c->tls, .dot_reuse = reuse,
	};
	int rc = dns_client_run(q, n, &o);
	if (rc < 0)
		msg_die_errno(TK_EXIT_FAILURE, -rc, "DNS client");
}

static void run_queries(struct dns_query *q, size_t n, const struct config *c)
{
	run_queries_reuse(q, n, c, 0);
}

/* A DoT query's outcome for the handshake figures. */
static void note_handshake(struct resolver *r, const struct dns_query *x)
{
	if (!x->handshake)
		return;
	if (x->status == DNSQ_ANSWERED) {
		r->hs_ms = xreallocarray(r->hs_ms, r->nhs + 1, sizeof(double));
		r->hs_ms[r->nhs++] = (double)x->rtt_ns / 1e6;
	} else if (x->error == -ECONNABORTED && x->why[0]) {
		snprintf(r->tls_why, sizeof(r->tls_why), "TLS: %s", x->why);
	}
}

/* DoT: up to 4 more queries per server, each on a new connection, for the
 * first-query (handshake) latency. */
#define DOT_HANDSHAKES 4
static void measure_handshakes(struct resolver *rs, size_t nr, const struct config *c)
{
	size_t ndot = 0;
	for (size_t i = 0; i < nr; i++)
		ndot += rs[i].srv.tls;
	if (!ndot)
		return;
	unsigned k = c->count < DOT_HANDSHAKES ? c->count : DOT_HANDSHAKES;
	struct dns_query *q = xcalloc(ndot * k, sizeof(*q));
	char **names = xcalloc(ndot * k, sizeof(char *));
	size_t n = 0;
	for (unsigned j = 0; j < k; j++)
		for (size_t i = 0; i < nr; i++)
			if (rs[i].srv.tls) {
				names[n] = random_name(c->domain);
				q[n] = (struct dns_query){ .server = &rs[i].srv, .name = names[n], .qtype = DNS_TYPE_A };
				n++;
			}
	run_queries_reuse(q, n, c, 1);
	for (size_t x = 0; x < n; x++) {
		for (size_t i = 0; i < nr; i++)
			if (q[x].server == &rs[i].srv)
				note_handshake(&rs[i], &q[x]);
		free(names[x]);
	}
	free(names);
	free(q);
}

static void measure(struct resolver *rs, size_t nr, const struct config *c)
{
	size_t nq = (size_t)c->count * nr;
	struct dns_query *q = xcalloc(nq ? nq : 1, sizeof(*q));
	char **names = xcalloc(nq ? nq : 1, sizeof(char *));
	/* phase 1: NXDOMAIN hijack probe (and the cache-hit warm-up) */
	size_t np = nr * (c->names == NAMES_HIT ? 2 : 1);
	struct dns_query *pq = xcalloc(np, sizeof(*pq));
	char **pnames = xcalloc(np, sizeof(char *));
	char *hit = NULL;

	if (c->names == NAMES_HIT) {
		size_t dl = strlen(c->domain);
		hit = xasprintf("%s%s", c->domain, dl && c->domain[dl - 1] == '.' ? "" : ".");
	}
	for (size_t i = 0; i < nr; i++) {
		pnames[i] = random_name(c->domain);
		pq[i] = (struct dns_query){ .server = &rs[i].srv, .name = pnames[i], .qtype = DNS_TYPE_A };
		if (hit)
			pq[nr + i] = (struct dns_query){ .server = &rs[i].srv, .name = hit, .qtype = c->qtype };
	}
	run_queries(pq, np, c);
	for (size_t i = 0; i < nr; i++) {
		rs[i].hijack = pq[i].status != DNSQ_ANSWERED ? -1
			       : pq[i].rcode == DNS_RCODE_NOERROR && pq[i].answer_addrs > 0;
		note_handshake(&rs[i], &pq[i]);
	}
	measure_handshakes(rs, nr, c);

	/* phase 2: the measured queries, servers interleaved */
	for (size_t k = 0; k < c->count; k++) {
		for (size_t i = 0; i < nr; i++) {
			size_t idx = k * nr + i;
			const char *name;
			if (c->names == NAMES_MISS)
				name = names[idx] = random_name(c->domain);
			else if (c->names == NAMES_HIT)
				name = hit;
			else
				name = c->file_names[k % c->nfile_names];
			q[idx] = (struct dns_query){ .server = &rs[i].srv, .name = name, .qtype = c->qtype };
		}
	}
	run_queries(q, nq, c);

	for (size_t i = 0; i < nr; i++) {
		struct resolver *r = &rs[i];
		r->rtt_ms = xcalloc(c->count ? c->count : 1, sizeof(double));
		for (size_t k = 0; k < c->count; k++) {
			const struct dns_query *x = &q[k * nr + i];
			r->sent++;
			r->mismatched += x->mismatched;
			r->malformed += x->malformed;
			r->tcp += x->tcp;
			r->edns_retry += x->edns_retry;
			note_handshake(r, x);
			switch (x->status) {
			case DNSQ_ANSWERED:
				r->answered++;
				r->rcodes[rcode_slot(x->rcode)]++;
				/* DoT: a query that opened the connection is a handshake
				 * figure, not a warm one */
				if (!x->handshake)
					r->rtt_ms[r->nrtt++] = (double)x->rtt_ns / 1e6;
				break;
			case DNSQ_ERROR:
				r->errors++;
				r->last_error = (unsigned)-x->error;
				break;
			default:
				r->timeouts++;
				break;
			}
		}
		compute_stats(r, c);
		if (r->errors && msg_verbosity >= 0)
			msg_warn_errno((int)r->last_error, "%s: %u of %u queries failed", r->label,
				       r->errors, r->sent);
	}
	for (size_t i = 0; i < nq; i++)
		free(names[i]);
	for (size_t i = 0; i < nr; i++)
		free(pnames[i]);
	free(names);
	free(pnames);
	free(hit);
	free(q);
	free(pq);
}

/* Qualified first by median, p95, then the rest in input order. */
static int cmp_rank(const void *a, const void *b)
{
	const struct resolver *x = *(const struct resolver *const *)a;
	const struct resolver *y = *(const struct resolver *const *)b;
	if (x->qualified != y->qualified)
		return y->qualified - x->qualified;
	if (!x->qualified)
		return x < y ? -1 : x > y;
	if (x->median != y->median)
		return x->median < y->median ? -1 : 1;
	if (x->p95 != y->p95)
		return x->p95 < y->p95 ? -1 : 1;
	return x < y ? -1 : x > y;
}

static struct resolver **rank(struct resolver *rs, size_t nr)
{
	struct resolver **order = xcalloc(nr ? nr : 1, sizeof(*order));
	for (size_t i = 0; i < nr; i++)
		order[i] = &rs[i];
	qsort(order, nr, sizeof(*order), cmp_rank);
	int k = 0;
	for (size_t i = 0; i < nr; i++)
		order[i]->rank = order[i]->qualified ? ++k : 0;
	return order;
}

/* ---- output ---------------------------------------------------------- */

static void json_ms(struct json *j, const char *key, const struct resolver *r, double v)
{
	if (r->nrtt)
		json_double(j, key, v, 3);
	else
		json_null(j, key);
}

static const char *names_mode_name(const struct config *c)
{
	return c->names == NAMES_MISS ? "cache-miss" : c->names == NAMES_HIT ? "cache-hit" : "name-file";
}

static void print_json(FILE *f, struct resolver **order, size_t nr, const struct config *c,
		       const struct resolver *best)
{
	const char *tn = dns_type_name(c->qtype);
	char addr[INET6_ADDRSTRLEN + 8], type[16];
	struct json j;

	json_init(&j, f);
	json_object_begin(&j, NULL);
	json_string(&j, "command", c->cmd == CMD_BENCH ? "bench" : c->cmd == CMD_BEST ? "best"
				     : c->cmd == CMD_APPLY ? "apply" : "check");
	json_string(&j, "names", names_mode_name(c));
	json_string(&j, "domain", c->domain);
	if (!tn) {
		snprintf(type, sizeof(type), "TYPE%u", c->qtype);
		tn = type;
	}
	json_string(&j, "type", tn);
	json_u64(&j, "count", c->count);
	json_double(&j, "timeout_ms", (double)c->timeout_ns / 1e6, 0);
	json_u64(&j, "parallel", c->parallel);
	json_bool(&j, "edns", c->edns);
	json_double(&j, "max_loss_pct", c->max_loss, 3);
	json_double(&j, "max_fail_pct", c->max_fail, 3);
	if (c->cmd == CMD_CHECK)
		json_double(&j, "max_ms", c->max_ms, 3);
	if (c->cmd == CMD_BEST || c->cmd == CMD_APPLY)
		json_string(&j, "best", best ? best->label : NULL);
	if (c->cmd == CMD_CHECK) {
		int all = nr > 0;
		for (size_t i = 0; i < nr; i++)
			all &= order[i]->qualified;
		json_bool(&j, "ok", all);
	}
	json_array_begin(&j, "servers");
	for (size_t i = 0; i < nr; i++) {
		const struct resolver *r = order[i];
		json_object_begin(&j, NULL);
		json_string(&j, "server", r->label);
		json_string(&j, "address", dns_server_addr(&r->srv, addr, sizeof(addr)));
		json_u64(&j, "port", dns_server_port(&r->srv));
		json_string(&j, "transport", r->srv.tls ? "tls" : "udp");
		if (r->srv.tls && r->srv.tls_name[0])
			json_string(&j, "tls_name", r->srv.tls_name);
		else
			json_null(&j, "tls_name");
		if (r->nhs)
			json_double(&j, "handshake_ms", r->hs_median, 3);
		else
			json_null(&j, "handshake_ms");
		json_u64(&j, "handshakes", r->nhs);
		json_u64(&j, "sent", r->sent);
		json_u64(&j, "answered", r->answered);
		json_u64(&j, "lost", r->timeouts + r->errors);
		json_u64(&j, "timeouts", r->timeouts);
		json_u64(&j, "errors", r->errors);
		json_double(&j, "loss_pct", r->loss_pct, 1);
		json_ms(&j, "min_ms", r, r->min);
		json_ms(&j, "median_ms", r, r->median);
		json_ms(&j, "p95_ms", r, r->p95);
		json_ms(&j, "mean_ms", r, r->mean);
		json_ms(&j, "stddev_ms", r, r->stddev);
		json_object_begin(&j, "rcodes");
		for (int k = 0; k < RC_N; k++)
			json_u64(&j, rcode_keys[k], r->rcodes[k]);
		json_object_end(&j);
		json_u64(&j, "tcp_fallbacks", r->tcp);
		json_u64(&j, "edns_fallbacks", r->edns_retry);
		json_u64(&j, "mismatched", r->mismatched);
		json_u64(&j, "malformed", r->malformed);
		if (r->hijack < 0)
			json_null(&j, "hijack");
		else
			json_bool(&j, "hijack", r->hijack);
		json_bool(&j, "qualified", r->qualified);
		if (r->rank)
			json_u64(&j, "rank", (uint64_t)r->rank);
		else
			json_null(&j, "rank");
		json_string(&j, "reason", r->reason);
		json_object_end(&j);
	}
	json_array_end(&j);
	json_object_end(&j);
	fputc('\n', f);
}

static void print_csv(FILE *f, struct resolver **order, size_t nr)
{
	char addr[INET6_ADDRSTRLEN + 8];
	fputs("server,address,port,sent,answered,lost,timeouts,errors,loss_pct,min_ms,median_ms,"
	      "p95_ms,mean_ms,stddev_ms,noerror,formerr,servfail,nxdomain,notimp,refused,other,"
	      "tcp_fallbacks,edns_fallbacks,mismatched,malformed,hijack,qualified,rank,reason\n", f);
	for (size_t i = 0; i < nr; i++) {
		const struct resolver *r = order[i];
		fprintf(f, "%s,%s,%u,%u,%u,%u,%u,%u,%.1f,", r->label,
			dns_server_addr(&r->srv, addr, sizeof(addr)), dns_server_port(&r->srv),
			r->sent, r->answered, r->timeouts + r->errors, r->timeouts, r->errors,
			r->loss_pct);
		if (r->nrtt)
			fprintf(f, "%.3f,%.3f,%.3f,%.3f,%.3f,", r->min, r->median, r->p95, r->mean,
				r->stddev);
		else
			fputs(",,,,,", f);
		for (int k = 0; k < RC_N; k++)
			fprintf(f, "%u,", r->rcodes[k]);
		fprintf(f, "%u,%u,%u,%u,%s,%s,", r->tcp, r->edns_retry, r->mismatched, r->malformed,
			r->hijack < 0 ? "" : r->hijack ? "yes" : "no", r->qualified ? "yes" : "no");
		if (r->rank)
			fprintf(f, "%d", r->rank);
		fprintf(f, ",%s\n", r->reason);
	}
}

static void fmt_ms(char *buf, size_t len, const struct resolver *r, double v)
{
	if (r->nrtt)
		snprintf(buf, len, "%.2f", v);
	else
		snprintf(buf, len, "-");
}

static void print_table(FILE *f, struct resolver **order, size_t nr)
{
	fprintf(f, "%-22s %5s %6s %7s %7s %7s %7s %7s %7s %5s %5s %5s %5s %5s %4s %5s %6s  %s\n",
		"SERVER", "SENT", "LOSS%", "MIN", "P50", "P95", "MEAN", "STDDEV", "HSHAKE", "NOERR",
		"NXDOM", "SRVFL", "REFSD", "OTHER", "TCP", "MISM", "HIJACK", "STATUS");
	for (size_t i = 0; i < nr; i++) {
		const struct resolver *r = order[i];
		char mn[16], md[16], p9[16], me[16], sd[16], status[170];
		fmt_ms(mn, sizeof(mn), r, r->min);
		fmt_ms(md, sizeof(md), r, r->median);
		fmt_ms(p9, sizeof(p9), r, r->p95);
		fmt_ms(me, sizeof(me), r, r->mean);
		fmt_ms(sd, sizeof(sd), r, r->stddev);
		if (r->qualified)
			snprintf(status, sizeof(status), "ok #%d", r->rank);
		else
			snprintf(status, sizeof(status), "no: %s", r->reason);
		char hs[16] = "-";
		if (r->nhs)
			snprintf(hs, sizeof(hs), "%.2f", r->hs_median);
		fprintf(f, "%-22s %5u %6.1f %7s %7s %7s %7s %7s %7s %5u %5u %5u %5u %5u %4u %5u %6s  %s\n",
			r->label, r->sent, r->loss_pct, mn, md, p9, me, sd, hs, r->rcodes[RC_NOERROR],
			r->rcodes[RC_NXDOMAIN], r->rcodes[RC_SERVFAIL], r->rcodes[RC_REFUSED],
			r->rcodes[RC_OTHER] + r->rcodes[RC_FORMERR] + r->rcodes[RC_NOTIMP], r->tcp,
			r->mismatched + r->malformed,
			r->hijack < 0 ? "?" : r->hijack ? "yes" : "no", status);
	}
}

/* ---- servers --------------------------------------------------------- */

static int add_server(struct resolver *rs, size_t *nr, const struct dns_server *s)
{
	for (size_t i = 0; i < *nr; i++)
		if (dns_server_equal(&rs[i].srv, s))
			return 0;
	if (*nr >= MAX_SERVERS)
		return -E2BIG;
	memset(&rs[*nr], 0, sizeof(rs[*nr]));
	rs[*nr].srv = *s;
	rs[*nr].hijack = -1;
	dns_server_format(s, 0, rs[*nr].label, sizeof(rs[*nr].label));
	(*nr)++;
	return 1;
}

/*
 * Read and parse a resolv.conf under the root; each malformed line is named
 * on stderr (FILE:LINE) and ignored. 0 or -errno (*data NULL then).
 */
static int load_resolv_conf(const char *abs, char **data, size_t *len, struct resolvconf *rc)
{
	char *path = tk_path(abs);
	int r = read_file(path, 1 << 20, data, len);
	if (r < 0) {
		*data = NULL;
		memset(rc, 0, sizeof(*rc));
		free(path);
		return r;
	}
	resolvconf_parse(*data, *len, rc);
	for (size_t i = 0; i < rc->nlines; i++)
		if (rc->lines[i].why)
			msg_warn("%s:%u: %s: line ignored", path, rc->lines[i].lineno, rc->lines[i].why);
	free(path);
	return 0;
}

/* "nameserver" addresses of a resolv.conf under the root, in order. */
static size_t resolv_conf_servers(const char *abs, struct dns_server *out, size_t max)
{
	struct resolvconf rc;
	char *data;
	size_t len, n = 0;
	if (load_resolv_conf(abs, &data, &len, &rc) < 0)
		return 0;
	for (size_t i = 0; i < rc.nnameservers && n < max; i++) {
		if (dns_server_parse(rc.nameservers[i], &out[n]) == 0)
			n++;
		else
			msg_verbose("%s: skipping nameserver '%s'", abs, rc.nameservers[i]);
	}
	resolvconf_free(&rc);
	free(data);
	return n;
}

static int is_resolved_stub(const struct dns_server *s)
{
	char a[INET6_ADDRSTRLEN];
	dns_server_addr(s, a, sizeof(a));
	return !strcmp(a, "127.0.0.53") || !strcmp(a, "127.0.0.54");
}

/* The system's resolvers: resolv.conf, plus resolved's upstreams behind its stub. */
static void system_servers(struct resolver *rs, size_t *nr)
{
	struct dns_server s[MAX_SERVERS];
	size_t n = resolv_conf_servers(TK_RESOLV_CONF, s, MAX_SERVERS);
	int stub = 0;
	for (size_t i = 0; i < n; i++) {
		add_server(rs, nr, &s[i]);
		stub |= is_resolved_stub(&s[i]);
	}
	if (stub) {
		n = resolv_conf_servers(RESOLVED_UPLINK, s, MAX_SERVERS);
		for (size_t i = 0; i < n; i++)
			add_server(rs, nr, &s[i]);
	}
}

static size_t collect_servers(struct resolver *rs, char **args, int nargs, const struct config *c)
{
	size_t nr = 0;
	struct dns_server s;
	for (int i = 0; i < nargs; i++) {
		if (dns_server_parse(args[i], &s) < 0)
			usage_errorf("invalid server '%s': want ADDRESS, ADDRESS:PORT, [IPV6]:PORT or "
				     "tls://ADDRESS[:PORT][#NAME]", args[i]);
		if (add_server(rs, &nr, &s) < 0)
			usage_errorf("too many servers (at most %d)", MAX_SERVERS);
	}
	if (nargs)
		return nr;
	system_servers(rs, &nr);
	for (size_t i = 0; c->builtin && i < ARRAY_SIZE(builtin_servers); i++) {
		dns_server_parse(builtin_servers[i], &s);
		add_server(rs, &nr, &s);
	}
	return nr;
}

/* best/apply: resolved's own stub can never be an upstream */
static size_t drop_stubs(struct resolver *rs, size_t nr)
{
	size_t k = 0;
	for (size_t i = 0; i < nr; i++) {
		if (is_resolved_stub(&rs[i].srv)) {
			msg_verbose("%s: systemd-resolved's stub, not a candidate", rs[i].label);
			continue;
		}
		rs[k++] = rs[i];
	}
	return k;
}

/* ---- resolv.conf ownership ------------------------------------------- */

/*
 * Who owns resolv.conf under the root: lstat, readlink and read here, the
 * decision in resolvconf_owner_of(). *why (may be NULL): its evidence.
 */
static enum resolvconf_owner detect_owner(char *link_target, size_t len, const char **why)
{
	char *path = tk_path(TK_RESOLV_CONF), *data = NULL, raw[PATH_MAX];
	struct resolvconf_seen seen = { 0 };
	struct stat st;

	if (lstat(path, &st) == 0) {
		seen.exists = 1;
		if (S_ISLNK(st.st_mode)) {
			ssize_t n = readlink(path, raw, sizeof(raw) - 1);
			raw[n > 0 ? n : 0] = '\0';
			seen.link = raw;
		} else if (read_file(path, 1 << 20, &data, &seen.len) == 0) {
			seen.data = data;
		}
	}
	enum resolvconf_owner o = resolvconf_owner_of(&seen, link_target, len, why);
	free(data);
	free(path);
	return o;
}

/* ---- apply ----------------------------------------------------------- */

/* A server as resolved's DNS= spells it: ADDR, ADDR:PORT, [V6]:PORT, with
 * "#NAME" for DoT (port 853 is DNSOverTLS's default). */
static char *resolved_server_text(const struct dns_server *s)
{
	struct dns_server plain = *s;
	char buf[300];
	plain.tls = 0;
	plain.tls_name[0] = '\0';
	int std = dns_server_port(s) == (s->tls ? 853 : 53);
	if (std && s->addr.ss_family == AF_INET6) /* bare v6 */
		dns_server_addr(s, buf, sizeof(buf));
	else if (std)
		dns_server_addr(s, buf, sizeof(buf));
	else
		dns_server_format(&plain, 1, buf, sizeof(buf));
	return xasprintf("%s%s%s", buf, s->tls && s->tls_name[0] ? "#" : "", s->tls ? s->tls_name : "");
}

static char *resolved_dropin(struct resolver **chosen, size_t n, const struct config *c)
{
	char *dns = xstrdup(""), *out;
	int dot = 0;
	for (size_t i = 0; i < n; i++) {
		char *srv = resolved_server_text(&chosen[i]->srv);
		char *t = xasprintf("%s%s%s", dns, i ? " " : "", srv);
		free(srv);
		free(dns);
		dns = t;
		dot |= chosen[i]->srv.tls;
	}
	out = xasprintf("# Written by nettune-dns (tunekit): resolvers measured and ranked.\n"
			"# Undo: nettune-backup restore, or remove this file.\n"
			"[Resolve]\n"
			"DNS=%s\n%s%s",
			dns, dot ? "DNSOverTLS=yes\n" : "", c->route_all ? "Domains=~.\n" : "");
	free(dns);
	return out;
}

/*
 * Old resolv.conf (olen bytes) with its nameserver lines replaced, every
 * other line kept byte for byte (resolvconf_rewrite). NULL when a line
 * holds a NUL byte; *bad_line gets its number.
 */
static char *resolv_conf_rewrite(const char *old, size_t olen, struct resolver **chosen, size_t n,
				 unsigned *bad_line)
{
	char (*addr)[INET6_ADDRSTRLEN] = xcalloc(n + 1, sizeof(*addr));
	const char **addrs = xcalloc(n + 1, sizeof(*addrs));
	for (size_t i = 0; i < n; i++)
		addrs[i] = dns_server_addr(&chosen[i]->srv, addr[i], sizeof(addr[i]));
	char *out = resolvconf_rewrite(old, olen, addrs, n, bad_line);
	free(addrs);
	free(addr);
	return out;
}

static int run_systemctl(void)
{
	const char *prog = getenv("TUNEKIT_SYSTEMCTL");
	char *argv[] = { (char *)(prog && *prog ? prog : "systemctl"),
			 (char *)"try-reload-or-restart", (char *)"systemd-resolved.service", NULL };
	pid_t pid;
	int st, rc = posix_spawnp(&pid, argv[0], NULL, NULL, argv, environ);
	if (rc)
		return -rc;
	while (waitpid(pid, &st, 0) < 0)
		if (errno != EINTR)
			return -errno;
	return WIFEXITED(st) && WEXITSTATUS(st) == 0 ? 0 : -ECHILD;
}

static int resolved_running(void)
{
	char *p = tk_path(RESOLVED_RUN_DIR);
	struct stat st;
	int r = stat(p, &st) == 0 && S_ISDIR(st.st_mode);
	free(p);
	return r;
}

/*
 * NetworkManager runs when its pid file (under the root) names a process
 * (under TUNEKIT_PROC) whose comm is NetworkManager.
 */
static int nm_running(void)
{
	char *path = tk_path(NM_PID_FILE), *data = NULL, *comm = NULL;
	size_t len, clen;
	int running = 0;
	if (read_file(path, 64, &data, &len) == 0) {
		long pid = resolvconf_pid_parse(data, len);
		if (pid > 0) {
			char rel[32];
			snprintf(rel, sizeof(rel), "%ld/comm", pid);
			char *cpath = tk_proc_path(rel);
			if (read_file(cpath, 64, &comm, &clen) == 0)
				running = !strcmp(comm, "NetworkManager\n") || !strcmp(comm, "NetworkManager");
			free(cpath);
		}
	}
	free(comm);
	free(data);
	free(path);
	return running;
}

/* nmcli general reload conf: NetworkManager rereads its configuration. 0,
 * -errno (not started), or -ECHILD with *status (exit status, 128+signal). */
static int run_nmcli_reload(int *status)
{
	char *argv[] = { (char *)"nmcli", (char *)"general", (char *)"reload", (char *)"conf", NULL };
	pid_t pid;
	int st, rc = posix_spawnp(&pid, argv[0], NULL, NULL, argv, environ);
	if (rc)
		return -rc;
	while (waitpid(pid, &st, 0) < 0)
		if (errno != EINTR)
			return -errno;
	*status = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
	return *status == 0 ? 0 : -ECHILD;
}

/*
 * Undo a drop-in written by snapshot id (NetworkManager refused it): under
 * the lock, put TK_NM_DROPIN back as the snapshot recorded it (content,
 * mode, or absent), then drop the snapshot: the apply never happened, and
 * `nettune-backup restore` still undoes the change before it. 0 or -errno.
 */
static int nm_rollback(const char *id)
{
	struct txn_error err;
	struct snapshot snap;
	int lock, rc = txn_lock_acquire(&lock, &err);
	if (rc)
		return rc;
	rc = snapshot_load(id, &snap, NULL);
	if (!rc) {
		rc = -ENOENT;
		for (size_t i = 0; i < snap.nfiles; i++)
			if (!strcmp(snap.files[i].path, TK_NM_DROPIN))
				rc = snapshot_file_restore(&snap.files[i]);
		snapshot_free(&snap);
	}
	if (!rc) {
		int r = snapshot_remove(id);
		if (r < 0)
			msg_warn_errno(-r, "snapshot %s", id);
	}
	txn_lock_release(lock);
	return rc;
}

/*
 * Write data to the managed file abs through the engine, unless it holds
 * exactly that already (then nothing is written, no snapshot taken).
 * *written says whether the file changed; opts->log gets the change.
 */
static int apply_file(const char *abs, const char *data, const struct config *c, struct txn_opts *o,
		      int *written)
{
	char *path = tk_path(abs), *old = NULL;
	size_t olen;
	*written = 0;
	int rc = read_file(path, 1 << 20, &old, &olen);
	if (rc < 0 && rc != -ENOENT)
		msg_die_errno(TK_EXIT_FAILURE, -rc, "%s", path);
	if (old && olen == strlen(data) && !memcmp(old, data, olen)) {
		msg_info("nothing to change: %s already holds these servers", path);
		free(old);
		free(path);
		return TK_EXIT_OK;
	}
	if (c->dry_run && c->out != OUT_JSON) {
		rc = text_diff(stdout, abs, old, data);
		if (rc < 0)
			msg_die_errno(TK_EXIT_FAILURE, -rc, "diff %s", path);
	}
	struct txn_error err = { 0 };
	o->dry_run = c->dry_run;
	rc = txn_apply_file(abs, data, strlen(data), 0644, o, &err);
	if (rc == -EPERM || rc == -EACCES) {
		msg_warn("%s: needs root or CAP_NET_ADMIN", path);
		free(old);
		free(path);
		return TK_EXIT_FAILURE;
	}
	if (rc < 0) {
		if (err.why || err.errnum)
			txn_error_print(&err, path);
		else
			msg_warn_errno(-rc, "%s", path);
		free(old);
		free(path);
		return txn_exit_status(rc);
	}
	if (!c->dry_run && o->snapshot_id[0]) {
		*written = 1;
		msg_info("%s: written; undo with: nettune-backup restore %s", path, o->snapshot_id);
	}
	free(old);
	free(path);
	return TK_EXIT_OK;
}

/*
 * NetworkManager mode: its global DNS in TK_NM_DROPIN (the search domains
 * and options of the resolv.conf it wrote carried over: link, the target of
 * the resolv.conf symlink, is read under the root too, never the host's),
 * then a reload when it runs; a refused reload rolls the drop-in back.
 */
static int apply_nm(struct resolver **chosen, size_t n, const char *link, const struct config *c,
		    struct txn_opts *o)
{
	struct resolvconf cur;
	char *rcdata = NULL, (*addr)[INET6_ADDRSTRLEN] = xcalloc(n + 1, sizeof(*addr));
	const char **addrs = xcalloc(n + 1, sizeof(*addrs));
	size_t rclen, skipped = 0;
	int written = 0, rc;

	if (load_resolv_conf(link[0] ? link : TK_RESOLV_CONF, &rcdata, &rclen, &cur) < 0)
		memset(&cur, 0, sizeof(cur));
	for (size_t i = 0; i < n; i++)
		addrs[i] = dns_server_addr(&chosen[i]->srv, addr[i], sizeof(addr[i]));
	char *data = resolvconf_nm_dropin(addrs, n, &cur, &skipped);
	if (skipped)
		msg_warn("%s: %zu search domain(s) or option(s) with characters a NetworkManager key file "
			 "cannot hold were left out", TK_RESOLV_CONF, skipped);
	resolvconf_free(&cur);
	free(rcdata);
	free(addrs);
	free(addr);
	rc = apply_file(TK_NM_DROPIN, data, c, o, &written);
	free(data);
	if (rc != TK_EXIT_OK || !written || c->reload == 0)
		return rc;
	if (!nm_running()) {
		msg_info("NetworkManager is not running: the drop-in takes effect when it starts");
		return rc;
	}
	if (tk_root()[0] && c->reload < 0) {
		msg_info("NetworkManager runs under %s: not reloading it (--reload to do so)", tk_root());
		return rc;
	}
	int status = 0, r = run_nmcli_reload(&status);
	if (!r) {
		msg_info("NetworkManager reloaded its configuration");
		return rc;
	}
	if (r == -ECHILD)
		msg_warn("nmcli general reload conf: exit status %d", status);
	else
		msg_warn_errno(-r, "nmcli general reload conf");
	int u = nm_rollback(o->snapshot_id);
	if (u < 0)
		msg_warn_errno(-u, "rolling back %s%s failed: undo with: nettune-backup restore %s",
			       tk_root(), TK_NM_DROPIN, o->snapshot_id);
	else
		msg_warn("NetworkManager did not reload: %s%s rolled back, nothing changed", tk_root(),
			 TK_NM_DROPIN);
	return TK_EXIT_FAILURE;
}

static int cmd_apply(struct resolver *rs, size_t nr, int explicit, const struct config *c)
{
	char target[PATH_MAX];
	const char *why;
	enum resolvconf_owner owner = detect_owner(target, sizeof(target), &why);
	enum apply_mode mode = c->apply_mode;

	msg_verbose("%s: %s%s%s (%s)", TK_RESOLV_CONF, resolvconf_owner_text(owner), target[0] ? " -> " : "",
		    target, why);
	if (owner == RESOLVCONF_OWNER_NETWORKMANAGER && mode != APPLY_AUTO)
		msg_die(TK_EXIT_FAILURE, "%s is managed by NetworkManager, which would overwrite %s: "
			"apply without --resolved or --resolv-conf writes NetworkManager's global DNS (%s)",
			TK_RESOLV_CONF, mode == APPLY_RESOLVED ? "a resolved drop-in's effect" : "the file",
			TK_NM_DROPIN);
	if (owner == RESOLVCONF_OWNER_RESOLVCONF)
		msg_die(TK_EXIT_FAILURE, "%s is managed by resolvconf: set the servers in "
			"/etc/resolvconf/resolv.conf.d or the interface configuration", TK_RESOLV_CONF);
	if (owner == RESOLVCONF_OWNER_UNKNOWN_LINK)
		msg_die(TK_EXIT_FAILURE, "%s is a symlink to %s, which nettune-dns does not "
			"recognise: refusing to change it", TK_RESOLV_CONF, target);
	if (mode == APPLY_AUTO)
		mode = owner == RESOLVCONF_OWNER_NETWORKMANAGER ? APPLY_NM
		       : resolvconf_owner_is_resolved(owner)   ? APPLY_RESOLVED
							       : APPLY_RESOLV_CONF;
	if (mode == APPLY_NM && c->route_all)
		usage_errorf("--route-all is for the systemd-resolved drop-in; %s is managed by NetworkManager",
			     TK_RESOLV_CONF);
	if (mode == APPLY_RESOLV_CONF && resolvconf_owner_is_resolved(owner))
		msg_die(TK_EXIT_FAILURE, "%s belongs to %s: use --resolved (or remove the link first)",
			TK_RESOLV_CONF, resolvconf_owner_text(owner));
	if (mode == APPLY_RESOLVED && !resolvconf_owner_is_resolved(owner))
		msg_warn("%s is %s: the drop-in takes effect only where systemd-resolved is used",
			 TK_RESOLV_CONF, resolvconf_owner_text(owner));

	int any_dot = 0, any_plain = 0;
	for (size_t i = 0; i < nr; i++) {
		any_dot |= rs[i].srv.tls;
		any_plain |= !rs[i].srv.tls;
	}
	if (any_dot && mode == APPLY_NM)
		usage_errorf("DNS over TLS: %s is managed by NetworkManager, whose global DNS (servers= in "
			     "NetworkManager.conf) takes plain addresses; NetworkManager has DNS over TLS only "
			     "per connection (connection.dns-over-tls, NetworkManager >= 1.34, with "
			     "systemd-resolved); nothing changed", TK_RESOLV_CONF);
	if (any_dot && mode == APPLY_RESOLV_CONF)
		usage_errorf("DNS over TLS needs systemd-resolved (DNSOverTLS=): %s is %s, which the C "
			     "library reads as plain DNS; nothing changed", TK_RESOLV_CONF, resolvconf_owner_text(owner));
	if (any_dot && any_plain && explicit)
		usage_errorf("a resolved drop-in sets DNSOverTLS= for all its servers: give only tls:// "
			     "servers or only plain ones");
	for (size_t i = 0; i < nr; i++) {
		if (is_resolved_stub(&rs[i].srv) && explicit)
			usage_errorf("%s is systemd-resolved's own stub: it cannot be the upstream", rs[i].label);
		if (mode == APPLY_RESOLV_CONF && dns_server_port(&rs[i].srv) != 53)
			usage_errorf("%s: resolv.conf cannot name a port other than 53", rs[i].label);
		if (mode == APPLY_NM && dns_server_port(&rs[i].srv) != 53)
			usage_errorf("%s: NetworkManager's global DNS cannot name a port other than 53",
				     rs[i].label);
	}
	if (explicit && nr > RESOLV_MAX_NS)
		usage_errorf("at most %d servers", RESOLV_MAX_NS);
	if (mode == APPLY_RESOLV_CONF) {
		/* a damaged file is refused before any query, not after the measurement */
		char *path = tk_path(TK_RESOLV_CONF), *old = NULL;
		size_t olen = 0;
		unsigned bad = 0;
		if (read_file(path, 1 << 20, &old, &olen) == 0) {
			char *probe = resolv_conf_rewrite(old, olen, NULL, 0, &bad);
			if (!probe)
				msg_die(TK_EXIT_USAGE, "%s:%u: a NUL byte: nettune-dns does not rewrite a "
					"damaged file; nothing changed", path, bad);
			free(probe);
		}
		free(old);
		free(path);
	}
	nr = drop_stubs(rs, nr);
	if (!nr)
		msg_die(TK_EXIT_FAILURE, "no candidate resolvers");

	measure(rs, nr, c);
	struct resolver **order = rank(rs, nr), *chosen[RESOLV_MAX_NS];
	size_t nchosen = 0;
	if (explicit) {
		int bad = 0;
		for (size_t i = 0; i < nr; i++) {
			if (!rs[i].qualified) {
				msg_warn("%s failed the health check: %s", rs[i].label, rs[i].reason);
				bad = 1;
			}
			chosen[nchosen++] = &rs[i];
		}
		if (bad)
			msg_die(TK_EXIT_FAILURE, "refusing to apply: a server failed its health check");
	} else {
		/* the winner's transport: DNSOverTLS= is one setting for the drop-in */
		for (size_t i = 0; i < nr && nchosen < RESOLV_MAX_NS; i++)
			if (order[i]->qualified && (!nchosen || order[i]->srv.tls == chosen[0]->srv.tls))
				chosen[nchosen++] = order[i];
		if (!nchosen) {
			for (size_t i = 0; i < nr; i++)
				msg_warn("%s: %s", order[i]->label, order[i]->reason);
			msg_die(TK_EXIT_FAILURE, "refusing to apply: no resolver passed the health check");
		}
	}
	if (msg_verbosity > 0)
		print_table(stderr, order, nr);
	free(order);

	int rc, written = 0;
	struct txn_changes log = { 0 };
	struct txn_opts o = { .note = "nettune-dns apply", .log = &log };
	if (mode == APPLY_RESOLVED) {
		char *data = resolved_dropin(chosen, nchosen, c);
		rc = apply_file(TK_RESOLVED_DROPIN, data, c, &o, &written);
		free(data);
		/* an unchanged drop-in needs no reload */
		if (rc == TK_EXIT_OK && written && c->reload != 0 && resolved_running()) {
			if (tk_root()[0] && c->reload < 0) {
				msg_info("systemd-resolved runs under %s: not reloading it (--reload to do so)",
					 tk_root());
			} else {
				int r = run_systemctl();
				if (r < 0) {
					msg_warn_errno(-r, "systemctl try-reload-or-restart systemd-resolved");
					rc = TK_EXIT_FAILURE;
				} else {
					msg_info("systemd-resolved reloaded");
				}
			}
		}
	} else if (mode == APPLY_NM) {
		rc = apply_nm(chosen, nchosen, target, c, &o);
	} else {
		char *path = tk_path(TK_RESOLV_CONF), *old = NULL;
		size_t olen = 0;
		unsigned bad = 0;
		int r = read_file(path, 1 << 20, &old, &olen);
		if (r < 0 && r != -ENOENT)
			msg_die_errno(TK_EXIT_FAILURE, -r, "%s", path);
		char *data = resolv_conf_rewrite(old, olen, chosen, nchosen, &bad);
		if (!data)
			msg_die(TK_EXIT_USAGE, "%s:%u: a NUL byte: nettune-dns does not rewrite a "
				"damaged file; nothing changed", path, bad);
		rc = apply_file(TK_RESOLV_CONF, data, c, &o, &written);
		free(data);
		free(old);
		free(path);
	}
	if (rc == TK_EXIT_OK && c->out == OUT_JSON) {
		o.dry_run = c->dry_run;
		txn_json_report(stdout, &o);
	}
	txn_changes_free(&log);
	return rc;
}

/* ---- check ----------------------------------------------------------- */

/* The configured resolvers: the resolved drop-in's DNS=, else the
 * NetworkManager drop-in's servers=, else resolv.conf. */
static size_t configured_servers(struct resolver *rs)
{
	size_t nr = 0;
	char *path = tk_path(TK_RESOLVED_DROPIN), *data;
	size_t len;
	if (read_file(path, 1 << 20, &data, &len) == 0) {
		for (char *save = NULL, *line = strtok_r(data, "\n", &save); line;
		     line = strtok_r(NULL, "\n", &save)) {
			if (strncmp(line, "DNS=", 4))
				continue;
			for (char *s2 = NULL, *w = strtok_r(line + 4, " \t", &s2); w;
			     w = strtok_r(NULL, " \t", &s2)) {
				struct dns_server s;
				if (dns_server_parse(w, &s) == 0)
					add_server(rs, &nr, &s);
			}
		}
		free(data);
	}
	free(path);
	path = tk_path(TK_NM_DROPIN);
	if (!nr && read_file(path, 1 << 20, &data, &len) == 0) {
		char **w;
		size_t n = resolvconf_nm_servers(data, len, &w);
		for (size_t i = 0; i < n; i++) {
			struct dns_server s;
			if (dns_server_parse(w[i], &s) == 0)
				add_server(rs, &nr, &s);
			free(w[i]);
		}
		free(w);
		free(data);
	}
	free(path);
	if (!nr) {
		struct dns_server s[MAX_SERVERS];
		size_t n = resolv_conf_servers(TK_RESOLV_CONF, s, MAX_SERVERS);
		for (size_t i = 0; i < n; i++)
			add_server(rs, &nr, &s[i]);
	}
	return nr;
}

static void prom_or_die(int rc)
{
	if (rc < 0)
		msg_die_errno(TK_EXIT_FAILURE, -rc, "metrics");
}

/* The check's metrics, one family per measure, a sample per resolver. */
static int write_prom(const char *file, const struct resolver *rs, size_t nr)
{
	static const struct {
		const char *name, *help;
	} fam[] = {
		{ "tunekit_dns_check_ok", "1 when the resolver answered within the limits" },
		{ "tunekit_dns_median_seconds", "median query time (NaN: no answer)" },
		{ "tunekit_dns_p95_seconds", "95th percentile query time (NaN: no answer)" },
		{ "tunekit_dns_loss_ratio", "share of queries without an answer" },
	};
	struct prom_registry *p = prom_new();
	for (size_t k = 0; k < ARRAY_SIZE(fam); k++) {
		prom_or_die(prom_declare(p, fam[k].name, PROM_GAUGE, fam[k].help));
		for (size_t i = 0; i < nr; i++) {
			const struct resolver *r = &rs[i];
			double v = k == 0 ? r->qualified : k == 1 ? (r->nrtt ? r->median / 1e3 : NAN) :
				   k == 2 ? (r->nrtt ? r->p95 / 1e3 : NAN) : r->loss_pct / 100;
			prom_or_die(prom_addl(p, fam[k].name, v, "server", r->label, NULL));
		}
	}
	int rc = strcmp(file, "-") ? prom_write_file(p, file) : prom_render(p, stdout);
	prom_free(p);
	return rc;
}

static int cmd_check(struct resolver *rs, size_t nr, const struct config *c)
{
	int text = c->out != OUT_JSON && !(c->prom && !strcmp(c->prom, "-"));
	int ok = 1;
	if (!nr) {
		if (text)
			printf("%s: no resolver configured\n", TK_RESOLV_CONF);
		ok = 0;
	} else {
		measure(rs, nr, c);
	}
	struct resolver **order = xcalloc(nr + 1, sizeof(*order));
	for (size_t i = 0; i < nr; i++) {
		order[i] = &rs[i];
		ok &= rs[i].qualified;
	}
	if (c->out == OUT_JSON) {
		print_json(stdout, order, nr, c, NULL);
	} else {
		/* silent when all is well: one line per resolver that fails */
		for (size_t i = 0; i < nr; i++) {
			const struct resolver *r = &rs[i];
			if (!r->qualified && text)
				printf("%s: %s\n", r->label, r->reason);
			else if (r->nrtt)
				msg_verbose("%s: ok, median %.2f ms p95 %.2f ms loss %.1f%%", r->label, r->median,
					    r->p95, r->loss_pct);
		}
	}
	free(order);
	if (c->prom) {
		int rc = write_prom(c->prom, rs, nr);
		if (rc < 0)
			msg_die_errno(TK_EXIT_FAILURE, -rc, "%s", c->prom);
	}
	return ok ? TK_EXIT_OK : TK_EXIT_DRIFT;
}

/* ---- main ------------------------------------------------------------ */

/* show: who owns resolv.conf, the configured servers, whether tunekit manages them. */
static int cmd_show(const struct config *c)
{
	char target[PATH_MAX];
	const char *why;
	enum resolvconf_owner owner = detect_owner(target, sizeof(target), &why);
	struct resolver *rs = xcalloc(MAX_SERVERS, sizeof(*rs));
	size_t nr = configured_servers(rs);
	char *dropin = tk_path(TK_RESOLVED_DROPIN), *nm = tk_path(TK_NM_DROPIN);
	int managed = access(dropin, F_OK) == 0, nm_managed = access(nm, F_OK) == 0;
	free(dropin);
	free(nm);

	if (c->out == OUT_JSON) {
		struct json j;
		json_init(&j, stdout);
		json_object_begin(&j, NULL);
		json_string(&j, "resolv_conf", TK_RESOLV_CONF);
		json_string(&j, "owner", resolvconf_owner_key(owner));
		json_string(&j, "link", target[0] ? target : NULL);
		json_string(&j, "evidence", why);
		json_bool(&j, "tunekit_dropin", managed);
		json_bool(&j, "tunekit_nm_dropin", nm_managed);
		json_array_begin(&j, "servers");
		for (size_t i = 0; i < nr; i++)
			json_string(&j, NULL, rs[i].label);
		json_array_end(&j);
		json_object_end(&j);
		putchar('\n');
	} else {
		printf("resolv.conf: %s%s%s\n", resolvconf_owner_text(owner), target[0] ? " -> " : "", target);
		printf("servers:");
		for (size_t i = 0; i < nr; i++)
			printf(" %s", rs[i].label);
		printf("%s\n", nr ? "" : " (none)");
		printf("tunekit drop-in %s: %s\n", TK_RESOLVED_DROPIN, managed ? "present" : "absent");
		if (nm_managed || owner == RESOLVCONF_OWNER_NETWORKMANAGER)
			printf("tunekit drop-in %s: %s\n", TK_NM_DROPIN, nm_managed ? "present" : "absent");
	}
	free(rs);
	return TK_EXIT_OK;
}

int main(int argc, char **argv)
{
	enum {
		OPT_CACERT = CHAR_MAX + 100,
		OPT_CACHE_MISS = CHAR_MAX + 1, OPT_CACHE_HIT, OPT_NAME_FILE, OPT_DOMAIN, OPT_TYPE,
		OPT_NO_EDNS, OPT_NO_BUILTIN, OPT_MAX_LOSS, OPT_MAX_FAIL, OPT_MAX_MS, OPT_JSON,
		OPT_CSV, OPT_PROM, OPT_RESOLVED, OPT_RESOLV_CONF, OPT_ROUTE_ALL, OPT_RELOAD,
		OPT_NO_RELOAD, OPT_ROOT,
	};
	static const struct option longopts[] = {
		{ "count",       required_argument, NULL, 'c' },
		{ "timeout",     required_argument, NULL, 't' },
		{ "parallel",    required_argument, NULL, 'P' },
		{ "cache-miss",  no_argument,       NULL, OPT_CACHE_MISS },
		{ "cache-hit",   no_argument,       NULL, OPT_CACHE_HIT },
		{ "name-file",   required_argument, NULL, OPT_NAME_FILE },
		{ "domain",      required_argument, NULL, OPT_DOMAIN },
		{ "type",        required_argument, NULL, OPT_TYPE },
		{ "no-edns",     no_argument,       NULL, OPT_NO_EDNS },
		{ "cacert",      required_argument, NULL, OPT_CACERT },
		{ "no-builtin",  no_argument,       NULL, OPT_NO_BUILTIN },
		{ "max-loss",    required_argument, NULL, OPT_MAX_LOSS },
		{ "max-fail",    required_argument, NULL, OPT_MAX_FAIL },
		{ "max-ms",      required_argument, NULL, OPT_MAX_MS },
		{ "json",        no_argument,       NULL, OPT_JSON },
		{ "csv",         no_argument,       NULL, OPT_CSV },
		{ "prom",        required_argument, NULL, OPT_PROM },
		{ "resolved",    no_argument,       NULL, OPT_RESOLVED },
		{ "resolv-conf", no_argument,       NULL, OPT_RESOLV_CONF },
		{ "route-all",   no_argument,       NULL, OPT_ROUTE_ALL },
		{ "reload",      no_argument,       NULL, OPT_RELOAD },
		{ "no-reload",   no_argument,       NULL, OPT_NO_RELOAD },
		{ "dry-run",     no_argument,       NULL, 'n' },
		{ "root",        required_argument, NULL, OPT_ROOT },
		{ "quiet",       no_argument,       NULL, 'q' },
		{ "verbose",     no_argument,       NULL, 'v' },
		{ "help",        no_argument,       NULL, 'h' },
		{ "version",     no_argument,       NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	struct config c = {
		.count = 0, .timeout_ns = 2000000000ull, .parallel = 8, .domain = "example.com",
		.names = NAMES_MISS, .qtype = DNS_TYPE_A, .edns = 1, .builtin = 1,
		.max_loss = 5, .max_fail = 5, .max_ms = 100, .out = OUT_TABLE, .reload = -1,
	};
	int ch;
	const char *only_for = NULL; /* an option that belongs to one command */

	msg_init(argv[0]);
	close_stdout_atexit();
	/* OpenSSL writes to a TLS peer with write(2): a peer that closes in the
	 * middle is a failed probe with its reason, never a death by SIGPIPE
	 * (plain sockets use MSG_NOSIGNAL; stdout's EPIPE is closestream's) */
	signal(SIGPIPE, SIG_IGN);

	while ((ch = getopt_long(argc, argv, "c:t:P:nqvhV", longopts, NULL)) != -1) {
		switch (ch) {
		case 'c':
			c.count = (unsigned)optval_or_die(OPTVAL_COUNT, "--count", optarg, 1, 100000);
			break;
		case 't':
			c.timeout_ns = optval_or_die(OPTVAL_MILLIS, "--timeout", optarg, 1000000, 60000000000ull);
			break;
		case 'P':
			c.parallel = (unsigned)optval_or_die(OPTVAL_COUNT, "--parallel", optarg, 1, 512);
			break;
		case OPT_CACHE_MISS: c.names = NAMES_MISS; break;
		case OPT_CACHE_HIT: c.names = NAMES_HIT; break;
		case OPT_NAME_FILE:
			c.names = NAMES_FILE;
			c.name_file = optarg;
			break;
		case OPT_DOMAIN: {
			uint8_t w[DNS_MAX_NAME];
			size_t wl;
			/* room for a 12-byte random label in front */
			if (dns_name_from_text(optarg, w, &wl) < 0 || wl + 13 > DNS_MAX_NAME)
				usage_error("--domain", optarg, NULL);
			c.domain = optarg;
			break;
		}
		case OPT_TYPE:
			if (!(c.qtype = dns_type_from_name(optarg)))
				usage_error("--type", optarg, NULL);
			break;
		case OPT_NO_EDNS: c.edns = 0; break;
		case OPT_CACERT: c.cacert = optarg; break;
		case OPT_NO_BUILTIN: c.builtin = 0; break;
		case OPT_MAX_LOSS: c.max_loss = optval_real_or_die("--max-loss", optarg, 0, 100); break;
		case OPT_MAX_FAIL: c.max_fail = optval_real_or_die("--max-fail", optarg, 0, 100); break;
		case OPT_MAX_MS:
			c.max_ms = optval_real_or_die("--max-ms", optarg, 0, 600000);
			only_for = only_for ? only_for : "--max-ms";
			break;
		case OPT_JSON: c.out = OUT_JSON; break;
		case OPT_CSV: c.out = OUT_CSV; break;
		case OPT_PROM: c.prom = optarg; break;
		case OPT_RESOLVED: c.apply_mode = APPLY_RESOLVED; break;
		case OPT_RESOLV_CONF: c.apply_mode = APPLY_RESOLV_CONF; break;
		case OPT_ROUTE_ALL: c.route_all = 1; break;
		case OPT_RELOAD: c.reload = 1; break;
		case OPT_NO_RELOAD: c.reload = 0; break;
		case 'n': c.dry_run = 1; break;
		case OPT_ROOT: tk_set_root(optarg); break;
		case 'q': msg_verbosity = -1; break;
		case 'v': msg_verbosity++; break;
		case 'h': usage();
		case 'V': print_version();
		default: usage_hint();
		}
	}
	argc -= optind;
	argv += optind;
	if (argc < 1)
		usage_errorf("no command (show, bench, best, apply or check)");
	if (!strcmp(argv[0], "bench"))
		c.cmd = CMD_BENCH;
	else if (!strcmp(argv[0], "best"))
		c.cmd = CMD_BEST;
	else if (!strcmp(argv[0], "apply"))
		c.cmd = CMD_APPLY;
	else if (!strcmp(argv[0], "check"))
		c.cmd = CMD_CHECK;
	else if (!strcmp(argv[0], "show"))
		c.cmd = CMD_SHOW;
	else
		usage_errorf("unknown command '%s'", argv[0]);
	argc--;
	argv++;

	/* options that make no sense for the command are mistakes, not no-ops */
	if (c.out == OUT_CSV && c.cmd != CMD_BENCH)
		usage_errorf("--csv is for bench");
	if (c.prom && c.cmd != CMD_CHECK)
		usage_errorf("--prom is for check");
	if (c.prom && !*c.prom)
		usage_errorf("--prom needs a FILE ('-': stdout)");
	if (c.prom && c.out == OUT_JSON && !strcmp(c.prom, "-"))
		usage_errorf("--json and --prom - both write to stdout: give --prom a FILE");
	if (only_for && c.cmd != CMD_CHECK)
		usage_errorf("%s is for check", only_for);
	if (c.cmd != CMD_APPLY && (c.apply_mode || c.route_all || c.dry_run || c.reload >= 0))
		usage_errorf("--resolved, --resolv-conf, --route-all, --reload, --no-reload and "
			     "--dry-run are for apply");
	if (c.route_all && c.apply_mode == APPLY_RESOLV_CONF)
		usage_errorf("--route-all needs --resolved");
	if (!c.count)
		c.count = c.cmd == CMD_CHECK ? 5 : 20;
	if (c.names == NAMES_FILE)
		load_name_file(&c);

	struct resolver *rs = xcalloc(MAX_SERVERS, sizeof(*rs));
	size_t nr;
	int rc;
	for (int i = 0; i < argc; i++)
		if (!strncmp(argv[i], "tls://", 6) && !c.tls) {
			char why[300] = "";
			int r = tlsprobe_ctx_new(&c.tls, c.cacert, 0, why, sizeof(why));
			if (r)
				msg_die(r == -EINVAL ? TK_EXIT_USAGE : TK_EXIT_FAILURE, "%s", why);
		}
	if (c.cmd == CMD_SHOW) {
		if (argc)
			usage_errorf("show takes no SERVER arguments");
		rc = cmd_show(&c);
		goto out;
	}
	if (c.cmd == CMD_CHECK && !argc) {
		nr = configured_servers(rs);
		rc = cmd_check(rs, nr, &c);
		goto out;
	}
	nr = collect_servers(rs, argv, argc, &c);
	if (c.cmd == CMD_CHECK) {
		rc = cmd_check(rs, nr, &c);
		goto out;
	}
	if (c.cmd == CMD_APPLY) {
		rc = cmd_apply(rs, nr, argc > 0, &c);
		goto out;
	}
	if (c.cmd == CMD_BEST)
		nr = drop_stubs(rs, nr);
	if (!nr)
		msg_die(TK_EXIT_FAILURE, "no resolvers to measure (none in %s%s; give SERVER arguments)",
			tk_root(), TK_RESOLV_CONF);

	measure(rs, nr, &c);
	struct resolver **order = rank(rs, nr);
	rc = TK_EXIT_OK;
	if (c.cmd == CMD_BENCH) {
		if (c.out == OUT_JSON)
			print_json(stdout, order, nr, &c, NULL);
		else if (c.out == OUT_CSV)
			print_csv(stdout, order, nr);
		else
			print_table(stdout, order, nr);
	} else {
		struct resolver *best = order[0]->qualified ? order[0] : NULL;
		if (c.out == OUT_JSON)
			print_json(stdout, order, nr, &c, best);
		else if (best)
			printf("%s\n", best->label);
		if (msg_verbosity > 0)
			print_table(stderr, order, nr);
		for (size_t i = 0; i < nr; i++)
			if (!order[i]->qualified && (msg_verbosity > 0 || !best))
				msg_warn("%s: not qualified: %s", order[i]->label, order[i]->reason);
		if (!best) {
			msg_warn("no resolver qualifies");
			rc = TK_EXIT_FAILURE;
		}
	}
	free(order);
out:
	for (size_t i = 0; i < MAX_SERVERS; i++)
		free(rs[i].rtt_ms);
	free(rs);
	for (size_t i = 0; i < c.nfile_names; i++)
		free(c.file_names[i]);
	free(c.file_names);
	return rc;
}
