// SPDX-License-Identifier: MIT
#include "frontend/gdb_packet.h"

namespace frontend::gdb {
namespace {

constexpr char kHexDigits[] = "0123456789abcdef";

int hex_value(char c) {
    if (c >= '0' && c <= '9') {
        return c - '0';
    }
    if (c >= 'a' && c <= 'f') {
        return c - 'a' + 10;
    }
    if (c >= 'A' && c <= 'F') {
        return c - 'A' + 10;
    }
    return -1;
}

} // namespace

u8 checksum(std::string_view bytes) {
    u8 sum = 0;
    for (const char c : bytes) {
        sum = static_cast<u8>(sum + static_cast<u8>(c));
    }
    return sum;
}

std::string escape(std::string_view raw) {
    std::string out;
    out.reserve(raw.size());
    for (const char c : raw) {
        if (c == '#' || c == '$' || c == '}' || c == '*') {
            out.push_back('}');
            out.push_back(static_cast<char>(c ^ 0x20));
        } else {
            out.push_back(c);
        }
    }
    return out;
}

std::string unescape(std::string_view escaped) {
    std::string out;
    out.reserve(escaped.size());
    for (usize i = 0; i < escaped.size(); ++i) {
        if (escaped[i] == '}') {
            if (i + 1 < escaped.size()) {
                out.push_back(static_cast<char>(escaped[++i] ^ 0x20));
            }
        } else {
            out.push_back(escaped[i]);
        }
    }
    return out;
}

std::string frame(std::string_view payload) {
    const std::string body = escape(payload);
    const u8 sum = checksum(body);
    std::string out;
    out.reserve(body.size() + 4);
    out.push_back('$');
    out += body;
    out.push_back('#');
    out.push_back(kHexDigits[sum >> 4]);
    out.push_back(kHexDigits[sum & 15]);
    return out;
}

void PacketDecoder::feed(const u8* data, usize n, std::vector<Event>& out) {
    for (usize i = 0; i < n; ++i) {
        const char c = static_cast<char>(data[i]);
        switch (m_state) {
        case State::Idle:
            // Anything else between packets (line noise, stray acks in no-ack mode) is ignored.
            if (c == '$') {
                m_state = State::Payload;
                m_raw.clear();
                m_overflow = false;
            } else if (c == 0x03) {
                out.push_back({Event::Interrupt, {}});
            } else if (c == '+') {
                out.push_back({Event::Ack, {}});
            } else if (c == '-') {
                out.push_back({Event::Nack, {}});
            }
            break;
        case State::Payload:
            if (c == '#') {
                m_state = State::Check1;
            } else if (c == '$') {
                m_raw.clear(); // a new packet started: the old one was cut short
                m_overflow = false;
            } else if (m_raw.size() < kMaxPayload) {
                m_raw.push_back(c);
            } else {
                m_overflow = true;
            }
            break;
        case State::Check1: {
            m_sum_hi = hex_value(c); // -1 for a non-hex digit, which fails the check
            m_state = State::Check2;
            break;
        }
        case State::Check2: {
            const int v = hex_value(c);
            m_state = State::Idle;
            const bool good = !m_overflow && m_sum_hi >= 0 && v >= 0 &&
                              (m_sum_hi << 4 | v) == checksum(m_raw);
            if (good) {
                out.push_back({Event::Packet, unescape(m_raw)});
            } else {
                out.push_back({Event::BadChecksum, {}});
            }
            m_raw.clear();
            break;
        }
        }
    }
}

std::string to_hex(const u8* data, usize n) {
    std::string out;
    out.reserve(n * 2);
    for (usize i = 0; i < n; ++i) {
        out.push_back(kHexDigits[data[i] >> 4]);
        out.push_back(kHexDigits[data[i] & 15]);
    }
    return out;
}

std::string to_hex(std::string_view bytes) {
    return to_hex(reinterpret_cast<const u8*>(bytes.data()), bytes.size());
}

bool from_hex(std::string_view hex, std::vector<u8>& out) {
    if (hex.size() % 2 != 0) {
        return false;
    }
    out.clear();
    out.reserve(hex.size() / 2);
    for (usize i = 0; i < hex.size(); i += 2) {
        const int hi = hex_value(hex[i]);
        const int lo = hex_value(hex[i + 1]);
        if (hi < 0 || lo < 0) {
            return false;
        }
        out.push_back(static_cast<u8>(hi << 4 | lo));
    }
    return true;
}

bool parse_hex_number(std::string_view hex, u64& out) {
    if (hex.empty() || hex.size() > 16) {
        return false;
    }
    u64 v = 0;
    for (const char c : hex) {
        const int d = hex_value(c);
        if (d < 0) {
            return false;
        }
        v = v << 4 | static_cast<u64>(d);
    }
    out = v;
    return true;
}

} // namespace frontend::gdb
