// SPDX-License-Identifier: MIT
// Ring-transition events: what the CPU reports, through a RingEventSink, each time it changes
// privilege level or operating mode (INT/IRET, SYSENTER/SYSEXIT, call gates and far returns,
// task switches, exception and interrupt delivery, CR0.PE/PG changes). The ring log
// (tools/ringlog) is the sink tx86 ships; the hooks that fill these events are
// cpu/ring_hooks.{h,cpp}. This header is plain data plus an interface: it includes nothing of
// the CPU, so tools can read and write events without linking it.
#pragma once

#include "base/types.h"

namespace cpu {

/// What kind of transition an event records. The values are stored in ring log files
/// (tools/ringlog/ring_record.h): append new kinds before Count, never renumber.
enum class RingEventKind : u8 {
    Int,        ///< INT n (software interrupt through the IDT/IVT)
    Int3,       ///< INT3 (breakpoint trap, vector 3)
    Into,       ///< INTO with OF set (vector 4)
    Int1,       ///< INT1 / ICEBP (vector 1, no gate DPL check)
    Exception,  ///< a fault or trap the CPU raised, delivered through the IDT/IVT
    External,   ///< a hardware interrupt (INTR from the PIC/APIC)
    Nmi,        ///< the non-maskable interrupt
    Iret,       ///< IRET (same level, to an outer level, or to virtual-8086 mode)
    Sysenter,   ///< SYSENTER (to ring 0)
    Sysexit,    ///< SYSEXIT (to ring 3)
    Syscall,    ///< SYSCALL (64-bit only: reserved until long mode exists)
    Sysret,     ///< SYSRET (as Syscall)
    CallGate,   ///< far CALL through a call gate
    JmpGate,    ///< far JMP through a call gate
    FarRet,     ///< far RET to an outer privilege level
    TaskSwitch, ///< hardware task switch by far JMP/CALL or nested IRET (INT through a task
                ///< gate is reported as its delivery, with kRingViaTaskGate set)
    ModeChange, ///< CR0.PE set or cleared (real <-> protected mode)
    PagingOn,   ///< CR0.PG set
    PagingOff,  ///< CR0.PG cleared
    Hypercall,  ///< VMCALL handled by the machine (the paravirtual layer, when it exists)
    Upcall,     ///< an event delivered by the paravirtual layer (not produced yet)
    Count
};

/// The CPU's operating mode before and after an event.
enum class RingMode : u8 { Real, Protected, V86 };

/// What one word of a pushed or popped frame holds.
enum class FrameSlot : u8 { Eip, Cs, Eflags, Esp, Ss, Es, Ds, Fs, Gs, Error };

/// Event flags (RingEvent::flags).
inline constexpr u8 kRingHasError = 1u << 0;    ///< `error` is meaningful (pushed or delivered)
inline constexpr u8 kRingViaTaskGate = 1u << 1; ///< a delivery that switched tasks
inline constexpr u8 kRingTaskByCall = 1u << 2;  ///< TaskSwitch caused by far CALL
inline constexpr u8 kRingTaskByIret = 1u << 3;  ///< TaskSwitch caused by IRET (else far JMP)

/// One transition. Old values are taken when the transition starts, new ones once it has
/// completed; an instruction that faults half-way reports nothing (its exception does).
struct RingEvent {
    static constexpr unsigned kMaxFrame = 10; ///< v86 interrupt: GS FS DS ES SS ESP EFLAGS CS EIP error

    /// Guest instructions retired before the transition took effect. An instruction that
    /// transfers control (INT, IRET, SYSENTER...) counts as retired in the old ring; a fault
    /// or an external interrupt happens between instructions. Instructions run between two
    /// events therefore belong to the CPL the first one left the CPU in, exactly.
    u64 icount = 0;
    RingEventKind kind = RingEventKind::Int;
    u8 from_cpl = 0, to_cpl = 0;
    RingMode from_mode = RingMode::Real, to_mode = RingMode::Real;
    u8 vector = 0; ///< interrupt/exception vector (deliveries)
    u8 flags = 0;  ///< kRing* bits
    u32 error = 0; ///< error code (kRingHasError)
    /// CS:EIP when the transition started: the instruction that caused it (INT, IRET, the
    /// faulting instruction) or, for an external interrupt, the one about to run.
    u16 old_cs = 0, new_cs = 0;
    u32 old_eip = 0, new_eip = 0;
    u16 old_ss = 0, new_ss = 0;
    u32 old_esp = 0, new_esp = 0;
    u32 cr3 = 0; ///< CR3 after the transition (the address space the CPU continues in)
    u32 eax = 0; ///< EAX before the transition: the system call number for INT 0x80/SYSENTER
    u32 cr0 = 0; ///< CR0 after the transition (PE/PG say the mode)

    /// The words written to the new stack (INT, exceptions, call gates) or read back from it
    /// (IRET, far RET), listed from the highest address down: the order a push sequence
    /// writes them, so an INT frame and the IRET that unwinds it read the same.
    u8 frame_len = 0;
    u8 frame_width = 0;   ///< bytes per frame word (2 or 4)
    u8 params_copied = 0; ///< call gate: parameters copied between ESP and CS (not listed)
    FrameSlot slot[kMaxFrame] = {};
    u32 frame[kMaxFrame] = {};

    void push_frame(FrameSlot s, u32 value) {
        if (frame_len < kMaxFrame) {
            slot[frame_len] = s;
            frame[frame_len] = value;
            ++frame_len;
        }
    }
};

/// Receives ring-transition events. Cpu::ring_events is null by default, so a run nobody
/// watches pays one predictable pointer test per transition.
class RingEventSink {
public:
    virtual ~RingEventSink() = default;
    /// Called once per transition, after it has completed.
    virtual void on_ring_event(const RingEvent& e) = 0;
};

} // namespace cpu
