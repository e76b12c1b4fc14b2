#include "core/agent_loop.hpp"

#include "base/json_schema.hpp"

#include <boost/asio/post.hpp>
#include <boost/asio/thread_pool.hpp>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <chrono>
#include <future>
#include <random>
#include <set>

namespace agenthost {

namespace {

using Clock = std::chrono::steady_clock;

bool is_retryable(const std::string& category) {
    return category == "rate_limit" || category == "upstream_api_error" || category == "network_error";
}

json::object text_message(const std::string& id, std::string_view role, const std::string& text) {
    return json::object{{"id", id}, {"role", role}, {"content", json::array{json::object{{"type", "text"}, {"text", text}}}}};
}

/// The parts of one model answer.
struct ModelAnswer {
    std::string text;
    json::array tool_calls;  // [{id, name, arguments}]
    Usage usage;
    std::string stop_reason;
    std::string model;
};

/// How a turn ended, before it is written down.
struct Stop {
    enum Kind { kNone, kCompleted, kFailed, kCancelled } kind = kNone;
    TurnError error;
};

class Turn {
public:
    Turn(TurnEnvironment& env, std::string turn_id) : env_(env), cfg_(env.config), s_(env.session), turn_id_(std::move(turn_id)) {
        result_.session_id = s_.id();
        result_.turn_id = turn_id_;
        s_.set_current_turn_id(turn_id_);
    }

    TurnResult run(const std::string& text) {
        auto started = Clock::now();
        std::string input_id = new_uuid_v7();
        s_.emit(event_type::kInputMessage, json::object{{"message", text_message(input_id, "user", text)}}, turn_id_);
        s_.emit(event_type::kTurnStarted, json::object{{"turn_id", turn_id_}, {"input_message_id", input_id}}, turn_id_);
        Stop stop;
        try {
            system_prompt_ = assemble_system_prompt(cfg_, s_, env_.services, turn_id_);
            stop = loop();
        } catch (const StorageError&) {
            throw;  // the log failed: nothing more can be recorded
        } catch (const std::exception& e) {
            stop = Stop{Stop::kFailed, {"plugin_error", e.what()}};
        }
        finish(stop, std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - started).count());
        return result_;
    }

private:
    Stop loop() {
        for (;;) {
            for (std::string& steer : s_.take_steers()) {
                s_.emit(event_type::kInputMessage,
                        json::object{{"message", text_message(new_uuid_v7(), "user", steer)}, {"steer", true}}, turn_id_);
            }
            if (cancelled()) return Stop{Stop::kCancelled, {}};
            if (result_.iterations >= cfg_.max_iterations) {
                return Stop{Stop::kFailed,
                            {"max_iterations", "the turn reached max_iterations (" + std::to_string(cfg_.max_iterations) +
                                                   ") with the model still calling tools"}};
            }
            ++result_.iterations;
            ModelAnswer answer;
            if (Stop stop = reason(answer); stop.kind != Stop::kNone) return stop;
            result_.response = answer.text;
            if (answer.tool_calls.empty()) return Stop{Stop::kCompleted, {}};
            act(answer.tool_calls);
            if (cancelled()) return Stop{Stop::kCancelled, {}};
        }
    }

    bool cancelled() const { return s_.cancel_flag().load(); }

    /// Run the before_model hooks (docs/context-services.md): cheap params, small answers.
    /// Returns a stop if a hook ended the turn; fills the extra system text and top-level fields.
    std::optional<Stop> before_model(std::string& extra_system, json::object& set) {
        std::string params;  // made once, for the first hook, and handed to each as text
        for (const auto& cap : cfg_.capabilities) {
            if (!cap->has_hook("before_model")) continue;
            if (params.empty()) {
                std::size_t total = 0, bytes = 0;
                json::array recent = s_.recent_messages(64, total, bytes);
                std::size_t estimate = (bytes + system_prompt_.size() + cfg_.tools_text.size()) / 4;
                // Scalars first, recent_messages last: hooks may scan the text for the scalars.
                params = json::serialize(json::object{{"session_id", s_.id()},
                                                      {"turn_id", turn_id_},
                                                      {"iteration", result_.iterations},
                                                      {"model", cfg_.model},
                                                      {"context_window", cfg_.context_window},
                                                      {"estimated_tokens", estimate},
                                                      {"message_count", total},
                                                      {"recent_messages", std::move(recent)}});
            }
            CallOutcome out = call_text(*cap, "hook.before_model", params);
            if (!out.ok()) {
                spdlog::warn("plugin={} before_model hook failed: {}", cap->id(), out.error_message);
                continue;
            }
            const json::object* o = out.result.if_object();
            if (!o) continue;
            if (const json::value* e = o->if_contains("event"); e && e->is_object()) {
                const json::value* type = e->get_object().if_contains("type");
                const json::value* data = e->get_object().if_contains("data");
                if (type && type->is_string() && type->get_string() == event_type::kLoopDetected) {
                    json::object d = data && data->is_object() ? data->get_object() : json::object();
                    d["plugin"] = cap->id();
                    s_.emit(event_type::kLoopDetected, std::move(d), turn_id_);
                } else {
                    spdlog::warn("plugin={} asked for an event type the host does not record: {}", cap->id(), json::serialize(*e));
                }
            }
            if (const json::value* st = o->if_contains("stop"); st && st->is_object()) {
                const json::object& so = st->get_object();
                auto field = [&](std::string_view k, std::string fallback) {
                    const json::value* v = so.if_contains(k);
                    return v && v->is_string() ? std::string(v->get_string()) : fallback;
                };
                return Stop{Stop::kFailed, {field("category", "stopped_by_plugin"), field("message", "stopped by " + cap->id())}};
            }
            if (const json::value* a = o->if_contains("append_system"); a && a->is_string() && !a->get_string().empty()) {
                extra_system += "\n\n";
                extra_system += a->get_string();
            }
            if (const json::value* f = o->if_contains("set"); f && f->is_object()) {
                for (const auto& kv : f->get_object()) set[kv.key()] = kv.value();
            }
        }
        return std::nullopt;
    }

    /// The model request as JSON text, assembled from cached text: the serialized history and
    /// tools are copied, not serialized again.
    std::string build_request(const std::string& extra_system, const json::object& set) {
        static constexpr std::string_view kOwn[] = {"model", "system", "session_id", "turn_id", "iteration", "tools", "messages"};
        std::string text = "{\"model\":" + json::serialize(json::string(cfg_.model_name));
        text += ",\"system\":" + json::serialize(json::string(system_prompt_ + extra_system));
        text += ",\"session_id\":" + json::serialize(json::string(s_.id()));
        text += ",\"turn_id\":\"" + turn_id_ + "\",\"iteration\":" + std::to_string(result_.iterations);
        for (const auto& kv : set) {
            if (std::find(std::begin(kOwn), std::end(kOwn), kv.key()) != std::end(kOwn)) continue;  // hooks don't replace these
            text += ',' + json::serialize(json::string(kv.key())) + ':' + json::serialize(kv.value());
        }
        text += ",\"tools\":" + cfg_.tools_text + ",\"messages\":";
        s_.append_messages_text(text);
        text += '}';
        return text;
    }

    CallOutcome call_text(const PluginInstance& plugin, std::string_view method, std::string_view params) {
        CallContext ctx;
        ctx.cancelled = &s_.cancel_flag();
        ctx.services = &env_.services;
        ctx.session_id = s_.id();
        ctx.turn_id = turn_id_;
        return plugin.invoke_text(method, params, ctx);
    }

    CallOutcome call(const PluginInstance& plugin, std::string_view method, const json::value& params,
                     std::function<bool(json::value&&)> on_emit = nullptr) {
        CallContext ctx;
        ctx.cancelled = &s_.cancel_flag();
        ctx.services = &env_.services;
        ctx.session_id = s_.id();
        ctx.turn_id = turn_id_;
        ctx.on_emit = std::move(on_emit);
        return plugin.invoke(method, params, ctx);
    }

    /// One reason step: the model call, with retries of retryable failures before any output.
    Stop reason(ModelAnswer& answer) {
        std::string extra_system;
        json::object set;
        if (auto stop = before_model(extra_system, set)) {
            --result_.iterations;  // no model call was made
            return *stop;
        }
        std::string request_text = build_request(extra_system, set);
        std::string message_id = new_uuid_v7();
        s_.emit(event_type::kOutputStarted,
                json::object{{"message_id", message_id}, {"model", cfg_.model}, {"iteration", result_.iterations}}, turn_id_);
        std::string streamed;
        CallOutcome out;
        for (int attempt = 0;; ++attempt) {
            CallContext ctx;
            ctx.cancelled = &s_.cancel_flag();
            ctx.services = &env_.services;
            ctx.session_id = s_.id();
            ctx.turn_id = turn_id_;
            ctx.on_emit = [&](json::value&& ev) {
                const json::object* o = ev.if_object();
                if (!o) return true;
                const json::value* type = o->if_contains("type");
                const json::value* text = o->if_contains("text");
                if (type && *type == "text_delta" && text && text->is_string()) {
                    streamed += text->get_string();
                    s_.publish_live(event_type::kOutputDelta, json::object{{"message_id", message_id}, {"delta", *text}}, turn_id_);
                }
                return !cancelled();
            };
            out = cfg_.driver->invoke_text("driver.chat", request_text, ctx);
            if (out.ok() || cancelled()) break;
            if (!is_retryable(out.error_code) || !streamed.empty() || attempt >= cfg_.retry.max_retries) break;
            if (const json::object* hint = out.result.if_object()) {  // the driver knows better (x-should-retry: false)
                if (const json::value* r = hint->if_contains("retryable"); r && r->is_bool() && !r->get_bool()) break;
            }
            auto delay = backoff(attempt, out.result);
            spdlog::info("session={} model call failed ({}: {}); retry {} of {} in {} ms", s_.id(), out.error_code,
                         out.error_message, attempt + 1, cfg_.retry.max_retries, delay.count());
            if (!s_.sleep_unless_interrupted(delay)) break;
        }
        if (cancelled()) return Stop{Stop::kCancelled, {}};
        if (!out.ok()) return Stop{Stop::kFailed, {out.error_code, out.error_message}};
        if (!out.result.is_object()) return Stop{Stop::kFailed, {"plugin_error", "the driver's answer is not an object"}};
        const json::object& r = out.result.get_object();
        const json::value* text = r.if_contains("text");
        answer.text = text && text->is_string() ? std::string(text->get_string()) : streamed;
        if (const json::value* calls = r.if_contains("tool_calls"); calls && calls->is_array()) answer.tool_calls = calls->get_array();
        if (const json::value* u = r.if_contains("usage")) answer.usage = Usage::from_json(*u);
        if (const json::value* sr = r.if_contains("stop_reason"); sr && sr->is_string()) answer.stop_reason = sr->get_string();
        result_.usage += answer.usage;

        json::array content;
        if (!answer.text.empty()) content.push_back(json::object{{"type", "text"}, {"text", answer.text}});
        for (json::value& tc : answer.tool_calls) {
            json::object* c = tc.if_object();
            if (!c) return Stop{Stop::kFailed, {"plugin_error", "the driver returned a tool call that is not an object"}};
            json::object part{{"type", "tool_call"}};
            part["id"] = c->contains("id") ? c->at("id") : json::value(new_uuid_v7());
            part["name"] = c->contains("name") ? c->at("name") : json::value("");
            part["arguments"] = c->contains("arguments") ? c->at("arguments") : json::value(json::object());
            tc = part;  // normalized
            content.push_back(std::move(part));
        }
        s_.emit(event_type::kOutputCompleted,
                json::object{{"message", json::object{{"id", message_id}, {"role", "agent"}, {"content", std::move(content)}}},
                             {"model", cfg_.model},
                             {"usage", answer.usage.to_json()},
                             {"stop_reason", answer.stop_reason},
                             {"iteration", result_.iterations}},
                turn_id_);
        return Stop{};
    }

    std::chrono::milliseconds backoff(int attempt, const json::value& hint) {
        auto base = cfg_.retry.initial_backoff * (1LL << std::min(attempt, 20));
        base = std::min<std::chrono::milliseconds>(base, cfg_.retry.max_backoff);
        thread_local std::mt19937 rng{std::random_device{}()};
        double jitter = std::uniform_real_distribution<double>(0.5, 1.0)(rng);
        auto delay = std::chrono::milliseconds(static_cast<std::int64_t>(static_cast<double>(base.count()) * jitter));
        if (const json::object* o = hint.if_object()) {
            if (const json::value* ra = o->if_contains("retry_after_ms"); ra && ra->is_number()) {
                delay = std::max(delay, std::chrono::milliseconds(ra->to_number<std::int64_t>()));
            }
        }
        return delay;
    }

    /// One tool call from start to tool.completed.
    void run_tool(const json::object& tc) {
        std::string id(tc.at("id").as_string());
        std::string name(tc.at("name").as_string());
        const json::value& args = tc.at("arguments");
        s_.emit(event_type::kToolStarted, json::object{{"tool_call", tc}}, turn_id_);
        json::value result;
        std::string status = "success", error;
        auto fail = [&](std::string st, std::string message) {
            status = std::move(st);
            error = message;
            result = json::string(message);
        };
        auto it = cfg_.tool_index.find(name);
        if (cancelled()) {
            fail("cancelled", "cancelled by the user before it ran");
        } else if (it == cfg_.tool_index.end()) {
            std::string names;
            for (const auto& t : cfg_.tools) names += (names.empty() ? "" : ", ") + t.info.name;
            fail("error", "unknown tool '" + name + "'; available tools: " + (names.empty() ? "none" : names));
        } else if (!args.is_object()) {
            fail("error", "the arguments of '" + name + "' must be a JSON object");
        } else if (auto v = schema_violation(cfg_.tools[it->second].info.parameters, args, "arguments")) {
            fail("error", "invalid arguments for '" + name + "': " + *v);
        } else {
            const ToolBinding& tool = cfg_.tools[it->second];
            CallOutcome out = call(*tool.plugin, "tool.call",
                                   json::object{{"name", name}, {"arguments", args}, {"tool_call_id", id},
                                                {"session_id", s_.id()}, {"turn_id", turn_id_}});
            if (out.ok()) {
                result = std::move(out.result);
            } else if (out.status == AHP_CANCELLED || cancelled()) {
                fail("cancelled", "cancelled by the user");
            } else if (out.status == AHP_DENIED || out.error_code == "denied") {
                fail("denied", out.error_message);
            } else {
                fail("error", out.error_message);
            }
            after_tool(tc, result, status != "success");
        }
        json::object data{{"tool_call_id", id}, {"tool_name", name}, {"success", status == "success"},
                          {"status", status}, {"result", std::move(result)}};
        if (!error.empty()) data["error"] = error;
        s_.emit(event_type::kToolCompleted, std::move(data), turn_id_);
    }

    void after_tool(const json::object& tc, json::value& result, bool is_error) {
        for (const auto& cap : cfg_.capabilities) {
            if (!cap->has_hook("after_tool")) continue;
            CallOutcome out = call(*cap, "hook.after_tool",
                                   json::object{{"tool_call", tc}, {"result", result}, {"is_error", is_error}, {"session_id", s_.id()}});
            if (!out.ok()) {
                spdlog::warn("plugin={} after_tool hook failed: {}", cap->id(), out.error_message);
                continue;
            }
            if (const json::object* o = out.result.if_object()) {
                if (const json::value* r = o->if_contains("result")) result = *r;
            }
        }
    }

    bool is_mutating(const json::value& tc) const {
        const json::value* name = tc.as_object().if_contains("name");
        if (!name || !name->is_string()) return false;
        auto it = cfg_.tool_index.find(name->get_string());
        return it != cfg_.tool_index.end() && cfg_.tools[it->second].info.mutating;
    }

    /// Run a batch: consecutive non-mutating calls in parallel on the workers; a mutating call
    /// alone, in order. Every call gets its tool.completed, cancelled ones included.
    void act(const json::array& calls) {
        result_.tool_calls += static_cast<int>(calls.size());
        std::size_t i = 0;
        while (i < calls.size()) {
            std::size_t j = i;
            while (j < calls.size() && !is_mutating(calls[j])) ++j;
            if (j == i) {  // a mutating call
                run_tool(calls[i].as_object());
                ++i;
                continue;
            }
            if (j - i == 1) {
                run_tool(calls[i].as_object());
            } else {
                std::vector<std::future<void>> pending;
                for (std::size_t k = i; k < j; ++k) {
                    auto task = std::make_shared<std::packaged_task<void()>>([this, &calls, k] { run_tool(calls[k].as_object()); });
                    pending.push_back(task->get_future());
                    boost::asio::post(env_.workers, [task] { (*task)(); });
                }
                for (auto& f : pending) f.get();
            }
            i = j;
        }
    }

    void finish(const Stop& stop, std::int64_t duration_ms) {
        result_.usage += s_.side_usage(turn_id_);  // compaction summaries and other side calls of this turn
        json::object data{{"iterations", result_.iterations},
                          {"tool_call_count", result_.tool_calls},
                          {"duration_ms", duration_ms},
                          {"usage", result_.usage.to_json()}};
        switch (stop.kind) {
            case Stop::kCompleted:
            case Stop::kNone:
                result_.success = true;
                data["response"] = result_.response;
                s_.emit(event_type::kTurnCompleted, std::move(data), turn_id_);
                break;
            case Stop::kCancelled:
                result_.cancelled = true;
                result_.error = TurnError{"cancelled", "the turn was interrupted"};
                data["reason"] = "interrupted";
                s_.emit(event_type::kTurnCancelled, std::move(data), turn_id_);
                break;
            case Stop::kFailed:
                result_.error = stop.error;
                data["error"] = stop.error.message;
                data["error_code"] = stop.error.category;
                s_.emit(event_type::kTurnFailed, std::move(data), turn_id_);
                break;
        }
    }

    TurnEnvironment& env_;
    const RuntimeConfig& cfg_;
    Session& s_;
    std::string turn_id_;
    std::string system_prompt_;
    TurnResult result_;
};

}  // namespace

std::string assemble_system_prompt(const RuntimeConfig& config, Session& session, const ServiceRouter& services,
                                   const std::string& turn_id) {
    std::string prompt = config.harness.system_prompt;
    auto add = [&](std::string_view part) {
        if (part.empty()) return;
        if (!prompt.empty()) prompt += "\n\n";
        prompt += part;
    };
    add(config.agent_prompt);
    for (const auto& cap : config.capabilities) {
        if (!cap->has_hook("system_prompt")) continue;
        CallContext ctx;
        ctx.cancelled = &session.cancel_flag();
        ctx.services = &services;
        ctx.session_id = session.id();
        ctx.turn_id = turn_id;
        CallOutcome out = cap->invoke("hook.system_prompt", json::object{{"session_id", session.id()}, {"model", config.model}}, ctx);
        if (!out.ok()) {
            spdlog::warn("plugin={} system_prompt hook failed: {}", cap->id(), out.error_message);
            continue;
        }
        if (const json::object* o = out.result.if_object()) {
            if (const json::value* t = o->if_contains("text"); t && t->is_string()) add(t->get_string());
        }
    }
    return prompt;
}

TurnResult run_agent_turn(TurnEnvironment& env, const std::string& text, const std::string& turn_id) {
    Turn turn(env, turn_id.empty() ? new_uuid_v7() : turn_id);
    return turn.run(text);
}

std::optional<std::string> recover_interrupted_turn(Session& session) {
    std::vector<Event> events = session.events(0);
    // The last event that belongs to a turn; outside a turn only idle actions emit events.
    auto last = std::find_if(events.rbegin(), events.rend(), [](const Event& e) { return !e.turn_id.empty(); });
    if (last == events.rend()) return std::nullopt;
    if (last->type == event_type::kTurnCompleted || last->type == event_type::kTurnFailed ||
        last->type == event_type::kTurnCancelled) {
        return std::nullopt;
    }
    const std::string turn_id = last->turn_id;
    std::vector<std::pair<std::string, std::string>> calls;  // {id, name}, in order
    std::set<std::string> answered, decided;
    std::vector<std::string> requested;
    int iterations = 0;
    auto add_call = [&](const json::object& call) {
        const json::value* id = call.if_contains("id");
        const json::value* name = call.if_contains("name");
        if (!id || !id->is_string()) return;
        std::string sid(id->get_string());
        if (std::any_of(calls.begin(), calls.end(), [&](const auto& c) { return c.first == sid; })) return;
        calls.emplace_back(std::move(sid), name && name->is_string() ? std::string(name->get_string()) : std::string());
    };
    for (const Event& e : events) {
        if (e.turn_id != turn_id) continue;
        if (e.type == event_type::kOutputCompleted) {
            ++iterations;
            const json::value* m = e.data.if_contains("message");
            const json::value* content = m && m->is_object() ? m->get_object().if_contains("content") : nullptr;
            if (!content || !content->is_array()) continue;
            for (const json::value& part : content->get_array()) {
                const json::object* p = part.if_object();
                if (p && p->contains("type") && p->at("type") == "tool_call") add_call(*p);
            }
        } else if (e.type == event_type::kToolStarted) {
            if (const json::value* tc = e.data.if_contains("tool_call"); tc && tc->is_object()) add_call(tc->get_object());
        } else if (e.type == event_type::kToolCompleted) {
            if (const json::value* id = e.data.if_contains("tool_call_id"); id && id->is_string()) answered.insert(std::string(id->get_string()));
        } else if (e.type == event_type::kApprovalRequested || e.type == event_type::kApprovalDecided) {
            const json::value* id = e.data.if_contains("approval_id");
            if (!id || !id->is_string()) continue;
            if (e.type == event_type::kApprovalRequested) requested.emplace_back(id->get_string());
            else decided.insert(std::string(id->get_string()));
        }
    }
    const std::string why = "the host stopped before this finished (a crash or kill); it did not complete";
    for (const std::string& id : requested) {
        if (!decided.count(id)) {
            session.emit(event_type::kApprovalDecided, json::object{{"approval_id", id}, {"approved", false}, {"by", "interrupted"}},
                         turn_id);
        }
    }
    int dangling = 0;
    for (const auto& [id, name] : calls) {
        if (answered.count(id)) continue;
        ++dangling;
        session.emit(event_type::kToolCompleted,
                     json::object{{"tool_call_id", id}, {"tool_name", name}, {"success", false}, {"status", "error"},
                                  {"result", "interrupted: " + why}, {"error", "interrupted: " + why}},
                     turn_id);
    }
    session.emit(event_type::kTurnFailed,
                 json::object{{"iterations", iterations},
                              {"tool_call_count", static_cast<int>(calls.size())},
                              {"interrupted_tool_calls", dangling},
                              {"error", "the turn was interrupted: " + why},
                              {"error_code", "interrupted"}},
                 turn_id);
    return turn_id;
}

}  // namespace agenthost
