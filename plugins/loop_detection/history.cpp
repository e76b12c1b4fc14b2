#include "history.hpp"

#include <algorithm>
#include <cstring>

namespace loopdet {

namespace {

using scan::Span;

/// The common prefix length of p and q (n bytes at most): memcmp in blocks, bytes in the last.
std::size_t common_prefix(const char* p, const char* q, std::size_t n) {
    constexpr std::size_t kBlock = 64;
    std::size_t i = 0;
    while (i + kBlock <= n && std::memcmp(p + i, q + i, kBlock) == 0) i += kBlock;
    while (i < n && p[i] == q[i]) ++i;
    return i;
}

/// a == b, where an occurrence of id_a in a may stand where id_b stands in b.
bool equal_modulo_ids(std::string_view a, std::string_view id_a, std::string_view b, std::string_view id_b) {
    if (id_a.empty() || id_b.empty() || id_a == id_b) return a == b;
    if (id_a.size() == id_b.size() && a.size() != b.size()) return false;
    std::size_t i = 0, j = 0;
    for (;;) {
        std::size_t n = std::min(a.size() - i, b.size() - j);
        std::size_t k = common_prefix(a.data() + i, b.data() + j, n);
        i += k;
        j += k;
        if (i == a.size() && j == b.size()) return true;
        // A difference: the ids must start here or a little before (their shared prefix).
        bool skipped = false;
        // d stays below both ids' lengths, so every skip moves forward.
        std::size_t max_d = std::min({i, j, id_a.size() - 1, id_b.size() - 1});
        for (std::size_t d = 0; d <= max_d; ++d) {
            if (a.substr(i - d, id_a.size()) == id_a && b.substr(j - d, id_b.size()) == id_b) {
                i = i - d + id_a.size();
                j = j - d + id_b.size();
                skipped = true;
                break;
            }
        }
        if (!skipped) return false;
    }
}

/// The members of an object text, without the ignored ones; false when it is not an object.
bool object_members(std::string_view t, const std::vector<std::string>& ignored,
                    std::vector<std::pair<std::string_view, std::string_view>>& out) {
    return scan::members(t, 0, [&](std::string_view key, Span v) {
               if (std::find(ignored.begin(), ignored.end(), key) == ignored.end()) {
                   out.emplace_back(key, scan::text(t, v));
               }
               return true;
           }) != scan::kBad;
}

}  // namespace

bool locate(std::string_view t, Located& out) {
    out = Located{};
    bool listed = false;
    std::size_t end = scan::members(t, 0, [&](std::string_view key, Span v) {
        if (key == "recent_messages") {
            listed = scan::elements(t, v.begin, [&](Span m) {
                         out.messages.push_back(m);
                         return true;
                     }) != scan::kBad;
        } else if (key == "session_id") {
            out.session_id = scan::raw_string(t, v);
        } else if (key == "turn_id") {
            out.turn_id = scan::raw_string(t, v);
        }
        return true;
    });
    return end != scan::kBad && listed;
}

MessageCursor MessageCursor::from_tail(std::string_view t) {
    MessageCursor c;
    c.t_ = t;
    c.bad_ = true;
    // The params' scalar members from the end, back to their last array: recent_messages.
    std::size_t p = scan::rskip_ws(t, t.empty() ? scan::kBad : t.size() - 1);
    if (p == scan::kBad || t[p] != '}') return c;
    for (int members = 0; members < 64; ++members) {
        std::size_t j = scan::rskip_ws(t, p - 1);
        if (j == scan::kBad || t[j] == '{' || t[j] == '}') return c;
        if (t[j] == ']') {
            c.pos_ = j;  // the array's closing bracket: prev() starts before it
            c.bad_ = false;
            return c;
        }
        std::size_t vb = scan::rskip_value(t, j);
        std::size_t colon = vb == scan::kBad || vb == 0 ? scan::kBad : scan::rskip_ws(t, vb - 1);
        if (colon == scan::kBad || t[colon] != ':') return c;
        std::size_t key_end = scan::rskip_ws(t, colon - 1);
        if (key_end == scan::kBad || t[key_end] != '"') return c;
        std::size_t key_begin = scan::rskip_string(t, key_end);
        std::size_t sep = key_begin == scan::kBad || key_begin == 0 ? scan::kBad : scan::rskip_ws(t, key_begin - 1);
        if (sep == scan::kBad || t[sep] != ',') return c;
        p = sep;
    }
    return c;
}

bool MessageCursor::prev(Span& out) {
    if (spans_) {
        if (pos_ == 0) return false;
        out = (*spans_)[--pos_];
        return true;
    }
    if (done_ || bad_) return false;
    std::size_t last = scan::rskip_ws(t_, pos_ - 1);
    if (last == scan::kBad) {
        bad_ = true;
        return false;
    }
    if (t_[last] == '[') {  // the array's start: no (more) elements
        done_ = true;
        return false;
    }
    std::size_t first = t_[last] == '}' ? scan::rskip_value(t_, last) : scan::kBad;
    std::size_t sep = first == scan::kBad || first == 0 ? scan::kBad : scan::rskip_ws(t_, first - 1);
    if (sep == scan::kBad || (t_[sep] != ',' && t_[sep] != '[')) {
        bad_ = true;
        return false;
    }
    out = Span{first, last + 1};
    pos_ = sep;
    if (t_[sep] == '[') done_ = true;
    return true;
}

bool TurnReader::next(Batch& out) {
    out.calls.clear();
    results_.clear();
    Span m;
    while (!ended_ && msgs_.prev(m)) {
        std::string_view role;
        Span content;
        if (scan::members(t_, m.begin,
                          [&](std::string_view key, Span v) {
                              if (key == "role")
                                  role = scan::raw_string(t_, v);
                              else if (key == "content")
                                  content = v;
                              return true;
                          }) == scan::kBad ||
            role.empty() || !content.ok() || t_[content.begin] != '[') {
            malformed_ = true;
            ended_ = true;
            return false;
        }
        bool agent = role == "agent" || role == "assistant";
        std::size_t results_before = results_.size();
        scan::elements(t_, content.begin, [&](Span part) {
            std::string_view type, id, name, tool_call_id;
            Span args, result, is_error;
            scan::members(t_, part.begin, [&](std::string_view key, Span v) {
                if (key == "type")
                    type = scan::raw_string(t_, v);
                else if (key == "id")
                    id = scan::raw_string(t_, v);
                else if (key == "name")
                    name = scan::raw_string(t_, v);
                else if (key == "arguments")
                    args = v;
                else if (key == "tool_call_id")
                    tool_call_id = scan::raw_string(t_, v);
                else if (key == "result")
                    result = v;
                else if (key == "is_error")
                    is_error = v;
                return true;
            });
            if (type == "tool_result") {
                results_.push_back(Result{tool_call_id, scan::text(t_, result), scan::text(t_, is_error) == "true"});
            } else if (type == "tool_call" && agent) {
                out.calls.push_back(RawCall{id, name, scan::text(t_, args), {}, false});
            }
            return true;
        });
        if (agent) {
            if (out.calls.empty()) {  // a text-only answer ends the previous turn
                ended_ = true;
                return false;
            }
            for (RawCall& c : out.calls) {
                for (const Result& r : results_) {
                    if (r.tool_call_id == c.id) {
                        c.result = r.result;
                        c.is_error = r.is_error;
                        break;
                    }
                }
            }
            return true;
        }
        if (results_.size() == results_before) {  // a user (or system) message: the turn's start
            ended_ = true;
            return false;
        }
    }
    ended_ = true;
    return false;
}

bool same_call(const RawCall& a, const RawCall& b) {
    return a.name == b.name && a.args == b.args;
}

bool same_result(const RawCall& a, const RawCall& b, const std::vector<std::string>& ignored) {
    if (a.is_error != b.is_error) return false;
    if (a.result.empty() || b.result.empty()) return a.result.empty() && b.result.empty();
    if (a.result.front() == '{' && b.result.front() == '{' && !ignored.empty()) {
        std::vector<std::pair<std::string_view, std::string_view>> ma, mb;
        if (object_members(a.result, ignored, ma) && object_members(b.result, ignored, mb)) {
            if (ma.size() != mb.size()) return false;
            for (std::size_t i = 0; i < ma.size(); ++i) {
                if (ma[i].first != mb[i].first || !equal_modulo_ids(ma[i].second, a.id, mb[i].second, b.id))
                    return false;
            }
            return true;
        }
    }
    return equal_modulo_ids(a.result, a.id, b.result, b.id);
}

bool same_batch(const Batch& a, const Batch& b) {
    if (a.calls.size() != b.calls.size()) return false;
    auto key = [](const Batch& x) {
        std::vector<std::pair<std::string_view, std::string_view>> k;
        k.reserve(x.calls.size());
        for (const RawCall& c : x.calls) k.emplace_back(c.name, c.args);
        std::sort(k.begin(), k.end());
        return k;
    };
    return key(a) == key(b);
}

}  // namespace loopdet
