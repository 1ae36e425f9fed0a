#!/bin/sh
exec "${TUNEKIT_SRCDIR:-.}/tests/fuzz/run-fuzz.sh" sysfsudev
