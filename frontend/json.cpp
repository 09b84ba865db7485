// SPDX-License-Identifier: MIT
#include "frontend/json.h"

#include <charconv>
#include <cmath>
#include <cstdio>
#include <cstdlib>

namespace frontend::json {

Value Value::boolean(bool b) {
    Value v;
    v.m_kind = Kind::Bool;
    v.m_bool = b;
    return v;
}

Value Value::number(double d) {
    Value v;
    v.m_kind = Kind::Number;
    v.m_number = d;
    return v;
}

Value Value::integer(u64 i) {
    Value v;
    v.m_kind = Kind::Number;
    v.m_number = static_cast<double>(i);
    v.m_exact = true;
    v.m_u64 = i;
    return v;
}

Value Value::string(std::string s) {
    Value v;
    v.m_kind = Kind::String;
    v.m_string = std::move(s);
    return v;
}

Value Value::array() {
    Value v;
    v.m_kind = Kind::Array;
    return v;
}

Value Value::object() {
    Value v;
    v.m_kind = Kind::Object;
    return v;
}

const Value* Value::find(std::string_view key) const {
    if (m_kind != Kind::Object) {
        return nullptr;
    }
    for (const auto& [k, v] : m_members) {
        if (k == key) {
            return &v;
        }
    }
    return nullptr;
}

Value& Value::push(Value v) {
    m_items.push_back(std::move(v));
    return *this;
}

Value& Value::set(std::string key, Value v) {
    for (auto& [k, old] : m_members) {
        if (k == key) {
            old = std::move(v);
            return *this;
        }
    }
    m_members.emplace_back(std::move(key), std::move(v));
    return *this;
}

namespace {

void dump_string(const std::string& s, std::string& out) {
    out.push_back('"');
    for (const char ch : s) {
        const auto c = static_cast<unsigned char>(ch);
        switch (c) {
        case '"': out += "\\\""; break;
        case '\\': out += "\\\\"; break;
        case '\n': out += "\\n"; break;
        case '\r': out += "\\r"; break;
        case '\t': out += "\\t"; break;
        case '\b': out += "\\b"; break;
        case '\f': out += "\\f"; break;
        default:
            if (c < 0x20 || c == 0x7F) {
                char buf[8];
                std::snprintf(buf, sizeof(buf), "\\u%04x", c);
                out += buf;
            } else {
                out.push_back(ch);
            }
        }
    }
    out.push_back('"');
}

} // namespace

void Value::dump_to(std::string& out) const {
    switch (m_kind) {
    case Kind::Null: out += "null"; break;
    case Kind::Bool: out += m_bool ? "true" : "false"; break;
    case Kind::Number: {
        char buf[32];
        if (m_exact) {
            std::snprintf(buf, sizeof(buf), "%llu", static_cast<unsigned long long>(m_u64));
        } else if (!std::isfinite(m_number)) {
            std::snprintf(buf, sizeof(buf), "null"); // JSON has no NaN or infinity
        } else if (m_number == std::floor(m_number) && std::fabs(m_number) < 1e15) {
            std::snprintf(buf, sizeof(buf), "%.0f", m_number);
        } else {
            std::snprintf(buf, sizeof(buf), "%.17g", m_number);
        }
        out += buf;
        break;
    }
    case Kind::String: dump_string(m_string, out); break;
    case Kind::Array:
        out.push_back('[');
        for (usize i = 0; i < m_items.size(); ++i) {
            if (i) {
                out += ", ";
            }
            m_items[i].dump_to(out);
        }
        out.push_back(']');
        break;
    case Kind::Object:
        out.push_back('{');
        for (usize i = 0; i < m_members.size(); ++i) {
            if (i) {
                out += ", ";
            }
            dump_string(m_members[i].first, out);
            out += ": ";
            m_members[i].second.dump_to(out);
        }
        out.push_back('}');
        break;
    }
}

std::string Value::dump() const {
    std::string out;
    dump_to(out);
    return out;
}

// ---- parser ----

namespace {

class Parser {
public:
    explicit Parser(std::string_view text) : m_text(text) {}

    ParseResult run() {
        skip_space();
        std::optional<Value> v = value(0);
        if (!v) {
            return {std::nullopt, m_error};
        }
        skip_space();
        if (m_pos != m_text.size()) {
            return {std::nullopt, error_at("unexpected text after the JSON value")};
        }
        return {std::move(v), {}};
    }

private:
    std::string error_at(const std::string& what) const {
        return what + " at offset " + std::to_string(m_pos);
    }
    std::nullopt_t fail(const std::string& what) {
        if (m_error.empty()) {
            m_error = error_at(what);
        }
        return std::nullopt;
    }
    void skip_space() {
        while (m_pos < m_text.size() && (m_text[m_pos] == ' ' || m_text[m_pos] == '\t' ||
                                         m_text[m_pos] == '\n' || m_text[m_pos] == '\r')) {
            ++m_pos;
        }
    }
    bool literal(std::string_view word) {
        if (m_text.substr(m_pos, word.size()) == word) {
            m_pos += word.size();
            return true;
        }
        return false;
    }

    std::optional<Value> value(unsigned depth) {
        if (depth > kMaxDepth) {
            return fail("nesting too deep");
        }
        if (m_pos >= m_text.size()) {
            return fail("unexpected end of input");
        }
        const char c = m_text[m_pos];
        if (c == '{') {
            return object(depth);
        }
        if (c == '[') {
            return array(depth);
        }
        if (c == '"') {
            std::string s;
            if (!string(s)) {
                return std::nullopt;
            }
            return Value::string(std::move(s));
        }
        if (c == '-' || (c >= '0' && c <= '9')) {
            return number();
        }
        if (literal("true")) {
            return Value::boolean(true);
        }
        if (literal("false")) {
            return Value::boolean(false);
        }
        if (literal("null")) {
            return Value();
        }
        return fail(std::string("unexpected character '") + c + "'");
    }

    std::optional<Value> object(unsigned depth) {
        ++m_pos; // '{'
        Value obj = Value::object();
        skip_space();
        if (m_pos < m_text.size() && m_text[m_pos] == '}') {
            ++m_pos;
            return obj;
        }
        for (;;) {
            skip_space();
            if (m_pos >= m_text.size() || m_text[m_pos] != '"') {
                return fail("expected a string key");
            }
            std::string key;
            if (!string(key)) {
                return std::nullopt;
            }
            skip_space();
            if (m_pos >= m_text.size() || m_text[m_pos] != ':') {
                return fail("expected ':'");
            }
            ++m_pos;
            skip_space();
            std::optional<Value> v = value(depth + 1);
            if (!v) {
                return std::nullopt;
            }
            obj.set(std::move(key), std::move(*v));
            skip_space();
            if (m_pos < m_text.size() && m_text[m_pos] == ',') {
                ++m_pos;
                continue;
            }
            if (m_pos < m_text.size() && m_text[m_pos] == '}') {
                ++m_pos;
                return obj;
            }
            return fail("expected ',' or '}'");
        }
    }

    std::optional<Value> array(unsigned depth) {
        ++m_pos; // '['
        Value arr = Value::array();
        skip_space();
        if (m_pos < m_text.size() && m_text[m_pos] == ']') {
            ++m_pos;
            return arr;
        }
        for (;;) {
            skip_space();
            std::optional<Value> v = value(depth + 1);
            if (!v) {
                return std::nullopt;
            }
            arr.push(std::move(*v));
            skip_space();
            if (m_pos < m_text.size() && m_text[m_pos] == ',') {
                ++m_pos;
                continue;
            }
            if (m_pos < m_text.size() && m_text[m_pos] == ']') {
                ++m_pos;
                return arr;
            }
            return fail("expected ',' or ']'");
        }
    }

    std::optional<Value> number() {
        // RFC 8259 grammar: -? (0 | [1-9][0-9]*) (. [0-9]+)? ([eE] [+-]? [0-9]+)?
        const usize start = m_pos;
        auto digits = [&] {
            const usize from = m_pos;
            while (m_pos < m_text.size() && m_text[m_pos] >= '0' && m_text[m_pos] <= '9') {
                ++m_pos;
            }
            return m_pos - from;
        };
        if (m_text[m_pos] == '-') {
            ++m_pos;
        }
        if (m_pos < m_text.size() && m_text[m_pos] == '0') {
            ++m_pos;
        } else if (digits() == 0) {
            return fail("bad number");
        }
        bool integral = true;
        if (m_pos < m_text.size() && m_text[m_pos] == '.') {
            ++m_pos;
            integral = false;
            if (digits() == 0) {
                return fail("bad number");
            }
        }
        if (m_pos < m_text.size() && (m_text[m_pos] == 'e' || m_text[m_pos] == 'E')) {
            ++m_pos;
            integral = false;
            if (m_pos < m_text.size() && (m_text[m_pos] == '+' || m_text[m_pos] == '-')) {
                ++m_pos;
            }
            if (digits() == 0) {
                return fail("bad number");
            }
        }
        const std::string lexeme(m_text.substr(start, m_pos - start));
        if (integral && lexeme[0] != '-') {
            u64 v = 0;
            const auto [end, ec] = std::from_chars(lexeme.data(), lexeme.data() + lexeme.size(), v);
            if (ec == std::errc{} && end == lexeme.data() + lexeme.size()) {
                return Value::integer(v); // exact, even above 2^53
            }
        }
        return Value::number(std::strtod(lexeme.c_str(), nullptr));
    }

    static void append_utf8(std::string& out, u32 cp) {
        if (cp < 0x80) {
            out.push_back(static_cast<char>(cp));
        } else if (cp < 0x800) {
            out.push_back(static_cast<char>(0xC0 | (cp >> 6)));
            out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
        } else if (cp < 0x10000) {
            out.push_back(static_cast<char>(0xE0 | (cp >> 12)));
            out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
            out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
        } else {
            out.push_back(static_cast<char>(0xF0 | (cp >> 18)));
            out.push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3F)));
            out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
            out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
        }
    }

    bool hex4(u32& out) {
        if (m_pos + 4 > m_text.size()) {
            fail("truncated \\u escape");
            return false;
        }
        u32 v = 0;
        for (int i = 0; i < 4; ++i) {
            const char c = m_text[m_pos++];
            v <<= 4;
            if (c >= '0' && c <= '9') {
                v |= static_cast<u32>(c - '0');
            } else if (c >= 'a' && c <= 'f') {
                v |= static_cast<u32>(c - 'a' + 10);
            } else if (c >= 'A' && c <= 'F') {
                v |= static_cast<u32>(c - 'A' + 10);
            } else {
                fail("bad \\u escape");
                return false;
            }
        }
        out = v;
        return true;
    }

    bool string(std::string& out) {
        ++m_pos; // '"'
        while (m_pos < m_text.size()) {
            const char c = m_text[m_pos++];
            if (c == '"') {
                return true;
            }
            if (static_cast<unsigned char>(c) < 0x20) {
                fail("control character in string");
                return false;
            }
            if (c != '\\') {
                out.push_back(c);
                continue;
            }
            if (m_pos >= m_text.size()) {
                break;
            }
            const char e = m_text[m_pos++];
            switch (e) {
            case '"': out.push_back('"'); break;
            case '\\': out.push_back('\\'); break;
            case '/': out.push_back('/'); break;
            case 'b': out.push_back('\b'); break;
            case 'f': out.push_back('\f'); break;
            case 'n': out.push_back('\n'); break;
            case 'r': out.push_back('\r'); break;
            case 't': out.push_back('\t'); break;
            case 'u': {
                u32 cp;
                if (!hex4(cp)) {
                    return false;
                }
                if (cp >= 0xD800 && cp < 0xDC00) {
                    // A high surrogate must be followed by \u and a low one.
                    u32 low;
                    if (m_text.substr(m_pos, 2) != "\\u") {
                        fail("unpaired surrogate");
                        return false;
                    }
                    m_pos += 2;
                    if (!hex4(low)) {
                        return false;
                    }
                    if (low < 0xDC00 || low > 0xDFFF) {
                        fail("unpaired surrogate");
                        return false;
                    }
                    cp = 0x10000 + ((cp - 0xD800) << 10) + (low - 0xDC00);
                } else if (cp >= 0xDC00 && cp <= 0xDFFF) {
                    fail("unpaired surrogate");
                    return false;
                }
                append_utf8(out, cp);
                break;
            }
            default: fail(std::string("bad escape '\\") + e + "'"); return false;
            }
        }
        fail("unterminated string");
        return false;
    }

    std::string_view m_text;
    usize m_pos = 0;
    std::string m_error;
};

} // namespace

ParseResult parse(std::string_view text) { return Parser(text).run(); }

} // namespace frontend::json
