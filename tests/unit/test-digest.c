/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "config.h"

#include <fcntl.h>
#include <stdlib.h>
#include <unistd.h>

#include "digest.h"
#include "tap.h"

int main(void)
{
	char hex[DIGEST_HEX_MAX];
	struct digest *d = digest_new(DIGEST_SHA256);
	is_str(digest_final_hex(d, hex),
	       "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855", "sha256 of nothing");
	digest_reset(d);
	digest_update(d, "ab", 2);
	digest_update(d, "c", 1);
	is_str(digest_final_hex(d, hex),
	       "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad", "sha256 of 'abc' in two updates");
	digest_free(d);

	d = digest_new(DIGEST_XXH3);
	is_str(digest_final_hex(d, hex), "99aa06d3014798d86001c324468d497f", "xxh3-128 of nothing");
	digest_free(d);

	char path[] = "/tmp/tk-digest-XXXXXX";
	int fd = mkstemp(path);
	ok(fd >= 0 && write(fd, "abc", 3) == 3, "temp file");
	is_int(digest_fd(DIGEST_SHA256, fd, hex), 0, "digest_fd");
	is_str(hex, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad", "digest_fd sha256");
	close(fd);
	unlink(path);
	return done_testing();
}
