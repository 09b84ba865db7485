// SPDX-License-Identifier: MIT
#include "frontend/gdb_regs.h"

#include "cpu/cpu.h"
#include "cpu/descriptors.h"
#include "cpu/flags.h"
#include "frontend/debug_memory.h"

#include <array>
#include <cstring>
#include <initializer_list>
#include <string>

namespace frontend::gdb {
namespace {

enum class Feature : u8 { Core, Sse, System };

/// Where a register's value lives in cpu::CpuState.
enum class Kind : u8 {
    Gpr, Eip, Eflags, Selector, St, FpuControl, Xmm, Mxcsr, SegBase, Cr, Efer, TableBase,
    TableLimit, SystemSelector,
};

/// One register. `index` selects within its kind (GPR number, segment index, x87 slot, ...).
struct Row {
    const char* name;
    u8 bytes;
    const char* type;  ///< XML type: a gdb predefined type or one defined in target_xml()
    const char* group; ///< XML group, or nullptr (gdb's default for the type)
    Feature feature;
    Kind kind;
    u8 index;
};

constexpr u8 kGdtr = 0, kIdtr = 1, kLdtr = 0, kTr = 1;

// The order is gdb's register numbering; the core and SSE rows are the ones gdb's i386
// architecture requires by name and number.
constexpr std::array kRows = {
    Row{"eax", 4, "int32", nullptr, Feature::Core, Kind::Gpr, cpu::kRax},
    Row{"ecx", 4, "int32", nullptr, Feature::Core, Kind::Gpr, cpu::kRcx},
    Row{"edx", 4, "int32", nullptr, Feature::Core, Kind::Gpr, cpu::kRdx},
    Row{"ebx", 4, "int32", nullptr, Feature::Core, Kind::Gpr, cpu::kRbx},
    Row{"esp", 4, "data_ptr", nullptr, Feature::Core, Kind::Gpr, cpu::kRsp},
    Row{"ebp", 4, "data_ptr", nullptr, Feature::Core, Kind::Gpr, cpu::kRbp},
    Row{"esi", 4, "int32", nullptr, Feature::Core, Kind::Gpr, cpu::kRsi},
    Row{"edi", 4, "int32", nullptr, Feature::Core, Kind::Gpr, cpu::kRdi},
    Row{"eip", 4, "code_ptr", nullptr, Feature::Core, Kind::Eip, 0},
    Row{"eflags", 4, "i386_eflags", nullptr, Feature::Core, Kind::Eflags, 0},
    Row{"cs", 4, "int32", nullptr, Feature::Core, Kind::Selector, cpu::kCs},
    Row{"ss", 4, "int32", nullptr, Feature::Core, Kind::Selector, cpu::kSs},
    Row{"ds", 4, "int32", nullptr, Feature::Core, Kind::Selector, cpu::kDs},
    Row{"es", 4, "int32", nullptr, Feature::Core, Kind::Selector, cpu::kEs},
    Row{"fs", 4, "int32", nullptr, Feature::Core, Kind::Selector, cpu::kFs},
    Row{"gs", 4, "int32", nullptr, Feature::Core, Kind::Selector, cpu::kGs},
    Row{"st0", 10, "i387_ext", nullptr, Feature::Core, Kind::St, 0},
    Row{"st1", 10, "i387_ext", nullptr, Feature::Core, Kind::St, 1},
    Row{"st2", 10, "i387_ext", nullptr, Feature::Core, Kind::St, 2},
    Row{"st3", 10, "i387_ext", nullptr, Feature::Core, Kind::St, 3},
    Row{"st4", 10, "i387_ext", nullptr, Feature::Core, Kind::St, 4},
    Row{"st5", 10, "i387_ext", nullptr, Feature::Core, Kind::St, 5},
    Row{"st6", 10, "i387_ext", nullptr, Feature::Core, Kind::St, 6},
    Row{"st7", 10, "i387_ext", nullptr, Feature::Core, Kind::St, 7},
    Row{"fctrl", 4, "int", "float", Feature::Core, Kind::FpuControl, 0},
    Row{"fstat", 4, "int", "float", Feature::Core, Kind::FpuControl, 1},
    Row{"ftag", 4, "int", "float", Feature::Core, Kind::FpuControl, 2},
    Row{"fiseg", 4, "int", "float", Feature::Core, Kind::FpuControl, 3},
    Row{"fioff", 4, "int", "float", Feature::Core, Kind::FpuControl, 4},
    Row{"foseg", 4, "int", "float", Feature::Core, Kind::FpuControl, 5},
    Row{"fooff", 4, "int", "float", Feature::Core, Kind::FpuControl, 6},
    Row{"fop", 4, "int", "float", Feature::Core, Kind::FpuControl, 7},
    Row{"xmm0", 16, "vec128", nullptr, Feature::Sse, Kind::Xmm, 0},
    Row{"xmm1", 16, "vec128", nullptr, Feature::Sse, Kind::Xmm, 1},
    Row{"xmm2", 16, "vec128", nullptr, Feature::Sse, Kind::Xmm, 2},
    Row{"xmm3", 16, "vec128", nullptr, Feature::Sse, Kind::Xmm, 3},
    Row{"xmm4", 16, "vec128", nullptr, Feature::Sse, Kind::Xmm, 4},
    Row{"xmm5", 16, "vec128", nullptr, Feature::Sse, Kind::Xmm, 5},
    Row{"xmm6", 16, "vec128", nullptr, Feature::Sse, Kind::Xmm, 6},
    Row{"xmm7", 16, "vec128", nullptr, Feature::Sse, Kind::Xmm, 7},
    Row{"mxcsr", 4, "i386_mxcsr", "vector", Feature::Sse, Kind::Mxcsr, 0},
    Row{"cs_base", 4, "data_ptr", nullptr, Feature::System, Kind::SegBase, cpu::kCs},
    Row{"ss_base", 4, "data_ptr", nullptr, Feature::System, Kind::SegBase, cpu::kSs},
    Row{"ds_base", 4, "data_ptr", nullptr, Feature::System, Kind::SegBase, cpu::kDs},
    Row{"es_base", 4, "data_ptr", nullptr, Feature::System, Kind::SegBase, cpu::kEs},
    Row{"fs_base", 4, "data_ptr", nullptr, Feature::System, Kind::SegBase, cpu::kFs},
    Row{"gs_base", 4, "data_ptr", nullptr, Feature::System, Kind::SegBase, cpu::kGs},
    Row{"cr0", 4, "tx86_cr0", nullptr, Feature::System, Kind::Cr, 0},
    Row{"cr2", 4, "data_ptr", nullptr, Feature::System, Kind::Cr, 2},
    Row{"cr3", 4, "uint32", nullptr, Feature::System, Kind::Cr, 3},
    Row{"cr4", 4, "tx86_cr4", nullptr, Feature::System, Kind::Cr, 4},
    Row{"efer", 4, "tx86_efer", nullptr, Feature::System, Kind::Efer, 0},
    Row{"gdtr_base", 4, "data_ptr", nullptr, Feature::System, Kind::TableBase, kGdtr},
    Row{"gdtr_limit", 4, "uint32", nullptr, Feature::System, Kind::TableLimit, kGdtr},
    Row{"idtr_base", 4, "data_ptr", nullptr, Feature::System, Kind::TableBase, kIdtr},
    Row{"idtr_limit", 4, "uint32", nullptr, Feature::System, Kind::TableLimit, kIdtr},
    Row{"ldtr", 4, "uint32", nullptr, Feature::System, Kind::SystemSelector, kLdtr},
    Row{"tr", 4, "uint32", nullptr, Feature::System, Kind::SystemSelector, kTr},
};

// ---- the XML ----

struct FlagBit {
    const char* name;
    u8 start;
    u8 end;
};

/// Flag types: EFLAGS, MXCSR, CR0, CR4 and EFER bits (SDM Vol. 1 3.4.3, 10.2.3; Vol. 3A 2.5,
/// 2.2.1). gdb prints the set ones by name, e.g. "[ PG WP PE ]".
void append_flags(std::string& x, const char* id, std::initializer_list<FlagBit> bits) {
    x += "  <flags id=\"";
    x += id;
    x += "\" size=\"4\">\n";
    for (const FlagBit& b : bits) {
        x += "    <field name=\"" + std::string(b.name) + "\" start=\"" + std::to_string(b.start) +
             "\" end=\"" + std::to_string(b.end) + "\"/>\n";
    }
    x += "  </flags>\n";
}

void append_regs(std::string& x, Feature f) {
    for (usize i = 0; i < kRows.size(); ++i) {
        const Row& r = kRows[i];
        if (r.feature != f) {
            continue;
        }
        x += "  <reg name=\"" + std::string(r.name) + "\" bitsize=\"" + std::to_string(r.bytes * 8) +
             "\" type=\"" + r.type + "\" regnum=\"" + std::to_string(i) + "\"";
        if (r.group) {
            x += " group=\"" + std::string(r.group) + "\"";
        }
        x += "/>\n";
    }
}

std::string build_xml() {
    std::string x = "<?xml version=\"1.0\"?>\n<!DOCTYPE target SYSTEM \"gdb-target.dtd\">\n"
                    "<target version=\"1.0\">\n<architecture>i386</architecture>\n";
    x += "<feature name=\"org.gnu.gdb.i386.core\">\n";
    append_flags(x, "i386_eflags",
                 {{"CF", 0, 0}, {"", 1, 1}, {"PF", 2, 2}, {"AF", 4, 4}, {"ZF", 6, 6}, {"SF", 7, 7},
                  {"TF", 8, 8}, {"IF", 9, 9}, {"DF", 10, 10}, {"OF", 11, 11}, {"NT", 14, 14},
                  {"RF", 16, 16}, {"VM", 17, 17}, {"AC", 18, 18}, {"VIF", 19, 19},
                  {"VIP", 20, 20}, {"ID", 21, 21}});
    append_regs(x, Feature::Core);
    x += "</feature>\n<feature name=\"org.gnu.gdb.i386.sse\">\n";
    x += "  <vector id=\"v4f\" type=\"ieee_single\" count=\"4\"/>\n"
         "  <vector id=\"v2d\" type=\"ieee_double\" count=\"2\"/>\n"
         "  <vector id=\"v16i8\" type=\"int8\" count=\"16\"/>\n"
         "  <vector id=\"v8i16\" type=\"int16\" count=\"8\"/>\n"
         "  <vector id=\"v4i32\" type=\"int32\" count=\"4\"/>\n"
         "  <vector id=\"v2i64\" type=\"int64\" count=\"2\"/>\n"
         "  <union id=\"vec128\">\n"
         "    <field name=\"v4_float\" type=\"v4f\"/>\n"
         "    <field name=\"v2_double\" type=\"v2d\"/>\n"
         "    <field name=\"v16_int8\" type=\"v16i8\"/>\n"
         "    <field name=\"v8_int16\" type=\"v8i16\"/>\n"
         "    <field name=\"v4_int32\" type=\"v4i32\"/>\n"
         "    <field name=\"v2_int64\" type=\"v2i64\"/>\n"
         "    <field name=\"uint128\" type=\"uint128\"/>\n"
         "  </union>\n";
    append_flags(x, "i386_mxcsr",
                 {{"IE", 0, 0}, {"DE", 1, 1}, {"ZE", 2, 2}, {"OE", 3, 3}, {"UE", 4, 4},
                  {"PE", 5, 5}, {"DAZ", 6, 6}, {"IM", 7, 7}, {"DM", 8, 8}, {"ZM", 9, 9},
                  {"OM", 10, 10}, {"UM", 11, 11}, {"PM", 12, 12}, {"FZ", 15, 15}});
    append_regs(x, Feature::Sse);
    x += "</feature>\n<feature name=\"org.tx86.i386.system\">\n";
    append_flags(x, "tx86_cr0",
                 {{"PE", 0, 0}, {"MP", 1, 1}, {"EM", 2, 2}, {"TS", 3, 3}, {"ET", 4, 4},
                  {"NE", 5, 5}, {"WP", 16, 16}, {"AM", 18, 18}, {"NW", 29, 29}, {"CD", 30, 30},
                  {"PG", 31, 31}});
    append_flags(x, "tx86_cr4",
                 {{"VME", 0, 0}, {"PVI", 1, 1}, {"TSD", 2, 2}, {"DE", 3, 3}, {"PSE", 4, 4},
                  {"PAE", 5, 5}, {"MCE", 6, 6}, {"PGE", 7, 7}, {"PCE", 8, 8},
                  {"OSFXSR", 9, 9}, {"OSXMMEXCPT", 10, 10}});
    append_flags(x, "tx86_efer", {{"SCE", 0, 0}, {"LME", 8, 8}, {"LMA", 10, 10}, {"NXE", 11, 11}});
    append_regs(x, Feature::System);
    x += "</feature>\n</target>\n";
    return x;
}

// ---- values ----

void put(std::vector<u8>& out, u64 v, unsigned bytes) {
    for (unsigned i = 0; i < bytes; ++i) {
        out.push_back(static_cast<u8>(v >> (8 * i)));
    }
}

u64 get(const u8* p, unsigned bytes) {
    u64 v = 0;
    for (unsigned i = 0; i < bytes && i < 8; ++i) {
        v |= u64{p[i]} << (8 * i);
    }
    return v;
}

unsigned fpu_top(const cpu::CpuState& s) { return (s.fpu.fsw >> 11) & 7; }

u32 fpu_control(const cpu::CpuState& s, unsigned i) {
    switch (i) {
    case 0: return s.fpu.fcw;
    case 1: return s.fpu.fsw;
    case 2: return s.fpu.ftw;
    case 3: return s.fpu.fcs;
    case 4: return s.fpu.fip;
    case 5: return s.fpu.fds;
    case 6: return s.fpu.fdp;
    default: return s.fpu.fop;
    }
}

void set_fpu_control(cpu::CpuState& s, unsigned i, u32 v) {
    switch (i) {
    case 0: s.fpu.fcw = static_cast<u16>(v); break;
    case 1: s.fpu.fsw = static_cast<u16>(v); break;
    case 2: s.fpu.ftw = static_cast<u16>(v); break;
    case 3: s.fpu.fcs = static_cast<u16>(v); break;
    case 4: s.fpu.fip = v; break;
    case 5: s.fpu.fds = static_cast<u16>(v); break;
    case 6: s.fpu.fdp = v; break;
    default: s.fpu.fop = static_cast<u16>(v & 0x7FF); break;
    }
}

/// Loads a segment register as a debugger would: the selector with the descriptor it names
/// (real and v8086 mode: base = selector * 16). No privilege checks, but the descriptor must
/// be a present code/data descriptor; CS cannot be changed in protected mode (its descriptor
/// decides the CPL and code size the translator keys its blocks on).
bool load_selector(cpu::Cpu& c, unsigned seg, u16 sel) {
    cpu::CpuState& s = c.s;
    if (s.seg[seg].selector == sel) {
        return true;
    }
    if (!c.protected_mode() || c.v86_mode()) {
        s.seg[seg].selector = sel;
        s.seg[seg].base = u64{sel} << 4;
        return true;
    }
    if (seg == cpu::kCs) {
        return false;
    }
    if ((sel & ~3u) == 0) {
        if (seg == cpu::kSs) {
            return false;
        }
        s.seg[seg] = cpu::Segment{sel, 0, 0, 0}; // null selector: unusable
        return true;
    }
    const cpu::Segment& table = (sel & 4) ? s.ldtr : cpu::Segment{0, 0, s.gdtr.limit, s.gdtr.base};
    const u32 offset = sel & ~7u;
    if (offset + 7 > table.limit) {
        return false;
    }
    u8 raw[8];
    if (!debug_read_linear(c, table.base + offset, raw, 8)) {
        return false;
    }
    cpu::Descriptor d;
    std::memcpy(&d.raw, raw, 8);
    if (!d.s() || !d.present()) {
        return false;
    }
    s.seg[seg] = d.to_segment(sel);
    return true;
}

} // namespace

unsigned register_count() { return static_cast<unsigned>(kRows.size()); }

RegInfo register_info(unsigned regno) {
    const Row& r = kRows[regno];
    const bool fpu_sse = r.kind == Kind::St || r.kind == Kind::FpuControl || r.kind == Kind::Xmm ||
                         r.kind == Kind::Mxcsr;
    return RegInfo{r.name, r.bytes, !fpu_sse};
}

int register_number(std::string_view name) {
    for (usize i = 0; i < kRows.size(); ++i) {
        if (name == kRows[i].name) {
            return static_cast<int>(i);
        }
    }
    return -1;
}

const std::string& target_xml() {
    static const std::string xml = build_xml();
    return xml;
}

std::vector<u8> read_register(cpu::Cpu& c, unsigned regno) {
    std::vector<u8> out;
    if (regno >= kRows.size()) {
        return out;
    }
    const Row& r = kRows[regno];
    cpu::CpuState& s = c.s;
    switch (r.kind) {
    case Kind::Gpr: put(out, s.gpr[r.index], r.bytes); break;
    case Kind::Eip: put(out, s.rip, r.bytes); break;
    case Kind::Eflags: put(out, cpu::read_eflags(s), r.bytes); break;
    case Kind::Selector: put(out, s.seg[r.index].selector, r.bytes); break;
    case Kind::St: {
        // ST(i) is relative to the stack top; the state holds physical registers.
        const cpu::Float80& f = s.fpu.st[(fpu_top(s) + r.index) & 7];
        put(out, f.mant, 8);
        put(out, f.sign_exp, 2);
        break;
    }
    case Kind::FpuControl: put(out, fpu_control(s, r.index), r.bytes); break;
    case Kind::Xmm:
        put(out, s.sse.xmm[r.index].lo, 8);
        put(out, s.sse.xmm[r.index].hi, 8);
        break;
    case Kind::Mxcsr: put(out, s.sse.mxcsr, r.bytes); break;
    case Kind::SegBase: put(out, s.seg[r.index].base, r.bytes); break;
    case Kind::Cr: {
        const u64 v = r.index == 0 ? s.cr0 : r.index == 2 ? s.cr2 : r.index == 3 ? s.cr3 : s.cr4;
        put(out, v, r.bytes);
        break;
    }
    case Kind::Efer: put(out, s.efer, r.bytes); break;
    case Kind::TableBase: put(out, r.index == kGdtr ? s.gdtr.base : s.idtr.base, r.bytes); break;
    case Kind::TableLimit: put(out, r.index == kGdtr ? s.gdtr.limit : s.idtr.limit, r.bytes); break;
    case Kind::SystemSelector:
        put(out, r.index == kLdtr ? s.ldtr.selector : s.tr.selector, r.bytes);
        break;
    }
    return out;
}

bool write_register(cpu::Cpu& c, unsigned regno, const std::vector<u8>& value) {
    if (regno >= kRows.size() || value.size() != kRows[regno].bytes) {
        return false;
    }
    const Row& r = kRows[regno];
    cpu::CpuState& s = c.s;
    const u64 v = get(value.data(), r.bytes);
    switch (r.kind) {
    case Kind::Gpr: c.set_reg(r.index, 4, v); return true;
    case Kind::Eip: s.rip = v & 0xFFFFFFFFu; return true;
    case Kind::Eflags: {
        // Reserved bits keep their fixed values; VM stays (entering or leaving v8086 mode
        // takes more than a flag write).
        constexpr u32 kWritable = 0x003F7FD5u & ~u32{cpu::kVM};
        cpu::flush_flags(s);
        s.eflags = (s.eflags & ~kWritable) | (static_cast<u32>(v) & kWritable) | cpu::kFixed1;
        return true;
    }
    case Kind::Selector: return load_selector(c, r.index, static_cast<u16>(v));
    case Kind::St: {
        cpu::Float80& f = s.fpu.st[(fpu_top(s) + r.index) & 7];
        f.mant = get(value.data(), 8);
        f.sign_exp = static_cast<u16>(get(value.data() + 8, 2));
        return true;
    }
    case Kind::FpuControl: set_fpu_control(s, r.index, static_cast<u32>(v)); return true;
    case Kind::Xmm:
        s.sse.xmm[r.index].lo = get(value.data(), 8);
        s.sse.xmm[r.index].hi = get(value.data() + 8, 8);
        return true;
    case Kind::Mxcsr: s.sse.mxcsr = static_cast<u32>(v) & 0xFFFF; return true;
    case Kind::SegBase: s.seg[r.index].base = v; return true;
    case Kind::Cr:
    case Kind::Efer: {
        u64& reg = r.kind == Kind::Efer ? s.efer
                   : r.index == 0       ? s.cr0
                   : r.index == 2       ? s.cr2
                   : r.index == 3       ? s.cr3
                                        : s.cr4;
        if (reg != v) {
            reg = v;
            if (r.index != 2 || r.kind == Kind::Efer) {
                c.tlb_flush_all(); // new paging state: translations and cached lookups go
            }
        }
        return true;
    }
    case Kind::TableBase: (r.index == kGdtr ? s.gdtr.base : s.idtr.base) = v; return true;
    case Kind::TableLimit:
        (r.index == kGdtr ? s.gdtr.limit : s.idtr.limit) = static_cast<u32>(v & 0xFFFF);
        return true;
    case Kind::SystemSelector:
        return v == (r.index == kLdtr ? s.ldtr.selector : s.tr.selector);
    }
    return false;
}

std::vector<u8> read_all_registers(cpu::Cpu& c) {
    std::vector<u8> out;
    for (unsigned i = 0; i < kRows.size(); ++i) {
        const std::vector<u8> r = read_register(c, i);
        out.insert(out.end(), r.begin(), r.end());
    }
    return out;
}

bool write_all_registers(cpu::Cpu& c, const std::vector<u8>& data) {
    usize pos = 0;
    for (unsigned i = 0; i < kRows.size() && pos < data.size(); ++i) {
        const usize n = kRows[i].bytes;
        if (pos + n > data.size()) {
            return false;
        }
        const std::vector<u8> value(data.begin() + static_cast<std::ptrdiff_t>(pos),
                                    data.begin() + static_cast<std::ptrdiff_t>(pos + n));
        if (read_register(c, i) != value && !write_register(c, i, value)) {
            return false;
        }
        pos += n;
    }
    return true;
}

} // namespace frontend::gdb
