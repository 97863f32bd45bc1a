# The library's readers of untrusted files — checkpoints, YAML configs, images — as sources and the
# packages they need: compiled, instrumented, into the fuzz targets (tests/fuzz) and the sanitized
# unit tests (tests/sanitize), which build them outside the main project.
set(SHAPE_SOURCE_DIR "${CMAKE_CURRENT_LIST_DIR}/..")
find_package(Torch REQUIRED)
find_package(yaml-cpp REQUIRED)
find_package(ZLIB REQUIRED)
find_package(PkgConfig REQUIRED)
pkg_check_modules(TURBOJPEG REQUIRED IMPORTED_TARGET libturbojpeg)
pkg_check_modules(WEBP REQUIRED IMPORTED_TARGET libwebp)

file(GLOB SHAPE_CHECKPOINT_SOURCES "${SHAPE_SOURCE_DIR}/inference/checkpoint/*.cpp")
set(SHAPE_CONFIG_SOURCES
  "${SHAPE_SOURCE_DIR}/inference/config/model_config.cpp"
  "${SHAPE_SOURCE_DIR}/inference/config/strict_yaml_map.cpp")
set(SHAPE_IMAGE_SOURCES
  "${SHAPE_SOURCE_DIR}/inference/clip/image_file.cpp"
  "${SHAPE_SOURCE_DIR}/inference/clip/image_u8.cpp"
  "${SHAPE_SOURCE_DIR}/inference/clip/image_preprocess.cpp")
# Atomic file writes: the safetensors writer and image_file.cpp's PNGs go through them.
set(SHAPE_FILE_IO_SOURCES "${SHAPE_SOURCE_DIR}/inference/export/file_io.cpp")
