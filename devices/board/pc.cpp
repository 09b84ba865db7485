// SPDX-License-Identifier: MIT
#include "devices/board/pc.h"

#include "base/log.h"
#include "cpu/interp/interpreter.h"
#include "translator/jit_engine.h"
#include "translator/lockstep.h"
#include "devices/acpi/madt.h"
#include "devices/acpi/tables.h"
#include "devices/firmware/mptable.h"
#include "devices/firmware/smbios.h"
#include "devices/intc/apic_layout.h"

#include <algorithm>
#include <chrono>
#include <thread>
#include <ctime>
#include <fstream>
#include <iterator>
#include <random>

namespace devices {
namespace {

bool read_file(const std::string& path, std::vector<u8>& out, std::string& error,
               const char* what) {
    std::ifstream f(path, std::ios::binary);
    if (!f) {
        error = std::string("cannot open ") + what + " '" + path + "'";
        return false;
    }
    out.assign(std::istreambuf_iterator<char>(f), std::istreambuf_iterator<char>());
    if (f.bad()) {
        error = std::string("cannot read ") + what + " '" + path + "'";
        return false;
    }
    return true;
}

constexpr u64 kLowRomBase = 0xE0000;
constexpr u64 kLowRomSize = 0x20000;
constexpr u64 kShadowBase = 0xC0000;
constexpr u64 kShadowSize = 0x40000;
/// Direct boot: ACPI tables in the top 64 KiB of RAM, the RSDP and MP table in the BIOS area.
constexpr u64 kAcpiReserve = 0x10000;
constexpr u64 kRsdpAddr = 0xF0000;
constexpr u64 kMpTableAddr = 0xF1000;
constexpr u64 kSmbiosEntryAddr = 0xF0100;
constexpr u64 kSmbiosTableAddr = 0xF2000;
constexpr u16 kPmBase = 0x600;
/// Longest CPU run between two looks at host input (instructions).
constexpr u64 kMaxChunk = 200000;

} // namespace

PcBoard::PcBoard() = default;
PcBoard::~PcBoard() = default;

std::string PcBoard::load_bios(const std::string& path) {
    std::string err;
    if (!read_file(path, m_bios, err, "BIOS image")) {
        return err;
    }
    if (m_bios.empty()) {
        return "BIOS image '" + path + "' is empty";
    }
    if (m_bios.size() % 4096 != 0 || m_bios.size() > (16u << 20)) {
        return "BIOS image '" + path + "' must be a multiple of 4 KiB and at most 16 MiB (is " +
               std::to_string(m_bios.size()) + " bytes)";
    }
    const u64 size = m_bios.size();
    // The whole image ends at 4 GiB; its last 128 KiB (all of it if smaller) also ends at 1 MiB.
    m_phys.map_host((u64{1} << 32) - size, size, m_bios.data(), false, "bios");
    const u64 low = std::min<u64>(size, 128u << 10);
    m_phys.map_host((1u << 20) - low, low, m_bios.data() + size - low, false, "bios-low");
    return {};
}

void PcBoard::build_e820() {
    m_e820.clear();
    m_e820.push_back({0, 0x9FC00, 1});
    m_e820.push_back({0x9FC00, 0x400, 2});
    m_e820.push_back({kLowRomBase, kLowRomSize, 2});
    m_e820.push_back({0x100000, m_ram_usable_top - 0x100000, 1});
    if (m_ram_usable_top < m_ram_below_4g) {
        m_e820.push_back({m_ram_usable_top, m_ram_below_4g - m_ram_usable_top, 3}); // ACPI
    }
    if (!m_bios.empty()) {
        m_e820.push_back({(u64{1} << 32) - m_bios.size(), m_bios.size(), 2});
    }
}

void PcBoard::fill_cmos() {
    Mc146818& r = *m_rtc;
    r.cmos_write(0x10, 0x00); // no floppy drives
    r.cmos_write(0x12, 0x00); // no (CMOS-described) hard disks
    r.cmos_write(0x14, 0x02); // equipment: math coprocessor present, VGA/EGA
    r.cmos_write(0x15, 0x80); // base memory 640 KiB (0x0280)
    r.cmos_write(0x16, 0x02);
    const u64 ext_k = std::min<u64>((m_ram_below_4g - 0x100000) >> 10, 0xFFFF);
    r.cmos_write(0x17, static_cast<u8>(ext_k));
    r.cmos_write(0x18, static_cast<u8>(ext_k >> 8));
    r.cmos_write(0x30, static_cast<u8>(ext_k));
    r.cmos_write(0x31, static_cast<u8>(ext_k >> 8));
    const u64 above16 =
        m_ram_below_4g > (16u << 20) ? std::min<u64>((m_ram_below_4g - (16u << 20)) >> 16, 0xFFFF) : 0;
    r.cmos_write(0x34, static_cast<u8>(above16));
    r.cmos_write(0x35, static_cast<u8>(above16 >> 8));
    r.cmos_write(0x5F, 0x00); // number of CPUs - 1
}

std::string PcBoard::create(const BoardConfig& config) {
    m_config = config;
    if (config.ram_bytes < (2u << 20) || config.ram_bytes > (3584ull << 20)) {
        return "memory size must be between 2 MiB and 3584 MiB";
    }
    m_ram_below_4g = (config.ram_bytes + 0xFFF) & ~u64{0xFFF};
    m_ram_usable_top = m_ram_below_4g - (config.kernel_path.empty() ? 0 : kAcpiReserve);
    m_phys.add_ram(0, 0xA0000, "ram-low");
    m_phys.add_ram(1u << 20, m_ram_below_4g - (1u << 20), "ram-high");

    if (config.kernel_path.empty()) {
        if (std::string e = load_bios(config.bios_path); !e.empty()) {
            return e;
        }
        m_shadow.assign(kShadowSize, 0);
    } else {
        // Direct boot has no BIOS: 0xE0000-0xFFFFF is writable memory the loader fills with
        // tables (reserved in the e820 map, where Linux looks for MP/ACPI pointers).
        m_low_rom.assign(kLowRomSize, 0);
        m_phys.map_host(kLowRomBase, kLowRomSize, m_low_rom.data(), true, "low-rom");
    }

    // Interrupts: ISA lines fan out to the 8259A pair and the I/O APIC; the 8259A's INTR goes
    // to the local APIC's LINT0 (virtual wire), and the local APIC drives the CPU's INTR.
    m_pic = std::make_unique<I8259>();
    m_ioapic = std::make_unique<IoApic>(1);
    m_lapic = std::make_unique<Lapic>(m_sched, 0, true);
    m_pic->set_output(m_lapic.get());
    m_lapic->set_intr_output(this);
    m_lapic->set_nmi_output([this] {
        if (m_cpu) {
            m_cpu->nmi_line = true;
            m_cpu->kick_translated_code();
        }
    });
    m_lapic->set_extint_ack([this] { return m_pic->acknowledge(); });
    m_ioapic->connect(m_lapic.get());
    m_lapic->set_eoi_listener(m_ioapic.get());
    m_isa_irq = std::make_unique<IsaIrqFanout>(*m_pic, *m_ioapic);
    m_lapic_mmio = std::make_unique<ClockedMmio>(*m_lapic, [this] { sync_clock(); });
    m_ioapic_mmio = std::make_unique<ClockedMmio>(*m_ioapic, [this] { sync_clock(); });
    m_phys.add_mmio(0xFEC00000, IoApic::kMmioSize, m_ioapic_mmio.get(), "ioapic");
    map_lapic();
    IrqSink* isa = m_isa_irq.get();

    m_pit = std::make_unique<I8254>(m_sched, IrqLine(isa, 0));
    m_rtc = std::make_unique<Mc146818>(m_sched, IrqLine(isa, 8));
    if (config.rtc_start >= 0) {
        m_rtc->set_time_unix(config.rtc_start);
    }
    m_kbc = std::make_unique<I8042>(IrqLine(isa, 1), IrqLine(isa, 12));
    m_port92 = std::make_unique<Port92>();
    m_com1 = std::make_unique<Uart16550>(config.serial ? *config.serial : m_null_sink, 0x3F8,
                                         IrqLine(isa, 4), &m_sched);
    m_com2 = std::make_unique<Uart16550>(m_null_sink, 0x2F8, IrqLine(isa, 3), &m_sched);
    m_debugcon = std::make_unique<DebugCon>(config.debugcon ? *config.debugcon : m_null_sink);

    auto reset_cb = [this] {
        m_reset_requested = true;
        stop_cpu();
    };
    m_kbc->set_reset_callback(reset_cb);
    m_port92->set_reset_callback(reset_cb);
    m_kbc->set_a20_callback([this](bool) { update_a20(); });
    m_port92->set_a20_callback([this](bool) { update_a20(); });

    std::string err;
    const bool ok =
        m_io.map(0x20, 2, m_pic.get(), "pic-master", kIo8, &err) &&
        m_io.map(0xA0, 2, m_pic.get(), "pic-slave", kIo8, &err) &&
        m_io.map(0x4D0, 2, m_pic.get(), "elcr", kIo8, &err) &&
        m_io.map(0x40, 4, m_pit.get(), "pit", kIo8, &err) &&
        m_io.map(0x61, 1, m_pit.get(), "port-b", kIo8, &err) &&
        m_io.map(0x70, 2, m_rtc.get(), "rtc", kIo8, &err) &&
        m_io.map(0x60, 1, m_kbc.get(), "i8042-data", kIo8, &err) &&
        m_io.map(0x64, 1, m_kbc.get(), "i8042-cmd", kIo8, &err) &&
        m_io.map(0x92, 1, m_port92.get(), "port92", kIo8, &err) &&
        m_io.map(0x3F8, 8, m_com1.get(), "com1", kIo8, &err) &&
        m_io.map(0x2F8, 8, m_com2.get(), "com2", kIo8, &err) &&
        m_io.map(0xE9, 1, m_debugcon.get(), "debugcon", kIo8, &err) &&
        // SeaBIOS writes its debug log to 0x402: the same console shows it.
        m_io.map(0x402, 1, m_debugcon.get(), "debugcon-bios", kIo8, &err) &&
        m_io.map(0xF4, 1, &m_debug_exit, "isa-debug-exit", kIo8 | kIo16 | kIo32, &err);
    if (!ok) {
        return err;
    }
    wire_pci_and_acpi();
    if (!m_io.map(0xCF8, 8, m_pci.get(), "pci", kIo8 | kIo16 | kIo32, &err) ||
        !m_io.map(kPmBase, 64, m_pm.get(), "piix4-pm", kIo8 | kIo16 | kIo32, &err) ||
        !m_io.map(0xB2, 2, &m_pm->apm_ops(), "apm", kIo8, &err) ||
        !m_io.map(0x510, 2, m_fw_cfg.get(), "fw_cfg", kIo8 | kIo16, &err) ||
        !m_io.map(0x514, 8, m_fw_cfg.get(), "fw_cfg-dma", kIo8 | kIo16 | kIo32, &err)) {
        return err;
    }

    m_host_start = host_ns();
    m_cpu = std::make_unique<cpu::Cpu>(m_phys, *this);
    if (config.accel == "jit") {
        auto jit = std::make_unique<translator::JitEngine>();
        jit->prefault_code_buffer();
        m_engine = std::move(jit);
    } else if (config.accel == "lockstep") {
        m_engine = std::make_unique<translator::LockstepEngine>();
    } else {
        m_engine = std::make_unique<cpu::interp::Interpreter>();
    }
    m_cpu->set_engine(m_engine.get());
    build_e820();
    fill_cmos();
    setup_firmware_tables();
    if (!config.kernel_path.empty()) {
        return boot_kernel();
    }
    return {};
}

void PcBoard::wire_pci_and_acpi() {
    IrqSink* isa = m_isa_irq.get();
    m_pci = std::make_unique<PciBus>();
    m_host_bridge = std::make_unique<I440fx>();
    m_piix3 = std::make_unique<Piix3>(isa);
    m_pm = std::make_unique<Piix4Pm>(m_sched, IrqLine(isa, 9));
    m_pci->attach(*m_host_bridge, 0, 0);
    m_pci->attach(*m_piix3, 1, 0);
    m_pci->attach(*m_pm, 1, 3);
    m_pci->set_irq_router(m_piix3.get());
    m_pci->set_reset_callback([this](bool) {
        m_reset_requested = true;
        stop_cpu();
    });
    m_pm->set_power_off_callback([this] {
        m_power_off = true;
        stop_cpu();
    });
    m_host_bridge->on_pam_change([this](unsigned index, u8 value) { apply_pam(index, value); });
    m_fw_cfg = std::make_unique<FwCfg>(m_phys);
}

void PcBoard::setup_firmware_tables() {
    const ApicLayout layout;
    acpi::AcpiConfig acfg;
    acfg.pm_base = kPmBase;
    // The PCI hole starts at the first 256 MiB boundary above RAM (at least 2 GiB, as QEMU).
    acfg.pci_hole_start = static_cast<u32>(std::max<u64>(
        (m_ram_below_4g + 0x0FFFFFFF) & ~u64{0x0FFFFFFF}, 0x80000000u));
    acfg.extra_tables = {acpi::build_madt(layout)};
    if (!m_config.kernel_path.empty()) {
        // No firmware: program the chipset as a BIOS would and place the tables ourselves.
        m_pci->config_write(1, 0, 0x60, 4, 0x0B0B0A0Au); // PIRQA-D -> IRQ 10, 10, 11, 11
        m_pm->set_pm_io(kPmBase, true);
        const acpi::AcpiImage img = acpi::build_acpi_at(acfg, static_cast<u32>(m_ram_usable_top));
        u8* tables = m_phys.ram_ptr(m_ram_usable_top);
        if (tables && img.tables.size() <= kAcpiReserve) {
            std::copy(img.tables.begin(), img.tables.end(), tables);
        }
        std::copy(img.rsdp.begin(), img.rsdp.end(), m_low_rom.begin() + (kRsdpAddr - kLowRomBase));
        // SMBIOS: entry point in the BIOS area, structures just after the MP table room.
        const firmware::SmbiosImage smb = firmware::build_smbios(static_cast<u32>(kSmbiosTableAddr));
        std::copy(smb.entry.begin(), smb.entry.end(), m_low_rom.begin() + (kSmbiosEntryAddr - kLowRomBase));
        std::copy(smb.table.begin(), smb.table.end(), m_low_rom.begin() + (kSmbiosTableAddr - kLowRomBase));
        const std::vector<u8> mp =
            firmware::build_mptable(layout, static_cast<u32>(kMpTableAddr), firmware::MpBuses::PciAndIsa);
        if (mp.size() <= kLowRomSize - (kMpTableAddr - kLowRomBase)) {
            std::copy(mp.begin(), mp.end(), m_low_rom.begin() + (kMpTableAddr - kLowRomBase));
        }
        return;
    }
    // SeaBIOS reads all of this through fw_cfg and builds the tables itself.
    m_fw_cfg->set_ram_size(m_ram_below_4g);
    m_fw_cfg->set_cpus(1, 1);
    const std::vector<E820Entry> ram{{0, m_ram_below_4g, 1}};
    m_fw_cfg->add_file("etc/e820", FwCfg::encode_e820(ram));
    const acpi::AcpiFwCfgFiles f = acpi::build_acpi_fw_cfg(acfg);
    m_fw_cfg->add_file(acpi::kFwCfgTablesFile, f.tables);
    m_fw_cfg->add_file(acpi::kFwCfgRsdpFile, f.rsdp);
    m_fw_cfg->add_file(acpi::kFwCfgLoaderFile, f.loader);
    // No display yet: SeaBIOS mirrors its screen output to COM1.
    m_fw_cfg->add_file("etc/sercon-port", FwCfg::le(0x3F8, 2));
    m_fw_cfg->add_file("etc/boot-fail-wait", FwCfg::le(0, 4));
}

void PcBoard::map_lapic() {
    if (m_lapic_mapped) {
        m_phys.unmap(m_lapic_mapped, Lapic::kMmioSize);
        m_lapic_mapped = 0;
    }
    const u64 base = m_lapic->mmio_base();
    if (m_lapic->hw_enabled() && base + Lapic::kMmioSize <= (u64{1} << 32)) {
        m_phys.add_mmio(base, Lapic::kMmioSize, m_lapic_mmio.get(), "lapic");
        m_lapic_mapped = base;
    }
}

void PcBoard::apic_base_changed(u64 value) {
    m_lapic->set_apic_base(value);
    map_lapic();
}

void PcBoard::apply_pam(unsigned index, u8 value) {
    if (m_bios.empty()) {
        return; // direct boot: 0xE0000-0xFFFFF stays the loader's memory
    }
    I440fx::PamRange ranges[2];
    const unsigned n = I440fx::pam_ranges(index, value, ranges);
    if (base::log_enabled(base::kLogMmu)) {
        base::log_printf("pam: PAM%u = 0x%02x\n", index, value);
    }
    const u64 low = std::min<u64>(m_bios.size(), 128u << 10);
    const u64 rom_base = (1u << 20) - low;
    for (unsigned i = 0; i < n; ++i) {
        const I440fx::PamRange& r = ranges[i];
        if (r.attrs == 0) {
            // Not shadowed: the BIOS ROM where it has bytes, nothing elsewhere.
            if (r.base >= rom_base) {
                m_phys.map_host(r.base, r.size, m_bios.data() + m_bios.size() - low + (r.base - rom_base),
                                false, "bios-low");
            } else {
                m_phys.unmap(r.base, r.size);
            }
        } else {
            // Shadow RAM. Write-only (reads from ROM, writes to RAM) cannot be split per
            // direction here and is treated as read-write; firmware only uses it to copy.
            const bool writable = (r.attrs & I440fx::kPamWrite) != 0;
            m_phys.map_host(r.base, r.size, m_shadow.data() + (r.base - kShadowBase), writable,
                            "shadow");
        }
    }
}

void PcBoard::reset_machine() {
    m_cpu->reset();
    for (Device* d : std::initializer_list<Device*>{
             m_pic.get(), m_pit.get(), m_rtc.get(), m_kbc.get(), m_port92.get(), m_com1.get(),
             m_com2.get(), m_lapic.get(), m_ioapic.get(), m_pci.get(), m_host_bridge.get(),
             m_piix3.get(), m_pm.get(), m_fw_cfg.get()}) {
        d->reset(ResetKind::Warm);
    }
    map_lapic();
    update_a20();
    if (!m_bios.empty()) {
        for (unsigned i = 0; i < 7; ++i) {
            apply_pam(i, 0);
        }
    }
}

std::string PcBoard::boot_kernel() {
    BootFiles files;
    std::string err;
    if (!read_file(m_config.kernel_path, files.kernel, err, "kernel")) {
        return err;
    }
    if (!m_config.initrd_path.empty() &&
        !read_file(m_config.initrd_path, files.initrd, err, "initrd")) {
        return err;
    }
    files.cmdline = m_config.cmdline;
    files.kernel_name = m_config.kernel_path;
    // Seed the guest's RNG from the host, as QEMU does (reproducible with a fixed rtc_start).
    std::random_device rd;
    for (int i = 0; i < 32; ++i) {
        files.rng_seed.push_back(static_cast<u8>(m_config.rtc_start >= 0 ? i * 37 + 11 : rd()));
    }
    EntryState e;
    switch (detect_kernel_format(files.kernel)) {
    case KernelFormat::BzImage:
        err = load_linux(m_phys, m_ram_usable_top, files, m_e820, e);
        break;
    case KernelFormat::Multiboot:
        err = load_multiboot(m_phys, m_ram_usable_top, files, m_e820, e);
        break;
    case KernelFormat::Unknown:
        return "'" + m_config.kernel_path + "' is neither a Linux bzImage nor a Multiboot kernel";
    }
    if (!err.empty()) {
        return "cannot load '" + m_config.kernel_path + "': " + err;
    }
    cpu::CpuState& s = m_cpu->s;
    s.cr0 = cpu::kCr0PE | cpu::kCr0ET;
    s.gdtr = cpu::TableReg{e.gdt_base, e.gdt_limit};
    s.idtr = cpu::TableReg{0, 0x3FF};
    s.seg[cpu::kCs] = cpu::Segment{e.cs, 0xC09B, 0xFFFFFFFF, 0};
    for (u8 i : {cpu::kDs, cpu::kEs, cpu::kSs, cpu::kFs, cpu::kGs}) {
        s.seg[i] = cpu::Segment{e.ds, 0xC093, 0xFFFFFFFF, 0};
    }
    s.cpl = 0;
    s.eflags = cpu::kFixed1;
    for (u64& r : s.gpr) {
        r = 0;
    }
    s.gpr[cpu::kRax] = e.eax;
    s.gpr[cpu::kRbx] = e.ebx;
    s.gpr[cpu::kRsi] = e.esi;
    s.gpr[cpu::kRsp] = e.esp;
    s.rip = e.eip;
    m_cpu->tlb_flush_all();
    return {};
}

void PcBoard::update_a20() { m_phys.set_a20(m_kbc->a20() || m_port92->a20()); }

u64 PcBoard::host_ns() {
    return static_cast<u64>(std::chrono::duration_cast<std::chrono::nanoseconds>(
                                std::chrono::steady_clock::now().time_since_epoch())
                                .count());
}

u64 PcBoard::clock_now() const {
    if (m_config.icount) {
        return m_chunk_ns + (m_cpu->icount - m_chunk_icount) * m_config.ns_per_insn;
    }
    // While paused the clock stands at the moment it stopped (resume() moves m_host_start on).
    return (m_run_state == RunState::Paused ? m_paused_at : host_ns()) - m_host_start;
}

void PcBoard::sync_clock() {
    if (!m_cpu) {
        return;
    }
    const u64 t = clock_now();
    if (t > m_sched.now()) {
        m_sched.advance_to(t);
        m_sched.run_due();
    }
}

u32 PcBoard::port_in(u16 port, unsigned size) {
    sync_clock();
    return m_io.read(port, size);
}

void PcBoard::port_out(u16 port, unsigned size, u32 value) {
    sync_clock();
    m_io.write(port, size, value);
    // isa-debug-exit ends the run at once, as in QEMU: no further guest instruction runs.
    if (m_debug_exit.requested()) {
        stop_cpu();
    }
}

void PcBoard::stop_cpu() {
    // The run ends before the next instruction: translated code notices at its next block entry.
    if (m_cpu) {
        m_cpu->request_stop();
        m_cpu->kick_translated_code();
    }
}

u8 PcBoard::acknowledge_interrupt() { return m_lapic->acknowledge(); }

void PcBoard::intr_changed(bool asserted) {
    m_intr_level = asserted;
    if (m_cpu) {
        m_cpu->intr_line = asserted && !m_hold_irqs;
        if (m_cpu->intr_line) {
            m_cpu->kick_translated_code();
        }
    }
}

u64 PcBoard::tsc() {
    // 1 GHz: one tick per virtual nanosecond, up to the current instruction.
    return std::max(clock_now(), m_sched.now());
}

void PcBoard::shutdown(cpu::ShutdownKind kind) {
    m_shutdown = true;
    m_shutdown_kind = kind;
}

u64 PcBoard::pc_linear() const {
    const cpu::CpuState& s = m_cpu->s;
    return (s.seg[cpu::kCs].base + s.rip) & (m_cpu->long_mode() ? ~u64{0} : 0xFFFFFFFFu);
}

void PcBoard::set_run_state(RunState st) {
    const bool was_paused = m_run_state == RunState::Paused;
    const bool pauses = st == RunState::Paused;
    if (!m_config.icount) {
        // Host-clock mode: the virtual clock excludes the time spent paused. (With -icount it
        // only moves with instructions, so it stops by itself.)
        if (!was_paused && pauses) {
            m_paused_at = host_ns();
        } else if (was_paused && !pauses) {
            m_host_start += host_ns() - m_paused_at;
        }
    }
    m_run_state = st;
}

void PcBoard::pause() { set_run_state(RunState::Paused); }

void PcBoard::resume() {
    if (m_run_state == RunState::Paused) {
        m_cpu->skip_breakpoint_at = pc_linear();
    }
    set_run_state(RunState::Running);
}

void PcBoard::request_step() {
    if (m_run_state != RunState::Paused) {
        return;
    }
    m_cpu->skip_breakpoint_at = pc_linear();
    set_run_state(RunState::Stepping);
}

void PcBoard::debug_stop() {
    if (m_cpu->debug_hit.kind == cpu::DebugHit::Watch && on_watchpoint) {
        on_watchpoint();
    }
    set_run_state(RunState::Paused);
    if (on_debug_stop && on_debug_stop()) {
        return;
    }
    // No debugger took it (none attached): carry on, over the breakpoint if one stopped us.
    if (m_cpu->debug_hit.kind == cpu::DebugHit::Breakpoint) {
        m_cpu->skip_breakpoint_at = pc_linear();
    }
    set_run_state(RunState::Running);
}

RunResult PcBoard::run(HostEvents* host) {
    for (;;) {
        if (host && !host->pump(*this)) {
            return RunResult{0, {}};
        }
        if (m_quit) {
            return RunResult{0, {}};
        }
        if (m_run_state == RunState::Paused) {
            if (!host) {
                return RunResult{0, "paused with no host to resume it"};
            }
            host->wait(HostEvents::kUntilInput);
            continue;
        }
        sync_clock();
        u64 budget = kMaxChunk;
        const u64 now = m_sched.now();
        const u64 deadline = m_sched.next_deadline();
        if (deadline != Scheduler::kNever) {
            const u64 gap = deadline > now ? deadline - now : 0;
            // Run up to the next timer: exactly in icount mode, by the measured speed otherwise.
            const u64 want = m_config.icount
                                 ? (gap + m_config.ns_per_insn - 1) / m_config.ns_per_insn
                                 : static_cast<u64>(static_cast<double>(gap) * m_insn_per_ns);
            budget = std::clamp<u64>(want, m_config.icount ? 1 : 256, kMaxChunk);
        }
        // A step runs one instruction with the INTR line held low (QEMU's default: the step
        // lands on the next instruction, not in an interrupt handler). A halted CPU has no
        // instruction to step: it runs normally until an interrupt wakes it.
        const bool stepping = m_run_state == RunState::Stepping;
        const bool hold_irqs = stepping && !m_cpu->s.halted;
        if (stepping) {
            budget = 1;
        }
        if (hold_irqs) {
            m_hold_irqs = true;
            m_cpu->intr_line = false;
        }
        const u64 step_rip = m_cpu->s.rip;
        const bool step_halted = m_cpu->s.halted;
        m_chunk_ns = now;
        m_chunk_icount = m_cpu->icount;
        const u64 host_before = host_ns();
        m_cpu->debug_hit = cpu::DebugHit{};
        m_cpu->budget_may_overrun = !m_config.icount && !stepping;
        const cpu::RunExit ex = m_cpu->run(budget);
        m_cpu->budget_may_overrun = false;
        if (hold_irqs) {
            m_hold_irqs = false;
            m_cpu->intr_line = m_intr_level;
        }
        if (!m_config.icount) {
            const u64 ran = m_cpu->icount - m_chunk_icount;
            const u64 took = host_ns() - host_before;
            if (ran > 1000 && took > 0) {
                m_insn_per_ns = 0.9 * m_insn_per_ns + 0.1 * (static_cast<double>(ran) / took);
            }
        }
        sync_clock();
        m_sched.run_due();

        if (m_debug_exit.requested()) {
            return RunResult{m_debug_exit.status(), {}};
        }
        if (m_power_off) {
            return RunResult{0, {}};
        }
        if (ex == cpu::RunExit::Shutdown || m_shutdown || m_reset_requested) {
            const bool triple = m_shutdown && m_shutdown_kind == cpu::ShutdownKind::TripleFault;
            if (triple && on_triple_fault) {
                on_triple_fault();
            }
            m_shutdown = false;
            m_reset_requested = false;
            if (m_config.no_reboot) {
                // A triple fault is an error (status 4: even, so never confused with the
                // odd statuses of isa-debug-exit); a reset the guest asked for is not.
                return triple ? RunResult{kTripleFaultStatus,
                                          "guest triple fault: machine shut down (-no-reboot)"}
                              : RunResult{0, "guest requested a reset: exiting (-no-reboot)"};
            }
            reset_machine();
            if (!m_config.kernel_path.empty()) {
                setup_firmware_tables();
                if (std::string e = boot_kernel(); !e.empty()) {
                    return RunResult{1, e};
                }
            }
            continue;
        }
        // A step is over once something happened: an instruction retired (HLT included), a
        // fault was delivered, or a halted CPU woke.
        const bool step_done = stepping && m_run_state == RunState::Stepping &&
                               (m_cpu->icount != m_chunk_icount || m_cpu->s.rip != step_rip ||
                                m_cpu->s.halted != step_halted);
        if (ex == cpu::RunExit::Debug || step_done) {
            debug_stop();
            continue;
        }
        if (ex == cpu::RunExit::Halted) {
            const bool can_wake = (m_cpu->s.eflags & cpu::kIF) || m_cpu->nmi_line;
            if (!can_wake) {
                return RunResult{0, "guest halted with interrupts disabled"};
            }
            if (m_cpu->intr_line) {
                continue; // an interrupt is already waiting
            }
            const u64 next = m_sched.next_deadline();
            if (next == Scheduler::kNever) {
                if (!host) {
                    return RunResult{0, "guest halted with nothing left to wake it"};
                }
                host->wait(HostEvents::kUntilInput);
                continue;
            }
            const u64 gap = next > m_sched.now() ? next - m_sched.now() : 0;
            if (m_config.icount) {
                // The virtual clock stands still while halted: move it to the next event,
                // after waiting that long on the host unless -icount sleep=off skips it.
                const u64 slept = host ? host->wait(gap) : gap;
                m_sched.advance(std::min(slept, gap));
                m_sched.run_due();
            } else {
                if (host) {
                    host->wait(gap);
                } else {
                    std::this_thread::sleep_for(std::chrono::nanoseconds(gap));
                }
                sync_clock();
            }
        }
    }
}

} // namespace devices
