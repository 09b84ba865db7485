// SPDX-License-Identifier: MIT
// The Recorder: definitions shared by identical blocks, the ring wrapping many times with
// every record reaching the consumer thread in order (also when the consumer is slow: the
// producer waits, nothing is dropped), the consumer's "done" ending the hand-overs, and the
// flight-recorder dump of the last instructions.
#include "tests/harness/cpu_harness.h"
#include "tests/unit/trace_fixtures.h"
#include "tools/trace/recorder.h"
#include "tools/trace/trace_filter.h"

#include <catch2/catch.hpp>

#include <chrono>
#include <cstdio>
#include <string>
#include <thread>

using namespace trace_test;

namespace {

/// Writes `blocks` alternating A/B block records (full blocks), starting at icount 0; returns
/// the icount after the last.
u64 write_blocks(tools::Recorder& rec, u32 a, u32 b, u64 blocks) {
    u64 icount = 0;
    for (u64 i = 0; i < blocks; ++i) {
        const bool is_a = i % 2 == 0;
        rec.put_block(is_a ? a : b, icount);
        icount += is_a ? 4 : 3;
    }
    return icount;
}

std::string read_file(std::FILE* f) {
    std::rewind(f);
    std::string s;
    char buf[4096];
    for (usize n; (n = std::fread(buf, 1, sizeof buf, f)) > 0;) {
        s.append(buf, n);
    }
    return s;
}

/// A consumer that takes its time, to make the producer wait.
class SlowCollector final : public tools::StreamSink {
  public:
    void exec(const tools::ExecSpan& s) override {
        if (++n % 64 == 0) {
            std::this_thread::sleep_for(std::chrono::microseconds(200));
        }
        inner.exec(s);
    }
    void event(const tools::TraceEvent& e) override { inner.event(e); }
    void finish() override { inner.finish(); }
    Collector inner;
    u64 n = 0;
};

} // namespace

TEST_CASE("identical block definitions share an id; others do not", "[trace]") {
    tools::Recorder rec(64);
    const u32 a = rec.define_block(def_of(0x1000, kBytesA, 4), kBytesA.data());
    const u32 b = rec.define_block(def_of(0x2000, kBytesB, 3), kBytesB.data());
    CHECK(a != b);
    CHECK(rec.define_block(def_of(0x1000, kBytesA, 4), kBytesA.data()) == a);
    std::vector<u8> changed = kBytesA;
    changed[2] = 0x41; // inc ecx: self-modified code is a new definition
    const u32 c = rec.define_block(def_of(0x1000, changed, 4), changed.data());
    CHECK(c != a);
    cpu::BlockDef user = def_of(0x1000, kBytesA, 4, 3);
    CHECK(rec.define_block(user, kBytesA.data()) != a);
    CHECK(rec.blocks().size() == 4);
    CHECK(rec.blocks().memory_bytes() > 0);
    // Many interpreted instructions at the same place cost one definition.
    for (int i = 0; i < 1000; ++i) {
        CHECK(rec.define_block(def_of(0x2000, kBytesB, 3), kBytesB.data()) == b);
    }
    CHECK(rec.blocks().size() == 4);
}

TEST_CASE("the ring wraps and every record reaches the consumer in order", "[trace]") {
    tests::CpuHarness h;
    tools::Recorder rec(64);
    rec.attach(*h.cpu);
    const u32 a = rec.define_block(def_of(0x1000, kBytesA, 4), kBytesA.data());
    const u32 b = rec.define_block(def_of(0x2000, kBytesB, 3), kBytesB.data());
    Collector out;
    rec.start_consumer(out, nullptr, {});
    const u64 end = write_blocks(rec, a, b, 10'001); // 156 buffers
    h.cpu->icount = end;
    rec.flush();
    CHECK(out.finished);
    CHECK(out.insns == end);
    REQUIRE(out.spans.size() == 10'001);
    u64 icount = 0;
    bool in_order = true;
    for (usize i = 0; i < out.spans.size(); ++i) {
        const tools::ExecSpan& s = out.spans[i];
        in_order = in_order && s.block == (i % 2 ? b : a) && s.icount == icount && s.first == 0;
        icount += s.count;
    }
    CHECK(in_order);
    CHECK(rec.records_consumed() == 10'001);
    CHECK(rec.bad_records() == 0);
    CHECK(rec.missing_insns() == 0);
    CHECK(h.cpu->recorder == &rec);
}

TEST_CASE("records written past the limit go on in the next buffer, in order", "[trace]") {
    // Translated code writes its records without comparing the cursor with the limit; its
    // engine calls ring_full() once it returns (TraceRecorder::unchecked).
    tests::CpuHarness h;
    tools::Recorder rec(64);
    CHECK(rec.unchecked == 64);
    rec.attach(*h.cpu);
    const u32 a = rec.define_block(def_of(0x1000, kBytesA, 4), kBytesA.data());
    const u32 b = rec.define_block(def_of(0x2000, kBytesB, 3), kBytesB.data());
    Collector out;
    rec.start_consumer(out, nullptr, {});
    u64 icount = 0;
    u64 n = 0;
    auto next = [&](bool checked) {
        const u32 id = n % 2 == 0 ? a : b;
        if (checked) {
            rec.put_block(id, icount);
        } else {
            cpu::TraceRecord* r = rec.cursor;
            *r = cpu::TraceRecord{id, 0, icount};
            rec.cursor = r + 1;
        }
        icount += n % 2 == 0 ? 4 : 3;
        ++n;
    };
    for (int round = 0; round < 5; ++round) {
        while (rec.limit - rec.cursor > 10) {
            next(true);
        }
        for (int i = 0; i < 63; ++i) { // the most one run may write unchecked
            next(false);
        }
        REQUIRE(rec.cursor > rec.limit);
        rec.ring_full();
        CHECK(rec.cursor < rec.limit);
    }
    for (int i = 0; i < 100; ++i) {
        next(true);
    }
    h.cpu->icount = icount;
    rec.flush();
    REQUIRE(out.spans.size() == n);
    u64 at = 0;
    bool in_order = true;
    for (usize i = 0; i < out.spans.size(); ++i) {
        in_order = in_order && out.spans[i].block == (i % 2 ? b : a) && out.spans[i].icount == at;
        at += out.spans[i].count;
    }
    CHECK(in_order);
    CHECK(out.insns == icount);
    CHECK(rec.bad_records() == 0);
    CHECK(rec.missing_insns() == 0);
}

TEST_CASE("a slow consumer makes the producer wait; nothing is dropped", "[trace]") {
    tests::CpuHarness h;
    tools::Recorder rec(16);
    rec.attach(*h.cpu);
    const u32 a = rec.define_block(def_of(0x1000, kBytesA, 4), kBytesA.data());
    const u32 b = rec.define_block(def_of(0x2000, kBytesB, 3), kBytesB.data());
    SlowCollector out;
    rec.start_consumer(out, nullptr, {});
    const u64 end = write_blocks(rec, a, b, 3000);
    h.cpu->icount = end;
    rec.flush();
    CHECK(out.inner.insns == end);
    CHECK(out.inner.spans.size() == 3000);
}

TEST_CASE("once the consumer is done, buffers are no longer handed over", "[trace]") {
    tests::CpuHarness h;
    tools::Recorder rec(32);
    rec.attach(*h.cpu);
    const u32 a = rec.define_block(def_of(0x1000, kBytesA, 4), kBytesA.data());
    const u32 b = rec.define_block(def_of(0x2000, kBytesB, 3), kBytesB.data());
    Collector out;
    rec.start_consumer(out, nullptr, [&out] { return out.insns >= 100; });
    h.cpu->icount = write_blocks(rec, a, b, 5000);
    rec.flush();
    CHECK(out.finished);
    CHECK(rec.records_consumed() < 5000);
    CHECK(out.insns >= 100);
}

TEST_CASE("buffers no filter could keep are skipped, not handed over; the rest is exact",
          "[trace]") {
    tests::CpuHarness h;
    tools::Recorder rec(64);
    rec.attach(*h.cpu);
    tools::TraceFilterSpec spec;
    spec.cpl_mask = 1u << 3;
    const tools::RecordGate gate(spec);
    Collector out;
    tools::TraceFilter filter(spec, rec.consumer_catalog(), out);
    rec.start_consumer(filter, &filter, [&filter] { return filter.done(); }, &gate);
    const u32 kernel = rec.define_block(def_of(0x1000, kBytesA, 4), kBytesA.data());
    const u32 user = rec.define_block(def_of(0x2000, kBytesA, 4, 3), kBytesA.data());
    CHECK_FALSE(rec.block_needed(kernel));
    CHECK(rec.block_needed(user));
    u64 icount = 0;
    u64 records = 0;
    for (int round = 0; round < 3; ++round) {
        for (int i = 0; i < 2000; ++i, ++records) { // ~31 buffers of kernel code
            rec.put_block(kernel, icount);
            icount += 4;
            if (i == 1000) { // a CR3 load in the kernel: not needed, yet CR3 must follow
                h.cpu->s.cr3 = 0x5000u + static_cast<u32>(round) * 0x1000u;
                rec.put_event(cpu::kTraceCr3, static_cast<u32>(h.cpu->s.cr3), icount - 1, 0);
                ++records;
            }
        }
        for (int i = 0; i < 5; ++i, ++records) {
            rec.put_block(user, icount);
            icount += i == 4 ? 2 : 4; // the last leaves after two (an interrupt, unrecorded)
        }
    }
    h.cpu->icount = icount;
    rec.flush();
    CHECK(out.finished);
    CHECK(out.insns == 3 * (4 * 4 + 2));
    CHECK(rec.buffers_skipped() >= 60);
    CHECK(rec.records_consumed() < records / 4);
    CHECK(rec.bad_records() == 0);
    CHECK(rec.missing_insns() == 0);
    for (const tools::ExecSpan& s : out.spans) {
        CHECK(s.block == user);
    }
    REQUIRE(out.spans.size() == 15);
    CHECK(out.spans.back().count == 2);
    CHECK(out.spans.back().cr3 == 0x7000);
    CHECK(out.spans.front().cr3 == 0x5000);
}

TEST_CASE("the flight recorder dumps the last instructions with interrupts between", "[trace]") {
    tests::CpuHarness h;
    tools::Recorder rec(64);
    rec.attach(*h.cpu);
    const u32 a = rec.define_block(def_of(0x1000, kBytesA, 4), kBytesA.data());
    const u32 b = rec.define_block(def_of(0x2000, kBytesB, 3), kBytesB.data());
    const u64 icount = write_blocks(rec, a, b, 1000); // B ran last: 3497..3499
    // A leaves after two instructions for an interrupt whose handler is B, which runs 2 of 3.
    rec.put_block(a, icount);
    rec.put_event(cpu::kTraceInterrupt, int_aux(0x20, 1, 0, 0, false), icount + 2, 0);
    rec.put_block(b, icount + 2);
    h.cpu->icount = icount + 4;

    std::FILE* f = std::tmpfile();
    REQUIRE(f);
    rec.dump_recent(f, 5);
    const std::string text = read_file(f);
    std::fclose(f);
    INFO(text);
    CHECK(text.find("flight recorder: the last 5 instructions executed") == 0);
    CHECK(text.find("icount 3499..3503") != std::string::npos);
    auto count = [&text](const std::string& what) {
        usize n = 0;
        for (usize at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) {
            ++n;
        }
        return n;
    };
    CHECK(count(" ret\n") == 1); // B's at 3499; the last B did not get that far
    CHECK(count(" nop\n") == 2);
    CHECK(count("inc eax") == 0);
    CHECK(count("int: vector=0x20 (external) cpl 0 -> 0, handler 0060:00002000") == 1);
    CHECK(text.find("int: vector") < text.find("mov eax, 1"));
    CHECK(text.find("add eax, ebx") != std::string::npos);
    CHECK(text.find("        3503 0060:00002005 lin=00002005 phys=00102005 cpl=0 01d8") !=
          std::string::npos);

    // Asking for more than the ring holds prints what it holds.
    f = std::tmpfile();
    rec.dump_recent(f, 1'000'000);
    const std::string all = read_file(f);
    std::fclose(f);
    CHECK(all.find("flight recorder: the last ") == 0);
    CHECK(all.find(" instructions executed (of ") != std::string::npos);
}
