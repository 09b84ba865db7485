// SPDX-License-Identifier: MIT
// The timeline's RGB canvas (image.h).
#include "tools/timeline/image.h"

#include "tools/timeline/bitmap_font.h"

#include <algorithm>

namespace timeline {

Rgb blend(Rgb a, Rgb b, double t) {
    t = std::clamp(t, 0.0, 1.0);
    auto mix = [t](u8 x, u8 y) { return static_cast<u8>(x + (double(y) - double(x)) * t + 0.5); };
    return Rgb{mix(a.r, b.r), mix(a.g, b.g), mix(a.b, b.b)};
}

Image::Image(unsigned width, unsigned height, Rgb background)
    : m_width(width), m_height(height), m_rgb(std::size_t{width} * height * 3) {
    fill(0, 0, static_cast<int>(width), static_cast<int>(height), background);
}

Rgb Image::get(unsigned x, unsigned y) const {
    const std::size_t i = (std::size_t{y} * m_width + x) * 3;
    return Rgb{m_rgb[i], m_rgb[i + 1], m_rgb[i + 2]};
}

void Image::set(int x, int y, Rgb c) {
    if (x < 0 || y < 0 || unsigned(x) >= m_width || unsigned(y) >= m_height) {
        return;
    }
    const std::size_t i = (std::size_t(y) * m_width + unsigned(x)) * 3;
    m_rgb[i] = c.r;
    m_rgb[i + 1] = c.g;
    m_rgb[i + 2] = c.b;
}

void Image::fill(int x, int y, int w, int h, Rgb c) {
    const int x0 = std::max(x, 0), y0 = std::max(y, 0);
    const int x1 = std::min(x + w, static_cast<int>(m_width));
    const int y1 = std::min(y + h, static_cast<int>(m_height));
    for (int yy = y0; yy < y1; ++yy) {
        for (int xx = x0; xx < x1; ++xx) {
            set(xx, yy, c);
        }
    }
}

int Image::text(int x, int y, std::string_view s, Rgb c, unsigned scale) {
    for (char ch : s) {
        const u8* g = glyph(ch);
        for (unsigned r = 0; r < kGlyphHeight; ++r) {
            for (unsigned col = 0; col < kGlyphWidth; ++col) {
                if (g[r] & (1u << (kGlyphWidth - 1 - col))) {
                    fill(x + int(col * scale), y + int(r * scale), int(scale), int(scale), c);
                }
            }
        }
        x += int(kGlyphAdvance * scale);
    }
    return x;
}

int Image::text_width(std::string_view s, unsigned scale) {
    return static_cast<int>(s.size() * kGlyphAdvance * scale);
}

} // namespace timeline
