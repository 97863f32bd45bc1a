#version 450
// A quad covering the whole viewport, generated from gl_VertexIndex (no vertex buffer). The
// renderer sets the viewport to the aspect-fitted rectangle, so the quad lands exactly there.
// Triangle strip order: top-left, bottom-left, top-right, bottom-right (Vulkan NDC: y points down).
layout(location = 0) out vec2 v_uv;

void main() {
  vec2 uv = vec2(float(gl_VertexIndex >> 1), float(gl_VertexIndex & 1));
  v_uv = uv;  // (0,0) = first texel row = top of the image
  gl_Position = vec4(uv * 2.0 - 1.0, 0.0, 1.0);
}
