// instructions: AGENTS.md files (the workspace's, its parents' up to the repository root, and the
// user's) put into the system prompt, re-read every turn, capped, and wrapped so the model
// knows what they are. The host finds and reads the files (service instructions.files), so the
// plugin never touches the disk itself.
#include <ahp/ahp.hpp>

namespace {

namespace json = ahp::json;

constexpr std::int64_t kDefaultMaxBytes = 32 * 1024;

class Instructions : public ahp::Capability {
public:
    explicit Instructions(json::object cfg) : Capability(std::move(cfg)) {
        if (const json::value* f = config().if_contains("files")) {
            for (const json::value& name : f->as_array()) names_.push_back(json::string(name.as_string()));
        } else {
            names_.push_back("AGENTS.md");
        }
        if (const json::value* m = config().if_contains("max_bytes")) max_bytes_ = m->to_number<std::int64_t>();
        on_hook("system_prompt", [this](const json::object&, ahp::Call& call) -> json::value { return prompt(call); });
    }

private:
    json::value prompt(ahp::Call& call) const {
        json::value answer = call.request("instructions.files", json::object{{"names", names_}});
        std::string out;
        std::int64_t budget = max_bytes_;
        for (const json::value& file : answer.at("files").as_array()) {
            const json::object& f = file.as_object();
            std::string content(f.at("content").as_string());
            if (content.empty()) continue;
            bool cut = false;
            if (static_cast<std::int64_t>(content.size()) > budget) {
                std::size_t keep = static_cast<std::size_t>(std::max<std::int64_t>(budget, 0));
                while (keep > 0 && (static_cast<unsigned char>(content[keep]) & 0xC0) == 0x80) --keep;  // UTF-8 boundary
                content.resize(keep);
                cut = true;
            }
            budget -= static_cast<std::int64_t>(content.size());
            out += "<agent-instructions source=\"" + std::string(f.at("path").as_string()) + "\" scope=\"" +
                   std::string(f.at("scope").as_string()) + "\">\n" + content;
            if (cut) out += "\n[truncated: the instructions exceed " + std::to_string(max_bytes_) + " bytes]";
            out += "\n</agent-instructions>\n";
            if (budget <= 0) break;
        }
        if (out.empty()) return json::object{};
        return json::object{{"text", "# Project instructions\nThe user's instruction files follow, broadest first. "
                                     "Follow them; a more specific file (closer to the workspace) wins where they "
                                     "disagree.\n" + out}};
    }

    json::array names_;
    std::int64_t max_bytes_ = kDefaultMaxBytes;
};

}  // namespace

AHP_PLUGIN(Instructions, "instructions", "1.0.0")
