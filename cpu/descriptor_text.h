// SPDX-License-Identifier: MIT
// Descriptors, gates, vectors and error codes as text, for people reading an explanation
// (cpu/fault_explain.h) or a debugger view: "32-bit interrupt gate, DPL 0, P=1, selector
// 0x0008, offset 0x00101000". Pure functions of raw values (SDM Vol. 3A, 3.4.5, 3.5, 6.11,
// 6.13); they read no memory and no CPU state. Not here: reading or checking descriptors.
#pragma once

#include "base/types.h"

#include <string>

namespace cpu {

/// printf into a std::string (the text views' formatting).
std::string text_printf(const char* fmt, ...) __attribute__((format(printf, 1, 2)));

/// "#PF", "#GP", ... for the architectural exception vectors, "INT 0x80" style otherwise.
std::string vector_name(u8 vector);
/// The name of a system-descriptor type (S = 0): "32-bit TSS (busy)", "task gate", ...;
/// "reserved system type 0xN" for the undefined codes.
std::string system_type_name(u8 type);
/// A gate as the IDT holds it: type, DPL, P, selector and offset (task gates: the TSS
/// selector only), or what the 8 bytes are when they are not a gate.
std::string describe_gate(u64 raw);
/// A GDT/LDT descriptor: code/data segments with base, limit (and G), type, DPL, P, D/B;
/// system descriptors with their type (TSS/LDT with base and limit, gates as describe_gate).
std::string describe_descriptor(u64 raw);
/// A selector: "0x0013 (GDT index 2, RPL 3)"; "null" for 0..3.
std::string describe_selector(u16 selector);
/// The error code of an exception, decoded: selector form for #TS/#NP/#SS/#GP/#AC-less
/// vectors ("IDT vector 14, EXT", "GDT selector 0x0010"), page-fault bits for #PF
/// ("not-present write, supervisor"), empty when the vector pushes none or the code is 0.
std::string describe_error_code(u8 vector, u32 error);

} // namespace cpu
