// SPDX-License-Identifier: MIT
// The ring log ([ringlog]): the summary counters (kinds, ring pairs, instructions per ring,
// exception vectors, system calls), the text line, the record encoding, and the binary file:
// a round trip, a log cut short, and files that are not ring logs or are corrupt (a clear
// error, never a crash).
#include "tools/ringlog/ring_file.h"
#include "tools/ringlog/ring_names.h"
#include "tools/ringlog/ring_stats.h"
#include "tools/ringlog/ring_text.h"

#include <catch2/catch.hpp>

#include <cstdio>
#include <fstream>
#include <iterator>
#include <string>
#include <unistd.h>

using cpu::RingEvent;
using cpu::RingEventKind;
using cpu::RingMode;

namespace {

RingEvent event(u64 icount, RingEventKind kind, u8 from, u8 to, u8 vector = 0, u32 eax = 0) {
    RingEvent e;
    e.icount = icount;
    e.kind = kind;
    e.from_cpl = from;
    e.to_cpl = to;
    e.from_mode = e.to_mode = RingMode::Protected;
    e.vector = vector;
    e.eax = eax;
    return e;
}

/// A file name in the temporary directory, removed when the test ends.
struct TempFile {
    std::string path;
    explicit TempFile(const char* name)
        : path(std::string(std::getenv("TMPDIR") ? std::getenv("TMPDIR") : "/tmp") + "/tx86-" +
               std::to_string(getpid()) + "-" + name) {}
    ~TempFile() { std::remove(path.c_str()); }
    std::string bytes() const {
        std::ifstream f(path, std::ios::binary);
        return {std::istreambuf_iterator<char>(f), {}};
    }
    void write(const std::string& data) const {
        std::ofstream f(path, std::ios::binary | std::ios::trunc);
        f << data;
    }
};

} // namespace

TEST_CASE("ring stats attribute every instruction to the ring that ran it", "[ringlog]") {
    ringlog::RingStats s;
    s.start(ringlog::RingPosition{100, 0, RingMode::Protected, true});
    s.add(event(150, RingEventKind::Iret, 0, 3));                    // 50 in ring 0
    s.add(event(160, RingEventKind::Int, 3, 0, 0x80, 4242));         // 10 in ring 3
    s.add(event(200, RingEventKind::Iret, 0, 3));                    // 40 in ring 0
    s.add(event(230, RingEventKind::Exception, 3, 0, 14));           // 30 in ring 3
    s.add(event(260, RingEventKind::External, 0, 0, 0x30));          // 30 in ring 0
    s.add(event(300, RingEventKind::Iret, 0, 3));                    // 40 in ring 0
    s.add(event(305, RingEventKind::Sysenter, 3, 0, 0, 4242));       // 5 in ring 3
    s.add(event(310, RingEventKind::Int, 0, 0, 0x80, 1));            // 5 in ring 0: not a syscall
    s.finish(ringlog::RingPosition{400, 0, RingMode::Protected, true}); // 90 in ring 0

    CHECK(s.instructions() == 300);
    CHECK(s.insns_per_ring[0] == 50 + 40 + 30 + 40 + 5 + 90);
    CHECK(s.insns_per_ring[3] == 10 + 30 + 5);
    CHECK(s.insns_per_ring[0] + s.insns_per_ring[3] == s.instructions());
    CHECK(s.events == 8);
    CHECK(s.by_kind[static_cast<unsigned>(RingEventKind::Iret)] == 3);
    CHECK(s.ring_pair[3][0] == 3);
    CHECK(s.ring_pair[0][3] == 3);
    CHECK(s.ring_pair[0][0] == 2);
    CHECK(s.exceptions_by_vector[14] == 1);
    CHECK(s.syscalls_int80 == 1);
    CHECK(s.syscalls_sysenter == 1);
    CHECK(s.syscall_numbers.at(4242) == 2);
    CHECK(s.syscall_numbers.count(1) == 0);
    REQUIRE(s.top_vectors(5).size() == 1);
    CHECK(s.top_vectors(5)[0].first == 14);

    const std::string text = s.summary();
    CHECK(text.find("ring summary: 8 transitions over 300 guest instructions") != std::string::npos);
    CHECK(text.find("#PF") != std::string::npos);
    CHECK(text.find("page fault") != std::string::npos);
    CHECK(text.find("system calls from ring 3: 2") != std::string::npos);
    CHECK(text.find("4242 x2") != std::string::npos);
}

TEST_CASE("ring stats count mode changes and instructions per mode", "[ringlog]") {
    ringlog::RingStats s;
    s.start(ringlog::RingPosition{0, 0, RingMode::Real, false});
    RingEvent pe = event(10, RingEventKind::ModeChange, 0, 0);
    pe.from_mode = RingMode::Real;
    s.add(pe);
    RingEvent v86 = event(25, RingEventKind::Iret, 0, 3);
    v86.to_mode = RingMode::V86;
    s.add(v86);
    s.finish(ringlog::RingPosition{40, 3, RingMode::V86, false});
    CHECK(s.insns_per_mode[0] == 10);
    CHECK(s.insns_per_mode[1] == 15);
    CHECK(s.insns_per_mode[2] == 15);
    CHECK(s.mode_pair[0][1] == 1);
    CHECK(s.mode_pair[1][2] == 1);
    CHECK(s.summary().find("real -> protected 1") != std::string::npos);
}

TEST_CASE("the -d ring line shows the transition and its frame", "[ringlog]") {
    RingEvent e = event(123456789, RingEventKind::Int, 3, 0, 0x80, 4);
    e.old_cs = 0x73;
    e.old_eip = 0xb7f1c5e0;
    e.new_cs = 0x60;
    e.new_eip = 0xc1a0b3f0;
    e.old_ss = 0x7b;
    e.old_esp = 0xbf8e1c2c;
    e.new_ss = 0x68;
    e.new_esp = 0xc5e8dff4;
    e.frame_width = 4;
    e.push_frame(cpu::FrameSlot::Ss, 0x7b);
    e.push_frame(cpu::FrameSlot::Esp, 0xbf8e1c2c);
    e.push_frame(cpu::FrameSlot::Eflags, 0x246);
    e.push_frame(cpu::FrameSlot::Cs, 0x73);
    e.push_frame(cpu::FrameSlot::Eip, 0xb7f1c5e2);
    CHECK(ringlog::format_event(e) ==
          "ring: 123456789 INT 0x80 eax=4 cpl 3->0 cs:eip 0073:b7f1c5e0 -> 0060:c1a0b3f0 ss:esp "
          "007b:bf8e1c2c -> 0068:c5e8dff4 cr3=00000000 frame [ss=007b esp=bf8e1c2c "
          "eflags=00000246 cs=0073 eip=b7f1c5e2]\n");
    RingEvent pf = event(5, RingEventKind::Exception, 3, 0, 14);
    pf.flags = cpu::kRingHasError;
    pf.error = 6;
    CHECK(ringlog::describe_event(pf) == "#PF err=0x6");
    CHECK(ringlog::is_system_call(e));
}

TEST_CASE("records round-trip and reject out-of-range fields", "[ringlog]") {
    RingEvent e = event(0x123456789ABCull, RingEventKind::Exception, 3, 0, 13);
    e.to_mode = RingMode::V86;
    e.flags = cpu::kRingHasError;
    e.error = 0x28;
    e.cr3 = 0x1000;
    e.cr0 = 0x80000011;
    e.frame_width = 4;
    for (unsigned i = 0; i < RingEvent::kMaxFrame; ++i) {
        e.push_frame(static_cast<cpu::FrameSlot>(i), 0x1000 + i);
    }
    u8 rec[ringlog::kRecordSize];
    ringlog::encode_event(e, rec);
    RingEvent back;
    ringlog::RingPosition pos;
    std::string why;
    REQUIRE(ringlog::decode_record(rec, back, pos, why) == ringlog::Decoded::Event);
    CHECK(back.icount == e.icount);
    CHECK(back.to_mode == RingMode::V86);
    CHECK(back.error == 0x28);
    CHECK(back.cr0 == 0x80000011);
    REQUIRE(back.frame_len == RingEvent::kMaxFrame);
    CHECK(back.slot[9] == cpu::FrameSlot::Error);
    CHECK(back.frame[9] == 0x1009);

    rec[8] = 200; // no such kind
    CHECK(ringlog::decode_record(rec, back, pos, why) == ringlog::Decoded::Bad);
    ringlog::encode_event(e, rec);
    rec[12] = 11; // frame too long
    CHECK(ringlog::decode_record(rec, back, pos, why) == ringlog::Decoded::Bad);
}

TEST_CASE("ring log files round-trip, and bad files give clear errors", "[ringlog]") {
    TempFile file("ring.log");
    constexpr unsigned kEvents = 25000; // more than one compressed chunk
    {
        ringlog::RingFileWriter w;
        REQUIRE(w.open(file.path, ringlog::RingPosition{7, 0, RingMode::Protected, true}).empty());
        for (unsigned i = 0; i < kEvents; ++i) {
            w.write(event(10 + i, i % 2 ? RingEventKind::Iret : RingEventKind::Int, i % 2 ? 0 : 3,
                          i % 2 ? 3 : 0, 0x80, i));
        }
        REQUIRE(w.finish(ringlog::RingPosition{kEvents + 50, 3, RingMode::Protected, true}).empty());
        CHECK(w.events_written() == kEvents);
        CHECK(w.bytes_written() == file.bytes().size());
        // Compression pays: far less than the raw records.
        CHECK(w.bytes_written() < u64{kEvents} * ringlog::kRecordSize / 10);
    }
    ringlog::RingFileContents c;
    REQUIRE(ringlog::read_ring_file(file.path, c).empty());
    CHECK(c.info.complete);
    CHECK(c.info.start.icount == 7);
    CHECK(c.info.end.icount == kEvents + 50);
    CHECK(c.info.end.cpl == 3);
    REQUIRE(c.events.size() == kEvents);
    CHECK(c.events[12345].eax == 12345);
    CHECK(c.events[12345].kind == RingEventKind::Iret);

    const std::string whole = file.bytes();
    TempFile bad("bad.log");
    ringlog::RingFileContents out;

    SECTION("cut short: the events before the cut are read, the log is marked incomplete") {
        bad.write(whole.substr(0, whole.size() / 2));
        REQUIRE(ringlog::read_ring_file(bad.path, out).empty());
        CHECK_FALSE(out.info.complete);
        CHECK(out.events.size() > 0);
        CHECK(out.events.size() < kEvents);
        CHECK(out.info.end.icount == out.events.back().icount);
    }
    SECTION("not a ring log") {
        bad.write("hello, this is not a ring log at all");
        CHECK(ringlog::read_ring_file(bad.path, out).find("not a tx86 ring log") != std::string::npos);
    }
    SECTION("a newer version") {
        std::string v = whole;
        v[8] = 9;
        bad.write(v);
        CHECK(ringlog::read_ring_file(bad.path, out).find("version 9") != std::string::npos);
    }
    SECTION("corrupt compressed data") {
        std::string v = whole;
        for (std::size_t i = 40; i < 400; ++i) {
            v[i] = static_cast<char>(v[i] ^ 0x5A);
        }
        bad.write(v);
        CHECK(ringlog::read_ring_file(bad.path, out).find("corrupt") != std::string::npos);
    }
    SECTION("missing file") {
        CHECK(ringlog::read_ring_file(bad.path + ".none", out).find("cannot open") != std::string::npos);
    }
}
