/* SPDX-License-Identifier: GPL-2.0-or-later */
/* /proc/interrupts and /proc/meminfo parsers. */
#include "config.h"

#include <errno.h>
#include <string.h>

#include "irqstat.h"
#include "meminfo.h"
#include "tap.h"

static const char interrupts[] =
	"           CPU0       CPU1       \n"
	"  0:         33          0   IO-APIC   2-edge      timer\n"
	" 38:          0       2048 PCI-MSIX-0000:00:03.0   1-edge      virtio2-input.0\n"
	" 39:       1390          0 PCI-MSIX-0000:00:03.0   2-edge      virtio2-output.0\n"
	"NMI:          0          0   Non-maskable interrupts\n"
	"ERR:          0\n"
	" 50:          7\n";

int main(void)
{
	struct irq_table t;
	unsigned line = 0;
	uint64_t v = 0;

	is_int(irqstat_parse(interrupts, strlen(interrupts), &t, &line), 0, "interrupts parse");
	is_int(t.ncpu, 2, "two CPUs from the header");
	is_int((long long)t.n, 4, "numbered IRQs only");
	ok(t.rows[1].irq == 38 && t.rows[1].counts[1] == 2048, "IRQ 38: 2048 on CPU1");
	is_str(t.rows[1].name, "virtio2-input.0", "action name is the last word");
	is_str(t.rows[2].desc, "PCI-MSIX-0000:00:03.0 2-edge virtio2-output.0", "description collapsed");
	ok(t.rows[3].counts[0] == 7 && t.rows[3].counts[1] == 0, "short row: missing counts are 0");
	is_u64(irqstat_total(&t, &t.rows[1]), 2048, "total");
	irqstat_free(&t);

	is_int(irqstat_parse("junk\n", 5, &t, &line), -EINVAL, "header required");
	is_int(irqstat_parse("CPU0\n 1x: 5\n", 12, &t, &line), -EINVAL, "bad IRQ label");
	ok(line == 2, "bad line reported");
	is_int(irqstat_parse("CPU0\n 1: 99999999999999999999999 x\n", 36, &t, &line), -EINVAL,
	       "count overflow rejected");
	is_int(irqstat_parse("", 0, &t, &line), -EINVAL, "empty file rejected");

	const char mi[] = "MemTotal:       24683736 kB\nMemFree:        1 kB\nHugePages_Total:       0\n";
	is_int(meminfo_parse(mi, strlen(mi), "MemTotal", &v), 0, "MemTotal");
	is_u64(v, 24683736ULL * 1024, "in bytes");
	is_int(meminfo_parse(mi, strlen(mi), "HugePages_Total", &v), 0, "field without unit");
	is_u64(v, 0, "... is 0");
	is_int(meminfo_parse(mi, strlen(mi), "Mem", &v), -ENOENT, "prefix is not a field");
	is_int(meminfo_parse("MemTotal: kB\n", 13, "MemTotal", &v), -EINVAL, "no number");
	is_int(meminfo_parse("MemTotal: 12 MB\n", 16, "MemTotal", &v), -EINVAL, "unknown unit");
	is_int(meminfo_parse("MemTotal: 99999999999999999999 kB\n", 34, "MemTotal", &v), -ERANGE, "overflow");
	return done_testing();
}
