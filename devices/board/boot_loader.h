// SPDX-License-Identifier: MIT
// Direct kernel boot without a BIOS, as QEMU's -kernel/-initrd/-append: a Linux bzImage through
// the 32-bit boot protocol (Documentation/arch/x86/boot.rst), or a Multiboot v1 kernel (ELF or
// the a.out kludge). Loads the images into guest RAM, builds boot_params / the Multiboot info,
// and says what the CPU must look like at entry. Malformed images are errors, never crashes.
#pragma once

#include "base/types.h"
#include "mmu/phys_map.h"

#include <string>
#include <vector>

namespace devices {

/// One e820 memory-map entry (type 1 = RAM, 2 = reserved, 3 = ACPI, 4 = NVS).
struct E820Entry {
    u64 addr;
    u64 size;
    u32 type;
};

/// The register state a loaded kernel expects at its entry point (flat 32-bit protected mode,
/// paging off, interrupts off). The loader has written a GDT with code selector `cs` and data
/// selector `ds` at `gdt_base`.
struct EntryState {
    u32 eip = 0;
    u32 eax = 0;
    u32 ebx = 0;
    u32 esi = 0;
    u32 esp = 0;
    u32 gdt_base = 0;
    u16 gdt_limit = 0;
    u16 cs = 0;
    u16 ds = 0;
};

struct BootFiles {
    std::vector<u8> kernel;
    std::vector<u8> initrd; ///< empty = none
    std::string cmdline;
    std::string kernel_name; ///< Multiboot: prefixed to the command line
    std::vector<u8> rng_seed; ///< passed to Linux as SETUP_RNG_SEED (empty = none)
};

enum class KernelFormat { BzImage, Multiboot, Unknown };

/// Tells the kernel format from its bytes.
KernelFormat detect_kernel_format(const std::vector<u8>& kernel);

/// Loads a Linux bzImage. `ram_top` is the end of RAM below 4 GiB. Returns an error message
/// (empty on success).
std::string load_linux(mmu::PhysMap& mem, u64 ram_top, const BootFiles& files,
                       const std::vector<E820Entry>& e820, EntryState& entry);

/// Loads a Multiboot v1 kernel; the initrd, if any, becomes module 0.
std::string load_multiboot(mmu::PhysMap& mem, u64 ram_top, const BootFiles& files,
                           const std::vector<E820Entry>& e820, EntryState& entry);

} // namespace devices
