// SPDX-License-Identifier: MIT
// System-level operations shared by instruction handlers and the run loop: interrupt and
// exception delivery, segment-register loads with their protection checks, far control
// transfers, task switches, the I/O permission check, CPUID and MSRs.
// Implemented in cpu/exceptions.cpp, cpu/segmentation.cpp, cpu/tasks.cpp, cpu/cpuid.cpp and
// cpu/msr.cpp. Not here: the instruction handlers themselves (cpu/interp/).
#pragma once

#include "cpu/cpu.h"
#include "cpu/descriptors.h"
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

// ---- descriptor tables (cpu/segmentation.cpp) ----

/// Linear address of the descriptor `selector` names in the GDT or LDT. Faults with
/// `vector`(selector & 0xFFFC | ext) when it lies beyond the table limit (or the LDT is null).
Status descriptor_address(Cpu& cpu, u16 selector, u8 vector, u32 ext, u64& lin);
/// Reads the descriptor `selector` names (bounds-checked as descriptor_address).
Status read_descriptor(Cpu& cpu, u16 selector, u8 vector, u32 ext, Descriptor& d);
/// Sets the accessed bit of a code/data descriptor in memory (and in `d`) if clear.
Status set_accessed(Cpu& cpu, u16 selector, Descriptor& d);
/// Writes a TSS descriptor's busy bit in the GDT.
Status set_tss_busy(Cpu& cpu, u16 selector, bool busy);

/// Loads CS (selector with its RPL replaced by `cpl`) from a checked code descriptor and sets
/// the CPL. The caller has done every protection check.
void commit_cs(Cpu& cpu, u16 selector, const Descriptor& d, u8 cpl);

/// Checks a selector for use as SS at privilege `cpl` (SDM's rules for the new stack of a
/// privilege change): faults are `fault_vec`(sel|ext) for type/DPL/RPL and #SS(sel|ext) for
/// not present. Sets the accessed bit.
Status check_stack_segment(Cpu& cpu, u16 selector, u8 cpl, u8 fault_vec, u32 ext,
                           Descriptor& d);

/// Nulls ES/DS/FS/GS whose cached descriptor a less privileged CPL may not use (after RETF
/// or IRET to an outer level).
void null_inaccessible_data_segments(Cpu& cpu);

// ---- flags ----

/// Replaces the EFLAGS bits in `mask` with `value` (lazy flags materialised first).
void write_eflags(Cpu& cpu, u32 value, u32 mask);

// ---- far control transfers (cpu/interp/far.cpp) ----

enum class FarKind : u8 { Jmp, Call };
/// JMPF/CALLF to selector:offset (every mode). `opsize` is the instruction's operand size.
Status far_transfer(Cpu& cpu, FarKind kind, u16 selector, u64 offset, unsigned opsize);

// ---- tasks (cpu/tasks.cpp) ----

enum class TaskReason : u8 { Jmp, Call, Iret, Int };
/// Switches to the task whose TSS descriptor `d` (selector `selector`) names (SDM Vol. 3A,
/// 7.3). `return_rip` is saved as the old task's EIP. For exceptions, `has_error` pushes
/// `error` on the new task's stack. Caller has done the gate/TSS privilege checks.
Status task_switch(Cpu& cpu, u16 selector, Descriptor d, TaskReason reason, u64 return_rip,
                   bool has_error, u32 error, u32 ext);
/// The stack pointer for privilege level `dpl` from the current TSS (ESP0..2 / SP0..2).
/// Faults #TS(TR selector | ext) when the TSS is too short.
Status tss_stack(Cpu& cpu, u8 dpl, u32 ext, u16& ss, u32& esp);
/// IOPL / I/O permission bitmap check for an access of `size` bytes at `port`: #GP(0) if
/// denied.
Status check_io(Cpu& cpu, u16 port, unsigned size);

// ---- CPUID and MSRs (cpu/cpuid.cpp, cpu/msr.cpp) ----

struct CpuidResult {
    u32 eax = 0, ebx = 0, ecx = 0, edx = 0;
};
CpuidResult cpuid(const Cpu& cpu, u32 leaf, u32 subleaf);
/// RDMSR/WRMSR semantics: false for an unknown MSR or a reserved-bit write (caller #GPs).
bool read_msr(Cpu& cpu, u32 index, u64& value);
bool write_msr(Cpu& cpu, u32 index, u64 value);

} // namespace cpu
