#version 450
// World space is the mesh's own Z-up frame (no model transform): positions go straight to clip space.
layout(push_constant) uniform MeshPush {
  mat4 view_projection;
  vec4 eye_ambient;   // xyz: camera position (the headlight), w: ambient fraction
  vec4 flat_color;    // rgb: colour for overlay lines (linear), a: 1 = use it unlit, 0 = shade
} pc;

layout(location = 0) in vec3 in_position;
layout(location = 1) in vec3 in_normal;
layout(location = 2) in vec3 in_color;

layout(location = 0) out vec3 v_world;
layout(location = 1) out vec3 v_normal;
layout(location = 2) out vec3 v_color;

void main() {
  v_world = in_position;
  v_normal = in_normal;
  v_color = in_color;
  gl_Position = pc.view_projection * vec4(in_position, 1.0);
}
