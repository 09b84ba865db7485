// SPDX-License-Identifier: MIT
// The binary trace file: a round trip of spans, events and definitions; filtering on read;
// many chunks; a file cut short at every kind of place reads up to its last whole chunk; bad
// files (not a trace, other version, damaged bytes) are refused with a message, never a crash.
#include "tests/unit/trace_fixtures.h"
#include "tools/trace/trace_filter.h"
#include "tools/trace/trace_reader.h"
#include "tools/trace/trace_writer.h"

#include <catch2/catch.hpp>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <unistd.h>

using namespace trace_test;
using tools::TraceFileReader;

namespace {

std::string temp_path(const char* name) {
    return (std::filesystem::temp_directory_path() /
            ("tx86-trace-test-" + std::to_string(::getpid()) + "-" + name))
        .string();
}

std::vector<u8> slurp(const std::string& path) {
    std::ifstream f(path, std::ios::binary);
    return {std::istreambuf_iterator<char>(f), {}};
}

void spit(const std::string& path, const std::vector<u8>& bytes) {
    std::ofstream f(path, std::ios::binary | std::ios::trunc);
    f.write(reinterpret_cast<const char*>(bytes.data()),
            static_cast<std::streamsize>(bytes.size()));
}

/// Feeds a representative stream: spans whole and partial, an icount jump, interrupts with
/// and without error codes, a CR3 load, a port write, a gap.
void feed_sample(tools::StreamSink& s) {
    s.exec({0, 0, 4, 100, 0x1000});
    s.exec({1, 0, 2, 104, 0x1000});
    tools::TraceEvent irq;
    irq.kind = tools::TraceEvent::Kind::Interrupt;
    irq.aux = int_aux(14, 0, 0, 0, true);
    irq.has_error = true;
    irq.error = 2;
    irq.handler = 2;
    irq.icount = 106;
    s.event(irq);
    s.exec({2, 0, 2, 106, 0x1000});
    tools::TraceEvent cr3;
    cr3.kind = tools::TraceEvent::Kind::Cr3Load;
    cr3.aux = 0x7000;
    cr3.icount = 107;
    s.event(cr3);
    s.exec({0, 1, 1, 5000, 0x7000}); // the counter jumped (a filter dropped instructions)
    tools::TraceEvent reg; // -trace-regs: the instruction at 5000 set ESP
    reg.kind = tools::TraceEvent::Kind::RegWrite;
    reg.reg = cpu::kTrEsp;
    reg.aux = 0xC0DEF00Du;
    reg.cpl = 3;
    reg.icount = 5000;
    s.event(reg);
    s.exec({0, 2, 2, 5001, 0x7000});
    tools::TraceEvent out;
    out.kind = tools::TraceEvent::Kind::PortWrite;
    out.aux = 0x3f8 | u32{'A'} << 16;
    out.icount = 5001;
    s.event(out);
    tools::TraceEvent gap;
    gap.kind = tools::TraceEvent::Kind::Gap;
    gap.icount = 9000;
    s.event(gap);
    s.exec({1, 0, 3, 9000, 0x7000});
}

/// Writes `feed` to a file and returns the path.
template <typename Feed> std::string write_trace(const char* name, Feed feed) {
    tools::OwnedCatalog catalog;
    define_abu(catalog);
    const std::string path = temp_path(name);
    std::string error;
    auto w = tools::TraceFileWriter::create(path, catalog, "unit test", error);
    REQUIRE(w);
    feed(*w);
    w->finish();
    CHECK(w->error().empty());
    return path;
}

TraceFileReader::Step read_back(const std::string& path, Collector& out, std::string& message,
                                const tools::TraceFilterSpec* spec = nullptr) {
    TraceFileReader r;
    std::string error;
    REQUIRE(r.open(path, error));
    if (spec) {
        tools::TraceFilter f(*spec, r.catalog(), out);
        return r.read_all(f, message);
    }
    return r.read_all(out, message);
}

} // namespace

TEST_CASE("trace file round trip: spans, events and definitions come back as written", "[trace]") {
    Collector direct;
    feed_sample(direct);
    const std::string path = write_trace("roundtrip", feed_sample);
    Collector back;
    std::string message;
    CHECK(read_back(path, back, message) == TraceFileReader::Step::End);
    CHECK(back.log == direct.log);
    CHECK(back.insns == 14);

    TraceFileReader r;
    std::string error;
    REQUIRE(r.open(path, error));
    CHECK(r.description() == "unit test");
    Collector again;
    CHECK(r.read_all(again, message) == TraceFileReader::Step::End);
    CHECK(r.total_instructions() == 14);
    const tools::BlockView* u = r.catalog().find(2);
    REQUIRE(u);
    CHECK(u->def.lin_pc == 0x8048000);
    CHECK(u->def.cpl == 3);
    CHECK(std::vector<u8>(u->bytes, u->bytes + u->def.nbytes) == kBytesU);
    std::remove(path.c_str());
}

TEST_CASE("trace file filters on read, as tx86 filters when it writes", "[trace]") {
    const std::string path = write_trace("filtered", feed_sample);
    tools::TraceFilterSpec cpl3;
    REQUIRE(tools::parse_filter_option("dcpl", "3", cpl3).empty());
    Collector out;
    std::string message;
    CHECK(read_back(path, out, message, &cpl3) == TraceFileReader::Step::End);
    CHECK(out.insns == 2);
    std::remove(path.c_str());
}

TEST_CASE("a trace file cut anywhere reads up to its last whole chunk", "[trace]") {
    // About 3 MB of items: several chunks.
    constexpr u64 kSpans = 1'200'000;
    auto feed = [](tools::StreamSink& s) {
        for (u64 i = 0; i < kSpans; ++i) {
            s.exec({static_cast<u32>(i % 2), 0, i % 2 ? 3u : 4u, i * 7 / 2, 0});
        }
    };
    const std::string path = write_trace("cut", feed);
    const std::vector<u8> whole = slurp(path);
    Collector full;
    std::string message;
    TraceFileReader r;
    std::string error;
    REQUIRE(r.open(path, error));
    u64 chunks = 0;
    std::vector<u64> insns_after_chunk;
    for (TraceFileReader::Step s; (s = r.next(full, message)) == TraceFileReader::Step::Chunk;) {
        ++chunks;
        insns_after_chunk.push_back(full.insns);
    }
    REQUIRE(chunks >= 3);
    CHECK(full.insns == kSpans / 2 * 7);

    // Cut at the middle of every chunk, just after the header, and one byte short of the end.
    const std::string cut_path = temp_path("cut-short");
    for (usize size :
         {usize{10}, usize{24}, usize{40}, whole.size() / 3, whole.size() / 2, whole.size() - 1}) {
        INFO("cut at " << size << " of " << whole.size());
        spit(cut_path,
             std::vector<u8>(whole.begin(), whole.begin() + static_cast<std::ptrdiff_t>(size)));
        TraceFileReader cut;
        if (!cut.open(cut_path, error)) {
            CHECK(size < 24 + 9); // the header and its description, "unit test"
            CHECK(error.find("cut short") != std::string::npos);
            continue;
        }
        Collector got;
        CHECK(cut.read_all(got, message) == TraceFileReader::Step::Truncated);
        CHECK(message.find("cut short") != std::string::npos);
        // Exactly the chunks that were whole.
        const u64 n = cut.chunks_read();
        CHECK(got.insns == (n == 0 ? 0 : insns_after_chunk[n - 1]));
    }
    std::remove(path.c_str());
    std::remove(cut_path.c_str());
}

TEST_CASE("damaged and foreign files are refused with a message", "[trace]") {
    const std::string path = write_trace("damaged", feed_sample);
    const std::vector<u8> good = slurp(path);
    const std::string bad_path = temp_path("damaged-copy");
    std::string error, message;

    spit(bad_path, {'h', 'e', 'l', 'l', 'o'});
    TraceFileReader foreign;
    CHECK_FALSE(foreign.open(bad_path, error));
    CHECK(error.find("not a tx86 trace") != std::string::npos);

    std::vector<u8> v = good;
    v[8] = 99; // version
    spit(bad_path, v);
    TraceFileReader version;
    CHECK_FALSE(version.open(bad_path, error));
    CHECK(error.find("version 99") != std::string::npos);

    TraceFileReader missing;
    CHECK_FALSE(missing.open(temp_path("does-not-exist"), error));
    CHECK(error.find("cannot open") != std::string::npos);

    // Flip each byte after the header in turn (and a few bit patterns): the reader either
    // reads a consistent stream or says corrupt/truncated; it never crashes or hangs.
    for (usize at = 24; at < good.size(); ++at) {
        for (u8 mask : {u8{0x01}, u8{0x80}, u8{0xFF}}) {
            v = good;
            v[at] ^= mask;
            spit(bad_path, v);
            TraceFileReader r;
            REQUIRE(r.open(bad_path, error));
            Collector out;
            const TraceFileReader::Step s = r.read_all(out, message);
            CHECK(s != TraceFileReader::Step::Chunk);
            if (s != TraceFileReader::Step::End) {
                CHECK_FALSE(message.empty());
            }
        }
    }
    std::remove(path.c_str());
    std::remove(bad_path.c_str());
}

TEST_CASE("predicted block runs round-trip exactly, across chunk boundaries", "[trace]") {
    // A pseudo-random walk over A, B and U: successions repeat often enough to form runs and
    // break often enough to need explicit items; partial spans and events interrupt it.
    struct Hash final : tools::StreamSink {
        void exec(const tools::ExecSpan& s) override {
            h = (h ^ (u64{s.block} << 40 ^ u64{s.first} << 32 ^ s.count ^ s.icount * 31 ^ s.cr3)) *
                0x100000001b3ull;
            ++spans;
        }
        void event(const tools::TraceEvent& e) override {
            h = (h ^ (e.icount * 7 ^ e.aux)) * 0x100000001b3ull;
            ++events;
        }
        u64 h = 0xcbf29ce484222325ull, spans = 0, events = 0;
    };
    auto feed = [](tools::StreamSink& s) {
        static const u32 kLen[] = {4, 3, 2};
        u64 icount = 0, x = 12345;
        u32 prev = 0;
        for (u64 i = 0; i < 3'000'000; ++i) {
            x = x * 6364136223846793005ull + 1442695040888963407ull;
            const u32 r = static_cast<u32>(x >> 33) % 100;
            const u32 id = r < 50 ? (prev + 1) % 3 : r % 3; // often a fixed cycle
            if (r == 99) {
                s.exec({id, 1, kLen[id] - 1, icount, 0x1000});
                icount += kLen[id] - 1;
            } else {
                s.exec({id, 0, kLen[id], icount, 0x1000});
                icount += kLen[id];
            }
            if (r == 98) {
                tools::TraceEvent e;
                e.kind = tools::TraceEvent::Kind::PortWrite;
                e.aux = 0x80;
                e.icount = icount - 1;
                e.cr3 = 0x1000;
                s.event(e);
            }
            prev = id;
        }
    };
    Hash direct;
    feed(direct);
    const std::string path = write_trace("runs", feed);
    TraceFileReader r;
    std::string error, message;
    REQUIRE(r.open(path, error));
    Hash back;
    CHECK(r.read_all(back, message) == TraceFileReader::Step::End);
    CHECK(r.chunks_read() >= 3);
    CHECK(back.spans == direct.spans);
    CHECK(back.events == direct.events);
    CHECK(back.h == direct.h);
    std::remove(path.c_str());
}
