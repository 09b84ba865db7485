// SPDX-License-Identifier: MIT
// Encoding and decoding of ring log records (the layout is in ring_record.h).
#include "tools/ringlog/ring_record.h"

#include <cstring>

namespace ringlog {
namespace {

void put16(u8* p, u16 v) {
    p[0] = static_cast<u8>(v);
    p[1] = static_cast<u8>(v >> 8);
}
void put32(u8* p, u32 v) {
    for (unsigned i = 0; i < 4; ++i) {
        p[i] = static_cast<u8>(v >> (8 * i));
    }
}
void put64(u8* p, u64 v) {
    for (unsigned i = 0; i < 8; ++i) {
        p[i] = static_cast<u8>(v >> (8 * i));
    }
}
u16 get16(const u8* p) { return static_cast<u16>(p[0] | p[1] << 8); }
u32 get32(const u8* p) {
    return u32{p[0]} | u32{p[1]} << 8 | u32{p[2]} << 16 | u32{p[3]} << 24;
}
u64 get64(const u8* p) { return u64{get32(p)} | u64{get32(p + 4)} << 32; }

constexpr unsigned kModes = 3;     // cpu::RingMode values
constexpr unsigned kSlots = 10;    // cpu::FrameSlot values

} // namespace

void encode_event(const cpu::RingEvent& e, u8* out) {
    std::memset(out, 0, kRecordSize);
    put64(out, e.icount);
    out[8] = static_cast<u8>(e.kind);
    out[9] = static_cast<u8>((e.from_cpl & 3) | (e.to_cpl & 3) << 2 |
                             static_cast<unsigned>(e.from_mode) << 4 |
                             static_cast<unsigned>(e.to_mode) << 6);
    out[10] = e.vector;
    out[11] = e.flags;
    out[12] = e.frame_len;
    out[13] = e.frame_width;
    out[14] = e.params_copied;
    put16(out + 16, e.old_cs);
    put16(out + 18, e.new_cs);
    put16(out + 20, e.old_ss);
    put16(out + 22, e.new_ss);
    put32(out + 24, e.old_eip);
    put32(out + 28, e.new_eip);
    put32(out + 32, e.old_esp);
    put32(out + 36, e.new_esp);
    put32(out + 40, e.error);
    put32(out + 44, e.cr3);
    put32(out + 48, e.eax);
    put32(out + 52, e.cr0);
    for (unsigned i = 0; i < e.frame_len && i < cpu::RingEvent::kMaxFrame; ++i) {
        out[56 + i / 2] |= static_cast<u8>(static_cast<unsigned>(e.slot[i]) << (4 * (i & 1)));
        put32(out + 64 + 4 * i, e.frame[i]);
    }
}

void encode_position(u8 kind, const RingPosition& p, u8* out) {
    std::memset(out, 0, kRecordSize);
    put64(out, p.icount);
    out[8] = kind;
    out[9] = static_cast<u8>((p.cpl & 3) | (p.cpl & 3) << 2 |
                             static_cast<unsigned>(p.mode) << 4 |
                             static_cast<unsigned>(p.mode) << 6);
    out[11] = p.paging ? 1 : 0;
}

Decoded decode_record(const u8* in, cpu::RingEvent& e, RingPosition& pos, std::string& why) {
    const u8 rings = in[9];
    const unsigned from_mode = (rings >> 4) & 3, to_mode = rings >> 6;
    if (from_mode >= kModes || to_mode >= kModes) {
        why = "bad mode field";
        return Decoded::Bad;
    }
    if (in[8] == kStartKind || in[8] == kEndKind) {
        pos.icount = get64(in);
        pos.cpl = rings & 3;
        pos.mode = static_cast<cpu::RingMode>(to_mode);
        pos.paging = (in[11] & 1) != 0;
        return in[8] == kStartKind ? Decoded::Start : Decoded::End;
    }
    if (in[8] >= static_cast<u8>(cpu::RingEventKind::Count)) {
        why = "unknown event kind " + std::to_string(in[8]);
        return Decoded::Bad;
    }
    if (in[12] > cpu::RingEvent::kMaxFrame || (in[13] != 0 && in[13] != 2 && in[13] != 4)) {
        why = "bad frame size";
        return Decoded::Bad;
    }
    e = cpu::RingEvent{};
    e.icount = get64(in);
    e.kind = static_cast<cpu::RingEventKind>(in[8]);
    e.from_cpl = rings & 3;
    e.to_cpl = (rings >> 2) & 3;
    e.from_mode = static_cast<cpu::RingMode>(from_mode);
    e.to_mode = static_cast<cpu::RingMode>(to_mode);
    e.vector = in[10];
    e.flags = in[11];
    e.frame_len = in[12];
    e.frame_width = in[13];
    e.params_copied = in[14];
    e.old_cs = get16(in + 16);
    e.new_cs = get16(in + 18);
    e.old_ss = get16(in + 20);
    e.new_ss = get16(in + 22);
    e.old_eip = get32(in + 24);
    e.new_eip = get32(in + 28);
    e.old_esp = get32(in + 32);
    e.new_esp = get32(in + 36);
    e.error = get32(in + 40);
    e.cr3 = get32(in + 44);
    e.eax = get32(in + 48);
    e.cr0 = get32(in + 52);
    for (unsigned i = 0; i < e.frame_len; ++i) {
        const unsigned slot = (in[56 + i / 2] >> (4 * (i & 1))) & 0xF;
        if (slot >= kSlots) {
            why = "bad frame slot";
            return Decoded::Bad;
        }
        e.slot[i] = static_cast<cpu::FrameSlot>(slot);
        e.frame[i] = get32(in + 64 + 4 * i);
    }
    return Decoded::Event;
}

} // namespace ringlog
