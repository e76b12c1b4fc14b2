# libagenthost.so exports exactly the embedding API: every defined dynamic symbol is in namespace
# agenthost (functions, or the typeinfo and vtables of its classes), the public classes and
# functions are there, and the internals (the loader, the agent loop) and the libraries it uses
# privately (spdlog, Boost, RE2, OpenSSL) are not.
# Usage: cmake -DLIB=<libagenthost.so> -P exports_check.cmake
cmake_minimum_required(VERSION 3.25)
find_program(NM nm REQUIRED)
execute_process(COMMAND ${NM} -D -C --defined-only ${LIB} OUTPUT_VARIABLE out RESULT_VARIABLE rc)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "nm ${LIB} failed (${rc})")
endif()
string(REPLACE "\n" ";" lines "${out}")
set(errors "")
set(count 0)
foreach(line IN LISTS lines)
  if(line STREQUAL "")
    continue()
  endif()
  # "<address> <type> <name>"
  string(REGEX REPLACE "^[0-9a-fA-F]* *[A-Za-z] " "" name "${line}")
  math(EXPR count "${count} + 1")
  if(NOT name MATCHES "^(agenthost::|typeinfo for agenthost::|typeinfo name for agenthost::|vtable for agenthost::)")
    string(APPEND errors "  exported but not the embedding API: ${name}\n")
  endif()
  if(name MATCHES "^[^(]*(PluginCatalog|PluginInstance|run_agent_turn|ServiceRouter|HttpClient|::Impl|spdlog::|boost::|re2::|fmt::)")
    string(APPEND errors "  an internal symbol is exported: ${name}\n")
  endif()
endforeach()
foreach(want
    "agenthost::RuntimeBuilder::build()"
    "agenthost::RuntimeBuilder::log(std::function<void (agenthost::LogLevel, std::basic_string_view<char, std::char_traits<char> >)>)"
    "agenthost::Runtime::run_turn("
    "agenthost::make_jsonl_session_store("
    "agenthost::make_real_disk_file_store("
    "agenthost::to_json_line[abi:cxx11](agenthost::Event const&)"
    "typeinfo for agenthost::ConfigError"
    "typeinfo for agenthost::UsageError"
    "typeinfo for agenthost::StorageError"
    "typeinfo for agenthost::FileStoreError"
    "typeinfo for agenthost::FileStore"
    "vtable for agenthost::FileStore")
  string(FIND "${out}" "${want}" at)
  if(at EQUAL -1)
    string(APPEND errors "  missing from the exports: ${want}\n")
  endif()
endforeach()
if(errors)
  message(FATAL_ERROR "${LIB}:\n${errors}")
endif()
message(STATUS "${LIB}: ${count} symbols, all of the embedding API")
