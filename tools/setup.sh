#!/usr/bin/env bash
# Installs what mmcheck needs from Debian's packages, and only what is missing. Idempotent; runs
# apt-get as root, or through sudo. Prints what it does.
#   tools/setup.sh main   what building mmcheck and running the race library needs
#   tools/setup.sh test   that, and what the tests need (the default)
set -euo pipefail
mode="${1:-test}"
if [[ "$mode" != main && "$mode" != test ]]; then
  echo "usage: tools/setup.sh [main|test]" >&2
  exit 2
fi

packages=(
  g++ cmake make                 # the toolchain
  python3                        # the build writes the man page and completion from --help
  libcli11-dev                   # command line (CLI11)
  nlohmann-json3-dev             # scenario files, reports and traces (nlohmann/json)
  libtbb-dev                     # parallel search (oneTBB)
  libxxhash-dev                  # state hashing (xxHash)
)
if [[ "$mode" == test ]]; then
  packages+=(
    catch2                       # tests (Catch2 v2)
    python3-jsonschema           # tests validate every trace against its JSON Schema
    chromium                     # a test renders the HTML timeline in headless Chromium
    clang-format                 # a test checks the sources follow .clang-format
    openmpi-bin libopenmpi-dev   # the distributed search and its tests under mpirun
    gcc linux-libc-dev           # the oracle tests compile `mmcheck reproduce`'s C programs
    clang libfuzzer-14-dev       # the asan preset (ASan + UBSan) and the libFuzzer harnesses
  )
fi
if [[ "${MMCHECK_WITH_BENCH:-0}" == 1 ]]; then
  packages+=(spin)               # the benchmark runs SPIN beside mmcheck when it is installed
fi

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done

if [[ ${#missing[@]} -eq 0 ]]; then
  echo "setup: every package mmcheck needs is installed"
  exit 0
fi

if [[ $(id -u) -eq 0 ]]; then
  sudo=()
elif command -v sudo >/dev/null; then
  sudo=(sudo)
else
  echo "setup: missing packages: ${missing[*]}; run this script as root (no sudo here)" >&2
  exit 1
fi
echo "setup: installing ${missing[*]}"
"${sudo[@]}" apt-get update -q
DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y -q --no-install-recommends "${missing[@]}"
echo "setup: done"
