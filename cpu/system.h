// SPDX-License-Identifier: MIT
// System-level operations shared by instruction handlers and the run loop: interrupt and
// exception delivery, segment-register loads with their protection checks, task switches.
// Implemented in cpu/exceptions.cpp, cpu/segmentation.cpp and cpu/tasks.cpp.
#pragma once

#include "cpu/cpu.h"
#include "cpu/trace.h"

namespace cpu {

/// Delivers the pending cpu.fault as an exception whose saved EIP is cpu.s.rip (the faulting
/// instruction). Escalates to #DF and to a triple fault (CpuEnv::shutdown, Status::Stop).
Status deliver_exception(Cpu& cpu);

/// Delivers vector `vector` through the IVT/IDT with `return_rip` as the saved instruction
/// pointer. On success cpu.s.rip / next_rip point at the handler. A fault during delivery is
/// returned as Status::Fault (the caller escalates).
Status deliver_interrupt(Cpu& cpu, u8 vector, IntSource src, u64 return_rip, bool has_error,
                         u32 error);

/// Loads a data/stack segment register with MOV/POP semantics (all protection checks).
Status load_segment(Cpu& cpu, u8 seg, u16 selector);

/// Real-mode / v86 style load: base = selector * 16, attributes untouched except where the
/// SDM says (used by real mode and v86 mode).
void load_segment_real(Cpu& cpu, u8 seg, u16 selector);

/// Recomputes derived state (CPL) after CS changes.
void set_cs_cpl(Cpu& cpu);

} // namespace cpu
