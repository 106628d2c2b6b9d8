// Deterministic driver for a fuzz target, for compilers without libFuzzer and for CI: runs
// each seed file as it is, then with one byte changed at a time. The bytes tried are those
// outside long runs of zeros (HDF5 files are mostly zero-filled chunk space; the structure
// is in the rest), visited in a fixed pseudo-random order so that a run cut short by
// --max-seconds still samples the whole file; each pass uses another mask (^0x01, ^0x80,
// ^0xFF). Every input runs in a child process, so a crash or a hang (30 s) is reported with
// the input that caused it (saved as crash-N.bin) and the run goes on. Exit code 1 if any
// input crashed or hung.
//
//   fuzz_<target> [--max-seconds S] [--order-seed N] SEED...
#include <algorithm>
#include <chrono>
#include <csignal>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <iterator>
#include <random>
#include <string>
#include <sys/wait.h>
#include <unistd.h>
#include <vector>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size);

namespace {

struct Tally {
  std::size_t runs = 0;
  std::size_t refused_by_exit = 0;  // the target ended the process with exit code 2
  std::size_t crashes = 0;
};

/// Runs one input in a child; returns false on a crash or hang, after saving the input.
bool run_one(const std::vector<std::uint8_t>& input, const std::string& what, Tally& tally) {
  ++tally.runs;
  std::cout.flush();
  const pid_t child = ::fork();
  if (child < 0) {
    std::perror("fork");
    std::exit(2);
  }
  if (child == 0) {
    ::alarm(30);  // beyond the targets' own limits (read_fault_guard.h: 10 s)
    LLVMFuzzerTestOneInput(input.data(), input.size());
    ::_exit(0);
  }
  int status = 0;
  ::waitpid(child, &status, 0);
  if (WIFEXITED(status) && WEXITSTATUS(status) == 0) return true;
  if (WIFEXITED(status) && WEXITSTATUS(status) == 2) {
    ++tally.refused_by_exit;
    return true;
  }
  const std::string saved = "crash-" + std::to_string(tally.crashes++) + ".bin";
  std::ofstream(saved, std::ios::binary)
      .write(reinterpret_cast<const char*>(input.data()), static_cast<std::streamsize>(input.size()));
  std::cout << what << ": "
            << (WIFSIGNALED(status) ? (WTERMSIG(status) == SIGALRM ? std::string("hang")
                                                                   : "signal " + std::to_string(WTERMSIG(status)))
                                    : "exit " + std::to_string(WEXITSTATUS(status)))
            << ", input saved as " << saved << "\n";
  return false;
}

/// Offsets outside runs of 64 or more zero bytes, plus the 8 bytes at each end of such a run,
/// in a pseudo-random order fixed by `seed`.
std::vector<std::size_t> positions_to_try(const std::vector<std::uint8_t>& bytes, unsigned seed) {
  constexpr std::size_t kLongRun = 64, kEdge = 8;
  std::vector<std::size_t> at;
  for (std::size_t i = 0; i < bytes.size();) {
    std::size_t end = i;
    while (end < bytes.size() && bytes[end] == 0) ++end;
    if (end - i >= kLongRun) {
      for (std::size_t k = 0; k < kEdge; ++k) at.push_back(i + k), at.push_back(end - 1 - k);
      i = end;
    } else {
      for (; i < end; ++i) at.push_back(i);
      if (i < bytes.size()) at.push_back(i++);
    }
  }
  std::sort(at.begin(), at.end());
  at.erase(std::unique(at.begin(), at.end()), at.end());
  std::mt19937 shuffle(seed);
  std::shuffle(at.begin(), at.end(), shuffle);
  return at;
}

}  // namespace

int main(int argc, char** argv) {
  double max_seconds = 60;
  unsigned order_seed = 1;
  std::vector<std::string> seeds;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    const auto value = [&]() -> std::string {
      if (i + 1 >= argc) {
        std::cerr << arg << " needs a value\n";
        std::exit(2);
      }
      return argv[++i];
    };
    if (arg == "--max-seconds") max_seconds = std::stod(value());
    else if (arg == "--order-seed") order_seed = static_cast<unsigned>(std::stoul(value()));
    else seeds.push_back(arg);
  }
  if (seeds.empty()) {
    std::cerr << "usage: " << argv[0] << " [--max-seconds S] [--order-seed N] SEED...\n";
    return 2;
  }
  // Children share one scratch file (the target reads DLSCHED_FUZZ_SCRATCH and may add an
  // extension a reader looks at), removed with its variants at the end.
  const std::string scratch =
      (std::filesystem::temp_directory_path() / ("dlsched-fuzz-" + std::to_string(::getpid()))).string();
  ::setenv("DLSCHED_FUZZ_SCRATCH", scratch.c_str(), 1);

  const auto start = std::chrono::steady_clock::now();
  const auto elapsed = [&] {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  };
  Tally tally;
  // Seeds share the time: each gets an equal slice.
  const double per_seed = max_seconds / static_cast<double>(seeds.size());
  for (std::size_t s = 0; s < seeds.size(); ++s) {
    const std::string& seed = seeds[s];
    std::ifstream in(seed, std::ios::binary);
    if (!in) {
      std::cerr << seed << ": cannot read\n";
      return 2;
    }
    std::vector<std::uint8_t> bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    run_one(bytes, seed + " as it is", tally);
    const double until = per_seed * static_cast<double>(s + 1);
    const std::vector<std::size_t> order = positions_to_try(bytes, order_seed);
    for (const std::uint8_t mask : {0x01, 0x80, 0xFF})
      for (std::size_t i = 0; i < order.size() && elapsed() < until; ++i) {
        const std::size_t at = order[i];
        bytes[at] ^= mask;
        run_one(bytes, seed + " byte " + std::to_string(at) + " ^ " + std::to_string(mask), tally);
        bytes[at] ^= mask;
      }
  }
  for (const char* suffix : {"", ".csv", ".json", ".toml", ".h5"})
    std::filesystem::remove(scratch + suffix);
  std::cout << "byte-flip replay: " << tally.runs << " executions in " << elapsed() << " s; "
            << tally.refused_by_exit << " ended by the target's exit code 2; " << tally.crashes
            << " crashes or hangs\n";
  return tally.crashes == 0 ? 0 : 1;
}
