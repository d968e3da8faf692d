# docs/catalog.md must equal `xyd catalog --markdown` (regenerate it with
# `build/xyd catalog --markdown > docs/catalog.md`).
execute_process(COMMAND ${CLI} catalog --markdown OUTPUT_VARIABLE generated RESULT_VARIABLE rc)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "xyd catalog --markdown failed")
endif()
file(READ ${DOC} committed)
if(NOT generated STREQUAL committed)
  message(FATAL_ERROR "docs/catalog.md is stale: run build/xyd catalog --markdown > docs/catalog.md")
endif()
