#include "base/redactor.hpp"

#include "base/utf8.hpp"

#include <boost/json.hpp>

#include <algorithm>
#include <optional>

namespace agenthost {

namespace json = boost::json;

namespace {

/// The byte at i as 0..255.
int byte_at(std::string_view s, std::size_t i) { return static_cast<unsigned char>(s[i]); }

/// Whether a byte belongs to a word: a letter, a digit, '_' or part of a non-ASCII character.
bool is_word_byte(int c) {
    return c >= 0 && (c >= 0x80 || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_');
}

bool is_continuation(int c) { return (c & 0xC0) == 0x80; }

struct Match {
    std::size_t begin;
    std::size_t end;
};

/// Marks the end of a text in find_matches: the text really ends there, or more may follow.
constexpr int kTextEnds = -1;
constexpr int kMoreFollows = -2;

/// The places the patterns occur in `text`, sorted and with overlaps merged. `prev` is the byte
/// before the text (-1: none); `after_end` the byte after it, kTextEnds or kMoreFollows (a
/// whole-word match that reaches the end is then undecided and left out).
std::vector<Match> find_matches(const Redactor::Patterns& patterns, std::string_view text, int prev, int after_end) {
    std::vector<Match> found;
    for (const Redactor::Pattern& p : patterns) {
        for (std::size_t pos = text.find(p.text); pos != std::string_view::npos; pos = text.find(p.text, pos + 1)) {
            const std::size_t end = pos + p.text.size();
            if (p.whole_word) {
                const int before = pos == 0 ? prev : byte_at(text, pos - 1);
                const int after = end == text.size() ? after_end : byte_at(text, end);
                if (is_word_byte(before) || after == kMoreFollows || is_word_byte(after)) continue;
            }
            found.push_back({pos, end});
        }
    }
    if (found.size() < 2) return found;
    std::sort(found.begin(), found.end(), [](const Match& a, const Match& b) { return a.begin < b.begin; });
    std::vector<Match> merged{found.front()};
    for (std::size_t i = 1; i < found.size(); ++i) {
        if (found[i].begin < merged.back().end) {
            merged.back().end = std::max(merged.back().end, found[i].end);
        } else {
            merged.push_back(found[i]);
        }
    }
    return merged;
}

/// text[0, cut) with the matches that lie in it replaced.
std::string render(std::string_view text, std::size_t cut, const std::vector<Match>& matches) {
    std::string out;
    out.reserve(cut);
    std::size_t at = 0;
    for (const Match& m : matches) {
        if (m.end > cut) break;
        out.append(text.substr(at, m.begin - at));
        out += kRedacted;
        at = m.end;
    }
    out.append(text.substr(at, cut - at));
    return out;
}

/// A value as it appears inside a JSON string: JSON's own escapes; with `ascii`, every
/// non-ASCII character as \uXXXX too (UTF-16 surrogate pairs above U+FFFF), in `upper` hex.
std::string json_escaped(std::string_view value, bool ascii, bool upper) {
    std::string escaped = json::serialize(json::string_view(value));
    escaped = escaped.substr(1, escaped.size() - 2);
    if (!ascii) return escaped;
    const char* hex = upper ? "0123456789ABCDEF" : "0123456789abcdef";
    auto unit = [&](std::string& out, unsigned u) {
        out += "\\u";
        for (int shift = 12; shift >= 0; shift -= 4) out += hex[(u >> shift) & 0xF];
    };
    std::string out;
    for (std::size_t i = 0; i < escaped.size();) {
        const int c = byte_at(escaped, i);
        if (c < 0x80) {
            out += static_cast<char>(c);
            ++i;
            continue;
        }
        const int len = c >= 0xF0 ? 4 : c >= 0xE0 ? 3 : 2;
        unsigned cp = static_cast<unsigned>(c) & (len == 4 ? 0x07u : len == 3 ? 0x0Fu : 0x1Fu);
        for (int k = 1; k < len && i + static_cast<std::size_t>(k) < escaped.size(); ++k) {
            cp = (cp << 6) | (static_cast<unsigned>(byte_at(escaped, i + static_cast<std::size_t>(k))) & 0x3Fu);
        }
        if (cp >= 0x10000) {
            cp -= 0x10000;
            unit(out, 0xD800 + (cp >> 10));
            unit(out, 0xDC00 + (cp & 0x3FF));
        } else {
            unit(out, cp);
        }
        i += static_cast<std::size_t>(len);
    }
    return out;
}

/// Every form a value may take in text: as is, and as JSON writers escape it.
std::vector<std::string> forms_of(std::string_view value) {
    std::vector<std::string> forms{std::string(value)};
    std::string valid = repair_utf8(value);
    forms.push_back(valid);
    std::string escaped = json_escaped(valid, false, false);
    forms.push_back(escaped);
    if (std::any_of(valid.begin(), valid.end(), [](char c) { return static_cast<unsigned char>(c) >= 0x80; })) {
        forms.push_back(json_escaped(valid, true, false));
        forms.push_back(json_escaped(valid, true, true));
    }
    if (escaped.find('/') != std::string::npos) {
        std::string slashed;
        for (char c : escaped) slashed += c == '/' ? std::string("\\/") : std::string(1, c);
        forms.push_back(std::move(slashed));
    }
    std::sort(forms.begin(), forms.end());
    forms.erase(std::unique(forms.begin(), forms.end()), forms.end());
    return forms;
}

}  // namespace

Redactor& Redactor::global() {
    static Redactor* redactor = new Redactor();  // never destroyed: loggers may run at exit
    return *redactor;
}

void Redactor::add(std::string_view value) {
    if (value.empty()) return;
    std::lock_guard<std::mutex> lock(mu_);
    if (std::find(values_.begin(), values_.end(), value) != values_.end()) return;
    values_.emplace_back(value);
    auto next = std::make_shared<Patterns>(*patterns_);
    const bool whole_word = value.size() < kMinSubstringSecret;
    for (std::string& form : forms_of(value)) {
        bool known = std::any_of(next->begin(), next->end(), [&](const Pattern& p) { return p.text == form; });
        if (!known) next->push_back(Pattern{std::move(form), whole_word});
    }
    patterns_ = std::move(next);
    empty_.store(false, std::memory_order_release);
}

bool Redactor::empty() const noexcept { return empty_.load(std::memory_order_acquire); }

std::shared_ptr<const Redactor::Patterns> Redactor::patterns() const {
    std::lock_guard<std::mutex> lock(mu_);
    return patterns_;
}

std::string Redactor::redact(std::string_view text) const {
    std::string out(text);
    redact_in_place(out);
    return out;
}

bool Redactor::redact_in_place(std::string& text) const {
    std::optional<std::string> out = redacted(text);
    if (!out) return false;
    text = std::move(*out);
    return true;
}

std::optional<std::string> Redactor::redacted(std::string_view text) const {
    if (empty()) return std::nullopt;
    std::shared_ptr<const Patterns> ps = patterns();
    if (ps->empty()) return std::nullopt;
    std::vector<Match> matches = find_matches(*ps, text, -1, kTextEnds);
    if (matches.empty()) return std::nullopt;
    return render(text, text.size(), matches);
}

std::string Redactor::Stream::feed(std::string_view piece) {
    pending_ += piece;
    std::shared_ptr<const Patterns> ps = redactor_.patterns();
    const std::string_view text = pending_;
    const std::size_t n = text.size();
    std::vector<Match> matches = find_matches(*ps, text, prev_, kMoreFollows);
    std::size_t cut = n;
    // Hold back the earliest tail that may begin a secret (or is a short one whose end is open).
    std::size_t longest = 0;
    for (const Pattern& p : *ps) longest = std::max(longest, p.text.size());
    for (std::size_t i = n > longest ? n - longest : 0; i < n && cut == n; ++i) {
        const std::string_view tail = text.substr(i);
        for (const Pattern& p : *ps) {
            const bool longer = p.text.size() > tail.size() || (p.whole_word && p.text.size() == tail.size());
            if (longer && std::string_view(p.text).substr(0, tail.size()) == tail) {
                cut = i;
                break;
            }
        }
    }
    // Never split a UTF-8 sequence (a piece may end inside one) nor a secret found whole.
    if (cut == n && n > 0) {
        std::size_t lead = n - 1;
        while (lead > 0 && n - lead < 4 && is_continuation(byte_at(text, lead))) --lead;
        const int c = byte_at(text, lead);
        const std::size_t need = c >= 0xF0 ? 4 : c >= 0xE0 ? 3 : c >= 0xC0 ? 2 : 1;
        if (need > n - lead) cut = lead;
    }
    for (std::size_t before = n + 1; cut != before;) {
        before = cut;
        for (int k = 0; k < 3 && cut > 0 && cut < n && is_continuation(byte_at(text, cut)); ++k) --cut;
        for (const Match& m : matches) {
            if (m.begin < cut && m.end > cut) cut = m.begin;
        }
    }
    std::string out = render(text, cut, matches);
    if (cut > 0) prev_ = byte_at(text, cut - 1);
    pending_.erase(0, cut);
    return out;
}

std::string Redactor::Stream::finish() {
    std::shared_ptr<const Patterns> ps = redactor_.patterns();
    std::string out = render(pending_, pending_.size(), find_matches(*ps, pending_, prev_, kTextEnds));
    pending_.clear();
    prev_ = -1;
    return out;
}

std::string clean_text(std::string_view text, const Redactor& redactor) {
    std::string out = is_valid_utf8(text) ? std::string(text) : repair_utf8(text);
    redactor.redact_in_place(out);
    return out;
}

namespace {

/// Repair and redact one string; true if it changed.
bool clean_string(std::string& s, const Redactor& redactor) {
    bool changed = false;
    if (!is_valid_utf8(s)) {
        s = repair_utf8(s);
        changed = true;
    }
    return redactor.redact_in_place(s) || changed;
}

bool clean_value(json::value& v, const Redactor& redactor);

bool clean_object(json::object& o, const Redactor& redactor) {
    bool changed = false;
    bool keys_changed = false;
    for (auto& kv : o) {
        changed = clean_value(kv.value(), redactor) || changed;
        std::string key(kv.key());
        keys_changed = clean_string(key, redactor) || keys_changed;
    }
    if (keys_changed) {
        json::object rebuilt(o.storage());
        for (auto& kv : o) {
            std::string key(kv.key());
            clean_string(key, redactor);
            rebuilt[key] = std::move(kv.value());
        }
        o = std::move(rebuilt);
    }
    return changed || keys_changed;
}

bool clean_value(json::value& v, const Redactor& redactor) {
    switch (v.kind()) {
        case json::kind::string: {
            json::string& js = v.get_string();
            const std::string_view view = js;
            if (!is_valid_utf8(view)) {
                js = clean_text(view, redactor);
                return true;
            }
            std::optional<std::string> out = redactor.redacted(view);
            if (!out) return false;
            js = *out;
            return true;
        }
        case json::kind::array: {
            bool changed = false;
            for (json::value& item : v.get_array()) changed = clean_value(item, redactor) || changed;
            return changed;
        }
        case json::kind::object: return clean_object(v.get_object(), redactor);
        default: return false;
    }
}

}  // namespace

bool clean_json(json::value& value, const Redactor& redactor) { return clean_value(value, redactor); }
bool clean_json(json::object& object, const Redactor& redactor) { return clean_object(object, redactor); }

}  // namespace agenthost
