#!/bin/sh
# Checks greet.sh.
out="$(sh greet.sh Ada)"
if [ "$out" = "Hello, Ada!" ]; then echo "PASS: $out"; else echo "FAIL: expected 'Hello, Ada!', got '$out'"; exit 1; fi
