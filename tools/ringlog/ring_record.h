// SPDX-License-Identifier: MIT
// The fixed-size record a ring log file stores per event (the file around the records is
// ring_file.h). Little-endian whatever the host; kRecordSize bytes:
//
//   off size field
//     0    8 icount
//     8    1 kind (cpu::RingEventKind; kEndKind marks the end record)
//     9    1 from_cpl | to_cpl << 2 | from_mode << 4 | to_mode << 6
//    10    1 vector
//    11    1 flags (cpu::kRing* bits)
//    12    1 frame_len (0..10)
//    13    1 frame_width (0, 2 or 4)
//    14    1 params_copied
//    15    1 reserved (0)
//    16    8 old_cs, new_cs, old_ss, new_ss (u16 each)
//    24   16 old_eip, new_eip, old_esp, new_esp (u32 each)
//    40   16 error, cr3, eax, cr0 (u32 each)
//    56    5 frame slot names, 4 bits each (cpu::FrameSlot), first slot in the low nibble
//    61    3 reserved (0)
//    64   40 frame words (u32 each; unused ones 0)
//
// Two position records frame the events: the start record (kind kStartKind, first) says where
// the log began and the end record (kind kEndKind, last) where the run stopped: icount, CPL
// (both CPL fields), mode (both mode fields) and paging (flags bit 0). With them, every
// instruction of the run can be attributed to a ring.
#pragma once

#include "cpu/ring_events.h"

#include <string>

namespace ringlog {

inline constexpr unsigned kRecordSize = 104;
inline constexpr u8 kStartKind = 0xFE;
inline constexpr u8 kEndKind = 0xFF;

/// Where the CPU was when a log started or a run stopped.
struct RingPosition {
    u64 icount = 0;
    u8 cpl = 0;
    cpu::RingMode mode = cpu::RingMode::Real;
    bool paging = false;
};

void encode_event(const cpu::RingEvent& e, u8* out);
/// `kind` is kStartKind or kEndKind.
void encode_position(u8 kind, const RingPosition& p, u8* out);

enum class Decoded : u8 { Event, Start, End, Bad };
/// Decodes one record into `e` (an event) or `pos` (a start or end record). Bad, with a
/// reason in `why`, when a field is out of range: the file is corrupt or from a newer tx86.
Decoded decode_record(const u8* in, cpu::RingEvent& e, RingPosition& pos, std::string& why);

} // namespace ringlog
