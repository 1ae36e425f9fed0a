/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Bounds for the unit tests of parsers fed hostile sizes: a wall-clock alarm
 * (SIGALRM kills the test, which TAP reports as a failure) and an address
 * space limit, so a quadratic or memory-hungry regression fails instead of
 * running for hours. The address-space limit is skipped under sanitizers,
 * which reserve terabytes of shadow memory.
 */
#ifndef TUNEKIT_TEST_BOUNDS_H
#define TUNEKIT_TEST_BOUNDS_H

#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#if defined(__SANITIZE_ADDRESS__)
#define BOUNDS_SANITIZED 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(memory_sanitizer)
#define BOUNDS_SANITIZED 1
#endif
#endif

/* Die by SIGALRM after seconds; cap the address space at mib MiB. */
static __attribute__((__unused__)) void bounds_set(unsigned seconds, unsigned long mib)
{
	alarm(seconds);
#ifndef BOUNDS_SANITIZED
	struct rlimit rl = { (rlim_t)mib << 20, (rlim_t)mib << 20 };
	setrlimit(RLIMIT_AS, &rl);
#else
	(void)mib;
#endif
}

/* Seconds since an earlier bounds_now(). */
static __attribute__((__unused__)) double bounds_now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

#endif
