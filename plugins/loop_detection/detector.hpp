// The three loop checks over the current turn's batches (first match wins):
//   1. the latest mutating call failed, and the mutating calls before it were the same call
//      with the same error (non-mutating calls in between do not break the run);
//   2. the same call with the same result, back to back;
//   3. the same batch of calls (order-independent), back to back.
#pragma once

#include "history.hpp"

#include <string>
#include <vector>

namespace loopdet {

/// The thresholds and lists of the loop checks.
struct Settings {
    int threshold = 3;                   ///< kinds 2 and 3
    int mutating_failure_threshold = 2;  ///< kind 1
    int max_notes = 3;                   ///< notes in a turn before it is stopped
    std::size_t batch_min_calls = 2;     ///< kind 3 looks at batches this large or larger
    std::vector<std::string> mutating_tools{"edit_file", "write_file", "delete_file", "bash"};
    std::vector<std::string> ignored_result_fields{"duration_ms"};
};

/// What repeats.
struct Detection {
    enum Kind { kNone, kMutatingFailure, kRepeatedCall, kRepeatedBatch } kind = kNone;
    int count = 0;
    RawCall call;                    ///< kinds 1 and 2: the repeated call
    std::vector<std::string> tools;  ///< kind 3: the batch's tool names, sorted
};

/// Run the checks on a turn, newest batch first; stops reading as soon as every run is broken.
Detection detect(TurnReader& reader, const Settings& settings);

/// "mutating_failure", "repeated_call" or "repeated_batch".
const char* kind_name(Detection::Kind kind);

}  // namespace loopdet
