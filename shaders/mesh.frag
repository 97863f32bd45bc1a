#version 450
// Headlight (a light at the eye) plus ambient, lit on both sides: marching-cubes meshes may have
// inconsistent winding and open borders, so the sign of the normal is ignored. Shading happens in
// linear RGB and the result is sRGB-encoded here because the colour targets are UNORM (the same
// targets Dear ImGui draws into with its sRGB-space colours).
layout(push_constant) uniform MeshPush {
  mat4 view_projection;
  vec4 eye_ambient;
  vec4 flat_color;
} pc;

layout(location = 0) in vec3 v_world;
layout(location = 1) in vec3 v_normal;
layout(location = 2) in vec3 v_color;
layout(location = 0) out vec4 out_color;

vec3 linear_to_srgb(vec3 c) {
  c = clamp(c, 0.0, 1.0);
  vec3 low = c * 12.92;
  vec3 high = 1.055 * pow(c, vec3(1.0 / 2.4)) - 0.055;
  return mix(high, low, lessThanEqual(c, vec3(0.0031308)));
}

void main() {
  vec3 linear_rgb;
  if (pc.flat_color.a > 0.5) {
    linear_rgb = pc.flat_color.rgb;
  } else {
    vec3 to_eye = normalize(pc.eye_ambient.xyz - v_world);
    float normal_length = length(v_normal);
    // A degenerate normal (zero-area fan) is treated as facing the light rather than producing NaN.
    float diffuse = normal_length > 1e-8 ? abs(dot(v_normal / normal_length, to_eye)) : 1.0;
    float ambient = pc.eye_ambient.w;
    linear_rgb = v_color * (ambient + (1.0 - ambient) * diffuse);
  }
  out_color = vec4(linear_to_srgb(linear_rgb), 1.0);
}
