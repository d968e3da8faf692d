# Turns the catalog JSON into a C++ source holding it as a char array, so the
# national list is compiled into the library (no file to ship or lose).
file(READ "${INPUT}" hex HEX)
string(REGEX REPLACE "([0-9a-f][0-9a-f])" "'\\\\x\\1'," bytes "${hex}")
file(WRITE "${OUTPUT}" "// Generated from ${NAME}; do not edit.\nnamespace xyd {\nextern const char ${SYMBOL}[];\nconst char ${SYMBOL}[] = {${bytes} '\\0'};\n}\n")
