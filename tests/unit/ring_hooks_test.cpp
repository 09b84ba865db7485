// SPDX-License-Identifier: MIT
// Ring-transition events ([ringlog]): what the CPU reports through Cpu::ring_events for INT from
// ring 3 and the IRET back, an exception with an error code, SYSENTER/SYSEXIT, a real-mode
// interrupt and CR0.PE/PG changes. Each reported frame is checked against the bytes the CPU
// really wrote to (or read from) guest memory, since the hooks rebuild frames from the state
// instead of reading memory.
#include "cpu/ring_events.h"
#include "tests/harness/cpu_harness.h"

#include <catch2/catch.hpp>

#include <cstring>

using namespace cpu;

namespace {

constexpr u32 kGdt = 0x1000, kIdt = 0x2000, kTss = 0x3000, kCode = 0x10000, kHandler = 0x6000;
constexpr u16 kCode0 = 0x08, kData0 = 0x10, kCode3 = 0x1B, kData3 = 0x23, kTssSel = 0x28;
constexpr u32 kStack0 = 0x8000, kStack3 = 0x9000;

struct Recorder final : RingEventSink {
    std::vector<RingEvent> events;
    void on_ring_event(const RingEvent& e) override { events.push_back(e); }
};

/// Flat protected mode with ring-0 and ring-3 segments, a TSS and an IDT.
struct Machine {
    tests::CpuHarness h;
    Cpu& c;
    Recorder rec;

    Machine() : c(*h.cpu) {
        h.flat32_at(kCode);
        c.s.gdtr = TableReg{kGdt, 0xFF};
        c.s.idtr = TableReg{kIdt, 0x7FF};
        desc(1, 0xCF9A00, 0xFFFF);  // ring-0 code
        desc(2, 0xCF9200, 0xFFFF);  // ring-0 data
        desc(3, 0xCFFA00, 0xFFFF);  // ring-3 code
        desc(4, 0xCFF200, 0xFFFF);  // ring-3 data
        desc(5, 0x008B00, 0x0067 | (kTss << 16)); // busy 32-bit TSS
        c.s.tr = Segment{kTssSel, 0x8B, 0x67, kTss};
        put32(kTss + 4, kStack0);
        put32(kTss + 8, kData0);
        c.s.gpr[kRsp] = kStack0 - 0x100;
        c.ring_events = &rec;
    }
    /// A GDT entry from its two dwords (every base here is below 64 KiB).
    void desc(unsigned idx, u32 high, u32 low) {
        put32(kGdt + idx * 8, low);
        put32(kGdt + idx * 8 + 4, high);
    }
    void gate(u8 vec, u16 sel, u32 off, u8 access) {
        put32(kIdt + vec * 8u, (off & 0xFFFF) | u32{sel} << 16);
        put32(kIdt + vec * 8u + 4, (off & 0xFFFF0000u) | u32{access} << 8);
    }
    void put32(u32 a, u32 v) { std::memcpy(h.ram + a, &v, 4); }
    u32 get32(u32 a) const {
        u32 v;
        std::memcpy(&v, h.ram + a, 4);
        return v;
    }
    u16 get16(u32 a) const {
        u16 v;
        std::memcpy(&v, h.ram + a, 2);
        return v;
    }
    void to_ring3(u32 eip) {
        c.s.seg[kCs] = Segment{kCode3, 0xC0FB, 0xFFFFFFFFu, 0};
        for (u8 i : {kEs, kSs, kDs, kFs, kGs}) {
            c.s.seg[i] = Segment{kData3, 0xC0F3, 0xFFFFFFFFu, 0};
        }
        c.s.cpl = 3;
        c.s.gpr[kRsp] = kStack3;
        c.s.rip = eip;
    }
    /// The frame words at `sp` as the event lists them (highest address first).
    std::vector<u32> memory_frame(u32 sp, const RingEvent& e) const {
        std::vector<u32> words;
        for (unsigned i = e.frame_len; i-- > 0;) {
            const u32 a = sp + i * e.frame_width;
            words.push_back(e.frame_width == 4 ? get32(a) : get16(a));
        }
        return words;
    }
};

std::vector<u32> frame_of(const RingEvent& e) { return {e.frame, e.frame + e.frame_len}; }

} // namespace

TEST_CASE("INT 0x80 from ring 3 and the IRET back are reported with their frames", "[ringlog]") {
    Machine m;
    Cpu& c = m.c;
    m.gate(0x80, kCode0, kHandler, 0xEE); // DPL-3 interrupt gate
    m.to_ring3(kCode);
    c.s.gpr[kRax] = 4242;
    c.s.eflags |= kIF;
    m.h.poke(kCode, {0xCD, 0x80});
    m.h.poke(kHandler, {0xCF});
    const u64 ic = c.icount;
    REQUIRE(m.h.step() == Status::Ok);
    REQUIRE(m.rec.events.size() == 1);
    const RingEvent e = m.rec.events[0];
    CHECK(e.kind == RingEventKind::Int);
    CHECK(e.vector == 0x80);
    CHECK(e.icount == ic + 1); // INT retires in ring 3
    CHECK(e.from_cpl == 3);
    CHECK(e.to_cpl == 0);
    CHECK(e.old_cs == kCode3);
    CHECK(e.old_eip == kCode);
    CHECK(e.new_cs == kCode0);
    CHECK(e.new_eip == kHandler);
    CHECK(e.old_ss == kData3);
    CHECK(e.old_esp == kStack3);
    CHECK(e.new_ss == kData0);
    CHECK(e.new_esp == kStack0 - 20);
    CHECK(e.eax == 4242);
    REQUIRE(e.frame_len == 5);
    CHECK(e.frame_width == 4);
    CHECK(e.slot[0] == FrameSlot::Ss);
    CHECK(e.slot[4] == FrameSlot::Eip);
    CHECK(frame_of(e) == m.memory_frame(e.new_esp, e));
    CHECK(e.frame[4] == kCode + 2);

    REQUIRE(m.h.step() == Status::Ok); // IRET
    REQUIRE(m.rec.events.size() == 2);
    const RingEvent r = m.rec.events[1];
    CHECK(r.kind == RingEventKind::Iret);
    CHECK(r.icount == ic + 2);
    CHECK(r.from_cpl == 0);
    CHECK(r.to_cpl == 3);
    CHECK(r.old_eip == kHandler);
    CHECK(r.new_eip == kCode + 2);
    CHECK(r.new_esp == kStack3);
    REQUIRE(r.frame_len == 5);
    // IRET lists what it popped: the INT's frame, EFLAGS as loaded.
    const std::vector<u32> popped = m.memory_frame(e.new_esp, r);
    CHECK(frame_of(r) == popped);
}

TEST_CASE("a #GP from ring 3 is reported with its error code", "[ringlog]") {
    Machine m;
    Cpu& c = m.c;
    m.gate(13, kCode0, kHandler, 0x8E);
    m.to_ring3(kCode);
    m.h.poke(kCode, {0x8E, 0xD8}); // mov ds, ax with a ring-0 data selector: #GP(selector)
    c.s.gpr[kRax] = kData0;
    const u64 ic = c.icount;
    REQUIRE(m.h.step() == Status::Ok);
    REQUIRE(m.rec.events.size() == 1);
    const RingEvent e = m.rec.events[0];
    CHECK(e.kind == RingEventKind::Exception);
    CHECK(e.vector == 13);
    CHECK(e.icount == ic); // the faulting instruction did not retire
    CHECK((e.flags & kRingHasError) != 0);
    CHECK(e.error == kData0);
    CHECK(e.old_eip == kCode);
    REQUIRE(e.frame_len == 6);
    CHECK(e.slot[5] == FrameSlot::Error);
    CHECK(frame_of(e) == m.memory_frame(e.new_esp, e));
    CHECK(e.frame[4] == kCode); // a fault saves the faulting instruction
}

TEST_CASE("SYSENTER and SYSEXIT are reported", "[ringlog]") {
    Machine m;
    Cpu& c = m.c;
    c.s.msr.sysenter_cs = kCode0;
    c.s.msr.sysenter_esp = kStack0;
    c.s.msr.sysenter_eip = kHandler;
    m.to_ring3(kCode);
    c.s.gpr[kRax] = 20;
    m.h.poke(kCode, {0x0F, 0x34});
    m.h.poke(kHandler, {0x0F, 0x35});
    REQUIRE(m.h.step() == Status::Ok);
    c.s.gpr[kRdx] = kCode + 2;
    c.s.gpr[kRcx] = kStack3;
    REQUIRE(m.h.step() == Status::Ok);
    REQUIRE(m.rec.events.size() == 2);
    CHECK(m.rec.events[0].kind == RingEventKind::Sysenter);
    CHECK(m.rec.events[0].eax == 20);
    CHECK(m.rec.events[0].new_esp == kStack0);
    CHECK(m.rec.events[0].frame_len == 0);
    CHECK(m.rec.events[1].kind == RingEventKind::Sysexit);
    CHECK(m.rec.events[1].to_cpl == 3);
    CHECK(m.rec.events[1].new_eip == kCode + 2);
}

TEST_CASE("real-mode interrupts and CR0.PE/PG changes are reported", "[ringlog]") {
    tests::CpuHarness h;
    Cpu& c = *h.cpu;
    Recorder rec;
    h.real_mode_at(0x1000, 0x0000);
    c.ring_events = &rec;
    c.s.seg[kSs] = Segment{0, 0x93, 0xFFFF, 0};
    c.s.gpr[kRsp] = 0x7000;
    const u32 ivt = 0x21 * 4;
    h.poke(ivt, {0x00, 0x02, 0x00, 0x30}); // 3000:0200
    h.poke(0x10000, {0xCD, 0x21});
    REQUIRE(h.step() == Status::Ok);
    REQUIRE(rec.events.size() == 1);
    const RingEvent e = rec.events[0];
    CHECK(e.kind == RingEventKind::Int);
    CHECK(e.from_mode == RingMode::Real);
    CHECK(e.frame_width == 2);
    REQUIRE(e.frame_len == 3);
    u16 w[3];
    std::memcpy(w, h.ram + 0x7000 - 6, 6);
    CHECK(e.frame[2] == w[0]); // IP
    CHECK(e.frame[1] == w[1]); // CS
    CHECK(e.frame[0] == w[2]); // FLAGS
    CHECK(e.new_cs == 0x3000);
    CHECK(e.new_eip == 0x200);

    // mov eax, cr0 / or al, 1 / mov cr0, eax at 3000:0200, then paging on from protected mode.
    rec.events.clear();
    h.poke(0x30200, {0x0F, 0x20, 0xC0, 0x0C, 0x01, 0x0F, 0x22, 0xC0});
    REQUIRE(h.step() == Status::Ok);
    REQUIRE(h.step() == Status::Ok);
    const u64 ic = c.icount;
    REQUIRE(h.step() == Status::Ok);
    REQUIRE(rec.events.size() == 1);
    CHECK(rec.events[0].kind == RingEventKind::ModeChange);
    CHECK(rec.events[0].from_mode == RingMode::Real);
    CHECK(rec.events[0].to_mode == RingMode::Protected);
    CHECK(rec.events[0].icount == ic + 1);
}

TEST_CASE("nothing is reported when nobody listens", "[ringlog]") {
    Machine m;
    m.c.ring_events = nullptr;
    m.gate(0x80, kCode0, kHandler, 0xEE);
    m.to_ring3(kCode);
    m.h.poke(kCode, {0xCD, 0x80});
    REQUIRE(m.h.step() == Status::Ok);
    CHECK(m.c.s.cpl == 0);
    CHECK(m.rec.events.empty());
}
