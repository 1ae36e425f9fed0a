/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "c.h"
#include "closestream.h"
#include "msg.h"

int close_stdout(void)
{
	int err = 0;

	errno = 0;
	if (ferror(stdout) || fflush(stdout) != 0)
		err = errno ? errno : EIO;
	if (fclose(stdout) != 0 && !err)
		err = errno ? errno : EIO;
	if (err == EPIPE || err == EBADF)
		return 0;
	return err ? -err : 0;
}

static void close_stdout_handler(void)
{
	int rc = close_stdout();
	if (rc < 0) {
		msg_warn_errno(-rc, "write error on standard output");
		_exit(TK_EXIT_FAILURE);
	}
}

void close_stdout_atexit(void)
{
	atexit(close_stdout_handler);
}
