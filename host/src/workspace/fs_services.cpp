#include "workspace/fs_services.hpp"

namespace agenthost {

namespace {


bool bool_param(const json::value& params, std::string_view key) {
    const json::object* o = params.if_object();
    const json::value* v = o ? o->if_contains(key) : nullptr;
    return v && v->is_bool() && v->get_bool();
}

/// Run a file-store operation, turning its errors into service errors.
template <class Fn>
json::value with_files(Fn&& fn) {
    try {
        return fn();
    } catch (const FileStoreError& e) {
        ahp_status st = e.code() == "not_found"                                 ? AHP_NOT_FOUND
                        : e.code() == "invalid_path"                            ? AHP_INVALID_ARGUMENT
                        : e.code() == "read_only" || e.code() == "denied"       ? AHP_DENIED
                                                                                : AHP_ERROR;
        throw ServiceError(st, e.what());
    }
}

}  // namespace

void add_file_services(ServiceRouter& r, Session& s) {
    r.add("fs.read", "fs.read", [&s](const json::value& p, ServiceRequest&) {
        return with_files([&]() -> json::value {
            std::string path = service_string(p, "path");
            auto content = s.files()->read(path);
            if (!content) throw ServiceError(AHP_NOT_FOUND, "no file '" + path + "' in the workspace");
            return json::object{{"content", *content}, {"size", content->size()}};
        });
    });
    r.add("fs.stat", "fs.read", [&s](const json::value& p, ServiceRequest&) {
        return with_files([&]() -> json::value {
            FileStat st = s.files()->stat(service_string(p, "path"));
            return json::object{{"exists", st.exists}, {"is_dir", st.is_dir}, {"size", st.size}, {"read_only", st.read_only}};
        });
    });
    r.add("fs.list", "fs.read", [&s](const json::value& p, ServiceRequest&) {
        return with_files([&]() -> json::value {
            json::array entries;
            for (const DirEntry& e : s.files()->list(service_string(p, "path"))) {
                entries.push_back(json::object{{"name", e.name}, {"is_dir", e.is_dir}, {"size", e.size}});
            }
            return json::object{{"entries", std::move(entries)}};
        });
    });
    r.add("fs.write", "fs.write", [&s](const json::value& p, ServiceRequest&) {
        return with_files([&]() -> json::value {
            s.files()->write(service_string(p, "path"), service_string(p, "content"));
            return json::object{};
        });
    });
    r.add("fs.delete", "fs.write", [&s](const json::value& p, ServiceRequest&) {
        return with_files([&]() -> json::value {
            return json::object{{"deleted", s.files()->remove(service_string(p, "path"), bool_param(p, "recursive"))}};
        });
    });
}


}  // namespace agenthost
