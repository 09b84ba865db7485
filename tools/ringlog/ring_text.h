// SPDX-License-Identifier: MIT
// The -d ring text form of one event: a single line such as
//   ring: 123456789 INT 0x80 eax=4 cpl 3->0 cs:eip 0073:b7f1c5e2 -> 0060:c1a0b3f0
//         ss:esp 007b:bf8e1c2c -> 0068:c5e8dff4 cr3=05e1c000 frame [ss=007b esp=bf8e1c2c ...]
// (printed on one line). tx86-timeline uses the part after "ring: <icount> " as hover text.
#pragma once

#include "cpu/ring_events.h"

#include <string>

namespace ringlog {

/// What happened, without addresses: "INT 0x80 eax=4", "#PF err=0x6", "IRET", "CR0.PE".
std::string describe_event(const cpu::RingEvent& e);
/// The whole line, with a trailing newline.
std::string format_event(const cpu::RingEvent& e);

} // namespace ringlog
