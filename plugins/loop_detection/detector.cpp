#include "detector.hpp"

#include <algorithm>

namespace loopdet {

Detection detect(TurnReader& reader, const Settings& s) {
    auto mutating = [&](const RawCall& c) {
        return std::find(s.mutating_tools.begin(), s.mutating_tools.end(), c.name) != s.mutating_tools.end();
    };
    // The runs, from the newest call (batch) back; each stops at its first difference.
    bool run1 = true, run2 = true, run3 = true;
    int n1 = 0, n2 = 0, n3 = 0;
    RawCall last_mutating, last_call;
    Batch newest, batch;
    bool first = true;
    while ((run1 || run2 || run3) && reader.next(batch)) {
        for (auto it = batch.calls.rbegin(); it != batch.calls.rend(); ++it) {
            const RawCall& c = *it;
            if (run2) {
                if (n2 == 0) {
                    last_call = c;
                    n2 = 1;
                } else if (same_call(c, last_call) && same_result(c, last_call, s.ignored_result_fields)) {
                    ++n2;
                } else {
                    run2 = false;
                }
            }
            if (run1 && mutating(c)) {
                if (n1 == 0) {
                    if (first && c.is_error) {
                        last_mutating = c;
                        n1 = 1;
                    } else {
                        run1 = false;
                    }
                } else if (same_call(c, last_mutating) && same_result(c, last_mutating, s.ignored_result_fields)) {
                    ++n1;
                } else {
                    run1 = false;
                }
            }
        }
        if (first) {
            if (n1 == 0) run1 = false;  // the newest batch changed nothing: kind 1 is about the latest result
            run3 = batch.calls.size() >= s.batch_min_calls;
            if (run3) {
                newest = batch;
                n3 = 1;
            }
            first = false;
        } else if (run3) {
            if (same_batch(batch, newest))
                ++n3;
            else
                run3 = false;
        }
    }
    Detection d;
    if (n1 >= s.mutating_failure_threshold) {
        d.kind = Detection::kMutatingFailure;
        d.count = n1;
        d.call = last_mutating;
    } else if (n2 >= s.threshold) {
        d.kind = Detection::kRepeatedCall;
        d.count = n2;
        d.call = last_call;
    } else if (n3 >= s.threshold) {
        d.kind = Detection::kRepeatedBatch;
        d.count = n3;
        for (const RawCall& c : newest.calls) d.tools.emplace_back(c.name);
        std::sort(d.tools.begin(), d.tools.end());
    }
    return d;
}

const char* kind_name(Detection::Kind kind) {
    switch (kind) {
        case Detection::kMutatingFailure:
            return "mutating_failure";
        case Detection::kRepeatedCall:
            return "repeated_call";
        case Detection::kRepeatedBatch:
            return "repeated_batch";
        default:
            return "none";
    }
}

}  // namespace loopdet
