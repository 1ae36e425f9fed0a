/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "c.h"
#include "iperf3.h"
#include "jsonread.h"
#include "monoclock.h"
#include "xalloc.h"

#define NS_PER_MS 1000000ULL
#define NS_PER_S 1000000000ULL
#define IPERF3_OUTPUT_MAX (16 << 20)

static int find_in_path(const char *prog)
{
	const char *path = getenv("PATH");
	if (!path || !*path)
		path = "/usr/local/bin:/usr/bin:/bin";
	char *copy = xstrdup(path), *save = NULL;
	int found = 0;
	for (char *dir = strtok_r(copy, ":", &save); dir && !found; dir = strtok_r(NULL, ":", &save)) {
		char *p = xasprintf("%s/%s", *dir ? dir : ".", prog);
		struct stat st;
		found = !stat(p, &st) && S_ISREG(st.st_mode) && !access(p, X_OK);
		free(p);
	}
	free(copy);
	return found;
}

/* Run iperf3 with a deadline; its stdout into *out. Returns its exit status or -errno. */
static int run_iperf3(char *const argv[], uint64_t limit_ns, char **out, size_t *outlen)
{
	int pfd[2];
	if (pipe2(pfd, O_CLOEXEC) < 0)
		return -errno;
	fflush(stdout);
	fflush(stderr);
	pid_t pid = fork();
	if (pid < 0) {
		int e = errno;
		close(pfd[0]);
		close(pfd[1]);
		return -e;
	}
	if (pid == 0) {
		dup2(pfd[1], STDOUT_FILENO);
		int null = open("/dev/null", O_WRONLY | O_CLOEXEC);
		if (null >= 0)
			dup2(null, STDERR_FILENO);
		execvp(argv[0], argv);
		_exit(127);
	}
	close(pfd[1]);

	size_t cap = 65536, n = 0;
	char *buf = xmalloc(cap + 1);
	uint64_t deadline = mono_ns() + limit_ns;
	int rc = 0;
	for (;;) {
		uint64_t now = mono_ns();
		if (now >= deadline) {
			rc = -ETIMEDOUT;
			break;
		}
		struct pollfd p = { .fd = pfd[0], .events = POLLIN };
		int pr = poll(&p, 1, (int)((deadline - now) / NS_PER_MS + 1));
		if (pr < 0 && errno != EINTR) {
			rc = -errno;
			break;
		}
		if (pr <= 0)
			continue;
		if (n == cap) {
			if (cap >= IPERF3_OUTPUT_MAX) {
				rc = -EFBIG;
				break;
			}
			cap *= 2;
			buf = xreallocarray(buf, cap + 1, 1);
		}
		ssize_t r = read(pfd[0], buf + n, cap - n);
		if (r < 0 && errno != EINTR && errno != EAGAIN) {
			rc = -errno;
			break;
		}
		if (r == 0)
			break;
		if (r > 0)
			n += (size_t)r;
	}
	close(pfd[0]);
	if (rc)
		kill(pid, SIGKILL); /* its output is of no use any more */
	int status = 0;
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	buf[n] = '\0';
	*out = buf;
	*outlen = n;
	if (rc)
		return rc;
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

int iperf3_installed(void)
{
	return find_in_path("iperf3");
}

static void TK_PRINTF(3, 4) say(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;
	if (!err || !errlen)
		return;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
}

/* The object at key under obj, or NULL. */
static const struct jv *object_at(const struct jv *obj, const char *key)
{
	const struct jv *v = obj ? jv_get(obj, key) : NULL;
	return v && v->type == JV_OBJECT ? v : NULL;
}

int iperf3_parse(const char *json, size_t len, struct iperf3_result *res, char *err, size_t errlen)
{
	struct jv doc;
	struct jv_error jerr;
	if (jv_parse(json, len, &doc, &jerr)) {
		say(err, errlen, "iperf3 printed no JSON result");
		return -EPROTO;
	}
	int rc = 0;
	const char *msg = doc.type == JV_OBJECT ? jv_get_string(&doc, "error") : NULL;
	const struct jv *end = doc.type == JV_OBJECT ? object_at(&doc, "end") : NULL;
	const struct jv *sent = object_at(end, "sum_sent"), *received = object_at(end, "sum_received");
	memset(res, 0, sizeof(*res));
	if (msg) {
		say(err, errlen, "iperf3: %s", msg);
		rc = -ECONNABORTED;
	} else if (!sent || !received || jv_get_number(sent, "bits_per_second", &res->sender_bps) ||
		   jv_get_number(received, "bits_per_second", &res->receiver_bps)) {
		say(err, errlen, "iperf3 result has no end.sum_sent/sum_received");
		rc = -EPROTO;
	} else {
		res->have_retransmits = !jv_get_number(sent, "retransmits", &res->retransmits);
		if (jv_get_number(received, "seconds", &res->seconds))
			res->seconds = 0;
	}
	jv_free(&doc);
	return rc;
}

int iperf3_run(const struct iperf3_test *test, struct iperf3_result *res, char *err, size_t errlen)
{
	if (!iperf3_installed()) {
		say(err, errlen, "iperf3 is not installed");
		return -ENOENT;
	}
	char secs[16], port[8], ctimeout[24];
	snprintf(secs, sizeof(secs), "%u", test->seconds);
	snprintf(port, sizeof(port), "%u", test->port);
	snprintf(ctimeout, sizeof(ctimeout), "%llu",
		 (unsigned long long)((test->connect_timeout_ns + NS_PER_MS - 1) / NS_PER_MS));
	char *argv[16];
	int a = 0;
	argv[a++] = "iperf3";
	argv[a++] = "-c";
	argv[a++] = (char *)test->host;
	if (test->port) {
		argv[a++] = "-p";
		argv[a++] = port;
	}
	argv[a++] = "-J";
	argv[a++] = "-t";
	argv[a++] = secs;
	argv[a++] = "--connect-timeout";
	argv[a++] = ctimeout;
	if (test->reverse)
		argv[a++] = "-R";
	if (test->family == AF_INET)
		argv[a++] = "-4";
	else if (test->family == AF_INET6)
		argv[a++] = "-6";
	argv[a] = NULL;

	char *out = NULL;
	size_t len = 0;
	/* the test, the connection, and slack for iperf3's own start and end */
	uint64_t limit = (uint64_t)test->seconds * NS_PER_S + test->connect_timeout_ns + 10 * NS_PER_S;
	int st = run_iperf3(argv, limit, &out, &len);
	int rc;
	if (st < 0) {
		say(err, errlen, "iperf3: %s", st == -ETIMEDOUT ? "did not finish in time" : strerror(-st));
		rc = st;
	} else {
		rc = iperf3_parse(out, len, res, err, errlen);
		if (rc == -EPROTO)
			say(err, errlen, "iperf3 printed no usable JSON result (exit status %d)", st);
		else if (!rc && !res->seconds)
			res->seconds = test->seconds;
	}
	free(out);
	return rc;
}
