/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * nettune-buffers: size TCP buffers from the bandwidth-delay product, and
 * find the live connections whose throughput the buffers limit.
 */
#include "config.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <limits.h>
#include <netdb.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/sysinfo.h>
#include <time.h>
#include <unistd.h>

#include "bdp.h"
#include "c.h"
#include "closestream.h"
#include "json.h"
#include "meminfo.h"
#include "monoclock.h"
#include "msg.h"
#include "optval.h"
#include "paths.h"
#include "sockdiag.h"
#include "sysctl.h"
#include "tuner.h"
#include "units.h"
#include "xalloc.h"

#define DEFAULT_MAX (256ULL << 20)
#define RTT_PROBES 5
#define RTT_TIMEOUT_MS 2000

struct ctl {
	uint64_t rate_bps;     /* 0: not given */
	uint64_t rtt_ns;       /* 0: not given */
	const char *rtt_from;
	uint64_t max;
	const char *max_arg;   /* --max as given, NULL: the default */
	uint64_t flows;
	uint64_t interval_ms;
	unsigned threshold_pct;
	struct tuner_common common;
	int all;
};

static void __attribute__((__noreturn__)) usage(void)
{
	FILE *out = stdout;
	fprintf(out, "Usage:\n"
		     " %1$s [options] show\n"
		     " %1$s [options] recommend|apply|check\n"
		     " %1$s [options] observe\n", msg_progname());
	fputs("\nSize TCP buffers from the bandwidth-delay product (2 x rate x RTT, rounded up\n"
	      "to a power of two) and list the connections the buffers hold back.\n", out);
	fputs("\nCommands:\n"
	      " show          current buffer sysctls with units\n"
	      " recommend     print sysctl.d lines for the path (nothing changed)\n"
	      " apply         apply the recommendation as one transaction (needs root)\n"
	      " check         exit 3 when live values fall short of the recommendation\n"
	      " observe       list live TCP connections limited by a buffer or window\n", out);
	fputs("\nOptions:\n"
	      " -r, --rate RATE          path bandwidth: 10gbit, 1.5Gbps, 125MB/s\n"
	      " -t, --rtt DURATION       round-trip time: 80ms, 1.5s\n"
	      " -T, --rtt-from HOST[:PORT]  measure the RTT with TCP connects (port 443)\n"
	      " -m, --max SIZE           largest buffer to recommend (default 256MiB;\n"
	      "                            at least the defaults it caps)\n"
	      " -f, --flows N            concurrent flows tcp_mem must hold (default 1)\n"
	      " -i, --interval SECONDS   observe: time between two samples (default 1;\n"
	      "                            0: counters since each connection started)\n"
	      "     --threshold PCT      observe: share of busy time that counts (default 10)\n"
	      " -a, --all                observe: list every connection\n"
	      " -e, --explain            say why each value, on stderr\n"
	      " -j, --json               show, check, apply, observe: one JSON object\n"
	      "     --prom FILE          check: also write node_exporter textfile metrics\n"
	      "                            to FILE, atomically ('-': stdout, no text)\n"
	      " -n, --dry-run            apply: print what would change, change nothing\n"
	      "     --root DIR           files under DIR (snapshots, /etc/sysctl.d)\n"
	      " -q, --quiet              fewer messages\n"
	      " -v, --verbose            more messages\n"
	      " -h, --help               display this help\n"
	      " -V, --version            display version\n", out);
	fputs("\nWithout --rate and --rtt the original rule applies: 1/8 of RAM, at most\n"
	      "128 MiB. Environment: TUNEKIT_PROC replaces /proc.\n", out);
	exit(TK_EXIT_OK);
}

/* ---- RTT by TCP connect --------------------------------------------- */

static int split_host_port(const char *spec, char **host, char **port)
{
	const char *colon = strrchr(spec, ':');
	if (spec[0] == '[') {
		const char *close = strchr(spec, ']');
		if (!close)
			return -EINVAL;
		*host = xstrndup(spec + 1, (size_t)(close - spec - 1));
		*port = xstrdup(close[1] == ':' ? close + 2 : "443");
	} else if (colon && strchr(spec, ':') == colon) {
		*host = xstrndup(spec, (size_t)(colon - spec));
		*port = xstrdup(colon + 1);
	} else {
		*host = xstrdup(spec);
		*port = xstrdup("443");
	}
	return **host && **port ? 0 : -EINVAL;
}

/* One connect: the SYN/SYN-ACK (or RST) round trip. 0 or -errno. */
static int connect_rtt(const struct addrinfo *ai, uint64_t *ns)
{
	int fd = socket(ai->ai_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, IPPROTO_TCP);
	int rc = 0;
	if (fd < 0)
		return -errno;
	uint64_t t0 = mono_ns();
	if (connect(fd, ai->ai_addr, ai->ai_addrlen) < 0 && errno != EINPROGRESS) {
		rc = -errno;
	} else {
		struct pollfd p = { .fd = fd, .events = POLLOUT };
		int r = poll(&p, 1, RTT_TIMEOUT_MS);
		if (r == 0) {
			rc = -ETIMEDOUT;
		} else if (r < 0) {
			rc = -errno;
		} else {
			int err = 0;
			socklen_t len = sizeof(err);
			getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len);
			/* a refusal (RST) also took one round trip */
			if (err && err != ECONNREFUSED)
				rc = -err;
		}
	}
	*ns = mono_ns() - t0;
	close(fd);
	return rc;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return x < y ? -1 : x > y;
}

static void measure_rtt(struct ctl *ctl)
{
	char *host, *port;
	struct addrinfo hints = { .ai_socktype = SOCK_STREAM }, *res;
	uint64_t samples[RTT_PROBES];
	int n = 0, rc = 0;

	if (split_host_port(ctl->rtt_from, &host, &port) < 0) {
		msg_warn("invalid --rtt-from argument '%s': want HOST[:PORT]", ctl->rtt_from);
		usage_hint();
	}
	int gai = getaddrinfo(host, port, &hints, &res);
	if (gai)
		msg_die(TK_EXIT_FAILURE, "cannot resolve %s: %s", host, gai_strerror(gai));
	for (int i = 0; i < RTT_PROBES; i++) {
		uint64_t ns = 0;
		rc = connect_rtt(res, &ns);
		if (rc == 0)
			samples[n++] = ns;
	}
	freeaddrinfo(res);
	if (!n)
		msg_die_errno(TK_EXIT_FAILURE, -rc, "cannot measure the RTT to %s port %s", host, port);
	qsort(samples, (size_t)n, sizeof(samples[0]), cmp_u64);
	/* the median of the connects; never 0 on a fast loopback */
	ctl->rtt_ns = samples[n / 2] ? samples[n / 2] : 1;
	char buf[32];
	msg_info("RTT to %s port %s: %s (median of %d connects)", host, port,
		 units_format_duration(ctl->rtt_ns, buf, sizeof(buf)), n);
	free(host);
	free(port);
}

/* ---- facts ---------------------------------------------------------- */

static uint64_t ram_bytes(void)
{
	uint64_t ram;
	if (meminfo_total(&ram) == 0)
		return ram;
	struct sysinfo si;
	if (sysinfo(&si) == 0)
		return (uint64_t)si.totalram * si.mem_unit;
	return 0;
}

static uint64_t page_size(void)
{
	long ps = sysconf(_SC_PAGESIZE);
	return ps > 0 ? (uint64_t)ps : 4096;
}

/* min and default of a tcp_rmem/tcp_wmem triplet, or the kernel's */
static void triplet(const char *key, uint64_t defmin, uint64_t defdef, uint64_t v[3])
{
	if (tuner_read_u64s(key, v, 3) != 3) {
		v[0] = defmin;
		v[1] = defdef;
		v[2] = 0;
	}
}

/* ---- recommend ------------------------------------------------------ */

/* The defaults a recommended maximum caps: none may end up above its maximum. */
struct buf_defaults {
	uint64_t rmem[3], wmem[3];   /* tcp_rmem, tcp_wmem (live or the kernel's) */
	uint64_t core_rdef, core_wdef; /* net.core.rmem_default, wmem_default (0: absent) */
};

static void read_defaults(struct buf_defaults *d)
{
	triplet("net.ipv4.tcp_rmem", 4096, 131072, d->rmem);
	triplet("net.ipv4.tcp_wmem", 4096, 16384, d->wmem);
	if (tuner_read_u64("net.core.rmem_default", &d->core_rdef) < 0)
		d->core_rdef = 0;
	if (tuner_read_u64("net.core.wmem_default", &d->core_wdef) < 0)
		d->core_wdef = 0;
}

/*
 * --max below a default it caps makes a range whose maximum is under its
 * default (tcp_rmem = 4096 131072 1): a usage error naming the option and
 * the key whose default is the lowest valid --max.
 */
static void check_max(const struct ctl *ctl)
{
	struct buf_defaults d;
	if (!ctl->max_arg)
		return;
	read_defaults(&d);
	const struct {
		const char *key;
		uint64_t v;
	} defs[] = {
		{ "net.ipv4.tcp_rmem", d.rmem[1] },
		{ "net.ipv4.tcp_wmem", d.wmem[1] },
		{ "net.core.rmem_default", d.core_rdef },
		{ "net.core.wmem_default", d.core_wdef },
	};
	size_t hi = 0;
	for (size_t i = 1; i < ARRAY_SIZE(defs); i++)
		if (defs[i].v > defs[hi].v)
			hi = i;
	if (ctl->max >= defs[hi].v)
		return;
	char a[32];
	msg_die(TK_EXIT_USAGE, "invalid --max argument '%s': below the default of %s (%" PRIu64
		" bytes, %s), and no maximum may be below its default; use --max %" PRIu64
		" or more", ctl->max_arg, defs[hi].key, defs[hi].v,
		units_format_size(defs[hi].v, a, sizeof(a)), defs[hi].v);
}

/* A live minimum above its default: recommend min = default, and say so. */
static void order_min(const char *key, uint64_t v[3], int quiet)
{
	if (v[0] <= v[1])
		return;
	if (!quiet)
		msg_warn("%s: the live minimum %" PRIu64 " is above the default %" PRIu64
			 ": recommending minimum %" PRIu64, key, v[0], v[1], v[1]);
	v[0] = v[1];
}

/* A cap (RAM share) under the default: the maximum is raised to it, and said. */
static void order_max(const char *key, struct bdp_sizing *s, uint64_t dflt, int quiet)
{
	char a[32], b[32];
	uint64_t capped = s->buffer;
	if (bdp_keep_order(s, dflt) && !quiet)
		msg_warn("%s: the cap (%s) is below the default (%s): maximum raised to the default",
			 key, units_format_size(capped, a, sizeof(a)), units_format_size(dflt, b, sizeof(b)));
}

static void size_one(const struct ctl *ctl, uint64_t floor, uint64_t ram, struct bdp_sizing *s)
{
	if (ctl->rate_bps) {
		int rc = bdp_size_buffer(ctl->rate_bps, ctl->rtt_ns, floor, ctl->max, ram, s);
		if (rc < 0)
			msg_die(TK_EXIT_USAGE, "rate x rtt is %s",
				rc == -ERANGE ? "too large" : "zero");
	} else {
		bdp_fallback(ram, floor, ctl->max, s);
	}
}

static void recommend(struct ctl *ctl, struct tuner_recs *recs, int quiet)
{
	uint64_t ram = ram_bytes();
	struct bdp_sizing rs, ws;
	struct buf_defaults d;
	char a[32], b[32], c[32], why[256];

	read_defaults(&d);
	uint64_t *rmem = d.rmem, *wmem = d.wmem;
	order_min("net.ipv4.tcp_rmem", rmem, quiet);
	order_min("net.ipv4.tcp_wmem", wmem, quiet);
	uint64_t rfloor = rmem[1] > BDP_KERNEL_RMEM_MAX ? rmem[1] : BDP_KERNEL_RMEM_MAX;
	uint64_t wfloor = wmem[1] > BDP_KERNEL_WMEM_MAX ? wmem[1] : BDP_KERNEL_WMEM_MAX;
	size_one(ctl, rfloor, ram, &rs);
	size_one(ctl, wfloor, ram, &ws);
	/* each maximum covers the TCP default and the core default it bounds */
	order_max("net.ipv4.tcp_rmem", &rs, rmem[1] > d.core_rdef ? rmem[1] : d.core_rdef, quiet);
	order_max("net.ipv4.tcp_wmem", &ws, wmem[1] > d.core_wdef ? wmem[1] : d.core_wdef, quiet);

	if (ctl->rate_bps) {
		snprintf(why, sizeof(why), "2 x BDP of %s x %s (%s) rounded up to a power of two, limit %s",
			 units_format_rate(ctl->rate_bps, a, sizeof(a)),
			 units_format_duration(ctl->rtt_ns, b, sizeof(b)),
			 units_format_size(rs.bdp, c, sizeof(c)), bdp_limit_name(rs.limit));
		if (!quiet && rs.limit == BDP_LIMIT_MAX)
			msg_warn("the path needs %s per buffer; capped at %s (--max)",
				 units_format_size(rs.wanted, a, sizeof(a)),
				 units_format_size(rs.buffer, b, sizeof(b)));
		else if (!quiet && rs.limit == BDP_LIMIT_RAM)
			msg_warn("the path needs %s per buffer; capped at 1/%d of RAM: %s",
				 units_format_size(rs.wanted, a, sizeof(a)), BDP_RAM_SHARE,
				 units_format_size(rs.buffer, b, sizeof(b)));
	} else {
		snprintf(why, sizeof(why), "fallback rule: 1/%d of RAM (%s), at most %s",
			 BDP_RAM_SHARE, units_format_size(ram, a, sizeof(a)),
			 units_format_size(BDP_FALLBACK_CAP, b, sizeof(b)));
		if (!quiet)
			msg_info("no --rate/--rtt given: using the %s", why);
	}
	if (!bdp_triplet_ordered(rmem[0], rmem[1], rs.buffer) ||
	    !bdp_triplet_ordered(wmem[0], wmem[1], ws.buffer))
		msg_die(TK_EXIT_FAILURE, "internal error: a recommended range is out of order");
	tuner_set(recs, "net.core.rmem_max", TUNER_AT_LEAST,
		  "setsockopt(SO_RCVBUF) ceiling follows tcp_rmem max", "%" PRIu64, rs.buffer);
	tuner_set(recs, "net.core.wmem_max", TUNER_AT_LEAST,
		  "setsockopt(SO_SNDBUF) ceiling follows tcp_wmem max", "%" PRIu64, ws.buffer);
	tuner_set(recs, "net.ipv4.tcp_rmem", TUNER_AT_LEAST, why, "%" PRIu64 " %" PRIu64 " %" PRIu64,
		  rmem[0], rmem[1], rs.buffer);
	tuner_set(recs, "net.ipv4.tcp_wmem", TUNER_AT_LEAST, why, "%" PRIu64 " %" PRIu64 " %" PRIu64,
		  wmem[0], wmem[1], ws.buffer);
	tuner_set(recs, "net.ipv4.tcp_moderate_rcvbuf", TUNER_EQUAL,
		  "receive autotuning grows each buffer only as far as the flow needs", "1");

	/* tcp_mem is in pages and shared by every socket */
	uint64_t mem[3], need;
	uint64_t per_flow = rs.buffer > ws.buffer ? rs.buffer : ws.buffer;
	if (tuner_read_u64s("net.ipv4.tcp_mem", mem, 3) == 3 &&
	    !bdp_tcp_mem_fits(mem[2], page_size(), ctl->flows, per_flow, &need) && !quiet)
		msg_warn("net.ipv4.tcp_mem allows %" PRIu64 " pages (%s) for all TCP sockets; "
			 "%" PRIu64 " flow(s) of %s need %" PRIu64 " pages: the kernel will throttle "
			 "them first (lower --flows or --max, or raise tcp_mem)",
			 mem[2], units_format_size(mem[2] * page_size(), a, sizeof(a)), ctl->flows,
			 units_format_size(per_flow, b, sizeof(b)), need);
	tuner_drop_absent(recs, quiet);
}

/* ---- show ----------------------------------------------------------- */

static const char *const show_keys[] = {
	"net.core.rmem_default", "net.core.rmem_max", "net.core.wmem_default",
	"net.core.wmem_max", "net.ipv4.tcp_adv_win_scale", "net.ipv4.tcp_mem",
	"net.ipv4.tcp_moderate_rcvbuf", "net.ipv4.tcp_rmem", "net.ipv4.tcp_window_scaling",
	"net.ipv4.tcp_wmem",
};

static int is_size_key(const char *key)
{
	return strstr(key, "mem") && strcmp(key, "net.ipv4.tcp_mem") != 0;
}

static int show(const struct ctl *ctl)
{
	struct json w;
	uint64_t ram = ram_bytes(), ps = page_size();
	char buf[32];

	if (ctl->common.json) {
		json_init(&w, stdout);
		json_object_begin(&w, NULL);
		json_u64(&w, "ram_bytes", ram);
		json_u64(&w, "page_size", ps);
		json_object_begin(&w, "sysctls");
	}
	for (size_t i = 0; i < ARRAY_SIZE(show_keys); i++) {
		const char *key = show_keys[i];
		char *val = NULL;
		uint64_t v[3];
		int n = sysctl_read(key, &val) == 0 ? tuner_read_u64s(key, v, 3) : -ENOENT;
		if (val)
			sysctl_value_normalize(val, val, strlen(val) + 1);
		if (ctl->common.json) {
			json_string(&w, key, val);
		} else if (!val) {
			printf("%s = (absent)\n", key);
		} else if (n > 0 && (is_size_key(key) || !strcmp(key, "net.ipv4.tcp_mem"))) {
			uint64_t mult = strcmp(key, "net.ipv4.tcp_mem") ? 1 : ps;
			printf("%s = %s (", key, val);
			for (int j = 0; j < n; j++)
				printf("%s%s", j ? ", " : "", units_format_size(v[j] * mult, buf, sizeof(buf)));
			printf(")\n");
		} else {
			printf("%s = %s\n", key, val);
		}
		free(val);
	}
	if (ctl->common.json) {
		json_object_end(&w);
		json_object_end(&w);
	} else {
		printf("ram = %" PRIu64 " (%s)\n", ram, units_format_size(ram, buf, sizeof(buf)));
	}
	return TK_EXIT_OK;
}

/* ---- observe -------------------------------------------------------- */

enum limit_kind { LIM_NONE, LIM_RWND, LIM_SNDBUF, LIM_RCVBUF };

struct finding {
	const struct sockdiag_conn *c;
	enum limit_kind kind;
	unsigned share_pct;    /* of busy time (rwnd, sndbuf) */
	uint64_t current;      /* bytes: peer window, sndbuf or rcvbuf */
	uint64_t suggest;      /* bytes */
	const char *setting;
};

static const char *limit_name(enum limit_kind k)
{
	static const char *const n[] = { "-", "rwnd", "sndbuf", "rcvbuf" };
	return n[k];
}

static uint64_t suggest_size(const struct ctl *ctl, const struct sockdiag_conn *c,
			     uint64_t current, uint64_t floor, uint64_t ram)
{
	struct bdp_sizing s;
	uint64_t rtt_ns = (uint64_t)c->info.tcpi_rtt * 1000;
	if (ctl->rate_bps && rtt_ns &&
	    bdp_size_buffer(ctl->rate_bps, rtt_ns, floor, ctl->max, ram, &s) == 0)
		return s.buffer;
	/* without the path's rate: at least double the limit that was hit */
	uint64_t want = current > UINT64_MAX / 2 ? UINT64_MAX : bdp_pow2_up(2 * current + 1);
	if (want < floor)
		want = floor;
	if (ctl->max && want > ctl->max)
		want = ctl->max;
	return want;
}

static void judge(const struct ctl *ctl, const struct sockdiag_conn *now,
		  const struct sockdiag_conn *before, uint64_t rmem_max, uint64_t ram,
		  struct finding *f)
{
	const struct tcp_info *ti = &now->info;
	uint64_t busy = ti->tcpi_busy_time, rwnd = ti->tcpi_rwnd_limited;
	uint64_t sndbuf = ti->tcpi_sndbuf_limited, received = ti->tcpi_bytes_received;

	if (before && before->has_info) {
		busy -= before->info.tcpi_busy_time;
		rwnd -= before->info.tcpi_rwnd_limited;
		sndbuf -= before->info.tcpi_sndbuf_limited;
		received -= before->info.tcpi_bytes_received;
	}
	memset(f, 0, sizeof(*f));
	f->c = now;
	if (busy && rwnd * 100 >= busy * ctl->threshold_pct && rwnd >= sndbuf) {
		f->kind = LIM_RWND;
		f->share_pct = (unsigned)(rwnd * 100 / busy);
		f->current = ti->tcpi_snd_wnd;
		/* the peer advertises about half its buffer: double that buffer */
		f->suggest = suggest_size(ctl, now, 2 * (uint64_t)ti->tcpi_snd_wnd, BDP_KERNEL_RMEM_MAX, ram);
		f->setting = "net.ipv4.tcp_rmem (peer)";
	} else if (busy && sndbuf * 100 >= busy * ctl->threshold_pct) {
		f->kind = LIM_SNDBUF;
		f->share_pct = (unsigned)(sndbuf * 100 / busy);
		f->current = now->has_skmem ? now->skmem[SK_MEMINFO_SNDBUF] : 0;
		f->suggest = suggest_size(ctl, now, f->current, BDP_KERNEL_WMEM_MAX, ram);
		f->setting = "net.ipv4.tcp_wmem";
	} else if (now->has_skmem && rmem_max && received &&
		   now->skmem[SK_MEMINFO_RCVBUF] >= rmem_max) {
		/* autotuning reached tcp_rmem max while data kept arriving */
		f->kind = LIM_RCVBUF;
		f->current = now->skmem[SK_MEMINFO_RCVBUF];
		f->suggest = suggest_size(ctl, now, f->current, BDP_KERNEL_RMEM_MAX, ram);
		f->setting = "net.ipv4.tcp_rmem";
	} else if (busy) {
		f->share_pct = (unsigned)((rwnd > sndbuf ? rwnd : sndbuf) * 100 / busy);
	}
}

static int cmp_finding(const void *a, const void *b)
{
	const struct finding *x = a, *y = b;
	int r = strcmp(x->c->local, y->c->local);
	return r ? r : strcmp(x->c->peer, y->c->peer);
}

static int observe(const struct ctl *ctl)
{
	struct sockdiag_conn *before = NULL, *now = NULL;
	size_t nbefore = 0, nnow = 0, limited = 0;
	uint64_t rmem[3] = { 0 }, wmem[3] = { 0 }, ram = ram_bytes();
	int rc;

	tuner_read_u64s("net.ipv4.tcp_rmem", rmem, 3);
	tuner_read_u64s("net.ipv4.tcp_wmem", wmem, 3);
	if (ctl->interval_ms) {
		rc = sockdiag_tcp_list(SOCKDIAG_ESTABLISHED, &before, &nbefore);
		if (rc < 0)
			msg_die_errno(TK_EXIT_FAILURE, -rc, "sock_diag dump");
		struct timespec ts = { (time_t)(ctl->interval_ms / 1000),
				       (long)(ctl->interval_ms % 1000) * 1000000L };
		nanosleep(&ts, NULL);
	}
	rc = sockdiag_tcp_list(SOCKDIAG_ESTABLISHED, &now, &nnow);
	if (rc < 0)
		msg_die_errno(TK_EXIT_FAILURE, -rc, "sock_diag dump");

	struct finding *f = xcalloc(nnow ? nnow : 1, sizeof(*f));
	size_t nf = 0;
	for (size_t i = 0; i < nnow; i++) {
		if (!now[i].has_info)
			continue;
		const struct sockdiag_conn *old = ctl->interval_ms ?
			sockdiag_find(before, nbefore, now[i].cookie) : NULL;
		if (ctl->interval_ms && !old)
			continue; /* opened during the interval: no baseline */
		judge(ctl, &now[i], old, rmem[2], ram, &f[nf]);
		if (f[nf].kind != LIM_NONE)
			limited++;
		if (f[nf].kind != LIM_NONE || ctl->all)
			nf++;
	}
	qsort(f, nf, sizeof(*f), cmp_finding);

	struct json w;
	if (ctl->common.json) {
		json_init(&w, stdout);
		json_object_begin(&w, NULL);
		json_double(&w, "interval_s", (double)ctl->interval_ms / 1000.0, 3);
		json_u64(&w, "tcp_rmem_max", rmem[2]);
		json_u64(&w, "tcp_wmem_max", wmem[2]);
		json_u64(&w, "connections", nnow);
		json_u64(&w, "limited", limited);
		json_array_begin(&w, "flows");
	}
	for (size_t i = 0; i < nf; i++) {
		const struct finding *x = &f[i];
		const struct tcp_info *ti = &x->c->info;
		if (ctl->common.json) {
			json_object_begin(&w, NULL);
			json_string(&w, "local", x->c->local);
			json_string(&w, "peer", x->c->peer);
			json_string(&w, "limit", x->kind == LIM_NONE ? "none" : limit_name(x->kind));
			json_u64(&w, "share_pct", x->share_pct);
			json_u64(&w, "current_bytes", x->current);
			json_u64(&w, "suggest_bytes", x->suggest);
			json_string(&w, "setting", x->setting);
			json_string(&w, "cc", x->c->cong);
			json_u64(&w, "rtt_us", ti->tcpi_rtt);
			json_u64(&w, "delivery_rate_bps", ti->tcpi_delivery_rate * 8);
			json_u64(&w, "rcvbuf", x->c->has_skmem ? x->c->skmem[SK_MEMINFO_RCVBUF] : 0);
			json_u64(&w, "sndbuf", x->c->has_skmem ? x->c->skmem[SK_MEMINFO_SNDBUF] : 0);
			json_u64(&w, "rcv_space", ti->tcpi_rcv_space);
			json_object_end(&w);
		} else {
			printf("%s %s %s %u%% current=%" PRIu64 " suggest=%" PRIu64 " %s\n",
			       x->c->local, x->c->peer, limit_name(x->kind), x->share_pct, x->current,
			       x->suggest, x->setting ? x->setting : "-");
		}
	}
	if (ctl->common.json) {
		json_array_end(&w);
		json_object_end(&w);
	} else if (msg_verbosity >= 0) {
		if (limited)
			msg_info("%zu of %zu connection(s) held back by a buffer or window; "
				 "suggest= is the size that lifts it (per connection)", limited, nnow);
		else
			msg_info("no connection held back by its buffers (%zu checked)", nnow);
	}
	free(f);
	free(before);
	free(now);
	return TK_EXIT_OK;
}

/* ---- the tuner's callbacks ------------------------------------------ */

static int show_cb(void *ctl)
{
	return show(ctl);
}

static int observe_cb(void *ctl)
{
	return observe(ctl);
}

static void recommend_cb(void *ctl, struct tuner_recs *recs, enum tuner_command cmd, int quiet)
{
	(void)cmd;
	recommend(ctl, recs, quiet);
}

/* ---- main ----------------------------------------------------------- */

int main(int argc, char **argv)
{
	enum { OPT_THRESHOLD = TUNER_OPT_FIRST };
	static const struct option longopts[] = {
		{ "rate", required_argument, NULL, 'r' },
		{ "rtt", required_argument, NULL, 't' },
		{ "rtt-from", required_argument, NULL, 'T' },
		{ "max", required_argument, NULL, 'm' },
		{ "flows", required_argument, NULL, 'f' },
		{ "interval", required_argument, NULL, 'i' },
		{ "threshold", required_argument, NULL, OPT_THRESHOLD },
		{ "all", no_argument, NULL, 'a' },
		TUNER_LONGOPTS,
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	struct ctl ctl = { .max = DEFAULT_MAX, .flows = 1, .interval_ms = 1000, .threshold_pct = 10 };
	int c;
	uint64_t v;

	msg_init(argv[0]);
	close_stdout_atexit();
	while ((c = getopt_long(argc, argv, "r:t:T:m:f:i:aejnqvhV", longopts, NULL)) != -1) {
		switch (c) {
		case 'r':
			ctl.rate_bps = optval_or_die(OPTVAL_RATE, "--rate", optarg, 1, UINT64_MAX);
			break;
		case 't':
			ctl.rtt_ns = optval_or_die(OPTVAL_DURATION, "--rtt", optarg, 1, UINT64_MAX);
			break;
		case 'T':
			ctl.rtt_from = optarg;
			break;
		case 'm':
			ctl.max = optval_or_die(OPTVAL_SIZE, "--max", optarg, 1, UINT64_MAX);
			ctl.max_arg = optarg;
			break;
		case 'f':
			/* a count, not a size: "1k" flows is refused */
			ctl.flows = optval_or_die(OPTVAL_COUNT, "--flows", optarg, 1, 1000000);
			break;
		case 'i':
			v = optval_or_die(OPTVAL_SECONDS, "--interval", optarg, 0, 3600000000000ULL);
			ctl.interval_ms = v / 1000000;
			break;
		case OPT_THRESHOLD:
			v = optval_or_die(OPTVAL_COUNT, "--threshold", optarg, 0, 100);
			ctl.threshold_pct = (unsigned)v;
			break;
		case 'a':
			ctl.all = 1;
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
	enum tuner_command cmd = tuner_command(argc, argv, optind, "observe", &ctl.common);
	int recs_cmd = cmd == TUNER_RECOMMEND || cmd == TUNER_APPLY || cmd == TUNER_CHECK;
	if (ctl.rtt_ns && ctl.rtt_from) {
		msg_warn("--rtt and --rtt-from exclude each other");
		usage_hint();
	}
	if (recs_cmd && (ctl.rtt_ns || ctl.rtt_from) && !ctl.rate_bps) {
		msg_warn("--rtt needs --rate");
		usage_hint();
	}
	if (recs_cmd && ctl.rate_bps && !ctl.rtt_ns && !ctl.rtt_from) {
		msg_warn("--rate needs --rtt or --rtt-from");
		usage_hint();
	}
	if (cmd != TUNER_SHOW) {
		check_max(&ctl);
		if (ctl.rtt_from)
			measure_rtt(&ctl);
	}
	static const struct tuner_ops ops = {
		.name = "nettune-buffers",
		.show = show_cb,
		.extra = observe_cb,
		.recommend = recommend_cb,
	};
	return tuner_run(&ops, &ctl, &ctl.common, cmd);
}
