// SPDX-License-Identifier: MIT
// tx86-timeline's parts ([timeline]): the PNG encoder (its output is taken apart again: chunk
// CRCs checked and the image data inflated with zlib back to the exact pixels), the bitmap
// font, and the bucketing of a ring log into columns.
#include "tools/ringlog/ring_file.h"
#include "tools/timeline/bitmap_font.h"
#include "tools/timeline/png_writer.h"
#include "tools/timeline/render.h"
#include "tools/timeline/timeline_model.h"

#include <catch2/catch.hpp>
#include <zlib.h>

#include <cstdio>
#include <cstring>
#include <string>
#include <unistd.h>

using timeline::Image;
using timeline::Rgb;

namespace {

u32 be32(const u8* p) { return u32{p[0]} << 24 | u32{p[1]} << 16 | u32{p[2]} << 8 | p[3]; }

/// Splits a PNG into its chunks (type -> data), checking every CRC on the way.
std::vector<std::pair<std::string, std::vector<u8>>> png_chunks(const std::vector<u8>& png) {
    static constexpr u8 kSig[8] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1A, '\n'};
    REQUIRE(png.size() > 8);
    REQUIRE(std::memcmp(png.data(), kSig, 8) == 0);
    std::vector<std::pair<std::string, std::vector<u8>>> chunks;
    std::size_t at = 8;
    while (at < png.size()) {
        REQUIRE(at + 12 <= png.size());
        const u32 len = be32(&png[at]);
        REQUIRE(at + 12 + len <= png.size());
        const std::string type(reinterpret_cast<const char*>(&png[at + 4]), 4);
        const uLong crc = crc32(crc32(0L, Z_NULL, 0), &png[at + 4], 4 + len);
        CHECK(be32(&png[at + 8 + len]) == crc);
        chunks.emplace_back(type, std::vector<u8>(&png[at + 8], &png[at + 8] + len));
        at += 12 + len;
    }
    return chunks;
}

} // namespace

TEST_CASE("the PNG encoder writes chunks that decode back to the same pixels", "[timeline]") {
    Image img(7, 5, Rgb{1, 2, 3});
    img.set(0, 0, Rgb{255, 0, 0});
    img.set(6, 4, Rgb{0, 255, 0});
    img.fill(2, 1, 3, 2, Rgb{10, 20, 30});
    img.set(100, 100, Rgb{9, 9, 9}); // outside: ignored
    const std::vector<u8> png = timeline::encode_png(img);
    const auto chunks = png_chunks(png);
    REQUIRE(chunks.size() == 3);
    CHECK(chunks[0].first == "IHDR");
    CHECK(chunks[1].first == "IDAT");
    CHECK(chunks[2].first == "IEND");
    const std::vector<u8>& ihdr = chunks[0].second;
    REQUIRE(ihdr.size() == 13);
    CHECK(be32(&ihdr[0]) == 7);
    CHECK(be32(&ihdr[4]) == 5);
    CHECK(ihdr[8] == 8);  // bit depth
    CHECK(ihdr[9] == 2);  // RGB

    std::vector<u8> raw(5 * (1 + 7 * 3));
    uLongf raw_len = raw.size();
    const std::vector<u8>& idat = chunks[1].second;
    REQUIRE(uncompress(raw.data(), &raw_len, idat.data(), idat.size()) == Z_OK);
    REQUIRE(raw_len == raw.size());
    for (unsigned y = 0; y < 5; ++y) {
        const u8* row = &raw[y * (1 + 7 * 3)];
        CHECK(row[0] == 0); // filter type None
        for (unsigned x = 0; x < 7; ++x) {
            const Rgb want = img.get(x, y);
            CHECK(Rgb{row[1 + 3 * x], row[2 + 3 * x], row[3 + 3 * x]} == want);
        }
    }
    CHECK(img.get(0, 0) == Rgb{255, 0, 0});
    CHECK(img.get(3, 2) == Rgb{10, 20, 30});
    CHECK(img.get(1, 1) == Rgb{1, 2, 3});
}

TEST_CASE("the bitmap font draws text", "[timeline]") {
    const u8* a = timeline::glyph('A');
    CHECK(a[0] == 0x0E); // .###.
    CHECK(a[3] == 0x1F); // #####
    CHECK(timeline::glyph('a') != a);
    CHECK(timeline::glyph('a')[6] == 0x0F); // .####
    Image img(40, 10, Rgb{255, 255, 255});
    const int end = img.text(1, 1, "#PF", Rgb{0, 0, 0});
    CHECK(end == 1 + 3 * static_cast<int>(timeline::kGlyphAdvance));
    unsigned ink = 0;
    for (unsigned y = 0; y < 10; ++y) {
        for (unsigned x = 0; x < 40; ++x) {
            ink += img.get(x, y) == Rgb{0, 0, 0};
        }
    }
    CHECK(ink > 20);
}

TEST_CASE("a ring log is bucketed into columns of equal instruction counts", "[timeline]") {
    const std::string path = std::string(std::getenv("TMPDIR") ? std::getenv("TMPDIR") : "/tmp") +
                             "/tx86-timeline-" + std::to_string(getpid()) + ".ringlog";
    {
        ringlog::RingFileWriter w;
        REQUIRE(w.open(path, ringlog::RingPosition{0, 0, cpu::RingMode::Protected, true}).empty());
        // Ring 0 for 0..999, ring 3 for 1000..1999 with a system call at 1500 returning at 1600.
        auto ev = [](u64 ic, cpu::RingEventKind k, u8 from, u8 to) {
            cpu::RingEvent e;
            e.icount = ic;
            e.kind = k;
            e.from_cpl = from;
            e.to_cpl = to;
            e.from_mode = e.to_mode = cpu::RingMode::Protected;
            e.cr0 = 0x80000001;
            e.vector = 0x80;
            return e;
        };
        w.write(ev(1000, cpu::RingEventKind::Iret, 0, 3));
        w.write(ev(1500, cpu::RingEventKind::Int, 3, 0));
        w.write(ev(1600, cpu::RingEventKind::Iret, 0, 3));
        REQUIRE(w.finish(ringlog::RingPosition{2000, 3, cpu::RingMode::Protected, true}).empty());
    }
    timeline::Timeline t;
    timeline::TimelineOptions opt;
    opt.columns = 4;
    REQUIRE(timeline::build_timeline(path, opt, t).empty());
    REQUIRE(t.columns.size() == 4);
    CHECK(t.columns[0].insns_per_ring[0] == 500);
    CHECK(t.columns[1].insns_per_ring[0] == 500);
    CHECK(t.columns[2].insns_per_ring[3] == 500);
    CHECK(t.columns[3].insns_per_ring[0] == 100);
    CHECK(t.columns[3].insns_per_ring[3] == 400);
    CHECK(t.columns[2].events == 1);
    CHECK(t.columns[3].events == 2);
    CHECK(t.stats.insns_per_ring[0] + t.stats.insns_per_ring[3] == 2000);
    CHECK(t.stats.syscalls_int80 == 1);

    // A window: instructions 1200..1700 in 5 columns of 100.
    opt.from = 1200;
    opt.to = 1700;
    opt.columns = 5;
    REQUIRE(timeline::build_timeline(path, opt, t).empty());
    CHECK(t.columns[3].insns_per_ring[0] == 100);
    CHECK(t.columns[4].insns_per_ring[3] == 100);
    CHECK(t.stats.instructions() == 500);
    CHECK(t.stats.insns_per_ring[0] == 100);

    const std::string html = timeline::timeline_html(t);
    CHECK(html.find("<svg") != std::string::npos);
    CHECK(html.find("<title>") != std::string::npos);
    const Image img = timeline::draw_timeline(t);
    CHECK(img.width() > 5);

    opt.from = 5000;
    opt.to.reset();
    CHECK(timeline::build_timeline(path, opt, t).find("window is empty") != std::string::npos);
    std::remove(path.c_str());
}
