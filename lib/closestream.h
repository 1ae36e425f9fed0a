/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Catch write errors on stdout at exit (full disk), quiet on EPIPE. */
#ifndef TUNEKIT_CLOSESTREAM_H
#define TUNEKIT_CLOSESTREAM_H

/* Register the atexit handler; call once at the top of main(). */
void close_stdout_atexit(void);

/* Flush and close stdout; returns 0 or -errno (EPIPE counts as success). */
int close_stdout(void);

#endif
