#!/usr/bin/env bash
# The test command (README, .ci/run): installs what the tests need when it is missing, then builds and runs every test
# and prints one closing line with the totals. Needs the .NET 10 SDK; extra arguments go to `dotnet test`.
# Debian/Ubuntu packages: Open MPI (2-rank tests through mpirun) and Debian's Python checkers (PyTorch reads our
# checkpoints, protobuf decodes our TensorBoard files, PyYAML reads hparams.yaml, onnx checks our exported models) and
# redis-server (the tuning tests start their own server on a free loopback port and stop it at the end).
set -euo pipefail
cd "$(dirname "$0")/.."

# By hand: apt-get install openmpi-bin libopenmpi-dev python3-torch python3-protobuf python3-yaml python3-onnx redis-server
packages=(openmpi-bin libopenmpi-dev python3-torch python3-protobuf python3-yaml python3-onnx redis-server)
missing=()
for package in "${packages[@]}"; do
  dpkg -s "$package" >/dev/null 2>&1 || missing+=("$package")
done
if ((${#missing[@]} > 0)); then
  if ! command -v apt-get >/dev/null 2>&1; then
    echo "error: the tests need ${missing[*]}, and this machine has no apt-get; install them with its package manager" >&2
    exit 1
  fi
  sudo=""
  if [ "$(id -u)" -ne 0 ]; then
    command -v sudo >/dev/null 2>&1 || { echo "error: installing ${missing[*]} needs root: run as root or install sudo" >&2; exit 1; }
    sudo="sudo"
  fi
  echo "Installing what the tests need: ${missing[*]}"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

log=$(mktemp)
trap 'rm -f "$log"' EXIT
status=0
dotnet test Unified.sln -c Release "$@" 2>&1 | tee "$log" || status=$?

# One closing line for the whole run, summed over the test assemblies.
awk '/^(Passed|Failed)!/ {
       for (i = 1; i <= NF; i++) { gsub(",", "", $(i+1)); if ($i == "Failed:") f += $(i+1); if ($i == "Passed:") p += $(i+1); if ($i == "Skipped:") s += $(i+1) }
     }
     END { printf "%d passed, %d failed, %d skipped\n", p, f, s }' "$log"
exit "$status"
