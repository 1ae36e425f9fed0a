/* SPDX-License-Identifier: GPL-2.0-or-later */
/* lib/prom: the registry, its rendering, the parser and merging. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "c.h"
#include "prom.h"
#include "tap.h"

static char *render(const struct prom_registry *r)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	prom_render(r, f);
	fclose(f);
	return buf;
}

static char *value(double v)
{
	static char buf[48];
	prom_format_value(v, buf, sizeof(buf));
	return buf;
}

/* findings collected as "LINE: why\n" */
static char findings[4096];

static void collect(void *arg, const char *source, size_t line, const char *why)
{
	(void)arg;
	(void)source;
	size_t n = strlen(findings);
	snprintf(findings + n, sizeof(findings) - n, "%zu: %s\n", line, why);
}

static int parse(struct prom_registry *r, const char *source, const char *text, struct prom_error *err)
{
	struct prom_parse_opts o = { .source = source, .finding = collect };
	findings[0] = '\0';
	return prom_parse(r, text, strlen(text), &o, err);
}

static void test_render(void)
{
	struct prom_registry *r = prom_new();
	is_int(prom_declare(r, "tunekit_tuner_key_ok", PROM_GAUGE, "1 when the live sysctl meets the recommendation."),
	       0, "declare a gauge");
	is_int(prom_declare(r, "tunekit_tuner_drift_keys", PROM_GAUGE, "Keys whose live value falls short."), 0,
	       "declare a second gauge");
	/* three tools, interleaved as the old tuner_check calls were */
	const char *tools[] = { "nettune-buffers", "nettune-cc", "nettune-queues" };
	for (int i = 0; i < 3; i++) {
		ok(prom_addl(r, "tunekit_tuner_key_ok", 1, "tool", tools[i], "key", "net.core.somaxconn", NULL) == 0,
		   "key_ok of %s", tools[i]);
		ok(prom_addl(r, "tunekit_tuner_drift_keys", i, "tool", tools[i], NULL) == 0, "drift of %s", tools[i]);
	}
	char *out = render(r);
	is_str(out,
	       "# HELP tunekit_tuner_key_ok 1 when the live sysctl meets the recommendation.\n"
	       "# TYPE tunekit_tuner_key_ok gauge\n"
	       "tunekit_tuner_key_ok{tool=\"nettune-buffers\",key=\"net.core.somaxconn\"} 1\n"
	       "tunekit_tuner_key_ok{tool=\"nettune-cc\",key=\"net.core.somaxconn\"} 1\n"
	       "tunekit_tuner_key_ok{tool=\"nettune-queues\",key=\"net.core.somaxconn\"} 1\n"
	       "# HELP tunekit_tuner_drift_keys Keys whose live value falls short.\n"
	       "# TYPE tunekit_tuner_drift_keys gauge\n"
	       "tunekit_tuner_drift_keys{tool=\"nettune-buffers\"} 0\n"
	       "tunekit_tuner_drift_keys{tool=\"nettune-cc\"} 1\n"
	       "tunekit_tuner_drift_keys{tool=\"nettune-queues\"} 2\n",
	       "one HELP and TYPE per family, samples grouped in declaration order");
	free(out);
	is_int(prom_declare(r, "tunekit_tuner_key_ok", PROM_GAUGE, "again"), 0, "declaring again with the same type is a no-op");
	is_int(prom_declare(r, "tunekit_tuner_key_ok", PROM_UNTYPED, "again"), -EEXIST, "another type: -EEXIST");
	is_int(prom_addl(r, "tunekit_tuner_drift_keys", 5, "tool", "nettune-cc", NULL), -EEXIST,
	       "the same series twice: -EEXIST");
	is_int(prom_addl(r, "tunekit_tuner_key_ok", 0, "key", "net.core.somaxconn", "tool", "nettune-cc", NULL),
	       -EEXIST, "the same label set in another order is the same series");
	is_int(prom_addl(r, "tunekit_nothing", 1, NULL), -ENOENT, "an undeclared family: -ENOENT");
	struct prom_label l = { "tool", "nettune-cc" };
	is_int(prom_set(r, "tunekit_tuner_drift_keys", 7, &l, 1), 0, "prom_set replaces an existing series");
	out = render(r);
	ok(strstr(out, "tunekit_tuner_drift_keys{tool=\"nettune-cc\"} 7\n") != NULL, "the new value is rendered");
	free(out);
	is_int((long long)prom_sample_count(r), 6, "six samples");
	prom_free(r);
}

static void test_validation(void)
{
	struct prom_registry *r = prom_new();
	is_int(prom_declare(r, "9lives", PROM_GAUGE, "h"), -EINVAL, "metric name starting with a digit");
	is_int(prom_declare(r, "tunekit-x", PROM_GAUGE, "h"), -EINVAL, "metric name with a dash");
	is_int(prom_declare(r, "tunekit:x", PROM_GAUGE, "h"), -EINVAL, "colons are for recording rules");
	is_int(prom_declare(r, "", PROM_GAUGE, "h"), -EINVAL, "empty metric name");
	is_int(prom_declare(r, "tunekit_requests", PROM_COUNTER, "h"), -EINVAL, "a counter without _total");
	is_int(prom_declare(r, "tunekit_requests_total", PROM_GAUGE, "h"), -EINVAL, "a gauge with _total");
	is_int(prom_declare(r, "tunekit_rtt_ms", PROM_GAUGE, "h"), -EINVAL, "abbreviated unit _ms");
	is_int(prom_declare(r, "tunekit_rtt_milliseconds", PROM_GAUGE, "h"), -EINVAL, "non-base unit");
	is_int(prom_declare(r, "tunekit_rttSeconds", PROM_GAUGE, "h"), -EINVAL, "camelCase");
	is_int(prom_declare(r, "tunekit_x", PROM_GAUGE, ""), -EINVAL, "empty help");
	is_int(prom_declare(r, "tunekit_x", PROM_GAUGE, "two\nlines"), -EINVAL, "help with a newline");
	is_int(prom_declare(r, "tunekit_x", PROM_HISTOGRAM, "h"), -EINVAL, "histograms are not written by us");
	is_int(prom_declare(r, "tunekit_requests_total", PROM_COUNTER, "Requests."), 0, "a counter with _total");
	is_int(prom_declare(r, "tunekit_rtt_seconds", PROM_GAUGE, "Round trip time."), 0, "base unit seconds");
	is_int(prom_addl(r, "tunekit_rtt_seconds", 1, "bad-name", "x", NULL), -EINVAL, "label name with a dash");
	is_int(prom_addl(r, "tunekit_rtt_seconds", 1, "1a", "x", NULL), -EINVAL, "label name starting with a digit");
	is_int(prom_addl(r, "tunekit_rtt_seconds", 1, "__name__", "x", NULL), -EINVAL, "reserved label name");
	is_int(prom_addl(r, "tunekit_rtt_seconds", 1, "a", "x", "a", "y", NULL), -EINVAL, "a label twice");
	is_int(prom_addl(r, "tunekit_rtt_seconds", 1, "a", "\xff\xfe", NULL), -EINVAL, "label value not UTF-8");
	is_int(prom_addl(r, "tunekit_rtt_seconds", 1, "a", "\xed\xa0\x80", NULL), -EINVAL, "UTF-8 surrogate");
	is_int(prom_addl(r, "tunekit_rtt_seconds", 1, "a", "caf\xc3\xa9", NULL), 0, "UTF-8 label value");
	is_int((long long)prom_sample_count(r), 1, "nothing added by the rejected calls");
	ok(prom_valid_label_name("_x9") && !prom_valid_label_name("x:y"), "label names have no colon");
	prom_free(r);
}

static void test_escaping(void)
{
	struct prom_registry *r = prom_new();
	prom_declare(r, "tunekit_x", PROM_GAUGE, "back\\slash");
	prom_addl(r, "tunekit_x", 1, "path", "C:\\dir \"quoted\"\nnext", NULL);
	char *out = render(r);
	is_str(out,
	       "# HELP tunekit_x back\\\\slash\n"
	       "# TYPE tunekit_x gauge\n"
	       "tunekit_x{path=\"C:\\\\dir \\\"quoted\\\"\\nnext\"} 1\n",
	       "backslash, quote and newline escaped in label values; backslash in help");
	/* and it parses back to the same value */
	struct prom_registry *back = prom_new();
	struct prom_error err;
	is_int(parse(back, "t", out, &err), 0, "the rendered text parses");
	char *again = render(back);
	is_str(again, out, "render(parse(render)) is the same text");
	free(again);
	free(out);
	prom_free(back);
	prom_free(r);
}

static void test_values(void)
{
	is_str(value(NAN), "NaN", "NaN");
	is_str(value(INFINITY), "+Inf", "+Inf");
	is_str(value(-INFINITY), "-Inf", "-Inf");
	is_str(value(0), "0", "zero");
	is_str(value(-0.0), "0", "negative zero");
	is_str(value(67108864), "67108864", "an integer");
	is_str(value(1e17), "100000000000000000", "a large integer has no exponent");
	is_str(value(-42), "-42", "a negative integer");
	is_str(value(0.1), "0.1", "0.1 in its shortest form");
	is_str(value(1764633600.123), "1764633600.123", "a timestamp with milliseconds");
	is_str(value(1.0 / 3), "0.3333333333333333", "a third round-trips");
	char buf[48];
	double v = 2.2250738585072014e-308;
	prom_format_value(v, buf, sizeof(buf));
	ok(strtod(buf, NULL) == v, "the smallest normal double round-trips (%s)", buf);
}

static void test_parse(void)
{
	struct prom_registry *r = prom_new();
	struct prom_error err;
	const char *text =
		"# a comment\n"
		"\n"
		"  # HELP tunekit_a_seconds Latency \\\\ of \\n things.\n"
		"# TYPE tunekit_a_seconds gauge\n"
		"tunekit_a_seconds{b=\"1\" , c = \"x\\\"y\",} 0.5\n"
		"tunekit_a_seconds 1e3\n"
		"tunekit_a_seconds{b=\"2\"}\t+Inf\n"
		"tunekit_a_seconds{b=\"3\"} nan\n"
		"# HELP rpc_seconds A summary.\n"
		"# TYPE rpc_seconds summary\n"
		"rpc_seconds{quantile=\"0.5\"} 0.1\n"
		"rpc_seconds_sum 10\n"
		"rpc_seconds_count 100\n"
		"# HELP req_seconds A histogram.\n"
		"# TYPE req_seconds histogram\n"
		"req_seconds_bucket{le=\"+Inf\"} 3\n"
		"req_seconds_sum 1.5\n"
		"req_seconds_count 3\n";
	is_int(parse(r, "in", text, &err), 0, "comments, blanks, escapes, trailing comma, NaN/Inf, summary, histogram");
	is_str(findings, "", "no findings in a clean file");
	is_int((long long)prom_family_count(r), 3, "three families (suffix samples join their histogram/summary)");
	is_int((long long)prom_sample_count(r), 10, "ten samples");
	char *out = render(r);
	ok(strstr(out, "# HELP tunekit_a_seconds Latency \\\\ of \\n things.\n") != NULL, "help escapes kept");
	ok(strstr(out, "tunekit_a_seconds{b=\"1\",c=\"x\\\"y\"} 0.5\n") != NULL, "labels normalised");
	ok(strstr(out, "tunekit_a_seconds 1000\n") != NULL, "1e3 is 1000");
	ok(strstr(out, "tunekit_a_seconds{b=\"3\"} NaN\n") != NULL, "nan is NaN");
	ok(strstr(out, "# TYPE req_seconds histogram\nreq_seconds_bucket{le=\"+Inf\"} 3\nreq_seconds_sum 1.5\n") != NULL,
	   "histogram samples stay under their family");
	free(out);
	prom_free(r);

	r = prom_new();
	is_int(parse(r, "in", "tunekit_b 1 1764633600000\n", &err), 0, "a timestamp parses");
	ok(strstr(findings, "1: sample with a timestamp") != NULL, "and is a finding");
	out = render(r);
	is_str(out, "# TYPE tunekit_b untyped\ntunekit_b 1 1764633600000\n", "timestamp kept; no HELP invented");
	free(out);
	prom_free(r);

	r = prom_new();
	struct prom_parse_opts o = { .source = "in", .no_timestamps = 1 };
	is_int(prom_parse(r, "tunekit_b 1 17\n", 15, &o, &err), -EINVAL, "timestamps refused when asked");
	prom_free(r);
}

static void test_parse_errors(void)
{
	static const struct {
		const char *text, *why;
		size_t line;
	} cases[] = {
		{ "a 1\n9b 1\n", "invalid metric name", 2 },
		{ "a{b=\"1\" 1\n", "expected ',' or '}'", 1 },
		{ "a{b=\"1} 1\n", "closing quote", 1 },
		{ "a{b=\"\\x\"} 1\n", "invalid escape", 1 },
		{ "a{b=\"\xff\"} 1\n", "invalid UTF-8", 1 },
		{ "a{1b=\"1\"} 1\n", "invalid label name", 1 },
		{ "a{b=1} 1\n", "expected '\"'", 1 },
		{ "a{b=\"1\",b=\"2\"} 1\n", "invalid labels", 1 },
		{ "a{__name__=\"x\"} 1\n", "invalid labels", 1 },
		{ "a\n", "without a value", 1 },
		{ "a 1x\n", "invalid sample value", 1 },
		{ "a 0x10\n", "invalid sample value", 1 },
		{ "a -nan\n", "invalid sample value", 1 },
		{ "a 1 2 3\n", "invalid timestamp", 1 },
		{ "a 1 99999999999999999999\n", "invalid timestamp", 1 },
		{ "a 1\na 2\n", "duplicate series a", 2 },
		{ "a{x=\"1\",y=\"2\"} 1\na{y=\"2\",x=\"1\"} 2\n", "duplicate series", 2 },
		{ "# TYPE a gauge\n# TYPE a counter\n", "conflicts with TYPE gauge at line 1", 2 },
		{ "# TYPE a gauges\n", "unknown type", 1 },
		{ "# TYPE a\n", "invalid metric name in TYPE", 1 },
		{ "# HELP a bad \\t escape\n", "invalid escape in HELP", 1 },
		{ "# HELP\n", "HELP line without a metric name", 1 },
		{ "a 1\n# TYPE a gauge\n", "TYPE line for a after its samples", 2 },
		{ "a 1\r\n", "invalid sample value", 1 },
		{ "a{b=\"x\"}1\n", "expected a blank", 1 },
	};
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		struct prom_registry *r = prom_new();
		struct prom_error err;
		int rc = parse(r, "in", cases[i].text, &err);
		ok(rc == -EINVAL && err.line == cases[i].line && strstr(err.why, cases[i].why),
		   "error at line %zu: %s (got %d line %zu: %s)", cases[i].line, cases[i].why, rc, err.line, err.why);
		prom_free(r);
	}
	struct prom_registry *r = prom_new();
	struct prom_error err;
	is_int(prom_parse(r, "a 1\0\n", 5, NULL, &err), -EINVAL, "a NUL byte is an error");
	prom_free(r);
}

static void test_findings(void)
{
	/* the old `nettune check --prom` output: one HELP/TYPE block per tuner */
	const char *old =
		"# HELP tunekit_tuner_key_ok 1 when ok\n"
		"# TYPE tunekit_tuner_key_ok gauge\n"
		"tunekit_tuner_key_ok{tool=\"nettune-buffers\",key=\"k\"} 1\n"
		"# HELP tunekit_tuner_drift_keys drift\n"
		"# TYPE tunekit_tuner_drift_keys gauge\n"
		"tunekit_tuner_drift_keys{tool=\"nettune-buffers\"} 0\n"
		"# HELP tunekit_tuner_key_ok 1 when ok\n"
		"# TYPE tunekit_tuner_key_ok gauge\n"
		"tunekit_tuner_key_ok{tool=\"nettune-cc\",key=\"k\"} 0\n"
		"# HELP tunekit_tuner_drift_keys drift\n"
		"# TYPE tunekit_tuner_drift_keys gauge\n"
		"tunekit_tuner_drift_keys{tool=\"nettune-cc\"} 1\n";
	struct prom_registry *r = prom_new();
	struct prom_error err;
	is_int(parse(r, "old.prom", old, &err), 0, "the old interleaved output parses (to be repaired)");
	ok(strstr(findings, "7: second HELP line for tunekit_tuner_key_ok (first at line 1)\n") &&
	   strstr(findings, "8: second TYPE line for tunekit_tuner_key_ok (first at line 2)\n") &&
	   strstr(findings, "9: samples of tunekit_tuner_key_ok are not grouped (also at line 3)\n"),
	   "findings: second HELP, second TYPE, not grouped");
	char *out = render(r);
	is_str(out,
	       "# HELP tunekit_tuner_key_ok 1 when ok\n"
	       "# TYPE tunekit_tuner_key_ok gauge\n"
	       "tunekit_tuner_key_ok{tool=\"nettune-buffers\",key=\"k\"} 1\n"
	       "tunekit_tuner_key_ok{tool=\"nettune-cc\",key=\"k\"} 0\n"
	       "# HELP tunekit_tuner_drift_keys drift\n"
	       "# TYPE tunekit_tuner_drift_keys gauge\n"
	       "tunekit_tuner_drift_keys{tool=\"nettune-buffers\"} 0\n"
	       "tunekit_tuner_drift_keys{tool=\"nettune-cc\"} 1\n",
	       "rendered grouped");
	free(out);
	prom_free(r);

	r = prom_new();
	parse(r, "in", "rtt_ms 1\n# HELP x_total h\n# TYPE x_total gauge\nx_total 2\n", &err);
	ok(strstr(findings, "1: rtt_ms has no HELP line\n") && strstr(findings, "1: rtt_ms has no TYPE line\n") &&
	   strstr(findings, "1: rtt_ms: abbreviated unit") && strstr(findings, "3: x_total: only a counter"),
	   "findings: no HELP, no TYPE, naming conventions");
	prom_free(r);
}

static void test_merge(void)
{
	struct prom_registry *r = prom_new();
	struct prom_error err;
	const char *a = "# HELP tunekit_tuner_key_ok ok\n# TYPE tunekit_tuner_key_ok gauge\n"
			"tunekit_tuner_key_ok{tool=\"a\"} 1\n";
	const char *b = "# HELP tunekit_other x\n# TYPE tunekit_other gauge\ntunekit_other 3\n"
			"# HELP tunekit_tuner_key_ok ok\n# TYPE tunekit_tuner_key_ok gauge\n"
			"tunekit_tuner_key_ok{tool=\"b\"} 0\n";
	is_int(parse(r, "a.prom", a, &err), 0, "fragment a");
	is_int(parse(r, "b.prom", b, &err), 0, "fragment b");
	is_str(findings, "", "a family in two fragments is no finding");
	char *out = render(r);
	is_str(out,
	       "# HELP tunekit_tuner_key_ok ok\n# TYPE tunekit_tuner_key_ok gauge\n"
	       "tunekit_tuner_key_ok{tool=\"a\"} 1\ntunekit_tuner_key_ok{tool=\"b\"} 0\n"
	       "# HELP tunekit_other x\n# TYPE tunekit_other gauge\ntunekit_other 3\n",
	       "merged: families grouped in order of first appearance");
	free(out);
	is_int(parse(r, "c.prom", "# TYPE tunekit_other counter\n", &err), -EINVAL, "a conflicting TYPE");
	is_str(err.why, "TYPE counter for tunekit_other conflicts with TYPE gauge at b.prom:2", "names both places");
	is_int(parse(r, "d.prom", "\n\ntunekit_tuner_key_ok{tool=\"b\"} 1\n", &err), -EINVAL, "a series of another fragment");
	ok(err.line == 3 && strstr(err.why, "duplicate series tunekit_tuner_key_ok"), "duplicate named at its line");
	is_int(parse(r, "e.prom", "# HELP tunekit_other y\n", &err), 0, "a different HELP");
	ok(strstr(findings, "HELP for tunekit_other differs from b.prom:1; the first is kept") != NULL,
	   "is a finding naming the first");
	prom_free(r);
}

static void test_write_file(void)
{
	char dir[] = "/tmp/test-prom.XXXXXX";
	if (!mkdtemp(dir)) {
		ok(0, "mkdtemp");
		return;
	}
	char path[256], link[256], other[256];
	snprintf(path, sizeof(path), "%s/out.prom", dir);
	snprintf(link, sizeof(link), "%s/link.prom", dir);
	snprintf(other, sizeof(other), "%s/victim", dir);
	struct prom_registry *r = prom_new();
	prom_declare(r, "tunekit_x", PROM_GAUGE, "x");
	prom_addl(r, "tunekit_x", 1, NULL);
	mode_t old = umask(077);
	is_int(prom_write_file(r, path), 0, "write a new file");
	umask(old);
	struct stat st;
	ok(stat(path, &st) == 0 && (st.st_mode & 07777) == 0644, "mode 0644 whatever the umask (%o)",
	   (unsigned)(st.st_mode & 07777));
	chmod(path, 0600);
	is_int(prom_write_file(r, path), 0, "replace a 0600 file");
	ok(stat(path, &st) == 0 && (st.st_mode & 07777) == 0600, "stays 0600: never more readable than before");
	int fd = open(other, O_CREAT | O_WRONLY, 0600);
	close(fd);
	ok(symlink(other, link) == 0, "plant a symlink");
	is_int(prom_write_file(r, link), -EEXIST, "a symlink is not replaced");
	ok(stat(other, &st) == 0 && st.st_size == 0, "nor followed");
	char sub[256];
	snprintf(sub, sizeof(sub), "%s/d", dir);
	mkdir(sub, 0755);
	is_int(prom_write_file(r, sub), -EEXIST, "a directory is not replaced");
	unlink(link);
	unlink(other);
	unlink(path);
	rmdir(sub);
	rmdir(dir);
	prom_free(r);
}

static void test_linear(void)
{
	/* 90,000 series and a line with 50,000 labels: must stay fast */
	size_t n = 90000, cap = n * 40 + 1000000;
	char *text = malloc(cap), *p = text;
	p += sprintf(p, "# HELP tunekit_big x\n# TYPE tunekit_big gauge\n");
	for (size_t i = 0; i < n; i++)
		p += sprintf(p, "tunekit_big{i=\"%zu\"} %zu\n", i, i);
	p += sprintf(p, "tunekit_wide{");
	for (size_t i = 0; i < 50000; i++)
		p += sprintf(p, "l%zu=\"v\",", i);
	p += sprintf(p, "} 1\n");
	struct prom_registry *r = prom_new();
	struct prom_error err;
	struct timespec t0, t1;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	int rc = prom_parse(r, text, (size_t)(p - text), NULL, &err);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	double secs = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
	ok(rc == 0 && prom_sample_count(r) == n + 1, "90,001 series parsed (%s)", err.why);
	ok(secs < 5, "in %.2f s", secs);
	prom_free(r);
	free(text);
	r = prom_new();
	char *big = calloc(1, PROM_MAX_TEXT + 1);
	is_int(prom_parse(r, big, PROM_MAX_TEXT + 1, NULL, &err), -EFBIG, "over the size cap: -EFBIG");
	free(big);
	prom_free(r);
}

int main(void)
{
	test_render();
	test_validation();
	test_escaping();
	test_values();
	test_parse();
	test_parse_errors();
	test_findings();
	test_merge();
	test_write_file();
	test_linear();
	printf("1..%d\n", tap_n);
	return tap_failed ? 1 : 0;
}
