# cmake -DINPUT=<file.spv> -DOUTPUT=<header.h> -DSYMBOL=<identifier> -P embed_spirv.cmake
# Writes the SPIR-V words as a uint32_t array (SPIR-V is a stream of little-endian 32-bit words).
file(READ "${INPUT}" hex HEX)
string(LENGTH "${hex}" hex_length)
math(EXPR remainder "${hex_length} % 8")
if(hex_length EQUAL 0 OR NOT remainder EQUAL 0)
  message(FATAL_ERROR "${INPUT} is not a whole number of 32-bit SPIR-V words")
endif()
# Byte order b0 b1 b2 b3 in the file is the word 0xb3b2b1b0.
string(REGEX REPLACE "(..)(..)(..)(..)" "0x\\4\\3\\2\\1u," words "${hex}")
# Eight words per line (CMake regexes have no {n} repetition).
set(word "0x........u,")
string(REGEX REPLACE "(${word}${word}${word}${word}${word}${word}${word}${word})" "\\1\n    " words "${words}")
file(WRITE "${OUTPUT}.tmp"
  "// Generated from ${INPUT} by shaders/embed_spirv.cmake. Do not edit.\n"
  "#pragma once\n#include <cstdint>\n\n"
  "namespace shape::shaders {\n"
  "inline constexpr std::uint32_t ${SYMBOL}[] = {\n    ${words}\n};\n"
  "}  // namespace shape::shaders\n")
# Only touch the header when the words changed, so dependants do not rebuild needlessly.
file(COPY_FILE "${OUTPUT}.tmp" "${OUTPUT}" ONLY_IF_DIFFERENT)
file(REMOVE "${OUTPUT}.tmp")
