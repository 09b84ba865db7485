// SPDX-License-Identifier: MIT
// Text form of ring-transition events (ring_text.h).
#include "tools/ringlog/ring_text.h"

#include "tools/ringlog/ring_names.h"

#include <cinttypes>
#include <cstdio>

namespace ringlog {

using cpu::RingEventKind;

std::string describe_event(const cpu::RingEvent& e) {
    char buf[96];
    std::string s;
    switch (e.kind) {
    case RingEventKind::Int:
        std::snprintf(buf, sizeof buf, "INT 0x%02x eax=%u", e.vector, e.eax);
        s = buf;
        break;
    case RingEventKind::Exception: {
        const std::string_view mn = vector_mnemonic(e.vector);
        if (mn.empty()) {
            std::snprintf(buf, sizeof buf, "exception 0x%02x", e.vector);
            s = buf;
        } else {
            s = mn;
        }
        break;
    }
    case RingEventKind::External:
        std::snprintf(buf, sizeof buf, "IRQ vec=0x%02x", e.vector);
        s = buf;
        break;
    case RingEventKind::Sysenter:
    case RingEventKind::Syscall:
    case RingEventKind::Hypercall:
        std::snprintf(buf, sizeof buf, "%s eax=%u", std::string(kind_name(e.kind)).c_str(), e.eax);
        s = buf;
        break;
    case RingEventKind::TaskSwitch:
        s = (e.flags & cpu::kRingTaskByCall)   ? "task switch by CALL"
            : (e.flags & cpu::kRingTaskByIret) ? "task switch by IRET"
                                               : "task switch by JMP";
        break;
    case RingEventKind::ModeChange:
        s = e.to_mode == cpu::RingMode::Real ? "CR0.PE cleared" : "CR0.PE set";
        break;
    default: s = kind_name(e.kind); break;
    }
    if (e.flags & cpu::kRingHasError) {
        std::snprintf(buf, sizeof buf, " err=0x%x", e.error);
        s += buf;
    }
    if (e.flags & cpu::kRingViaTaskGate) {
        s += " via task gate";
    }
    return s;
}

std::string format_event(const cpu::RingEvent& e) {
    char buf[192];
    std::string s = "ring: ";
    std::snprintf(buf, sizeof buf, "%" PRIu64 " ", e.icount);
    s += buf;
    s += describe_event(e);
    std::snprintf(buf, sizeof buf, " cpl %u->%u", e.from_cpl, e.to_cpl);
    s += buf;
    if (e.from_mode != e.to_mode) {
        s += " mode ";
        s += mode_name(e.from_mode);
        s += "->";
        s += mode_name(e.to_mode);
    }
    std::snprintf(buf, sizeof buf,
                  " cs:eip %04x:%08x -> %04x:%08x ss:esp %04x:%08x -> %04x:%08x cr3=%08x",
                  e.old_cs, e.old_eip, e.new_cs, e.new_eip, e.old_ss, e.old_esp, e.new_ss,
                  e.new_esp, e.cr3);
    s += buf;
    if (e.frame_len > 0) {
        s += e.kind == RingEventKind::Iret || e.kind == RingEventKind::FarRet ? " popped ["
                                                                               : " frame [";
        for (unsigned i = 0; i < e.frame_len; ++i) {
            const cpu::FrameSlot slot = e.slot[i];
            const bool selector = slot == cpu::FrameSlot::Cs || slot == cpu::FrameSlot::Ss ||
                                  slot == cpu::FrameSlot::Es || slot == cpu::FrameSlot::Ds ||
                                  slot == cpu::FrameSlot::Fs || slot == cpu::FrameSlot::Gs;
            const int digits = selector || e.frame_width == 2 ? 4 : 8;
            std::snprintf(buf, sizeof buf, "%s%s=%0*x", i ? " " : "",
                          std::string(slot_name(slot)).c_str(), digits, e.frame[i]);
            s += buf;
        }
        s += "]";
        if (e.params_copied) {
            std::snprintf(buf, sizeof buf, " (+%u parameters copied)", e.params_copied);
            s += buf;
        }
    }
    s += "\n";
    return s;
}

} // namespace ringlog
