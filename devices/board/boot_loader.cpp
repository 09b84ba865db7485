// SPDX-License-Identifier: MIT
#include "devices/board/boot_loader.h"

#include <algorithm>
#include <cstdio>
#include <cstring>

namespace devices {
namespace {

// Fixed guest-physical places used by the loaders (all below 640 KiB, above the BIOS data area).
constexpr u64 kGdtAddr = 0x0800;       // 4 descriptors
constexpr u64 kBootParams = 0x10000;   // Linux "zero page" (4 KiB)
constexpr u64 kCmdlineAddr = 0x20000;  // command line (up to 64 KiB)
constexpr u64 kSetupDataAddr = 0x30000; // setup_data chain (RNG seed)
constexpr u64 kMbInfo = 0x9000;        // Multiboot info + mmap + modules + strings
constexpr u64 kLinuxLoadAddr = 0x100000;

u16 rd16(const std::vector<u8>& b, usize off) { return static_cast<u16>(b[off] | (b[off + 1] << 8)); }
u32 rd32(const std::vector<u8>& b, usize off) {
    return u32{b[off]} | (u32{b[off + 1]} << 8) | (u32{b[off + 2]} << 16) | (u32{b[off + 3]} << 24);
}
void put16(u8* p, u16 v) { std::memcpy(p, &v, 2); }
void put32(u8* p, u32 v) { std::memcpy(p, &v, 4); }
void put64(u8* p, u64 v) { std::memcpy(p, &v, 8); }

/// Copies bytes into guest RAM; fails if the range is not all RAM.
bool copy_in(mmu::PhysMap& mem, u64 pa, const u8* src, usize n) {
    for (usize done = 0; done < n;) {
        u8* p = mem.ram_ptr(pa + done);
        if (!p) {
            return false;
        }
        const usize chunk = std::min<usize>(n - done, 0x1000 - ((pa + done) & 0xFFF));
        std::memcpy(p, src + done, chunk);
        done += chunk;
    }
    return true;
}

bool zero_in(mmu::PhysMap& mem, u64 pa, usize n) {
    std::vector<u8> z(n, 0);
    return copy_in(mem, pa, z.data(), n);
}

/// A flat GDT: null, null, code (0x10), data (0x18) — the selectors the Linux 32-bit boot
/// protocol requires (__BOOT_CS, __BOOT_DS); Multiboot kernels accept any flat selectors.
void write_gdt(mmu::PhysMap& mem, EntryState& e) {
    u8 gdt[32] = {};
    const u64 code = 0x00CF9B000000FFFFull; // base 0, limit 4 GiB, 32-bit, execute/read, accessed
    const u64 data = 0x00CF93000000FFFFull; // base 0, limit 4 GiB, 32-bit, read/write, accessed
    put64(gdt + 16, code);
    put64(gdt + 24, data);
    copy_in(mem, kGdtAddr, gdt, sizeof(gdt));
    e.gdt_base = kGdtAddr;
    e.gdt_limit = sizeof(gdt) - 1;
    e.cs = 0x10;
    e.ds = 0x18;
}

bool find_multiboot(const std::vector<u8>& k, usize& off) {
    const usize limit = std::min<usize>(k.size(), 8192);
    for (usize i = 0; i + 12 <= limit; i += 4) {
        if (rd32(k, i) == 0x1BADB002 && static_cast<u32>(rd32(k, i) + rd32(k, i + 4) + rd32(k, i + 8)) == 0) {
            off = i;
            return true;
        }
    }
    return false;
}

} // namespace

KernelFormat detect_kernel_format(const std::vector<u8>& k) {
    if (k.size() >= 0x250 && rd16(k, 0x1FE) == 0xAA55 && rd32(k, 0x202) == 0x53726448 /* HdrS */) {
        return KernelFormat::BzImage;
    }
    usize off;
    if (find_multiboot(k, off)) {
        return KernelFormat::Multiboot;
    }
    return KernelFormat::Unknown;
}

std::string load_linux(mmu::PhysMap& mem, u64 ram_top, const BootFiles& f,
                       const std::vector<E820Entry>& e820, EntryState& entry) {
    const std::vector<u8>& k = f.kernel;
    if (detect_kernel_format(k) != KernelFormat::BzImage) {
        return "kernel is not a Linux bzImage (no setup header)";
    }
    const u16 version = rd16(k, 0x206);
    if (version < 0x0204) {
        return "bzImage boot protocol " + std::to_string(version >> 8) + "." +
               std::to_string(version & 0xFF) + " is too old (need 2.04 or later)";
    }
    if (!(k[0x211] & 0x01)) {
        return "kernel is a zImage (not loaded high); only bzImage is supported";
    }
    unsigned setup_sects = k[0x1F1];
    if (setup_sects == 0) {
        setup_sects = 4;
    }
    const usize pm_offset = (setup_sects + 1) * 512;
    if (pm_offset >= k.size()) {
        return "bzImage is truncated (setup is larger than the file)";
    }
    const usize pm_size = k.size() - pm_offset;
    if (kLinuxLoadAddr + pm_size > ram_top) {
        return "not enough memory for the kernel";
    }
    // Linux decompresses in place above its load address: make sure init_size fits.
    const u32 init_size = version >= 0x020A ? rd32(k, 0x260) : 0;
    if (kLinuxLoadAddr + std::max<u64>(pm_size, init_size) > ram_top) {
        return "not enough memory to decompress the kernel (needs " +
               std::to_string((kLinuxLoadAddr + init_size) >> 20) + " MiB)";
    }
    if (!copy_in(mem, kLinuxLoadAddr, k.data() + pm_offset, pm_size)) {
        return "kernel load address is not RAM";
    }

    // boot_params: zeroed, then the setup header copied from the image (offset 0x1F1 up to the
    // end of the header as given by the byte at 0x201 + 0x202).
    if (!zero_in(mem, kBootParams, 0x1000)) {
        return "boot_params area is not RAM";
    }
    const usize hdr_end = std::min<usize>(0x202 + k[0x201], 0x1000);
    std::vector<u8> bp(0x1000, 0);
    std::copy(k.begin() + 0x1F1, k.begin() + static_cast<std::ptrdiff_t>(std::min(hdr_end, k.size())),
              bp.begin() + 0x1F1);
    bp[0x210] = 0xFF;                       // type_of_loader: undefined
    bp[0x211] = static_cast<u8>((bp[0x211] | 0x80) & ~0x20); // CAN_USE_HEAP, no QUIET_FLAG
    put16(&bp[0x224], 0xFE00);              // heap_end_ptr (relative to the real-mode setup)
    put32(&bp[0x214], static_cast<u32>(kLinuxLoadAddr)); // code32_start

    // Command line.
    const u32 cmdline_max = version >= 0x0206 ? rd32(k, 0x238) : 255;
    if (f.cmdline.size() > cmdline_max) {
        return "kernel command line is too long (" + std::to_string(f.cmdline.size()) + " > " +
               std::to_string(cmdline_max) + ")";
    }
    copy_in(mem, kCmdlineAddr, reinterpret_cast<const u8*>(f.cmdline.c_str()), f.cmdline.size() + 1);
    put32(&bp[0x228], static_cast<u32>(kCmdlineAddr));

    // initrd: as high as allowed, page aligned.
    if (!f.initrd.empty()) {
        u64 max = rd32(k, 0x22C);
        if (max == 0) {
            max = 0x37FFFFFF;
        }
        u64 top = std::min<u64>(ram_top, max + 1);
        if (f.initrd.size() > top) {
            return "initrd does not fit in memory";
        }
        const u64 addr = (top - f.initrd.size()) & ~u64{0xFFF};
        if (addr < kLinuxLoadAddr + std::max<u64>(pm_size, init_size)) {
            return "not enough memory for the initrd (" + std::to_string(f.initrd.size() >> 10) +
                   " KiB)";
        }
        if (!copy_in(mem, addr, f.initrd.data(), f.initrd.size())) {
            return "initrd area is not RAM";
        }
        put32(&bp[0x218], static_cast<u32>(addr));
        put32(&bp[0x21C], static_cast<u32>(f.initrd.size()));
    }

    // Memory: e820 table, plus the legacy sizes.
    const usize n = std::min<usize>(e820.size(), 128);
    bp[0x1E8] = static_cast<u8>(n);
    for (usize i = 0; i < n; ++i) {
        u8* e = &bp[0x2D0 + i * 20];
        put64(e, e820[i].addr);
        put64(e + 8, e820[i].size);
        put32(e + 16, e820[i].type);
    }
    const u64 ext_k = ram_top > 0x100000 ? (ram_top - 0x100000) >> 10 : 0;
    put32(&bp[0x1E0], static_cast<u32>(ext_k)); // alt_mem_k
    put16(&bp[0x002], static_cast<u16>(std::min<u64>(ext_k, 0xFC00))); // screen_info.ext_mem_k
    // A random seed through setup_data (SETUP_RNG_SEED, protocol 2.09+), as QEMU passes one:
    // without it the kernel has no entropy source in a deterministic machine and spins for
    // seconds generating some before it can run init.
    if (version >= 0x0209 && !f.rng_seed.empty()) {
        std::vector<u8> sd(16 + f.rng_seed.size(), 0);
        put32(&sd[8], 9); // SETUP_RNG_SEED
        put32(&sd[12], static_cast<u32>(f.rng_seed.size()));
        std::copy(f.rng_seed.begin(), f.rng_seed.end(), sd.begin() + 16);
        if (copy_in(mem, kSetupDataAddr, sd.data(), sd.size())) {
            put64(&bp[0x250], kSetupDataAddr);
        }
    }
    copy_in(mem, kBootParams, bp.data(), bp.size());

    write_gdt(mem, entry);
    entry.eip = static_cast<u32>(kLinuxLoadAddr);
    entry.esi = static_cast<u32>(kBootParams);
    entry.esp = static_cast<u32>(kBootParams); // the kernel sets its own stack at once
    return {};
}

std::string load_multiboot(mmu::PhysMap& mem, u64 ram_top, const BootFiles& f,
                           const std::vector<E820Entry>& e820, EntryState& entry) {
    const std::vector<u8>& k = f.kernel;
    usize hoff;
    if (!find_multiboot(k, hoff)) {
        return "kernel has no Multiboot header";
    }
    const u32 flags = rd32(k, hoff + 4);
    // Bits 0..15 are requirements: 0 (page-aligned modules) and 1 (memory info) we meet; 2 (a
    // video mode) is ignored, as QEMU does, because the console is serial; others are refused.
    if (flags & 0xFFF8) {
        char hex[16];
        std::snprintf(hex, sizeof(hex), "%#x", flags);
        return std::string("Multiboot header requires unsupported features (flags ") + hex + ")";
    }
    u32 kernel_end = 0;
    if (flags & 0x10000) {
        // a.out kludge: addresses in the header.
        if (hoff + 32 > k.size()) {
            return "Multiboot header is truncated";
        }
        const u32 header_addr = rd32(k, hoff + 12);
        const u32 load_addr = rd32(k, hoff + 16);
        u32 load_end = rd32(k, hoff + 20);
        const u32 bss_end = rd32(k, hoff + 24);
        const u32 entry_addr = rd32(k, hoff + 28);
        if (load_addr > header_addr || header_addr - load_addr > hoff) {
            return "Multiboot header addresses are inconsistent";
        }
        const usize file_off = hoff - (header_addr - load_addr);
        if (load_end == 0) {
            load_end = static_cast<u32>(load_addr + (k.size() - file_off));
        }
        if (load_end < load_addr || file_off + (load_end - load_addr) > k.size()) {
            return "Multiboot load range lies outside the file";
        }
        if (u64{bss_end} > ram_top || u64{load_end} > ram_top) {
            return "Multiboot kernel does not fit in memory";
        }
        if (!copy_in(mem, load_addr, k.data() + file_off, load_end - load_addr)) {
            return "Multiboot load address is not RAM";
        }
        if (bss_end > load_end && !zero_in(mem, load_end, bss_end - load_end)) {
            return "Multiboot bss is not RAM";
        }
        kernel_end = std::max(load_end, bss_end);
        entry.eip = entry_addr;
    } else {
        // ELF32: load PT_LOAD segments at their physical addresses.
        if (k.size() < 52 || rd32(k, 0) != 0x464C457F || k[4] != 1 || rd16(k, 18) != 3) {
            return "Multiboot kernel is not a 32-bit x86 ELF and has no a.out kludge";
        }
        const u32 phoff = rd32(k, 28);
        const u16 phentsize = rd16(k, 42);
        const u16 phnum = rd16(k, 44);
        if (phentsize < 32 || u64{phoff} + u64{phnum} * phentsize > k.size()) {
            return "ELF program headers lie outside the file";
        }
        for (u16 i = 0; i < phnum; ++i) {
            const usize ph = phoff + usize{i} * phentsize;
            if (rd32(k, ph) != 1) {
                continue; // not PT_LOAD
            }
            const u32 off = rd32(k, ph + 4);
            const u32 paddr = rd32(k, ph + 12);
            const u32 filesz = rd32(k, ph + 16);
            const u32 memsz = rd32(k, ph + 20);
            if (u64{off} + filesz > k.size() || memsz < filesz) {
                return "ELF segment lies outside the file";
            }
            if (u64{paddr} + memsz > ram_top) {
                return "ELF segment does not fit in memory";
            }
            if (!copy_in(mem, paddr, k.data() + off, filesz) ||
                !zero_in(mem, paddr + filesz, memsz - filesz)) {
                return "ELF segment address is not RAM";
            }
            kernel_end = std::max<u32>(kernel_end, paddr + memsz);
        }
        entry.eip = rd32(k, 24);
    }

    // Multiboot information structure, memory map, module and strings at kMbInfo.
    std::vector<u8> info(0x1000, 0);
    u32 mbflags = 0x1 | 0x4 | 0x40; // mem_*, cmdline, mmap
    const u64 lower_k = 639; // the top KiB below 640 is the EBDA (reserved in e820)
    const u64 upper_k = ram_top > 0x100000 ? (ram_top - 0x100000) >> 10 : 0;
    put32(&info[4], static_cast<u32>(lower_k));
    put32(&info[8], static_cast<u32>(upper_k));
    usize pos = 0x80;
    // mmap entries: size (20), base, length, type.
    const usize mmap_start = pos;
    for (const E820Entry& e : e820) {
        if (pos + 24 > 0x600) {
            break;
        }
        put32(&info[pos], 20);
        put64(&info[pos + 4], e.addr);
        put64(&info[pos + 12], e.size);
        put32(&info[pos + 20], e.type);
        pos += 24;
    }
    put32(&info[44], static_cast<u32>(pos - mmap_start));
    put32(&info[48], static_cast<u32>(kMbInfo + mmap_start));
    // Command line string.
    const usize cmd_pos = 0x600;
    // The command line starts with the kernel's name, as GRUB and QEMU pass it.
    const std::string full = f.kernel_name.empty() ? f.cmdline : f.kernel_name + " " + f.cmdline;
    const std::string cmd = full.substr(0, 0x3FF);
    std::memcpy(&info[cmd_pos], cmd.c_str(), cmd.size() + 1);
    put32(&info[16], static_cast<u32>(kMbInfo + cmd_pos));
    if (!f.initrd.empty()) {
        const u64 mod_addr = (u64{kernel_end} + 0xFFF) & ~u64{0xFFF};
        if (mod_addr + f.initrd.size() > ram_top || !copy_in(mem, mod_addr, f.initrd.data(), f.initrd.size())) {
            return "Multiboot module (initrd) does not fit in memory";
        }
        const usize mod_pos = 0xA00;
        put32(&info[mod_pos], static_cast<u32>(mod_addr));
        put32(&info[mod_pos + 4], static_cast<u32>(mod_addr + f.initrd.size()));
        put32(&info[mod_pos + 8], 0);
        mbflags |= 0x8;
        put32(&info[20], 1);
        put32(&info[24], static_cast<u32>(kMbInfo + mod_pos));
    }
    put32(&info[0], mbflags);
    if (!copy_in(mem, kMbInfo, info.data(), info.size())) {
        return "Multiboot info area is not RAM";
    }
    write_gdt(mem, entry);
    entry.eax = 0x2BADB002;
    entry.ebx = static_cast<u32>(kMbInfo);
    entry.esp = 0x7000;
    return {};
}

} // namespace devices
