// SPDX-License-Identifier: MIT
// Layouts from the DMTF SMBIOS specification 2.4 (entry point 5.2.1, types 0, 1 and 127).
#include "devices/firmware/smbios.h"
#include "devices/firmware/table_bytes.h"

#include <algorithm>
#include <cstring>
#include <initializer_list>
#include <string>

namespace devices::firmware {
namespace {

void put16(std::vector<u8>& v, usize at, u16 x) { std::memcpy(&v[at], &x, 2); }
void put32(std::vector<u8>& v, usize at, u32 x) { std::memcpy(&v[at], &x, 4); }

/// Appends a structure: its formatted area, then its strings and the double NUL.
void add_structure(std::vector<u8>& t, std::vector<u8> formatted,
                   std::initializer_list<const char*> strings) {
    t.insert(t.end(), formatted.begin(), formatted.end());
    for (const char* s : strings) {
        t.insert(t.end(), s, s + std::strlen(s) + 1);
    }
    if (strings.size() == 0) {
        t.push_back(0);
    }
    t.push_back(0);
}

using table_bytes::checksum;

} // namespace

SmbiosImage build_smbios(u32 table_addr) {
    SmbiosImage img;
    std::vector<u8>& t = img.table;
    usize max_size = 0;
    usize start = 0;

    // Type 0: BIOS information (the board's firmware is tx86 itself in direct boot).
    std::vector<u8> bios(0x18, 0);
    bios[0] = 0;
    bios[1] = 0x18;
    put16(bios, 2, 0x0000);
    bios[4] = 1;                 // vendor: string 1
    bios[5] = 2;                 // version: string 2
    put16(bios, 6, 0xE800);      // starting segment
    bios[8] = 3;                 // release date: string 3
    bios[9] = 0;                 // ROM size 64 KiB
    bios[10] = 0x08;             // characteristics: "not supported" (no BIOS services)
    bios[0x14] = 0xFF;           // major/minor release: unknown
    bios[0x15] = 0xFF;
    bios[0x16] = 0xFF;           // embedded controller: none
    bios[0x17] = 0xFF;
    add_structure(t, bios, {"tx86", "0.1", "11/25/2026"});
    max_size = std::max(max_size, t.size() - start);
    start = t.size();

    // Type 1: system information.
    std::vector<u8> sys(0x1B, 0);
    sys[0] = 1;
    sys[1] = 0x1B;
    put16(sys, 2, 0x0100);
    sys[4] = 1; // manufacturer
    sys[5] = 2; // product
    sys[6] = 3; // version
    sys[7] = 0; // no serial number
    sys[0x18] = 0x06; // wake-up type: power switch
    add_structure(t, sys, {"tx86", "Standard PC (i440FX + PIIX)", "0.1"});
    max_size = std::max(max_size, t.size() - start);
    start = t.size();

    // Type 127: end of table.
    add_structure(t, {127, 4, 0x00, 0x7F}, {});
    max_size = std::max(max_size, t.size() - start);

    std::vector<u8>& e = img.entry;
    e.assign(0x1F, 0);
    std::memcpy(&e[0], "_SM_", 4);
    e[5] = 0x1F;     // entry point length
    e[6] = 2;        // SMBIOS 2.4
    e[7] = 4;
    put16(e, 8, static_cast<u16>(max_size));
    std::memcpy(&e[0x10], "_DMI_", 5);
    put16(e, 0x16, static_cast<u16>(t.size()));
    put32(e, 0x18, table_addr);
    put16(e, 0x1C, 3); // number of structures
    e[0x1E] = 0x24;    // BCD revision 2.4
    e[0x15] = checksum(e, 0x10, 0x0F);
    e[4] = checksum(e, 0, 0x1F);
    return img;
}

} // namespace devices::firmware
