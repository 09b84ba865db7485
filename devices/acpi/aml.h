// SPDX-License-Identifier: MIT
// A small AML encoder (ACPI spec 6.x, chapter 20 "ACPI Machine Language Specification"):
// enough to write a static DSDT: names and paths, integer/string/EISA-ID constants,
// Name, Scope, Device, Method (with a raw body), Package, Buffer, and the resource
// descriptors our _CRS/_PRS objects need (chapter 6.4). Every function returns the encoded
// bytes of one term so terms compose by concatenation. Not here: an AML interpreter, a
// parser, or expression opcodes beyond what static tables use.
#pragma once

#include "base/types.h"

#include <initializer_list>
#include <string_view>
#include <vector>

namespace devices::acpi::aml {

using Bytes = std::vector<u8>;

/// Joins terms in order.
Bytes concat(std::initializer_list<Bytes> parts);
/// Appends `more` to `out`.
void append(Bytes& out, const Bytes& more);

/// PkgLength (20.2.4) for `content` bytes following it; the encoded value counts itself.
Bytes pkg_length(usize content);
/// NameString (20.2.2): optional leading '\' or '^'s, then NameSegs separated by '.', each
/// padded with '_' to 4 characters ("\\_SB.PCI0", "_HID", "^LNKA").
Bytes name_string(std::string_view path);
/// The smallest integer encoding: ZeroOp, OneOp, OnesOp (all-ones 64-bit), Byte/Word/
/// DWord/QWordConst.
Bytes integer(u64 value);
/// A DWordConst even for small values (fields whose size matters, e.g. _PRT addresses).
Bytes dword(u32 value);
/// String constant (ASCII, NUL-terminated).
Bytes string(std::string_view s);
/// The 32-bit compressed EISA ID of "PNP0A03"-style names, as a DWordConst (the ASL
/// EisaId() macro).
Bytes eisa_id(std::string_view id);
/// Raw EISA ID value.
u32 eisa_id_value(std::string_view id);

/// DefName: Name(path, value).
Bytes name(std::string_view path, const Bytes& value);
/// DefScope: Scope(path) { body }.
Bytes scope(std::string_view path, const Bytes& body);
/// DefDevice: Device(path) { body }.
Bytes device(std::string_view path, const Bytes& body);
/// DefMethod: Method(path, args, serialized) { body } (body = raw TermList bytes).
Bytes method(std::string_view path, unsigned args, bool serialized, const Bytes& body);
/// DefPackage with the given already-encoded elements (at most 255).
Bytes package(const std::vector<Bytes>& elements);
/// DefBuffer holding `data`.
Bytes buffer(const Bytes& data);

// ---- resource descriptors (6.4) ----
/// I/O port descriptor, 16-bit decode.
Bytes res_io(u16 min, u16 max, u8 align, u8 length);
/// IRQ descriptor without flags (edge, active-high, exclusive): `mask` bit n = IRQ n.
Bytes res_irq_noflags(u16 mask);
/// Extended interrupt descriptor for a consumer: level/edge, active high/low, shared.
enum class Trigger : u8 { Level, Edge };
enum class Polarity : u8 { ActiveHigh, ActiveLow };
enum class Sharing : u8 { Exclusive, Shared };
Bytes res_interrupt(Trigger trigger, Polarity polarity, Sharing sharing,
                    const std::vector<u32>& irqs);
/// Word address-space descriptor produced by a bridge (6.4.3.5.3): `kind` 1 = I/O range,
/// 2 = bus numbers; fixed [min, max], positive decode.
Bytes res_word_producer(u8 kind, u16 min, u16 max);
/// DWord memory range produced by a bridge (6.4.3.5.2): read-write, cacheable, fixed.
Bytes res_dword_memory_producer(u32 min, u32 max);
/// ResourceTemplate(): a Buffer holding the descriptors followed by an End Tag.
Bytes resource_template(std::initializer_list<Bytes> descriptors);

} // namespace devices::acpi::aml
