// Opens a mesh file as a three.js viewer does, in headless Chromium, for the export tests:
//   node three_view.mjs MESH (.glb|.gltf|.ply|.obj) SCREENSHOT.png
// Serves three.js and the file on 127.0.0.1, loads it with three's own loader (GLTFLoader,
// PLYLoader, OBJLoader; materials as the three.js editor makes them), renders it lit, framed, on a
// dark background, and saves a screenshot. Prints one JSON line: what three.js read (vertex
// colours, their mean in sRGB, the bounding box with +Y up) after "THREE ".
import { spawnSync } from "node:child_process";
import { createServer } from "node:http";
import { readFileSync, existsSync } from "node:fs";
import { dirname, extname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const [meshPath, screenshotPath] = process.argv.slice(2).map((p) => p && resolve(p));
if (!meshPath || !screenshotPath) {
  console.error("usage: node three_view.mjs MESH SCREENSHOT.png");
  process.exit(2);
}
const SIDE = 320;  // screenshot pixels
const threeDir = join(dirname(fileURLToPath(import.meta.url)), "node_modules", "three");
const chromium = ["chromium", "chromium-browser", "google-chrome"].find(
  (name) => spawnSync("which", [name]).status === 0);
if (!chromium) {
  console.error("three_view.mjs: no Chromium found (apt-get install chromium)");
  process.exit(3);
}

const page = `<!doctype html><html><body style="margin:0;background:#202020">
<pre id="stats">loading</pre>
<script type="importmap">{"imports": {"three": "/three/build/three.module.js", "three/addons/": "/three/examples/jsm/"}}</script>
<script type="module">
import * as THREE from "three";
import { GLTFLoader } from "three/addons/loaders/GLTFLoader.js";
import { PLYLoader } from "three/addons/loaders/PLYLoader.js";
import { OBJLoader } from "three/addons/loaders/OBJLoader.js";
const stats = document.getElementById("stats");
try {
  const url = "/mesh${extname(meshPath).toLowerCase()}";
  const ext = url.split(".").pop();
  let object;
  if (ext === "glb" || ext === "gltf") {
    object = (await new GLTFLoader().loadAsync(url)).scene;
  } else if (ext === "ply") {
    const geometry = await new PLYLoader().loadAsync(url);
    geometry.computeVertexNormals();
    object = new THREE.Mesh(geometry, new THREE.MeshStandardMaterial({ vertexColors: geometry.hasAttribute("color") }));
  } else {
    object = await new OBJLoader().loadAsync(url);
  }
  const colour = [0, 0, 0];
  let coloured = 0, vertices = 0;
  object.traverse((node) => {
    if (!node.isMesh) return;
    const attribute = node.geometry.getAttribute("color");
    vertices += node.geometry.getAttribute("position").count;
    if (!attribute) return;
    const c = new THREE.Color();
    for (let i = 0; i < attribute.count; ++i) {
      c.setRGB(attribute.getX(i), attribute.getY(i), attribute.getZ(i), THREE.LinearSRGBColorSpace);
      const srgb = c.getRGB(new THREE.Color(), THREE.SRGBColorSpace);
      colour[0] += srgb.r; colour[1] += srgb.g; colour[2] += srgb.b;
      ++coloured;
    }
  });
  const box = new THREE.Box3().setFromObject(object);
  const renderer = new THREE.WebGLRenderer({ antialias: true, preserveDrawingBuffer: true });
  renderer.setPixelRatio(1);
  renderer.setSize(${SIDE}, ${SIDE});
  renderer.domElement.style = "position:absolute;left:0;top:0";
  document.body.appendChild(renderer.domElement);
  const scene = new THREE.Scene();
  scene.background = new THREE.Color(0x202020);
  scene.add(new THREE.HemisphereLight(0xffffff, 0x444444, 2.0));
  const sun = new THREE.DirectionalLight(0xffffff, 1.5);
  sun.position.set(1, 2, 3);
  scene.add(sun);
  scene.add(object);
  const size = box.getSize(new THREE.Vector3()), centre = box.getCenter(new THREE.Vector3());
  const camera = new THREE.PerspectiveCamera(35, 1, 0.01, 100);
  const distance = 0.8 * Math.max(size.x, size.y, size.z) / Math.tan(THREE.MathUtils.degToRad(35 / 2));
  camera.position.set(centre.x, centre.y + 0.15 * distance, centre.z + distance);
  camera.lookAt(centre);
  renderer.render(scene, camera);
  stats.textContent = JSON.stringify({
    vertices, coloured_vertices: coloured,
    mean_colour_srgb: coloured ? colour.map((v) => v / coloured) : null,
    min: box.min.toArray(), max: box.max.toArray() });
  stats.style.display = "none";
} catch (error) {
  stats.textContent = JSON.stringify({ error: String(error) });
}
</script></body></html>`;

const types = { ".js": "text/javascript", ".html": "text/html" };
const server = createServer((request, response) => {
  const url = decodeURIComponent(request.url.split("?")[0]);
  let file = null;
  if (url === "/") return response.writeHead(200, { "content-type": "text/html" }).end(page);
  if (url.startsWith("/mesh.")) file = meshPath;
  else if (url.startsWith("/three/")) file = join(threeDir, url.slice("/three/".length));
  if (!file || !resolve(file).startsWith(file === meshPath ? meshPath : threeDir) || !existsSync(file)) {
    return response.writeHead(404).end();
  }
  response.writeHead(200, { "content-type": types[extname(file)] || "application/octet-stream" });
  response.end(readFileSync(file));
});

server.listen(0, "127.0.0.1", () => {
  const url = `http://127.0.0.1:${server.address().port}/`;
  const common = ["--headless=new", "--no-sandbox", "--disable-gpu-sandbox", "--use-angle=swiftshader",
                  "--enable-unsafe-swiftshader", `--window-size=${SIDE},${SIDE}`, "--hide-scrollbars",
                  "--virtual-time-budget=20000", "--no-first-run", "--user-data-dir=" + join(dirname(screenshotPath), ".chromium")];
  const run = (extra) => new Promise((done) => {
    import("node:child_process").then(({ spawn }) => {
      const child = spawn(chromium, [...common, ...extra, url], { stdio: ["ignore", "pipe", "pipe"] });
      let out = "";
      child.stdout.on("data", (d) => (out += d));
      child.stderr.on("data", () => {});
      child.on("close", (code) => done({ code, out }));
    });
  });
  (async () => {
    const dom = await run(["--dump-dom"]);
    const match = /<pre id="stats"[^>]*>([^<]*)<\/pre>/.exec(dom.out);
    await run(["--screenshot=" + screenshotPath]);
    server.close();
    if (!match) {
      console.error("three_view.mjs: the page did not report (chromium exit " + dom.code + ")");
      process.exit(1);
    }
    const text = match[1].replace(/&quot;/g, '"').replace(/&amp;/g, "&");
    console.log("THREE " + text);
    process.exit(JSON.parse(text).error ? 1 : 0);
  })();
});
