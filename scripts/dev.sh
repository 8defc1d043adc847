#!/usr/bin/env bash
set -euo pipefail
echo "dev: not built yet"
