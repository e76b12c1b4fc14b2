#include "results_page.hpp"

#include "html/elements.hpp"
#include "html/text.hpp"
#include "html/tokenizer.hpp"
#include "html/url.hpp"

#include <gumbo.h>

#include <algorithm>
#include <memory>

namespace {

struct OutputDeleter {
    void operator()(GumboOutput* o) const { gumbo_destroy_output(&kGumboDefaultOptions, o); }
};

const char* attr(const GumboNode* n, const char* name) {
    const GumboAttribute* a = gumbo_get_attribute(&n->v.element.attributes, name);
    return a ? a->value : nullptr;
}

/// Whether n's class list has `token` (exactly, or as a prefix when prefix is true).
bool has_class(const GumboNode* n, std::string_view token, bool prefix = false) {
    const char* cls = attr(n, "class");
    if (!cls) return false;
    std::string_view rest(cls);
    while (!rest.empty()) {
        std::size_t start = 0;
        while (start < rest.size() && html::is_space(rest[start])) ++start;
        std::size_t end = start;
        while (end < rest.size() && !html::is_space(rest[end])) ++end;
        std::string_view word = rest.substr(start, end - start);
        if (prefix ? word.substr(0, token.size()) == token : word == token) {
            if (!word.empty()) return true;
        }
        rest.remove_prefix(end);
    }
    return false;
}

bool is_element(const GumboNode* n) {
    return n->type == GUMBO_NODE_ELEMENT || n->type == GUMBO_NODE_TEMPLATE;
}

const GumboVector& children(const GumboNode* n) {
    return n->type == GUMBO_NODE_DOCUMENT ? n->v.document.children : n->v.element.children;
}

void append_text(const GumboNode* n, std::string& out) {
    if (n->type == GUMBO_NODE_TEXT || n->type == GUMBO_NODE_WHITESPACE || n->type == GUMBO_NODE_CDATA) {
        out += n->v.text.text;
        return;
    }
    if (!is_element(n)) return;
    if (n->v.element.tag == GUMBO_TAG_SCRIPT || n->v.element.tag == GUMBO_TAG_STYLE) return;
    const GumboVector& c = children(n);
    for (unsigned i = 0; i < c.length; ++i) append_text(static_cast<const GumboNode*>(c.data[i]), out);
}

std::string text_of(const GumboNode* n) {
    std::string raw;
    append_text(n, raw);
    return html::collapse_whitespace(raw);
}

/// The first element under n (n included) that matches pred, depth first.
template <class Pred>
const GumboNode* find_first(const GumboNode* n, Pred pred) {
    if (is_element(n) && pred(n)) return n;
    if (!is_element(n) && n->type != GUMBO_NODE_DOCUMENT) return nullptr;
    const GumboVector& c = children(n);
    for (unsigned i = 0; i < c.length; ++i) {
        if (const GumboNode* hit = find_first(static_cast<const GumboNode*>(c.data[i]), pred)) return hit;
    }
    return nullptr;
}

/// One div.result; false for ads and results without a title or link.
bool read_result(const GumboNode* n, SearchResult& out) {
    const GumboNode* link = find_first(n, [](const GumboNode* e) { return has_class(e, "result__a"); });
    if (!link) return false;
    const char* href = attr(link, "href");
    if (!href) return false;
    std::string_view h(href);
    if (h.find("duckduckgo.com/y.js") != std::string_view::npos || h.substr(0, 6) == "/y.js?") return false;  // an ad
    out.title = text_of(link);
    out.url = unwrap_result_url(h);
    if (const GumboNode* snip = find_first(n, [](const GumboNode* e) { return has_class(e, "result__snippet"); })) {
        out.snippet = text_of(snip);
    }
    return !out.title.empty() && !out.url.empty();
}

/// The fields of the "Next" form, form-encoded, if this form is one.
std::optional<NextPage> next_form(const GumboNode* form) {
    bool is_next = false;
    std::string body;
    std::vector<const GumboNode*> todo{form};
    while (!todo.empty()) {
        const GumboNode* n = todo.back();
        todo.pop_back();
        if (!is_element(n)) continue;
        if (n->v.element.tag == GUMBO_TAG_INPUT) {
            const char* type = attr(n, "type");
            const char* name = attr(n, "name");
            const char* value = attr(n, "value");
            if (type && html::iequals(type, "submit")) {
                is_next = is_next || (value && html::iequals(html::trim(value), "next"));
            } else if (name && *name) {
                if (!body.empty()) body.push_back('&');
                body += html::form_encode(name) + "=" + html::form_encode(value ? value : "");
            }
        }
        const GumboVector& c = children(n);
        for (unsigned i = c.length; i-- > 0;) todo.push_back(static_cast<const GumboNode*>(c.data[i]));
    }
    if (!is_next) return std::nullopt;
    const char* action = attr(form, "action");
    return NextPage{action ? action : "", body};
}

void walk(const GumboNode* n, ResultsPage& page) {
    if (n->type == GUMBO_NODE_COMMENT) {
        if (std::string_view(n->v.text.text).find("Web results are present") != std::string_view::npos) {
            page.results_marker = true;
        }
        return;
    }
    if (n->type != GUMBO_NODE_DOCUMENT && !is_element(n)) return;
    if (is_element(n)) {
        GumboTag tag = n->v.element.tag;
        const char* id = attr(n, "id");
        if (tag == GUMBO_TAG_TITLE && page.title.empty()) page.title = text_of(n);
        if (has_class(n, "anomaly-modal", true) || (id && std::string_view(id) == "challenge-form"))
            page.anti_bot = true;
        if (tag == GUMBO_TAG_FORM) {
            const char* action = attr(n, "action");
            if (action && std::string_view(action).find("anomaly") != std::string_view::npos) page.anti_bot = true;
            if (!page.next) page.next = next_form(n);
        }
        if (has_class(n, "no-results") || has_class(n, "result--no-result")) page.no_results = true;
        if ((id && std::string_view(id) == "links") || has_class(n, "results")) page.results_marker = true;
        if (has_class(n, "result") && !has_class(n, "result--no-result")) {
            SearchResult r;
            if (!has_class(n, "result--ad", true) && read_result(n, r)) page.results.push_back(std::move(r));
            return;
        }
    }
    const GumboVector& c = children(n);
    for (unsigned i = 0; i < c.length; ++i) walk(static_cast<const GumboNode*>(c.data[i]), page);
}

/// The deepest element nesting the tags of html describe (end tags assumed where they match).
std::size_t nesting_depth(std::string_view html) {
    html::Tokenizer tok(html);
    html::Token t;
    std::size_t depth = 0, deepest = 0;
    while (tok.next(t)) {
        if (t.kind == html::Token::Kind::kStartTag && !t.self_closing && !html::has(t.tag, html::kVoid)) {
            deepest = std::max(deepest, ++depth);
        } else if (t.kind == html::Token::Kind::kEndTag && depth > 0) {
            --depth;
        }
    }
    return deepest;
}

}  // namespace

std::string unwrap_result_url(std::string_view href_in) {
    std::string_view href = html::trim(href_in);
    std::string uddg;
    if (href.find("/l/?") != std::string_view::npos && html::query_param(href, "uddg", uddg)) {
        return html::percent_decode(uddg);
    }
    if (href.substr(0, 2) == "//") return "https:" + std::string(href);
    if (href.substr(0, 1) == "/") return "https://duckduckgo.com" + std::string(href);
    return std::string(href);
}

ResultsPage parse_results_page(std::string_view html) {
    ResultsPage page;
    if (nesting_depth(html) > kMaxNesting) {
        page.too_deep = true;
        return page;
    }
    GumboOptions options = kGumboDefaultOptions;
    options.max_errors = 0;
    std::unique_ptr<GumboOutput, OutputDeleter> out(gumbo_parse_with_options(&options, html.data(), html.size()));
    if (out) walk(out->document, page);
    return page;
}
