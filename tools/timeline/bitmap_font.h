// SPDX-License-Identifier: MIT
// A 5x8 pixel bitmap font for the labels of timeline PNGs: digits, upper- and lower-case
// letters (capitals 7 pixels tall, descenders in the eighth row), space and the punctuation
// the labels use.
#pragma once

#include "base/types.h"

namespace timeline {

inline constexpr unsigned kGlyphWidth = 5;
inline constexpr unsigned kGlyphHeight = 8;
/// Horizontal distance between the starts of two characters.
inline constexpr unsigned kGlyphAdvance = kGlyphWidth + 1;

/// The glyph of `c`: kGlyphHeight rows, bit 4 of each row is the leftmost pixel. Characters
/// without a glyph get a hollow box.
const u8* glyph(char c);

} // namespace timeline
