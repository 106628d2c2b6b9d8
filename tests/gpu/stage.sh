#!/usr/bin/env bash
# Copies what tests/gpu/run-on-gpu.sh needs from a CUDA build into .device/ of this checkout:
# the binaries into .device/bin and, packed into .device/lib.tar.xz (the run tool carries at
# most 64 MiB, and OpenBLAS alone is 35 MiB unpacked), the shared libraries they load that
# neither the GPU machine nor the runtime bundle provides. Left out: glibc, the GCC runtime and
# CUDA/cuBLAS/NCCL (the GPU machine has its own: newer glibc, CUDA 13, NCCL 2.28), and Open MPI,
# HDF5 and their dependencies (curl, crypto, compression ...), which the bundle made by
# ../shared/device/make-bundle.sh carries in .device/rt.
#   tests/gpu/stage.sh BUILD_DIR
set -euo pipefail
build=${1:?usage: tests/gpu/stage.sh BUILD_DIR}
cd "$(dirname "$0")/../.."
# dlsched's runtime modules go beside it (.device/bin), where it looks for them.
bins=(src/dlsched src/dlsched_mpi.so src/dlsched_backend_cuda.so tests/mpi/test_backend_cuda
      tests/mpi/test_backend_cpu tests/mpi/emu_check_results bench/bench_gpu)
rm -rf .device/bin .device/lib .device/lib.tar.xz
mkdir -p .device/bin .device/lib
for b in "${bins[@]}"; do
  if [[ ! -f "$build/$b" ]]; then
    echo "stage.sh: $build/$b missing (configure where CUDA is found)" >&2
    exit 1
  fi
  cp "$build/$b" .device/bin/
done
host='ld-linux.*|libc|libm|libdl|librt|libpthread|libresolv|libstdc\+\+|libgcc_s'
cuda='libcuda|libcudart|libcublas|libcublasLt|libnccl'
bundle='libmpi|libopen-(pal|rte)|libpmix|libhwloc|libevent.*|libmunge|libhdf5.*|libsz|libaec'
bundle+='|libz|libudev|libssl|libcrypto|libcurl.*|libnghttp2|libidn2|librtmp|libssh2|libpsl'
bundle+='|libgssapi_krb5|libkrb5.*|libk5crypto|libcom_err|libkeyutils|liblber.*|libldap.*'
bundle+='|libsasl2|libzstd|libbrotli.*|libunistring|libgnutls|libnettle|libhogweed|libgmp'
bundle+='|libp11-kit|libtasn1|libffi'
skip="^($host|$cuda|$bundle)\.so"
for b in "${bins[@]}"; do
  ldd "$build/$b" | awk '/=> \//{print $3}'
done | sort -u | while read -r lib; do
  name=$(basename "$lib")
  [[ "$name" =~ $skip ]] || cp -L "$lib" .device/lib/
done
echo "libraries: $(cd .device/lib && ls | tr '\n' ' ')"
tar -C .device -cJf .device/lib.tar.xz lib
rm -rf .device/lib
du -sh .device/bin .device/lib.tar.xz
