// SPDX-License-Identifier: MIT
#include "frontend/qmp.h"

#include "cpu/cpu.h"
#include "devices/board/pc.h"
#include "frontend/gdb_regs.h"
#include "frontend/monitor.h"

#include <array>

namespace frontend {
namespace {

json::Value error_reply(const std::string& cls, const std::string& desc) {
    json::Value e = json::Value::object();
    e.set("class", json::Value::string(cls));
    e.set("desc", json::Value::string(desc));
    json::Value r = json::Value::object();
    r.set("error", std::move(e));
    return r;
}

json::Value return_reply(json::Value v) {
    json::Value r = json::Value::object();
    r.set("return", std::move(v));
    return r;
}

constexpr std::array kCommands = {
    "qmp_capabilities", "stop", "cont", "query-status", "query-registers",
    "query-commands", "human-monitor-command", "quit",
};

} // namespace

json::Value registers_json(devices::PcBoard& board) {
    cpu::Cpu& c = board.cpu();
    json::Value regs = json::Value::object();
    // The general registers, eip, eflags, selectors and the system registers of the gdb
    // description (names as gdb spells them), each as a number.
    for (unsigned i = 0; i < gdb::register_count(); ++i) {
        const gdb::RegInfo info = gdb::register_info(i);
        if (!info.integer) {
            continue;
        }
        const std::vector<u8> bytes = gdb::read_register(c, i);
        u64 v = 0;
        for (usize k = 0; k < bytes.size(); ++k) {
            v |= u64{bytes[k]} << (8 * k);
        }
        regs.set(info.name, json::Value::integer(v));
    }
    regs.set("cpl", json::Value::integer(c.s.cpl));
    regs.set("halted", json::Value::boolean(c.s.halted));
    regs.set("icount", json::Value::integer(c.icount));
    return regs;
}

std::string QmpSession::greeting() {
    json::Value ver = json::Value::object();
    json::Value qemu = json::Value::object();
    qemu.set("major", json::Value::integer(0));
    qemu.set("minor", json::Value::integer(1));
    qemu.set("micro", json::Value::integer(0));
    ver.set("qemu", std::move(qemu));
    ver.set("package", json::Value::string("tx86 " TX86_VERSION));
    json::Value inner = json::Value::object();
    inner.set("version", std::move(ver));
    inner.set("capabilities", json::Value::array());
    json::Value g = json::Value::object();
    g.set("QMP", std::move(inner));
    return g.dump();
}

std::string QmpSession::error_line(const std::string& error_class, const std::string& desc) {
    return error_reply(error_class, desc).dump();
}

std::string QmpSession::handle(std::string_view text) {
    const json::ParseResult parsed = json::parse(text);
    if (!parsed.value) {
        return error_reply("GenericError", "JSON parse error, " + parsed.error).dump();
    }
    const json::Value& req = *parsed.value;
    if (!req.is_object()) {
        return error_reply("GenericError", "QMP input must be a JSON object").dump();
    }
    const json::Value* id = req.find("id");
    const json::Value* exec = req.find("execute");
    json::Value reply;
    if (!exec || !exec->is_string()) {
        reply = error_reply("GenericError", "QMP input lacks member 'execute' (a string)");
    } else {
        const json::Value* args = req.find("arguments");
        if (args && !args->is_object()) {
            reply = error_reply("GenericError", "QMP input member 'arguments' must be an object");
        } else {
            reply = execute(exec->as_string(), args);
        }
    }
    if (id) {
        reply.set("id", *id);
    }
    return reply.dump();
}

json::Value QmpSession::execute(const std::string& command, const json::Value* arguments) {
    if (!m_negotiated) {
        if (command != "qmp_capabilities") {
            return error_reply("CommandNotFound",
                               "Expecting capabilities negotiation with 'qmp_capabilities'");
        }
        m_negotiated = true;
        return return_reply(json::Value::object());
    }
    if (command == "qmp_capabilities") {
        return error_reply("CommandNotFound", "Capabilities negotiation is already complete, command "
                                              "ignored");
    }
    if (command == "stop") {
        m_board.pause();
        return return_reply(json::Value::object());
    }
    if (command == "cont") {
        m_board.resume();
        return return_reply(json::Value::object());
    }
    if (command == "quit") {
        m_board.request_quit();
        return return_reply(json::Value::object());
    }
    if (command == "query-status") {
        json::Value st = json::Value::object();
        st.set("status", json::Value::string(m_board.paused() ? "paused" : "running"));
        st.set("running", json::Value::boolean(!m_board.paused()));
        st.set("singlestep", json::Value::boolean(false));
        return return_reply(std::move(st));
    }
    if (command == "query-registers") {
        return return_reply(registers_json(m_board));
    }
    if (command == "query-commands") {
        json::Value list = json::Value::array();
        for (const char* name : kCommands) {
            json::Value c = json::Value::object();
            c.set("name", json::Value::string(name));
            list.push(std::move(c));
        }
        return return_reply(std::move(list));
    }
    if (command == "human-monitor-command") {
        const json::Value* line = arguments ? arguments->find("command-line") : nullptr;
        if (!line || !line->is_string()) {
            return error_reply("GenericError", "Parameter 'command-line' is missing (a string)");
        }
        return return_reply(json::Value::string(m_monitor.execute(line->as_string())));
    }
    return error_reply("CommandNotFound", "The command " + command + " has not been found");
}

} // namespace frontend
