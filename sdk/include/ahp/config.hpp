// config.hpp — reading a plugin's config with errors that name the plugin and the field:
// Error("invalid_config", "<plugin>: '<field>' <what>", AHP_INVALID_ARGUMENT). C++17.
//
//   ahp::ConfigReader c("my_plugin", config());
//   c.only({"threshold", "names"});
//   int threshold = static_cast<int>(c.integer("threshold", 2, 100, 5));
//   std::vector<std::string> names = c.strings("names", {});
#pragma once

#include <ahp/ahp.hpp>

#include <algorithm>
#include <cstdint>
#include <initializer_list>
#include <string>
#include <string_view>
#include <vector>

namespace ahp {
inline namespace v1 {

class ConfigReader {
public:
    ConfigReader(std::string_view plugin, const json::object& config) : plugin_(plugin), config_(config) {}

    /// Refuse any field that is not one of `known`.
    void only(std::initializer_list<std::string_view> known) const {
        for (const auto& kv : config_) {
            if (std::find(known.begin(), known.end(), kv.key()) == known.end()) fail(kv.key(), "is not a known field");
        }
    }

    /// An integer field in [lo, hi], or `fallback` when absent.
    std::int64_t integer(std::string_view key, std::int64_t lo, std::int64_t hi, std::int64_t fallback) const {
        const json::value* v = config_.if_contains(key);
        if (!v) return fallback;
        if (!v->is_int64() || v->get_int64() < lo || v->get_int64() > hi) {
            fail(key, "must be an integer from " + std::to_string(lo) + " to " + std::to_string(hi));
        }
        return v->get_int64();
    }

    /// A list-of-strings field, or `fallback` when absent; `what` says what it must be.
    std::vector<std::string> strings(std::string_view key, std::vector<std::string> fallback,
                                     std::string_view what = "must be a list of strings") const {
        const json::value* v = config_.if_contains(key);
        if (!v) return fallback;
        if (!v->is_array()) fail(key, what);
        std::vector<std::string> out;
        for (const json::value& s : v->get_array()) {
            if (!s.is_string()) fail(key, what);
            out.emplace_back(s.get_string());
        }
        return out;
    }

    /// Fail: "<plugin>: '<key>' <what>".
    [[noreturn]] void fail(std::string_view key, std::string_view what) const {
        std::string m(plugin_);  // built by appending: g++ 12 -O3 warns falsely on "'" + string
        m += ": '";
        m.append(key);
        m += "' ";
        m.append(what);
        throw Error("invalid_config", m, AHP_INVALID_ARGUMENT);
    }

private:
    std::string plugin_;
    const json::object& config_;
};

}  // namespace v1
}  // namespace ahp
