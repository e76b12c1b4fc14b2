#!/bin/sh
# Prints a greeting for the name given as $1.
name="${1:-world}"
echo "Hello $name"
