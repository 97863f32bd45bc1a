# Imports a mesh file into Blender as a user's File > Import does and prints what arrived, for the
# export tests:  blender -b --factory-startup --python blender_probe.py -- MESH
# Prints one line "PROBE {json}": per mesh object its vertex count, colour attributes and their
# mean sRGB colour, whether a material shows them, and its world-space bounding box (Blender: +Z up).
import json
import sys

import numpy

# Debian 12's Blender 3.4 glTF importer still calls numpy.bool, which numpy 1.24 removed.
if not hasattr(numpy, "bool"):
    numpy.bool = bool

import bpy

path = sys.argv[sys.argv.index("--") + 1]
bpy.ops.wm.read_factory_settings(use_empty=True)
extension = path.rsplit(".", 1)[-1].lower()
if extension in ("glb", "gltf"):
    bpy.ops.import_scene.gltf(filepath=path)
elif extension == "ply":
    bpy.ops.import_mesh.ply(filepath=path)
elif extension == "obj":
    bpy.ops.wm.obj_import(filepath=path)
else:
    sys.exit("blender_probe.py: unknown mesh format: " + path)


def mean_srgb(attribute):
    values = [tuple(item.color_srgb)[:3] for item in attribute.data]
    return [sum(value[i] for value in values) / len(values) for i in range(3)] if values else None


def shows_colour_attribute(material):
    return bool(material and material.use_nodes and
                any(node.type in ("VERTEX_COLOR", "ATTRIBUTE") for node in material.node_tree.nodes))


objects = []
for item in bpy.context.scene.objects:
    if item.type != "MESH":
        continue
    mesh = item.data
    corners = [item.matrix_world @ vertex.co for vertex in mesh.vertices]
    colours = list(mesh.color_attributes)
    objects.append({
        "vertices": len(mesh.vertices),
        "colour_attributes": [attribute.name for attribute in colours],
        "mean_colour_srgb": mean_srgb(colours[0]) if colours else None,
        "material_shows_colours": any(shows_colour_attribute(material) for material in mesh.materials),
        "min": [min(corner[i] for corner in corners) for i in range(3)],
        "max": [max(corner[i] for corner in corners) for i in range(3)],
    })
print("PROBE " + json.dumps(objects))
