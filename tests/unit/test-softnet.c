/* SPDX-License-Identifier: GPL-2.0-or-later */
/* /proc/net/softnet_stat parser and sample differences. */
#include "config.h"

#include <errno.h>
#include <string.h>

#include "softnet.h"
#include "tap.h"

/* the 15-column format of kernel 6.x, as seen on this machine */
static const char k618[] =
	"00000016 00000000 00000000 00000000 00000000 00000000 00000000 00000000 00000000 00000000 00000000 00000000 00000000 00000000 00000000\n"
	"000009cc 00000002 00000003 00000000 00000000 00000000 00000000 00000000 00000000 00000004 00000005 00000006 00000001 00000000 00000000\n";
/* CPU 1 offline: the rows name CPUs 0 and 2 */
static const char offline[] =
	"00000010 00000000 00000000 00000000 00000000 00000000 00000000 00000000 00000000 00000000 00000000 00000000 00000000\n"
	"00000020 00000001 00000000 00000000 00000000 00000000 00000000 00000000 00000000 00000000 00000000 00000000 00000002\n";
/* kernels before 4.x: 10 columns, no CPU id */
static const char old10[] =
	"0000ffff 00000001 00000002 00000000 00000000 00000000 00000000 00000000 00000000 00000007\n"
	"00000001 00000000 00000000 00000000 00000000 00000000 00000000 00000000 00000000 00000000";

static void bad(const char *what, const char *text, unsigned want_line)
{
	struct softnet_stat s = { 0 };
	unsigned line = 0;
	int rc = softnet_parse(text, strlen(text), &s, &line);
	ok(rc == -EINVAL && line == want_line && s.n == 0 && s.cpus == NULL,
	   "%s rejected at line %u (got rc %d line %u)", what, want_line, rc, line);
}

int main(void)
{
	struct softnet_stat a = { 0 }, b = { 0 };
	struct softnet_delta d;
	unsigned line = 0;

	is_int(softnet_parse(k618, strlen(k618), &a, &line), 0, "15 columns parse");
	is_int((long long)a.n, 2, "two CPUs");
	ok(a.cpus[1].cpu == 1 && a.cpus[1].cpu_from_column, "CPU id from column 13");
	ok(a.cpus[1].processed == 0x9cc && a.cpus[1].dropped == 2 && a.cpus[1].time_squeeze == 3,
	   "processed, dropped, time_squeeze");
	ok(a.cpus[1].received_rps == 4 && a.cpus[1].flow_limit == 5 && a.cpus[1].backlog_len == 6,
	   "rps, flow_limit, backlog length");
	is_int(a.cpus[0].columns, 15, "column count kept");
	softnet_free(&a);

	is_int(softnet_parse(offline, strlen(offline), &a, &line), 0, "13 columns parse");
	ok(a.n == 2 && a.cpus[0].cpu == 0 && a.cpus[1].cpu == 2, "offline CPU skipped: ids 0 and 2");
	softnet_free(&a);

	is_int(softnet_parse(old10, strlen(old10), &a, &line), 0, "10 columns, no final newline");
	ok(a.n == 2 && a.cpus[1].cpu == 1 && !a.cpus[1].cpu_from_column, "row index stands for the CPU");
	ok(a.cpus[0].received_rps == 7 && a.cpus[0].flow_limit == 0, "short row: missing columns are 0");
	softnet_free(&a);

	is_int(softnet_parse("1 2 3\n\n  \n4 5 6\n", 16, &a, &line), 0, "3 columns and blank lines");
	is_int((long long)a.n, 2, "blank lines skipped");
	softnet_free(&a);
	is_int(softnet_parse("", 0, &a, &line), 0, "empty file: no CPUs");
	is_int((long long)a.n, 0, "... none");

	bad("two columns", "00000001 00000002\n", 1);
	bad("a non-hex word", "00000001 00000002 0000000g\n", 1);
	bad("nine hex digits", "000000001 00000002 00000003\n", 1);
	bad("a minus sign", "1 2 -3\n", 1);
	bad("junk on line 2", "1 2 3\nprocessed dropped squeezed\n", 2);
	bad("a CPU listed twice", "1 2 3 0 0 0 0 0 0 0 0 0 1\n1 2 3 0 0 0 0 0 0 0 0 0 1\n", 2);
	bad("33 columns", "0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0\n", 1);
	{
		struct softnet_stat s = { 0 };
		const char nul[] = "1 2 3\n1 2\0 3\n";
		ok(softnet_parse(nul, sizeof(nul) - 1, &s, &line) == -EINVAL && line == 2, "NUL byte rejected");
	}

	/* differences: drops on CPU 2 only; a counter wraps on CPU 0 */
	const char s1[] = "fffffff0 00000000 00000000 0 0 0 0 0 0 0 0 0 00000000\n"
			  "00000010 00000001 00000000 0 0 0 0 0 0 0 0 0 00000002\n";
	const char s2[] = "00000010 00000000 00000004 0 0 0 0 0 0 0 0 0 00000000\n"
			  "00000030 00000006 00000000 0 0 0 0 0 0 0 0 0 00000002\n"
			  "00000005 00000000 00000000 0 0 0 0 0 0 0 0 0 00000003\n";
	softnet_parse(s1, strlen(s1), &a, &line);
	softnet_parse(s2, strlen(s2), &b, &line);
	softnet_diff(&a, &b, &d);
	is_u64(d.processed, 0x20 + 0x20 + 5, "processed delta across a 32-bit wrap, new CPU counted whole");
	is_u64(d.dropped, 5, "dropped delta");
	is_u64(d.time_squeeze, 4, "squeeze delta");
	ok(d.cpus_dropping == 1 && d.cpus_squeezing == 1, "one CPU drops, one squeezes");
	struct softnet_stat none = { 0 };
	softnet_diff(&none, &a, &d);
	is_u64(d.dropped, 1, "diff against nothing: counters since boot");
	softnet_free(&a);
	softnet_free(&b);
	return done_testing();
}
