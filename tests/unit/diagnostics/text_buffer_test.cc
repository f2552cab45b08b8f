// The report formatter (text_buffer.h): what each append writes, and that
// text past the capacity is cut, never written past the end.
#include <gtest/gtest.h>

#include <unistd.h>

#include <string>

#include "diagnostics/text_buffer.h"

namespace {

using bshim::FixedText;
using bshim::TextBuffer;

std::string contents(const TextBuffer& text) { return std::string(text.data(), text.size()); }

TEST(TextBuffer, DecimalIsRightAlignedInTheGivenWidth) {
  FixedText<64> text;
  text.decimal(0).character('|').decimal(42, 5).character('|').decimal(18446744073709551615ULL);
  EXPECT_EQ(contents(text), "0|   42|18446744073709551615");
}

TEST(TextBuffer, HexHasAPrefixAndIsZeroPaddedToTheGivenDigits) {
  FixedText<64> text;
  text.hex(0x2a).character(' ').hex(0x7ffd1234, 16).character(' ').hex(UINT64_MAX, 4);
  EXPECT_EQ(contents(text), "0x2a 0x000000007ffd1234 0xffffffffffffffff");
}

TEST(TextBuffer, SecondsAreRoundedDownToTheGivenDecimals) {
  FixedText<64> text;
  text.seconds(1'299'999'999, 1).character(' ').seconds(200'000'000, 1).character(' ');
  text.seconds(5'000'123, 6).character(' ').seconds(3'000'000'000, 0).character(' ');
  text.seconds(1, 9);
  EXPECT_EQ(contents(text), "1.2 0.2 0.005000 3 0.000000001");
}

TEST(TextBuffer, PadToFillsWithSpacesUpToTheColumnOnly) {
  FixedText<64> text;
  text.text("ab").pad_to(5).character('|').pad_to(2).character('|');
  EXPECT_EQ(contents(text), "ab   ||");
}

TEST(TextBuffer, PadToCountsColumnsFromTheStartOfTheCurrentLine) {
  FixedText<64> text;
  text.text("first line\n").text("x").pad_to(4).character('|');
  EXPECT_EQ(contents(text), "first line\nx   |");
}

TEST(TextBuffer, TextBeyondTheCapacityIsCutAndReported) {
  char storage[8 + 1];
  storage[8] = '#';  // a guard byte just past the capacity
  TextBuffer text(storage, 8);
  text.text("hello").decimal(123456);
  EXPECT_EQ(contents(text), "hello123");
  EXPECT_TRUE(text.truncated());
  EXPECT_EQ(text.remaining(), 0u);
  EXPECT_EQ(storage[8], '#');
  text.clear();
  EXPECT_FALSE(text.truncated());
  EXPECT_EQ(text.size(), 0u);
}

TEST(TextBuffer, WriteAllDeliversTheWholeTextToTheDescriptor) {
  int pipe_ends[2];
  ASSERT_EQ(pipe(pipe_ends), 0);
  FixedText<32> text;
  text.text("round ").decimal(7).character('\n');
  EXPECT_TRUE(bshim::write_all(pipe_ends[1], text));
  close(pipe_ends[1]);
  char received[32];
  const ssize_t length = read(pipe_ends[0], received, sizeof(received));
  close(pipe_ends[0]);
  EXPECT_EQ(std::string(received, length > 0 ? static_cast<size_t>(length) : 0), "round 7\n");
}

TEST(TextBuffer, WriteAllReportsARefusingDescriptorAndKeepsErrno) {
  errno = 1234;
  EXPECT_FALSE(bshim::write_all(-1, "x", 1));
  EXPECT_EQ(errno, 1234);
}

}  // namespace
