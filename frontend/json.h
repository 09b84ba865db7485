// SPDX-License-Identifier: MIT
// A small JSON value, parser and writer: what QMP needs and no more. The parser takes any
// input without crashing: depth is bounded, numbers are checked, strings are validated
// (escapes, \u surrogate pairs to UTF-8, no raw control characters), and errors come back as a
// message with the byte offset. Not here: the QMP protocol itself (frontend/qmp.h).
#pragma once

#include "base/types.h"

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace frontend::json {

class Value {
public:
    enum class Kind : u8 { Null, Bool, Number, String, Array, Object };

    Value() = default;
    static Value boolean(bool b);
    static Value number(double d);
    /// An integer written without a fraction or exponent (register values up to 2^64-1).
    static Value integer(u64 v);
    static Value string(std::string s);
    static Value array();
    static Value object();

    Kind kind() const { return m_kind; }
    bool is_null() const { return m_kind == Kind::Null; }
    bool is_bool() const { return m_kind == Kind::Bool; }
    bool is_number() const { return m_kind == Kind::Number; }
    bool is_string() const { return m_kind == Kind::String; }
    bool is_array() const { return m_kind == Kind::Array; }
    bool is_object() const { return m_kind == Kind::Object; }

    bool as_bool() const { return m_bool; }
    double as_number() const { return m_number; }
    const std::string& as_string() const { return m_string; }
    const std::vector<Value>& items() const { return m_items; }
    /// Object members in insertion order.
    const std::vector<std::pair<std::string, Value>>& members() const { return m_members; }

    /// The member `key` of an object, or nullptr (also when this is not an object).
    const Value* find(std::string_view key) const;
    /// Appends to an array.
    Value& push(Value v);
    /// Sets (replaces or appends) an object member; returns *this for chaining.
    Value& set(std::string key, Value v);

    /// Compact JSON text; strings escaped, non-ASCII bytes passed through as UTF-8.
    std::string dump() const;

private:
    void dump_to(std::string& out) const;

    Kind m_kind = Kind::Null;
    bool m_bool = false;
    double m_number = 0;
    bool m_exact = false; ///< m_u64 holds the number exactly (integer())
    u64 m_u64 = 0;
    std::string m_string;
    std::vector<Value> m_items;
    std::vector<std::pair<std::string, Value>> m_members;
};

/// Result of parse(): a value, or an error message.
struct ParseResult {
    std::optional<Value> value;
    std::string error;
};

/// Parses one JSON text (surrounding whitespace allowed, nothing else after it).
ParseResult parse(std::string_view text);

/// Nesting deeper than this is refused (keeps the recursive parser's stack small).
inline constexpr unsigned kMaxDepth = 64;

} // namespace frontend::json
