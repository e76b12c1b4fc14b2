#include "elements.hpp"

#include <array>
#include <initializer_list>

namespace html {
namespace {

// clang-format off

constexpr std::array<std::uint8_t, kTagCount> make_flags() {
    std::array<std::uint8_t, kTagCount> f{};
    auto set = [&f](std::initializer_list<Tag> tags, std::uint8_t flag) {
        for (Tag t : tags) f[static_cast<std::size_t>(t)] |= flag;
    };
    using T = Tag;
    set({T::kArea, T::kBase, T::kBasefont, T::kBgsound, T::kBr, T::kCol, T::kEmbed, T::kFrame, T::kHr, T::kImg,
         T::kInput, T::kKeygen, T::kLink, T::kMeta, T::kParam, T::kSource, T::kTrack, T::kWbr},
        kVoid);
    set({T::kAddress, T::kApplet, T::kArea, T::kArticle, T::kAside, T::kBase, T::kBasefont, T::kBgsound,
         T::kBlockquote, T::kBody, T::kBr, T::kButton, T::kCaption, T::kCenter, T::kCol, T::kColgroup, T::kDd,
         T::kDetails, T::kDir, T::kDiv, T::kDl, T::kDt, T::kEmbed, T::kFieldset, T::kFigcaption, T::kFigure,
         T::kFooter, T::kForm, T::kFrame, T::kFrameset, T::kH1, T::kH2, T::kH3, T::kH4, T::kH5, T::kH6, T::kHead,
         T::kHeader, T::kHgroup, T::kHr, T::kHtml, T::kIframe, T::kImg, T::kInput, T::kKeygen, T::kLi, T::kLink,
         T::kListing, T::kMain, T::kMarquee, T::kMenu, T::kMeta, T::kNav, T::kNoembed, T::kNoframes, T::kNoscript,
         T::kObject, T::kOl, T::kP, T::kParam, T::kPlaintext, T::kPre, T::kScript, T::kSearch, T::kSection,
         T::kSelect, T::kSource, T::kStyle, T::kSummary, T::kTable, T::kTbody, T::kTd, T::kTemplate, T::kTextarea,
         T::kTfoot, T::kTh, T::kThead, T::kTitle, T::kTr, T::kTrack, T::kUl, T::kWbr, T::kXmp},
        kSpecial);
    set({T::kAddress, T::kArticle, T::kAside, T::kBlockquote, T::kCenter, T::kDetails, T::kDialog, T::kDir, T::kDiv,
         T::kDl, T::kFieldset, T::kFigcaption, T::kFigure, T::kFooter, T::kForm, T::kH1, T::kH2, T::kH3, T::kH4,
         T::kH5, T::kH6, T::kHeader, T::kHgroup, T::kHr, T::kMain, T::kMenu, T::kNav, T::kOl, T::kP, T::kPre,
         T::kListing, T::kSearch, T::kSection, T::kSummary, T::kTable, T::kUl, T::kLi, T::kDd, T::kDt,
         T::kPlaintext, T::kXmp},
        kClosesP);
    set({T::kApplet, T::kCaption, T::kHtml, T::kTable, T::kTd, T::kTh, T::kMarquee, T::kObject, T::kTemplate}, kScope);
    set({T::kH1, T::kH2, T::kH3, T::kH4, T::kH5, T::kH6}, kHeading);
    return f;
}

}  // namespace

const std::array<std::uint8_t, kTagCount> kElementFlags = make_flags();

int block_breaks(Tag t) {
    switch (t) {
        case Tag::kP: case Tag::kH1: case Tag::kH2: case Tag::kH3: case Tag::kH4: case Tag::kH5: case Tag::kH6:
        case Tag::kUl: case Tag::kOl: case Tag::kMenu: case Tag::kDir: case Tag::kDl: case Tag::kPre:
        case Tag::kListing: case Tag::kXmp: case Tag::kBlockquote: case Tag::kTable: case Tag::kFigure:
        case Tag::kAddress: case Tag::kPlaintext:
            return 2;
        case Tag::kDiv: case Tag::kSection: case Tag::kArticle: case Tag::kMain: case Tag::kHeader:
        case Tag::kFooter: case Tag::kLi: case Tag::kDt: case Tag::kDd: case Tag::kTr: case Tag::kFigcaption:
        case Tag::kDetails: case Tag::kSummary: case Tag::kCenter: case Tag::kFieldset: case Tag::kCaption:
        case Tag::kHgroup: case Tag::kSearch: case Tag::kDialog: case Tag::kForm: case Tag::kNav: case Tag::kAside:
        case Tag::kFrameset: case Tag::kMarquee:
            return 1;
        default:
            return 0;
    }
}

bool always_dropped(Tag t) {
    switch (t) {
        case Tag::kScript: case Tag::kStyle: case Tag::kNoscript: case Tag::kTemplate: case Tag::kNav:
        case Tag::kAside: case Tag::kSvg: case Tag::kMath: case Tag::kIframe: case Tag::kButton: case Tag::kSelect:
        case Tag::kTextarea: case Tag::kCanvas: case Tag::kObject: case Tag::kVideo: case Tag::kAudio:
        case Tag::kMap: case Tag::kDialog: case Tag::kNoembed: case Tag::kNoframes: case Tag::kFrameset:
        case Tag::kApplet:
            return true;
        default:
            return false;
    }
}
// clang-format on

}  // namespace html
