// SPDX-License-Identifier: MIT
// AML encoding of the terms listed in aml.h. Opcode values are from the ACPI spec's AML
// grammar (20.2) and resource descriptor formats from 6.4.
#include "devices/acpi/aml.h"

#include "base/check.h"

namespace devices::acpi::aml {

namespace {
constexpr u8 kZeroOp = 0x00;
constexpr u8 kOneOp = 0x01;
constexpr u8 kNameOp = 0x08;
constexpr u8 kBytePrefix = 0x0A;
constexpr u8 kWordPrefix = 0x0B;
constexpr u8 kDWordPrefix = 0x0C;
constexpr u8 kStringPrefix = 0x0D;
constexpr u8 kQWordPrefix = 0x0E;
constexpr u8 kScopeOp = 0x10;
constexpr u8 kBufferOp = 0x11;
constexpr u8 kPackageOp = 0x12;
constexpr u8 kMethodOp = 0x14;
constexpr u8 kDualNamePrefix = 0x2E;
constexpr u8 kMultiNamePrefix = 0x2F;
constexpr u8 kExtOpPrefix = 0x5B;
constexpr u8 kDeviceOp = 0x82; // after ExtOpPrefix
constexpr u8 kOnesOp = 0xFF;

/// opcode(s) + PkgLength + content.
Bytes with_pkg(std::initializer_list<u8> ops, const Bytes& content) {
    Bytes out(ops);
    append(out, pkg_length(content.size()));
    append(out, content);
    return out;
}
} // namespace

Bytes concat(std::initializer_list<Bytes> parts) {
    Bytes out;
    for (const Bytes& p : parts) {
        append(out, p);
    }
    return out;
}

void append(Bytes& out, const Bytes& more) { out.insert(out.end(), more.begin(), more.end()); }

Bytes pkg_length(usize content) {
    // The encoded length includes the PkgLength bytes themselves.
    if (content + 1 <= 0x3F) {
        return Bytes{static_cast<u8>(content + 1)};
    }
    for (unsigned n = 2; n <= 4; ++n) {
        const usize total = content + n;
        if (total < (usize{1} << (4 + 8 * (n - 1)))) {
            Bytes out{static_cast<u8>(((n - 1) << 6) | (total & 0x0F))};
            for (unsigned i = 1; i < n; ++i) {
                out.push_back(static_cast<u8>(total >> (4 + 8 * (i - 1))));
            }
            return out;
        }
    }
    TX86_UNREACHABLE("AML package too large");
}

Bytes name_string(std::string_view path) {
    Bytes out;
    usize i = 0;
    if (i < path.size() && path[i] == '\\') {
        out.push_back('\\');
        ++i;
    }
    while (i < path.size() && path[i] == '^') {
        out.push_back('^');
        ++i;
    }
    std::vector<Bytes> segs;
    while (i < path.size()) {
        usize end = path.find('.', i);
        if (end == std::string_view::npos) {
            end = path.size();
        }
        const std::string_view seg = path.substr(i, end - i);
        TX86_CHECK(!seg.empty() && seg.size() <= 4, "bad AML name segment");
        Bytes s(4, '_');
        for (usize k = 0; k < seg.size(); ++k) {
            s[k] = static_cast<u8>(seg[k]);
        }
        segs.push_back(std::move(s));
        i = end + 1;
    }
    if (segs.empty()) {
        out.push_back(0x00); // NullName
    } else if (segs.size() == 2) {
        out.push_back(kDualNamePrefix);
    } else if (segs.size() > 2) {
        out.push_back(kMultiNamePrefix);
        out.push_back(static_cast<u8>(segs.size()));
    }
    for (const Bytes& s : segs) {
        append(out, s);
    }
    return out;
}

Bytes integer(u64 value) {
    if (value == 0) {
        return {kZeroOp};
    }
    if (value == 1) {
        return {kOneOp};
    }
    if (value == ~u64{0}) {
        return {kOnesOp};
    }
    Bytes out;
    unsigned n;
    if (value <= 0xFF) {
        out.push_back(kBytePrefix);
        n = 1;
    } else if (value <= 0xFFFF) {
        out.push_back(kWordPrefix);
        n = 2;
    } else if (value <= 0xFFFFFFFF) {
        out.push_back(kDWordPrefix);
        n = 4;
    } else {
        out.push_back(kQWordPrefix);
        n = 8;
    }
    for (unsigned i = 0; i < n; ++i) {
        out.push_back(static_cast<u8>(value >> (8 * i)));
    }
    return out;
}

Bytes dword(u32 value) {
    return {kDWordPrefix, static_cast<u8>(value), static_cast<u8>(value >> 8),
            static_cast<u8>(value >> 16), static_cast<u8>(value >> 24)};
}

Bytes string(std::string_view s) {
    Bytes out{kStringPrefix};
    for (char c : s) {
        out.push_back(static_cast<u8>(c));
    }
    out.push_back(0);
    return out;
}

u32 eisa_id_value(std::string_view id) {
    TX86_CHECK(id.size() == 7, "EISA ID must be 3 letters and 4 hex digits");
    auto hex = [](char c) -> u32 {
        return c <= '9' ? static_cast<u32>(c - '0') : static_cast<u32>((c | 0x20) - 'a' + 10);
    };
    // Three 5-bit letters ('A' = 1) form a big-endian 16-bit vendor code, followed by the
    // product number's bytes; the whole is stored as those four bytes in order.
    const u32 vendor = (static_cast<u32>(id[0] - 0x40) & 0x1F) << 10 |
                       (static_cast<u32>(id[1] - 0x40) & 0x1F) << 5 |
                       (static_cast<u32>(id[2] - 0x40) & 0x1F);
    const u32 b0 = vendor >> 8;
    const u32 b1 = vendor & 0xFF;
    const u32 b2 = hex(id[3]) << 4 | hex(id[4]);
    const u32 b3 = hex(id[5]) << 4 | hex(id[6]);
    return b0 | b1 << 8 | b2 << 16 | b3 << 24;
}

Bytes eisa_id(std::string_view id) { return dword(eisa_id_value(id)); }

Bytes name(std::string_view path, const Bytes& value) {
    Bytes out{kNameOp};
    append(out, name_string(path));
    append(out, value);
    return out;
}

Bytes scope(std::string_view path, const Bytes& body) {
    return with_pkg({kScopeOp}, concat({name_string(path), body}));
}

Bytes device(std::string_view path, const Bytes& body) {
    return with_pkg({kExtOpPrefix, kDeviceOp}, concat({name_string(path), body}));
}

Bytes method(std::string_view path, unsigned args, bool serialized, const Bytes& body) {
    TX86_CHECK(args <= 7, "AML methods take at most 7 arguments");
    const u8 flags = static_cast<u8>(args | (serialized ? 0x08 : 0));
    return with_pkg({kMethodOp}, concat({name_string(path), Bytes{flags}, body}));
}

Bytes package(const std::vector<Bytes>& elements) {
    TX86_CHECK(elements.size() <= 255, "AML package too large for DefPackage");
    Bytes content{static_cast<u8>(elements.size())};
    for (const Bytes& e : elements) {
        append(content, e);
    }
    return with_pkg({kPackageOp}, content);
}

Bytes buffer(const Bytes& data) {
    return with_pkg({kBufferOp}, concat({integer(data.size()), data}));
}

Bytes res_io(u16 min, u16 max, u8 align, u8 length) {
    // Small item 0x08, length 7: info (bit 0: 16-bit decode), min, max, alignment, length.
    return {0x47,
            0x01,
            static_cast<u8>(min),
            static_cast<u8>(min >> 8),
            static_cast<u8>(max),
            static_cast<u8>(max >> 8),
            align,
            length};
}

Bytes res_word_producer(u8 kind, u16 min, u16 max) {
    // Large item 0x08, length 13: type, general flags (min/max fixed, producer, positive
    // decode), type flags (I/O: entire range), granularity, min, max, translation, length.
    const u16 len = static_cast<u16>(max - min + 1);
    return {0x88, 13, 0, kind, 0x0C, static_cast<u8>(kind == 1 ? 0x03 : 0x00), 0, 0,
            static_cast<u8>(min), static_cast<u8>(min >> 8), static_cast<u8>(max),
            static_cast<u8>(max >> 8), 0, 0, static_cast<u8>(len), static_cast<u8>(len >> 8)};
}

Bytes res_dword_memory_producer(u32 min, u32 max) {
    // Large item 0x07, length 23: memory, min/max fixed producer, read-write cacheable.
    Bytes out{0x87, 23, 0, 0, 0x0C, 0x03};
    auto put = [&](u32 v) {
        for (unsigned i = 0; i < 4; ++i) {
            out.push_back(static_cast<u8>(v >> (8 * i)));
        }
    };
    put(0);
    put(min);
    put(max);
    put(0);
    put(max - min + 1);
    return out;
}

Bytes res_irq_noflags(u16 mask) {
    // Small item 0x04, length 2: the IRQ mask only.
    return {0x22, static_cast<u8>(mask), static_cast<u8>(mask >> 8)};
}

Bytes res_interrupt(Trigger trigger, Polarity polarity, Sharing sharing,
                    const std::vector<u32>& irqs) {
    TX86_CHECK(!irqs.empty() && irqs.size() <= 255, "bad interrupt list");
    // Large item 0x09: flags (bit 0 consumer, 1 edge, 2 active-low, 3 shared), count, list.
    const usize len = 2 + 4 * irqs.size();
    Bytes out{0x89, static_cast<u8>(len), static_cast<u8>(len >> 8)};
    out.push_back(static_cast<u8>(0x01 | (trigger == Trigger::Edge ? 0x02 : 0) |
                                  (polarity == Polarity::ActiveLow ? 0x04 : 0) |
                                  (sharing == Sharing::Shared ? 0x08 : 0)));
    out.push_back(static_cast<u8>(irqs.size()));
    for (u32 irq : irqs) {
        for (unsigned i = 0; i < 4; ++i) {
            out.push_back(static_cast<u8>(irq >> (8 * i)));
        }
    }
    return out;
}

Bytes resource_template(std::initializer_list<Bytes> descriptors) {
    Bytes data;
    for (const Bytes& d : descriptors) {
        append(data, d);
    }
    // End tag; a zero checksum means "treat the template as valid" (6.4.2.9).
    data.push_back(0x79);
    data.push_back(0x00);
    return buffer(data);
}

} // namespace devices::acpi::aml
