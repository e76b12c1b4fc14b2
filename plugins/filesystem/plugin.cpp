// filesystem: the workspace file tools of DESIGN §11 (read_file, write_file, edit_file,
// list_directory, glob, grep_files, stat_file, delete_file). Every file access goes through the
// host's fs.* services, so the workspace boundary, the write blocklist and the approval gate
// apply; the plugin never opens a file itself. Schemas are kept terse: every byte of them is
// sent with every model request.
#include "tools.hpp"

#include <map>

namespace fsplug {

namespace {

using Handler = json::value (*)(const json::object&, Ctx&);

json::object prop(std::string_view type, std::string_view description = {}) {
    json::object p{{"type", type}};
    if (!description.empty()) p["description"] = description;
    return p;
}

json::value schema(json::object properties, std::initializer_list<std::string_view> required) {
    json::array req;
    for (std::string_view r : required) req.push_back(json::string(r));
    return json::object{{"type", "object"}, {"properties", std::move(properties)}, {"required", std::move(req)}};
}

class Filesystem : public ahp::Capability {
public:
    explicit Filesystem(json::object config) : Capability(std::move(config)) {
        add({"read_file",
             "Read a text file as numbered lines. Default: 2000 lines; .log/.out: the last 500; "
             "csv/tsv: 100 rows with the header. Returns content_hash.",
             schema({{"path", prop("string")},
                     {"offset", prop("integer", "0-based first line")},
                     {"limit", prop("integer", "max lines")}},
                    {"path"}),
             false},
            &read_file);
        add({"write_file", "Create or overwrite a file with content; creates parent folders.",
             schema({{"path", prop("string")}, {"content", prop("string")}}, {"path", "content"}), true},
            &write_file);
        json::object edit_item{{"type", "object"},
                               {"properties", json::object{{"old_text", prop("string")}, {"new_text", prop("string")}}},
                               {"required", json::array{"old_text", "new_text"}}};
        add({"edit_file",
             "Replace exact text in a file. Each old_text must match exactly once; edits apply together. "
             "Refused if the file changed since you read it.",
             schema({{"path", prop("string")},
                     {"edits", json::object{{"type", "array"}, {"items", std::move(edit_item)}}},
                     {"expected_hash", prop("string", "content_hash from read_file")}},
                    {"path", "edits"}),
             true},
            &edit_file);
        add({"list_directory", "List a folder's entries (folders end with /).",
             schema({{"path", prop("string", "default: workspace root")},
                     {"offset", prop("integer")},
                     {"limit", prop("integer", "default 200, max 1000")}},
                    {}),
             false},
            &list_directory);
        add({"glob", "Find files by glob pattern, e.g. src/**/*.cpp.",
             schema({{"pattern", prop("string")},
                     {"path", prop("string", "folder to search")},
                     {"limit", prop("integer")}},
                    {"pattern"}),
             false},
            &glob);
        add({"grep_files", "Search file contents by regex; prints path:line: text. Skips binary and ignored files.",
             schema({{"pattern", prop("string")},
                     {"path", prop("string", "folder to search")},
                     {"glob", prop("string", "file filter, e.g. *.py")},
                     {"case_insensitive", prop("boolean")},
                     {"limit", prop("integer", "max matches, default 200")}},
                    {"pattern"}),
             false},
            &grep_files);
        add({"stat_file", "Whether a path exists; its type, size and mtime.",
             schema({{"path", prop("string")}}, {"path"}), false},
            &stat_file);
        add({"delete_file", "Delete a file, or a folder with recursive=true.",
             schema({{"path", prop("string")}, {"recursive", prop("boolean")}}, {"path"}), true},
            &delete_file);
    }

    json::value invoke(std::string_view method, const json::object& params, ahp::Call& call) override {
        if (method != "tool.call") return Capability::invoke(method, params, call);
        std::string name(string_field(params, "name"));
        auto it = handlers_.find(name);
        if (it == handlers_.end()) return Capability::invoke(method, params, call);
        static const json::object kNoArguments;
        const json::value* args = params.if_contains("arguments");
        const json::value* session = params.if_contains("session_id");
        Ctx ctx{call, session && session->is_string() ? std::string(session->get_string()) : std::string()};
        return it->second(args && args->is_object() ? args->get_object() : kNoArguments, ctx);
    }

private:
    void add(ahp::ToolSpec spec, Handler handler) {
        handlers_.emplace(spec.name, handler);
        add_tool(std::move(spec), [handler](const json::object& args, ahp::Call& call) {
            Ctx ctx{call, std::string()};
            return handler(args, ctx);
        });
    }

    std::map<std::string, Handler, std::less<>> handlers_;
};

}  // namespace

}  // namespace fsplug

AHP_PLUGIN(fsplug::Filesystem, "filesystem", "1.0.0")
