#!/usr/bin/env bash
# Installs the Debian 12 packages dlsched needs, only those that are missing.
# Runs as root (or through sudo when available). Usage: scripts/install-deps.sh
set -euo pipefail

PACKAGES=(
  # build
  cmake ninja-build g++ pkg-config
  # libraries
  libhdf5-dev hdf5-tools libcli11-dev libtomlplusplus-dev nlohmann-json3-dev libfmt-dev
  nettle-dev libopenblas-dev libgtest-dev libglpk-dev libnlopt-dev libqhull-dev pybind11-dev python3-dev
  # fuzz and sanitizer stages (scripts/fuzz.sh, scripts/sanitize.sh): clang, and the
  # libFuzzer, ASan and UBSan runtimes it links (libclang_rt.fuzzer, .asan, .ubsan)
  clang libclang-rt-14-dev
  # emulation (MPI)
  libopenmpi-dev openmpi-bin
  # Slurm: the batch scripts' tests start a single-node Slurm; slurm-wlm-basic-plugins (a
  # dependency of slurmd) holds the PMIx MPI plugin (srun --mpi=pmix), which loads libpmix2
  slurmctld slurmd slurm-client munge libpmix2
  # analysis
  python3 python3-h5py python3-pandas python3-matplotlib
)

missing=()
for p in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

SUDO=""
if [ "$(id -u)" -ne 0 ]; then
  command -v sudo >/dev/null || { echo "install-deps: need root (or sudo) to install: ${missing[*]}" >&2; exit 1; }
  SUDO=sudo
fi
echo "install-deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
