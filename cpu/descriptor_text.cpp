// SPDX-License-Identifier: MIT
#include "cpu/descriptor_text.h"

#include "cpu/descriptors.h"
#include "cpu/status.h"

#include <cstdarg>
#include <cstdio>
#include <iterator>

namespace cpu {
namespace {

bool is_gate_type(u8 type) {
    return type == kSysCallGate16 || type == kSysTaskGate || type == kSysIntGate16 ||
           type == kSysTrapGate16 || type == kSysCallGate32 || type == kSysIntGate32 ||
           type == kSysTrapGate32;
}

/// The type nibble of a code or data segment (SDM Vol. 3A, Table 3-1) in words.
std::string code_data_type(u8 type) {
    std::string t;
    if (type & 8) {
        t = (type & 2) ? "execute/read" : "execute-only";
        if (type & 4) {
            t += ", conforming";
        }
    } else {
        t = (type & 2) ? "read/write" : "read-only";
        if (type & 4) {
            t += ", expand-down";
        }
    }
    if (type & 1) {
        t += ", accessed";
    }
    return t;
}

} // namespace

std::string text_printf(const char* fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    va_list again;
    va_copy(again, ap);
    const int n = std::vsnprintf(nullptr, 0, fmt, ap);
    va_end(ap);
    std::string text(n > 0 ? static_cast<usize>(n) : 0, '\0');
    if (n > 0) {
        std::vsnprintf(text.data(), text.size() + 1, fmt, again);
    }
    va_end(again);
    return text;
}

std::string vector_name(u8 vector) {
    static const char* const kNames[] = {
        "#DE", "#DB", "NMI", "#BP", "#OF", "#BR", "#UD", "#NM", "#DF", "coprocessor overrun",
        "#TS", "#NP", "#SS", "#GP", "#PF", "vector 15", "#MF", "#AC", "#MC", "#XM",
    };
    if (vector < std::size(kNames)) {
        return kNames[vector];
    }
    return text_printf("vector 0x%02x", vector);
}

std::string system_type_name(u8 type) {
    switch (type & 0xF) {
    case kSysTss16Avail: return "16-bit TSS (available)";
    case kSysLdt: return "LDT";
    case kSysTss16Busy: return "16-bit TSS (busy)";
    case kSysCallGate16: return "16-bit call gate";
    case kSysTaskGate: return "task gate";
    case kSysIntGate16: return "16-bit interrupt gate";
    case kSysTrapGate16: return "16-bit trap gate";
    case kSysTss32Avail: return "32-bit TSS (available)";
    case kSysTss32Busy: return "32-bit TSS (busy)";
    case kSysCallGate32: return "32-bit call gate";
    case kSysIntGate32: return "32-bit interrupt gate";
    case kSysTrapGate32: return "32-bit trap gate";
    default: return text_printf("reserved system type 0x%x", type & 0xF);
    }
}

std::string describe_gate(u64 raw) {
    const Descriptor d{raw};
    if (d.s() || !is_gate_type(d.type())) {
        return "not a gate: " + describe_descriptor(raw);
    }
    std::string text = text_printf("%s, DPL %u, P=%u, ", system_type_name(d.type()).c_str(),
                                     d.dpl(), d.present() ? 1 : 0);
    if (d.type() == kSysTaskGate) {
        return text + text_printf("TSS selector 0x%04x", d.gate_selector());
    }
    const bool bits16 = (d.type() & 8) == 0;
    text += text_printf("selector 0x%04x, offset 0x%08x", d.gate_selector(),
                          bits16 ? d.gate_offset() & 0xFFFF : d.gate_offset());
    if (d.type() == kSysCallGate16 || d.type() == kSysCallGate32) {
        text += text_printf(", %u parameters", d.gate_params());
    }
    return text;
}

std::string describe_descriptor(u64 raw) {
    const Descriptor d{raw};
    if (raw == 0) {
        return "null descriptor (all zero)";
    }
    if (!d.s() && is_gate_type(d.type())) {
        return describe_gate(raw);
    }
    const std::string where =
        text_printf("base 0x%08x limit 0x%08x (G=%u)", d.base(), d.limit(), d.g() ? 1 : 0);
    const std::string access = text_printf("DPL %u, P=%u", d.dpl(), d.present() ? 1 : 0);
    if (!d.s()) {
        return system_type_name(d.type()) + ", " + where + ", " + access;
    }
    return text_printf("%s segment, %s, type 0x%x (%s), %s, D/B=%u (%s)",
                         d.is_code() ? "code" : "data", where.c_str(), d.type(),
                         code_data_type(d.type()).c_str(), access.c_str(), d.db() ? 1 : 0,
                         d.db() ? "32-bit" : "16-bit");
}

std::string describe_selector(u16 selector) {
    if ((selector & 0xFFFC) == 0) {
        return text_printf("0x%04x (null)", selector);
    }
    return text_printf("0x%04x (%s index %u, RPL %u)", selector, (selector & 4) ? "LDT" : "GDT",
                         selector >> 3, selector & 3);
}

std::string describe_error_code(u8 vector, u32 error) {
    if (vector == kVecPF) {
        // SDM Vol. 3A, 4.7: P distinguishes a protection violation from a missing page.
        std::string t = (error & 1) ? "protection violation" : "not-present page";
        t += (error & 16) ? ", instruction fetch" : ((error & 2) ? ", write" : ", read");
        t += (error & 4) ? ", user" : ", supervisor";
        if (error & 8) {
            t += ", reserved bit set";
        }
        return t;
    }
    const bool selector_form =
        vector == kVecTS || vector == kVecNP || vector == kVecSS || vector == kVecGP;
    if (!selector_form || error == 0) {
        return {};
    }
    // SDM Vol. 3A, 6.13: EXT (bit 0), IDT (bit 1), TI (bit 2), index in bits 3..15.
    std::string t;
    if (error & 2) {
        t = text_printf("IDT vector %u", (error >> 3) & 0x1FFF);
    } else if ((error & 0xFFF8) == 0) {
        t = "null selector";
    } else {
        t = text_printf("%s selector 0x%04x", (error & 4) ? "LDT" : "GDT", error & 0xFFFC);
    }
    if (error & 1) {
        t += ", EXT";
    }
    return t;
}

} // namespace cpu
