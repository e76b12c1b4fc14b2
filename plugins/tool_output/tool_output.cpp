// tool_output: after each tool call, a result whose text is over `threshold_bytes` is saved
// whole in the session's data folder (session_data.write, never the user's workspace) and the
// model sees a bounded preview instead: head and tail cut at line boundaries, the sizes, and the
// /@session/ path to read the rest from with read_file ranges. For an object result (bash's
// {exit_code, stdout, stderr, …}) the long string members are bounded and the rest is kept.
//
// Most results are small: the hook answers those from the size of the params text alone,
// without parsing it (a result's text is never longer than the params that carry it).
#include "preview.hpp"

#include <ahp/ahp.hpp>
#include <ahp/config.hpp>

#include <algorithm>

namespace {

namespace json = ahp::json;

constexpr std::int64_t kDefaultThreshold = 16 * 1024;
constexpr std::int64_t kDefaultPreview = 2 * 1024;
/// A member is not worth bounding unless the preview saves at least this much.
constexpr std::size_t kMinSaving = 1024;

/// A tool call id as a file name: letters, digits, '-', '_' and '.'; anything else becomes '_'.
std::string file_stem(std::string_view id) {
    std::string out;
    for (char ch : id.substr(0, 128)) {
        bool ok = (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') || ch == '-' ||
                  ch == '_' || (ch == '.' && !out.empty());
        out += ok ? ch : '_';
    }
    return out.empty() ? "call" : out;
}

/// The members holding a result's main text: saved as <id>.txt; others as <id>.<member>.txt.
bool main_member(std::string_view key) {
    return key == "stdout" || key == "content" || key == "text" || key == "output";
}

class ToolOutput : public ahp::Capability {
public:
    /// hook.after_tool answers a small result ({}: unchanged) from the params' size alone.
    std::optional<std::string> invoke_raw(std::string_view method, std::string_view params, ahp::Call&) override {
        if (method == "hook.after_tool" && small(params.size())) return std::string("{}");
        return std::nullopt;
    }

    explicit ToolOutput(json::object cfg) : Capability(std::move(cfg)) {
        ahp::ConfigReader c("tool_output", config());
        c.only({"threshold_bytes", "preview_bytes", "skip_tools"});
        threshold_ = static_cast<std::size_t>(c.integer("threshold_bytes", 1024, 64ll << 20, kDefaultThreshold));
        preview_ = static_cast<std::size_t>(c.integer("preview_bytes", 128, 1 << 20, kDefaultPreview));
        // By default read_file is skipped: it is ranged already, and re-saving a read of a saved
        // output would chase its tail.
        skip_ = c.strings("skip_tools", {"read_file"}, "must be a list of tool names");
        on_hook("after_tool", [this](const json::object& params, ahp::Call& call) { return after_tool(params, call); });
    }

    /// Whether params of this size cannot carry a result over the threshold.
    bool small(std::size_t params_bytes) const { return params_bytes <= threshold_; }

private:
    struct Member {
        json::string* text;
        std::string key;  // empty: the whole result is this string
    };

    json::value after_tool(const json::object& params, ahp::Call& call) {
        const json::value* result = params.if_contains("result");
        if (!result) return json::object{};
        std::string tool, id;
        if (const json::value* tc = params.if_contains("tool_call"); tc && tc->is_object()) {
            const json::object& o = tc->get_object();
            if (const json::value* n = o.if_contains("name"); n && n->is_string()) tool = n->get_string();
            if (const json::value* i = o.if_contains("id"); i && i->is_string()) id = i->get_string();
        }
        if (std::find(skip_.begin(), skip_.end(), tool) != skip_.end()) return json::object{};

        json::value out = *result;
        std::vector<Member> members;
        std::size_t total = 0;
        if (out.is_string()) {
            members.push_back({&out.get_string(), ""});
        } else if (out.is_object()) {
            for (auto& kv : out.get_object()) {
                if (kv.value().is_string()) members.push_back({&kv.value().get_string(), std::string(kv.key())});
            }
        }
        for (const Member& m : members) total += m.text->size();
        if (total <= threshold_) return json::object{};

        // The largest first, until the text fits.
        std::stable_sort(members.begin(), members.end(),
                         [](const Member& a, const Member& b) { return a.text->size() > b.text->size(); });
        json::array files;
        for (const Member& m : members) {
            if (total <= threshold_) break;
            std::size_t size = m.text->size();
            if (size < 2 * preview_ + kMinSaving) break;
            std::string name = "outputs/" + file_stem(id) +
                               (m.key.empty() || main_member(m.key) ? "" : "." + file_stem(m.key)) + ".txt";
            std::string_view text(m.text->data(), m.text->size());
            std::string path, error;
            try {
                json::value saved = call.request("session_data.write", json::object{{"name", name}, {"content", text}});
                const json::value* p = saved.is_object() ? saved.get_object().if_contains("path") : nullptr;
                path = p && p->is_string() ? std::string(p->get_string()) : "/@session/" + name;
            } catch (const ahp::Error& e) {
                if (e.status() == AHP_CANCELLED) throw;
                error = e.what();
                call.log(AHP_LOG_WARN, "could not save the output of " + tool + " (" + id + "): " + error);
            }
            toolout::Cut c = toolout::cut(text, preview_);
            std::string preview = toolout::render(text, c, path, error);
            json::object file{{"member", m.key.empty() ? "result" : m.key}, {"bytes", size}, {"lines", c.total_lines}};
            if (!path.empty()) file["path"] = path;
            files.push_back(std::move(file));
            total = total - size + preview.size();
            *m.text = preview;
        }
        if (files.empty()) return json::object{};
        if (out.is_object()) out.get_object()["output_files"] = std::move(files);
        return json::object{{"result", std::move(out)}};
    }

    std::size_t threshold_ = kDefaultThreshold;
    std::size_t preview_ = kDefaultPreview;
    std::vector<std::string> skip_;
};

}  // namespace

AHP_PLUGIN(ToolOutput, "tool_output", "1.0.0")
