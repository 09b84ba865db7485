// SPDX-License-Identifier: MIT
// Image: an RGB canvas (8 bits per channel) with the few drawing operations the timeline
// needs: filled rectangles, colour blending and text in the built-in bitmap font.
#pragma once

#include "base/types.h"

#include <string_view>
#include <vector>

namespace timeline {

struct Rgb {
    u8 r = 0, g = 0, b = 0;
    bool operator==(const Rgb&) const = default;
};

/// `a` mixed with `b`; t = 0 gives a, 1 gives b.
Rgb blend(Rgb a, Rgb b, double t);

class Image {
public:
    Image(unsigned width, unsigned height, Rgb background);

    unsigned width() const { return m_width; }
    unsigned height() const { return m_height; }
    /// Rows top to bottom, 3 bytes per pixel.
    const std::vector<u8>& pixels() const { return m_rgb; }

    Rgb get(unsigned x, unsigned y) const;
    /// Pixels outside the image are ignored, here and below.
    void set(int x, int y, Rgb c);
    void fill(int x, int y, int w, int h, Rgb c);
    /// Draws `text` with its top-left corner at (x, y), `scale` pixels per font pixel;
    /// returns the x just after it.
    int text(int x, int y, std::string_view text, Rgb c, unsigned scale = 1);
    static int text_width(std::string_view text, unsigned scale = 1);

private:
    unsigned m_width, m_height;
    std::vector<u8> m_rgb;
};

} // namespace timeline
