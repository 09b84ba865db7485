// SPDX-License-Identifier: MIT
// The byte level of gdb's remote serial protocol: packet framing ($payload#cs), checksums,
// binary escaping ('}' then the byte xor 0x20), acknowledgements and the out-of-band Ctrl-C, plus
// the hex helpers every command needs. No sockets and no CPU here (frontend/gdb_stub.h does
// the commands), so all of it is unit-tested (tests/unit/gdb_stub_test.cpp).
#pragma once

#include "base/types.h"

#include <string>
#include <string_view>
#include <vector>

namespace frontend::gdb {

/// Sum of the bytes modulo 256, as the protocol's two hex digits carry it.
u8 checksum(std::string_view bytes);

/// Escapes the bytes the framing reserves ('#', '$', '}', '*') as '}' followed by byte ^ 0x20.
std::string escape(std::string_view raw);
/// Undoes escape(). A trailing lone '}' is dropped.
std::string unescape(std::string_view escaped);

/// A complete frame: '$' + escape(payload) + '#' + two lowercase hex digits of the checksum.
std::string frame(std::string_view payload);

/// Splits the incoming byte stream into what the stub must act on.
class PacketDecoder {
public:
    struct Event {
        enum Kind : u8 {
            Packet,      ///< a well-formed packet: `payload` holds it, unescaped
            BadChecksum, ///< a packet whose checksum did not match (reply '-')
            Interrupt,   ///< 0x03 outside a packet: gdb's Ctrl-C
            Ack,         ///< '+'
            Nack,        ///< '-': resend the last packet
        };
        Kind kind;
        std::string payload;
    };

    /// Largest payload accepted; a longer packet is dropped (reported as BadChecksum).
    static constexpr usize kMaxPayload = 64 * 1024;

    /// Consumes `n` bytes and appends the events they complete to `out`.
    void feed(const u8* data, usize n, std::vector<Event>& out);

private:
    enum class State : u8 { Idle, Payload, Check1, Check2 };
    State m_state = State::Idle;
    std::string m_raw; ///< the escaped payload seen so far
    int m_sum_hi = 0; ///< first checksum digit (-1 if it was not hex)
    bool m_overflow = false;
};

// ---- hex ----
/// Lowercase hex of `n` bytes, in memory order.
std::string to_hex(const u8* data, usize n);
std::string to_hex(std::string_view bytes);
/// Decodes an even number of hex digits. False on odd length or a non-hex character.
bool from_hex(std::string_view hex, std::vector<u8>& out);
/// Parses a non-empty run of hex digits (at most 16) as a big-endian number, the way addresses
/// and lengths are written in packets.
bool parse_hex_number(std::string_view hex, u64& out);

} // namespace frontend::gdb
