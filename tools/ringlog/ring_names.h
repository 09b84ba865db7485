// SPDX-License-Identifier: MIT
// Names for ring-transition events, shared by the -d ring text log, the exit summary and
// tx86-timeline: event kinds, CPU modes, frame slots and exception vectors (#PF, #GP...).
#pragma once

#include "cpu/ring_events.h"

#include <string_view>

namespace ringlog {

/// Short upper-case name of a kind ("INT", "IRET", "SYSENTER", "exception"...).
std::string_view kind_name(cpu::RingEventKind k);
/// The category a timeline colours a kind by.
enum class KindGroup : u8 { SystemCall, Exception, Interrupt, Return, Other, Count };
KindGroup kind_group(cpu::RingEventKind k);
std::string_view group_name(KindGroup g);

std::string_view mode_name(cpu::RingMode m); ///< "real", "protected", "v86"
std::string_view slot_name(cpu::FrameSlot s); ///< "eip", "cs", "eflags"...

/// "#PF" for the architectural exception vectors 0..31, empty for the rest.
std::string_view vector_mnemonic(u8 vector);
/// "page fault" for the architectural exception vectors 0..31, empty for the rest.
std::string_view vector_description(u8 vector);

/// True for the events a summary counts as system calls: INT 0x80 and SYSENTER (and
/// SYSCALL) leaving ring 3.
bool is_system_call(const cpu::RingEvent& e);

} // namespace ringlog
