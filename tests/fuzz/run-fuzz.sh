#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# run-fuzz.sh NAME: replay corpus/NAME through the standalone fuzz-NAME (TAP).
name=$1
exec "${TUNEKIT_BUILDDIR:-.}/tests/fuzz/fuzz-$name" -n "${FUZZ_ITERATIONS:-20000}" \
	"${TUNEKIT_SRCDIR:-.}/tests/fuzz/corpus/$name"/*
