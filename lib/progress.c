/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "config.h"

#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "monoclock.h"
#include "progress.h"
#include "units.h"
#include "xalloc.h"

#define NS_PER_S 1000000000ULL
#define REDRAW_NS (200 * 1000000ULL)

struct progress {
	FILE *stream;
	bool active;
	uint64_t total, done;
	uint64_t start_ns, last_draw_ns;
	unsigned width;
};

struct progress *progress_new(FILE *stream, uint64_t total, bool enabled)
{
	struct progress *p = xcalloc(1, sizeof(*p));
	p->stream = stream;
	p->total = total;
	p->active = enabled && isatty(fileno(stream));
	p->start_ns = mono_ns();
	p->width = 80;
	if (p->active) {
		struct winsize ws;
		if (ioctl(fileno(stream), TIOCGWINSZ, &ws) == 0 && ws.ws_col >= 20)
			p->width = ws.ws_col - 1;
	}
	return p;
}

bool progress_active(const struct progress *p)
{
	return p && p->active;
}

char *progress_format(char *buf, size_t len, unsigned width, uint64_t done,
		      uint64_t total, uint64_t elapsed_ns)
{
	char sdone[32], stotal[32], srate[32], seta[32];
	uint64_t rate = elapsed_ns ? (uint64_t)((long double)done * NS_PER_S / elapsed_ns) : 0;
	unsigned pct = total ? (unsigned)((long double)done * 100 / total) : 100;
	if (pct > 100)
		pct = 100;

	units_format_size(done, sdone, sizeof(sdone));
	units_format_size(total, stotal, sizeof(stotal));
	units_format_size(rate, srate, sizeof(srate));
	if (rate && total > done) {
		uint64_t secs = (total - done + rate - 1) / rate;
		units_format_duration(secs * NS_PER_S, seta, sizeof(seta));
	} else if (total <= done) {
		snprintf(seta, sizeof(seta), "0 s");
	} else {
		snprintf(seta, sizeof(seta), "--");
	}

	char tail[128];
	snprintf(tail, sizeof(tail), " %3u%% %s/s ETA %s", pct, srate, seta);
	char head[80];
	snprintf(head, sizeof(head), "%s / %s ", sdone, stotal);

	/* the bar takes what is left of the line, between 10 and 40 cells */
	size_t fixed = strlen(head) + strlen(tail) + 2;
	size_t cells = width > fixed + 10 ? width - fixed : 0;
	if (cells > 40)
		cells = 40;
	char bar[48] = "";
	if (cells >= 10) {
		size_t full = cells * pct / 100;
		bar[0] = '[';
		for (size_t i = 0; i < cells; i++)
			bar[1 + i] = i < full ? '#' : '.';
		bar[1 + cells] = ']';
		bar[2 + cells] = '\0';
	}
	snprintf(buf, len, "%s%s%s", head, bar, tail);
	if (width && width < len && strlen(buf) > width)
		buf[width] = '\0';
	return buf;
}

static void draw(struct progress *p, uint64_t t)
{
	char line[256];
	progress_format(line, sizeof(line), p->width, p->done, p->total, t - p->start_ns);
	/* \r, the line, then erase whatever a longer previous line left */
	fprintf(p->stream, "\r%s\033[K", line);
	fflush(p->stream);
	p->last_draw_ns = t;
}

void progress_update(struct progress *p, uint64_t done)
{
	if (!p || !p->active)
		return;
	p->done = done;
	uint64_t t = mono_ns();
	if (t - p->last_draw_ns >= REDRAW_NS)
		draw(p, t);
}

void progress_clear(struct progress *p)
{
	if (!p || !p->active)
		return;
	fputs("\r\033[K", p->stream);
	fflush(p->stream);
	/* redraw on the next update */
	p->last_draw_ns = 0;
}

void progress_finish(struct progress *p)
{
	if (!p)
		return;
	if (p->active) {
		draw(p, mono_ns());
		fputc('\n', p->stream);
		fflush(p->stream);
	}
	free(p);
}
