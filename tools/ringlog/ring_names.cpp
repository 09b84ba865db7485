// SPDX-License-Identifier: MIT
// Name tables for ring-transition events (ring_names.h). Exception names follow the SDM,
// Vol. 3A, table 6-1.
#include "tools/ringlog/ring_names.h"

#include <array>

namespace ringlog {

using cpu::RingEventKind;

std::string_view kind_name(RingEventKind k) {
    switch (k) {
    case RingEventKind::Int: return "INT";
    case RingEventKind::Int3: return "INT3";
    case RingEventKind::Into: return "INTO";
    case RingEventKind::Int1: return "INT1";
    case RingEventKind::Exception: return "exception";
    case RingEventKind::External: return "IRQ";
    case RingEventKind::Nmi: return "NMI";
    case RingEventKind::Iret: return "IRET";
    case RingEventKind::Sysenter: return "SYSENTER";
    case RingEventKind::Sysexit: return "SYSEXIT";
    case RingEventKind::Syscall: return "SYSCALL";
    case RingEventKind::Sysret: return "SYSRET";
    case RingEventKind::CallGate: return "CALL gate";
    case RingEventKind::JmpGate: return "JMP gate";
    case RingEventKind::FarRet: return "RETF";
    case RingEventKind::TaskSwitch: return "task switch";
    case RingEventKind::ModeChange: return "CR0.PE";
    case RingEventKind::PagingOn: return "paging on";
    case RingEventKind::PagingOff: return "paging off";
    case RingEventKind::Hypercall: return "hypercall";
    case RingEventKind::Upcall: return "upcall";
    case RingEventKind::Count: break;
    }
    return "?";
}

KindGroup kind_group(RingEventKind k) {
    switch (k) {
    case RingEventKind::Int:
    case RingEventKind::Sysenter:
    case RingEventKind::Syscall:
    case RingEventKind::CallGate:
    case RingEventKind::Hypercall: return KindGroup::SystemCall;
    case RingEventKind::Int3:
    case RingEventKind::Into:
    case RingEventKind::Int1:
    case RingEventKind::Exception: return KindGroup::Exception;
    case RingEventKind::External:
    case RingEventKind::Nmi:
    case RingEventKind::Upcall: return KindGroup::Interrupt;
    case RingEventKind::Iret:
    case RingEventKind::Sysexit:
    case RingEventKind::Sysret:
    case RingEventKind::FarRet: return KindGroup::Return;
    default: return KindGroup::Other;
    }
}

std::string_view group_name(KindGroup g) {
    switch (g) {
    case KindGroup::SystemCall: return "system calls (INT n, SYSENTER, call gates)";
    case KindGroup::Exception: return "exceptions";
    case KindGroup::Interrupt: return "hardware interrupts";
    case KindGroup::Return: return "returns (IRET, SYSEXIT, RETF)";
    case KindGroup::Other: return "mode changes, task switches";
    case KindGroup::Count: break;
    }
    return "?";
}

std::string_view mode_name(cpu::RingMode m) {
    switch (m) {
    case cpu::RingMode::Real: return "real";
    case cpu::RingMode::Protected: return "protected";
    case cpu::RingMode::V86: return "v86";
    }
    return "?";
}

std::string_view slot_name(cpu::FrameSlot s) {
    static constexpr std::array<std::string_view, 10> kNames = {
        "eip", "cs", "eflags", "esp", "ss", "es", "ds", "fs", "gs", "error"};
    const auto i = static_cast<unsigned>(s);
    return i < kNames.size() ? kNames[i] : "?";
}

namespace {

struct VectorName {
    std::string_view mnemonic;
    std::string_view description;
};

constexpr std::array<VectorName, 32> kVectors = {{
    {"#DE", "divide error"},
    {"#DB", "debug"},
    {"NMI", "non-maskable interrupt"},
    {"#BP", "breakpoint"},
    {"#OF", "overflow"},
    {"#BR", "BOUND range exceeded"},
    {"#UD", "invalid opcode"},
    {"#NM", "device not available"},
    {"#DF", "double fault"},
    {"", "coprocessor segment overrun"},
    {"#TS", "invalid TSS"},
    {"#NP", "segment not present"},
    {"#SS", "stack-segment fault"},
    {"#GP", "general protection"},
    {"#PF", "page fault"},
    {"", ""},
    {"#MF", "x87 floating-point error"},
    {"#AC", "alignment check"},
    {"#MC", "machine check"},
    {"#XM", "SIMD floating-point exception"},
    {"#VE", "virtualization exception"},
    {"#CP", "control protection"},
}};

} // namespace

std::string_view vector_mnemonic(u8 vector) {
    return vector < kVectors.size() ? kVectors[vector].mnemonic : std::string_view{};
}

std::string_view vector_description(u8 vector) {
    return vector < kVectors.size() ? kVectors[vector].description : std::string_view{};
}

bool is_system_call(const cpu::RingEvent& e) {
    if (e.from_cpl != 3 || e.from_mode != cpu::RingMode::Protected) {
        return false;
    }
    return (e.kind == RingEventKind::Int && e.vector == 0x80) ||
           e.kind == RingEventKind::Sysenter || e.kind == RingEventKind::Syscall;
}

} // namespace ringlog
