// PythonRandom against CPython's `random` module: the values below are what CPython 3 gives
// for random.Random(seed) (the generator and its seeding are MT19937's, Matsumoto and
// Nishimura's reference init_by_array).
#include <gtest/gtest.h>

#include <algorithm>
#include <numeric>
#include <vector>

#include "sched/python_random.h"

namespace dlsched::test {
namespace {

TEST(PythonRandom, SeedZeroGivesCPythonsFirstRandomNumber) {
  // random.seed(0); random.random() == 0.8444218515250481: the top 27 bits of the first
  // word and the top 26 of the second, as a 53-bit fraction.
  PythonRandom r(0);
  const double a = r.next_word() >> 5, b = r.next_word() >> 6;
  EXPECT_DOUBLE_EQ((a * 67108864.0 + b) / 9007199254740992.0, 0.8444218515250481);
}

TEST(PythonRandom, RandrangeDrawsTheTopBitsAndRejectsTooLargeValues) {
  // randrange(n) takes the top bit_length(n) bits of a word and draws again while they are
  // >= n: randrange(3) reads 2 bits, randrange(4) reads 3 (4 = 0b100).
  PythonRandom words(7), three(7), four(7);
  std::uint32_t expected = 3;
  while (expected >= 3) expected = words.next_word() >> 30;
  EXPECT_EQ(three.below(3), expected);
  PythonRandom words_for_four(7);
  expected = 4;
  while (expected >= 4) expected = words_for_four.next_word() >> 29;
  EXPECT_EQ(four.below(4), expected);
  // randrange(1) is 0 but still uses up a word, as in CPython.
  PythonRandom one(7), skip(7);
  EXPECT_EQ(one.below(1), 0u);
  skip.next_word();
  EXPECT_EQ(one.next_word(), skip.next_word());
}

TEST(PythonRandom, ShuffleSwapsFromTheBackWithRandrange) {
  // shuffle: for i = n-1 .. 1, swap item i with item randrange(i + 1).
  std::vector<int> items(5);
  std::iota(items.begin(), items.end(), 0);
  std::vector<int> expected = items;
  PythonRandom r(11), by_hand(11);
  r.shuffle(items);
  for (std::size_t i = expected.size() - 1; i >= 1; --i)
    std::swap(expected[i], expected[by_hand.below(static_cast<std::uint32_t>(i + 1))]);
  EXPECT_EQ(items, expected);
  std::sort(items.begin(), items.end());
  EXPECT_EQ(items, (std::vector<int>{0, 1, 2, 3, 4}));
}

TEST(PythonRandom, SameSeedSameStreamAndLargeSeedsUseBothWords) {
  PythonRandom a(42), b(42), c(43);
  bool differs = false;
  for (int i = 0; i < 1000; ++i) {  // past one twist of the 624-word state
    const std::uint32_t x = a.next_word();
    EXPECT_EQ(x, b.next_word());
    differs |= x != c.next_word();
  }
  EXPECT_TRUE(differs);
  // A seed above 2^32 is two key words, not its low word alone.
  EXPECT_NE(PythonRandom((std::uint64_t{1} << 32) + 5).next_word(), PythonRandom(5).next_word());
}

TEST(PythonRandom, SavedStateContinuesTheStream) {
  PythonRandom r(3);
  for (int i = 0; i < 700; ++i) r.next_word();
  PolicyStateWriter w;
  r.save(w);
  PythonRandom resumed(99);
  PolicyStateReader reader("test", w.str());
  resumed.restore(reader);
  reader.finish();
  for (int i = 0; i < 700; ++i) ASSERT_EQ(resumed.next_word(), r.next_word()) << i;
}

}  // namespace
}  // namespace dlsched::test
