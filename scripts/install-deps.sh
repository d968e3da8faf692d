#!/usr/bin/env bash
# Installs xyd's build and test dependencies from Debian 12 packages.
# Idempotent: does nothing when everything is installed. Run as root.
set -euo pipefail

packages=(
  build-essential cmake pkg-config   # toolchain
  libsqlite3-dev                     # embedded store
  libsodium-dev                      # encryption, signatures, blind index
  libzstd-dev                        # kept score results compressed before sealing
  libsimdjson-dev                    # JSON Lines parsing
  libboost-dev                       # Boost.Multiprecision (exact scoring)
  libpugixml-dev                     # PMML (XML) scorecard import
  libcli11-dev                       # the CLI's argument parsing (CLI11, header-only)
  catch2                             # C++ unit tests (v2)
  python3 python3-pytest             # Python package tests
  python3-stdnum                     # independent USCC/RID implementation for cross-checks
  binutils                           # nm, for the exported-symbol check
  sqlite3                            # the shell the audit-log tampering tests use
  chromium fonts-noto-cjk            # headless rendering test of the HTML credit report
  clang libclang-rt-14-dev           # the fuzz harnesses (libFuzzer, ASan, UBSan): scripts/fuzz.sh
)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
  echo "install-deps: all ${#packages[@]} packages present"
  exit 0
fi
if [ "$(id -u)" -ne 0 ]; then
  echo "install-deps: missing packages: ${missing[*]}; run as root (or install them with apt-get)" >&2
  exit 1
fi
echo "install-deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
echo "install-deps: done"
