// SPDX-License-Identifier: MIT
// The checks below follow deliver_real / deliver_protected in cpu/exceptions.cpp (and the
// helpers they call: descriptor_address, tss_stack, check_stack_segment, StackFrame) in the
// same order, so the first one that fails here is the one that failed there — as long as the
// tables did not change in between, which the explanation checks against the recorded fault.
#include "cpu/fault_explain.h"

#include "cpu/cpu.h"
#include "cpu/descriptor_text.h"
#include "cpu/descriptors.h"
#include "cpu/flags.h"
#include "cpu/guest_peek.h"

#include <cinttypes>
#include <utility>

namespace cpu {
namespace {

using ull = unsigned long long;

/// "#NP(0x0073: IDT vector 14, EXT)", "#DF(0)", "#UD".
std::string fault_text(const Fault& f) {
    if (!f.has_error) {
        return vector_name(f.vector);
    }
    const std::string decoded = describe_error_code(f.vector, f.error);
    if (decoded.empty()) {
        return text_printf("%s(0x%x)", vector_name(f.vector).c_str(), f.error);
    }
    return text_printf("%s(0x%04x: %s)", vector_name(f.vector).c_str(), f.error, decoded.c_str());
}

/// Re-runs the checks of one delivery, reading the tables without side effects. Every check
/// method returns false once the diagnosis is settled (a failure found, or a reason why the
/// walk cannot go on).
class Diagnoser {
public:
    Diagnoser(Cpu& cpu, DeliveryDiagnosis& out) : m_cpu(cpu), m_s(cpu.s), m_out(out) {}

    void run(const Fault& event) {
        m_event = event;
        const bool done = m_cpu.protected_mode() ? protected_mode() : real_mode();
        if (done && !m_out.found) {
            m_out.failure = "no check fails with the tables as they are now";
        }
    }

private:
    /// Settles the diagnosis on a failing check that raises vector(error).
    bool fail(u8 vector, u32 error, std::string why) {
        m_out.found = true;
        m_out.fault = Fault{vector, true, error};
        m_out.failure = std::move(why);
        return false;
    }
    /// Settles it without a failing check: the walk cannot see further.
    bool stop(std::string why) {
        m_out.failure = std::move(why);
        return false;
    }
    void use(std::string line) { m_out.used.push_back(std::move(line)); }

    /// A supervisor read of `n` bytes at `lin` (for `what`): a #PF if a page is not mapped.
    bool read(u64 lin, void* out, usize n, const std::string& what) {
        lin &= 0xFFFFFFFFu;
        if (peek_linear(m_cpu, lin, out, n)) {
            return true;
        }
        // The CPU translates the first page, then the next one from its start (the CR2 a
        // fault on it leaves).
        const u64 next_page = ((lin | 0xFFF) + 1) & 0xFFFFFFFFu;
        const bool crosses = (lin & 0xFFF) + n > 0x1000;
        for (const u64 a : {lin, next_page}) {
            if (a == next_page && !crosses) {
                break;
            }
            const PeekWalk w = peek_walk(m_cpu, a);
            if (!w.mapped) {
                m_out.fault_address = a;
                return fail(kVecPF, 0,
                            text_printf("reading %s at linear 0x%08" PRIx64 ": %s", what.c_str(),
                                        a, w.describe().c_str()));
            }
        }
        return stop(what + text_printf(" at linear 0x%08" PRIx64
                                       " is not in RAM or ROM, so it was not decoded", lin));
    }

    /// descriptor_address + read_descriptor: the descriptor `sel` names, for `role` (and its
    /// linear address in `lin_out`, when given).
    bool read_descriptor(u16 sel, u8 vector, u32 ext, const std::string& role, Descriptor& d,
                         u64* lin_out = nullptr) {
        const u32 code = (sel & 0xFFFCu) | ext;
        const bool ldt = (sel & 4) != 0;
        const char* table = ldt ? "LDT" : "GDT";
        if (ldt && ((m_s.ldtr.selector & 0xFFFC) == 0 || !(m_s.ldtr.attr & kAttrP))) {
            return fail(vector, code,
                        text_printf("%s selector 0x%04x is in the LDT, but no LDT is loaded",
                                    role.c_str(), sel));
        }
        const u64 base = ldt ? m_s.ldtr.base : m_s.gdtr.base;
        const u32 limit = ldt ? m_s.ldtr.limit : m_s.gdtr.limit;
        const u32 off = sel & 0xFFF8u;
        if (u64{off} + 7 > limit) {
            return fail(vector, code,
                        text_printf("%s selector 0x%04x lies beyond the %s limit 0x%x",
                                    role.c_str(), sel, table, limit));
        }
        const u64 lin = (base + off) & 0xFFFFFFFFu;
        if (!read(lin, &d.raw, 8, role + " descriptor")) {
            return false;
        }
        use(text_printf("%s: %s entry %u (selector 0x%04x) at linear 0x%08" PRIx64
                        ": raw 0x%016llx",
                        role.c_str(), table, sel >> 3, sel, lin, static_cast<ull>(d.raw)));
        use("  = " + describe_descriptor(d.raw));
        if (lin_out) {
            *lin_out = lin;
        }
        return true;
    }

    /// tss_stack: SSn:ESPn of the current TSS.
    bool tss_stack(u8 dpl, u32 ext, u16& ss, u32& esp) {
        const Segment& tr = m_s.tr;
        const u32 code = (tr.selector & 0xFFFCu) | ext;
        use(text_printf("TR %s: %s, base 0x%08" PRIx64 " limit 0x%08x",
                        describe_selector(tr.selector).c_str(),
                        system_type_name(tr.attr & 0xF).c_str(), tr.base, tr.limit));
        const bool tss32 = (tr.attr & 0x8) != 0;
        const u32 off = tss32 ? 4 + 8u * dpl : 2 + 4u * dpl;
        if (off + (tss32 ? 5u : 3u) > tr.limit) {
            return fail(kVecTS, code,
                        text_printf("the TSS (limit 0x%x) is too short to hold SS%u:ESP%u at "
                                    "offset 0x%x",
                                    tr.limit, dpl, dpl, off));
        }
        if (tss32) {
            u8 raw[6];
            if (!read(tr.base + off, raw, 6, text_printf("the TSS's SS%u:ESP%u", dpl, dpl))) {
                return false;
            }
            esp = u32{raw[0]} | u32{raw[1]} << 8 | u32{raw[2]} << 16 | u32{raw[3]} << 24;
            ss = static_cast<u16>(raw[4] | raw[5] << 8);
        } else {
            u8 raw[4];
            if (!read(tr.base + off, raw, 4, text_printf("the TSS's SS%u:SP%u", dpl, dpl))) {
                return false;
            }
            esp = static_cast<u32>(raw[0] | raw[1] << 8);
            ss = static_cast<u16>(raw[2] | raw[3] << 8);
        }
        use(text_printf("TSS SS%u:ESP%u = 0x%04x:0x%08x", dpl, dpl, ss, esp));
        return true;
    }

    /// check_stack_segment for the new stack of a privilege change.
    bool stack_segment(u16 sel, u8 cpl, u32 ext, Descriptor& d) {
        const u32 code = (sel & 0xFFFCu) | ext;
        const std::string role = text_printf("the TSS's SS%u", cpl);
        if ((sel & 0xFFFC) == 0) {
            return fail(kVecTS, ext, role + " is a null selector");
        }
        u64 lin = 0;
        if (!read_descriptor(sel, kVecTS, ext, role, d, &lin)) {
            return false;
        }
        if ((sel & 3) != cpl) {
            return fail(kVecTS, code,
                        text_printf("%s selector 0x%04x has RPL %u; it must be %u", role.c_str(),
                                    sel, sel & 3, cpl));
        }
        if (!d.writable_data()) {
            return fail(kVecTS, code,
                        text_printf("%s selector 0x%04x is not a writable data segment",
                                    role.c_str(), sel));
        }
        if (d.dpl() != cpl) {
            return fail(kVecTS, code,
                        text_printf("%s selector 0x%04x has DPL %u; it must be %u", role.c_str(),
                                    sel, d.dpl(), cpl));
        }
        if (!d.present()) {
            return fail(kVecSS, code,
                        text_printf("%s stack segment 0x%04x is not present (P=0)", role.c_str(),
                                    sel));
        }
        // set_accessed: the CPU writes the accessed bit into the descriptor.
        const u64 type_byte = (lin + 5) & 0xFFFFFFFFu;
        const PeekWalk w = peek_walk(m_cpu, type_byte);
        if (!(d.type() & 1) && !w.write_allowed(false, (m_s.cr0 & kCr0WP) != 0)) {
            m_out.fault_address = type_byte;
            return fail(kVecPF, (w.mapped ? 1u : 0u) | 2u,
                        text_printf("#PF setting the accessed bit of %s descriptor at linear "
                                    "0x%08" PRIx64 ": %s",
                                    role.c_str(), type_byte, w.describe().c_str()));
        }
        return true;
    }

    /// The pushes of the frame (StackFrame): segment limits, then the pages written.
    bool frame(const Segment& ss, u64 top, unsigned stack_size, unsigned psize, unsigned count,
               u32 ss_code, bool user, const char* which) {
        const u64 mask = stack_size == 2 ? 0xFFFF : 0xFFFFFFFFu;
        u64 sp = top & mask;
        use(text_printf("frame: %u bytes pushed on %s, SS:ESP 0x%04x:0x%08" PRIx64
                        " (SS base 0x%08" PRIx64 " limit 0x%08x)",
                        psize * count, which, ss.selector, sp, ss.base, ss.limit));
        const bool enforce = m_cpu.protected_mode() && !m_cpu.v86_mode();
        const bool wp = (m_s.cr0 & kCr0WP) != 0;
        for (unsigned i = 0; i < count; ++i) {
            const u64 nsp = (sp - psize) & mask;
            bool outside;
            if (enforce && (ss.attr & 0x4) && !(ss.attr & 0x8)) {
                const u64 top_off = (ss.attr & kAttrDB) ? 0xFFFFFFFFu : 0xFFFFu;
                outside = nsp <= ss.limit || nsp + psize - 1 > top_off;
            } else {
                outside = nsp + psize - 1 > ss.limit;
            }
            if (outside) {
                return fail(kVecSS, ss_code,
                            text_printf("the frame does not fit on %s: offset 0x%08" PRIx64
                                        " lies outside the stack segment's limit 0x%08x",
                                        which, nsp, ss.limit));
            }
            const u64 lin = (ss.base + nsp) & 0xFFFFFFFFu;
            const u64 next_page = ((lin | 0xFFF) + 1) & 0xFFFFFFFFu;
            const bool crosses = (lin & 0xFFF) + psize > 0x1000;
            for (const u64 a : {lin, next_page}) {
                if (a == next_page && !crosses) {
                    break;
                }
                const PeekWalk w = peek_walk(m_cpu, a);
                if (!w.write_allowed(user, wp)) {
                    m_out.fault_address = a;
                    const u32 err = (w.mapped ? 1u : 0u) | 2u | (user ? 4u : 0u);
                    return fail(kVecPF, err,
                                text_printf("#PF while pushing the frame at linear 0x%08" PRIx64
                                            " (CR2): %s",
                                            a, w.describe().c_str()));
                }
            }
            sp = nsp;
        }
        return true;
    }

    bool real_mode() {
        const u8 v = m_event.vector;
        const u64 entry = u64{v} * 4;
        use(text_printf("real mode: IVT at IDTR base 0x%08" PRIx64 " limit 0x%04x", m_s.idtr.base,
                        m_s.idtr.limit));
        if (entry + 3 > m_s.idtr.limit) {
            return fail(kVecGP, u32{v} * 8 + 2,
                        text_printf("IVT entry %u (bytes 0x%x..0x%x) lies beyond the IDT limit "
                                    "0x%x",
                                    v, static_cast<unsigned>(entry),
                                    static_cast<unsigned>(entry + 3), m_s.idtr.limit));
        }
        u8 raw[4];
        if (!read(m_s.idtr.base + entry, raw, 4, text_printf("IVT entry %u", v))) {
            return false;
        }
        use(text_printf("IVT entry %u = %04x:%04x", v, raw[2] | raw[3] << 8, raw[0] | raw[1] << 8));
        return frame(m_s.seg[kSs], m_s.gpr[kRsp], 2, 2, 3, 0, false, "the current stack");
    }

    bool task_gate(const Descriptor& gate, u32 ext) {
        const u16 sel = gate.gate_selector();
        const u32 code = (sel & 0xFFFCu) | ext;
        if (sel & 4) {
            return fail(kVecTS, code,
                        text_printf("the task gate's TSS selector 0x%04x points into the LDT",
                                    sel));
        }
        Descriptor td;
        if (!read_descriptor(sel, kVecTS, ext, "the task gate's TSS", td)) {
            return false;
        }
        if (!td.is_tss() || td.tss_busy()) {
            return fail(kVecTS, code,
                        text_printf("the task gate's selector 0x%04x does not name an available "
                                    "TSS",
                                    sel));
        }
        if (!td.present()) {
            return fail(kVecNP, code,
                        text_printf("the task gate's TSS 0x%04x is not present (P=0)", sel));
        }
        return stop(text_printf("the task switch to TSS 0x%04x failed (the new task's state is "
                                "not re-checked here)",
                                sel));
    }

    bool protected_mode() {
        const u8 v = m_event.vector;
        const u32 ext = 1; // exceptions set EXT (SDM Vol. 3A, 6.13)
        const u32 idt_code = u32{v} * 8 + 2 + ext;
        use(text_printf("IDTR base 0x%08" PRIx64 " limit 0x%04x", m_s.idtr.base,
                        m_s.idtr.limit));
        if (u32{v} * 8 + 7 > m_s.idtr.limit) {
            return fail(kVecGP, idt_code,
                        text_printf("IDT entry %u (bytes 0x%x..0x%x) lies beyond the IDT limit "
                                    "0x%x",
                                    v, v * 8u, v * 8u + 7, m_s.idtr.limit));
        }
        const u64 gate_lin = (m_s.idtr.base + u64{v} * 8) & 0xFFFFFFFFu;
        Descriptor gate;
        if (!read(gate_lin, &gate.raw, 8, text_printf("IDT entry %u", v))) {
            return false;
        }
        use(text_printf("IDT entry %u at linear 0x%08" PRIx64 ": raw 0x%016llx", v, gate_lin,
                        static_cast<ull>(gate.raw)));
        use("  = " + describe_gate(gate.raw));
        const u8 type = gate.type();
        const bool valid = !gate.s() && (type == kSysTaskGate || type == kSysIntGate16 ||
                                         type == kSysTrapGate16 || type == kSysIntGate32 ||
                                         type == kSysTrapGate32);
        if (!valid) {
            return fail(kVecGP, idt_code,
                        text_printf("IDT entry %u is not an interrupt, trap or task gate", v));
        }
        if (!gate.present()) {
            return fail(kVecNP, idt_code, text_printf("IDT entry %u: gate not present (P=0)", v));
        }
        if (type == kSysTaskGate) {
            return task_gate(gate, ext);
        }

        const u16 cs_sel = gate.gate_selector();
        const u32 cs_code = (cs_sel & 0xFFFCu) | ext;
        if ((cs_sel & 0xFFFC) == 0) {
            return fail(kVecGP, ext, text_printf("IDT entry %u: the gate's code segment "
                                                 "selector 0x%04x is null",
                                                 v, cs_sel));
        }
        Descriptor cd;
        if (!read_descriptor(cs_sel, kVecGP, ext, "the gate's code segment", cd)) {
            return false;
        }
        if (!cd.is_code()) {
            return fail(kVecGP, cs_code,
                        text_printf("the gate's code segment selector 0x%04x does not name a "
                                    "code segment",
                                    cs_sel));
        }
        if (cd.dpl() > m_s.cpl) {
            return fail(kVecGP, cs_code,
                        text_printf("the gate's code segment selector 0x%04x has DPL %u, less "
                                    "privileged than CPL %u",
                                    cs_sel, cd.dpl(), m_s.cpl));
        }
        if (!cd.present()) {
            return fail(kVecNP, cs_code,
                        text_printf("the gate's code segment 0x%04x is not present (P=0)",
                                    cs_sel));
        }
        const bool gate32 = (type & 8) != 0;
        const unsigned psize = gate32 ? 4 : 2;
        const u32 target = gate32 ? gate.gate_offset() : (gate.gate_offset() & 0xFFFF);
        const bool v86 = m_cpu.v86_mode();
        const unsigned errs = m_event.has_error ? 1 : 0;
        auto target_fits = [&] {
            if (target > cd.limit()) {
                return fail(kVecGP, ext,
                            text_printf("the handler's offset 0x%08x lies beyond its code "
                                        "segment's limit 0x%08x",
                                        target, cd.limit()));
            }
            return true;
        };

        if (!cd.conforming() && cd.dpl() < m_s.cpl) {
            const u8 ncpl = cd.dpl();
            use(text_printf("privilege change CPL %u -> %u: the stack comes from the TSS",
                            m_s.cpl, ncpl));
            if (v86 && ncpl != 0) {
                return fail(kVecGP, cs_code,
                            text_printf("virtual-8086 code can only be interrupted into ring 0 "
                                        "(the handler's segment is ring %u)",
                                        ncpl));
            }
            u16 ss_sel = 0;
            u32 esp = 0;
            Descriptor sd;
            if (!tss_stack(ncpl, ext, ss_sel, esp) || !stack_segment(ss_sel, ncpl, ext, sd) ||
                !target_fits()) {
                return false;
            }
            return frame(sd.to_segment(ss_sel), esp, sd.db() ? 4 : 2, psize,
                         (v86 ? 9 : 5) + errs, (ss_sel & 0xFFFCu) | ext, false,
                         "the new stack");
        }
        if (v86) {
            return fail(kVecGP, cs_code,
                        "virtual-8086 code can only be interrupted through a non-conforming "
                        "ring-0 code segment");
        }
        if (!target_fits()) {
            return false;
        }
        return frame(m_s.seg[kSs], m_s.gpr[kRsp], m_cpu.stack_size(), psize, 3 + errs, 0,
                     m_s.cpl == 3, "the current stack");
    }

    Cpu& m_cpu;
    const CpuState& m_s;
    DeliveryDiagnosis& m_out;
    Fault m_event;
};

/// "001b:ffff1549", or "f000:fff5" in 16-bit code.
std::string cs_eip(Cpu& cpu) {
    const u32 ip = static_cast<u32>(cpu.s.rip);
    return cpu.code_size() == 2 ? text_printf("%04x:%04x", cpu.s.seg[kCs].selector, ip & 0xFFFF)
                                : text_printf("%04x:%08x", cpu.s.seg[kCs].selector, ip);
}

const char* mode_name(Cpu& cpu) {
    if (!cpu.protected_mode()) {
        return "real mode";
    }
    if (cpu.v86_mode()) {
        return "virtual-8086 mode";
    }
    if (!cpu.paging()) {
        return "protected mode, paging off";
    }
    return (cpu.s.cr4 & kCr4PAE) ? "protected mode, PAE paging" : "protected mode, paging";
}

} // namespace

DeliveryDiagnosis diagnose_delivery(Cpu& cpu, const Fault& event) {
    DeliveryDiagnosis d;
    Diagnoser(cpu, d).run(event);
    return d;
}

std::string explain_triple_fault(Cpu& cpu) {
    const CpuState& s = cpu.s;
    const FaultChain& chain = cpu.fault_chain;
    std::string t = text_printf("triple fault: the CPU shut down after %llu instructions\n",
                                static_cast<ull>(cpu.icount));
    t += text_printf("  CS:EIP %s (CPL %u, %s)  SS:ESP %04x:%08x  EFLAGS %08x\n",
                     cs_eip(cpu).c_str(), s.cpl, mode_name(cpu),
                     s.seg[kSs].selector, static_cast<u32>(s.gpr[kRsp]), read_eflags(cpu.s));
    // The instruction that faulted has not retired, so a trace of executed instructions ends
    // before it: show its bytes.
    u8 code[8];
    const u64 pc = (s.seg[kCs].base + s.rip) & 0xFFFFFFFFu;
    if (peek_linear(cpu, pc, code, sizeof code)) {
        t += text_printf("  code at CS:EIP: %02x %02x %02x %02x %02x %02x %02x %02x\n", code[0],
                         code[1], code[2], code[3], code[4], code[5], code[6], code[7]);
    } else {
        t += text_printf("  code at CS:EIP (linear 0x%08" PRIx64 "): unreadable\n", pc);
    }
    t += text_printf("  CR0 %08x  CR2 %08x  CR3 %08x  CR4 %08x\n", static_cast<u32>(s.cr0),
                     static_cast<u32>(s.cr2), static_cast<u32>(s.cr3), static_cast<u32>(s.cr4));
    t += text_printf("  GDTR %08x limit %04x  IDTR %08x limit %04x  LDTR %04x  TR %04x\n",
                     static_cast<u32>(s.gdtr.base), s.gdtr.limit, static_cast<u32>(s.idtr.base),
                     s.idtr.limit, s.ldtr.selector, s.tr.selector);
    if (!chain.ended_in_shutdown()) {
        t += "no failed exception delivery was recorded for this shutdown\n";
        t += "verdict: unexplained shutdown\n";
        return t;
    }

    std::string line = "chain:";
    for (unsigned i = 0; i < chain.kept(); ++i) {
        line += " " + fault_text(chain.steps[i].delivering) + " ->";
    }
    t += line + " shutdown\n";

    std::string verdict;
    std::string last_why;
    for (unsigned i = 0; i < chain.kept(); ++i) {
        const DeliveryFailure& step = chain.steps[i];
        t += text_printf("step %u: delivering %s", i + 1, fault_text(step.delivering).c_str());
        if (step.delivering.vector == kVecPF) {
            t += text_printf(", CR2 %08x", static_cast<u32>(step.cr2_before));
        }
        t += "\n";
        const DeliveryDiagnosis d = diagnose_delivery(cpu, step.delivering);
        for (const std::string& u : d.used) {
            t += "  " + u + "\n";
        }
        t += "  failed: " + fault_text(step.raised);
        if (step.raised.vector == kVecPF) {
            t += text_printf(" at CR2 %08x", static_cast<u32>(step.cr2_after));
        }
        t += ": " + d.failure + "\n";
        const bool agrees =
            d.found && d.fault.vector == step.raised.vector &&
            (d.fault.vector == kVecPF ? d.fault_address == step.cr2_after
                                      : d.fault.error == step.raised.error);
        if (d.found && !agrees) {
            t += "  note: the tables as they are now fail with " + fault_text(d.fault) +
                 " instead: they changed after the delivery, or this explanation is wrong\n";
        }
        std::string why = d.found ? d.failure : "it raised " + fault_text(step.raised);
        if (why == last_why) {
            why = "the same";
        } else {
            last_why = why;
        }
        const std::string name = vector_name(step.delivering.vector);
        if (i == 0) {
            verdict = name + " at " + cs_eip(cpu) + " could not be delivered (" + why + ")";
        } else if (step.delivering.vector == kVecDF) {
            verdict += ", nor could the #DF that followed (" + why + ")";
        } else {
            verdict += ", then neither could " + name + " (" + why + ")";
        }
    }
    t += "verdict: " + verdict + ": triple fault\n";
    return t;
}

} // namespace cpu
