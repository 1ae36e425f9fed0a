/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * netprobe_wait_fd: a ready fd counts even when the caller comes after the
 * deadline (it is polled once), an idle fd times out at the deadline.
 */
#include "config.h"

#include <errno.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "monoclock.h"
#include "netprobe.h"
#include "tap.h"

int main(void)
{
	int sv[2];
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, sv) < 0) {
		ok(0, "socketpair: %s", strerror(errno));
		return done_testing();
	}
	short rev = 0;
	uint64_t now = mono_ns();

	/* readable, the deadline long gone (a caller scheduled late) */
	if (write(sv[1], "x", 1) != 1)
		ok(0, "write");
	is_int(netprobe_wait_fd(sv[0], POLLIN, now - 1000000, &rev), 0, "ready fd past the deadline: ready");
	ok(rev & POLLIN, "POLLIN reported");
	is_int(netprobe_wait_fd(sv[0], POLLIN, 0, NULL), 0, "deadline 0 (the epoch): still polled, revents NULL");
	/* writable with the deadline exactly now */
	now = mono_ns();
	is_int(netprobe_wait_fd(sv[0], POLLOUT, now, &rev), 0, "writable at the deadline: ready");

	/* idle: times out, at once past the deadline, else not before it */
	char c;
	if (read(sv[0], &c, 1) != 1)
		ok(0, "read");
	now = mono_ns();
	is_int(netprobe_wait_fd(sv[0], POLLIN, now - 1, &rev), -ETIMEDOUT, "idle fd past the deadline: -ETIMEDOUT");
	ok(mono_ns() - now < 1000000000ULL, "and at once (no wait)");
	now = mono_ns();
	is_int(netprobe_wait_fd(sv[0], POLLIN, now + 30000000, &rev), -ETIMEDOUT, "idle fd, 30 ms: -ETIMEDOUT");
	ok(mono_ns() - now >= 30000000, "not before the deadline (%.1f ms)", (double)(mono_ns() - now) / 1e6);

	/* the peer closed: ready (POLLIN|POLLHUP), not a timeout */
	close(sv[1]);
	is_int(netprobe_wait_fd(sv[0], POLLIN, now, &rev), 0, "closed peer past the deadline: ready");
	close(sv[0]);
	return done_testing();
}
