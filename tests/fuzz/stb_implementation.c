// stb_image and stb_image_write compiled into the image fuzzer, instrumented (the app links
// Debian's prebuilt libstb instead).
#define STB_IMAGE_IMPLEMENTATION
#define STB_IMAGE_WRITE_IMPLEMENTATION
#include <stb_image.h>
#include <stb_image_write.h>
