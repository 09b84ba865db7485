// SPDX-License-Identifier: MIT
// json_lite: a small JSON reader for the test-vector files — objects, arrays, strings and
// numbers (integers exactly, anything else as double); true/false/null are accepted too.
// It is a test helper: no writer, no Unicode escapes beyond \uXXXX for ASCII, errors as
// a message string. The top-level array can be walked one element at a time, so a test run
// can stop after the first N vectors of a file without building the rest.
#pragma once

#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace json_lite {

struct Value {
    enum class Type : std::uint8_t { Null, Bool, Number, String, Array, Object };
    Type type = Type::Null;
    bool boolean = false;
    std::int64_t integer = 0; ///< exact for integral numbers
    double number = 0;
    std::string str;
    std::vector<Value> arr;
    std::vector<std::pair<std::string, Value>> obj;

    /// Member lookup; nullptr if absent or not an object.
    const Value* find(std::string_view key) const {
        if (type != Type::Object) {
            return nullptr;
        }
        for (const auto& [k, v] : obj) {
            if (k == key) {
                return &v;
            }
        }
        return nullptr;
    }
    bool is_array() const { return type == Type::Array; }
    bool is_object() const { return type == Type::Object; }
    bool is_number() const { return type == Type::Number; }
    bool is_string() const { return type == Type::String; }
};

class Parser {
public:
    explicit Parser(std::string_view text) : m_s(text) {}

    /// Parses one value at the current position.
    bool parse(Value& out) {
        skip_ws();
        if (m_pos >= m_s.size()) {
            return fail("unexpected end of input");
        }
        const char c = m_s[m_pos];
        switch (c) {
        case '{': return parse_object(out);
        case '[': return parse_array(out);
        case '"': out.type = Value::Type::String; return parse_string(out.str);
        case 't': return literal("true", out, Value::Type::Bool, true);
        case 'f': return literal("false", out, Value::Type::Bool, false);
        case 'n': return literal("null", out, Value::Type::Null, false);
        default: return parse_number(out);
        }
    }

    /// Element-wise walk of a top-level array: begin_array(), then next_element() until it
    /// returns false (end of array or error(); check error().empty()).
    bool begin_array() {
        skip_ws();
        if (m_pos >= m_s.size() || m_s[m_pos] != '[') {
            return fail("expected '['");
        }
        ++m_pos;
        m_first = true;
        return true;
    }
    bool next_element(Value& out) {
        skip_ws();
        if (m_pos < m_s.size() && m_s[m_pos] == ']') {
            ++m_pos;
            return false;
        }
        if (!m_first) {
            if (m_pos >= m_s.size() || m_s[m_pos] != ',') {
                fail("expected ',' in array");
                return false;
            }
            ++m_pos;
        }
        m_first = false;
        out = Value{};
        return parse(out);
    }

    const std::string& error() const { return m_err; }

private:
    bool fail(const char* what) {
        if (m_err.empty()) {
            m_err = std::string(what) + " at offset " + std::to_string(m_pos);
        }
        return false;
    }
    void skip_ws() {
        while (m_pos < m_s.size() && (m_s[m_pos] == ' ' || m_s[m_pos] == '\n' ||
                                      m_s[m_pos] == '\r' || m_s[m_pos] == '\t')) {
            ++m_pos;
        }
    }
    bool literal(std::string_view word, Value& out, Value::Type t, bool b) {
        if (m_s.substr(m_pos, word.size()) != word) {
            return fail("bad literal");
        }
        m_pos += word.size();
        out.type = t;
        out.boolean = b;
        return true;
    }
    bool parse_number(Value& out) {
        const std::size_t start = m_pos;
        bool integral = true;
        if (m_pos < m_s.size() && m_s[m_pos] == '-') {
            ++m_pos;
        }
        while (m_pos < m_s.size()) {
            const char c = m_s[m_pos];
            if (c >= '0' && c <= '9') {
                ++m_pos;
            } else if (c == '.' || c == 'e' || c == 'E' || c == '+' || c == '-') {
                integral = false;
                ++m_pos;
            } else {
                break;
            }
        }
        if (m_pos == start) {
            return fail("unexpected character");
        }
        const std::string tok(m_s.substr(start, m_pos - start));
        out.type = Value::Type::Number;
        if (integral) {
            out.integer = std::strtoll(tok.c_str(), nullptr, 10);
            out.number = static_cast<double>(out.integer);
        } else {
            out.number = std::strtod(tok.c_str(), nullptr);
            out.integer = static_cast<std::int64_t>(out.number);
        }
        return true;
    }
    bool parse_string(std::string& out) {
        ++m_pos; // opening quote
        out.clear();
        while (m_pos < m_s.size()) {
            const char c = m_s[m_pos++];
            if (c == '"') {
                return true;
            }
            if (c != '\\') {
                out.push_back(c);
                continue;
            }
            if (m_pos >= m_s.size()) {
                break;
            }
            const char e = m_s[m_pos++];
            switch (e) {
            case 'n': out.push_back('\n'); break;
            case 't': out.push_back('\t'); break;
            case 'r': out.push_back('\r'); break;
            case 'b': out.push_back('\b'); break;
            case 'f': out.push_back('\f'); break;
            case 'u': {
                if (m_pos + 4 > m_s.size()) {
                    return fail("bad \\u escape");
                }
                const unsigned cp = static_cast<unsigned>(
                    std::strtoul(std::string(m_s.substr(m_pos, 4)).c_str(), nullptr, 16));
                m_pos += 4;
                out.push_back(cp < 0x80 ? static_cast<char>(cp) : '?');
                break;
            }
            default: out.push_back(e); break; // \" \\ \/
            }
        }
        return fail("unterminated string");
    }
    bool parse_array(Value& out) {
        ++m_pos;
        out.type = Value::Type::Array;
        skip_ws();
        if (m_pos < m_s.size() && m_s[m_pos] == ']') {
            ++m_pos;
            return true;
        }
        for (;;) {
            out.arr.emplace_back();
            if (!parse(out.arr.back())) {
                return false;
            }
            skip_ws();
            if (m_pos < m_s.size() && m_s[m_pos] == ',') {
                ++m_pos;
                continue;
            }
            if (m_pos < m_s.size() && m_s[m_pos] == ']') {
                ++m_pos;
                return true;
            }
            return fail("expected ',' or ']'");
        }
    }
    bool parse_object(Value& out) {
        ++m_pos;
        out.type = Value::Type::Object;
        skip_ws();
        if (m_pos < m_s.size() && m_s[m_pos] == '}') {
            ++m_pos;
            return true;
        }
        for (;;) {
            skip_ws();
            if (m_pos >= m_s.size() || m_s[m_pos] != '"') {
                return fail("expected a key");
            }
            std::string key;
            if (!parse_string(key)) {
                return false;
            }
            skip_ws();
            if (m_pos >= m_s.size() || m_s[m_pos] != ':') {
                return fail("expected ':'");
            }
            ++m_pos;
            out.obj.emplace_back(std::move(key), Value{});
            if (!parse(out.obj.back().second)) {
                return false;
            }
            skip_ws();
            if (m_pos < m_s.size() && m_s[m_pos] == ',') {
                ++m_pos;
                continue;
            }
            if (m_pos < m_s.size() && m_s[m_pos] == '}') {
                ++m_pos;
                return true;
            }
            return fail("expected ',' or '}'");
        }
    }

    std::string_view m_s;
    std::size_t m_pos = 0;
    bool m_first = true;
    std::string m_err;
};

/// Parses a whole document.
inline bool parse(std::string_view text, Value& out, std::string* err = nullptr) {
    Parser p(text);
    const bool ok = p.parse(out);
    if (!ok && err) {
        *err = p.error();
    }
    return ok;
}

} // namespace json_lite
