#include "converter.hpp"

#include "elements.hpp"
#include "text.hpp"

#include <algorithm>

namespace html::detail {

void Converter::on_start(const Token& t) {
    Tag tag = t.tag;
    if (tag == Tag::kHtml || tag == Tag::kHead || tag == Tag::kBody) return;
    if (foreign_ > 0) {
        if (!t.self_closing) push_plain(t);
        return;
    }
    implied_ends(tag);
    if (has(tag, kVoid)) {
        void_element(t);
        return;
    }
    if (stack_.size() >= kMaxDepth) pop_to(stack_.size() - 1);  // as browsers cap the DOM's depth
    Open o;
    o.tag = tag;
    if (tag == Tag::kOther) o.name = ascii_lower(t.text);
    begin(o, t);
    stack_.push_back(std::move(o));
}

void Converter::push_plain(const Token& t) {
    if (stack_.size() >= kMaxDepth) pop_to(stack_.size() - 1);
    Open o;
    o.tag = t.tag;
    if (t.tag == Tag::kOther) o.name = ascii_lower(t.text);
    stack_.push_back(std::move(o));
}

void Converter::implied_ends(Tag tag) {
    if (has(tag, kClosesP)) {
        if (std::size_t i = find_scope(Tag::kP, Scope::kButton); i != npos) pop_to(i);
    }
    switch (tag) {
        case Tag::kLi:
            close_item({Tag::kLi});
            break;
        case Tag::kDd:
        case Tag::kDt:
            close_item({Tag::kDd, Tag::kDt});
            break;
        case Tag::kH1:
        case Tag::kH2:
        case Tag::kH3:
        case Tag::kH4:
        case Tag::kH5:
        case Tag::kH6:
            if (!stack_.empty() && has(stack_.back().tag, kHeading)) pop_to(stack_.size() - 1);
            break;
        case Tag::kA:
            for (std::size_t i = stack_.size(); i-- > 0;) {
                Tag s = stack_[i].tag;
                if (s == Tag::kA) {
                    pop_to(i);
                    break;
                }
                if (s == Tag::kTd || s == Tag::kTh || s == Tag::kTable || s == Tag::kCaption) break;
            }
            break;
        case Tag::kTr:
            close_in_table({Tag::kTr});
            break;
        case Tag::kTd:
        case Tag::kTh:
            close_in_table({Tag::kTd, Tag::kTh});
            break;
        case Tag::kTbody:
        case Tag::kThead:
        case Tag::kTfoot:
            if (!close_in_table({Tag::kTbody, Tag::kThead, Tag::kTfoot})) close_in_table({Tag::kTr});
            break;
        case Tag::kOption:
        case Tag::kOptgroup:
            if (!stack_.empty() && stack_.back().tag == Tag::kOption) pop_to(stack_.size() - 1);
            break;
        default:
            break;
    }
}

void Converter::close_item(std::initializer_list<Tag> tags) {
    for (std::size_t i = stack_.size(); i-- > 0;) {
        Tag s = stack_[i].tag;
        if (std::find(tags.begin(), tags.end(), s) != tags.end()) {
            pop_to(i);
            return;
        }
        if (has(s, kSpecial) && s != Tag::kAddress && s != Tag::kDiv && s != Tag::kP) return;
    }
}

bool Converter::close_in_table(std::initializer_list<Tag> tags) {
    for (std::size_t i = stack_.size(); i-- > 0;) {
        Tag s = stack_[i].tag;
        if (std::find(tags.begin(), tags.end(), s) != tags.end()) {
            pop_to(i);
            return true;
        }
        if (s == Tag::kTable || s == Tag::kTemplate) return false;
    }
    return false;
}

void Converter::on_end(const Token& t) {
    Tag tag = t.tag;
    switch (tag) {
        case Tag::kHtml:
        case Tag::kHead:
        case Tag::kBody:
            return;
        case Tag::kBr: {
            Token br;
            br.kind = Token::Kind::kStartTag;
            br.tag = Tag::kBr;
            if (foreign_ == 0) void_element(br);
            return;
        }
        case Tag::kP:
            end_in(tag, Scope::kButton);
            return;
        case Tag::kLi:
            end_in(tag, Scope::kListItem);
            return;
        case Tag::kTable:
        case Tag::kTbody:
        case Tag::kThead:
        case Tag::kTfoot:
        case Tag::kTr:
        case Tag::kTd:
        case Tag::kTh:
        case Tag::kCaption:
            end_in(tag, Scope::kTable);
            return;
        case Tag::kH1:
        case Tag::kH2:
        case Tag::kH3:
        case Tag::kH4:
        case Tag::kH5:
        case Tag::kH6:
            for (std::size_t i = stack_.size(); i-- > 0;) {
                if (has(stack_[i].tag, kHeading)) return pop_to(i);
                if (has(stack_[i].tag, kScope)) return;
            }
            return;
        default:
            break;
    }
    if (tag != Tag::kOther && has(tag, kSpecial) && foreign_ == 0) {
        end_in(tag, Scope::kDefault);
        return;
    }
    // Any other element: the nearest match, not across a table cell.
    for (std::size_t i = stack_.size(); i-- > 0;) {
        const Open& o = stack_[i];
        if (o.tag == tag && (tag != Tag::kOther || iequals(o.name, t.text))) return pop_to(i);
        if (o.tag == Tag::kTd || o.tag == Tag::kTh || o.tag == Tag::kTable || o.tag == Tag::kCaption ||
            o.tag == Tag::kTemplate) {
            return;
        }
    }
}

std::size_t Converter::find_scope(Tag tag, Scope scope) const {
    for (std::size_t i = stack_.size(); i-- > 0;) {
        Tag s = stack_[i].tag;
        if (s == tag) return i;
        if (scope == Scope::kTable) {
            if (s == Tag::kTable || s == Tag::kTemplate) return npos;
            continue;
        }
        if (has(s, kScope)) return npos;
        if (scope == Scope::kButton && s == Tag::kButton) return npos;
        if (scope == Scope::kListItem && (s == Tag::kOl || s == Tag::kUl)) return npos;
    }
    return npos;
}

void Converter::end_in(Tag tag, Scope scope) {
    if (std::size_t i = find_scope(tag, scope); i != npos) pop_to(i);
}

void Converter::pop_to(std::size_t depth) {
    while (stack_.size() > depth) {
        end(stack_.back());
        stack_.pop_back();
    }
}

}  // namespace html::detail
