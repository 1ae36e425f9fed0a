/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Driver that links a libFuzzer target without libFuzzer, so `make check`
 * replays the seed corpus and a fixed number of random mutations of it under
 * whatever sanitizers the build has. Prints TAP. Real fuzzing: `make fuzz`
 * (clang -fsanitize=fuzzer, see tests/fuzz/README.md).
 *
 * usage: fuzz-X [-n ITERATIONS] CORPUS_FILE...
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static uint64_t rng_state = 0x9e3779b97f4a7c15ULL;

static uint64_t rng(void)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return rng_state;
}

static uint8_t *slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		return NULL;
	size_t cap = 4096, n = 0;
	uint8_t *buf = malloc(cap);
	size_t r;
	while (buf && (r = fread(buf + n, 1, cap - n, f)) > 0) {
		n += r;
		if (n == cap)
			buf = realloc(buf, cap *= 2);
	}
	fclose(f);
	*len = n;
	return buf;
}

int main(int argc, char **argv)
{
	long iterations = 20000;
	int argi = 1, t = 0;
	if (argc > 2 && !strcmp(argv[1], "-n")) {
		iterations = atol(argv[2]);
		argi = 3;
	}
	uint8_t **seeds = calloc((size_t)argc, sizeof(*seeds));
	size_t *lens = calloc((size_t)argc, sizeof(*lens));
	int nseeds = 0;
	for (int i = argi; i < argc; i++) {
		size_t len = 0;
		uint8_t *d = slurp(argv[i], &len);
		if (!d) {
			printf("not ok %d - read seed %s\n", ++t, argv[i]);
			continue;
		}
		LLVMFuzzerTestOneInput(d, len);
		printf("ok %d - seed %s\n", ++t, strrchr(argv[i], '/') ? strrchr(argv[i], '/') + 1 : argv[i]);
		seeds[nseeds] = d;
		lens[nseeds++] = len;
	}
	uint8_t *buf = malloc(65536);
	for (long it = 0; it < iterations && nseeds; it++) {
		int s = (int)(rng() % (uint64_t)nseeds);
		size_t len = lens[s] > 65536 ? 65536 : lens[s];
		memcpy(buf, seeds[s], len);
		int flips = 1 + (int)(rng() % 8);
		for (int f = 0; f < flips && len; f++) {
			switch (rng() % 4) {
			case 0: buf[rng() % len] = (uint8_t)rng(); break;
			case 1: buf[rng() % len] ^= (uint8_t)(1u << (rng() % 8)); break;
			case 2: len = rng() % (len + 1); break;
			default: if (len < 65536) buf[len++] = (uint8_t)rng(); break;
			}
		}
		/* exact-size copy so ASan sees reads past the end */
		uint8_t *exact = malloc(len ? len : 1);
		memcpy(exact, buf, len);
		LLVMFuzzerTestOneInput(exact, len);
		free(exact);
	}
	printf("ok %d - %ld mutated inputs without a crash\n", ++t, nseeds ? iterations : 0L);
	for (int i = 0; i < nseeds; i++)
		free(seeds[i]);
	free(seeds);
	free(lens);
	free(buf);
	printf("1..%d\n", t);
	return 0;
}
