# ahp_add_plugin(<target> MANIFEST <file.json> SOURCES <src>... [OUTPUT_DIR <dir>])
#
# Builds an agenthost plugin: a MODULE library named <id>.so (no "lib" prefix) with hidden
# visibility, a version script that exports only ahp_plugin_entry_v1, -z defs (nothing may be
# left to come from the host) and --exclude-libs,ALL; copies the manifest beside it.
include_guard(GLOBAL)

set(AHP_PLUGIN_MAP "${CMAKE_CURRENT_LIST_DIR}/ahp_plugin.map")

function(ahp_add_plugin target)
  cmake_parse_arguments(ARG "" "MANIFEST;OUTPUT_DIR" "SOURCES" ${ARGN})
  if(NOT ARG_SOURCES)
    message(FATAL_ERROR "ahp_add_plugin(${target}): SOURCES is required")
  endif()
  if(NOT ARG_OUTPUT_DIR)
    if(DEFINED AHP_PLUGIN_OUTPUT_DIR)
      set(ARG_OUTPUT_DIR "${AHP_PLUGIN_OUTPUT_DIR}")
    else()
      set(ARG_OUTPUT_DIR "${CMAKE_CURRENT_BINARY_DIR}")
    endif()
  endif()
  # The map sits beside this file (in the source tree and when installed). Found through the
  # function's own location: a variable set when this file was included would be scoped to the
  # including directory (sdk/), and empty in the sibling directories that call this function.
  set(_map "${CMAKE_CURRENT_FUNCTION_LIST_DIR}/ahp_plugin.map")
  add_library(${target} MODULE ${ARG_SOURCES})
  target_link_libraries(${target} PRIVATE ahp::sdk)
  set_target_properties(${target} PROPERTIES
    PREFIX ""
    OUTPUT_NAME "${target}"
    LIBRARY_OUTPUT_DIRECTORY "${ARG_OUTPUT_DIR}"
    CXX_VISIBILITY_PRESET hidden
    VISIBILITY_INLINES_HIDDEN ON
    POSITION_INDEPENDENT_CODE ON
    LINK_DEPENDS "${_map}")
  target_link_options(${target} PRIVATE
    "LINKER:--version-script=${_map}"
    "LINKER:-z,defs"
    "LINKER:--exclude-libs,ALL")
  if(ARG_MANIFEST)
    get_filename_component(_manifest "${ARG_MANIFEST}" ABSOLUTE)
    add_custom_command(TARGET ${target} POST_BUILD
      COMMAND ${CMAKE_COMMAND} -E copy_if_different "${_manifest}" "${ARG_OUTPUT_DIR}/${target}.json"
      VERBATIM)
    set_property(TARGET ${target} APPEND PROPERTY LINK_DEPENDS "${_manifest}")
  endif()
endfunction()
